"""The node's network in RTL: flit and port signatures, routers, a tile's network interface
(docs/node.md)."""

from .noc_port import CoreNocSignature, FlitKind, FlitLayout, LinkSignature, NocPortSignature
from .router import Router
from .tile_noc import TileNoc

__all__ = ["CoreNocSignature", "FlitKind", "FlitLayout", "LinkSignature", "NocPortSignature",
           "Router", "TileNoc"]

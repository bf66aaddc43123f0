"""Signatures of the node's network: a core's NoC port, flits, links and a tile's NoC port.

The protocol (docs/node.md): every channel (a sending core to a receiving core) has a FIFO of
``noc_fifo_depth`` words at the receiving tile. The sending tile keeps one *credit* counter
per channel, starting at the depth: a word leaves a core only against a credit, and the
receiving tile returns one credit per word a ``recv`` takes (in credit flits). So a data flit
always finds room where it goes, flits never block each other in the routers, and a ``send``
waits exactly when (or a little longer than) the golden model's channel is full.
"""

from amaranth.hdl import unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig
from panther.isa.table import BY_MNEMONIC

__all__ = ["noc_widths", "channel_widths", "FlitKind", "FlitLayout", "LinkSignature", "CoreNocSignature",
           "NocPortSignature", "channels_per_core", "CHANNEL_LEAD", "MAX_RECV_WORDS"]

#: Cycles a core shows a channel on its port before it raises ``tx_valid`` or ``rx_req``
#: (:class:`CoreNocSignature`): the tile registers the channel (one cycle), then looks its
#: table entries up into registers (one more; docs/synthesis.md, "noc" and "nocpipe").
CHANNEL_LEAD = 2
#: The most words one ``recv`` takes (its ``vw``, isa/table).
MAX_RECV_WORDS = BY_MNEMONIC["recv"].field("vw").value_range[1]


def _check(config):
    if not isinstance(config, PantherConfig):
        raise TypeError(f"config must be a PantherConfig, not {config!r}")
    return config


def noc_widths(config):
    """``(tile_bits, core_bits, count_bits, hop_bits)`` of the network's fields."""
    c = _check(config)
    tile_bits = max(1, (c.tiles_per_node - 1).bit_length())
    core_bits = max(1, (c.cores_per_tile - 1).bit_length())
    count_bits = max(c.noc_words_per_flit, c.noc_fifo_depth).bit_length()
    hop_bits = max(1, (c.noc_mesh_cols + c.noc_mesh_rows).bit_length())
    return tile_bits, core_bits, count_bits, hop_bits


def channel_widths(config):
    """``(credit_bits, pointer_bits)`` of a tile's per-channel counters
    (:class:`~panther.hdl.node.tile_noc.TileNoc`): words sent and credits returned count
    modulo ``2 ** credit_bits`` (more than ``noc_fifo_depth``, so their difference, at most the
    depth, is exact); a receive FIFO's head and tail run modulo ``2 * noc_fifo_depth`` (so a
    full FIFO differs from an empty one)."""
    depth = _check(config).noc_fifo_depth
    return depth.bit_length(), (2 * depth - 1).bit_length()


def channels_per_core(config):
    """Channels into one core: one per sending core of the node."""
    return _check(config).tiles_per_node * config.cores_per_tile


class FlitKind:
    """Values of :class:`FlitLayout` ``kind``: ``DATA`` carries words, ``CREDIT`` returns
    ``count`` credits of the channel ``dst -> src`` to its sender."""

    DATA = 0
    CREDIT = 1


class FlitLayout(data.StructLayout):
    """One flit: a header (source and destination core, ``kind``, ``count``) and
    ``noc_words_per_flit`` data words (the ``noc_flit_bits`` payload).

    Members
    -------
    kind : unsigned(1)
        :class:`FlitKind`.
    src_tile, src_core, dst_tile, dst_core : unsigned
    count : unsigned
        Data words in the flit (1 .. words per flit), or credits returned.
    words : ArrayLayout(unsigned(data_bits), noc_words_per_flit)
    """

    def __init__(self, config):
        c = _check(config)
        tile_bits, core_bits, count_bits, _ = noc_widths(c)
        super().__init__({
            "kind": 1, "src_tile": tile_bits, "src_core": core_bits, "dst_tile": tile_bits,
            "dst_core": core_bits, "count": count_bits,
            "words": data.ArrayLayout(unsigned(c.data_bits), c.noc_words_per_flit),
        })


class LinkSignature(wiring.Signature):
    """A flit stream, from the sender's side: ``valid`` and ``flit`` out, ``ready`` in; a flit
    moves in a cycle with both high.

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    valid : Out(1)
    ready : In(1)
    flit : Out(FlitLayout(config))
    """

    def __init__(self, config):
        self.config = _check(config)
        super().__init__({"valid": Out(1), "ready": In(1), "flit": Out(FlitLayout(config))})

    def __eq__(self, other):
        return type(other) is type(self) and other.members == self.members

    def __repr__(self):
        return f"LinkSignature({FlitLayout(self.config).size} bits)"


class CoreNocSignature(wiring.Signature):
    """A core's port into its tile's network interface, from the core's side.

    ``tx``: the core presents one word of a ``send`` (``tx_valid`` with ``tx_data``, the
    destination and ``tx_last`` on the vector's last word) and holds it until a cycle with
    ``tx_ready``; ``tx_hops`` (from the tile) is the number of links to the destination tile.
    ``rx``: the core raises ``rx_req`` with the source and ``rx_words`` (the words it takes)
    and holds them until its last word's ``rx_ack``; in a cycle with ``rx_ack``, ``rx_data``
    is the channel's oldest word (removed). The tile registers ``rx_req`` (nocpipe) and
    grants ``rx_words`` words per request (the words from a rise of its register to a fall),
    so ``rx_req`` may stay high in the cycle of the last ``rx_ack`` but must be low in the
    next one.

    The channel (``tx_tile``/``tx_core``, ``rx_tile``/``rx_core``) must be the same in every
    cycle with ``tx_valid`` as in the :data:`CHANNEL_LEAD` cycles before, and in every cycle
    with ``rx_req`` as in the ``CHANNEL_LEAD - 1`` cycles before (``rx_req`` is seen a cycle
    late): the tile registers the channel next to its tables, then looks its entries up into
    registers (noc, nocpipe). ``rx_words`` must be steady from the cycle before ``rx_req``
    rises. ``tx_hops`` is the channel of the cycle before's.

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    tx_valid, tx_last : Out(1)
    tx_data : Out(data_bits)
    tx_tile, tx_core : Out
        Destination.
    tx_ready : In(1)
    tx_hops : In
    rx_req : Out(1)
    rx_tile, rx_core : Out
        Source.
    rx_words : Out(range(MAX_RECV_WORDS + 1))
    rx_ack : In(1)
    rx_data : In(data_bits)
    """

    def __init__(self, config):
        c = self.config = _check(config)
        tile_bits, core_bits, _, hop_bits = noc_widths(c)
        super().__init__({
            "tx_valid": Out(1), "tx_last": Out(1), "tx_data": Out(c.data_bits),
            "tx_tile": Out(tile_bits), "tx_core": Out(core_bits), "tx_ready": In(1),
            "tx_hops": In(hop_bits),
            "rx_req": Out(1), "rx_tile": Out(tile_bits), "rx_core": Out(core_bits),
            "rx_words": Out(range(MAX_RECV_WORDS + 1)),
            "rx_ack": In(1), "rx_data": In(c.data_bits),
        })

    def __eq__(self, other):
        return type(other) is type(self) and other.members == self.members

    def __repr__(self):
        return "CoreNocSignature()"


class NocPortSignature(wiring.Signature):
    """A tile's port on the network (to its router), from the tile's side: ``tx`` flits out,
    ``rx`` flits in.

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    tx : Out(LinkSignature(config))
    rx : In(LinkSignature(config))
    """

    def __init__(self, config):
        self.config = _check(config)
        super().__init__({"tx": Out(LinkSignature(config)), "rx": In(LinkSignature(config))})

    def __eq__(self, other):
        return type(other) is type(self) and other.members == self.members

    def __repr__(self):
        return "NocPortSignature()"

"""send/recv and .tile in the assembler, the disassembler and node image directories."""

import json

import numpy as np
import pytest

from panther.config import PRESETS
from panther.isa.assembler import AsmError, assemble
from panther.isa.disassembler import disassemble, disassemble_image
from panther.isa.encoding import decode, encode, make
from panther.isa.image import ImageError, ProgramImage
from panther.isa.node_image import NodeImage, load_any_image

SMALL = PRESETS["small"]          # 4 tiles of 2 cores

NODE_SOURCE = """
.equ N, 3
.smem 0, 0, 1.0            # tile 0's shared memory
.core 1
.data 0, 0.5, 0.25, -1.0
    send 2, 1, 0, N        # to tile 2 core 1
    hlt
.tile 2
.smem 0, 0, 2.0            # tile 2's shared memory: the same address, another tile
.core 1
.weights 0, 0, 0.5
loop:
    recv 8, 0, 1, N        # from tile 0 core 1
    hlt
"""


def test_send_and_recv_encode_their_peer():
    image = assemble("send 3, 1, xin0, 16\nrecv 5, 2, 0, 4\nhlt", config=SMALL)
    assert isinstance(image, ProgramImage)
    send, recv, _ = (decode(w) for w in image.programs[0])
    assert send.operands == {"tile": 3, "core": 1, "src": SMALL.xbar_in_base(0), "vw": 16}
    assert recv.operands == {"dst": 5, "tile": 2, "core": 0, "vw": 4}


@pytest.mark.parametrize("line, message", [
    ("send 4, 0, 0, 1", "tile 4 outside 0 .. 3 (tiles_per_node = 4)"),
    ("recv 0, 0, 2, 1", "core 2 outside 0 .. 1 (cores_per_tile = 2)"),
    ("send 0, 0, 0", "send takes 4 operands (tile, core, src, vw), not 3"),
    ("recv 319, 0, 0, 2", "dst address 319 .. 320 (vw 2) outside the core address space"),
    (".tile 4", "tile number 4 outside 0 .. 3 (tiles_per_node = 4)"),
])
def test_peers_and_tiles_are_checked_against_the_configuration(line, message):
    with pytest.raises(AsmError) as info:
        assemble(line + "\nhlt", config=SMALL, filename="n.s")
    assert info.value.errors[0].startswith("n.s:1:")
    assert message in info.value.errors[0]


def test_a_source_with_tiles_is_a_node_image_with_per_tile_memories():
    image = assemble(NODE_SOURCE, config=SMALL)
    assert isinstance(image, NodeImage) and image.n_tiles == 3     # tiles 0 .. 2
    t0, t1, t2 = image.tiles
    assert t0.smem_init[0] == 4096 and t2.smem_init[0] == 8192 and not t1.smem_valid.any()
    assert t0.rf_init[1][:3].tolist() == [2048, 1024, -4096]
    assert t2.weights[(1, 0)][0, 0] == 1 << 23
    assert [len(p) for p in t1.programs] == [0, 0]
    assert decode(t2.programs[1][0]).operands == {"dst": 8, "tile": 0, "core": 1, "vw": 3}


def test_labels_belong_to_the_core_of_their_tile():
    with pytest.raises(AsmError) as info:
        assemble(".tile 1\ntop: nop\nhlt\n.tile 2\njmp top\nhlt", config=SMALL, filename="l.s")
    assert "l.s:5:5: label 'top' belongs to tile 1 core 0, not tile 2 core 0" in info.value.errors


def test_double_initialisation_is_per_tile():
    assemble(".smem 5, 0, 1\n.tile 1\n.smem 5, 0, 2\nhlt", config=SMALL)      # two tiles: fine
    with pytest.raises(AsmError) as info:
        assemble(".tile 1\n.smem 5, 0, 1\n.smem 5, 0, 2", config=SMALL, filename="d.s")
    assert "shared address 5 of tile 1 already initialised at line 2" in str(info.value)


def test_disassembly_of_a_node_image_reassembles_to_the_same_image():
    image = assemble(NODE_SOURCE, config=SMALL)
    text = disassemble_image(image)
    assert ".tile 2" in text
    again = assemble(text, config=SMALL)
    assert isinstance(again, NodeImage) and image.same_contents(again)


def test_peers_past_the_configuration_disassemble_as_words():
    two_tiles = SMALL.replace(tiles_per_node=2)
    words = [encode(make("send", tile=3, core=0, src=0, vw=1)),
             encode(make("recv", dst=0, tile=1, core=5, vw=1))]
    lines = disassemble(words, config=two_tiles)
    assert "tile 3 outside the node 0 .. 1 (tiles_per_node)" in lines[0]
    assert "core 5 outside the tile 0 .. 1 (cores_per_tile)" in lines[1]
    assert assemble("\n".join(lines), config=two_tiles).programs[0] == words


def test_node_image_directories_round_trip_and_are_checked(tmp_path):
    image = assemble(NODE_SOURCE, config=SMALL)
    image.save(tmp_path / "img")
    assert sorted(p.name for p in (tmp_path / "img").iterdir()) == ["image.json", "tile0", "tile1",
                                                                     "tile2"]
    loaded = load_any_image(tmp_path / "img")
    assert isinstance(loaded, NodeImage) and image.same_contents(loaded)
    assert isinstance(load_any_image(tmp_path / "img" / "tile2"), ProgramImage)   # each tile alone
    meta = json.loads((tmp_path / "img" / "image.json").read_text())
    meta["tiles"] = ["tile0", "tile2"]
    (tmp_path / "img" / "image.json").write_text(json.dumps(meta))
    with pytest.raises(ImageError, match=r"tiles\[1\] must be \"tile1\""):
        load_any_image(tmp_path / "img")
    meta["tiles"] = ["tile0"] * 5
    (tmp_path / "img" / "image.json").write_text(json.dumps(meta))
    with pytest.raises(ImageError, match="must list 1 to 4 tiles"):
        load_any_image(tmp_path / "img")


def test_a_node_image_rejects_tiles_of_another_configuration():
    one = assemble("hlt", config=SMALL)
    other = assemble("hlt", config=SMALL.replace(rf_depth=128))
    with pytest.raises(ValueError, match="another configuration"):
        NodeImage(config=SMALL, tiles=[one, other])
    with pytest.raises(ValueError, match="1 to 4 tiles"):
        NodeImage(config=SMALL, tiles=[one] * 5)
    assert np.array_equal(NodeImage(config=SMALL, tiles=[one]).tiles[0].smem_init, one.smem_init)

"""docs/assembly.md: every `asm` example assembles, and its worked example means what it says."""

import re
from pathlib import Path

import numpy as np

from panther.config import PRESETS
from panther.isa.assembler import assemble
from panther.isa.encoding import decode

DOC = Path(__file__).resolve().parents[2] / "docs" / "assembly.md"
SMALL = PRESETS["small"]


def blocks():
    return re.findall(r"```asm\n(.*?)```", DOC.read_text(), re.S)


def test_every_asm_block_assembles():
    found = blocks()
    assert len(found) >= 3
    for text in found:
        image = assemble(text, config=SMALL, filename="docs/assembly.md")
        tiles = getattr(image, "tiles", [image])
        assert sum(len(p) for tile in tiles for p in tile.programs) > 0


def test_worked_example_values():
    image = assemble(blocks()[0], config=SMALL, filename="docs/assembly.md")
    assert list(image.rf_init[0][:4]) == [2048, -1024, 4096, 0]
    w = image.weights[(0, 0)]
    assert w[0, 0] == round(0.1 * 2 ** 24) and w[1, 1] == round(0.4 * 2 ** 24)
    assert list(image.smem_init[:2]) == [2048, -2048] and list(image.smem_count[:2]) == [1, 1]
    first = decode(image.programs[0][0])
    assert first.operands == {"dst": SMALL.xbar_in_base(0), "src": 0, "vw": 4}
    assert decode(image.programs[0][-1]).mnemonic == "hlt"


def test_data_block_values():
    image = assemble(blocks()[2], config=SMALL, filename="docs/assembly.md")
    assert list(image.xbar_in[1][1][2:4]) == [1024, -1024]
    assert image.smem_valid[500] and image.smem_count[500] == 0 and image.smem_init[500] == 4096
    expected = np.zeros(SMALL.xbar_size, np.int64)
    expected[:4] = [2 ** 23, -(2 ** 23), 2 ** 22, 2 ** 21]   # the continued line stays in row 0
    assert np.array_equal(image.weights[(1, 1)][0], expected)
    assert not image.weights[(1, 1)][1:].any()
    assert image.weights[(1, 0)][0, 0] == 2 ** 24


def test_node_block_runs_as_documented():
    from panther.isa.golden import run_image

    (text,) = [b for b in blocks() if ".tile" in b]
    report = run_image(assemble(text, config=SMALL, filename="docs/assembly.md"))
    assert report.ok
    assert report.tiles[1]["cores"][1]["rf"][:4] == [4096, 8192, 12288, 16384]   # 1.0 .. 4.0
    assert report.noc["flit_hops"] == 2 * SMALL.noc_hops(0, 1)

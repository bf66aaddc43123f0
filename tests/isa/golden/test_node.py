"""The golden node: channels, blocking, determinacy, deadlocks, faults and NoC counts.

Expected values come from plain integer arithmetic and from the topology rules of
docs/node.md written out here (router = tile // concentration, mesh coordinates, X-Y hops),
not from the model's own helpers.
"""

import math
import random

import numpy as np
import pytest

from panther.config import PRESETS
from panther.isa.assembler import assemble
from panther.isa.encoding import encode, make
from panther.isa.faults import CoreFault
from panther.isa.golden import DeadlockError, Node, NodeReport, run_image
from panther.isa.image import ProgramImage
from panther.isa.node_image import NodeImage

SMALL = PRESETS["small"]          # 2x2 mesh, 2 cores per tile, 16-word channels


def ring(vw, config=SMALL):
    """Tile t's core 0 receives a vector from tile t-1, adds t+1 to every word and sends it
    on; tile 0 starts the ring with 0, 1, .. and receives the result (4 tiles)."""
    n = config.tiles_per_node
    lines = [".tile 0", ".data 0, " + ", ".join(str(i) for i in range(vw)),
             f"    send 1, 0, 0, {vw}", f"    recv 100, {n - 1}, 0, {vw}", "    hlt"]
    for t in range(1, n):
        lines += [f".tile {t}", f".data 300, {t + 1}",
                  f"    recv 0, {t - 1}, 0, {vw}"]
        lines += [f"    alu add, {i}, {i}, 300, 1" for i in range(vw)]
        lines += [f"    send {(t + 1) % n}, 0, 0, {vw}", "    hlt"]
    return assemble("\n".join(lines), config=config)


@pytest.mark.parametrize("vw", [3, 40])          # 40 > noc_fifo_depth: sends block
def test_a_ring_of_tiles_computes_the_integer_result(vw):
    report = run_image(ring(vw))
    assert isinstance(report, NodeReport) and report.ok
    added = sum(t + 1 for t in range(1, SMALL.tiles_per_node))
    assert report.tiles[0]["cores"][0]["rf"][100:100 + vw] == [i + added for i in range(vw)]
    assert report.noc["channels"] == []
    assert report.noc["words"] == 4 * vw


def test_flits_and_hops_follow_the_mesh():
    """A 4x2 mesh of concentrated routers: every tile sends 5 words to every other tile."""
    config = SMALL.replace(tiles_per_node=16, noc_concentration=2, cores_per_tile=1)
    n = config.tiles_per_node
    lines = []
    for t in range(n):
        lines.append(f".tile {t}")
        lines += [f"    send {d}, 0, 0, 5" for d in range(n) if d != t]
        lines += [f"    recv 10, {s}, 0, 5" for s in range(n) if s != t]
        lines.append("    hlt")
    report = run_image(assemble("\n".join(lines), config=config))
    assert report.ok
    routers = math.ceil(n / 2)                       # 8 routers
    cols = math.ceil(math.sqrt(routers))             # a 3-column mesh: 3 x 3 with one empty

    def xy(tile):
        r = tile // 2
        return r % cols, r // cols
    flits = math.ceil(5 * 16 / 32)                   # 5 words of 16 bits on 32-bit links
    hops = {(s, d): abs(xy(s)[0] - xy(d)[0]) + abs(xy(s)[1] - xy(d)[1])
            for s in range(n) for d in range(n) if s != d}
    assert report.noc["flits"] == flits * len(hops)
    assert report.noc["flit_hops"] == flits * sum(hops.values())
    for row in report.noc["traffic"]:
        assert row["flit_hops"] == flits * hops[(row["src_tile"], row["dst_tile"])]
    sent = [t["events"].get("noc_flits", 0) for t in report.tiles]
    assert sent == [flits * (n - 1)] * n
    assert report.events["energy_events"]["noc_flit"] == flits * len(hops)
    assert report.events["energy_events"]["noc_hop"] == flits * sum(hops.values())


def test_words_keep_their_order_across_partial_sends_and_receives():
    """A 50-word vector through a 16-word channel, received in pieces of 7, 1 and 42."""
    src = """
    .tile 0
    .data 0, """ + ", ".join(str(3 * i - 70) for i in range(50)) + """
        send 3, 1, 0, 50
        hlt
    .tile 3
    .core 1
        recv 10, 0, 0, 7
        recv 17, 0, 0, 1
        recv 18, 0, 0, 42
        hlt
    """
    report = run_image(assemble(src, config=SMALL))
    assert report.tiles[3]["cores"][1]["rf"][10:60] == [3 * i - 70 for i in range(50)]


def _random_order_run(image, seed):
    """Run ``image`` with the tiles and the cores of each tile in a random order every round."""
    node = Node.from_image(image)
    rng = random.Random(seed)

    def step():
        progress = False
        tiles = list(node.tiles)
        rng.shuffle(tiles)
        for tile in tiles:
            order = list(tile.cores)
            rng.shuffle(order)
            for core in order:
                if rng.random() < 0.7:               # some cores skip a round: other timings
                    progress |= core.step(tile.smem)
        node.rounds += 1
        return progress or any(c.status == "running" for t in node.tiles for c in t.cores)
    node.step = step
    return node.run(max_rounds=100_000)


def test_the_final_state_does_not_depend_on_the_schedule():
    """Kahn determinacy: point-to-point FIFO channels give the same result in any order."""
    src = """
    .tile 0
    .data 0, 1, 2, 3, 4, 5, 6, 7, 8, 9
        send 1, 0, 0, 9      # x to tile 1 core 0 (doubles it)
        send 1, 1, 0, 9      # x to tile 1 core 1 (splits it)
        recv 20, 1, 0, 9     # 2x
        recv 40, 0, 1, 5     # x[0:5] through core 1 of this tile
        recv 45, 1, 1, 4     # x[5:9] straight from tile 1 core 1
        alu sub, 60, 20, 40, 9
        hlt
    .core 1
        recv 0, 1, 1, 5
        send 0, 0, 0, 5
        hlt
    .tile 1
        recv 0, 0, 0, 9
        alu add, 0, 0, 0, 9
        send 0, 0, 0, 9
        hlt
    .core 1
        recv 0, 0, 0, 9
        send 0, 1, 0, 5
        send 0, 0, 5, 4
        hlt
    """
    image = assemble(src, config=SMALL)
    reference = run_image(image)
    assert reference.ok
    assert reference.tiles[0]["cores"][0]["rf"][60:69] == list(range(1, 10))     # 2x - x
    for seed in range(5):
        assert _random_order_run(image, seed).state() == reference.state()


def test_a_deadlock_names_cores_channels_and_stranded_words():
    src = """
    .tile 0
        send 2, 1, 0, 20     # 16 fit, then the channel is full: nobody receives
        hlt
    .tile 1
        recv 0, 2, 0, 1      # tile 2 core 0 never sends
        hlt
    .tile 2
        hlt
    """
    with pytest.raises(DeadlockError) as info:
        run_image(assemble(src, config=SMALL))
    waits = info.value.waits
    assert waits == [
        {"tile": 0, "core": 0, "pc": 0, "op": "send", "channel": [0, 0, 2, 1], "queued": 16,
         "wants": "room"},
        {"tile": 1, "core": 0, "pc": 0, "op": "recv", "channel": [2, 0, 1, 0], "queued": 0,
         "wants": "a word"},
    ]
    text = str(info.value)
    assert "tile 0 core 0 (pc 0, send) waits for room in channel tile 0 core 0 -> tile 2 core 1 " \
           "(16 of 16 words queued)" in text
    assert "tile 1 core 0 (pc 0, recv) waits for a word from channel tile 2 core 0 -> " \
           "tile 1 core 0 (empty)" in text
    partial = info.value.report
    assert partial.noc["channels"][0]["words"] == [0] * 16


def test_shared_memory_and_channel_waits_deadlock_together():
    src = """
    .tile 0
        ld 0, 5, 1           # tile 0 shared word 5 never becomes valid
        send 1, 0, 0, 1
        hlt
    .tile 1
        send 0, 1, 0, 2      # two words to tile 0 core 1, which waits for tile 1 core 1
        recv 0, 0, 0, 1
        hlt
    .core 1
        hlt
    .tile 0
    .core 1
        recv 0, 1, 1, 1
        hlt
    """
    with pytest.raises(DeadlockError) as info:
        run_image(assemble(src, config=SMALL))
    ops = [(w["tile"], w["core"], w["op"]) for w in info.value.waits]
    assert ops == [(0, 0, "ld"), (0, 1, "recv"), (1, 0, "recv")]
    assert "shared-memory word 5 of tile 0 to become valid" in str(info.value)
    assert "channel tile 1 core 0 -> tile 0 core 1 holds 2 word(s) no core waits for" \
        in str(info.value)


def test_a_peer_outside_the_node_is_a_fault_of_that_core():
    config = SMALL.replace(tiles_per_node=2)
    bad_tile = encode(make("send", tile=2, core=0, src=0, vw=1))
    bad_core = encode(make("recv", dst=0, tile=1, core=3, vw=1))
    image = ProgramImage(config=config, programs=[[bad_tile], [bad_core]])
    report = run_image(image)
    assert [c["fault"] for c in report.cores] == [CoreFault.NO_SUCH_TILE.name] * 2
    assert "names tile 2 core 0, but the node has 2 tiles" in report.cores[0]["fault_message"]
    assert report.cores[0]["fault_code"] == 7


def test_a_tile_alone_runs_send_and_recv_between_its_own_cores():
    src = """
    .data 0, 5, 6
        send 0, 1, 0, 2
        hlt
    .core 1
        recv 0, 0, 0, 2
        alu add, 2, 0, 1, 1
        hlt
    """
    report = run_image(assemble(src, config=SMALL))
    assert report.ok and report.cores[1]["rf"][:3] == [5, 6, 11]
    assert report.noc["words"] == 2 and report.noc["flit_hops"] == 0
    assert report.state()["channels"] == []
    assert report.events["noc_words_sent"] == report.events["noc_words_received"] == 2


def test_node_events_sum_the_tiles():
    report = run_image(ring(5))
    totals = report.events
    assert totals["instructions_total"] == sum(t["events"]["instructions_total"]
                                               for t in report.tiles)
    assert totals["noc_words_sent"] == 20 == totals["noc_words_received"]
    assert {row["tile"] for row in totals["mcu"]} <= set(range(4))


def test_a_program_image_is_a_one_tile_node():
    image = assemble(".data 0, 7\nsend 0, 1, 0, 1\nhlt\n.core 1\nrecv 3, 0, 0, 1\nhlt",
                     config=SMALL)
    alone = run_image(image)
    node = Node.from_image(NodeImage(config=SMALL, tiles=[image])).run()
    assert node.tiles[0]["cores"] == alone.cores and node.tiles[0]["smem"] == alone.smem
    assert np.asarray(alone.cores[1]["rf"])[3] == 7

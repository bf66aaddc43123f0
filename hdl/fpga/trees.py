"""Balanced trees (and a short chain) of logic for the FPGA's digital crossbar
(:mod:`.digital_crossbar`)."""

from amaranth.hdl import Mux

__all__ = ["index_chain", "one_hot_pick", "tree_sum"]


def index_chain(index, values):
    """``values[index]`` as a chain of 2:1 multiplexers on ``index == i`` (``values[0]`` when
    no other matches), for a few values (a crossbar's copies)."""
    value = values[0]
    for i in range(1, len(values)):
        value = Mux(index == i, values[i], value)
    return value


def one_hot_pick(one_hot, values):
    """The item of ``values`` whose bit of ``one_hot`` is set: a balanced OR tree of ANDs,
    no index decode."""
    level = [Mux(bit, value.as_unsigned(), 0) for bit, value in zip(one_hot, values)]
    while len(level) > 1:
        level = [level[i] | level[i + 1] if i + 1 < len(level) else level[i]
                 for i in range(0, len(level), 2)]
    return level[0]


def tree_sum(terms):
    """Balanced adder tree of ``terms`` (Amaranth widens each sum by one bit)."""
    level = list(terms)
    while len(level) > 1:
        nxt = [level[i] + level[i + 1] for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]

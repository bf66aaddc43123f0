"""The node's on-chip network as the golden model sees it: point-to-point FIFO channels.

A *channel* joins one sending core to one receiving core, each named by ``(tile, core)``
(docs/semantics.md §7). It holds at most ``config.noc_fifo_depth`` words: ``send`` appends
while it has room, ``recv`` removes the oldest word while it is not empty. Words are never
dropped and never overtake each other. Because every channel has exactly one writer and one
reader and both block, the node is a Kahn process network: the final state does not depend on
timing (hop latencies, the order in which tiles are scheduled), which is what lets a
round-based golden model, the cycle-level RTL and a mix of both agree word for word.

The network is not timed here: a word is in the channel as soon as it is sent. What the
network costs is counted per ``send`` (:meth:`Network.count_send`): words, flits
(``config.noc_flits``) and flit-hops (flits x ``config.noc_hops``) by source tile.
"""

from __future__ import annotations

from collections import Counter, deque

__all__ = ["Network", "channel_name"]


def channel_name(key):
    """``'tile 0 core 1 -> tile 2 core 0'`` for a channel key."""
    st, sc, dt, dc = key
    return f"tile {st} core {sc} -> tile {dt} core {dc}"


class Network:
    """Channels and traffic counters of one node.

    Parameters
    ----------
    config : panther.config.PantherConfig

    Members
    -------
    channels : dict
        ``(src_tile, src_core, dst_tile, dst_core) -> collections.deque`` of raw words.
    traffic : collections.Counter
        ``(src_tile, dst_tile) -> [words, flits, flit_hops, sends]`` summed over the run.
    popped : collections.Counter
        Words removed from each channel so far (a co-simulation returns credits for them).
    """

    def __init__(self, *, config):
        self.config = config
        self.depth = config.noc_fifo_depth
        self.channels = {}
        self.traffic = {}
        self.popped = Counter()

    def _channel(self, key):
        chan = self.channels.get(key)
        if chan is None:
            chan = self.channels[key] = deque()
        return chan

    def room(self, key):
        """Words ``send`` may still append to channel ``key`` now."""
        return self.depth - len(self._channel(key))

    def queued(self, key):
        """Words waiting in channel ``key``."""
        chan = self.channels.get(key)
        return 0 if chan is None else len(chan)

    def push(self, key, words):
        """Append ``words`` (the caller checked :meth:`room`)."""
        chan = self._channel(key)
        if len(chan) + len(words) > self.depth:
            raise RuntimeError(f"channel {channel_name(key)} overflows")
        chan.extend(int(w) for w in words)

    def deliver(self, key, words):
        """Append ``words`` that a co-simulated sender had credits for (no room check: its
        credits already bound the channel)."""
        self._channel(key).extend(int(w) for w in words)

    def pop(self, key, n):
        """Remove and return the ``n`` oldest words (the caller checked :meth:`queued`)."""
        chan = self._channel(key)
        if n > len(chan):
            raise RuntimeError(f"channel {channel_name(key)} underflows")
        self.popped[key] += n
        return [chan.popleft() for _ in range(n)]

    def count_send(self, src_tile, dst_tile, words):
        """Count one retired ``send`` of ``words`` words; returns ``(flits, flit_hops)``."""
        flits = self.config.noc_flits(words)
        hops = flits * self.config.noc_hops(src_tile, dst_tile)
        entry = self.traffic.setdefault((src_tile, dst_tile), [0, 0, 0, 0])
        entry[0] += words
        entry[1] += flits
        entry[2] += hops
        entry[3] += 1
        return flits, hops

    @property
    def used(self):
        """True once any word was sent."""
        return bool(self.traffic) or any(self.channels.values())

    def snapshot(self):
        """JSON-ready dict: the words left in every channel (architectural state) and the
        traffic by (source tile, destination tile)."""
        totals = Counter()
        for words, flits, hops, sends in self.traffic.values():
            totals.update({"words": words, "flits": flits, "flit_hops": hops, "sends": sends})
        return {
            "channels": [{"src_tile": k[0], "src_core": k[1], "dst_tile": k[2], "dst_core": k[3],
                          "words": list(chan)}
                         for k, chan in sorted(self.channels.items()) if chan],
            "traffic": [{"src_tile": s, "dst_tile": d, "words": e[0], "flits": e[1],
                         "flit_hops": e[2], "sends": e[3]}
                        for (s, d), e in sorted(self.traffic.items())],
            **{name: totals[name] for name in ("words", "flits", "flit_hops", "sends")},
        }

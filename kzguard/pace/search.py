"""Which concurrency to try next, from the aggregate throughput measured at each.
Pure.

The aggregate throughput of shared storage as a function of the number of
transfers at once rises (each stream is capped by its own CPU: compression,
encryption), flattens where the storage saturates, and falls beyond it (seeks,
cache and CPU contention).  So it has one peak, and the search brackets it: the
best level measured, the nearest measured below and above it, and a probe
between them until no untried level is left that could do better.  A level ``c``
below the best cannot do better when even ``c`` streams at the fastest per-stream
rate seen would not reach the best: that bound spares most probes downwards.

For the same reason a stream is never faster beside more streams: one stream's
rate falls, or stays, as the level rises.  Figures that say otherwise are noise (a
loaded host stretches its commands by a random fraction of a second), and
:func:`non_increasing` pools them before the search reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# A level within this fraction of the best is as good, and the smallest such level
# is chosen: fewer streams cost less CPU and leave the storage room for others.
NEAR = 0.03
# The level the pace runs at stays the best while its figure is within this much
# of the NEAR line, on either side: two levels whose figures straddle the line
# (3 and 4 at 24.0-24.3 and 24.6-24.8G/s, a 500-zone stop on the faithful clock)
# otherwise trade places at each end that moves one of them by a few hundredths,
# each time a line in the log and the journal (twenty in that stop's last 400 s).
BAND = 0.01
# The most transfers at once kzguard ever chooses by itself: beyond 32 streams no
# shared storage of a Solaris host gains (docs/solaris.md 1.4), and the loss model
# makes the search above it pure cost.  A number in the policy may go higher.
MAX_AUTO = 32
# The search never probes fewer streams than this: one stream loses half the
# throughput of storage that two would saturate, two lose only a few per cent on
# storage that one saturates.  One is still chosen when measured best (a tail of
# the run at one stream leaves the figure in history.json).
MIN_PROBE = 2


# A level's figure: (aggregate bytes a second, the stream-seconds measured there).
Figure = tuple[float, float]
# The weight in non_increasing of a figure measured on no stream-seconds (a history
# entry whose seconds are missing or 0 reads so: journal/history.py).
_BARELY = 1e-9


def non_increasing(figures: Mapping[int, Figure]) -> dict[int, float]:
    """The aggregate at each level of ``figures``, each stream's rate (the aggregate
    over the level) made non-increasing in the level: where a level's stream read
    faster than a lower level's, the two are pooled into their mean rate, weighted
    by their stream-seconds, again until no level reads faster than one below it
    (the least-squares fit under that order: pool adjacent violators).

    Why: on the faithful clock a 500-zone resume read 12 at once at 51.7 GiB a
    second of real time beside 10 at 21.9, on storage that gives 38.6 at most, and
    climbed to 28 at once (docs/performance.md, "A stream is never faster beside
    more streams").  A level with no stream-seconds weighs as one barely
    measured."""
    order = sorted(figures)
    # Each block of pooled levels: (one stream's rate, their stream-seconds, levels).
    blocks: list[tuple[float, float, list[int]]] = []
    for level in order:
        aggregate, seconds = figures[level]
        block = (aggregate / level, max(seconds, _BARELY), [level])
        while blocks and blocks[-1][0] < block[0]:
            rate, weight, levels = blocks.pop()
            total = weight + block[1]
            block = ((rate * weight + block[0] * block[1]) / total, total, levels + block[2])
        blocks.append(block)
    return {level: rate * level for rate, _, levels in blocks for level in levels}


@dataclass(frozen=True)
class Step:
    """The next concurrency and why."""

    level: int
    settled: bool  # nothing left to try
    best: int  # the best level measured


def best_level(aggregates: Mapping[int, float], kept: int | None = None) -> int:
    """The smallest level within NEAR of the highest aggregate throughput; or
    ``kept``, the level run now, while the figures are within BAND of the NEAR
    line from making it so: a smaller level must come within NEAR - BAND of the
    top to replace it, and it must fall below NEAR + BAND of the top to lose its
    place to a larger one."""
    top = max(aggregates.values())
    best = min(level for level, value in aggregates.items() if value >= (1 - NEAR) * top)
    if kept is None or kept == best or kept not in aggregates:
        return best
    if kept > best:
        return best if aggregates[best] >= (1 - NEAR + BAND) * top else kept
    return kept if aggregates[kept] >= (1 - NEAR - BAND) * top else best


def next_step(
    aggregates: Mapping[int, float],
    *,
    cap: int = MAX_AUTO,
    gentle: bool = False,
    hold: bool = False,
    kept: int | None = None,
) -> Step:
    """The level to try next; ``aggregates``: bytes per second at each measured level
    (not empty); ``gentle``: while nothing below the best is measured, probe down
    gently even where more streams lost (the best is known, not a first guess);
    ``hold``: while nothing below the best is measured, probe no lower at all;
    ``kept``: the level run now (:func:`best_level`)."""
    best = best_level(aggregates, kept)
    below = [level for level in aggregates if level < best]
    above = [level for level in aggregates if level > best]
    low = max(below, default=0)
    # Fewer than this many streams cannot come within NEAR of the best, each at the
    # fastest per-stream rate seen below the best (the best's own rate would prove
    # nothing: it may be the saturated one).
    per_stream = max((aggregates[level] / level for level in below), default=0.0)
    enough = (1 - NEAR) * aggregates[best] / per_stream if per_stream > 0 else 0.0
    lower = [level for level in range(max(low + 1, MIN_PROBE), best) if level >= enough]
    if hold and not below:
        lower = []
    if lower:
        # Having gained from fewer streams, halve the way down; the first probe down
        # is gentle: below saturation whole streams are lost.
        halve = bool(above) and (bool(below) or not gentle)
        target = (best + low + 1) // 2 if halve else best - max(best // 8, 1)
        return Step(min(lower, key=lambda level: abs(level - target)), False, best)
    if not above:
        if best >= cap:
            return Step(best, True, best)
        return Step(min(best + max(best // 4, 1), cap), False, best)
    high = min(above)
    if high - best > 1:
        return Step((best + high) // 2, False, best)
    return Step(best, True, best)

"""Whether the transfers not yet begun would end after the rest: the stop's tail.
Pure.

Keeping pace with the largest suspend (pace/auto.py, the work) holds enough streams
while it runs; it does not see the next tier.  At a level the storage saturates,
the largest transfers may hold every slot, so a large one not yet begun waits for
the first of them to end, and then runs alone at one stream's speed while the
storage could serve several (10 zones on storage four streams saturate: a 13.1G
image began at 122 s instead of 57 s and ran alone from 182 s to 197 s, 1.14 of
the bound against 1.07 with one more stream at once; docs/performance.md, "A level
the ends cannot tell apart").  So the pace predicts the stop's remaining time at
its level and at one more, by running what is left through the rates it measured
(:func:`remaining_time`), and takes the one more when it ends the stop sooner by
a margin (pace/auto.py TAIL_GAIN): 1.079-1.087 of the bound in that case since
(docs/performance.md, "The stop's tail").

The prediction is a fluid one, as the simulator's storage is (docs/solaris.md 14):
the streams share what the level measured equally, and each transfer moves the
bytes its beginning expected.  Its errors are the rates' and the sizes' (a first
stop knows only its zones' memory); the margin is for them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

# A transfer within this many bytes of its end has ended (the fluid steps' rounding).
CRUMB = 1.0


def remaining_time(
    left: Sequence[float],
    pending: Sequence[float],
    level: int,
    aggregate: Callable[[int], float],
) -> float:
    """Seconds until every transfer has moved its bytes: ``left``, the bytes each
    transfer in flight still has to move; ``pending``, those not yet begun, in the
    order they begin; at most ``level`` at once (more already in flight run on, and
    none begins until fewer run); ``aggregate(n)``, the bytes a second n streams
    move between them, shared equally."""
    running = sorted(max(nbytes, 0.0) for nbytes in left)
    queue = list(reversed(pending))
    elapsed = 0.0
    while running or queue:
        while queue and len(running) < max(level, 1):
            running.append(max(queue.pop(), 0.0))
        running.sort()
        streams = len(running)
        rate = aggregate(streams) / streams
        if rate <= 0:
            return float("inf")
        step = running[0] / rate
        elapsed += step
        moved = step * rate
        running = [nbytes - moved for nbytes in running if nbytes - moved > CRUMB]
    return elapsed

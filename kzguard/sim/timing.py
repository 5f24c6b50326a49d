"""Fluid model of concurrent suspend-image transfers.  Pure functions, no clock.

Suspend compresses and encrypts the zone's memory (CPU-bound, so one suspend
cannot go faster than its own ``cap``) and writes it to storage shared by every
suspend in flight; resume reads it back, decrypts and decompresses it, sharing the
storage's read side with every other resume (docs/solaris.md 1.4: suspend "can
potentially use a significant amount of system resources").  So each transfer
belongs to a :class:`Storage` pool (writes or reads) and, at any instant, the
active transfers of a pool share its *aggregate*:

    aggregate(n) = bandwidth                                        for n <= saturation
    aggregate(n) = bandwidth * max(floor, 1 / (1 + loss * (n - saturation)))  beyond

max-min fairly (processor sharing with a per-job cap: a transfer capped below its
share leaves the rest to the others).  The loss beyond saturation stands for seeks,
cache and CPU contention between many streams; its shape and parameters are an
ASSUMPTION (docs/solaris.md 14), not a published fact, and so are the rates
themselves (docs/solaris.md 1.4, UNCONFIRMED): all are host settings.

Units are bytes and simulated seconds; callers convert to real time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Union

# Below this many bytes a transfer counts as finished: the float arithmetic of
# gigabyte-sized transfers leaves crumbs of that order.
EPSILON = 0.5
UNLIMITED = float("inf")


# NamedTuples, not dataclasses: every simulated command imports this module, and
# dataclasses (with inspect and ast behind it) was a fifth of a command's start-up.
class Flow(NamedTuple):
    """One transfer: bytes still to move, the most it can move per second alone,
    and the index of the storage pool it uses (0 unless several are given)."""

    remaining: float
    cap: float
    pool: int = 0


class Storage(NamedTuple):
    """One pool of shared storage: its ``bandwidth`` (bytes/s), the number of
    concurrent streams it serves without loss (``saturation``), the fraction of
    the aggregate lost per stream beyond that (``loss``) and the least fraction
    of the bandwidth it still delivers however many streams (``floor``)."""

    bandwidth: float
    saturation: float = UNLIMITED
    loss: float = 0.0
    floor: float = 0.0


Pools = Union[float, Storage, Sequence[Storage]]


def _pools(storage: Pools) -> tuple[Storage, ...]:
    if isinstance(storage, Storage):
        pools: tuple[Storage, ...] = (storage,)
    elif isinstance(storage, (int, float)):
        pools = (Storage(float(storage)),)
    else:
        pools = tuple(storage)
    for pool in pools:
        if pool.bandwidth <= 0:
            raise ValueError(f"storage bandwidth must be positive, not {pool.bandwidth}")
        if pool.saturation < 1:
            raise ValueError(f"storage saturation must be at least 1 stream, not {pool.saturation}")
        if pool.loss < 0:
            raise ValueError(f"storage loss must not be negative, not {pool.loss}")
        if not 0 <= pool.floor <= 1:
            raise ValueError(f"storage floor must be between 0 and 1, not {pool.floor}")
    return pools


def aggregate(storage: Storage, streams: int) -> float:
    """Bytes per second ``storage`` delivers in all to ``streams`` concurrent
    streams that each want more than their share (the formula above)."""
    beyond = streams - storage.saturation
    if beyond <= 0:
        return storage.bandwidth
    return storage.bandwidth * max(storage.floor, 1.0 / (1.0 + storage.loss * beyond))


def _check(flows: Sequence[Flow], storage: Pools) -> tuple[Storage, ...]:
    pools = _pools(storage)
    for flow in flows:
        if flow.cap <= 0:
            raise ValueError(f"transfer rate must be positive, not {flow.cap}")
        if not 0 <= flow.pool < len(pools):
            raise ValueError(f"transfer pool {flow.pool} does not exist ({len(pools)} pools)")
    return pools


def _share(caps: list[tuple[float, int]], total: float, speeds: list[float]) -> None:
    """Split ``total`` among the flows ``caps`` [(cap, index)] max-min fairly."""
    left = total
    ordered = sorted(caps)
    for position, (cap, index) in enumerate(ordered):
        speed = min(cap, left / (len(ordered) - position))
        speeds[index] = speed
        left -= speed


def _rates(flows: Sequence[Flow], pools: tuple[Storage, ...]) -> list[float]:
    speeds = [0.0 for _ in flows]
    for number, pool in enumerate(pools):
        caps = [
            (flow.cap, index)
            for index, flow in enumerate(flows)
            if flow.pool == number and flow.remaining > EPSILON
        ]
        if caps:
            _share(caps, aggregate(pool, len(caps)), speeds)
    return speeds


def rates(flows: Sequence[Flow], storage: Pools) -> list[float]:
    """Return each flow's current rate; finished flows get 0.  ``storage`` is one
    pool (a bandwidth or a :class:`Storage`) or a sequence indexed by Flow.pool."""
    return _rates(flows, _check(flows, storage))


def _step(
    remaining: list[float], flows: Sequence[Flow], pools: tuple[Storage, ...], limit: float
) -> float:
    """Move every active flow forward by up to ``limit`` seconds, stopping at the
    first completion; return the seconds used (0 when nothing is active)."""
    speeds = _rates([Flow(r, f.cap, f.pool) for r, f in zip(remaining, flows)], pools)
    active = [i for i, speed in enumerate(speeds) if speed > 0]
    if not active:
        return 0.0
    first = min(remaining[i] / speeds[i] for i in active)
    step = min(first, limit)
    for i in active:
        if remaining[i] / speeds[i] <= step:
            remaining[i] = 0.0
        else:
            remaining[i] -= speeds[i] * step
            if remaining[i] <= EPSILON:
                remaining[i] = 0.0
    return step


def advance(flows: Sequence[Flow], storage: Pools, seconds: float) -> list[float]:
    """Return the bytes each flow still has to move after ``seconds`` more seconds,
    the set of flows being fixed (flows that finish on the way free their share)."""
    pools = _check(flows, storage)
    remaining = [max(flow.remaining, 0.0) for flow in flows]
    left = max(seconds, 0.0)
    while left > 0:
        used = _step(remaining, flows, pools, left)
        if used == 0.0:
            break
        left -= used
    return remaining


def finish_times(flows: Sequence[Flow], storage: Pools) -> list[float]:
    """Return, for each flow, the seconds until it finishes if no flow is added.

    Arrivals only slow the others down, so this is a lower bound: a waiting
    process sleeps until then, looks again and sleeps again if needed.
    """
    pools = _check(flows, storage)
    remaining = [max(flow.remaining, 0.0) for flow in flows]
    done = [0.0 if r <= EPSILON else -1.0 for r in remaining]
    clock = 0.0
    while any(value < 0 for value in done):
        clock += _step(remaining, flows, pools, UNLIMITED)
        for i, value in enumerate(done):
            if value < 0 and remaining[i] <= EPSILON:
                done[i] = clock
    return done

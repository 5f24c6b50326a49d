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

from kzguard.sim.record import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Union

# Below this many bytes a transfer counts as finished: the float arithmetic of
# gigabyte-sized transfers leaves crumbs of that order.
EPSILON = 0.5
UNLIMITED = float("inf")


# Records (NamedTuples), not dataclasses: every simulated command imports this
# module, and dataclasses (with inspect and ast behind it) was a fifth of a
# command's start-up.
class Flow(Record):
    """One transfer: bytes still to move, the most it can move per second alone,
    and the index of the storage pool it uses (0 unless several are given)."""

    remaining: float
    cap: float
    pool: int = 0


class Storage(Record):
    """One pool of shared storage: its ``bandwidth`` (bytes/s), the number of
    concurrent streams it serves without loss (``saturation``), the fraction of
    the aggregate lost per stream beyond that (``loss``) and the least fraction
    of the bandwidth it still delivers however many streams (``floor``)."""

    bandwidth: float
    saturation: float = UNLIMITED
    loss: float = 0.0
    floor: float = 0.0


if TYPE_CHECKING:
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
    equal = total / len(caps)
    if min(cap for cap, _ in caps) >= equal:
        # The usual case (one rate per pool on a host): an equal share each, no sort;
        # every simulated command's wait computes this for every flow in flight.
        for _, index in caps:
            speeds[index] = equal
        return
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


def _uniform(
    flows: Sequence[Flow], pools: tuple[Storage, ...]
) -> list[tuple[Storage, float, list[int]]] | None:
    """Per pool with active flows, (pool, cap, their indices) when the active flows
    of every pool share one cap (the usual case: one rate per pool on a host); None
    otherwise."""
    groups = []
    for number, pool in enumerate(pools):
        indices = [i for i, f in enumerate(flows) if f.pool == number and f.remaining > EPSILON]
        if not indices:
            continue
        caps = {flows[i].cap for i in indices}
        if len(caps) != 1:
            return None
        groups.append((pool, caps.pop(), indices))
    return groups


def _speed(pool: Storage, cap: float, active: int) -> float:
    return min(cap, aggregate(pool, active) / active)


# With one cap per pool every active flow of a pool moves at the same speed, so they
# finish in the order of what they have left and each phase between two completions
# is one division: O(n log n) instead of the general loop's O(n^2), which every
# waiting zoneadm runs on every wake-up (500 flows: a second of CPU each time).


def _advance_uniform(
    flows: Sequence[Flow], groups: list[tuple[Storage, float, list[int]]], seconds: float
) -> list[float]:
    result = [max(flow.remaining, 0.0) for flow in flows]
    for pool, cap, indices in groups:
        order = sorted(indices, key=lambda i: flows[i].remaining)
        clock = moved = 0.0
        for position, index in enumerate(order):
            speed = _speed(pool, cap, len(order) - position)
            need = (flows[index].remaining - moved) / speed
            if clock + need > seconds:
                moved += (seconds - clock) * speed
                break
            clock += need
            moved = flows[index].remaining
        for index in indices:
            left = flows[index].remaining - moved
            result[index] = left if left > EPSILON else 0.0
    return result


def _finish_uniform(
    flows: Sequence[Flow], groups: list[tuple[Storage, float, list[int]]]
) -> list[float]:
    times = [0.0 for _ in flows]
    for pool, cap, indices in groups:
        order = sorted(indices, key=lambda i: flows[i].remaining)
        clock = moved = 0.0
        for position, index in enumerate(order):
            clock += (flows[index].remaining - moved) / _speed(pool, cap, len(order) - position)
            moved = flows[index].remaining
            times[index] = clock
    return times


def advance(flows: Sequence[Flow], storage: Pools, seconds: float) -> list[float]:
    """Return the bytes each flow still has to move after ``seconds`` more seconds,
    the set of flows being fixed (flows that finish on the way free their share)."""
    pools = _check(flows, storage)
    groups = _uniform(flows, pools)
    if groups is not None:
        return _advance_uniform(flows, groups, max(seconds, 0.0))
    return _advance_general(flows, pools, seconds)


def _advance_general(
    flows: Sequence[Flow], pools: tuple[Storage, ...], seconds: float
) -> list[float]:
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
    groups = _uniform(flows, pools)
    if groups is not None:
        return _finish_uniform(flows, groups)
    return _finish_general(flows, pools)


def _finish_general(flows: Sequence[Flow], pools: tuple[Storage, ...]) -> list[float]:
    remaining = [max(flow.remaining, 0.0) for flow in flows]
    done = [0.0 if r <= EPSILON else -1.0 for r in remaining]
    clock = 0.0
    while any(value < 0 for value in done):
        clock += _step(remaining, flows, pools, UNLIMITED)
        for i, value in enumerate(done):
            if value < 0 and remaining[i] <= EPSILON:
                done[i] = clock
    return done

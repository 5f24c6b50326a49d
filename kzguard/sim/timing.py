"""Fluid model of concurrent suspend-image transfers.  Pure functions, no clock.

Suspend compresses and encrypts the zone's memory (CPU-bound, so one suspend
cannot go faster than its own ``cap``) and writes it to storage shared by every
suspend and resume in flight (docs/solaris.md 1.4: suspend "can potentially use a
significant amount of system resources").  So at any instant each active transfer
moves ``min(cap, bandwidth / n_active)`` bytes per second: processor sharing with
a per-job cap.  No published figures exist (docs/solaris.md 1.4, UNCONFIRMED), so the
rates themselves are host settings.

Units are bytes and simulated seconds; callers convert to real time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

# Below this many bytes a transfer counts as finished: the float arithmetic of
# gigabyte-sized transfers leaves crumbs of that order.
EPSILON = 0.5


# A NamedTuple, not a dataclass: every simulated command imports this module, and
# dataclasses (with inspect and ast behind it) was a fifth of a command's start-up.
class Flow(NamedTuple):
    """One transfer: bytes still to move and the most it can move per second alone."""

    remaining: float
    cap: float


def _check(flows: Sequence[Flow], bandwidth: float) -> None:
    if bandwidth <= 0:
        raise ValueError(f"storage bandwidth must be positive, not {bandwidth}")
    for flow in flows:
        if flow.cap <= 0:
            raise ValueError(f"transfer rate must be positive, not {flow.cap}")


def rates(flows: Sequence[Flow], bandwidth: float) -> list[float]:
    """Return each flow's current rate; finished flows get 0."""
    _check(flows, bandwidth)
    active = sum(1 for flow in flows if flow.remaining > EPSILON)
    if not active:
        return [0.0 for _ in flows]
    share = bandwidth / active
    return [min(flow.cap, share) if flow.remaining > EPSILON else 0.0 for flow in flows]


def _step(remaining: list[float], caps: Sequence[float], bandwidth: float, limit: float) -> float:
    """Move every active flow forward by up to ``limit`` seconds, stopping at the
    first completion; return the seconds used (0 when nothing is active)."""
    speeds = rates([Flow(r, c) for r, c in zip(remaining, caps)], bandwidth)
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


def advance(flows: Sequence[Flow], bandwidth: float, seconds: float) -> list[float]:
    """Return the bytes each flow still has to move after ``seconds`` more seconds,
    the set of flows being fixed (flows that finish on the way free their share)."""
    _check(flows, bandwidth)
    remaining = [max(flow.remaining, 0.0) for flow in flows]
    caps = [flow.cap for flow in flows]
    left = max(seconds, 0.0)
    while left > 0:
        used = _step(remaining, caps, bandwidth, left)
        if used == 0.0:
            break
        left -= used
    return remaining


def finish_times(flows: Sequence[Flow], bandwidth: float) -> list[float]:
    """Return, for each flow, the seconds until it finishes if no flow is added.

    Arrivals only slow the others down, so this is a lower bound: a waiting
    process sleeps until then, looks again and sleeps again if needed.
    """
    _check(flows, bandwidth)
    remaining = [max(flow.remaining, 0.0) for flow in flows]
    caps = [flow.cap for flow in flows]
    done = [0.0 if r <= EPSILON else -1.0 for r in remaining]
    clock = 0.0
    while any(value < 0 for value in done):
        clock += _step(remaining, caps, bandwidth, float("inf"))
        for i, value in enumerate(done):
            if value < 0 and remaining[i] <= EPSILON:
                done[i] = clock
    return done

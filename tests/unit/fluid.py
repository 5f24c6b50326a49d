"""A pure event simulation of transfers on shared storage, for the pace tests.

The storage is the simulator's (kzguard/sim/timing.py, docs/solaris.md 14): each
stream moves at most ``stream`` bytes per second (its own CPU), the storage at most
``streams * stream`` in all (it saturates at ``streams`` streams), losing ``loss``
of that per stream beyond saturation, down to ``floor`` of it.  Each transfer first
spends ``overhead`` seconds holding its slot without moving bytes (the command's
own start, kzguard/sim/storage.py op_overhead).  The transfers start largest
first, as the stop plan orders its suspends, unless given another order; given one
(a resume's), those not yet begun are ordered again as the start method orders them
when the pace's ``order_for`` changes (start/run.py StartRun._reordered).

A :class:`Survey` stands for the start method's reading of the configurations beside
its first resumes (kzguard/solaris/survey.py): until it ends, each transfer that
begins holds its slot ``extra`` seconds longer (the survey's commands compete for
the host), and each transfer is reported measured or not by the start method's
rule (kzguard/solaris/survey.py clear_of_survey), or always measured (``rule`` False).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from kzguard.pace.auto import AutoPace
from kzguard.pace.limit import Pace
from kzguard.sim import timing
from kzguard.solaris.survey import clear_of_survey
from kzguard.start.order import size_order

G = 1 << 30
MIXED_GIB = (2, 4, 4, 8, 8, 16, 16, 32, 64)


def mixed_sizes(count: int, seed: int = 13) -> list[int]:
    generator = random.Random(seed * 1000 + count)  # noqa: S311 (sizes, not secrets)
    return [generator.choice(MIXED_GIB) * G for _ in range(count)]


@dataclass(frozen=True)
class Storage:
    streams: int  # where it saturates
    stream: float = 1.0 * G  # bytes per second of one stream alone
    loss: float = 0.03
    floor: float = 0.5
    overhead: float = 2.0

    def aggregate(self, count: int) -> float:
        pool = timing.Storage(self.streams * self.stream, self.streams, self.loss, self.floor)
        return min(count * self.stream, timing.aggregate(pool, count))

    def bound(self, sizes: Sequence[int]) -> float:
        """No schedule is faster: the longest alone, or every byte at the full
        bandwidth, plus one transfer's overhead."""
        moving = max(max(sizes) / self.stream, sum(sizes) / (self.streams * self.stream))
        return moving + self.overhead


@dataclass(frozen=True)
class Survey:
    ends: float  # seconds after the first transfer's start
    extra: float  # what a transfer begun before then holds its slot longer
    rule: bool = True  # report the transfers as the start method does


NO_SURVEY = Survey(0.0, 0.0)


def limit(pace: Pace, at: float) -> int:
    """The pace's limit at ``at``, where it takes the time (the auto pace does)."""
    return pace.limit(at) if isinstance(pace, AutoPace) else pace.limit()


def wake(pace: Pace, at: float) -> float | None:
    return pace.wake(at) if isinstance(pace, AutoPace) else None


def makespan(
    pace: Pace,
    sizes: Sequence[int],
    storage: Storage,
    order: Sequence[int] | None = None,
    survey: Survey = NO_SURVEY,
    *,
    estimates: Sequence[int] | None = None,
    window: float | None = None,
    jitter: float = 0.0,
    seed: int = 0,
    crowd: float = 0.0,
) -> float:
    """When the last transfer ends; they start in ``order`` (indexes into ``sizes``),
    by default largest first, as the stop plan orders its suspends.  The pace is
    told ``estimates`` (by index) at each beginning when given, else the sizes, and
    the size at each end; and, every ``window`` seconds while it wants them, the
    bytes moved in the window (kzguard/pace/watch.py's zpool iostat).  ``jitter``:
    each transfer holds its slot up to that many seconds longer, uniformly at
    random (``seed``): a command's start-up and end as a loaded host stretches them.
    ``crowd``: each transfer holds its slot that many seconds longer for every other
    transfer in flight when it begins: its command's start-up on a host whose CPUs
    the others' commands share (the simulator's on two CPUs, docs/performance.md
    "A crowded host")."""
    spread = random.Random(seed)  # noqa: S311 (a model's noise, not secrets)
    named = [(size, f"kz{index}") for index, size in enumerate(sizes)]
    told = {
        name: size if estimates is None else estimates[i] for i, (size, name) in enumerate(named)
    }
    waiting = sorted(named, reverse=True) if order is None else [named[i] for i in order]
    ordered_for = pace.order_for()
    starting: dict[str, float] = {}  # zone -> overhead seconds left
    remaining: dict[str, float] = {}  # zone -> bytes left
    sized = {name: size for size, name in waiting}
    began: dict[str, float] = {}
    clock = 0.0
    window_start, window_bytes = 0.0, 0.0
    while waiting or starting or remaining:
        while waiting and len(starting) + len(remaining) < limit(pace, clock):
            _, name = waiting.pop(0)
            starting[name] = storage.overhead + (survey.extra if clock < survey.ends else 0.0)
            starting[name] += crowd * (len(starting) - 1 + len(remaining))
            if jitter:
                starting[name] += spread.uniform(0.0, jitter)
            began[name] = clock
            pace.began(name, told[name], clock)
        rate = storage.aggregate(len(remaining)) / len(remaining) if remaining else 0.0
        moving = min(((left / rate, name) for name, left in remaining.items()), default=None)
        ready = min(((left, name) for name, left in starting.items()), default=None)
        step = min(event[0] for event in (moving, ready) if event is not None)
        due = wake(pace, clock)
        if waiting and due is not None and clock < due < clock + step:
            # The pace's next prediction falls first: advance to it and ask again.
            step = due - clock
            ready = moving = None
        if window is not None and window_start + window < clock + step:
            step = window_start + window - clock
            ready = moving = None
        clock += step
        window_bytes += rate * len(remaining) * step
        if window is not None and clock >= window_start + window - 1e-9:
            if pace.wants_samples():
                pace.sampled(window_start, clock, window_bytes)
            window_start, window_bytes = clock, 0.0
        for zone in remaining:
            remaining[zone] -= rate * step
        for zone in starting:
            starting[zone] -= step
        if ready is None and moving is None:
            continue
        if ready is not None and ready[0] <= step:
            del starting[ready[1]]
            remaining[ready[1]] = float(sized[ready[1]])
        elif moving is not None:
            del remaining[moving[1]]
            ended = None if clock < survey.ends else survey.ends
            measured = not survey.rule or clear_of_survey(began[moving[1]], clock, ended)
            pace.ended(moving[1], clock, ok=True, measured=measured, nbytes=sized[moving[1]])
            if order is not None and pace.order_for() != ordered_for:
                ordered_for = pace.order_for()
                busy = [sized[name] for name in (*starting, *remaining)]
                names = size_order({name: size for size, name in waiting}, ordered_for, busy)
                waiting = [(sized[name], name) for name in names]
    return clock

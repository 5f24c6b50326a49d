"""A suspend given back during a stop: the mirror of a suspend given up.  Pure.

The plan fits the stop to its deadline on predictions (stop/plan.py _fit_budget):
where nothing was measured, on ``shutdown.assumed_rate``, a guess that a host's
storage may beat many times over.  A zone whose suspend the fit took keeps the
chain it took it from (``ZonePlan.chain_if_fits``), and the stop method
(stop/run.py) judges it again when its turn comes, at the median rate of the
suspends this stop has measured so far: it is suspended after all when its own
suspend ends inside the budget with its shutdown's time to spare, and when
everything else left still ends inside it, by the list-scheduling bound (Graham:
the slot-seconds left over the slots, plus the longest piece of work).  The bound
keeps the zones the plan does suspend from being pushed past the budget by one it
did not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from kzguard.policy.model import Action
from kzguard.stop.plan import HostRate, ZonePlan, typical_seconds
from kzguard.units import format_elapsed, format_size


@dataclass(frozen=True)
class Backlog:
    """The work a stop has left at one moment, in slot-seconds: its sum and its
    longest piece, at this stop's measured memory ``rate``."""

    rate: float  # bytes of memory a second, the median of this stop's suspends
    count: int  # the suspends that median is of
    total: float = 0.0
    longest: float = 0.0

    def plus(self, seconds: float) -> Backlog:
        return replace(self, total=self.total + seconds, longest=max(self.longest, seconds))

    def without(self, seconds: float) -> Backlog:
        """Less one piece counted in it (its longest is kept: the bound stays safe)."""
        return replace(self, total=max(self.total - seconds, 0.0))

    def bound(self, slots: int) -> float:
        """Seconds until all of it is done on ``slots`` slots, at the most."""
        return self.total / slots + self.longest * (1 - 1 / slots)


def predicted(zone_plan: ZonePlan, step: Action, rate: float) -> float:
    """The seconds ``step`` of the zone is expected to take: its suspend at
    ``rate``, its planned first step as planned, a fallback as the plan predicts
    one (bounded by its timeout)."""
    if step is Action.SUSPEND:
        return zone_plan.memory / rate if zone_plan.memory else zone_plan.expected
    if step is zone_plan.steps[0]:
        return zone_plan.expected
    return typical_seconds(step, zone_plan.timeouts[zone_plan.steps.index(step)])


def waiting_work(zone_plan: ZonePlan, rate: float) -> float:
    """The slot-seconds a zone not begun will take; 0 for a halt, which takes no
    slot (and a halt whose suspend the fit took waits without one until it is
    suspended: then it is added)."""
    if zone_plan.steps[0] is Action.HALT:
        return 0.0
    planned = predicted(zone_plan, zone_plan.steps[0], rate)
    if zone_plan.chain_if_fits:
        # Judged in its turn as this one is: suspended where that is quicker.
        return min(planned, predicted(zone_plan, Action.SUSPEND, rate))
    return planned


def backlog(
    measured: HostRate,
    in_flight: Iterable[tuple[ZonePlan, Action, float]],
    waiting: Iterable[ZonePlan],
) -> Backlog:
    """The work left at this stop's ``measured`` rate: each zone in flight (its
    plan, the step it runs, and the seconds that step has run) for what its step
    has left, each zone ``waiting`` to begin for all of it."""
    rate = measured.rate
    work = Backlog(rate, measured.suspends)
    for zone_plan, step, ran in in_flight:
        work = work.plus(max(predicted(zone_plan, step, rate) - ran, 0.0))
    for zone_plan in waiting:
        seconds = waiting_work(zone_plan, rate)
        if seconds:
            work = work.plus(seconds)
    return work


def fits_alone(zone_plan: ZonePlan, rate: float, left: float) -> bool:
    """Whether the zone's suspend at ``rate``, and its shutdown's time after it
    where its chain has one, end inside the ``left`` seconds of the budget: with
    less time left it never will (its turn only comes later)."""
    if not zone_plan.memory or not zone_plan.chain_if_fits:
        return False
    return zone_plan.memory / rate + _spare(zone_plan) <= left


def _spare(zone_plan: ZonePlan) -> float:
    """The time kept after its suspend for its shutdown to end in the budget."""
    steps, timeouts = zip(*zone_plan.chain_if_fits)
    return typical_seconds(steps[1], timeouts[1]) if steps[1:2] == (Action.SHUTDOWN,) else 0.0


def promoted(
    zone_plan: ZonePlan, work: Backlog, *, left: float, slots: int
) -> tuple[ZonePlan, str] | None:
    """``zone_plan`` walking the chain its suspend was taken from, its suspend
    given until its shutdown's time before the budget's end, and why in words; or
    None where its suspend, or the ``work`` left beside it (which counts it where
    it waits to begin), does not end inside the ``left`` seconds of the budget."""
    if not zone_plan.memory or not fits_alone(zone_plan, work.rate, left):
        return None
    own = zone_plan.memory / work.rate
    steps, timeouts = zip(*zone_plan.chain_if_fits)
    # Its suspend is given up in time for its shutdown to end in the budget.
    spare = _spare(zone_plan)
    bound = work.without(waiting_work(zone_plan, work.rate)).plus(own).bound(slots)
    if bound > left:
        return None
    rate = format_size(int(work.rate))
    why = (
        f"{work.count} suspend(s) of this stop ran at {rate}/s: expected "
        f"{format_elapsed(own)}, all left done within {format_elapsed(bound)} of the "
        f"{format_elapsed(left)} left"
    )
    given = replace(
        zone_plan,
        steps=steps,
        timeouts=(min(timeouts[0], left - spare), *timeouts[1:]),
        expected=own,
        basis=f"{format_size(zone_plan.memory)} at {rate}/s, {work.count} suspend(s) of this stop",
        note="",
        chain_if_fits=(),
    )
    return given, why

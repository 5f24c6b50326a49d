"""What a stop did: one outcome per zone, and kzguard's own failures.  Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Union

from kzguard.journal.records import StopOutcome, ZoneState
from kzguard.pace.limit import PoolSample, PoolsLost
from kzguard.units import format_duration

if TYPE_CHECKING:
    from kzguard.solaris.survey import ConfigRead


@dataclass(frozen=True)
class WentDown:
    """A zone's step returned a success: the zone is down, so its slot is free and
    the zones that wait for it may go, before its journal write and its outcome."""

    name: str


class Interrupted:
    """SIGINT or SIGTERM arrived (stop/interrupt.py): wakes the scheduler, which then
    winds the run down (the signal is StopRun.interrupted).  A plain class: a
    dataclass costs the stop path's import 0.4 ms."""

    __slots__ = ()


# What the zones' workers (the signal relay, the pool watch, the survey) hand the
# scheduler.
Event = Union[StopOutcome, WentDown, Interrupted, PoolSample, PoolsLost, "ConfigRead"]


@dataclass
class StopReport:
    outcomes: list[StopOutcome] = field(default_factory=list)
    elapsed: float = 0.0
    # kzguard's own failures (a missing zoneadm, an unwritable journal): these, and
    # never a zone's failure, make the stop method exit SMF_EXIT_ERR_FATAL.
    own_failures: list[str] = field(default_factory=list)
    # The signal (SIGINT, SIGTERM) that interrupted the stop (stop/interrupt.py).
    interrupted: int | None = None
    # Zones whose suspend was killed at its timeout: the timeout, seconds (history.json
    # keeps it for the zones not found suspended after: stop/plan.py).
    suspends_timed_out: dict[str, float] = field(default_factory=dict)

    def count(self, state: ZoneState) -> int:
        return sum(1 for outcome in self.outcomes if outcome.result is state)

    @property
    def errors(self) -> int:
        """Zones lost or left running (``kzguard stop`` exits 1 for them)."""
        return sum(1 for outcome in self.outcomes if outcome.result.is_error)

    def names(self, state: ZoneState) -> list[str]:
        return [outcome.name for outcome in self.outcomes if outcome.result is state]

    def summary(self) -> str:
        parts = [
            f"{self.count(ZoneState.SUSPENDED)} suspended",
            f"{self.count(ZoneState.SHUT_DOWN)} shut down",
            f"{self.count(ZoneState.HALTED)} halted",
            f"{self.count(ZoneState.LOST)} lost",
            f"{self.count(ZoneState.FAILED)} failed",
        ]
        if self.count(ZoneState.LEFT_ALONE):  # migrating or in the debugger (issue 11)
            parts.append(f"{self.count(ZoneState.LEFT_ALONE)} left alone")
        return f"stop done in {format_duration(self.elapsed)}: " + ", ".join(parts)

"""What a start did: one outcome per zone, and kzguard's own failures.  Pure."""

from __future__ import annotations

from dataclasses import dataclass, field

from kzguard.journal.records import Severity, StartOutcome
from kzguard.units import format_duration


@dataclass
class StartReport:
    outcomes: list[StartOutcome] = field(default_factory=list)
    elapsed: float = 0.0
    own_failures: list[str] = field(default_factory=list)
    # The zones the policy manages, decided from the configurations read for the
    # plan (None: never read): the start method's later steps use them rather
    # than read every zone's configuration again.
    managed: tuple[str, ...] | None = None

    def count(self, severity: Severity) -> int:
        return sum(1 for outcome in self.outcomes if outcome.severity is severity)

    def summary(self) -> str:
        return (
            f"start done in {format_duration(self.elapsed)}: {self.count(Severity.OK)} preserved, "
            f"{self.count(Severity.LOST)} lost, {self.count(Severity.ERROR)} failed, "
            f"{self.count(Severity.LEFT)} left alone"
        )

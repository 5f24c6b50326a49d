"""The pace of a path from the policy's ``parallel`` and what earlier cycles
learned, and that choice as a value for plans, the journal and status.  Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

from kzguard.journal.history import PaceSample
from kzguard.journal.pace_record import PaceRecord, kept_changes
from kzguard.pace.auto import AutoPace
from kzguard.pace.limit import FixedPace, Pace
from kzguard.policy.model import AUTO, Parallel

SUSPEND = "suspend"
RESUME = "resume"

AnyPace = Union[FixedPace, AutoPace]


@dataclass(frozen=True)
class PaceDecision:
    """How many transfers of one path run at once, decided before the run."""

    kind: str  # SUSPEND or RESUME
    setting: Parallel  # the policy's parallel: AUTO or a number
    start: int  # transfers at once to begin with
    why: str  # one line, from the pace
    # The bytes each transfer was expected to move, for an auto pace of suspends
    # (pace/auto.py): the executor's pace starts from the same.  None: not known
    # (resumes); empty: no transfer planned.
    work: tuple[int, ...] | None = field(default=None, compare=False, repr=False)
    # How many at once the plan's schedule counts on where that is not ``start``:
    # a first stop's ramp begins below the number it is planned at (AutoPace.planned).
    beyond_start: int | None = None

    @property
    def planned(self) -> int:
        """How many at once the plan's schedule counts on (stop/plan.py)."""
        return self.start if self.beyond_start is None else self.beyond_start

    @property
    def auto(self) -> bool:
        return self.setting == AUTO

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"parallel": self.setting, "start": self.start, "why": self.why}
        if self.beyond_start is not None:
            data["planned"] = self.beyond_start
        return data

    def line(self) -> str:
        """The pace's own line, saying when it is ``parallel = "auto"``, and the
        number the plan counts on where it begins below it."""
        line = self.why
        if self.beyond_start is not None:
            line += f"; planned at {self.beyond_start}"
        return f'{line} (parallel = "auto")' if self.auto else line

    def record(self, pace: Pace | None = None, *, began: float = 0.0) -> PaceRecord:
        """The journal's record: the decision, and with the ``pace`` that ran, the
        most transfers it had in flight at once (when it counts them), its last
        word and its changes of level, timed from ``began`` (the method's start, on
        the executor's clock)."""
        if pace is None:
            return PaceRecord(self.setting, self.start, self.why)
        peak = pace.peak if isinstance(pace, (FixedPace, AutoPace)) else None
        changes = kept_changes([change.since(began) for change in pace.level_changes()])
        last = pace.last_word() if isinstance(pace, AutoPace) else pace.why()
        return PaceRecord(self.setting, self.start, self.why, peak, last, changes)


def pace_for(
    parallel: Parallel,
    learned: Mapping[str, Sequence[PaceSample]],
    kind: str,
    work: Sequence[int] | None = None,
) -> AnyPace:
    """A fixed pace for a number, an auto pace that starts from what ``learned``
    holds for ``kind`` and from ``work`` (pace/auto.py; None: not known) for
    "auto"; the stop method reads the pools' bandwidth while its suspends run
    (stop/path.py), for the ramp of a first stop."""
    if parallel == AUTO:
        # A first resume reads how far the suspends went (pace/auto.py's description).
        writes = learned.get(SUSPEND, ()) if kind == RESUME else ()
        return AutoPace(
            kind, learned.get(kind, ()), work=work, pools=kind == SUSPEND, writes=writes
        )
    return FixedPace(int(parallel))


def decide_pace(
    parallel: Parallel,
    learned: Mapping[str, Sequence[PaceSample]],
    kind: str,
    work: Sequence[int] | None = None,
) -> PaceDecision:
    pace = pace_for(parallel, learned, kind, work)
    expected = None if work is None else tuple(work)
    start = pace.limit()
    beyond = None if pace.planned == start else pace.planned
    return PaceDecision(kind, parallel, start, pace.why(), expected, beyond)

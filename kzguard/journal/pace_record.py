"""How many transfers ran at once in one run, as journal.json records it (the stop
cycle's and the start record's "pace").  Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kzguard.journal.records import _integer, _number, _text
from kzguard.units import format_elapsed

# The level changes a record keeps: a search settles within a few dozen (in
# bench/stop_pace.py's and bench/resume_pace.py's fluid replays, 10 to 500 zones, a
# stop changed level at most 5 times and a resume 18); past this many the first
# ones and the latest are kept, so that the record still ends on the level the run
# ended at.
MAX_LEVEL_CHANGES = 100


@dataclass(frozen=True)
class LevelChange:
    """An auto pace moved to ``level`` at once, ``at`` seconds after its method
    began, for ``why`` (the pace's reason then, one line)."""

    at: float
    level: int
    why: str

    def to_json(self) -> dict[str, Any]:
        return {"at": round(self.at, 3), "level": self.level, "why": self.why}

    def since(self, began: float) -> LevelChange:
        """The same change timed from ``began`` (on the same clock)."""
        return LevelChange(self.at - began, self.level, self.why)

    @classmethod
    def from_json(cls, data: Any) -> LevelChange | None:
        if not isinstance(data, dict):
            return None
        at, level = _number(data.get("at")), _integer(data.get("level"))
        if at is None or level is None:
            return None
        return cls(at, level, _text(data.get("why")) or "")


@dataclass(frozen=True)
class PaceRecord:
    """How many transfers (suspends, resume boots) ran at once in one run: the
    policy's ``parallel``, where the pace began and why, and once the run is over
    the most that were in flight together, the pace's last word and each change of
    level on the way (an auto pace's)."""

    parallel: int | str  # a number, or "auto"
    start: int
    why: str
    peak: int | None = None  # None: the run has not ended (or was killed)
    end: str | None = None
    levels: tuple[LevelChange, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"parallel": self.parallel, "start": self.start, "why": self.why}
        if self.peak is not None:
            data.update(peak=self.peak, end=self.end)
        if self.levels:
            data["levels"] = [change.to_json() for change in self.levels]
        return data

    @classmethod
    def from_json(cls, data: Any) -> PaceRecord | None:
        """None for anything that is not a pace record (a journal before issue 13)."""
        if not isinstance(data, dict):
            return None
        number = _integer(data.get("parallel"))
        setting: int | str | None = "auto" if data.get("parallel") == "auto" else number
        start = _integer(data.get("start"))
        if start is None or setting is None:
            return None
        found = data.get("levels")
        changes = (
            [LevelChange.from_json(entry) for entry in found] if isinstance(found, list) else []
        )
        return cls(
            parallel=setting,
            start=start,
            why=_text(data.get("why")) or "",
            peak=_integer(data.get("peak")),
            end=_text(data.get("end")),
            levels=tuple(change for change in changes if change is not None),
        )

    def line(self) -> str:
        """``parallel = "auto": began 8 at once (...), at most 6 at once; 6 at once: ...``"""
        setting = '"auto"' if self.parallel == "auto" else str(self.parallel)
        text = f"parallel = {setting}: began {self.start} at once ({self.why})"
        if self.peak is None:
            return text
        return f"{text}; at most {self.peak} at once" + (f"; then {self.end}" if self.end else "")

    def timeline(self) -> str:
        """``8 at once, 6 from 41.2s, 5 from 1m12s``: the levels in the order they
        ran, each from when (since the method began); empty without a change."""
        if not self.levels:
            return ""
        steps = [f"{change.level} from {format_elapsed(change.at)}" for change in self.levels]
        return ", ".join([f"{self.start} at once", *steps])


def kept_changes(changes: Sequence[LevelChange]) -> tuple[LevelChange, ...]:
    """At most MAX_LEVEL_CHANGES: the first ones and the latest."""
    if len(changes) <= MAX_LEVEL_CHANGES:
        return tuple(changes)
    return (*changes[: MAX_LEVEL_CHANGES - 1], changes[-1])

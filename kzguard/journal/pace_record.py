"""How many transfers ran at once in one run, as journal.json records it (the stop
cycle's and the start record's "pace").  Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kzguard.journal.records import _integer, _text


@dataclass(frozen=True)
class PaceRecord:
    """How many transfers (suspends, resume boots) ran at once in one run: the
    policy's ``parallel``, where the pace began and why, and once the run is over
    the most that were in flight together and the pace's last word."""

    parallel: int | str  # a number, or "auto"
    start: int
    why: str
    peak: int | None = None  # None: the run has not ended (or was killed)
    end: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"parallel": self.parallel, "start": self.start, "why": self.why}
        if self.peak is not None:
            data.update(peak=self.peak, end=self.end)
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
        return cls(
            parallel=setting,
            start=start,
            why=_text(data.get("why")) or "",
            peak=_integer(data.get("peak")),
            end=_text(data.get("end")),
        )

    def line(self) -> str:
        """``parallel = "auto": began 8 at once (...), at most 6 at once; 6 at once: ...``"""
        setting = '"auto"' if self.parallel == "auto" else str(self.parallel)
        text = f"parallel = {setting}: began {self.start} at once ({self.why})"
        if self.peak is None:
            return text
        return f"{text}; at most {self.peak} at once" + (f"; then {self.end}" if self.end else "")

"""Past suspend durations per zone (history.json), bounded, for the stop plan's
predictions.  Pure: the store reads and writes the file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kzguard.journal.records import JOURNAL_FORMAT, _integer, _number

# Bounds of history.json: enough runs per zone for a median, and a cap on zones so
# that a host that churned through thousands of zone names cannot grow it forever.
HISTORY_RUNS = 10
HISTORY_ZONES = 2000


@dataclass(frozen=True)
class PastRun:
    """One earlier suspend of a zone."""

    seconds: float
    memory: int | None = None  # capped-memory physical at the time, bytes
    image_bytes: int | None = None
    when: float = 0.0  # epoch seconds


History = Mapping[str, Sequence[PastRun]]


def history_from_json(document: Mapping[str, Any] | None) -> dict[str, list[PastRun]]:
    """Past suspends per zone, oldest first; what is not a suspend is left out."""
    history: dict[str, list[PastRun]] = {}
    zones = (document or {}).get("zones", {})
    if not isinstance(zones, dict):
        return history
    for name, runs in zones.items():
        if not isinstance(runs, list):
            continue
        history[name] = [
            PastRun(
                seconds=float(run["seconds"]),
                memory=_integer(run.get("memory")),
                image_bytes=_integer(run.get("image_bytes")),
                when=float(_number(run.get("when")) or 0.0),
            )
            for run in runs
            if isinstance(run, dict) and _number(run.get("seconds")) is not None
        ]
    return history


def history_to_json(history: History, *, now: float) -> dict[str, Any]:
    """history.json: the last HISTORY_RUNS runs of the HISTORY_ZONES most recently
    seen zones."""

    def last_seen(item: tuple[str, Sequence[PastRun]]) -> float:
        return max((run.when for run in item[1]), default=0.0)

    recent = sorted(history.items(), key=last_seen, reverse=True)[:HISTORY_ZONES]
    return {
        "format": JOURNAL_FORMAT,
        "updated": round(now, 3),
        "zones": {
            name: [
                {
                    "seconds": round(run.seconds, 3),
                    "memory": run.memory,
                    "image_bytes": run.image_bytes,
                    "when": round(run.when, 3),
                }
                for run in runs[-HISTORY_RUNS:]
            ]
            for name, runs in recent
        },
    }

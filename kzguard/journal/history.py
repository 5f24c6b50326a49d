"""Past suspend durations per zone (history.json), bounded, for the stop plan's
predictions, and the aggregate throughput per concurrency that ``parallel =
"auto"`` measured on each path.  Pure: the store reads and writes the file.
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
    # Killed at its timeout (``seconds``), the zone not found suspended after: how
    # long a suspend of it takes is only known to be more (stop/plan.py).
    timed_out: bool = False


History = Mapping[str, Sequence[PastRun]]


@dataclass(frozen=True)
class PaceSample:
    """The aggregate throughput one path (suspend or resume) got at one concurrency
    (``parallel = "auto"``, :mod:`kzguard.pace.auto`)."""

    concurrency: int
    bytes_per_second: float
    seconds: float  # stream-seconds of finished transfers behind the figure
    when: float  # epoch seconds of the cycle that measured it


# Per path (PACE_PATHS), what ``parallel = "auto"`` measured.
Learned = Mapping[str, Sequence[PaceSample]]
PACE_PATHS = ("suspend", "resume")
# A figure older than this says little about today's storage and is dropped.
PACE_MAX_AGE = 180 * 86400.0
# Concurrencies kept per path: every one the auto pace may try (MAX_AUTO) and the
# policy's numbers beyond it, within reason.
PACE_LEVELS = 64


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
                timed_out=run.get("timed_out") is True,
            )
            for run in runs
            if isinstance(run, dict) and _number(run.get("seconds")) is not None
        ]
    return history


def last_images(history: History) -> dict[str, int]:
    """Per zone, the size of the image its latest suspend wrote, where recorded: the
    image a resume after it reads."""
    latest = {name: runs[-1].image_bytes for name, runs in history.items() if runs}
    return {name: size for name, size in latest.items() if size}


def learned_from_json(document: Mapping[str, Any] | None) -> dict[str, list[PaceSample]]:
    """What the auto pace measured, per path, fewest streams first; a history.json
    written before it ("pace" absent) or a malformed entry yields nothing."""
    learned: dict[str, list[PaceSample]] = {}
    paths = (document or {}).get("pace", {})
    if not isinstance(paths, dict):
        return learned
    for path in PACE_PATHS:
        entries = paths.get(path)
        if not isinstance(entries, list):
            continue
        samples = {}
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            concurrency = _integer(entry.get("concurrency"))
            rate = _number(entry.get("bytes_per_second"))
            if concurrency is None or concurrency < 1 or rate is None or rate <= 0:
                continue
            samples[concurrency] = PaceSample(
                concurrency,
                float(rate),
                float(_number(entry.get("seconds")) or 0.0),
                float(_number(entry.get("when")) or 0.0),
            )
        learned[path] = [samples[level] for level in sorted(samples)]
    return learned


def learned_to_json(learned: Learned, *, now: float) -> dict[str, Any]:
    """The "pace" object of history.json: per path, the PACE_LEVELS most recent
    figures younger than PACE_MAX_AGE."""
    document: dict[str, Any] = {}
    for path in PACE_PATHS:
        recent = [sample for sample in learned.get(path, ()) if now - sample.when <= PACE_MAX_AGE]
        recent = sorted(recent, key=lambda sample: sample.when, reverse=True)[:PACE_LEVELS]
        if recent:
            document[path] = [
                {
                    "concurrency": sample.concurrency,
                    "bytes_per_second": round(sample.bytes_per_second, 1),
                    "seconds": round(sample.seconds, 3),
                    "when": round(sample.when, 3),
                }
                for sample in sorted(recent, key=lambda sample: sample.concurrency)
            ]
    return document


def history_to_json(
    history: History, *, now: float, learned: Learned | None = None
) -> dict[str, Any]:
    """history.json: the last HISTORY_RUNS runs of the HISTORY_ZONES most recently
    seen zones, and what the auto pace measured (``learned``, :func:`learned_to_json`)."""

    def last_seen(item: tuple[str, Sequence[PastRun]]) -> float:
        return max((run.when for run in item[1]), default=0.0)

    recent = sorted(history.items(), key=last_seen, reverse=True)[:HISTORY_ZONES]
    document: dict[str, Any] = {
        "format": JOURNAL_FORMAT,
        "updated": round(now, 3),
        "zones": {
            name: [_run_to_json(run) for run in runs[-HISTORY_RUNS:]] for name, runs in recent
        },
    }
    pace = learned_to_json(learned or {}, now=now)
    if pace:
        document["pace"] = pace
    return document


def _run_to_json(run: PastRun) -> dict[str, Any]:
    document: dict[str, Any] = {
        "seconds": round(run.seconds, 3),
        "memory": run.memory,
        "image_bytes": run.image_bytes,
        "when": round(run.when, 3),
    }
    if run.timed_out:
        document["timed_out"] = True
    return document

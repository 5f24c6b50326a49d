"""Record an auto pace's inputs in a real method, and replay them offline.

Not a test.  ``bench/cycle.py --trace DIR`` makes each kzguard method it runs write
every AutoPace it creates (its kind, what it learned, its work: null where not
known, its cap, whether the pools are watched), every transfer it is told of
(``began``: zone, bytes, time; ``ended``: zone, time, ok, bytes, measured, and the
level then) and every window of the pools' bandwidth (``sampled``: start, stop,
bytes) to DIR/METHOD-NANOSECONDS.jsonl, one JSON array a line.  Replaying a
trace through a fresh pace shows what the meter read after each end, without the
run that produced it:

    .venv/bin/python bench/pace_trace.py TRACE.jsonl [--ends N]

Each line: seconds since the first transfer began (the method's clock), the end's
number and zone, "unmeasured" for a resume the pace was told not to learn from,
the fixed time measured so far, the level before and after that end, and the
levels the pace counts as measured with their aggregate throughput (GiB per
second of the method's clock, as the pace's reasons print them).  The replay runs
the pace of the tree it is run from: a trace recorded before a change to the pace
shows what the change would have read from the same transfers (the transfers'
times stay those the recorded pace chose).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kzguard.journal.history import PaceSample
from kzguard.pace import auto, search

GIB = float(1 << 30)


def record(directory: str, method: str) -> None:
    """Log every AutoPace's inputs of this process to DIRECTORY/METHOD-NS.jsonl."""
    path = Path(directory) / f"{method}-{time.time_ns()}.jsonl"
    log = path.open("a", encoding="utf-8")

    def write(entry: list[Any]) -> None:
        log.write(json.dumps(entry) + "\n")
        log.flush()

    created, began, ended = auto.AutoPace.__init__, auto.AutoPace.began, auto.AutoPace.ended
    sampled = auto.AutoPace.sampled

    def traced_init(
        self: auto.AutoPace, kind: str, learned: Sequence[PaceSample] = (), **options: Any
    ) -> None:
        samples = [[s.concurrency, s.bytes_per_second, s.seconds, s.when] for s in learned]
        work = options.get("work")
        extra = {"cap": options.get("cap", search.MAX_AUTO), "pools": options.get("pools", False)}
        write(["init", kind, samples, None if work is None else list(work), extra])
        created(self, kind, learned, **options)

    def traced_began(self: auto.AutoPace, zone: str, nbytes: int, at: float) -> None:
        write(["began", zone, nbytes, at])
        began(self, zone, nbytes, at)

    def traced_ended(
        self: auto.AutoPace,
        zone: str,
        at: float,
        *,
        ok: bool,
        nbytes: int | None = None,
        measured: bool = True,
    ) -> None:
        write(["ended", zone, at, ok, nbytes, measured, self.current])
        ended(self, zone, at, ok=ok, nbytes=nbytes, measured=measured)

    def traced_sampled(self: auto.AutoPace, start: float, stop: float, nbytes: float) -> None:
        write(["sampled", start, stop, nbytes])
        sampled(self, start, stop, nbytes)

    auto.AutoPace.__init__ = traced_init  # type: ignore[method-assign]
    auto.AutoPace.sampled = traced_sampled  # type: ignore[method-assign]
    auto.AutoPace.began = traced_began  # type: ignore[method-assign]
    auto.AutoPace.ended = traced_ended  # type: ignore[method-assign]


def replay(lines: Sequence[str], ends: int) -> list[str]:
    """What a fresh pace reads from a trace's transfers, end by end."""
    out: list[str] = []
    pace: auto.AutoPace | None = None
    first: float | None = None
    count = 0
    for line in lines:
        entry = json.loads(line)
        if entry[0] == "init":
            learned = [PaceSample(*sample) for sample in entry[2]]
            # Traces written before the options were recorded have four items.
            extra = entry[4] if len(entry) > 4 else {}
            pace = auto.AutoPace(entry[1], learned, work=entry[3], **extra)
            continue
        if pace is None:
            raise SystemExit("trace: a transfer before any pace")
        if entry[0] == "sampled":
            pace.sampled(*entry[1:])
            continue
        if entry[0] == "began":
            _, zone, nbytes, at = entry
            first = at if first is None else first
            pace.began(zone, nbytes, at)
            continue
        _, zone, at, ok, nbytes, measured, _ = entry
        before = pace.current
        pace.ended(zone, at, ok=ok, nbytes=nbytes, measured=measured)
        count += 1
        if count > ends:
            break
        table = " ".join(
            f"{level}:{value / GIB:.1f}" for level, value in sorted(pace.measured.items())
        )
        out.append(
            f"{at - (first or at):8.2f} #{count:<4d} {zone:8s}"
            f"{'' if measured else ' unmeasured'} fixed {pace.meter.fixed:.3f}"
            f" level {before}->{pace.current} | measured {table}"
        )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("trace", type=Path)
    parser.add_argument("--ends", type=int, default=10**9, help="stop after this many ends")
    args = parser.parse_args(argv)
    lines = args.trace.read_text(encoding="utf-8").splitlines()
    print("\n".join(replay(lines, args.ends)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

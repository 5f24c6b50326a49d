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

Two views of the meter's fixed time (the seconds of each transfer that move no
bytes, pace/measure.py), for a trace whose fixed time looks wrong:

    .venv/bin/python bench/pace_trace.py TRACE.jsonl --refits
    .venv/bin/python bench/pace_trace.py TRACE.jsonl --levels

``--refits`` replays the trace and prints, at each refit of the meter: how many
transfers had finished, the spread of the window's bytes (standard deviation over
the mean), the fixed time and the crowd before and after, and the window's
residual at GRID fixed times from none to three quarters of the shortest transfer,
each over the least of them (a bowl with one clear bottom: the window tells the
fixed time; several bottoms of about 1: it does not).  ``--levels`` needs no pace:
the transfers that spent LEVEL_SHARE of their life at one number in flight, by that
number, with the least-squares line of their durations on their bytes (the noise of
a loaded host is in the durations, so this line is not biased by it): its
intercept is the fixed time at that number, where the bytes differ enough to tell
(their spread is printed), and its slope the seconds a byte takes, printed as the
per-stream rate in GiB a second.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kzguard.journal.history import PaceSample
from kzguard.pace import auto, measure, search

GIB = float(1 << 30)
# --refits: the fixed times at which each refit's residual is printed.
GRID = 11
# --levels: a transfer counts at the number in flight it spent this share of its
# life at, and a number is printed once this many transfers count there.
LEVEL_SHARE = 0.8
LEVEL_LEAST = 6


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


def refits(lines: Sequence[str], ends: int) -> list[str]:
    """The meter's refits while a fresh pace replays ``lines`` (the module's
    description)."""
    out: list[str] = []
    refit = measure.Meter._refit

    def traced(meter: measure.Meter, now: float) -> None:
        window = meter._finished[-measure.REFIT_WINDOW :]
        spans = meter._spans(min(finished[0] for finished in window), now)
        longest = measure.FIXED_MAX_SHARE * min(meter.durations)
        grid = [longest * index / (GRID - 1) for index in range(GRID)]
        residuals = [measure._residual(window, spans, fixed, meter.crowd) for fixed in grid]
        least = min(residuals) or 1.0
        before = (meter.fixed, meter.crowd)
        refit(meter, now)
        images = [finished[2] for finished in window]
        curve = " ".join(
            f"{fixed:.3f}:{value / least:.2f}" for fixed, value in zip(grid, residuals)
        )
        out.append(
            f"{len(meter._finished):4d} finished, images' spread "
            f"{statistics.pstdev(images) / statistics.mean(images):.3f}: fixed {before[0]:.3f}"
            f"->{meter.fixed:.3f} crowd {before[1]:.3f}->{meter.crowd:.3f} | residual {curve}"
        )

    measure.Meter._refit = traced  # type: ignore[method-assign, assignment]
    try:
        replay(lines, ends)
    finally:
        measure.Meter._refit = refit  # type: ignore[method-assign]
    return out


def levels(lines: Sequence[str]) -> list[str]:
    """Durations on bytes by the number in flight (the module's description)."""
    began: dict[str, tuple[float, int]] = {}
    lived: dict[str, dict[int, float]] = {}
    found: dict[int, list[tuple[float, float]]] = defaultdict(list)  # level -> (bytes, seconds)
    last: float | None = None
    for line in lines:
        entry = json.loads(line)
        if entry[0] not in ("began", "ended"):
            continue
        at = entry[3] if entry[0] == "began" else entry[2]
        if last is not None:
            for seconds in lived.values():
                seconds[len(lived)] = seconds.get(len(lived), 0.0) + at - last
        last = at
        if entry[0] == "began":
            began[entry[1]], lived[entry[1]] = (at, entry[2]), {}
            continue
        _, zone, _, ok, nbytes, _, _ = entry
        if zone not in lived:
            continue
        seconds = lived.pop(zone)
        start, expected = began.pop(zone)
        level, longest = max(seconds.items(), key=lambda item: item[1], default=(0, 0.0))
        if ok and longest >= LEVEL_SHARE * (at - start):
            found[level].append((float(nbytes or expected), at - start))
    out = []
    for level, points in sorted(found.items()):
        images = [nbytes for nbytes, _ in points]
        if len(points) < LEVEL_LEAST or statistics.pstdev(images) == 0:
            continue
        slope, intercept = statistics.linear_regression(images, [d for _, d in points])
        rate = f"{1 / slope / GIB:.2f} GiB/s" if slope > 0 else "none (more bytes took no longer)"
        out.append(
            f"{level:3d} in flight: {len(points):4d} transfers, images' spread "
            f"{statistics.pstdev(images) / statistics.mean(images):.3f}: fixed time "
            f"{intercept:.3f} s, a stream {rate}"
        )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("trace", type=Path)
    parser.add_argument("--ends", type=int, default=10**9, help="stop after this many ends")
    view = parser.add_mutually_exclusive_group()
    view.add_argument("--refits", action="store_true", help="the meter's refits instead")
    view.add_argument("--levels", action="store_true", help="durations on bytes by level")
    args = parser.parse_args(argv)
    lines = args.trace.read_text(encoding="utf-8").splitlines()
    if args.levels:
        print("\n".join(levels(lines)))
    elif args.refits:
        print("\n".join(refits(lines, args.ends)))
    else:
        print("\n".join(replay(lines, args.ends)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

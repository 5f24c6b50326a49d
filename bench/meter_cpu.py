"""The auto pace's CPU in replays: the meter's refits as they are, beside the refits
they replaced.

Not a test.  A refit (kzguard/pace/measure.py ``Meter._refit``) chooses the fixed
time, and the crowd, that fit the latest transfers best: tens of least-squares
solutions each (``_least_fixed_and_crowd``).  Since 4ab2669 each point the searches
come back to is solved once; before, every point was solved again.  Both give the
same solutions, which this bench checks: every replay's makespans must come out
identical.  (4ab2669 also built each solution's normal matrix as a list of lists;
the tables in docs/performance.md, "The meter's refits", were measured with it.  It
saved about 5 % of a solution and was taken out again, one builder of the normal
equations, ``_accumulate``, for every solution.)

Replayed, for each of ``--sizes`` and seeds 0 to ``--seeds`` - 1, on storage two,
four and eight streams saturate (bench/cycle.py's workloads):

- **resume**: three cycles of the start method's auto pace in tests/unit/fluid.py's
  model (bench/order.py ``auto_cycles``);
- **stop**: three cycles of the stop method's auto pace, a first stop's ramp on the
  pools included, in the simulator's timing model (bench/stop_pace.py ``cycles``).

Each variant runs ``--rounds`` times, alternating; printed per size and path: the
median of the rounds' CPU (``time.process_time``) in the pace's calls a zone, of it
in refits, the refits counted, and each variant's over the former's.

    .venv/bin/python bench/meter_cpu.py [--sizes 100,500] [--seeds 2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import common
import stop_pace
from cycle import probe
from order import PROFILES, auto_cycles

from kzguard.pace import auto, measure
from kzguard.start.order import size_order

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CYCLES = 3
PACE_CALLS = ("limit", "wake", "began", "ended", "sampled", "learned")


def former_refit(meter: measure.Meter, now: float) -> None:
    """``Meter._refit`` as before 4ab2669: every point of the searches solved anew."""
    finished = meter._finished
    meter._refit_at = max(len(finished) + 2, math.ceil(measure.REFIT_GROWTH * len(finished)))
    window = finished[-measure.REFIT_WINDOW :]
    spans = meter._spans(min(row[0] for row in window), now)
    tie = measure.TIE * sum(row[2] * row[2] for row in window)

    def cost(fixed: float, crowd: float) -> float:
        return measure._residual(window, spans, fixed, crowd)

    fixed, crowd, found = measure._least_fixed_and_crowd(
        cost, min(meter.durations), measure._most_crowd(window), meter.crowd, tie
    )
    if cost(meter.fixed, meter.crowd) <= found + tie:
        return
    rows = meter._every_equation(fixed, crowd, now)
    if len(rows) < measure._enough(len({level for _, lived in rows for level in lived})):
        return
    meter._solve_again(fixed, crowd, rows)


@contextmanager
def former_refits() -> Iterator[None]:
    """The refits as before 4ab2669."""
    refit = measure.Meter._refit
    measure.Meter._refit = former_refit  # type: ignore[method-assign, assignment]
    try:
        yield
    finally:
        measure.Meter._refit = refit  # type: ignore[method-assign]


class Timed:
    """CPU spent in the pace's calls and in the meter's refits, while installed."""

    def __init__(self) -> None:
        self.pace = 0.0
        self.refit = 0.0
        self.refits = 0

    @contextmanager
    def installed(self) -> Iterator[None]:
        saved: dict[str, Callable[..., Any]] = {}
        for name in PACE_CALLS:
            saved[name] = getattr(auto.AutoPace, name)
            setattr(auto.AutoPace, name, self._timed(saved[name], "pace"))
        refit = measure.Meter._refit
        measure.Meter._refit = self._timed(refit, "refit")  # type: ignore[method-assign]
        try:
            yield
        finally:
            for name, call in saved.items():
                setattr(auto.AutoPace, name, call)
            measure.Meter._refit = refit  # type: ignore[method-assign]

    def _timed(self, call: Callable[..., Any], what: str) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.process_time()
            try:
                return call(*args, **kwargs)
            finally:
                spent = time.process_time() - began
                if what == "pace":
                    self.pace += spent
                else:
                    self.refit += spent
                    self.refits += 1

        return timed


def replays(size: int, seeds: int, path: str) -> Callable[[], list[float]]:
    """The replays of ``path`` at ``size`` zones: each cycle's makespan over the bound."""
    hosts = [
        (probe(size, seed, profile), stop_pace.Host.probe(size, seed, profile))
        for profile in PROFILES.values()
        for seed in range(seeds)
    ]

    def run() -> list[float]:
        found: list[float] = []
        for workload, host in hosts:
            if path == "resume":
                found += auto_cycles(workload.resume, size_order, CYCLES)
            else:
                drop, slack = auto.UNMEASURED_DROP, auto.PREDICTION_SLACK
                found += [ratio for ratio, _ in stop_pace.cycles(host, drop, slack, True)]
        return found

    return run


def median(timings: Sequence[Timed], what: str, zones: int) -> float:
    """The median over the rounds of ``what`` ("pace", "refit"), ms a zone."""
    values: list[float] = [getattr(timed, what) for timed in timings]
    return statistics.median(values) * 1000 / zones


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=common.parse_ints, default=[100, 500])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    began = time.monotonic()
    header = ["zones", "path", "refits", "pace ms a zone (now / before)"]
    header += ["of it refits (now / before)", "pace now / before", "makespans identical"]
    rows = []
    for size in args.sizes:
        for path in ("resume", "stop"):
            run = replays(size, args.seeds, path)
            zones = size * args.seeds * len(PROFILES) * CYCLES
            timings: dict[str, list[Timed]] = {"now": [], "before": []}
            results: dict[str, list[float]] = {}
            for _ in range(args.rounds):
                for variant in ("now", "before"):
                    timed = Timed()
                    former = former_refits() if variant == "before" else nullcontext()
                    with former, timed.installed():
                        results[variant] = run()
                    timings[variant].append(timed)

            now, before = (median(timings[v], "pace", zones) for v in ("now", "before"))
            refits = (median(timings[v], "refit", zones) for v in ("now", "before"))
            rows.append(
                [
                    str(size),
                    path,
                    str(timings["now"][0].refits),
                    f"{now:.2f} / {before:.2f}",
                    " / ".join(f"{value:.2f}" for value in refits),
                    f"{now / before:.2f}",
                    "yes" if results["now"] == results["before"] else "NO",
                ]
            )
    title = (
        f"The auto pace's CPU in replays, seeds 0 to {args.seeds - 1}, storage two, four "
        f"and eight streams saturate, {CYCLES} cycles, the median of {args.rounds} rounds"
    )
    return common.print_replay(title, common.table(header, rows), began)


if __name__ == "__main__":
    raise SystemExit(main())

"""The stop's first wave (kzguard/pace/auto.py UNMEASURED_DROP), replayed in the
simulator's timing model.

Not a test.  For the simulator's own workloads (bench/cycle.py's hosts: mixed memory
of 2G to 32G, each zone's image ratio; seeds 0 to N-1) on storage saturating at 2, 4
and 8 streams, the stop phase of three reboot cycles runs through
``kzguard.sim.timing`` with commands that cost nothing (bench/common.py
fluid_schedule: the per-stream cap, the shared write pool with its loss beyond
saturation, op_overhead after each image),
driven by the real auto pace (``parallel = "auto"``) on a fake clock: the suspends
begin largest first, as the stop plan orders them; the pace is told each suspend's
expected image as the stop path tells it (the zone's memory in the first cycle, with
no image known yet; then the image its last suspend wrote) and the image's size at
its end; each cycle's history is handed to the next.

Side by side, what the pace does when nothing is learned yet (the first cycle;
later cycles begin where the history says, and hold the keeping level itself):

- **ramp on the pools (kzguard)**: the stop method's pace, told the storage's bytes
  every SAMPLE_SECONDS as kzguard/pace/watch.py tells it the pools' (``zpool
  iostat``): it begins at RAMP_FIRST and ramps up on them (kzguard/pace/auto.py);
- **keep pace**, ends only: as many as keep pace with the largest (ceil(all / the
  largest's)), measured by the suspends' ends alone (a stop whose pools do not see
  its images: NFS, iSCSI);
- **4/5**, ends only: one fewer in every five of those (UNMEASURED_DROP = 5);
- **2/3**, ends only: one fewer in every three;
- **4/5, count-outs believed**, ends only: but a suspend counted out always stops
  counting in the concurrency once replaced, however far the sizes strayed from
  their estimates (PREDICTION_SLACK infinite: kzguard/pace/measure.py Meter).

Printed per storage and cycle, the mean and the worst over the seeds of the makespan
over the shutdown bound (bench/cycle.py Phase.bound) and of the mean downtime over
the best offline schedule's, both composed as bench/cycle.py composes them: (stop
phase's end - the zone's suspend start) + the reboot gap + the resume side, the
resume side being the best offline schedule's for both (only the stop differs
here), the best offline stop side the least of bench/cycle.py's fixed schedules.

With ``--tests-model``, instead: first stops in tests/unit/fluid.py's model, whose
transfers spend their fixed time before their bytes (the simulator's after) on fast
storage (1G/s a stream; phases of a minute or two), 2 to 64G each: 10, 20, 40, 100
and 200 transfers, size seeds 13, 7 and 3, on storage 2, 4 and 8 streams saturate;
the ramp on the pools (windows of SAMPLE_SECONDS) beside the ends alone, the
makespan over the bound, mean and worst per storage.

    .venv/bin/python bench/stop_pace.py [--sizes 10] [--seeds 8] [--tests-model]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import common
from cycle import Workload

from kzguard.journal.history import PaceSample
from kzguard.pace import auto
from kzguard.pace.watch import SAMPLE_SECONDS
from kzguard.sim import transitions
from kzguard.sim.create import create_host

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.unit import fluid

PROFILES = {"sat2": None, "sat4": "sat4", "sat8": "sat8"}
# name -> (UNMEASURED_DROP, PREDICTION_SLACK, whether the pace reads the pools)
VARIANTS = {
    "ramp on the pools (kzguard)": (5, auto.PREDICTION_SLACK, True),
    "keep pace": (1 << 30, auto.PREDICTION_SLACK, False),
    "4/5": (5, auto.PREDICTION_SLACK, False),
    "2/3": (3, auto.PREDICTION_SLACK, False),
    "4/5, count-outs believed": (5, math.inf, False),
}
CYCLES = 3
REBOOT_SECONDS = 120.0


@dataclass(frozen=True)
class Host:
    work: Workload
    memory: dict[str, int]  # zone -> bytes: the first cycle's expected images

    @classmethod
    def probe(cls, size: int, seed: int, profile: str | None) -> Host:
        with tempfile.TemporaryDirectory(prefix="kzguard-probe-") as directory:
            host = create_host(Path(directory) / "h", zones=size, seed=seed, profile=profile)
            zones = host.read()["zones"]
            work = Workload.of(host)
        return cls(work, {zone: transitions.memory_bytes(zones[zone]) for zone in work.zones})


def stop_phase(
    pace: auto.AutoPace, host: Host, expected: dict[str, int], window: float | None = None
) -> tuple[float, float]:
    """The stop phase driven by ``pace``: its makespan and the mean of (its end - a
    zone's suspend start), simulated seconds; ``window``: the pace is told the
    storage's bytes every that many seconds (common.fluid_schedule)."""
    phase = host.work.shutdown
    order = sorted(phase.image, key=lambda zone: (-expected[zone], zone))
    images = [float(phase.image[zone]) for zone in order]
    estimates = [expected[zone] for zone in order]
    times = common.fluid_schedule(
        images,
        phase.rate,
        phase.pool,
        phase.op_overhead,
        pace,
        names=order,
        estimates=estimates,
        window=window,
    )
    makespan = max(end for _, end in times)
    return makespan, statistics.fmean(makespan - start for start, _ in times)


def cycles(host: Host, drop: int, slack: float, pools: bool) -> list[tuple[float, float]]:
    """Per cycle, (makespan / bound, mean downtime / best offline's)."""
    phase = host.work.shutdown
    best_stop, _ = phase.best_mean()
    best_resume, _ = host.work.resume.best_mean()
    best = best_stop + REBOOT_SECONDS + best_resume
    learned: list[PaceSample] = []
    ratios = []
    for cycle in range(CYCLES):
        expected = host.memory if cycle == 0 else dict(phase.image)
        work = sorted(expected.values(), reverse=True)
        auto.UNMEASURED_DROP = drop
        auto.PREDICTION_SLACK = slack
        pace = auto.AutoPace("suspend", learned, work=work, pools=pools)
        makespan, down = stop_phase(pace, host, expected, SAMPLE_SECONDS if pools else None)
        mean = down + REBOOT_SECONDS + best_resume
        ratios.append((makespan / phase.bound, mean / best))
        learned = pace.learned(float(cycle))
    return ratios


def cell(values: Sequence[float]) -> str:
    return f"{statistics.fmean(values):.3f}, {max(values):.3f}"


def report(sizes: Sequence[int], seeds: int) -> list[str]:
    header = ["storage", "zones", "cycle"]
    header += [f"{name}: makespan" for name in VARIANTS]
    header += [f"{name}: downtime" for name in VARIANTS]
    rows = []
    for size in sizes:
        for label, profile in PROFILES.items():
            hosts = [Host.probe(size, seed, profile) for seed in range(seeds)]
            results = {
                name: [cycles(host, *variant) for host in hosts]
                for name, variant in VARIANTS.items()
            }
            for cycle in range(CYCLES):
                row = [label, str(size), str(cycle + 1)]
                for which in (0, 1):
                    row += [cell([run[cycle][which] for run in results[name]]) for name in VARIANTS]
                rows.append(row)
    return common.table(header, rows)


def tests_model_report() -> list[str]:
    """First stops in tests/unit/fluid.py's model (the module's description)."""
    rows = []
    for streams in (2, 4, 8):
        found: dict[bool, list[float]] = {True: [], False: []}
        for count in (10, 20, 40, 100, 200):
            for seed in (13, 7, 3):
                storage = fluid.Storage(streams=streams, stream=float(1 << 30))
                sizes = fluid.mixed_sizes(count, seed)
                work = sorted(sizes, reverse=True)
                for pools in (True, False):
                    pace = auto.AutoPace("suspend", work=work, pools=pools)
                    window = SAMPLE_SECONDS if pools else None
                    ended = fluid.makespan(pace, sizes, storage, window=window)
                    found[pools].append(ended / storage.bound(sizes))
        rows.append([f"sat{streams}", cell(found[True]), cell(found[False])])
    header = ["storage", "ramp on the pools (kzguard)", "ends alone"]
    return common.table(header, rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=common.parse_ints, default=[10])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--tests-model", action="store_true")
    args = parser.parse_args(argv)
    began = time.monotonic()
    if args.tests_model:
        title = (
            "First stops in tests/unit/fluid.py's model, 15 cases per storage; each cell:"
            " the mean, the worst makespan over the bound"
        )
        return common.print_replay(title, tests_model_report(), began)
    title = (
        f"The stop's first wave: seeds 0 to {args.seeds - 1}, reboot gap {REBOOT_SECONDS:g} s;"
        " each cell: the mean, the worst over the seeds (makespan over the shutdown bound,"
        " mean downtime over the best offline schedule's)"
    )
    return common.print_replay(title, report(args.sizes, args.seeds), began)


if __name__ == "__main__":
    sys.exit(main())

"""The resume pace beside the start method's survey, in the fluid model.

Not a test.  On the faithful clock at 500 zones (bench/cycle.py, scale 0.03039) the
start method reads the zones' live configurations (solaris/survey.py) for the first
7-10 s of real time while its first resumes run, and each of those resumes took
0.2-0.5 s longer than the storage model accounts for: the survey's simulated
`zonecfg`s competed with them for two CPUs.  The order begins with the smallest
images, so those resumes' time was mostly fixed time; measured, they made more at
once look faster, and the pace climbed to 14 at once on storage that two saturate
(docs/performance.md, "The 500-zone resume: what holds it at 14 at once").  Since
then a resume that spent more than a quarter of its life beside the survey is not
measured (kzguard/solaris/survey.py SURVEY_SHARE).

This replays cycle.py's workloads (seeds 0 to N-1, storage saturating at 2, 4 and
8 streams) in tests/unit/fluid.py's event model of the simulator's storage, with a
survey lasting a share of the resume bound that follows the faithful runs (10 zones
0.5 %: about 0.1 s of 20 s; 100 zones 2 %: 1.1-1.5 s of 60 s; 500 zones 8 %: 7-10 s
of 100 s) and each resume begun during it holding its slot ``extra`` longer (0,
0.5 % and 1 % of the bound; 0.2-0.5 s of 100 s measured at 500 zones).  The resumes
start in kzguard's order (kzguard.start.order.size_order for the pace's first
limit), paced by the real auto pace over three cycles of the same zones, each
cycle's history handed to the next; once with the start method's rule, once with
every resume measured (the code before); beside them the best fixed number from 2
to twice the saturation (the same survey).  Printed: the makespan over the bound
(the longest resume alone, or every byte at the read pool's bandwidth, plus one
fixed time) per workload, then the mean and the worst per size over the seeds;
then the same workloads' three cycles in the simulator's own timing
(common.fluid_schedule, which puts each resume's fixed time after its bytes where
tests/unit/fluid.py puts it before; no survey), mean and worst per size.

    .venv/bin/python bench/resume_pace.py [--sizes 10,100,500] [--seeds 3]
                                          [--survey-share 0.25]
                                          [--jitter 0,0.005,0.01 [--crowd 3]]

``--survey-share`` replaces SURVEY_SHARE for the run, to see how much it matters.

``--jitter`` replays instead a loaded host, without a survey: each resume holds
its slot longer by a random time up to the given share of the bound (a command's
start-up and end stretched by the host's load: 0.1-0.5 s of real time on the
faithful clock at 500 zones, 0.1-0.5 % of its 100 s bound, more on a slower
machine).  Printed per size and share, over the storages, seeds and three cycles:
the mean and the worst makespan over the bound for kzguard, for kzguard without
its rule on uncertain levels (kzguard/pace/auto.py ERROR_MAX), and for the best
fixed number (the same noise, first cycle's draw).

``--crowd C`` adds to those replays a host whose CPUs the commands share: each
resume holds its slot C simulated seconds longer for every other resume in flight
when it begins (tests/unit/fluid.py ``crowd``), as the simulated commands' start-up
stretches on two CPUs at 500 zones on the faithful clock; the best fixed number is
then sought up to CROWDED_MOST at once (docs/performance.md, "A crowded host").
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

import common
from cycle import Phase, probe
from order import PROFILES, auto_cycles, fluid_ratio, fluid_storage
from pace_noise import phase_runs

from kzguard.pace import auto
from kzguard.pace.limit import FixedPace, Pace
from kzguard.solaris import survey as config_survey
from kzguard.start.order import size_order

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.unit import fluid

CYCLES = 3
# With --crowd, fixed numbers up to this many at once (at least) are tried.
CROWDED_MOST = 12
# The survey's length, as a share of the resume bound, by the number of zones.
SURVEY_SHARE_OF_BOUND = {10: 0.005, 100: 0.02, 500: 0.08}
EXTRA_SHARES_OF_BOUND = (0.0, 0.005, 0.01)


def best_fixed(phase: Phase, survey: fluid.Survey) -> tuple[float, int]:
    saturation = max(1, round(phase.pool.saturation))
    return min(
        (fluid_ratio(phase, FixedPace(number), size_order(phase.image, number), survey), number)
        for number in range(2, 2 * saturation + 1)
    )


def simulator_ratio(phase: Phase, pace: Pace, order: Sequence[str]) -> float:
    """The makespan over the bound of ``phase``'s resumes in ``order`` at ``pace``,
    in the simulator's own timing (common.fluid_schedule: each resume's fixed time
    after its bytes, where tests/unit/fluid.py puts it before), no survey."""
    images = [float(phase.image[zone]) for zone in order]
    times = common.fluid_schedule(
        images, phase.rate, phase.pool, phase.op_overhead, pace, names=order
    )
    return max(end for _, end in times) / phase.bound


def jittered(
    phase: Phase,
    pace: Pace,
    order: Sequence[str],
    jitter: float,
    seed: int,
    *,
    crowd: float = 0.0,
) -> float:
    """The makespan over the bound of ``phase``'s resumes in ``order`` at ``pace``,
    each holding its slot up to ``jitter`` seconds longer at random (``seed``), and
    ``crowd`` seconds longer for each other resume in flight when it begins."""
    zones = list(phase.image)
    sizes = [phase.image[zone] for zone in zones]
    indexes = [zones.index(zone) for zone in order]
    storage = fluid_storage(phase)
    ended = fluid.makespan(pace, sizes, storage, indexes, jitter=jitter, seed=seed, crowd=crowd)
    return ended / phase.bound


def jittered_cycles(phase: Phase, jitter: float, seed: int, crowd: float = 0.0) -> list[float]:
    """The makespans over the bound of CYCLES cycles of the auto pace on ``phase``
    with ``jitter`` and ``crowd``, learning across (pace_noise.py's replays)."""
    runs = phase_runs("resume", phase, jitter, seed, CYCLES, crowd=crowd)
    return [ratio for _, ratio in runs]


def noisy(sizes: Sequence[int], seeds: int, shares: Sequence[float], crowd: float) -> None:
    """The ``--jitter`` replays, with ``--crowd`` (the module's description)."""
    kept = auto.ERROR_MAX
    header = ["zones", "jitter", "kzguard", "without ERROR_MAX", "best fixed"]
    rows = []
    for size in sizes:
        for share in shares:
            found: dict[str, list[float]] = {"kzguard": [], "without": [], "fixed": []}
            for profile in PROFILES.values():
                for seed in range(seeds):
                    phase = probe(size, seed, profile).resume
                    jitter = share * phase.bound
                    found["kzguard"] += jittered_cycles(phase, jitter, seed, crowd)
                    auto.ERROR_MAX = math.inf
                    found["without"] += jittered_cycles(phase, jitter, seed, crowd)
                    auto.ERROR_MAX = kept
                    # On a crowded host the best number lies above twice the
                    # saturation (5 at once on storage two saturate, 3 s a transfer).
                    most = 2 * max(1, round(phase.pool.saturation))
                    most = max(most, CROWDED_MOST) if crowd else most
                    found["fixed"].append(
                        min(
                            jittered(
                                phase,
                                FixedPace(number),
                                size_order(phase.image, number),
                                jitter,
                                seed * CYCLES,
                                crowd=crowd,
                            )
                            for number in range(2, most + 1)
                        )
                    )
            rows.append(
                [str(size), f"{share:.1%}"]
                + [f"{statistics.mean(v):.3f}, {max(v):.3f}" for v in found.values()]
            )
    crowded = f", {crowd:g} s more a transfer for each other in flight" if crowd else ""
    print(f"A loaded host{crowded}: mean, worst makespan over the bound")
    print()
    print("\n".join(common.table(header, rows)))


def cells(values: Sequence[float]) -> str:
    return " / ".join(f"{value:.3f}" for value in values)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=common.parse_ints, default=[10, 100, 500])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--survey-share", type=float, default=config_survey.SURVEY_SHARE)
    parser.add_argument("--jitter", type=common.parse_floats, default=None)
    parser.add_argument("--crowd", type=float, default=0.0)
    args = parser.parse_args(argv)
    if args.jitter is not None:
        noisy(args.sizes, args.seeds, args.jitter, args.crowd)
        return 0
    config_survey.SURVEY_SHARE = args.survey_share
    header = [
        "storage",
        "zones",
        "seed",
        "extra",
        "kzguard cycles 1 / 2 / 3",
        "every resume measured",
        "best fixed",
    ]
    rows: list[list[str]] = []
    summary: dict[int, dict[str, list[float]]] = {}
    for label, profile in PROFILES.items():
        for size in args.sizes:
            for seed in range(args.seeds):
                phase = probe(size, seed, profile).resume
                bound = fluid_storage(phase).bound(list(phase.image.values()))
                ends = SURVEY_SHARE_OF_BOUND.get(size, 0.08) * bound
                for share in EXTRA_SHARES_OF_BOUND:
                    survey = fluid.Survey(ends, share * bound)
                    kzguard = auto_cycles(phase, size_order, CYCLES, survey)
                    every = auto_cycles(
                        phase, size_order, CYCLES, fluid.Survey(ends, share * bound, rule=False)
                    )
                    fixed, number = best_fixed(phase, survey)
                    found = summary.setdefault(size, {"kzguard": [], "every": [], "fixed": []})
                    found["kzguard"] += kzguard
                    found["every"] += every
                    found["fixed"].append(fixed)
                    rows.append(
                        [
                            label,
                            str(size),
                            str(seed),
                            f"{share:.1%}",
                            cells(kzguard),
                            cells(every),
                            f"{fixed:.3f} ({number})",
                        ]
                    )
    print("\n".join(common.table(header, rows)))
    print()
    print("Per size, over every storage, seed, extra time and cycle: mean, worst")
    print()
    lines = [
        [str(size)] + [f"{statistics.mean(found[key]):.3f}, {max(found[key]):.3f}" for key in found]
        for size, found in summary.items()
    ]
    print("\n".join(common.table(["zones", *header[4:]], lines)))
    print()
    print("In the simulator's timing (fixed time after the bytes), no survey: mean, worst")
    print()
    timed = []
    for size in args.sizes:
        ratios = [
            ratio
            for profile in PROFILES.values()
            for seed in range(args.seeds)
            for ratio in auto_cycles(
                probe(size, seed, profile).resume, size_order, CYCLES, replay=simulator_ratio
            )
        ]
        timed.append([str(size), f"{statistics.mean(ratios):.3f}, {max(ratios):.3f}"])
    print("\n".join(common.table(["zones", "kzguard cycles 1 / 2 / 3"], timed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The resume order alone (start/order.py), replayed in the simulator's timing model.

Not a test.  For the simulator's own workloads (bench/cycle.py's probe: its mixed
memory sizes and image ratios, seeds 1 to N) on storage saturating at 2, 4 and 8
streams, each order is replayed through ``kzguard.sim.timing`` with commands that
cost nothing (bench/common.py fluid_schedule: the per-stream cap, the shared read
pool with its loss beyond saturation, op_overhead after each image) at a fixed
number at once, the storage's saturation, so that only the order differs:

- **shortest first**: the least mean time to up, and a tail of the largest images;
- **largest first**: the shortest makespan of list scheduling, the longest mean;
- **0.75 share**: the rule before this one (an image at least 0.75 of one slot's
  even share of all the bytes first, largest first; the rest shortest first);
- **kzguard**: ``kzguard.start.order.size_order`` with the same number of slots.

Printed per workload: the makespan over the resume bound (bench/cycle.py Phase.bound)
and the mean time to up over shortest first's, each order side by side; then the
mean and the worst of each column over the seeds.

Then the same workloads with the auto pace choosing the number at once
(``parallel = "auto"``, kzguard/pace/auto.py) in tests/unit/fluid.py's event model
of the same storage (its op_overhead before the bytes where the simulator spends it
after), three reboot cycles of the same zones, each cycle's history handed to the
next, the order computed for the pace's starting limit as the start path does: the
rule before against kzguard's order, the makespan over the bound per cycle.

With ``--tests-model``, instead: the same three cycles of the auto pace in
tests/unit/fluid.py's own workloads (``mixed_sizes``: 2 to 64G, size seeds 1 to N)
on its fast storage (1G/s a stream, saturating at 2, 4 and 8 streams, 2 s of each
transfer before its bytes), kzguard's order for the pace's first limit; the
makespan over that model's bound per cycle, mean and worst over the seeds.

    .venv/bin/python bench/order.py [--sizes 10,20,50,100] [--seeds 5] [--tests-model]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import common
from cycle import Phase, probe

from kzguard.journal.history import PaceSample
from kzguard.pace.auto import AutoPace
from kzguard.pace.limit import Pace
from kzguard.start.order import size_order

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.unit import fluid

PROFILES = {"sat2": None, "sat4": "sat4", "sat8": "sat8"}
Order = Callable[[dict[str, int], int], list[str]]


def shortest_first(image: dict[str, int], _: int) -> list[str]:
    return sorted(image, key=lambda zone: (image[zone], zone))


def largest_first(image: dict[str, int], _: int) -> list[str]:
    return sorted(image, key=lambda zone: (-image[zone], zone))


def share_rule(image: dict[str, int], streams: int) -> list[str]:
    """The rule before: long from 0.75 of one slot's even share, long ones first."""
    threshold = 0.75 * sum(image.values()) / streams if streams > 1 else math.inf
    long = {zone: size for zone, size in image.items() if size >= threshold}
    rest = {zone: size for zone, size in image.items() if size < threshold}
    return largest_first(long, streams) + shortest_first(rest, streams)


ORDERS: dict[str, Order] = {
    "shortest first": shortest_first,
    "largest first": largest_first,
    "0.75 share": share_rule,
    "kzguard": size_order,
}


def replay(phase: Phase, order: Sequence[str], parallel: int) -> tuple[float, float]:
    """(makespan, mean time to up) of ``order`` at ``parallel`` at once."""
    images = [float(phase.image[zone]) for zone in order]
    times = common.fluid_schedule(images, phase.rate, phase.pool, phase.op_overhead, parallel)
    ends = [end for _, end in times]
    return max(ends), sum(ends) / len(ends)


def fluid_storage(phase: Phase) -> fluid.Storage:
    """``phase``'s storage in tests/unit/fluid.py's event model."""
    return fluid.Storage(
        streams=max(1, round(phase.pool.saturation)),
        stream=phase.rate,
        loss=phase.pool.loss,
        floor=phase.pool.floor,
        overhead=phase.op_overhead,
    )


def fluid_ratio(
    phase: Phase, pace: Pace, order: Sequence[str], survey: fluid.Survey = fluid.NO_SURVEY
) -> float:
    """The makespan over the bound of ``phase``'s resumes in ``order`` at ``pace``."""
    zones = list(phase.image)
    sizes = [phase.image[zone] for zone in zones]
    indexes = [zones.index(zone) for zone in order]
    return fluid.makespan(pace, sizes, fluid_storage(phase), indexes, survey) / phase.bound


# (phase, pace, order) -> the makespan over the bound
Replay = Callable[[Phase, Pace, Sequence[str]], float]


def auto_cycles(
    phase: Phase,
    order: Order,
    cycles: int = 3,
    survey: fluid.Survey = fluid.NO_SURVEY,
    replay: Replay | None = None,
    *,
    writes: Sequence[PaceSample] = (),
) -> list[float]:
    """The makespan over the bound of each of ``cycles`` resume phases of the same
    images, the auto pace learning across them (``writes``: :func:`learning_cycles`),
    in ``order`` for its first limit (``survey``: the start method's, beside the
    first resumes), replayed by ``replay`` (by default :func:`fluid_ratio` with
    ``survey``)."""

    def ratio_of(pace: AutoPace) -> float:
        zones = order(phase.image, pace.limit())
        if replay is None:
            return fluid_ratio(phase, pace, zones, survey)
        return replay(phase, pace, zones)

    return learning_cycles(ratio_of, cycles, writes=writes)


def learning_cycles(
    ratio_of: Callable[[AutoPace], float],
    cycles: int = 3,
    *,
    writes: Sequence[PaceSample] = (),
) -> list[float]:
    """``ratio_of`` a resume auto pace in each of ``cycles`` reboot cycles, each
    cycle's pace begun from what the one before learned (``writes``: what the
    suspends measured, as history.json hands them to a start: pace/choose.py)."""
    learned: list[PaceSample] = []
    ratios = []
    for cycle in range(cycles):
        pace = AutoPace("resume", learned, writes=writes)
        ratios.append(ratio_of(pace))
        learned = pace.learned(float(cycle))
    return ratios


def tests_model_ratio(images: list[int], storage: fluid.Storage) -> Callable[[AutoPace], float]:
    """The makespan over the bound of ``images`` resumed in kzguard's order by a
    pace, in tests/unit/fluid.py's model of ``storage``."""
    named = {f"kz{index}": image for index, image in enumerate(images)}

    def ratio_of(pace: AutoPace) -> float:
        order = [int(zone[2:]) for zone in size_order(named, pace.limit())]
        return fluid.makespan(pace, images, storage, order) / storage.bound(images)

    return ratio_of


def tests_model_cycles(sizes: list[int], seeds: int) -> list[list[str]]:
    """The auto pace's three cycles in tests/unit/fluid.py's own workloads and
    storage (the module's description): per storage and size, each cycle's mean and
    worst makespan over the bound."""
    rows = []
    for streams in (2, 4, 8):
        storage = fluid.Storage(streams=streams)
        for size in sizes:
            runs = []
            for seed in range(1, seeds + 1):
                images = fluid.mixed_sizes(size, seed)
                runs.append(learning_cycles(tests_model_ratio(images, storage)))
            found = list(zip(*runs))
            cells = [f"{statistics.mean(ratios):.3f}, {max(ratios):.3f}" for ratios in found]
            rows.append([f"sat{streams}", str(size), "; ".join(cells)])
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10,20,50,100")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--tests-model", action="store_true")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    if args.tests_model:
        print(
            "The auto pace in tests/unit/fluid.py's workloads, cycles 1, 2 and 3: "
            f"makespan / bound, mean and worst over seeds 1 to {args.seeds}"
        )
        print()
        cycles = tests_model_cycles(sizes, args.seeds)
        print("\n".join(common.table(["storage", "zones", "kzguard"], cycles)))
        return 0
    header = ["storage", "zones", "seed"] + [f"{name}: makespan / mean" for name in ORDERS]
    rows: list[list[str]] = []
    summary: dict[tuple[str, int], dict[str, list[tuple[float, float]]]] = {}
    for label, profile in PROFILES.items():
        for size in sizes:
            for seed in range(1, args.seeds + 1):
                phase = probe(size, seed, profile).resume
                parallel = max(1, round(phase.pool.saturation))
                results = {
                    name: replay(phase, order(phase.image, parallel), parallel)
                    for name, order in ORDERS.items()
                }
                shortest_mean = results["shortest first"][1]
                row = [label, str(size), str(seed)]
                for name, (makespan, mean) in results.items():
                    ratios = (makespan / phase.bound, mean / shortest_mean)
                    summary.setdefault((label, size), {}).setdefault(name, []).append(ratios)
                    row.append(f"{ratios[0]:.3f} / {ratios[1]:.3f}")
                rows.append(row)
    print("\n".join(common.table(header, rows)))
    print()
    print(f"Mean and worst over seeds 1 to {args.seeds}: makespan / bound; mean / shortest first's")
    print()
    totals = ["storage", "zones", *ORDERS]
    lines = []
    for (label, size), by_order in summary.items():
        cells = []
        for values in by_order.values():
            spans = [span for span, _ in values]
            means = [mean for _, mean in values]
            cells.append(
                f"{statistics.mean(spans):.3f}, {max(spans):.3f}; "
                f"{statistics.mean(means):.3f}, {max(means):.3f}"
            )
        lines.append([label, str(size), *cells])
    print("\n".join(common.table(totals, lines)))
    print()
    print("With the auto pace, cycles 1, 2 and 3: makespan / bound, mean and worst over the seeds")
    print()
    compared: dict[str, Order] = {"0.75 share": share_rule, "kzguard": size_order}
    paced = []
    for label, profile in PROFILES.items():
        for size in sizes:
            runs: dict[str, list[list[float]]] = {name: [] for name in compared}
            for seed in range(1, args.seeds + 1):
                phase = probe(size, seed, profile).resume
                for name, order in compared.items():
                    runs[name].append(auto_cycles(phase, order))
            cells = [
                "; ".join(
                    f"{statistics.mean(r[c] for r in found):.3f}, {max(r[c] for r in found):.3f}"
                    for c in range(3)
                )
                for found in runs.values()
            ]
            paced.append([label, str(size), *cells])
    print("\n".join(common.table(["storage", "zones", *compared], paced)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

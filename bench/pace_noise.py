"""How often the auto pace changes its level on a loaded host, in the fluid model.

Not a test.  Each change of level is a line in the method's log and in the
journal.  On a loaded host every command's start-up and end stretch by a random
fraction of a second (docs/performance.md, "Noisy ends"), the ends' figures for
two levels near the top move by a few hundredths at each end, and without a
hysteresis the search traded them at every crossing of search.NEAR (twenty
changes in the last 400 s of a 500-zone stop on the faithful clock).

This replays cycle.py's workloads (seeds 0 to N-1, storage saturating at 2, 4 and
8 streams) in tests/unit/fluid.py's event model, two cycles each, suspends largest
first and resumes in kzguard's order, each command holding its slot longer by a
random time up to ``--jitter`` of the bound, once with search.BAND as it is and
once without (0).  Printed per kind, size and jitter: the mean and the most level
changes a phase, and the mean makespan over the bound.

    .venv/bin/python bench/pace_noise.py [--sizes 100,500] [--seeds 3]
                                         [--jitter 0,0.005]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

import common
from cycle import Phase, probe
from order import PROFILES, fluid_storage

from kzguard.journal.history import PaceSample
from kzguard.pace import search
from kzguard.pace.auto import AutoPace
from kzguard.start.order import size_order

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.unit import fluid

CYCLES = 2


def phase_runs(
    kind: str,
    phase: Phase,
    jitter: float,
    seed: int,
    cycles: int = CYCLES,
    *,
    crowd: float = 0.0,
) -> list[tuple[int, float]]:
    """(level changes, makespan over the bound) of each of ``cycles`` cycles of
    ``phase``, the auto pace learning across them: suspends largest first, resumes
    in kzguard's order; each transfer holds its slot up to ``jitter`` seconds longer
    at random (cycle ``c``'s draw seeded ``seed * cycles + c``), and ``crowd``
    seconds longer for each other transfer in flight when it begins."""
    zones = list(phase.image)
    sizes = [phase.image[zone] for zone in zones]
    learned: list[PaceSample] = []
    runs = []
    for cycle in range(cycles):
        if kind == "resume":
            pace = AutoPace("resume", learned)
            order = [zones.index(zone) for zone in size_order(phase.image, pace.limit())]
        else:
            order = sorted(range(len(sizes)), key=lambda index: -sizes[index])
            pace = AutoPace("suspend", learned, work=[sizes[index] for index in order])
        storage = fluid_storage(phase)
        ended = fluid.makespan(
            pace,
            sizes,
            storage,
            order,
            jitter=jitter,
            seed=seed * cycles + cycle,
            crowd=crowd,
        )
        runs.append((len(pace.level_changes()), ended / phase.bound))
        learned = pace.learned(float(cycle))
    return runs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=common.parse_ints, default=[100, 500])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--jitter", type=common.parse_floats, default=[0.0, 0.005])
    args = parser.parse_args(argv)
    band = search.BAND
    header = ["kind", "zones", "jitter", f"BAND {band}: changes, most; ratio", "BAND 0"]
    rows = []
    for kind in ("suspend", "resume"):
        for size in args.sizes:
            for share in args.jitter:
                cells = []
                for value in (band, 0.0):
                    search.BAND = value
                    runs = []
                    for profile in PROFILES.values():
                        for seed in range(args.seeds):
                            cycle = probe(size, seed, profile)
                            phase = cycle.resume if kind == "resume" else cycle.shutdown
                            runs += phase_runs(kind, phase, share * phase.bound, seed)
                    changes = [count for count, _ in runs]
                    cells.append(
                        f"{statistics.mean(changes):.1f}, {max(changes)}; "
                        f"{statistics.mean(ratio for _, ratio in runs):.3f}"
                    )
                search.BAND = band
                rows.append([kind, str(size), f"{share:.1%}", *cells])
    print("\n".join(common.table(header, rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

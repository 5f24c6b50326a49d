"""The auto pace on storage it was not tuned on, replayed in tests/unit/fluid.py's model.

Not a test.  ``parallel = "auto"`` was tuned on storage saturating at 2, 4 and 8
streams (bench/cycle.py's profiles, issue 13's targets).  A host it has never seen
may saturate at 1 stream (one slow disk) or at 12 to 24 (a pool of fast devices,
each stream held to its own CPU's compression and encryption).  Here, in
tests/unit/fluid.py's event model (1G/s a stream, 2 s of each transfer moving no
bytes before its bytes, 3 % of the aggregate lost for each stream beyond
saturation, down to half; its ``mixed_sizes`` of 2 to 64G, size seeds 1 to N), on
storage saturating at each of ``--streams``:

- **suspends**: a first stop (nothing learned) as the stop method runs it, largest
  first, told the bytes of its plan and the pools' bytes every SAMPLE_SECONDS (its
  ramp, kzguard/pace/auto.py);
- **resumes**: three reboot cycles' resumes in kzguard's order (start/order.py), each
  cycle's pace begun from what the one before learned (bench/order.py
  learning_cycles);
- beside each, the same transfers at fixed numbers at once: the **best** of 1 to 32
  (a number no one knows before), **all** at once (up to 32, search.MAX_AUTO) and
  **one** at a time.

Each cell: the makespan over the model's bound (the longest transfer alone or every
byte at the storage's bandwidth, plus one transfer's fixed time), the mean over the
seeds and, in brackets, the worst.

With ``--simulator``, instead: the simulator's own workloads (bench/cycle.py's hosts:
2 to 32G of memory, each zone's image ratio; seeds 1 to N) in its timing model
(bench/common.py fluid_schedule: the fixed time after the bytes), the default
storage's bandwidths (1200M/s written and read) shared by streams each capped so
that ``streams`` of them fill it, as the simulator's own profiles (sat2, sat4, sat8:
kzguard/sim/storage.py) are made: the slower each stream, the longer the phases
(10 zones on storage 24 streams saturate: 26 minutes a phase, where the pools'
windows are 5 s).  The first stop is told its zones' memory, as a first stop is.

    .venv/bin/python bench/unseen.py [--streams 1,2,3,4,6,8,12,16,24] [--sizes 10,30,100]
        [--seeds 4] [--simulator]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import common
from cycle import Phase
from order import auto_cycles, learning_cycles, replay, tests_model_ratio
from stop_pace import Host, stop_phase

from kzguard.journal.history import PaceSample
from kzguard.pace.auto import AutoPace
from kzguard.pace.limit import FixedPace
from kzguard.pace.search import MAX_AUTO
from kzguard.pace.watch import SAMPLE_SECONDS
from kzguard.sim import timing
from kzguard.start.order import size_order

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.unit import fluid

# a number at once -> the makespan over the bound of the same transfers
Fixed = Callable[[int], float]
HEADER = ["storage", "zones", "path", "kzguard 1", "kzguard 2", "kzguard 3"]
HEADER += ["kzguard 1 without the suspends' figures", "best fixed", "all at once"]
HEADER += ["one at a time"]


def first_stop(images: list[int], storage: fluid.Storage) -> tuple[float, list[PaceSample]]:
    """A first stop's makespan over the bound, and what it learned: the auto pace,
    largest first, told the plan's bytes and the pools' windows."""
    pace = AutoPace("suspend", work=sorted(images, reverse=True), pools=True)
    ended = fluid.makespan(pace, images, storage, window=SAMPLE_SECONDS)
    return ended / storage.bound(images), pace.learned(0.0)


def fixed_stop(images: list[int], storage: fluid.Storage) -> Fixed:
    return lambda parallel: (
        fluid.makespan(FixedPace(parallel), images, storage) / storage.bound(images)
    )


def fixed_resume(images: list[int], storage: fluid.Storage) -> Fixed:
    named = {f"kz{index}": image for index, image in enumerate(images)}

    def ratio(parallel: int) -> float:
        order = [int(zone[2:]) for zone in size_order(named, parallel)]
        pace = FixedPace(parallel)
        return fluid.makespan(pace, images, storage, order) / storage.bound(images)

    return ratio


def saturating(phase: Phase, streams: int) -> Phase:
    """``phase`` on storage of the same bandwidth that ``streams`` saturate."""
    old = phase.pool
    pool = timing.Storage(old.bandwidth, float(streams), old.loss, old.floor)
    return dataclasses.replace(phase, rate=old.bandwidth / streams, pool=pool)


def simulator_stop(host: Host, phase: Phase) -> tuple[float, list[PaceSample]]:
    """A first stop of ``host``'s zones in ``phase``: the ramp on the pools, told
    its zones' memory; the makespan over the bound, and what the pace learned."""
    work = sorted(host.memory.values(), reverse=True)
    pace = AutoPace("suspend", work=work, pools=True)
    moved = dataclasses.replace(host, work=dataclasses.replace(host.work, shutdown=phase))
    makespan, _ = stop_phase(pace, moved, host.memory, SAMPLE_SECONDS)
    return makespan / phase.bound, pace.learned(0.0)


def simulator_fixed(phase: Phase, largest_first: bool) -> Fixed:
    def ratio(parallel: int) -> float:
        if largest_first:
            order = sorted(phase.image, key=lambda zone: (-phase.image[zone], zone))
        else:
            order = size_order(phase.image, parallel)
        return replay(phase, order, parallel)[0] / phase.bound

    return ratio


def simulator_report(
    streams: Sequence[int], sizes: Sequence[int], seeds: int, read_share: float = 1.0
) -> list[str]:
    rows = []
    for count in sizes:
        hosts = [Host.probe(count, seed, None) for seed in range(1, seeds + 1)]
        for saturation in streams:
            stops = [saturating(host.work.shutdown, saturation) for host in hosts]
            reads = max(1, round(saturation * read_share))
            resumes = [saturating(host.work.resume, reads) for host in hosts]
            runs = [simulator_stop(host, phase) for host, phase in zip(hosts, stops)]
            fixed = [simulator_fixed(phase, True) for phase in stops]
            rows.append(row(saturation, count, "stop", [[ratio] for ratio, _ in runs], fixed))
            # Each first resume knows what its stop's suspends measured, as on a host
            # (pace/choose.py); "kzguard 1" without it is the pace before 2026-12-08.
            cycles = [
                auto_cycles(phase, size_order, writes=writes)
                for phase, (_, writes) in zip(resumes, runs)
            ]
            blind = [auto_cycles(phase, size_order, cycles=1)[0] for phase in resumes]
            fixed = [simulator_fixed(phase, False) for phase in resumes]
            label = f"resume (reads sat{reads})" if reads != saturation else "resume"
            rows.append(row(saturation, count, label, cycles, fixed, blind=blind))
    return common.table(HEADER, rows)


def row(
    saturation: int,
    count: int,
    path: str,
    runs: Sequence[Sequence[float]],
    fixed: Sequence[Fixed],
    *,
    blind: Sequence[float] = (),
) -> list[str]:
    """A table row: kzguard's cycles (``runs``: per seed, each cycle's ratio), its
    first resume without the suspends' figures (``blind``, per seed), and the fixed
    numbers' baselines."""
    cycles = [cell([run[cycle] for run in runs]) for cycle in range(len(runs[0]))]
    padding = [""] * (3 - len(cycles))
    without = cell(blind) if blind else ""
    return [
        f"sat{saturation}",
        str(count),
        path,
        *cycles,
        *padding,
        without,
        *baselines(fixed, count),
    ]


def cell(values: Sequence[float]) -> str:
    return f"{statistics.fmean(values):.3f} ({max(values):.3f})"


def baselines(fixed: Sequence[Fixed], count: int) -> list[str]:
    """The best fixed number, all at once and one at a time, over the seeds."""
    most = min(count, MAX_AUTO)
    tables = [{parallel: ratio(parallel) for parallel in range(1, most + 1)} for ratio in fixed]
    return [
        cell([min(table.values()) for table in tables]),
        cell([table[most] for table in tables]),
        cell([table[1] for table in tables]),
    ]


def report(streams: Sequence[int], sizes: Sequence[int], seeds: int) -> list[str]:
    rows = []
    for saturation in streams:
        storage = fluid.Storage(streams=saturation)
        for count in sizes:
            workloads = [fluid.mixed_sizes(count, seed) for seed in range(1, seeds + 1)]
            stops = [first_stop(images, storage) for images in workloads]
            fixed = [fixed_stop(images, storage) for images in workloads]
            rows.append(row(saturation, count, "stop", [[ratio] for ratio, _ in stops], fixed))
            ratios = [tests_model_ratio(images, storage) for images in workloads]
            cycles = [
                learning_cycles(ratio_of, writes=writes)
                for ratio_of, (_, writes) in zip(ratios, stops)
            ]
            blind = [learning_cycles(ratio_of, cycles=1)[0] for ratio_of in ratios]
            fixed = [fixed_resume(images, storage) for images in workloads]
            rows.append(row(saturation, count, "resume", cycles, fixed, blind=blind))
    return common.table(HEADER, rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=common.parse_ints, default=[1, 2, 3, 4, 6, 8, 12, 16, 24])
    parser.add_argument("--sizes", type=common.parse_ints, default=[10, 30, 100])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--simulator", action="store_true")
    parser.add_argument(
        "--read-share",
        type=float,
        default=1.0,
        help="with --simulator: the reads saturate at this share of the writes' streams",
    )
    args = parser.parse_args(argv)
    began = time.monotonic()
    model = (
        "the simulator's workloads and timing model"
        if args.simulator
        else ("tests/unit/fluid.py's model")
    )
    title = (
        f"The auto pace on storage saturating at {args.streams[0]} to {args.streams[-1]} "
        f"streams, {model}, seeds 1 to {args.seeds}; each cell: makespan / bound, the "
        "mean (the worst); kzguard 1-3: its cycles (a stop: its first)"
    )
    if args.simulator:
        rows = simulator_report(args.streams, args.sizes, args.seeds, args.read_share)
    else:
        rows = report(args.streams, args.sizes, args.seeds)
    return common.print_replay(title, rows, began)


if __name__ == "__main__":
    sys.exit(main())

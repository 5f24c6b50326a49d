"""A study, not kzguard: levels chosen from the pool's throughput sampled while it
moves bytes, beside the auto pace that waits for transfers to end.

Not a test, and nothing here runs in kzguard.  kzguard's auto pace
(kzguard/pace/auto.py) learns what each number of transfers at once gave only
when transfers end: ``zoneadm`` reports no progress, and whether a suspend image
grows on disk while it is written is UNCONFIRMED (docs/solaris.md 14).  So a first
stop, begun at 8 at once largest first, measures nothing for minutes, and a small
host's phase ends before its first probe counts (docs/performance.md, "The pace's
levels on the faithful clock").  A pool's own counters move while the bytes do:
``zpool iostat POOL INTERVAL COUNT`` prints the bandwidth each interval read and
wrote (illumos usr/src/cmd/zpool/zpool_main.c, zpool_do_iostat; Oracle's
"Listing Pool-Wide I/O Statistics", docs/solaris.md 14.1).  This replays what a
pace fed by such samples could do, in the simulator's timing model, before anything
is built.

The prototype (:class:`LivePace`, here only): every ``--window`` simulated seconds
it is told the pool's bytes in that window and how long each number of streams moved
bytes in it; the per-stream rate at each number is solved by least squares over
every window (a window that saw 5 and then 4 streams is one equation); a number
counts as measured once streams ran at it for a window's length in all.  It begins
at 2 at once and grows by a quarter (at least one) while the aggregate grows by more
than search.NEAR over the best number below, a stop no higher than keeps pace with
its largest suspend while that one runs (as kzguard's begins); then it follows
kzguard's own search (kzguard.pace.search.next_step) on that table.  With ``--begin
auto`` it begins where kzguard's auto pace begins without history (START, a stop no
more than keeps pace with its largest, one in UNMEASURED_DROP fewer) and searches
from there.  Fewer at once takes effect only as transfers end (a running suspend is
never stopped); more, at once.  It counts only transfers moving bytes (each one's
op_overhead is known to it, as if kzguard's count-outs were exact): so beside it the
table prints kzguard's pace as it is, not a like-for-like of the counting;
``--in-flight`` makes it count every transfer begun and not ended instead,
op_overhead included, as a pace would that knows no fixed time (kzguard's meter
learns it from the first ends, pace/measure.py).  ``--noise`` scales each window's
bytes by a normal error of that relative size (the pool's own I/O besides the
images, transaction-group bursts: UNCONFIRMED magnitudes).

Printed per storage profile and size, over seeds 0 to N-1 (bench/cycle.py's
workloads), mean and worst: the first stop's makespan over its bound and its mean
downtime over the best offline schedule's (composed as bench/stop_pace.py composes
it: this stop, the reboot gap, the best offline resume); the first resume's makespan
over its bound and its mean time to running over the best offline resume's (the
resumes in kzguard's order for 8 at once).

    .venv/bin/python bench/live_pace.py [--sizes 10,100] [--seeds 4] [--window 5]
                                        [--noise 0.05] [--grow 1.25] [--in-flight]
                                        [--begin low|auto]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Sequence

import common
import stop_pace
from cycle import Phase

from kzguard.pace import auto
from kzguard.pace.search import MAX_AUTO, MIN_PROBE, NEAR, next_step
from kzguard.sim import timing
from kzguard.start.order import size_order

# The resumes' order is kzguard's for this many at once (its pace's first limit).
ORDER_LEVEL = auto.START
# Ridge on the normal equations, as kzguard.pace.measure.RIDGE.
RIDGE = 1e-9


class LivePace:
    """The prototype (the module's description).  ``keep``: the most at once while
    the largest suspend runs and the pace still grows (None: no such cap);
    ``first``: begin there and search at once, without the ramp from MIN_PROBE."""

    def __init__(
        self, window: float, grow: float, keep: int | None = None, first: int | None = None
    ) -> None:
        self.window = window
        self.grow = grow
        self.keep = keep
        self.current = MIN_PROBE if first is None else first
        self.ramping = first is None
        self.windows: list[tuple[dict[int, float], float]] = []

    def limit(self, largest_running: bool) -> int:
        if self.keep is not None and largest_running and self.ramping:
            return min(self.current, self.keep)
        return self.current

    def table(self) -> dict[int, float]:
        """Aggregate bytes per second at each number of streams measured."""
        seconds: dict[int, float] = {}
        for spent, _ in self.windows:
            for streams, span in spent.items():
                seconds[streams] = seconds.get(streams, 0.0) + span
        levels = sorted(seconds)
        index = {level: position for position, level in enumerate(levels)}
        gram = [[0.0] * len(levels) for _ in levels]
        moment = [0.0] * len(levels)
        for spent, nbytes in self.windows:
            row = [0.0] * len(levels)
            for streams, span in spent.items():
                row[index[streams]] = streams * span
            for i, left in enumerate(row):
                moment[i] += left * nbytes
                for j, right in enumerate(row):
                    gram[i][j] += left * right
        for i in range(len(levels)):
            gram[i][i] *= 1 + RIDGE
        rates = solve(gram, moment)
        return {
            level: rates[index[level]] * level
            for level in levels
            if seconds[level] >= self.window and rates[index[level]] > 0
        }

    def sample(self, spent: dict[int, float], nbytes: float) -> None:
        """One window: seconds at each number of streams moving (> 0), its bytes."""
        self.windows.append((spent, nbytes))
        table = self.table()
        if self.current not in table:
            return
        if self.ramping:
            below = [value for level, value in table.items() if level < self.current]
            grown = min(max(self.current + 1, int(self.grow * self.current)), MAX_AUTO)
            if (below and table[self.current] < (1 + NEAR) * max(below)) or grown == self.current:
                self.ramping = False
            else:
                self.current = grown
                return
        self.current = next_step(table).level


def solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """Gauss-Jordan with partial pivoting; a singular column solves to 0."""
    size = len(vector)
    rows = [[*row, vector[i]] for i, row in enumerate(matrix)]
    for column in range(size):
        pivot = max(range(column, size), key=lambda row: abs(rows[row][column]))
        rows[column], rows[pivot] = rows[pivot], rows[column]
        if rows[column][column] == 0:
            continue
        for row in range(size):
            if row != column and rows[row][column]:
                factor = rows[row][column] / rows[column][column]
                for k in range(column, size + 1):
                    rows[row][k] -= factor * rows[column][k]
    return [rows[i][size] / rows[i][i] if rows[i][i] else 0.0 for i in range(size)]


def live_schedule(
    images: Sequence[float],
    *,
    cap: float,
    pool: timing.Storage,
    overhead: float,
    pace: LivePace,
    noise: float,
    rng: random.Random,
    in_flight: bool = False,
) -> list[tuple[float, float]]:
    """common.fluid_schedule's model, the pace sampling the pool every window;
    each operation's (start, end) in simulated seconds, in the order given.
    ``in_flight``: the pace counts every operation begun and not ended, its
    op_overhead included, instead of those moving bytes."""
    largest = max(range(len(images)), key=lambda index: images[index])
    pending = list(reversed(range(len(images))))
    moving: dict[int, float] = {}
    finishing: dict[int, float] = {}
    times = [(0.0, 0.0)] * len(images)
    now, window_end, window_bytes = 0.0, pace.window, 0.0
    spent: dict[int, float] = {}
    while pending or moving or finishing:
        running = largest in moving or largest in pending
        while pending and counted(moving, finishing, in_flight) < pace.limit(running):
            index = pending.pop()
            moving[index] = images[index]
            times[index] = (now, 0.0)
        busy = list(moving)
        speeds = timing.rates([timing.Flow(moving[i], cap) for i in busy], pool) if busy else []
        steps = [moving[i] / speed for i, speed in zip(busy, speeds) if speed > 0]
        steps += [end - now for end in finishing.values()]
        step = max(min([*steps, window_end - now]), 0.0)
        now += step
        window_bytes += sum(speeds) * step
        streams = counted(moving, finishing, in_flight)
        if streams:
            spent[streams] = spent.get(streams, 0.0) + step
        for index, speed in zip(busy, speeds):
            moving[index] -= speed * step
            if moving[index] <= timing.EPSILON:
                del moving[index]
                finishing[index] = now + overhead
        for index in [index for index, end in finishing.items() if end <= now + 1e-9]:
            times[index] = (times[index][0], finishing.pop(index))
        if now >= window_end - 1e-9:
            if spent:
                pace.sample(spent, window_bytes * (1 + noise * rng.gauss(0.0, 1.0)))
            window_end, window_bytes, spent = now + pace.window, 0.0, {}
    return times


def counted(moving: dict[int, float], finishing: dict[int, float], in_flight: bool) -> int:
    return len(moving) + (len(finishing) if in_flight else 0)


def first_cycle(
    host: stop_pace.Host, args: argparse.Namespace, rng: random.Random
) -> dict[str, tuple[float, float]]:
    """(makespan / bound, mean downtime or time to running / best offline's) of the
    first stop and the first resume, kzguard's pace and the prototype's."""
    stop, resume = host.work.shutdown, host.work.resume
    best_resume, _ = resume.best_mean()
    best_down = stop.best_mean()[0] + stop_pace.REBOOT_SECONDS + best_resume

    def downtime(before_reboot: float) -> float:
        return (before_reboot + stop_pace.REBOOT_SECONDS + best_resume) / best_down

    work = sorted(host.memory.values(), reverse=True)
    found: dict[str, tuple[float, float]] = {}
    makespan, down = stop_pace.stop_phase(auto.AutoPace("suspend", work=work), host, host.memory)
    found["stop, kzguard"] = (makespan / stop.bound, downtime(down))
    makespan, down = stop_pace.stop_phase(
        auto.AutoPace("suspend", work=work, pools=True), host, host.memory, window=args.window
    )
    found["stop, kzguard sampled"] = (makespan / stop.bound, downtime(down))
    order = sorted(stop.image, key=lambda zone: (-host.memory[zone], zone))
    keep = -(-sum(work) // max(work))
    # kzguard's own first number: START, no more than keep pace, one in five fewer.
    first = min(auto.START, keep - keep // auto.UNMEASURED_DROP) if args.begin == "auto" else None
    live = LivePace(args.window, args.grow, keep, first)
    times = replay(stop, [float(stop.image[zone]) for zone in order], live, args, rng)
    makespan = max(end for _, end in times)
    down = statistics.fmean(makespan - start for start, _ in times)
    found["stop, sampled"] = (makespan / stop.bound, downtime(down))
    pace = auto.AutoPace("resume")
    order = size_order(resume.image, pace.limit())
    images = [float(resume.image[zone]) for zone in order]
    times = common.fluid_schedule(
        images, resume.rate, resume.pool, resume.op_overhead, pace, names=order
    )
    found["resume, kzguard"] = ratios(times, resume.bound, best_resume)
    pace = auto.AutoPace("resume")
    order = size_order(resume.image, pace.limit())
    images = [float(resume.image[zone]) for zone in order]
    times = common.fluid_schedule(
        images,
        resume.rate,
        resume.pool,
        resume.op_overhead,
        pace,
        names=order,
        window=args.window,
    )
    found["resume, kzguard sampled"] = ratios(times, resume.bound, best_resume)
    order = size_order(resume.image, ORDER_LEVEL)
    images = [float(resume.image[zone]) for zone in order]
    live = LivePace(args.window, args.grow, None, auto.START if args.begin == "auto" else None)
    times = replay(resume, images, live, args, rng)
    found["resume, sampled"] = ratios(times, resume.bound, best_resume)
    return found


def replay(
    phase: Phase, images: list[float], live: LivePace, args: argparse.Namespace, rng: random.Random
) -> list[tuple[float, float]]:
    """live_schedule of ``images`` on ``phase``'s storage, as the options say."""
    return live_schedule(
        images,
        cap=phase.rate,
        pool=phase.pool,
        overhead=phase.op_overhead,
        pace=live,
        noise=args.noise,
        rng=rng,
        in_flight=args.in_flight,
    )


def ratios(times: Sequence[tuple[float, float]], bound: float, best: float) -> tuple[float, float]:
    ends = [end for _, end in times]
    return max(ends) / bound, statistics.fmean(ends) / best


def report(args: argparse.Namespace) -> list[str]:
    names = [
        "stop, kzguard",
        "stop, kzguard sampled",
        "stop, sampled",
        "resume, kzguard",
        "resume, kzguard sampled",
        "resume, sampled",
    ]
    header = ["storage", "zones", *[f"{name}: makespan" for name in names]]
    header += [f"{name}: {'downtime' if 'stop' in name else 'to running'}" for name in names]
    rows = []
    for size in args.sizes:
        for label, profile in stop_pace.PROFILES.items():
            runs = []
            for seed in range(args.seeds):
                host = stop_pace.Host.probe(size, seed, profile)
                noise = random.Random(seed)  # noqa: S311 (an error model, not secrets)
                runs.append(first_cycle(host, args, noise))
            row = [label, str(size)]
            for which in (0, 1):
                row += [stop_pace.cell([run[name][which] for run in runs]) for name in names]
            rows.append(row)
    return common.table(header, rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=common.parse_ints, default=[10, 100])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--window", type=float, default=5.0, help="simulated seconds")
    parser.add_argument("--noise", type=float, default=0.0, help="relative error of a window")
    parser.add_argument("--grow", type=float, default=1.25, help="growth factor while ramping")
    parser.add_argument(
        "--begin",
        choices=("low", "auto"),
        default="low",
        help="ramp up from 2 at once, or begin where kzguard's auto pace begins and search",
    )
    parser.add_argument(
        "--in-flight",
        action="store_true",
        help="count every transfer begun and not ended (op_overhead unknown to the pace)",
    )
    args = parser.parse_args(argv)
    began = time.monotonic()
    title = (
        f"First cycles, seeds 0 to {args.seeds - 1}; a window of {args.window:g} simulated s,"
        f" noise {args.noise:g}, growth {args.grow:g},"
        f" counting {'in flight' if args.in_flight else 'moving bytes'}, beginning {args.begin};"
        " each cell: the mean, the worst over the seeds (makespan over the bound; mean"
        " downtime or mean time to running over the best offline schedule's)"
    )
    return common.print_replay(title, report(args), began)


if __name__ == "__main__":
    sys.exit(main())

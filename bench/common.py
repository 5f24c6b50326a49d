"""What bench/shutdown.py and bench/resume.py share: the simulated hosts, the zone
images and their lower bound, timing a run, reading the simulator's command log,
the baselines' ``zoneadm`` loops, the timing-model replay, the options and the
report's tables.

Not a benchmark itself: the two scripts import it (their directory is on sys.path
when they run).
"""

from __future__ import annotations

import abc
import argparse
import compileall
import contextlib
import dataclasses
import math
import os
import platform
import py_compile
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Protocol, TypeVar

import kzguard
from kzguard.errors import CommandError
from kzguard.pace.limit import FixedPace, Pace
from kzguard.sim import timing
from kzguard.sim.create import create_host
from kzguard.sim.state import SimHost
from kzguard.solaris.runner import ALLOWED_PREFIX_VARIABLE, COMMAND_ENVIRONMENT, Runner

MIB = 1 << 20
GIB = 1 << 30
# The policy schema's own ceiling (policy_schema.MAX_DEADLINE): large enough that
# the planner never demotes a suspend to make it fit a budget.
DEADLINE = 24 * 3600.0
# Rates that make every zone operation instantaneous.
INSTANT_RATE = 1e15
INSTANT_SCALE = 1e-6
# The parallel limits replayed through the timing model besides kzguard's own.
MODEL_PARALLELS = (2, 8)
MODEL_TITLE = "The same start orders in the timing model with free commands (ratio to the bound):"
# A zone operation that takes longer than this in real seconds is a broken benchmark.
COMMAND_TIMEOUT = 3600.0


def compile_package() -> None:
    """Compile kzguard's bytecode where its methods import it from, as the IPS package
    delivers it (checked-hash, packaging/build-ips.sh): a method the bench runs as a
    process must not compile its modules afresh each time, as it would where
    PYTHONDONTWRITEBYTECODE is set (70 ms of CPU a method, docs/performance.md)."""
    compileall.compile_dir(
        str(Path(kzguard.__file__).parent),
        quiet=1,
        invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH,
    )


# -- the workload -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ZoneImages(abc.ABC):
    """The kernel zones whose images a run moves and the host's rates (bytes,
    simulated seconds).  ``rate`` is how fast one operation alone moves its image:
    a suspend writes it, a resume reads it; the storage is shared."""

    zones: tuple[str, ...]  # in configuration order
    image: dict[str, int]
    memory: dict[str, int]
    storage_bandwidth: float
    op_overhead: float
    time_scale: float
    # The pool the operations share, loss beyond saturation included (a suspend's
    # the write pool, a resume's the read pool: kzguard.sim.storage.pools).
    storage: timing.Storage

    @property
    @abc.abstractmethod
    def rate(self) -> float:
        """Bytes per simulated second one operation alone moves."""

    def single(self, zone: str) -> float:
        """Simulated seconds of ``zone``'s operation when it runs alone."""
        return self.op_overhead + self.image[zone] / self.rate

    @property
    def longest(self) -> float:
        return max(self.single(zone) for zone in self.zones)

    @property
    def total_bytes(self) -> int:
        return sum(self.image.values())

    @property
    def storage_bound(self) -> float:
        return self.total_bytes / self.storage_bandwidth

    @property
    def lower_bound(self) -> float:
        return max(self.longest, self.storage_bound)


def saturating_parallel(work: ZoneImages) -> int:
    """Enough operations to saturate the storage, plus two slots for zones that are
    between transfers (zoneadm starting, the boot-time zlogin, op_overhead)."""
    return math.ceil(work.storage_bandwidth / work.rate) + 2


def fluid_schedule(
    images: Sequence[float],
    cap: float,
    storage: timing.Storage | float,
    op_overhead: float,
    parallel: int | Pace,
    *,
    names: Sequence[str] | None = None,
    estimates: Sequence[int] | None = None,
    window: float | None = None,
) -> list[tuple[float, float]]:
    """The simulator's timing model replayed with commands that cost nothing: the
    operations start in the order of ``images`` whenever fewer than ``parallel`` are
    busy; each moves its image at up to ``cap`` on the shared ``storage``
    (kzguard.sim.timing.rates, its loss beyond saturation included), then spends
    ``op_overhead``.  Returns each one's (start, end) in simulated seconds.

    ``parallel`` may be a pace (kzguard/pace/limit.py) on the replay's clock: asked
    before each start, woken at its :meth:`~kzguard.pace.limit.Pace.wake`, told of
    each operation as the executors tell it (by its ``names`` entry, else its index;
    at its start its ``estimates`` entry, else its image; at its end its image) and,
    every ``window`` seconds while it wants them, of the bytes the storage moved in
    the window, as kzguard/pace/watch.py tells it of a pool's."""
    called = list(names) if names is not None else [str(index) for index in range(len(images))]
    pace = FixedPace(parallel) if isinstance(parallel, int) else parallel
    pending = list(reversed(range(len(images))))
    moving: dict[int, float] = {}  # index -> bytes still to move
    finishing: dict[int, float] = {}  # index -> when its op_overhead ends
    times = [(0.0, 0.0) for _ in images]
    now = 0.0
    window_start, window_bytes = 0.0, 0.0
    while pending or moving or finishing:
        while pending and len(moving) + len(finishing) < pace.limit(now):
            index = pending.pop()
            moving[index] = float(images[index])
            times[index] = (now, 0.0)
            expected = estimates[index] if estimates is not None else int(images[index])
            pace.began(called[index], expected, now)
        busy = list(moving)
        flows = [timing.Flow(moving[index], cap) for index in busy]
        speeds = timing.rates(flows, storage) if flows else []
        steps = [moving[index] / speed for index, speed in zip(busy, speeds) if speed > 0]
        steps += [end - now for end in finishing.values()]
        step = max(min(steps), 0.0)
        due = pace.wake(now) if pending else None
        if due is not None and now < due < now + step:
            step = due - now  # the pace's prediction falls first: ask it again then
        if window is not None:
            step = min(step, window_start + window - now)
        now += step
        window_bytes += sum(speeds) * step
        if window is not None and now >= window_start + window - 1e-9:
            if pace.wants_samples():
                pace.sampled(window_start, now, window_bytes)
            window_start, window_bytes = now, 0.0
        for index, speed in zip(busy, speeds):
            moving[index] -= speed * step
            if moving[index] <= timing.EPSILON:
                del moving[index]
                finishing[index] = now + op_overhead
        for index in [index for index, end in finishing.items() if end <= now + 1e-9]:
            times[index] = (times[index][0], finishing.pop(index))
            pace.ended(called[index], now, ok=True, nbytes=int(images[index]))
    return times


def fluid_makespan(work: ZoneImages, order: Sequence[str], parallel: int) -> float:
    """The makespan of :func:`fluid_schedule` for ``work``'s zones in ``order``:
    what the schedule alone achieves, in simulated seconds."""
    images = [float(work.image[zone]) for zone in order]
    times = fluid_schedule(images, work.rate, work.storage, work.op_overhead, parallel)
    return max((end for _, end in times), default=0.0)


# -- simulated hosts ----------------------------------------------------------------


@contextlib.contextmanager
def fresh_host(zones: int, seed: int, time_scale: float) -> Iterator[SimHost]:
    """A new simulated host at run level 6 (init 6 in progress), removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="kzguard-bench-") as directory:
        host = create_host(Path(directory) / "host", zones=zones, seed=seed, time_scale=time_scale)
        host.set_runlevel("6")
        # kzguard.solaris.runner then refuses any command outside the simulated host.
        previous = os.environ.get(ALLOWED_PREFIX_VARIABLE)
        os.environ[ALLOWED_PREFIX_VARIABLE] = str(host.bin_dir) + os.sep
        try:
            yield host
        finally:
            if previous is None:
                os.environ.pop(ALLOWED_PREFIX_VARIABLE, None)
            else:
                os.environ[ALLOWED_PREFIX_VARIABLE] = previous


def make_instant(host: SimHost) -> None:
    """Make every zone operation take no simulated time at all."""
    with host.edit() as state:
        state["rates"]["suspend_rate"] = INSTANT_RATE
        state["rates"]["storage_bandwidth"] = INSTANT_RATE
        state["rates"]["resume_rate"] = INSTANT_RATE
        state["rates"]["read_bandwidth"] = INSTANT_RATE
        state["rates"]["op_overhead"] = 0.0
        state["time_scale"] = INSTANT_SCALE


# -- measuring ----------------------------------------------------------------------


@dataclasses.dataclass
class Run:
    """One run on one host."""

    name: str
    wall: float  # real seconds the run took
    time_scale: float
    failures: list[str] = dataclasses.field(default_factory=list)
    cpu: float = 0.0  # this process's CPU seconds (user + system) during the run
    children_cpu: float = 0.0  # CPU seconds of the simulated commands it reaped
    commands: int = 0
    order: tuple[str, ...] = ()  # the order the zone operations were started in

    @property
    def makespan(self) -> float:
        return self.wall / self.time_scale


RunT = TypeVar("RunT", bound=Run)


def cpu_seconds() -> tuple[float, float]:
    """CPU seconds (user + system) of this process and of its reaped children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


@contextlib.contextmanager
def measured(run: RunT) -> Iterator[RunT]:
    """Time the block into ``run``: wall clock, this process's CPU and its reaped
    children's."""
    cpu_before, children_before = cpu_seconds()
    started = time.monotonic()
    yield run
    run.wall = time.monotonic() - started
    cpu_after, children_after = cpu_seconds()
    run.cpu = cpu_after - cpu_before
    run.children_cpu = children_after - children_before


@dataclasses.dataclass
class ZoneadmLog:
    """What the simulator's command log says about ``zoneadm -z ZONE SUBCOMMAND``."""

    commands: int  # commands started, of every kind
    starts: list[tuple[float, str]]  # (epoch time, zone) of each one started
    ends: list[float]  # epoch time of each one that ended


def read_zoneadm_log(host: SimHost, subcommand: str) -> ZoneadmLog:
    """The command count and the ``zoneadm`` starts and ends, start and end lines
    matched by pid."""
    log = ZoneadmLog(0, [], [])
    running: dict[int, tuple[float, str]] = {}  # pid -> (start time, zone)
    for event in host.commands():
        pid = int(event.get("pid", -1))
        if event.get("event") == "start":
            log.commands += 1
            argv = event.get("argv", [])
            if event.get("tool") == "zoneadm" and argv[3:4] == [subcommand]:
                running[pid] = (float(event["time"]), str(argv[2]))
                log.starts.append(running[pid])
            else:
                running.pop(pid, None)
        elif event.get("event") == "end" and pid in running:
            log.ends.append(float(event["time"]))
            del running[pid]
    return log


# -- the baselines ------------------------------------------------------------------


# A baseline without kzguard: runs ``zoneadm -z Z SUBCOMMAND`` for the zones and
# returns the failures (zoneadm_one_at_a_time, zoneadm_all_at_once).
Baseline = Callable[[SimHost, Sequence[str], str], list[str]]


def zoneadm_argv(host: SimHost, zone: str, subcommand: str) -> list[str]:
    return [host.executable("zoneadm"), "-z", zone, subcommand]


def zoneadm_one_at_a_time(host: SimHost, zones: Sequence[str], subcommand: str) -> list[str]:
    """``zoneadm -z Z SUBCOMMAND`` for one zone after the other through kzguard's
    Runner, as a shell loop would; returns the failures."""
    runner = Runner()
    failures = []
    for zone in zones:
        try:
            runner.run(zoneadm_argv(host, zone, subcommand), timeout=COMMAND_TIMEOUT)
        except CommandError as error:
            failures.append(f"{zone}: {error}")
    return failures


def zoneadm_all_at_once(host: SimHost, zones: Sequence[str], subcommand: str) -> list[str]:
    """Every ``zoneadm -z Z SUBCOMMAND`` started together, then each waited for;
    returns the failures."""
    processes = [
        subprocess.Popen(
            zoneadm_argv(host, zone, subcommand),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=dict(COMMAND_ENVIRONMENT),
            close_fds=True,
        )
        for zone in zones
    ]
    failures = []
    for zone, process in zip(zones, processes):
        _, stderr = process.communicate()
        if process.returncode != 0:
            text = stderr.decode("utf-8", errors="replace").strip()
            failures.append(f"{zone}: exit {process.returncode}: {text}")
    return failures


# -- running the sizes --------------------------------------------------------------


class SizeRuns(Protocol):
    """The runs on one host size."""

    @property
    def size(self) -> int: ...

    @property
    def work(self) -> ZoneImages: ...

    @property
    def seconds(self) -> float: ...  # real seconds the whole size took

    def runs(self) -> Sequence[Run]: ...


SizeT = TypeVar("SizeT", bound=SizeRuns)
Load = tuple[float, float]  # 1-minute load average before and after


def progress(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


def bench_sizes(
    sizes: Sequence[int],
    parallels: Sequence[int] | None,
    seed: int,
    *,
    benchmark: str,
    rate: str,
    workload: Callable[[SimHost], ZoneImages],
    bench_size: Callable[[int, Sequence[int]], SizeT],
    render: Callable[[Sequence[SizeT], Sequence[int]], list[str]],
) -> int:
    """Run ``bench_size`` for every size with kzguard's ``parallels`` (default: the
    saturating one of ``workload``'s host), print the report (the ``heading`` of
    ``benchmark`` with the host's ``rate``, what ``render`` makes of the results,
    the ``ending``), and return the exit status: 1 if any run failed."""
    load_before = os.getloadavg()[0]
    began = time.monotonic()
    results = []
    chosen = list(parallels or [])
    for size in sizes:
        if not chosen:
            with fresh_host(1, seed, 1.0) as probe:
                chosen = [saturating_parallel(workload(probe))]
        results.append(bench_size(size, chosen))
    seconds = time.monotonic() - began
    load = (load_before, os.getloadavg()[0])
    lines = heading(benchmark, seed, load, rate, results[0].work)
    lines += render(results, chosen)
    lines += ending(results, seconds)
    print("\n".join(lines))
    return 1 if any(run.failures for item in results for run in item.runs()) else 0


# -- options ------------------------------------------------------------------------


def parse_floats(text: str) -> list[float]:
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers like 0,0.005: {text!r}") from None
    if not values or any(not 0 <= value < 1 for value in values):
        raise argparse.ArgumentTypeError(f"expected shares from 0 to below 1: {text!r}")
    return values


def parse_ints(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers like 10,100,500: {text!r}") from None
    if not values or any(value < 1 for value in values):
        raise argparse.ArgumentTypeError(f"expected positive numbers: {text!r}")
    return values


def runs_parser(known: Sequence[str]) -> Callable[[str], list[str]]:
    """An argparse type: a comma-separated selection of ``known``."""

    def parse_runs(text: str) -> list[str]:
        runs = [part.strip() for part in text.split(",") if part.strip()]
        unknown = sorted(set(runs) - set(known))
        if unknown or not runs:
            raise argparse.ArgumentTypeError(f"expected some of {','.join(known)}: {text!r}")
        return runs

    return parse_runs


def add_size_arguments(parser: argparse.ArgumentParser, target: Mapping[int, float]) -> None:
    """--sizes and --time-scale; ``target``: real seconds of the lower bound by size."""
    parser.add_argument("--sizes", type=parse_ints, default=[10, 100, 500])
    parser.add_argument(
        "--time-scale",
        type=float,
        default=None,
        help="real seconds per simulated second, for every size (default: per size, so "
        f"that the lower bound lasts {target} real seconds)",
    )


def add_run_arguments(
    parser: argparse.ArgumentParser, section: str, rate: str, runs: Sequence[str]
) -> None:
    """--seed, --parallel (kzguard's ``[section] parallel``) and --runs."""
    parser.add_argument("--seed", type=int, default=0, help="create_host seed (memory mix)")
    parser.add_argument(
        "--parallel",
        type=parse_ints,
        default=None,
        help=f"[{section}] parallel values to run kzguard with, the first in the main "
        f"columns (default: ceil(storage_bandwidth/{rate})+2)",
    )
    parser.add_argument(
        "--runs", type=runs_parser(runs), default=list(runs), help=f"default {','.join(runs)}"
    )


# -- output -------------------------------------------------------------------------


def ratio(seconds: float | None, work: ZoneImages, *, failed: bool = False) -> str:
    if seconds is None:
        return "-"
    return f"{seconds / work.lower_bound:.3f}{'!' if failed else ''}"


def run_ratio(run: Run | None, work: ZoneImages) -> str:
    if run is None:
        return "-"
    return ratio(run.makespan, work, failed=bool(run.failures))


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def workload_table(
    operation: str, extra_header: Sequence[str], rows: Sequence[tuple[SizeRuns, Sequence[str]]]
) -> list[str]:
    """The workloads: each size's memory and images, the longest single ``operation``
    and images / bandwidth (the two terms of the lower bound), the extra columns,
    then the real seconds the size took.  ``rows``: each size with its extra cells."""
    header = [
        "size",
        "memory (GiB)",
        "images (GiB)",
        f"longest single {operation} (s)",
        "images / bandwidth (s)",
        *extra_header,
        "bench real s",
    ]
    cells = [
        [
            str(item.size),
            f"{sum(item.work.memory.values()) / GIB:.0f}",
            f"{item.work.total_bytes / GIB:.1f}",
            f"{item.work.longest:.1f}",
            f"{item.work.storage_bound:.1f}",
            *extra,
            f"{item.seconds:.0f}",
        ]
        for item, extra in rows
    ]
    return table(header, cells)


def describe_storage(pool: timing.Storage) -> str:
    """A pool as the reports print it: bandwidth, saturation, loss, floor."""
    return (
        f"storage {pool.bandwidth / MIB:.0f} MiB shared, saturating at {pool.saturation:g}"
        f" streams, loss {pool.loss:g} per stream beyond, floor {pool.floor:g}"
    )


def heading(benchmark: str, seed: int, load: Load, rate: str, work: ZoneImages) -> list[str]:
    """The report's first lines: the machine, the seed, the load and the host's rates."""
    return [
        f"kzguard {benchmark} benchmark: {os.cpu_count()} CPUs,"
        f" Python {platform.python_version()} ({platform.machine()}), seed {seed};"
        f" 1-minute load average {load[0]:.2f} before, {load[1]:.2f} after"
        " (anything else running skews the figures)",
        f"host rates per simulated second: {rate} {work.rate / MIB:.0f} MiB,"
        f" {describe_storage(work.storage)},"
        f" op_overhead {work.op_overhead:g} s",
    ]


def section(title: str, lines: Sequence[str]) -> list[str]:
    """A blank line, the title, a blank line, the table."""
    return ["", title, "", *lines]


def print_replay(title: str, table: Sequence[str], began: float) -> int:
    """Print a replay's report: its title, its table and the real time since
    ``began`` (time.monotonic); the exit status."""
    lines = [title, "", *table, "", f"total real time {time.monotonic() - began:.1f} s"]
    print("\n".join(lines))
    return 0


def ending(results: Sequence[SizeRuns], seconds: float) -> list[str]:
    """The report's last lines: the failures, if any, and the total real time."""
    failed = [
        f"{item.size} zones, {run.name}: {failure}"
        for item in results
        for run in item.runs()
        for failure in run.failures
    ]
    lines = []
    if failed:
        lines += ["", "FAILURES (their ratios are marked !):", *failed[:50]]
    lines += ["", f"total real time {seconds:.0f} s"]
    return lines

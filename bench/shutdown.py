"""Shutdown benchmark: kzguard's stop method against the lower bound and two baselines.

For each size this builds fresh simulated hosts (``kzguard.sim``) with that many
kernel zones of mixed memory sizes, at run level 6, and runs one after the other in
this process:

* kzguard: ``kzguard.guard.execute_stop`` with the host's own policy and
  ``[shutdown] parallel`` chosen so that the storage saturates;
* serial: ``zoneadm -z Z suspend`` one zone at a time through kzguard's Runner
  (libvirt-guests' default);
* all at once: every ``zoneadm -z Z suspend`` started together, then waited for
  (the Solaris zones service without a limit);
* overhead: kzguard again, on a host whose zone operations are instantaneous.

A makespan is wall-clock time from the first command to the last suspend finished,
divided by the host's ``time_scale`` (so in simulated seconds, nothing subtracted).
The ratio is makespan / lower bound, the lower bound being ``max(longest single
suspend, total image bytes / storage_bandwidth)`` where a single suspend takes
``op_overhead + image / suspend_rate`` (kzguard/sim/timing.py, lifecycle.py).

The same start orders are also replayed through the simulator's timing model with
commands that cost nothing: that separates the quality of the schedule from the
cost of running the simulated commands.  See bench/README.md and
docs/performance.md.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from kzguard import guard
from kzguard.errors import CommandError
from kzguard.host import Host
from kzguard.policy import Policy, ShutdownPolicy
from kzguard.policy_file import load_policy
from kzguard.runner import ALLOWED_PREFIX_VARIABLE, COMMAND_ENVIRONMENT, Runner
from kzguard.sim import timing, transitions
from kzguard.sim.create import create_host
from kzguard.sim.state import SimHost
from kzguard.stop import SUSPENDED

MIB = 1 << 20
GIB = 1 << 30
# The policy schema's own ceiling (policy_schema.MAX_DEADLINE): large enough that
# the planner never demotes a suspend to make it fit a budget.
DEADLINE = 24 * 3600.0
# Real seconds the lower bound lasts when neither --time-scale nor --bound-seconds
# is given.  A simulated command costs 30-60 ms of CPU (a Python start-up and the
# state file), real seconds that the conversion to simulated time multiplies by
# 1/time_scale: the simulation is faithful only when the commands kzguard must run
# (about three per zone) are small against the bound.  At these lengths they are
# a few percent of it on 2 CPUs; a full run takes about 50 minutes.  Shorter bounds
# (--bound-seconds 12) give a quick look, dominated by the simulator's own cost.
TARGET_SECONDS = {10: 60.0, 100: 120.0, 500: 480.0}
DEFAULT_TARGET = 120.0
# Rates that make every zone operation instantaneous, for kzguard's own overhead.
INSTANT_RATE = 1e15
INSTANT_SCALE = 1e-6
RUNS = ("kzguard", "serial", "all", "overhead")
# The parallel limits replayed through the timing model besides kzguard's own.
MODEL_PARALLELS = (2, 8)
# A suspend that takes longer than this in real seconds is a broken benchmark.
COMMAND_TIMEOUT = 3600.0


@dataclasses.dataclass(frozen=True)
class Workload:
    """The kernel zones of one host and the host's rates (bytes, simulated seconds)."""

    zones: tuple[str, ...]  # in configuration order
    image: dict[str, int]
    memory: dict[str, int]
    suspend_rate: float
    storage_bandwidth: float
    op_overhead: float
    time_scale: float

    @classmethod
    def of(cls, host: SimHost) -> Workload:
        state = host.read()
        zones = [
            name
            for name, zone in state["zones"].items()
            if zone["brand"] == transitions.KERNEL_ZONE_BRAND
            and zone["state"] == "running"
            and zone["config"].get("suspend")
        ]
        rates = state["rates"]
        return cls(
            zones=tuple(zones),
            image={name: transitions.image_bytes(state["zones"][name]) for name in zones},
            memory={name: transitions.memory_bytes(state["zones"][name]) for name in zones},
            suspend_rate=float(rates["suspend_rate"]),
            storage_bandwidth=float(rates["storage_bandwidth"]),
            op_overhead=float(rates["op_overhead"]),
            time_scale=float(state["time_scale"]),
        )

    def single(self, zone: str) -> float:
        """Simulated seconds of ``zone``'s suspend when it runs alone."""
        return self.op_overhead + self.image[zone] / self.suspend_rate

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

    @property
    def tight_bound(self) -> float:
        """Also a lower bound: the last write ends no earlier than total/bandwidth,
        and its zoneadm then spends op_overhead more."""
        return max(self.longest, self.storage_bound + self.op_overhead)

    @property
    def memory_rate(self) -> float:
        """Memory bytes per real second one suspend alone gets through, on average:
        what ``[shutdown] assumed_rate`` should say for this host."""
        ratio = sum(self.image.values()) / sum(self.memory.values())
        return self.suspend_rate / ratio / self.time_scale


@dataclasses.dataclass
class Result:
    """One run on one host."""

    name: str
    wall: float  # real seconds from the first command to the last suspend finished
    time_scale: float
    failures: list[str] = dataclasses.field(default_factory=list)
    cpu: float = 0.0  # this process's CPU seconds (user + system) during the run
    children_cpu: float = 0.0  # CPU seconds of the simulated commands it reaped
    first_suspend: float | None = None  # real seconds until the first zoneadm suspend
    commands: int = 0
    order: tuple[str, ...] = ()  # the order the suspends were started in

    @property
    def makespan(self) -> float:
        return self.wall / self.time_scale

    @property
    def suspend_phase(self) -> float | None:
        """Simulated seconds from the first zoneadm suspend to the end."""
        if self.first_suspend is None:
            return None
        return (self.wall - self.first_suspend) / self.time_scale


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


@contextlib.contextmanager
def measured(name: str, time_scale: float) -> Iterator[Result]:
    """Time the block: wall clock, this process's CPU and its reaped children's."""
    result = Result(name, 0.0, time_scale)
    cpu_before, children_before = _cpu()
    started = time.monotonic()
    yield result
    result.wall = time.monotonic() - started
    cpu_after, children_after = _cpu()
    result.cpu = cpu_after - cpu_before
    result.children_cpu = children_after - children_before


@contextlib.contextmanager
def fresh_host(zones: int, seed: int, time_scale: float) -> Iterator[SimHost]:
    """A new simulated host at run level 6 (init 6 in progress), removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="kzguard-bench-") as directory:
        host = create_host(Path(directory) / "host", zones=zones, seed=seed, time_scale=time_scale)
        host.set_runlevel("6")
        # kzguard.runner then refuses any command outside the simulated host.
        previous = os.environ.get(ALLOWED_PREFIX_VARIABLE)
        os.environ[ALLOWED_PREFIX_VARIABLE] = str(host.bin_dir) + os.sep
        try:
            yield host
        finally:
            if previous is None:
                os.environ.pop(ALLOWED_PREFIX_VARIABLE, None)
            else:
                os.environ[ALLOWED_PREFIX_VARIABLE] = previous


def _read_log(host: SimHost, result: Result, started_epoch: float) -> None:
    """Fill in when the first suspend started, the start order and the command count."""
    starts = [event for event in host.commands() if event.get("event") == "start"]
    suspends = sorted(
        (float(event["time"]), event["argv"][2])
        for event in starts
        if event.get("tool") == "zoneadm" and event.get("argv", [])[3:4] == ["suspend"]
    )
    result.commands = len(starts)
    if suspends:
        result.first_suspend = suspends[0][0] - started_epoch
    if not result.order:
        result.order = tuple(zone for _, zone in suspends)


def bench_policy(host: SimHost, work: Workload, parallel: int) -> Policy:
    """The host's own policy file with this benchmark's [shutdown] limits."""
    policy = load_policy(str(host.policy_path), explicit=True)
    shutdown: ShutdownPolicy = dataclasses.replace(
        policy.shutdown,
        parallel=parallel,
        deadline=DEADLINE,
        assumed_rate=max(MIB, round(work.memory_rate)),
    )
    return dataclasses.replace(policy, shutdown=shutdown)


def run_kzguard(host: SimHost, parallel: int, name: str) -> Result:
    work = Workload.of(host)
    policy = bench_policy(host, work, parallel)
    adapter = Host(policy.commands)
    started_epoch = time.time()
    with measured(name, work.time_scale) as result:
        plan, report = guard.execute_stop(
            policy,
            adapter,
            holder="bench",
            trigger={"trigger": "bench"},
            started=time.monotonic(),
        )
    result.failures = [
        f"{outcome.zone}: {outcome.state} {outcome.reason}"
        for outcome in report.outcomes
        if outcome.state != SUSPENDED
    ]
    result.failures += report.own_failures
    planned = sorted(zone.zone for zone in plan.zones)
    if planned != sorted(work.zones):
        result.failures.append(f"kzguard planned {len(planned)} zones, not {len(work.zones)}")
    result.order = tuple(zone.zone for zone in plan.zones)
    _read_log(host, result, started_epoch)
    return result


def _suspend_argv(host: SimHost, zone: str) -> list[str]:
    return [host.executable("zoneadm"), "-z", zone, "suspend"]


def run_serial(host: SimHost) -> Result:
    """One zone at a time, in configuration order, as a shell loop would."""
    work = Workload.of(host)
    runner = Runner()
    started_epoch = time.time()
    with measured("serial", work.time_scale) as result:
        for zone in work.zones:
            try:
                runner.run(_suspend_argv(host, zone), timeout=COMMAND_TIMEOUT)
            except CommandError as error:
                result.failures.append(f"{zone}: {error}")
    _read_log(host, result, started_epoch)
    return result


def run_all_at_once(host: SimHost) -> Result:
    """Every suspend started together, then each waited for."""
    work = Workload.of(host)
    started_epoch = time.time()
    with measured("all at once", work.time_scale) as result:
        processes = [
            subprocess.Popen(
                _suspend_argv(host, zone),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env=dict(COMMAND_ENVIRONMENT),
                close_fds=True,
            )
            for zone in work.zones
        ]
        for zone, process in zip(work.zones, processes):
            _, stderr = process.communicate()
            if process.returncode != 0:
                text = stderr.decode("utf-8", errors="replace").strip()
                result.failures.append(f"{zone}: exit {process.returncode}: {text}")
    _read_log(host, result, started_epoch)
    return result


def make_instant(host: SimHost) -> None:
    """Make every zone operation take no simulated time at all."""
    with host.edit() as state:
        state["rates"]["suspend_rate"] = INSTANT_RATE
        state["rates"]["storage_bandwidth"] = INSTANT_RATE
        state["rates"]["op_overhead"] = 0.0
        state["time_scale"] = INSTANT_SCALE


def fluid_makespan(work: Workload, order: Sequence[str], parallel: int) -> float:
    """The simulator's timing model replayed with commands that cost nothing: zones
    start in ``order`` whenever fewer than ``parallel`` are busy; each writes its
    image on the shared storage (kzguard.sim.timing.rates), then spends op_overhead.
    Returns simulated seconds: what the schedule alone achieves."""
    pending = list(reversed(order))
    writing: dict[str, float] = {}  # zone -> bytes still to write
    finishing: dict[str, float] = {}  # zone -> when its op_overhead ends
    now = 0.0
    while pending or writing or finishing:
        while pending and len(writing) + len(finishing) < parallel:
            zone = pending.pop()
            writing[zone] = float(work.image[zone])
        names = list(writing)
        flows = [timing.Flow(writing[name], work.suspend_rate) for name in names]
        speeds = timing.rates(flows, work.storage_bandwidth) if flows else []
        steps = [writing[name] / speed for name, speed in zip(names, speeds) if speed > 0]
        steps += [end - now for end in finishing.values()]
        step = max(min(steps), 0.0)
        now += step
        for name, speed in zip(names, speeds):
            writing[name] -= speed * step
            if writing[name] <= timing.EPSILON:
                del writing[name]
                finishing[name] = now + work.op_overhead
        for name in [name for name, end in finishing.items() if end <= now + 1e-9]:
            del finishing[name]
    return now


def saturating_parallel(work: Workload) -> int:
    """Enough suspends to saturate the storage, plus two slots for zones that are
    between writes (starting up, reading their boot time, in op_overhead)."""
    return math.ceil(work.storage_bandwidth / work.suspend_rate) + 2


@dataclasses.dataclass
class SizeResult:
    size: int
    work: Workload
    kzguard: dict[int, Result] = dataclasses.field(default_factory=dict)  # by parallel
    serial: Result | None = None
    all_at_once: Result | None = None
    overhead: Result | None = None
    seconds: float = 0.0  # real seconds the whole size took

    def runs(self) -> list[Result]:
        found = [*self.kzguard.values(), self.serial, self.all_at_once, self.overhead]
        return [run for run in found if run is not None]


def bench_size(
    size: int,
    *,
    seed: int,
    time_scale: float | None,
    parallels: Sequence[int],
    runs: Sequence[str],
    bound_seconds: float | None = None,
) -> SizeResult:
    began = time.monotonic()
    with fresh_host(size, seed, 1.0) as probe:  # only to learn the workload
        work = Workload.of(probe)
    if time_scale is None:
        seconds = bound_seconds or TARGET_SECONDS.get(size, DEFAULT_TARGET)
        time_scale = seconds / work.lower_bound
    work = dataclasses.replace(work, time_scale=time_scale)
    result = SizeResult(size, work)
    if "kzguard" in runs:
        for parallel in parallels:
            _progress(f"{size} zones: kzguard, parallel {parallel}")
            with fresh_host(size, seed, time_scale) as host:
                result.kzguard[parallel] = run_kzguard(host, parallel, f"kzguard p={parallel}")
    if "serial" in runs:
        _progress(f"{size} zones: one at a time")
        with fresh_host(size, seed, time_scale) as host:
            result.serial = run_serial(host)
    if "all" in runs:
        _progress(f"{size} zones: all at once")
        with fresh_host(size, seed, time_scale) as host:
            result.all_at_once = run_all_at_once(host)
    if "overhead" in runs:
        _progress(f"{size} zones: kzguard overhead (instantaneous operations)")
        with fresh_host(size, seed, time_scale) as host:
            make_instant(host)
            result.overhead = run_kzguard(host, parallels[0], "kzguard overhead")
    result.seconds = time.monotonic() - began
    return result


def _progress(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


# -- output -------------------------------------------------------------------------


def _ratio(seconds: float | None, work: Workload, *, failed: bool = False) -> str:
    if seconds is None:
        return "-"
    return f"{seconds / work.lower_bound:.3f}{'!' if failed else ''}"


def _run_ratio(run: Result | None, work: Workload) -> str:
    if run is None:
        return "-"
    return _ratio(run.makespan, work, failed=bool(run.failures))


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def main_table(results: Sequence[SizeResult], parallels: Sequence[int]) -> list[str]:
    main, *extra = parallels
    header = [
        "size",
        "time scale",
        "lower bound (s)",
        "kzguard makespan (s)",
        "ratio",
        *(f"ratio parallel={parallel}" for parallel in extra),
        "serial ratio",
        "all-at-once ratio",
        "overhead ms/zone (CPU)",
        "overhead ms/zone (wall)",
    ]
    rows = []
    for item in results:
        work, kz, overhead = item.work, item.kzguard.get(main), item.overhead
        rows.append(
            [
                str(item.size),
                f"{work.time_scale:.5f}",
                f"{work.lower_bound:.1f}",
                f"{kz.makespan:.1f}" if kz else "-",
                _run_ratio(kz, work),
                *(_run_ratio(item.kzguard.get(parallel), work) for parallel in extra),
                _run_ratio(item.serial, work),
                _run_ratio(item.all_at_once, work),
                f"{overhead.cpu / item.size * 1000:.1f}" if overhead else "-",
                f"{overhead.wall / item.size * 1000:.1f}" if overhead else "-",
            ]
        )
    return _table(header, rows)


def detail_table(results: Sequence[SizeResult]) -> list[str]:
    header = [
        "size",
        "run",
        "real s",
        "makespan (s)",
        "ratio",
        "first suspend after (real s)",
        "suspend-phase ratio",
        "commands",
        "kzguard CPU s",
        "simulator CPU s",
    ]
    rows = []
    for item in results:
        for run in item.runs():
            timed = run is not item.overhead
            rows.append(
                [
                    str(item.size),
                    run.name,
                    f"{run.wall:.2f}",
                    f"{run.makespan:.1f}" if timed else "-",
                    _run_ratio(run, item.work) if timed else "-",
                    "-" if run.first_suspend is None else f"{run.first_suspend:.2f}",
                    _ratio(run.suspend_phase, item.work) if timed else "-",
                    str(run.commands),
                    f"{run.cpu:.2f}",
                    f"{run.children_cpu:.2f}",
                ]
            )
    return _table(header, rows)


def model_table(results: Sequence[SizeResult], parallels: Sequence[int]) -> list[str]:
    main = parallels[0]
    others = [parallel for parallel in MODEL_PARALLELS if parallel != main]
    header = [
        "size",
        f"kzguard's order, parallel={main}",
        *(f"kzguard's order, parallel={parallel}" for parallel in others),
        "serial",
        "all at once",
    ]
    rows = []
    for item in results:
        work = item.work
        kz = item.kzguard.get(main)
        order = kz.order if kz else ()
        row = [str(item.size)]
        for parallel in (main, *others):
            value = fluid_makespan(work, order, parallel) if order else None
            row.append(_ratio(value, work))
        row.append(_ratio(fluid_makespan(work, work.zones, 1), work))
        row.append(_ratio(fluid_makespan(work, work.zones, len(work.zones)), work))
        rows.append(row)
    return _table(header, rows)


def workload_table(results: Sequence[SizeResult]) -> list[str]:
    header = [
        "size",
        "memory (GiB)",
        "images (GiB)",
        "longest single suspend (s)",
        "images / bandwidth (s)",
        "tighter bound (s)",
        "bench real s",
    ]
    rows = [
        [
            str(item.size),
            f"{sum(item.work.memory.values()) / GIB:.0f}",
            f"{item.work.total_bytes / GIB:.1f}",
            f"{item.work.longest:.1f}",
            f"{item.work.storage_bound:.1f}",
            f"{item.work.tight_bound:.1f}",
            f"{item.seconds:.0f}",
        ]
        for item in results
    ]
    return _table(header, rows)


def render(
    results: Sequence[SizeResult],
    parallels: Sequence[int],
    seed: int,
    seconds: float,
    load: tuple[float, float],
) -> list[str]:
    work = results[0].work
    lines = [
        f"kzguard shutdown benchmark: {os.cpu_count()} CPUs, Python {platform.python_version()}"
        f" ({platform.machine()}), seed {seed}; 1-minute load average {load[0]:.2f} before,"
        f" {load[1]:.2f} after (anything else running skews the figures)",
        f"host rates per simulated second: suspend_rate {work.suspend_rate / MIB:.0f} MiB,"
        f" storage_bandwidth {work.storage_bandwidth / MIB:.0f} MiB,"
        f" op_overhead {work.op_overhead:g} s",
        "lower bound = max(op_overhead + largest image / suspend_rate,"
        " total images / storage_bandwidth); ratio = makespan / lower bound;"
        " makespans in simulated seconds (wall / time scale), nothing subtracted",
    ]
    saturating = saturating_parallel(work)
    if parallels[0] == saturating:
        default = ShutdownPolicy.parallel
        lines.append(
            f"kzguard parallel = ceil(storage_bandwidth / suspend_rate) + 2"
            f" = ceil({work.storage_bandwidth / MIB:.0f} / {work.suspend_rate / MIB:.0f}) + 2"
            f" = {saturating}: {saturating - 2} writes saturate the storage, 2 more slots keep"
            f" it busy while zones are between writes (start-up, boot-time zlogin, op_overhead)"
            + (f"; the policy default is also {default}" if saturating == default else "")
        )
    lines += ["", "Results:", "", *main_table(results, parallels)]
    lines += ["", "Where the time goes (measured):", "", *detail_table(results)]
    lines += [
        "",
        "The same start orders in the timing model with free commands (ratio to the bound):",
        "",
        *model_table(results, parallels),
    ]
    lines += ["", "Workloads:", "", *workload_table(results)]
    failed = [
        f"{item.size} zones, {run.name}: {failure}"
        for item in results
        for run in item.runs()
        for failure in run.failures
    ]
    if failed:
        lines += ["", "FAILURES (their ratios are marked !):", *failed[:50]]
    lines += ["", f"total real time {seconds:.0f} s"]
    return lines


def _parse_ints(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers like 10,100,500: {text!r}") from None
    if not values or any(value < 1 for value in values):
        raise argparse.ArgumentTypeError(f"expected positive numbers: {text!r}")
    return values


def _parse_runs(text: str) -> list[str]:
    runs = [part.strip() for part in text.split(",") if part.strip()]
    unknown = sorted(set(runs) - set(RUNS))
    if unknown or not runs:
        raise argparse.ArgumentTypeError(f"expected some of {','.join(RUNS)}: {text!r}")
    return runs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="kzguard's shutdown makespan against the lower bound and two baselines"
    )
    parser.add_argument("--sizes", type=_parse_ints, default=[10, 100, 500])
    parser.add_argument(
        "--time-scale",
        type=float,
        default=None,
        help="real seconds per simulated second, for every size (default: per size, so "
        f"that the lower bound lasts {TARGET_SECONDS} real seconds)",
    )
    parser.add_argument(
        "--bound-seconds",
        type=float,
        default=None,
        help="real seconds the lower bound lasts, for every size (instead of --time-scale)",
    )
    parser.add_argument("--seed", type=int, default=0, help="create_host seed (memory mix)")
    parser.add_argument(
        "--parallel",
        type=_parse_ints,
        default=None,
        help="[shutdown] parallel values to run kzguard with, the first in the main "
        "columns (default: ceil(storage_bandwidth/suspend_rate)+2)",
    )
    parser.add_argument(
        "--runs", type=_parse_runs, default=list(RUNS), help=f"default {','.join(RUNS)}"
    )
    args = parser.parse_args(argv)
    if args.time_scale is not None and args.time_scale <= 0:
        parser.error("--time-scale must be positive")
    if args.bound_seconds is not None and (args.bound_seconds <= 0 or args.time_scale):
        parser.error("--bound-seconds must be positive, and not given with --time-scale")

    load_before = os.getloadavg()[0]
    began = time.monotonic()
    results = []
    parallels: list[int] = args.parallel or []
    for size in args.sizes:
        if not parallels:
            with fresh_host(1, args.seed, 1.0) as probe:
                parallels = [saturating_parallel(Workload.of(probe))]
        results.append(
            bench_size(
                size,
                seed=args.seed,
                time_scale=args.time_scale,
                bound_seconds=args.bound_seconds,
                parallels=parallels,
                runs=args.runs,
            )
        )
    seconds = time.monotonic() - began
    load = (load_before, os.getloadavg()[0])
    print("\n".join(render(results, parallels, args.seed, seconds, load)))
    return 1 if any(run.failures for item in results for run in item.runs()) else 0


if __name__ == "__main__":
    sys.exit(main())

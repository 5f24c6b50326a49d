"""Resume (boot-time) benchmark: kzguard's start method against the lower bound and
two baselines.

For each size this builds one simulated host (``kzguard.sim``) with that many kernel
zones of mixed memory sizes at run level 6, suspends every managed zone, records the
stop in kzguard's journal, powers the host off and keeps a copy of that state.  Each
run then gets the same suspended host back (the copy is restored in place), the
global zone boots (``kzguard.sim.control.boot_host`` and ``zones_service_start``,
which boots nothing: no zone has autoboot=true), and in this process:

* kzguard: ``kzguard.startup.execute_start`` (the SMF start method's body) with the
  host's policy file and ``[resume] stagger = "0s"``, ``parallel`` chosen so that the
  storage saturates, a 24 h deadline and ``verify = true``;
* serial: ``zoneadm -z Z boot`` one zone after the other through kzguard's Runner;
* all at once: every ``zoneadm -z Z boot`` started together, then waited for.

A makespan is wall-clock time of the whole run divided by the host's ``time_scale``
(simulated seconds, nothing subtracted).  For kzguard that includes reading the
journal and the zones before the first boot, the boot-time ``zlogin`` per zone
(verify), and arming the guard afterwards; the boot phase alone (first ``zoneadm
boot`` started to last one finished, from the simulator's command log) is reported
too.  The ratio is makespan / lower bound, the lower bound being ``max(longest single
resume, total image bytes / storage_bandwidth)`` where a resume alone takes
``image / resume_rate + op_overhead`` (kzguard/sim/lifecycle.py ``boot``).

The suspend is set-up, not measured.  By default (``--setup direct``) the simulator
suspends the zones in-process (``zones_service_stop`` with autoshutdown=suspend) and
the stop cycle is written with kzguard's own Journal in the shape
``kzguard.guard.execute_stop`` writes; ``--setup kzguard`` runs ``execute_stop``
itself on the host with instantaneous operations instead (faithful, but four
simulated commands per zone: about three minutes at 500 zones on 2 CPUs).  Either
way kzguard's start checks each zone's journal record (fingerprint, boot time)
against the live host, so a wrong record shows up as a failure.

The start orders are also replayed through the simulator's timing model with
commands that cost nothing (``bench/shutdown.py``'s ``fluid_makespan``, with the
resume rate): that separates the schedule from the cost of the simulated commands.
See bench/README.md and docs/performance-resume.md.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from shutdown import DEADLINE, Workload, fluid_makespan, fresh_host, make_instant

from kzguard import guard, startup
from kzguard.errors import CommandError
from kzguard.host import Host
from kzguard.journal import Journal, ensure_state_dir
from kzguard.policy import Policy, ResumePolicy, ShutdownPolicy
from kzguard.policy_file import load_policy
from kzguard.runner import COMMAND_ENVIRONMENT, Runner
from kzguard.sim import control, transitions
from kzguard.sim.state import SimHost
from kzguard.start import PRESERVED
from kzguard.stop import SUSPENDED

MIB = 1 << 20
GIB = 1 << 30
# Real seconds the lower bound lasts when --time-scale is not given.  Every
# simulated command costs 60-100 ms of CPU (a Python start-up) and kzguard's start
# runs about four per zone (zonecfg before, zoneadm boot, zlogin, zonecfg after):
# at 500 zones that alone keeps both CPUs of a small machine busy for a minute and
# a half whatever the scale, so a longer bound only makes the run longer.
TARGET_SECONDS = {10: 10.0, 100: 10.0, 500: 10.0}
DEFAULT_TARGET = 10.0
RUNS = ("kzguard", "serial", "all")
SETUPS = ("direct", "kzguard")
# The parallel limits replayed through the timing model besides kzguard's own.
MODEL_PARALLELS = (2, 8)
# A boot that takes longer than this in real seconds is a broken benchmark.
COMMAND_TIMEOUT = 3600.0


# -- the workload -------------------------------------------------------------------


def _managed(zone: dict[str, Any]) -> bool:
    """A kernel zone with a suspend resource: what kzguard selects by default."""
    return zone["brand"] == transitions.KERNEL_ZONE_BRAND and bool(zone["config"].get("suspend"))


@dataclasses.dataclass(frozen=True)
class ResumeWorkload:
    """The zones to resume and the host's rates (bytes, simulated seconds)."""

    zones: tuple[str, ...]  # in configuration order
    image: dict[str, int]
    memory: dict[str, int]
    boot_time: dict[str, int]  # the in-zone boot time before the suspend
    resume_rate: float
    storage_bandwidth: float
    op_overhead: float
    milestone: float  # simulated seconds from a resume to multi-user-server online
    time_scale: float

    @classmethod
    def of(cls, host: SimHost) -> ResumeWorkload:
        """Read from a host whose zones are still running (images not yet written:
        their size is ``transitions.image_bytes``, what the suspend will write)."""
        state = host.read()
        zones = {name: zone for name, zone in state["zones"].items() if _managed(zone)}
        rates = state["rates"]
        return cls(
            zones=tuple(zones),
            image={name: transitions.image_bytes(zone) for name, zone in zones.items()},
            memory={name: transitions.memory_bytes(zone) for name, zone in zones.items()},
            boot_time={name: int(zone["boot_time"]) for name, zone in zones.items()},
            resume_rate=float(rates["resume_rate"]),
            storage_bandwidth=float(rates["storage_bandwidth"]),
            op_overhead=float(rates["op_overhead"]),
            milestone=float(rates["resume_milestone_seconds"]),
            time_scale=float(state["time_scale"]),
        )

    def single(self, zone: str) -> float:
        """Simulated seconds of ``zone``'s resume when it runs alone."""
        return self.op_overhead + self.image[zone] / self.resume_rate

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

    def model(self, *, held: float = 0.0) -> Workload:
        """The same zones for bench/shutdown.py's timing-model replay: a resume reads
        its image at min(resume_rate, bandwidth / readers), then spends op_overhead,
        exactly as a suspend writes at suspend_rate.  ``held``: simulated seconds the
        zone keeps its slot after that without using the storage."""
        return Workload(
            zones=self.zones,
            image=self.image,
            memory=self.memory,
            suspend_rate=self.resume_rate,
            storage_bandwidth=self.storage_bandwidth,
            op_overhead=self.op_overhead + held,
            time_scale=self.time_scale,
        )


def saturating_parallel(work: ResumeWorkload) -> int:
    """Enough resumes to saturate the storage, plus two slots for zones that are
    between reads (zoneadm starting, op_overhead, the boot-time zlogin)."""
    return math.ceil(work.storage_bandwidth / work.resume_rate) + 2


# -- measuring ----------------------------------------------------------------------


@dataclasses.dataclass
class Result:
    """One run on one host."""

    name: str
    wall: float  # real seconds of the whole run
    time_scale: float
    failures: list[str] = dataclasses.field(default_factory=list)
    cpu: float = 0.0  # this process's CPU seconds (user + system) during the run
    children_cpu: float = 0.0  # CPU seconds of the simulated commands it reaped
    first_boot: float | None = None  # real seconds until the first zoneadm boot started
    last_boot_end: float | None = None  # real seconds until the last one finished
    mean_boot_end: float | None = None  # real seconds until a boot finished, on average
    commands: int = 0
    order: tuple[str, ...] = ()  # the order the boots were started in

    @property
    def makespan(self) -> float:
        return self.wall / self.time_scale

    @property
    def boot_phase(self) -> float | None:
        """Simulated seconds from the first zoneadm boot started to the last ended."""
        if self.first_boot is None or self.last_boot_end is None:
            return None
        return (self.last_boot_end - self.first_boot) / self.time_scale

    @property
    def mean_up(self) -> float | None:
        """Simulated seconds from the start of the run until a zone's boot returned,
        averaged over the zones: how long a zone's users wait, on average."""
        return None if self.mean_boot_end is None else self.mean_boot_end / self.time_scale

    @property
    def after_boots(self) -> float | None:
        """Real seconds from the last zoneadm boot ended to the end of the run."""
        return None if self.last_boot_end is None else self.wall - self.last_boot_end


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


@contextlib.contextmanager
def measured(host: SimHost, name: str, time_scale: float) -> Iterator[Result]:
    """Time the block (wall clock, CPU of this process and of its reaped children),
    then read the command log it produced."""
    result = Result(name, 0.0, time_scale)
    with contextlib.suppress(FileNotFoundError):
        host.log_path.unlink()
    cpu_before, children_before = _cpu()
    started_epoch = time.time()
    started = time.monotonic()
    yield result
    result.wall = time.monotonic() - started
    cpu_after, children_after = _cpu()
    result.cpu = cpu_after - cpu_before
    result.children_cpu = children_after - children_before
    _read_log(host, result, started_epoch)


def _read_log(host: SimHost, result: Result, started_epoch: float) -> None:
    """The first boot start, the last boot end, the boot order and the command
    count, from the simulator's log (start and end lines matched by pid)."""
    booting: dict[int, tuple[float, str]] = {}  # pid -> (start time, zone)
    starts: list[tuple[float, str]] = []
    ends: list[float] = []
    for event in host.commands():
        pid = int(event.get("pid", -1))
        if event.get("event") == "start":
            result.commands += 1
            argv = event.get("argv", [])
            if event.get("tool") == "zoneadm" and argv[3:4] == ["boot"]:
                booting[pid] = (float(event["time"]), str(argv[2]))
                starts.append(booting[pid])
            else:
                booting.pop(pid, None)
        elif event.get("event") == "end" and pid in booting:
            ends.append(float(event["time"]))
            del booting[pid]
    if starts:
        result.first_boot = min(when for when, _ in starts) - started_epoch
        result.order = tuple(zone for _, zone in sorted(starts))
    if ends:
        result.last_boot_end = max(ends) - started_epoch
        result.mean_boot_end = sum(ends) / len(ends) - started_epoch


def check_resumed(host: SimHost, work: ResumeWorkload, result: Result) -> None:
    """Every zone must be running with the boot time it had before the suspend."""
    zones = host.read()["zones"]
    for name in work.zones:
        zone = zones[name]
        if zone["state"] != "running":
            result.failures.append(f"{name}: {zone['state']} after the run")
        elif zone["boot_time"] != work.boot_time[name]:
            result.failures.append(f"{name}: cold-booted (boot time {zone['boot_time']})")


# -- setting up the suspended host --------------------------------------------------


def _policy(host: SimHost) -> Policy:
    return load_policy(str(host.policy_path), explicit=True)


def suspend_directly(host: SimHost, work: ResumeWorkload) -> None:
    """Suspend every managed zone in-process, as svc:/system/zones does for zones
    with autoshutdown=suspend, and write the stop cycle kzguard's stop would have
    left in the journal (kzguard.guard._cycle_record with every zone's transitions
    to suspended and its boot time), in one journal write."""
    with host.edit() as state:
        before = {name: state["zones"][name]["config"]["autoshutdown"] for name in work.zones}
        for name in work.zones:
            state["zones"][name]["config"]["autoshutdown"] = "suspend"
    events = control.zones_service_stop(host)
    with host.edit() as state:
        for name, value in before.items():
            state["zones"][name]["config"]["autoshutdown"] = value
        zones = state["zones"]
        host_boot_time = int(state["host_boot_time"])
    failed = [
        f"{e.zone}: {e.outcome}" for e in events if e.zone in before and e.outcome != "suspended"
    ]
    if failed:
        raise RuntimeError(f"set-up: not suspended: {'; '.join(failed)}")
    policy = _policy(host)
    now = round(time.time(), 3)
    seconds = {name: round(work.single(name) * work.time_scale, 3) for name in work.zones}
    record: dict[str, Any] = {
        "kind": "stop",
        "started": now,
        "finished": now,
        "policy": policy.source,
        "deadline": DEADLINE,
        "trigger": "bench (zones suspended by the simulator)",
        "host_boot_time": host_boot_time,
        "zones": {
            name: {
                "action": policy.zone_policy(name).action.value,
                "intent": [step.value for step in policy.zone_policy(name).steps],
                "memory": work.memory[name],
                "expected": seconds[name],
                "note": "",
                "fingerprint": {
                    "uuid": zones[name]["uuid"],
                    "brand": zones[name]["brand"],
                    "memory": work.memory[name],
                },
                "boot_time": work.boot_time[name],
                "state": SUSPENDED,
                "step": "suspend",
                "seconds": seconds[name],
                "transitions": [
                    {"state": "planned", "time": now},
                    {"state": "suspending", "time": now, "step": "suspend"},
                    {"state": SUSPENDED, "time": now, "seconds": seconds[name]},
                ],
            }
            for name in work.zones
        },
        "skipped": {},
    }
    journal, _ = Journal.load(ensure_state_dir(policy.paths.state_dir))
    journal.begin_cycle(record)


def suspend_with_kzguard(host: SimHost, work: ResumeWorkload) -> None:
    """Run kzguard's stop path (execute_stop) on the host with instantaneous zone
    operations, then put the host's rates and clock back."""
    state = host.read()
    rates, time_scale = dict(state["rates"]), state["time_scale"]
    make_instant(host)
    policy = _policy(host)
    shutdown: ShutdownPolicy = dataclasses.replace(policy.shutdown, deadline=DEADLINE)
    plan, report = guard.execute_stop(
        dataclasses.replace(policy, shutdown=shutdown),
        Host(policy.commands),
        holder="bench",
        trigger={"trigger": "bench"},
        started=time.monotonic(),
    )
    with host.edit() as edited:
        edited["rates"] = rates
        edited["time_scale"] = time_scale
    failed = [f"{o.zone}: {o.state} {o.reason}" for o in report.outcomes if o.state != SUSPENDED]
    failed += report.own_failures
    if failed or sorted(zone.zone for zone in plan.zones) != sorted(work.zones):
        raise RuntimeError(f"set-up: kzguard's stop did not suspend every zone: {failed}")


@dataclasses.dataclass
class SuspendedHost:
    host: SimHost
    work: ResumeWorkload
    saved: Path  # the copy every run starts from
    setup_seconds: float

    def boot(self) -> SimHost:
        """The same suspended host as after the set-up, then the global zone boots."""
        shutil.rmtree(self.host.path)
        shutil.copytree(self.saved, self.host.path, symlinks=True)
        control.boot_host(self.host)
        booted = control.zones_service_start(self.host)  # autoboot is false everywhere
        if booted:
            raise RuntimeError(f"the zones service booted {[event.zone for event in booted]}")
        return self.host


@contextlib.contextmanager
def suspended_host(size: int, seed: int, time_scale: float, setup: str) -> Iterator[SuspendedHost]:
    """A host whose managed zones are suspended and whose power went off."""
    with fresh_host(size, seed, time_scale) as host:
        work = ResumeWorkload.of(host)
        began = time.monotonic()
        if setup == "kzguard":
            suspend_with_kzguard(host, work)
        else:
            suspend_directly(host, work)
        control.power_off(host)
        saved = host.path.parent / "suspended"
        shutil.copytree(host.path, saved, symlinks=True)
        (saved / host.log_path.name).unlink(missing_ok=True)
        yield SuspendedHost(host, work, saved, time.monotonic() - began)


# -- the runs -----------------------------------------------------------------------


def bench_policy(host: SimHost, parallel: int) -> Policy:
    """The host's own policy file with this benchmark's [resume] settings."""
    policy = _policy(host)
    resume: ResumePolicy = dataclasses.replace(
        policy.resume, parallel=parallel, stagger=0.0, deadline=DEADLINE, verify=True
    )
    return dataclasses.replace(policy, resume=resume)


def run_kzguard(host: SimHost, work: ResumeWorkload, parallel: int) -> Result:
    policy = bench_policy(host, parallel)
    adapter = Host(policy.commands)
    with measured(host, f"kzguard p={parallel}", work.time_scale) as result:
        report = startup.execute_start(policy, adapter, started=time.monotonic())
    result.failures = [
        outcome.line()
        for outcome in report.outcomes
        if outcome.zone in work.image and outcome.result != PRESERVED
    ]
    result.failures += report.own_failures
    verified = sorted(o.zone for o in report.outcomes if o.result == PRESERVED)
    if verified != sorted(work.zones):
        result.failures.append(f"kzguard verified {len(verified)} zones, not {len(work.zones)}")
    check_resumed(host, work, result)
    return result


def _boot_argv(host: SimHost, zone: str) -> list[str]:
    return [host.executable("zoneadm"), "-z", zone, "boot"]


def run_serial(host: SimHost, work: ResumeWorkload) -> Result:
    """One zone at a time, in configuration order, as a shell loop would."""
    runner = Runner()
    with measured(host, "serial", work.time_scale) as result:
        for zone in work.zones:
            try:
                runner.run(_boot_argv(host, zone), timeout=COMMAND_TIMEOUT)
            except CommandError as error:
                result.failures.append(f"{zone}: {error}")
    check_resumed(host, work, result)
    return result


def run_all_at_once(host: SimHost, work: ResumeWorkload) -> Result:
    """Every boot started together, then each waited for."""
    with measured(host, "all at once", work.time_scale) as result:
        processes = [
            subprocess.Popen(
                _boot_argv(host, zone),
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
    check_resumed(host, work, result)
    return result


@dataclasses.dataclass
class SizeResult:
    size: int
    work: ResumeWorkload
    setup: str
    setup_seconds: float = 0.0
    kzguard: dict[int, Result] = dataclasses.field(default_factory=dict)  # by parallel
    serial: Result | None = None
    all_at_once: Result | None = None
    seconds: float = 0.0  # real seconds the whole size took

    def runs(self) -> list[Result]:
        found = [*self.kzguard.values(), self.serial, self.all_at_once]
        return [run for run in found if run is not None]


def bench_size(
    size: int,
    *,
    seed: int,
    time_scale: float | None,
    parallels: Sequence[int],
    runs: Sequence[str],
    setup: str,
) -> SizeResult:
    began = time.monotonic()
    with fresh_host(size, seed, 1.0) as probe:  # only to learn the workload
        bound = ResumeWorkload.of(probe).lower_bound
    if time_scale is None:
        time_scale = TARGET_SECONDS.get(size, DEFAULT_TARGET) / bound
    _progress(f"{size} zones: suspending them ({setup}), power off")
    with suspended_host(size, seed, time_scale, setup) as suspended:
        result = SizeResult(size, suspended.work, setup, suspended.setup_seconds)
        if "kzguard" in runs:
            for parallel in parallels:
                _progress(f"{size} zones: kzguard start, parallel {parallel}, stagger 0")
                host = suspended.boot()
                result.kzguard[parallel] = run_kzguard(host, suspended.work, parallel)
        if "serial" in runs:
            _progress(f"{size} zones: one at a time")
            result.serial = run_serial(suspended.boot(), suspended.work)
        if "all" in runs:
            _progress(f"{size} zones: all at once")
            result.all_at_once = run_all_at_once(suspended.boot(), suspended.work)
    result.seconds = time.monotonic() - began
    return result


def _progress(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


# -- output -------------------------------------------------------------------------


def _ratio(seconds: float | None, work: ResumeWorkload, *, failed: bool = False) -> str:
    if seconds is None:
        return "-"
    return f"{seconds / work.lower_bound:.3f}{'!' if failed else ''}"


def _run_ratio(run: Result | None, work: ResumeWorkload) -> str:
    if run is None:
        return "-"
    return _ratio(run.makespan, work, failed=bool(run.failures))


def _seconds(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


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
        "kzguard boot phase (s)",
        "boot-phase ratio",
        *(f"ratio parallel={parallel}" for parallel in extra),
        "serial ratio",
        "all-at-once ratio",
    ]
    rows = []
    for item in results:
        work, kz = item.work, item.kzguard.get(main)
        rows.append(
            [
                str(item.size),
                f"{work.time_scale:.5f}",
                f"{work.lower_bound:.1f}",
                _seconds(kz.makespan if kz else None),
                _run_ratio(kz, work),
                _seconds(kz.boot_phase if kz else None),
                _ratio(kz.boot_phase if kz else None, work),
                *(_run_ratio(item.kzguard.get(parallel), work) for parallel in extra),
                _run_ratio(item.serial, work),
                _run_ratio(item.all_at_once, work),
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
        "first boot after (real s)",
        "boot phase (s)",
        "boot-phase ratio",
        "after last boot (real s)",
        "mean zone up after (s)",
        "commands",
        "kzguard CPU s",
        "simulator CPU s",
    ]
    rows = []
    for item in results:
        for run in item.runs():
            rows.append(
                [
                    str(item.size),
                    run.name,
                    f"{run.wall:.2f}",
                    f"{run.makespan:.1f}",
                    _run_ratio(run, item.work),
                    _seconds(run.first_boot, 2),
                    _seconds(run.boot_phase),
                    _ratio(run.boot_phase, item.work),
                    _seconds(run.after_boots, 2),
                    _seconds(run.mean_up),
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
        f"largest image first, parallel={main}",
        f"kzguard's order, parallel={main}, slot held through readiness = milestone",
        f"the same, parallel={ResumePolicy.parallel}",
        "serial",
        "all at once",
    ]
    rows = []
    for item in results:
        work, model = item.work, item.work.model()
        kz = item.kzguard.get(main)
        order = kz.order if kz and len(kz.order) == len(work.zones) else ()
        row = [str(item.size)]
        for parallel in (main, *others):
            row.append(_ratio(fluid_makespan(model, order, parallel) if order else None, work))
        largest = sorted(work.zones, key=lambda zone: (-work.image[zone], zone))
        row.append(_ratio(fluid_makespan(model, largest, main), work))
        held = work.model(held=work.milestone)
        for parallel in (main, ResumePolicy.parallel):
            row.append(_ratio(fluid_makespan(held, order, parallel) if order else None, work))
        row.append(_ratio(fluid_makespan(model, work.zones, 1), work))
        row.append(_ratio(fluid_makespan(model, work.zones, len(work.zones)), work))
        rows.append(row)
    return _table(header, rows)


def workload_table(results: Sequence[SizeResult]) -> list[str]:
    header = [
        "size",
        "memory (GiB)",
        "images (GiB)",
        "longest single resume (s)",
        "images / bandwidth (s)",
        "set-up",
        "set-up real s",
        "bench real s",
    ]
    rows = [
        [
            str(item.size),
            f"{sum(item.work.memory.values()) / GIB:.0f}",
            f"{item.work.total_bytes / GIB:.1f}",
            f"{item.work.longest:.1f}",
            f"{item.work.storage_bound:.1f}",
            item.setup,
            f"{item.setup_seconds:.1f}",
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
        f"kzguard resume benchmark: {os.cpu_count()} CPUs, Python {platform.python_version()}"
        f" ({platform.machine()}), seed {seed}; 1-minute load average {load[0]:.2f} before,"
        f" {load[1]:.2f} after (anything else running skews the figures)",
        f"host rates per simulated second: resume_rate {work.resume_rate / MIB:.0f} MiB,"
        f" storage_bandwidth {work.storage_bandwidth / MIB:.0f} MiB,"
        f" op_overhead {work.op_overhead:g} s",
        "lower bound = max(largest image / resume_rate + op_overhead,"
        " total images / storage_bandwidth); ratio = makespan / lower bound;"
        " makespans in simulated seconds (wall / time scale), nothing subtracted;"
        " kzguard: [resume] stagger 0, deadline 24h, verify true",
    ]
    saturating = saturating_parallel(work)
    if parallels[0] == saturating:
        lines.append(
            f"kzguard parallel = ceil(storage_bandwidth / resume_rate) + 2"
            f" = ceil({work.storage_bandwidth / MIB:.0f} / {work.resume_rate / MIB:.0f}) + 2"
            f" = {saturating}: {saturating - 2} reads saturate the storage, 2 more slots keep"
            f" it busy while zones are between reads (zoneadm start-up, op_overhead,"
            f" the boot-time zlogin); the policy default is {ResumePolicy.parallel}"
        )
    lines += ["", "Results:", "", *main_table(results, parallels)]
    lines += ["", "Where the time goes (measured):", "", *detail_table(results)]
    lines += [
        "",
        "The same start orders in the timing model with free commands (ratio to the bound):",
        "",
        *model_table(results, parallels),
        "",
        f"(readiness = milestone: kzguard.start.Starter keeps a zone's slot until its"
        f" multi-user-server milestone is online, resume_milestone_seconds ="
        f" {work.milestone:g} s after the resume, without using the storage)",
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
        description="kzguard's resume makespan against the lower bound and two baselines"
    )
    parser.add_argument("--sizes", type=_parse_ints, default=[10, 100, 500])
    parser.add_argument(
        "--time-scale",
        type=float,
        default=None,
        help="real seconds per simulated second, for every size (default: per size, so "
        f"that the lower bound lasts {TARGET_SECONDS} real seconds)",
    )
    parser.add_argument("--seed", type=int, default=0, help="create_host seed (memory mix)")
    parser.add_argument(
        "--parallel",
        type=_parse_ints,
        default=None,
        help="[resume] parallel values to run kzguard with, the first in the main "
        "columns (default: ceil(storage_bandwidth/resume_rate)+2)",
    )
    parser.add_argument(
        "--runs", type=_parse_runs, default=list(RUNS), help=f"default {','.join(RUNS)}"
    )
    parser.add_argument(
        "--setup",
        choices=SETUPS,
        default="direct",
        help="how the zones get suspended before the measured boot: by the simulator with "
        "the journal written directly (default), or by kzguard's execute_stop",
    )
    args = parser.parse_args(argv)
    if args.time_scale is not None and args.time_scale <= 0:
        parser.error("--time-scale must be positive")

    load_before = os.getloadavg()[0]
    began = time.monotonic()
    results = []
    parallels: list[int] = args.parallel or []
    for size in args.sizes:
        if not parallels:
            with fresh_host(1, args.seed, 1.0) as probe:
                parallels = [saturating_parallel(ResumeWorkload.of(probe))]
        results.append(
            bench_size(
                size,
                seed=args.seed,
                time_scale=args.time_scale,
                parallels=parallels,
                runs=args.runs,
                setup=args.setup,
            )
        )
    seconds = time.monotonic() - began
    load = (load_before, os.getloadavg()[0])
    print("\n".join(render(results, parallels, args.seed, seconds, load)))
    return 1 if any(run.failures for item in results for run in item.runs()) else 0


if __name__ == "__main__":
    sys.exit(main())

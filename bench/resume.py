"""Resume (boot-time) benchmark: kzguard's start method against the lower bound and
two baselines.

For each size this builds one simulated host (``kzguard.sim``) with that many kernel
zones of mixed memory sizes at run level 6, suspends every managed zone, records the
stop in kzguard's journal, powers the host off and keeps a copy of that state.  Each
run then gets the same suspended host back (the copy is restored in place), the
global zone boots (``kzguard.sim.control.boot_host`` and ``zones_service_start``,
which boots nothing: no zone has autoboot=true), and in this process:

* kzguard: ``kzguard.start.path.execute_start`` (the SMF start method's body) with the
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
resume, total image bytes / read_bandwidth)`` where a resume alone takes
``image / resume_rate + op_overhead`` (kzguard/sim/lifecycle.py ``boot``).

The suspend is set-up, not measured.  By default (``--setup direct``) the simulator
suspends the zones in-process (``zones_service_stop`` with autoshutdown=suspend) and
the stop cycle is written with kzguard's own Journal in the shape
``kzguard.stop.path.execute_stop`` writes; ``--setup kzguard`` runs ``execute_stop``
itself on the host with instantaneous operations instead (faithful, but four
simulated commands per zone: about three minutes at 500 zones on 2 CPUs).  Either
way kzguard's start checks each zone's journal record (fingerprint, boot time)
against the live host, so a wrong record shows up as a failure.

The start orders are also replayed through the simulator's timing model with
commands that cost nothing (``bench/common.py``'s ``fluid_makespan``, with the
resume rate): that separates the schedule from the cost of the simulated commands.
See bench/README.md and docs/performance-resume.md.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import shutil
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import common

from kzguard.journal.document import StopCycle
from kzguard.journal.records import (
    BootTimeEvidence,
    Fingerprint,
    Transition,
    ZoneRecord,
    ZoneState,
)
from kzguard.journal.store import Journal, ensure_state_dir
from kzguard.policy.file import load_policy
from kzguard.policy.model import Action, Policy, ResumePolicy, ShutdownPolicy
from kzguard.sim import control, storage, transitions
from kzguard.sim.state import SimHost
from kzguard.solaris.host import Host
from kzguard.start import path as start_path
from kzguard.start.run import PRESERVED
from kzguard.stop import path as stop_path

# Real seconds the lower bound lasts when --time-scale is not given.  Every
# simulated command costs 60-100 ms of CPU (a Python start-up) and kzguard's start
# runs about four per zone (zonecfg before, zoneadm boot, zlogin, zonecfg after):
# at 500 zones that alone keeps both CPUs of a small machine busy for a minute and
# a half whatever the scale, so a longer bound only makes the run longer.
TARGET_SECONDS = {10: 10.0, 100: 10.0, 500: 10.0}
DEFAULT_TARGET = 10.0
RUNS = ("kzguard", "serial", "all")
SETUPS = ("direct", "kzguard")


# -- the workload -------------------------------------------------------------------

# [resume] parallel before it became "auto" (issue 13): the model table keeps the
# column it was compared with.
FORMER_DEFAULT = 2


def _managed(zone: dict[str, Any]) -> bool:
    """A kernel zone with a suspend resource: what kzguard selects by default."""
    return zone["brand"] == transitions.KERNEL_ZONE_BRAND and bool(zone["config"].get("suspend"))


@dataclasses.dataclass(frozen=True)
class ResumeWorkload(common.ZoneImages):
    """The zones to resume and the host's rates (bytes, simulated seconds)."""

    boot_time: dict[str, int]  # the in-zone boot time before the suspend
    resume_rate: float
    milestone: float  # simulated seconds from a resume to multi-user-server online

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
            # Resumes read: their own pool (kzguard.sim.storage, docs/solaris.md 14).
            storage_bandwidth=storage.pools(rates)[storage.READ_POOL].bandwidth,
            storage=storage.pools(rates)[storage.READ_POOL],
            op_overhead=float(rates["op_overhead"]),
            milestone=float(rates["resume_milestone_seconds"]),
            time_scale=float(state["time_scale"]),
        )

    @property
    def rate(self) -> float:
        """A resume reads its image at up to resume_rate."""
        return self.resume_rate

    def holding_slots(self, held: float) -> ResumeWorkload:
        """The same zones for the timing-model replay (common.fluid_makespan), each
        keeping its slot ``held`` simulated seconds longer after its op_overhead,
        without using the storage."""
        return dataclasses.replace(self, op_overhead=self.op_overhead + held)


# -- measuring ----------------------------------------------------------------------


@dataclasses.dataclass
class Result(common.Run):
    """One run on one host: ``wall`` is the whole run, ``order`` the order the boots
    were started in."""

    first_boot: float | None = None  # real seconds until the first zoneadm boot started
    last_boot_end: float | None = None  # real seconds until the last one finished
    mean_boot_end: float | None = None  # real seconds until a boot finished, on average

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


@contextlib.contextmanager
def measured_run(host: SimHost, name: str, time_scale: float) -> Iterator[Result]:
    """Time the block (common.measured: wall clock, CPU of this process and of its
    reaped children), then read the command log it produced."""
    result = Result(name, 0.0, time_scale)
    with contextlib.suppress(FileNotFoundError):
        host.log_path.unlink()
    with common.measured(result):
        started_epoch = time.time()
        yield result
    _read_log(host, result, started_epoch)


def _read_log(host: SimHost, result: Result, started_epoch: float) -> None:
    """The first boot start, the last boot end, the boot order and the command
    count, from the simulator's log."""
    log = common.read_zoneadm_log(host, "boot")
    result.commands = log.commands
    if log.starts:
        result.first_boot = min(when for when, _ in log.starts) - started_epoch
        result.order = tuple(zone for _, zone in sorted(log.starts))
    if log.ends:
        result.last_boot_end = max(log.ends) - started_epoch
        result.mean_boot_end = sum(log.ends) / len(log.ends) - started_epoch


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
    left in the journal (kzguard.stop.path._cycle with every zone's transitions
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
    planned = Transition(ZoneState.PLANNED, now)
    record = StopCycle(
        started=now,
        finished=now,
        policy=policy.source,
        deadline=common.DEADLINE,
        trigger="bench (zones suspended by the simulator)",
        host_boot_time=host_boot_time,
        zones={
            name: ZoneRecord(
                action=policy.zone_policy(name).action,
                intent=policy.zone_policy(name).steps,
                memory=work.memory[name],
                expected=seconds[name],
                note="",
                fingerprint=Fingerprint(
                    zones[name]["uuid"], zones[name]["brand"], work.memory[name]
                ),
                boot_time=BootTimeEvidence(work.boot_time[name]),
                state=ZoneState.PLANNED,
                transitions=(planned,),
            )
            .entered(Transition(ZoneState.SUSPENDING, now, step=Action.SUSPEND))
            .entered(Transition(ZoneState.SUSPENDED, now, seconds=seconds[name]))
            for name in work.zones
        },
    )
    journal, _ = Journal.load(ensure_state_dir(policy.paths.state_dir))
    journal.begin_cycle(record)


def suspend_with_kzguard(host: SimHost, work: ResumeWorkload) -> None:
    """Run kzguard's stop path (execute_stop) on the host with instantaneous zone
    operations, then put the host's rates and clock back."""
    state = host.read()
    rates, time_scale = dict(state["rates"]), state["time_scale"]
    common.make_instant(host)
    policy = _policy(host)
    shutdown: ShutdownPolicy = dataclasses.replace(policy.shutdown, deadline=common.DEADLINE)
    plan, report = stop_path.execute_stop(
        dataclasses.replace(policy, shutdown=shutdown),
        Host(policy.commands),
        holder="bench",
        trigger="bench",
        started=time.monotonic(),
    )
    with host.edit() as edited:
        edited["rates"] = rates
        edited["time_scale"] = time_scale
    failed = [
        f"{o.name}: {o.result.value} {o.detail}"
        for o in report.outcomes
        if o.result is not ZoneState.SUSPENDED
    ]
    failed += report.own_failures
    if failed or sorted(zone.name for zone in plan.zones) != sorted(work.zones):
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
    with common.fresh_host(size, seed, time_scale) as host:
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
        policy.resume, parallel=parallel, stagger=0.0, deadline=common.DEADLINE, verify=True
    )
    return dataclasses.replace(policy, resume=resume)


def run_kzguard(host: SimHost, work: ResumeWorkload, parallel: int) -> Result:
    policy = bench_policy(host, parallel)
    adapter = Host(policy.commands)
    with measured_run(host, f"kzguard p={parallel}", work.time_scale) as result:
        report = start_path.execute_start(policy, adapter, started=time.monotonic())
    result.failures = [
        outcome.line()
        for outcome in report.outcomes
        if outcome.name in work.image and outcome.result != PRESERVED
    ]
    result.failures += report.own_failures
    verified = sorted(o.name for o in report.outcomes if o.result == PRESERVED)
    if verified != sorted(work.zones):
        result.failures.append(f"kzguard verified {len(verified)} zones, not {len(work.zones)}")
    check_resumed(host, work, result)
    return result


def run_baseline(
    host: SimHost, work: ResumeWorkload, name: str, baseline: common.Baseline
) -> Result:
    """``zoneadm -z Z boot`` for every zone in configuration order, without kzguard:
    one at a time as a shell loop would (common.zoneadm_one_at_a_time), or all
    started together, then each waited for (common.zoneadm_all_at_once)."""
    with measured_run(host, name, work.time_scale) as result:
        result.failures += baseline(host, work.zones, "boot")
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
    with common.fresh_host(size, seed, 1.0) as probe:  # only to learn the workload
        bound = ResumeWorkload.of(probe).lower_bound
    if time_scale is None:
        time_scale = TARGET_SECONDS.get(size, DEFAULT_TARGET) / bound
    common.progress(f"{size} zones: suspending them ({setup}), power off")
    with suspended_host(size, seed, time_scale, setup) as suspended:
        work = suspended.work
        result = SizeResult(size, work, setup, suspended.setup_seconds)
        if "kzguard" in runs:
            for parallel in parallels:
                common.progress(f"{size} zones: kzguard start, parallel {parallel}, stagger 0")
                host = suspended.boot()
                result.kzguard[parallel] = run_kzguard(host, work, parallel)
        if "serial" in runs:
            common.progress(f"{size} zones: one at a time")
            host = suspended.boot()
            result.serial = run_baseline(host, work, "serial", common.zoneadm_one_at_a_time)
        if "all" in runs:
            common.progress(f"{size} zones: all at once")
            host = suspended.boot()
            result.all_at_once = run_baseline(host, work, "all at once", common.zoneadm_all_at_once)
    result.seconds = time.monotonic() - began
    return result


# -- output -------------------------------------------------------------------------


def _seconds(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


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
                common.run_ratio(kz, work),
                _seconds(kz.boot_phase if kz else None),
                common.ratio(kz.boot_phase if kz else None, work),
                *(common.run_ratio(item.kzguard.get(parallel), work) for parallel in extra),
                common.run_ratio(item.serial, work),
                common.run_ratio(item.all_at_once, work),
            ]
        )
    return common.table(header, rows)


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
                    common.run_ratio(run, item.work),
                    _seconds(run.first_boot, 2),
                    _seconds(run.boot_phase),
                    common.ratio(run.boot_phase, item.work),
                    _seconds(run.after_boots, 2),
                    _seconds(run.mean_up),
                    str(run.commands),
                    f"{run.cpu:.2f}",
                    f"{run.children_cpu:.2f}",
                ]
            )
    return common.table(header, rows)


def model_table(results: Sequence[SizeResult], parallels: Sequence[int]) -> list[str]:
    main = parallels[0]
    others = [parallel for parallel in common.MODEL_PARALLELS if parallel != main]
    header = [
        "size",
        f"kzguard's order, parallel={main}",
        *(f"kzguard's order, parallel={parallel}" for parallel in others),
        f"largest image first, parallel={main}",
        f"kzguard's order, parallel={main}, slot held through readiness = milestone",
        f"the same, parallel={FORMER_DEFAULT}",
        "serial",
        "all at once",
    ]
    rows = []
    for item in results:
        work = item.work
        kz = item.kzguard.get(main)
        order = kz.order if kz and len(kz.order) == len(work.zones) else ()
        row = [str(item.size)]
        for parallel in (main, *others):
            row.append(
                common.ratio(common.fluid_makespan(work, order, parallel) if order else None, work)
            )
        largest = sorted(work.zones, key=lambda zone: (-work.image[zone], zone))
        row.append(common.ratio(common.fluid_makespan(work, largest, main), work))
        held = work.holding_slots(work.milestone)
        for parallel in (main, FORMER_DEFAULT):
            row.append(
                common.ratio(common.fluid_makespan(held, order, parallel) if order else None, work)
            )
        row.append(common.ratio(common.fluid_makespan(work, work.zones, 1), work))
        row.append(common.ratio(common.fluid_makespan(work, work.zones, len(work.zones)), work))
        rows.append(row)
    return common.table(header, rows)


def workload_table(results: Sequence[SizeResult]) -> list[str]:
    rows = [(item, [item.setup, f"{item.setup_seconds:.1f}"]) for item in results]
    return common.workload_table("resume", ["set-up", "set-up real s"], rows)


def render(results: Sequence[SizeResult], parallels: Sequence[int]) -> list[str]:
    """The report between common.heading and common.ending."""
    work = results[0].work
    lines = [
        "lower bound = max(largest image / resume_rate + op_overhead,"
        " total images / read_bandwidth); ratio = makespan / lower bound;"
        " makespans in simulated seconds (wall / time scale), nothing subtracted;"
        " kzguard: [resume] stagger 0, deadline 24h, verify true",
    ]
    saturating = common.saturating_parallel(work)
    if parallels[0] == saturating:
        lines.append(
            f"kzguard parallel = ceil(read_bandwidth / resume_rate) + 2 = ceil("
            f"{work.storage_bandwidth / common.MIB:.0f} / {work.resume_rate / common.MIB:.0f}) + 2"
            f" = {saturating}: {saturating - 2} reads saturate the storage, 2 more slots keep"
            f" it busy while zones are between reads (zoneadm start-up, op_overhead,"
            f" the boot-time zlogin); the policy default is {ResumePolicy.parallel!r}"
        )
    lines += common.section("Results:", main_table(results, parallels))
    lines += common.section("Where the time goes (measured):", detail_table(results))
    lines += [
        *common.section(common.MODEL_TITLE, model_table(results, parallels)),
        "",
        f"(readiness = milestone: kzguard.start.run.StartRun keeps a zone's slot until its"
        f" multi-user-server milestone is online, resume_milestone_seconds ="
        f" {work.milestone:g} s after the resume, without using the storage)",
    ]
    lines += common.section("Workloads:", workload_table(results))
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="kzguard's resume makespan against the lower bound and two baselines"
    )
    common.add_size_arguments(parser, TARGET_SECONDS)
    common.add_run_arguments(parser, "resume", "resume_rate", RUNS)
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

    def one_size(size: int, parallels: Sequence[int]) -> SizeResult:
        return bench_size(
            size,
            seed=args.seed,
            time_scale=args.time_scale,
            parallels=parallels,
            runs=args.runs,
            setup=args.setup,
        )

    return common.bench_sizes(
        args.sizes,
        args.parallel,
        args.seed,
        benchmark="resume",
        rate="resume_rate",
        workload=ResumeWorkload.of,
        bench_size=one_size,
        render=render,
    )


if __name__ == "__main__":
    sys.exit(main())

"""Shutdown benchmark: kzguard's stop method against the lower bound and two baselines.

For each size this builds fresh simulated hosts (``kzguard.sim``) with that many
kernel zones of mixed memory sizes, at run level 6, and runs one after the other in
this process:

* kzguard: ``kzguard.stop.path.execute_stop`` with the host's own policy and
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
import dataclasses
import sys
import time
from collections.abc import Sequence

import common

from kzguard.journal.records import ZoneState
from kzguard.policy.file import load_policy
from kzguard.policy.model import Policy, ShutdownPolicy
from kzguard.sim import storage, transitions
from kzguard.sim.state import SimHost
from kzguard.solaris.host import Host
from kzguard.stop import path as stop_path

# Real seconds the lower bound lasts when neither --time-scale nor --bound-seconds
# is given.  A simulated command costs 30-60 ms of CPU (a Python start-up and the
# state file), real seconds that the conversion to simulated time multiplies by
# 1/time_scale: the simulation is faithful only when the commands kzguard must run
# (about three per zone) are small against the bound.  At these lengths they are
# a few percent of it on 2 CPUs; a full run takes about 50 minutes.  Shorter bounds
# (--bound-seconds 12) give a quick look, dominated by the simulator's own cost.
TARGET_SECONDS = {10: 60.0, 100: 120.0, 500: 480.0}
DEFAULT_TARGET = 120.0
RUNS = ("kzguard", "serial", "all", "overhead")


@dataclasses.dataclass(frozen=True)
class Workload(common.ZoneImages):
    """The kernel zones of one host to suspend and the host's rates (bytes, simulated
    seconds)."""

    suspend_rate: float

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
            storage=storage.pools(rates)[storage.WRITE_POOL],
            op_overhead=float(rates["op_overhead"]),
            time_scale=float(state["time_scale"]),
        )

    @property
    def rate(self) -> float:
        """A suspend writes its image at up to suspend_rate."""
        return self.suspend_rate

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
class Result(common.Run):
    """One run on one host: ``wall`` from the first command to the last suspend
    finished, ``order`` the order the suspends were started in."""

    first_suspend: float | None = None  # real seconds until the first zoneadm suspend

    @property
    def suspend_phase(self) -> float | None:
        """Simulated seconds from the first zoneadm suspend to the end."""
        if self.first_suspend is None:
            return None
        return (self.wall - self.first_suspend) / self.time_scale


def _read_log(host: SimHost, result: Result, started_epoch: float) -> None:
    """Fill in when the first suspend started, the start order and the command count."""
    log = common.read_zoneadm_log(host, "suspend")
    suspends = sorted(log.starts)
    result.commands = log.commands
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
        deadline=common.DEADLINE,
        assumed_rate=max(common.MIB, round(work.memory_rate)),
    )
    return dataclasses.replace(policy, shutdown=shutdown)


def run_kzguard(host: SimHost, parallel: int, name: str) -> Result:
    work = Workload.of(host)
    policy = bench_policy(host, work, parallel)
    adapter = Host(policy.commands)
    started_epoch = time.time()
    with common.measured(Result(name, 0.0, work.time_scale)) as result:
        plan, report = stop_path.execute_stop(
            policy,
            adapter,
            holder="bench",
            trigger="bench",
            started=time.monotonic(),
        )
    result.failures = [
        f"{outcome.name}: {outcome.result.value} {outcome.detail}"
        for outcome in report.outcomes
        if outcome.result is not ZoneState.SUSPENDED
    ]
    result.failures += report.own_failures
    planned = sorted(zone.name for zone in plan.zones)
    if planned != sorted(work.zones):
        result.failures.append(f"kzguard planned {len(planned)} zones, not {len(work.zones)}")
    result.order = tuple(zone.name for zone in plan.zones)
    _read_log(host, result, started_epoch)
    return result


def run_baseline(host: SimHost, name: str, baseline: common.Baseline) -> Result:
    """``zoneadm -z Z suspend`` for every zone in configuration order, without kzguard:
    one at a time as a shell loop would (common.zoneadm_one_at_a_time), or all
    started together, then each waited for (common.zoneadm_all_at_once)."""
    work = Workload.of(host)
    started_epoch = time.time()
    with common.measured(Result(name, 0.0, work.time_scale)) as result:
        result.failures += baseline(host, work.zones, "suspend")
    _read_log(host, result, started_epoch)
    return result


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
    with common.fresh_host(size, seed, 1.0) as probe:  # only to learn the workload
        work = Workload.of(probe)
    if time_scale is None:
        seconds = bound_seconds or TARGET_SECONDS.get(size, DEFAULT_TARGET)
        time_scale = seconds / work.lower_bound
    work = dataclasses.replace(work, time_scale=time_scale)
    result = SizeResult(size, work)
    if "kzguard" in runs:
        for parallel in parallels:
            common.progress(f"{size} zones: kzguard, parallel {parallel}")
            with common.fresh_host(size, seed, time_scale) as host:
                result.kzguard[parallel] = run_kzguard(host, parallel, f"kzguard p={parallel}")
    if "serial" in runs:
        common.progress(f"{size} zones: one at a time")
        with common.fresh_host(size, seed, time_scale) as host:
            result.serial = run_baseline(host, "serial", common.zoneadm_one_at_a_time)
    if "all" in runs:
        common.progress(f"{size} zones: all at once")
        with common.fresh_host(size, seed, time_scale) as host:
            result.all_at_once = run_baseline(host, "all at once", common.zoneadm_all_at_once)
    if "overhead" in runs:
        common.progress(f"{size} zones: kzguard overhead (instantaneous operations)")
        with common.fresh_host(size, seed, time_scale) as host:
            common.make_instant(host)
            result.overhead = run_kzguard(host, parallels[0], "kzguard overhead")
    result.seconds = time.monotonic() - began
    return result


# -- output -------------------------------------------------------------------------


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
                common.run_ratio(kz, work),
                *(common.run_ratio(item.kzguard.get(parallel), work) for parallel in extra),
                common.run_ratio(item.serial, work),
                common.run_ratio(item.all_at_once, work),
                f"{overhead.cpu / item.size * 1000:.1f}" if overhead else "-",
                f"{overhead.wall / item.size * 1000:.1f}" if overhead else "-",
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
                    common.run_ratio(run, item.work) if timed else "-",
                    "-" if run.first_suspend is None else f"{run.first_suspend:.2f}",
                    common.ratio(run.suspend_phase, item.work) if timed else "-",
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
            value = common.fluid_makespan(work, order, parallel) if order else None
            row.append(common.ratio(value, work))
        row.append(common.ratio(common.fluid_makespan(work, work.zones, 1), work))
        row.append(common.ratio(common.fluid_makespan(work, work.zones, len(work.zones)), work))
        rows.append(row)
    return common.table(header, rows)


def workload_table(results: Sequence[SizeResult]) -> list[str]:
    rows = [(item, [f"{item.work.tight_bound:.1f}"]) for item in results]
    return common.workload_table("suspend", ["tighter bound (s)"], rows)


def render(results: Sequence[SizeResult], parallels: Sequence[int]) -> list[str]:
    """The report between common.heading and common.ending."""
    work = results[0].work
    lines = [
        "lower bound = max(op_overhead + largest image / suspend_rate,"
        " total images / storage_bandwidth); ratio = makespan / lower bound;"
        " makespans in simulated seconds (wall / time scale), nothing subtracted",
    ]
    saturating = common.saturating_parallel(work)
    if parallels[0] == saturating:
        default = ShutdownPolicy.parallel
        lines.append(
            f"kzguard parallel = ceil(storage_bandwidth / suspend_rate) + 2 = ceil("
            f"{work.storage_bandwidth / common.MIB:.0f} / {work.suspend_rate / common.MIB:.0f}) + 2"
            f" = {saturating}: {saturating - 2} writes saturate the storage, 2 more slots keep"
            f" it busy while zones are between writes (start-up, boot-time zlogin, op_overhead)"
            + (f"; the policy default is also {default}" if saturating == default else "")
        )
    lines += common.section("Results:", main_table(results, parallels))
    lines += common.section("Where the time goes (measured):", detail_table(results))
    lines += common.section(common.MODEL_TITLE, model_table(results, parallels))
    lines += common.section("Workloads:", workload_table(results))
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="kzguard's shutdown makespan against the lower bound and two baselines"
    )
    common.add_size_arguments(parser, TARGET_SECONDS)
    parser.add_argument(
        "--bound-seconds",
        type=float,
        default=None,
        help="real seconds the lower bound lasts, for every size (instead of --time-scale)",
    )
    common.add_run_arguments(parser, "shutdown", "suspend_rate", RUNS)
    args = parser.parse_args(argv)
    if args.time_scale is not None and args.time_scale <= 0:
        parser.error("--time-scale must be positive")
    if args.bound_seconds is not None and (args.bound_seconds <= 0 or args.time_scale):
        parser.error("--bound-seconds must be positive, and not given with --time-scale")

    def one_size(size: int, parallels: Sequence[int]) -> SizeResult:
        return bench_size(
            size,
            seed=args.seed,
            time_scale=args.time_scale,
            bound_seconds=args.bound_seconds,
            parallels=parallels,
            runs=args.runs,
        )

    return common.bench_sizes(
        args.sizes,
        args.parallel,
        args.seed,
        benchmark="shutdown",
        rate="suspend_rate",
        workload=Workload.of,
        bench_size=one_size,
        render=render,
    )


if __name__ == "__main__":
    sys.exit(main())

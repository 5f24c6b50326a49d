"""The stop path's own cost on one simulated host: the slot handoff, kzguard's CPU
per zone, and what comes before the first suspend.

    .venv/bin/python bench/handoff.py ZONES [--scale S] [--instant] [--history]
                                            [--no-verify] [--parallel N] [--profile OUT]

One fresh host (bench/common.py, seed 1) with the tests' fast rates
(tests/support.py FAST_RATES: 4 GiB/s a suspend, 16 GiB/s shared, 0.5 s overhead)
at time scale S (0.05 by default), ``[shutdown] parallel`` saturating the storage
(bench/shutdown.py's policy), then ``execute_stop`` as the stop method runs it.

* handoff: ``Host.operate`` is wrapped to record, in this process, when each
  ``zoneadm suspend`` is called and when it returns.  With every slot busy, the
  k-th suspend to end frees the slot that the (parallel+k)-th suspend to start
  takes, so ``start[parallel+k] - end[k]`` is kzguard's time between the two:
  journal, scheduling, thread hand-over, reading ahead not yet done -- but not the
  simulated zoneadm's own Python start-up (the command log's times would include it).
* CPU: ``RUSAGE_SELF`` over the run (the simulated commands are child processes),
  divided by the zones.  ``--instant`` makes every zone operation take no simulated
  time (bench/common.py make_instant), as bench/shutdown.py's ``overhead`` run.
* phases: from the simulator's command log, when each kind of command first began
  and last ended, in seconds after the stop began.
* ``--history`` writes history.json first (one past suspend per zone, its expected
  time): a host stopped before, on which the read-ahead can begin during the survey
  (stop/path.py).  ``--no-verify`` sets ``[resume] verify = false`` (no markers, no
  boot times: kzguard's handoff without the four zlogins a zone).
* ``--profile OUT``: cProfile of every thread, merged (wall-clock heavy: blocked
  calls show their waiting time).

Not a test: nothing is asserted.  On a two-CPU machine the simulated commands (five
Python start-ups a zone) dominate: the read-ahead then falls behind the suspends,
and the handoff includes the wait for it.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import logging
import pstats
import statistics
import threading
import time
from collections.abc import Sequence
from typing import Any

import common
import method_cpu
import shutdown

from kzguard.journal.history import PastRun
from kzguard.journal.store import ensure_state_dir, save_history
from kzguard.solaris.host import Host
from kzguard.stop import path as stop_path

# The integration tests' fast rates (tests/support.py FAST_RATES), suspend side.
FAST_RATES = {
    "suspend_rate": float(4 << 30),
    "storage_bandwidth": float(16 << 30),
    "op_overhead": 0.5,
}
Call = tuple[str, str, float, float]  # zone, subcommand, called, returned (monotonic)


def recording_operate(calls: list[Call], lock: threading.Lock) -> None:
    original = Host.operate

    def operate(self: Host, zone_name: str, subcommand: str, *args: str, timeout: float) -> None:
        called = time.monotonic()
        try:
            original(self, zone_name, subcommand, *args, timeout=timeout)
        finally:
            with lock:
                calls.append((zone_name, subcommand, called, time.monotonic()))

    Host.operate = operate  # type: ignore[method-assign]


def handoffs(calls: Sequence[Call], parallel: int) -> list[float]:
    suspends = [call for call in calls if call[1] == "suspend"]
    starts = sorted(call[2] for call in suspends)
    ends = sorted(call[3] for call in suspends)
    return [start - end for start, end in zip(starts[parallel:], ends)]


def phases(events: Sequence[dict[str, Any]], epoch: float) -> str:
    seen: dict[str, list[float]] = {}
    tools: dict[object, str] = {}  # pid -> what its start line said it was
    for event in events:
        kind = str(event.get("event"))
        tool = str(event.get("tool"))
        if tool == "zoneadm":
            argv = event.get("argv", [])
            tool += " " + str((argv[3:4] or argv[1:2] or ["?"])[0])
        if kind == "start":
            tools[event.get("pid")] = tool
        else:
            tool = tools.get(event.get("pid"), tool)
        if kind in ("start", "end"):
            seen.setdefault(f"{tool} {kind}", []).append(float(event["time"]) - epoch)
    return "; ".join(
        f"{key} n={len(times)} {min(times):.2f}..{max(times):.2f}"
        for key, times in sorted(seen.items())
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("zones", type=int)
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--instant", action="store_true")
    parser.add_argument("--history", action="store_true")
    parser.add_argument("--no-verify", action="store_true")
    parser.add_argument("--parallel", type=int, default=0)
    parser.add_argument("--profile")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    lock = threading.Lock()
    calls: list[Call] = []
    recording_operate(calls, lock)
    profiles = method_cpu.profiled_threads() if args.profile else []
    with common.fresh_host(args.zones, 1, args.scale) as host:
        with host.edit() as state:
            state["rates"].update(FAST_RATES)
        if args.instant:
            common.make_instant(host)
        work = shutdown.Workload.of(host)
        parallel = args.parallel or common.saturating_parallel(work)
        policy = shutdown.bench_policy(host, work, parallel)
        if args.no_verify:
            policy = dataclasses.replace(
                policy, resume=dataclasses.replace(policy.resume, verify=False)
            )
        if args.history:
            now = time.time()
            past = {
                zone: [PastRun(seconds=work.single(zone), memory=work.memory[zone], when=now)]
                for zone in work.zones
            }
            save_history(ensure_state_dir(policy.paths.state_dir), past, now=now)
        main_profile = cProfile.Profile()
        cpu_before, children_before = common.cpu_seconds()
        epoch = time.time()
        started = time.monotonic()
        if args.profile:
            main_profile.enable()
        _, report = stop_path.execute_stop(
            policy, Host(policy.commands), holder="bench", trigger="method", started=started
        )
        if args.profile:
            main_profile.disable()
        wall = time.monotonic() - started
        cpu_after, children_after = common.cpu_seconds()
        failed = [o.name for o in report.outcomes if o.result.value != "suspended"]
        first = min((call[2] for call in calls if call[1] == "suspend"), default=started)
        cpu = cpu_after - cpu_before
        print(
            f"zones={args.zones} parallel={parallel} time_scale={args.scale} "
            f"instant={args.instant} history={args.history} verify={not args.no_verify}: "
            f"wall {wall:.2f}s, first suspend after {first - started:.2f}s, "
            f"kzguard CPU {cpu:.2f}s ({cpu / args.zones * 1000:.1f} ms/zone), "
            f"simulator CPU {children_after - children_before:.1f}s, "
            f"lower bound {work.lower_bound:.1f} simulated s, not suspended: {len(failed)}"
        )
        print("phases (s after the start):", phases(host.commands(), epoch))
        measured = sorted(seconds * 1000 for seconds in handoffs(calls, parallel))
        if measured:
            print(
                f"handoff ms: median {statistics.median(measured):.1f}, "
                f"p10 {measured[len(measured) // 10]:.1f}, "
                f"p90 {measured[len(measured) * 9 // 10]:.1f}, max {measured[-1]:.1f} "
                f"(n={len(measured)})"
            )
    if args.profile:
        stats = pstats.Stats(main_profile)
        for profile in profiles:
            stats.add(profile)
        stats.dump_stats(args.profile)
        stats.sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()

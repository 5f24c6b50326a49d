"""The stop plan's fit to its deadline: how many suspends it keeps, beside the fit it
replaced and an upper bound.

Not a test.  Where the predicted schedule would end after the deadline's budget, the
plan gives suspends up for their fallbacks, one step at a time (stop/plan.py
``_fit_budget``).  Here, for hosts of ``--zones`` kernel zones with memory drawn as
the simulator draws it (2 to 32G, seeded), one at a time and at ``--parallel`` at
once, under deadlines that load the host ``--loads`` times over (the suspends'
seconds at the assumed 256M/s over the slots' seconds in the budget), three plans
side by side:

- **kzguard**: ``plan_stop`` as it is;
- **latest first**: the same plan with the step given up chosen as before 770b826
  (the latest-ending suspend after the budget, then the latest-ending shutdown
  after it to its halt), substituted for ``_next_demotion``;
- **bound**: no plan, an upper bound on the suspends any plan keeps: the most of the
  shortest suspends whose seconds fit in the slots' seconds of the budget, every
  other zone halted (a halt takes no slot).

Printed per case, summed over the seeds: suspends kept / shut down / halted for
each plan, kzguard's and latest first's suspends over the bound, and the CPU each
plan took (time.process_time, ms a zone).

Then, on ``--small`` random small hosts (2 to 6 zones of 1 to 32G, one to three at
once, a 15 s to 2 m deadline, a 5 to 40 s shutdown timeout, 1G/s assumed), each plan
beside the best of every choice of first step for each zone (suspend, its shutdown,
its halt) whose schedule, as the plan makes it, ends inside the budget: the most
suspends, then the fewest halts.  Counted: the hosts where a plan keeps as many
suspends and halts no more zones, where it keeps as many but halts more, and
where it keeps fewer.  Pure: no simulator, no clock.

    .venv/bin/python bench/budget_fit.py [--zones 10,30,100,500] [--parallel 1,2,8]
        [--loads 1.2,2,4] [--seeds 1,2,3] [--small 600]
"""

from __future__ import annotations

import argparse
import itertools
import random
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from unittest import mock

from kzguard.model import Zone
from kzguard.policy.model import Action, Policy, ShutdownPolicy, ZonePolicy
from kzguard.policy.selection import decide
from kzguard.sim.create import MEMORY_CHOICES
from kzguard.stop import plan as stop_plan
from kzguard.stop.plan import StopPlan, ZonePlan, plan_stop
from tests.unit.zones import kernel_zone

ASSUMED_RATE = 256 << 20
HALT_TIMEOUT = 60.0


def latest_first(
    zones: Sequence[ZonePlan],
    starts: Mapping[str, float],
    ends: Mapping[str, float],
    budget: float,
    *,
    given_up: AbstractSet[str],
    slots: int,
) -> tuple[ZonePlan, str, int] | None:
    """The fit's choice before 770b826: the latest-ending suspend after the
    budget, else the latest-ending shutdown after it, one step."""
    del starts, given_up, slots
    late = [zone for zone in zones if ends[zone.name] > budget]
    for wanted in (Action.SUSPEND, Action.SHUTDOWN):
        steps = [zone for zone in late if zone.steps[0] is wanted and len(zone.steps) > 1]
        if steps:
            worst = max(steps, key=lambda zone: (ends[zone.name], zone.name))
            return worst, "latest first", 1
    return None


def host(zones: int, seed: int) -> list[Zone]:
    rng = random.Random(seed)  # noqa: S311 (a workload, not secrets)
    return [kernel_zone(f"kz{index}", memory=rng.choice(MEMORY_CHOICES)) for index in range(zones)]


def memory(zone: Zone) -> int:
    return (zone.config.physical_memory if zone.config else None) or 0


def deadline_for(zones: Sequence[Zone], slots: int, load: float) -> float:
    """The deadline whose budget's slot seconds are the suspends' over ``load``."""
    seconds = sum(memory(zone) for zone in zones) / ASSUMED_RATE
    return seconds / slots / load + HALT_TIMEOUT


def fitted(zones: Sequence[Zone], slots: int, deadline: float) -> tuple[StopPlan, float]:
    """The plan, and the CPU seconds ``plan_stop`` took."""
    policy = Policy(shutdown=ShutdownPolicy(deadline=deadline, parallel=slots))
    decisions = decide(policy, zones)
    began = time.process_time()
    plan = plan_stop(policy, decisions, {}, {})
    return plan, time.process_time() - began


def bound(zones: Sequence[Zone], slots: int, budget: float) -> int:
    seconds = sorted(memory(zone) / ASSUMED_RATE for zone in zones)
    room, kept = slots * budget, 0
    for each in seconds:
        if each > budget or each > room:
            break
        room -= each
        kept += 1
    return kept


def counted(plan: StopPlan) -> tuple[int, int, int]:
    first = Counter(zone.steps[0] for zone in plan.zones)
    return first[Action.SUSPEND], first[Action.SHUTDOWN], first[Action.HALT]


def small_host(seed: int) -> tuple[Policy, list[Zone]]:
    rng = random.Random(seed)  # noqa: S311 (a workload, not secrets)
    sizes = [rng.choice((1, 2, 3, 4, 6, 8, 12, 16, 24, 32)) for _ in range(rng.randint(2, 6))]
    policy = Policy(
        shutdown=ShutdownPolicy(
            deadline=rng.uniform(15, 120), parallel=rng.randint(1, 3), assumed_rate=1 << 30
        ),
        defaults=ZonePolicy(
            suspend_timeout=200.0,
            shutdown_timeout=rng.choice((5.0, 10.0, 20.0, 40.0)),
            halt_timeout=10.0,
        ),
    )
    return policy, [kernel_zone(f"z{index}", memory=f"{size}G") for index, size in enumerate(sizes)]


def best(policy: Policy, zones: Sequence[Zone], budget: float) -> tuple[int, int]:
    """(suspends, -halts) of the best first steps whose schedule ends in ``budget``."""
    decisions = [decision for decision in decide(policy, zones) if decision.managed]
    initial = [stop_plan._initial(policy, decision, {}, None) for decision in decisions]
    plans = [plan for plan in initial if isinstance(plan, ZonePlan)]
    slots = int(policy.shutdown.parallel)  # pinned by small_host
    found = (-1, 0)
    for steps in itertools.product((0, 1, 2), repeat=len(plans)):
        chosen = [
            stop_plan._demote(policy, plan, "", (), given) if given else plan
            for plan, given in zip(plans, steps)
        ]
        starts = stop_plan._start_times(chosen, slots)
        if all(starts[plan.name] + plan.expected <= budget for plan in chosen):
            found = max(found, (steps.count(0), -steps.count(2)))
    return found


def small_hosts(count: int) -> None:
    tally = {"kzguard": Counter[str](), "latest first": Counter[str]()}
    for seed in range(count):
        policy, zones = small_host(seed)
        decisions = decide(policy, zones)
        ours = plan_stop(policy, decisions, {}, {})
        with mock.patch.object(stop_plan, "_next_demotion", latest_first):
            theirs = plan_stop(policy, decisions, {}, {})
        top = best(policy, zones, ours.budget)
        for name, plan in (("kzguard", ours), ("latest first", theirs)):
            kept, _, halted = counted(plan)
            if kept < top[0]:
                tally[name]["fewer suspends"] += 1
            elif -halted < top[1]:
                tally[name]["as many, more halts"] += 1
            else:
                tally[name]["as the best"] += 1
    print()
    print("| small hosts | plan | as the best | as many suspends, more halts | fewer suspends |")
    print("|---:|---|---:|---:|---:|")
    for name, counts in tally.items():
        print(
            f"| {count} | {name} | {counts['as the best']} | {counts['as many, more halts']} "
            f"| {counts['fewer suspends']} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zones", default="10,30,100,500")
    parser.add_argument("--parallel", default="1,2,8")
    parser.add_argument("--loads", default="1.2,2,4")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--small", type=int, default=600)
    args = parser.parse_args()
    print(
        "| zones | parallel | load | kzguard kept/shut/halt | latest first kept/shut/halt "
        "| bound | kzguard / bound | latest first / bound | CPU ms a zone (kzguard / latest "
        "first) |"
    )
    print("|---:|---:|---:|---|---|---:|---:|---:|---|")
    seeds = [int(word) for word in args.seeds.split(",")]
    for count in (int(word) for word in args.zones.split(",")):
        for slots in (int(word) for word in args.parallel.split(",")):
            for load in (float(word) for word in args.loads.split(",")):
                ours, theirs, most, cpu = [0, 0, 0], [0, 0, 0], 0, [0.0, 0.0]
                for seed in seeds:
                    zones = host(count, seed)
                    deadline = deadline_for(zones, slots, load)
                    plan, cpu_ours = fitted(zones, slots, deadline)
                    with mock.patch.object(stop_plan, "_next_demotion", latest_first):
                        before, cpu_theirs = fitted(zones, slots, deadline)
                    for total, figures in ((ours, counted(plan)), (theirs, counted(before))):
                        for index, figure in enumerate(figures):
                            total[index] += figure
                    most += bound(zones, slots, plan.budget)
                    cpu[0] += cpu_ours
                    cpu[1] += cpu_theirs
                per_zone = [f"{1000 * each / count / len(seeds):.2f}" for each in cpu]
                print(
                    f"| {count} | {slots} | {load} | {'/'.join(map(str, ours))} "
                    f"| {'/'.join(map(str, theirs))} | {most} "
                    f"| {ours[0] / most:.3f} | {theirs[0] / most:.3f} | {' / '.join(per_zone)} |"
                )
    if args.small:
        small_hosts(args.small)


if __name__ == "__main__":
    main()

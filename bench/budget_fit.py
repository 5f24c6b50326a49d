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
plan took (time.process_time, ms a zone).  Pure: no simulator, no clock.

    .venv/bin/python bench/budget_fit.py [--zones 10,30,100,500] [--parallel 1,2,8]
        [--loads 1.2,2,4] [--seeds 1,2,3]
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from unittest import mock

from kzguard.model import Zone
from kzguard.policy.model import Action, Policy, ShutdownPolicy
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
    given_up: AbstractSet[str],
) -> tuple[ZonePlan, str, int] | None:
    """The fit's choice before 770b826: the latest-ending suspend after the
    budget, else the latest-ending shutdown after it, one step."""
    del starts, given_up
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zones", default="10,30,100,500")
    parser.add_argument("--parallel", default="1,2,8")
    parser.add_argument("--loads", default="1.2,2,4")
    parser.add_argument("--seeds", default="1,2,3")
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


if __name__ == "__main__":
    main()

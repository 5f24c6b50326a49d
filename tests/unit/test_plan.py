from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from kzguard.journal.history import PaceSample, PastRun
from kzguard.model import FileSystemSpace, SmfDependency, Zone
from kzguard.pace.choose import PaceDecision
from kzguard.policy.model import Action, Policy, ShutdownPolicy, ZonePolicy
from kzguard.policy.selection import decide
from kzguard.status.report import plan_json, plan_text
from kzguard.stop.plan import PROMOTABLE, StopPlan, plan_stop
from tests.unit.zones import kernel_zone, native_zone, suspended_zone

G = 1 << 30
SUSPEND, SHUTDOWN, HALT = Action.SUSPEND, Action.SHUTDOWN, Action.HALT
ONE_G_PER_SECOND = ShutdownPolicy(assumed_rate=G, parallel=2)


def summary(plan) -> list[tuple[str, str, float, float, tuple[str, ...]]]:  # type: ignore[no-untyped-def]
    return [
        (z.name, ">".join(s.value for s in z.steps), z.expected, z.start, z.waits_for)
        for z in plan.zones
    ]


def test_longest_expected_suspends_start_first_on_the_parallel_slots() -> None:
    policy = Policy(shutdown=ONE_G_PER_SECOND)
    zones = [
        kernel_zone("a4", memory="4G"),
        kernel_zone("b32", memory="32G"),
        kernel_zone("c8", memory="8G"),
        kernel_zone("d16", memory="16G"),
    ]
    plan = plan_stop(policy, decide(policy, zones), {}, {})
    assert summary(plan) == [
        ("b32", "suspend>shutdown>halt", 32.0, 0.0, ()),
        ("d16", "suspend>shutdown>halt", 16.0, 0.0, ()),
        ("c8", "suspend>shutdown>halt", 8.0, 16.0, ()),
        ("a4", "suspend>shutdown>halt", 4.0, 24.0, ()),
    ]
    assert plan.predicted_makespan == 32.0
    assert (plan.reserve, plan.budget, plan.fits) == (60.0, 840.0, True)
    assert plan.zones[0].basis == "32G at assumed 1G/s"


def test_a_zone_is_suspended_before_the_zones_it_runs_after() -> None:
    policy = Policy(
        shutdown=ONE_G_PER_SECOND,
        zones={
            "db": ZonePolicy(),
            "app": ZonePolicy(after=("db",)),
            "web": ZonePolicy(after=("app",)),
        },
    )
    zones = [
        kernel_zone("db", memory="32G"),
        kernel_zone("app", memory="2G"),
        kernel_zone("web", memory="1G"),
        kernel_zone("solo", memory="4G"),
    ]
    plan = plan_stop(policy, decide(policy, zones), {}, {})
    assert summary(plan) == [
        ("solo", "suspend>shutdown>halt", 4.0, 0.0, ()),
        ("web", "suspend>shutdown>halt", 1.0, 0.0, ()),
        ("app", "suspend>shutdown>halt", 2.0, 1.0, ("web",)),
        ("db", "suspend>shutdown>halt", 32.0, 3.0, ("app",)),
    ]


def test_a_zone_waits_until_every_zone_that_runs_after_it_is_suspended() -> None:
    policy = Policy(
        shutdown=ONE_G_PER_SECOND,
        zones={
            "db": ZonePolicy(),
            "app1": ZonePolicy(after=("db",)),
            "app2": ZonePolicy(after=("db",)),
        },
    )
    zones = [
        kernel_zone("db", memory="8G"),
        kernel_zone("app1", memory="2G"),
        kernel_zone("app2", memory="6G"),
    ]
    plan = plan_stop(policy, decide(policy, zones), {}, {})
    # app1 ends first, but db still waits for app2.
    assert summary(plan) == [
        ("app2", "suspend>shutdown>halt", 6.0, 0.0, ()),
        ("app1", "suspend>shutdown>halt", 2.0, 0.0, ()),
        ("db", "suspend>shutdown>halt", 8.0, 6.0, ("app1", "app2")),
    ]


def test_dependencies_on_zones_outside_the_plan_impose_nothing() -> None:
    policy = Policy(zones={"db": ZonePolicy(), "app": ZonePolicy(after=("db",))})
    plan = plan_stop(policy, decide(policy, [kernel_zone("app"), suspended_zone("db")]), {}, {})
    assert [(z.name, z.waits_for) for z in plan.zones] == [("app", ())]
    assert [(s.name, s.reason) for s in plan.skipped] == [("db", "already suspended")]


def test_history_predicts_by_rate_scaled_to_todays_memory() -> None:
    policy = Policy()
    history = {
        "kz1": [
            PastRun(seconds=100.0, memory=4 * G),
            PastRun(seconds=10.0, memory=4 * G),
            PastRun(seconds=20.0, memory=4 * G),
            PastRun(seconds=16.0, memory=4 * G),
        ],
        "kz2": [PastRun(seconds=42.0)],
    }
    zones = [kernel_zone("kz1", memory="8G"), kernel_zone("kz2", memory=None)]
    plan = plan_stop(policy, decide(policy, zones), history, {})
    by_zone = {z.name: z for z in plan.zones}
    # the last three runs: 10s, 20s, 16s for 4G -> median rate 256M/s -> 8G in 32s
    assert by_zone["kz1"].expected == 32.0
    assert by_zone["kz1"].basis == "3 past suspend(s) at 256M/s"
    assert (by_zone["kz2"].expected, by_zone["kz2"].basis) == (42.0, "1 past suspend(s)")


def test_the_image_a_suspend_should_write_follows_its_past_images_ratio_to_memory() -> None:
    policy = Policy()
    history = {
        # The last three: images of 1/4, 1/2 and 1/8 of their memory -> median 1/4.
        "kz1": [
            PastRun(seconds=9.0, memory=4 * G, image_bytes=4 * G),
            PastRun(seconds=9.0, memory=4 * G, image_bytes=G),
            PastRun(seconds=9.0, memory=8 * G, image_bytes=4 * G),
            PastRun(seconds=9.0, memory=8 * G, image_bytes=G),
        ],
        "kz2": [PastRun(seconds=42.0, memory=4 * G)],  # no image recorded
    }
    zones = [kernel_zone(name, memory="16G") for name in ("kz1", "kz2", "kz3")]
    plan = plan_stop(policy, decide(policy, zones), history, {})
    by_zone = {z.name: (z.expected_image, z.size) for z in plan.zones}
    assert by_zone == {"kz1": (4 * G, 4 * G), "kz2": (None, 16 * G), "kz3": (None, 16 * G)}


def test_unknown_memory_without_history_assumes_half_the_timeout() -> None:
    plan = plan_stop(Policy(), decide(Policy(), [kernel_zone("kz1", memory=None)]), {}, {})
    assert (plan.zones[0].expected, plan.zones[0].basis) == (
        300.0,
        "memory unknown: half the suspend timeout",
    )


def test_images_that_cannot_fit_start_with_their_fallback() -> None:
    policy = Policy(shutdown=ONE_G_PER_SECOND)
    fs = FileSystemSpace("rpool/zones", "/system/zones", 20 * G)
    zones = [
        kernel_zone("big", memory="16G"),
        kernel_zone("mid", memory="8G"),
        kernel_zone("small", memory="2G"),
    ]
    plan = plan_stop(policy, decide(policy, zones), {}, {"big": fs, "mid": fs, "small": fs})
    assert summary(plan) == [
        ("mid", "shutdown>halt", 30.0, 0.0, ()),
        ("big", "suspend>shutdown>halt", 16.0, 0.0, ()),
        ("small", "suspend>shutdown>halt", 2.0, 16.0, ()),
    ]
    assert (
        plan.zones[0].note
        == "suspend image up to 8G does not fit in the 2G left on /system/zones: starting with shutdown"
    )


def test_images_that_cannot_all_fit_keep_as_many_suspends_as_fit() -> None:
    # 20G free: big's 16G image would leave room for one 4G image; the four 4G
    # images fit together, so they keep their suspends and big shuts down.  A
    # zone with no fallback ("only", 2G) has its image counted first.
    policy = Policy(shutdown=ONE_G_PER_SECOND, zones={"only": ZonePolicy(fallback=())})
    fs = FileSystemSpace("rpool/zones", "/system/zones", 22 * G)
    zones = [kernel_zone("big", memory="16G"), kernel_zone("only", memory="2G")]
    zones += [kernel_zone(f"kz{index}", memory="4G") for index in range(1, 5)]
    plan = plan_stop(policy, decide(policy, zones), {}, {zone.name: fs for zone in zones})
    assert {zone.name: zone.steps[0].value for zone in plan.zones} == {
        "big": "shutdown",
        "only": "suspend",
        "kz1": "suspend",
        "kz2": "suspend",
        "kz3": "suspend",
        "kz4": "suspend",
    }
    assert plan.zones[0].note == (
        "suspend image up to 16G does not fit in the 4G left on /system/zones: starting with "
        "shutdown"
    )
    # With 30G free, as many fit as before (four of the five that may fall back),
    # and big's image is kept in one 4G image's place.
    roomier = FileSystemSpace("rpool/zones", "/system/zones", 30 * G)
    plan = plan_stop(policy, decide(policy, zones), {}, {zone.name: roomier for zone in zones})
    assert sorted(zone.name for zone in plan.zones if zone.steps[0] is SHUTDOWN) == ["kz1"]


def test_suspends_that_cannot_end_inside_the_budget_start_with_their_fallback() -> None:
    policy = Policy(
        shutdown=ShutdownPolicy(deadline=100.0, parallel=1, assumed_rate=G),
        defaults=ZonePolicy(suspend_timeout=60.0, shutdown_timeout=20.0, halt_timeout=10.0),
    )
    zones = [
        kernel_zone(name, memory=size)
        for name, size in (("long", "64G"), ("b", "40G"), ("c", "30G"), ("d", "25G"))
    ]
    # long's own past suspend measured 1G/s: its 64G would take 1m4s, over its timeout.
    history = {"long": [PastRun(seconds=32.0, memory=32 * G)]}
    plan = plan_stop(policy, decide(policy, zones), history, {})
    assert [(z.name, ">".join(s.value for s in z.steps), z.start, z.note) for z in plan.zones] == [
        # Not even as a shutdown does it end inside the budget: it halts, in no slot.
        (
            "long",
            "halt",
            0.0,
            "expected suspend 1m4s exceeds its timeout 1m: starting with shutdown; expected "
            "to end at 1m55s, after the 1m30s budget even as a shutdown: starting with halt",
        ),
        ("b", "suspend>shutdown>halt", 0.0, ""),
        ("c", "suspend>shutdown>halt", 40.0, ""),
        (
            "d",
            "shutdown>halt",
            70.0,
            "expected to end at 1m35s, after the 1m30s budget: starting with shutdown, unless "
            "this stop's first suspends show it fits",
        ),
    ]
    assert (plan.budget, plan.predicted_makespan, plan.fits) == (90.0, 90.0, True)
    # d's suspend was taken on predictions, which the stop's own suspends may prove
    # wrong (stop/promote.py); long's own measured suspends outlast its timeout.
    assert {z.name: z.chain_if_fits for z in plan.zones} == {
        "long": (),
        "b": (),
        "c": (),
        "d": ((SUSPEND, 60.0), (SHUTDOWN, 20.0), (HALT, 10.0)),
    }


def steps_of(plan) -> dict[str, tuple[str, float, str, str]]:  # type: ignore[no-untyped-def]
    return {
        z.name: (">".join(s.value for s in z.steps), z.expected, z.basis, z.note)
        for z in plan.zones
    }


def test_a_suspend_only_the_assumed_rate_says_is_too_long_is_tried_within_its_timeout() -> None:
    # The default policy: 256G at the assumed 256M/s is 17m4s, over the 10m suspend
    # timeout.  Demoted on that guess, big would never suspend and no measurement
    # would ever correct it; it is tried, planned at its timeout.
    policy = Policy()
    zones = [kernel_zone("big", memory="256G"), kernel_zone("small", memory="8G")]
    plan = plan_stop(policy, decide(policy, zones), {}, {})
    assert steps_of(plan) == {
        "big": (
            "suspend>shutdown>halt",
            600.0,
            "256G at assumed 256M/s: 17m4s, more than its 10m timeout",
            "",
        ),
        "small": ("suspend>shutdown>halt", 32.0, "8G at assumed 256M/s", ""),
    }
    assert (plan.predicted_makespan, plan.fits) == (600.0, True)
    # kzguard reboot refuses on it (status/cycle.py reboot_refusals): a deliberate
    # reboot should not bet the zone's state on a guess.
    assert [(zone.name, zone.at_risk) for zone in plan.zones] == [
        (
            "big",
            "expected suspend 17m4s (256G at assumed 256M/s) exceeds its timeout 10m, which "
            "bounds the try",
        ),
        ("small", ""),
    ]
    # Both on the assumed rate: the stop predicts them again at its own measured rate.
    assert [(zone.name, zone.guessed) for zone in plan.zones] == [("big", True), ("small", True)]


def test_a_zone_never_suspended_is_predicted_at_the_rate_its_hosts_other_zones_suspended_at() -> (
    None
):
    # kz1 at 1G/s, kz2 at 2G/s (its last three), kz3 at 4G/s: the median, 2G/s.
    # A zone of kz2's own is predicted from its own suspends.
    history = {
        "kz1": [PastRun(seconds=8.0, memory=8 * G)],
        "kz2": [PastRun(seconds=1.0, memory=G)] + [PastRun(seconds=4.0, memory=8 * G)] * 3,
        "kz3": [PastRun(seconds=4.0, memory=16 * G)],
    }
    zones = [kernel_zone("big", memory="256G"), kernel_zone("kz2", memory="16G")]
    plan = plan_stop(Policy(), decide(Policy(), zones), history, {})
    assert steps_of(plan) == {
        "big": ("suspend>shutdown>halt", 128.0, "256G at 2G/s, this host's 5 suspend(s)", ""),
        "kz2": ("suspend>shutdown>halt", 8.0, "3 past suspend(s) at 2G/s", ""),
    }
    # Measured, neither is predicted again at the run's rate (StopRun._doomed).
    assert [(zone.name, zone.guessed) for zone in plan.zones] == [("big", False), ("kz2", False)]
    # Measured on this host, a rate that makes the suspend outlast its timeout demotes it.
    slow = {"kz1": [PastRun(seconds=64.0, memory=16 * G)]}
    plan = plan_stop(Policy(), decide(Policy(), zones[:1]), slow, {})
    assert steps_of(plan) == {
        "big": (
            "shutdown>halt",
            30.0,
            "typical shutdown",
            "expected suspend 17m4s exceeds its timeout 10m: starting with shutdown",
        )
    }


def planned_after(
    run: PastRun, memory: str = "256G", policy: Policy | None = None
) -> tuple[str, float, str, str]:
    """The plan of a zone "big" of ``memory`` whose only past suspend is ``run``."""
    policy = policy or Policy()
    zones = [kernel_zone("big", memory=memory)]
    return steps_of(plan_stop(policy, decide(policy, zones), {"big": [run]}, {}))["big"]


def test_a_suspend_that_timed_out_is_tried_again_only_with_a_longer_timeout() -> None:
    timed_out = PastRun(seconds=600.0, memory=256 * G, timed_out=True)
    assert planned_after(timed_out) == (
        "shutdown>halt",
        30.0,
        "typical shutdown",
        "its last suspend timed out after 10m: starting with shutdown (a longer "
        "suspend_timeout tries it again)",
    )
    longer = Policy(
        shutdown=ShutdownPolicy(deadline=1800.0), defaults=ZonePolicy(suspend_timeout=1200.0)
    )
    assert planned_after(timed_out, policy=longer) == (
        "suspend>shutdown>halt",
        1024.0,
        "256G at assumed 256M/s",
        "",
    )
    # Cut short by the deadline's end (5m of its 10m): tried again, expected to take
    # at least as long as it ran, measured so.
    cut = PastRun(seconds=300.0, memory=64 * G, timed_out=True)
    assert planned_after(cut, "64G") == (
        "suspend>shutdown>halt",
        300.0,
        "its last suspend timed out after 5m",
        "",
    )
    # Suspend time follows memory: the bound is scaled to the zone's memory today.
    smaller = PastRun(seconds=600.0, memory=128 * G, timed_out=True)
    assert planned_after(smaller)[3] == (
        "its last suspend timed out after 10m with 128G of memory, now 256G: starting with "
        "shutdown (a longer suspend_timeout tries it again)"
    )
    # Shrunk to 96G: 225 s at least, under the assumed rate's 384 s; from 128G, 450 s.
    assert planned_after(timed_out, "96G") == (
        "suspend>shutdown>halt",
        384.0,
        "96G at assumed 256M/s",
        "",
    )
    assert planned_after(smaller, "96G") == (
        "suspend>shutdown>halt",
        450.0,
        "its last suspend timed out after 10m with 128G of memory, now 96G",
        "",
    )


def test_zones_not_running_are_skipped_and_stuck_ones_only_halt() -> None:
    policy = Policy(zones={"web": ZonePolicy(action=Action.SHUTDOWN, fallback=(Action.HALT,))})
    zones = [
        suspended_zone("kz1"),
        kernel_zone("kz2", state="installed"),
        kernel_zone("kz3", state="shutting_down"),
        native_zone("web"),
        native_zone("other"),
    ]
    plan = plan_stop(policy, decide(policy, zones), {}, {})
    assert summary(plan) == [
        ("kz3", "halt", 5.0, 0.0, ()),
        ("web", "shutdown>halt", 30.0, 0.0, ()),
    ]
    assert plan.zones[0].note == "zone is shutting_down: only halt applies"
    assert [(s.name, s.reason) for s in plan.skipped] == [
        ("kz1", "already suspended"),
        ("kz2", "not running (installed)"),
    ]


def test_a_panicked_zone_is_only_halted_whatever_its_chain() -> None:
    # Its kernel has stopped: no shutdown runs in it, and a suspend would keep a
    # panic (docs/solaris.md 1.2); the running state is already lost.
    policy = Policy(zones={"kz2": ZonePolicy(fallback=())})
    zones = [
        kernel_zone("kz1", aux=("panicked",)),
        kernel_zone("kz2", aux=("panicked",)),
        kernel_zone("kz3"),
    ]
    plan = plan_stop(policy, decide(policy, zones), {}, {})
    assert summary(plan)[:2] == [("kz1", "halt", 5.0, 0.0, ()), ("kz2", "halt", 5.0, 0.0, ())]
    note = "panicked: its running state is already lost and only halt applies"
    assert [zone.note for zone in plan.zones] == [note, note, ""]
    assert [">".join(s.value for s in zone.steps) for zone in plan.zones][
        2
    ] == "suspend>shutdown>halt"


def test_a_zone_without_a_suspend_resource_starts_with_shutdown_unless_nothing_follows() -> None:
    policy = Policy(zones={"kz1": ZonePolicy(), "kz2": ZonePolicy(fallback=())})
    zones = [
        kernel_zone("kz1", suspend_path=None),
        kernel_zone("kz2", suspend_path=None),
        native_zone("ngz"),
    ]
    plan = plan_stop(
        Policy(zones={**policy.zones, "ngz": ZonePolicy()}),
        decide(Policy(zones={**policy.zones, "ngz": ZonePolicy()}), zones),
        {},
        {},
    )
    notes = {z.name: (">".join(s.value for s in z.steps), z.note) for z in plan.zones}
    assert notes == {
        "kz1": ("shutdown>halt", "no suspend resource: starting with shutdown"),
        "kz2": ("suspend", ""),
        "ngz": ("shutdown>halt", "brand solaris cannot suspend: starting with shutdown"),
    }


def test_plan_text_and_json() -> None:
    policy = Policy(shutdown=ONE_G_PER_SECOND)
    plan = plan_stop(
        policy, decide(policy, [kernel_zone("kz1", memory="2G"), suspended_zone("kz2")]), {}, {}
    )
    assert plan_text(plan).splitlines() == [
        "stop plan: 1 zone, 2 at a time; deadline 15m with 1m kept for halts; expected 2s (fits)",
        "suspends: 2 at once (policy: parallel = 2)",
        'resumes: 8 at once to begin: no resume measured yet, then by measurement (parallel = "auto")',
        "#  ZONE  STEPS                            MEMORY  EXPECTED  START  AFTER  WHY",
        "1  kz1   suspend:10m>shutdown:3m>halt:1m  2G      2s        0s     -      2G at assumed 1G/s",
        "not touched: kz2: already suspended",
    ]
    document = json.loads(plan_json(plan))
    assert document["format"] == 1
    assert document["zones"][0] == {
        "zone": "kz1",
        "steps": ["suspend", "shutdown", "halt"],
        "timeouts": [600.0, 180.0, 60.0],
        "memory": 2 * G,
        "expected": 2.0,
        "basis": "2G at assumed 1G/s",
        "start": 0.0,
        "waits_for": [],
        "order": "",
        "note": "",
        "at_risk": "",
        "suspend_if_fits": False,
    }
    assert document["skipped"] == [{"zone": "kz2", "reason": "already suspended"}]
    assert document["pace"] == {
        "suspend": {
            "parallel": 2,
            "start": 2,
            "why": "2 at once (policy: parallel = 2)",
        },
        "resume": {
            "parallel": "auto",
            "start": 8,
            "why": "8 at once to begin: no resume measured yet, then by measurement",
        },
    }


def test_an_auto_plan_schedules_on_the_slots_history_found_best_and_says_why() -> None:
    policy = Policy(shutdown=ShutdownPolicy(assumed_rate=G))
    zones = [kernel_zone(f"kz{index}", memory="4G") for index in range(1, 6)]
    learned = {
        "suspend": [
            PaceSample(2, 1.8 * G, 100.0, 1.0),
            PaceSample(3, 2.1 * G, 100.0, 1.0),
            PaceSample(4, 2.0 * G, 100.0, 1.0),
        ]
    }
    plan = plan_stop(policy, decide(policy, zones), {}, {}, learned=learned)
    assert plan.parallel == 3
    assert [zone.start for zone in plan.zones] == [0.0, 0.0, 0.0, 4.0, 4.0]
    assert plan.pace == PaceDecision(
        "suspend", "auto", 3, "3 at once: 3 gave 2.1G/s last cycle, 4 gave 2G/s"
    )
    assert plan_text(plan).splitlines()[1:3] == [
        'suspends: 3 at once: 3 gave 2.1G/s last cycle, 4 gave 2G/s (parallel = "auto")',
        'resumes: 8 at once to begin: no resume measured yet, then by measurement (parallel = "auto")',
    ]


def test_an_auto_plan_with_one_large_image_begins_with_as_many_as_keep_pace_with_it() -> None:
    # 32G of 48G: two at once move the others' 16G while kz1 moves its 32G; the
    # halted zone moves nothing and is not counted.
    policy = Policy(shutdown=ShutdownPolicy(assumed_rate=G))
    zones = [kernel_zone("kz1", memory="32G")]
    zones += [kernel_zone(f"kz{index}", memory="4G") for index in range(2, 6)]
    zones.append(kernel_zone("kz6", memory="64G", state="ready"))
    plan = plan_stop(policy, decide(policy, zones), {}, {})
    assert plan.parallel == 2
    assert [(zone.name, zone.start) for zone in plan.zones] == [
        ("kz6", 0.0),
        ("kz1", 0.0),
        ("kz2", 0.0),
        ("kz3", 4.0),
        ("kz4", 8.0),
        ("kz5", 12.0),
    ]
    why = (
        "2 at once: 2 keep pace with the largest suspend (32G of 48G) while it runs, "
        "then by measurement"
    )
    assert plan.pace == PaceDecision("suspend", "auto", 2, why)
    assert plan.pace is not None
    assert plan.pace.work == (32 * G, 4 * G, 4 * G, 4 * G, 4 * G)
    assert plan_text(plan).splitlines()[1] == f'suspends: {why} (parallel = "auto")'


def test_an_auto_plan_keeps_pace_only_with_the_suspends_it_kept() -> None:
    # big's 32G image does not fit in the 20G left: it shuts down, and the four
    # suspends left are of one size, so none is held back for it.
    policy = Policy(shutdown=ShutdownPolicy(assumed_rate=G))
    fs = FileSystemSpace("rpool/zones", "/system/zones", 20 * G)
    zones = [kernel_zone("big", memory="32G")]
    zones += [kernel_zone(f"kz{index}", memory="4G") for index in range(1, 5)]
    plan = plan_stop(policy, decide(policy, zones), {}, {zone.name: fs for zone in zones})
    assert plan.zones[0].name == "big"
    assert plan.zones[0].steps == (Action.SHUTDOWN, Action.HALT)
    assert plan.parallel == 8
    why = (
        "3 at once to begin: more while the pools' bandwidth grows (zpool iostat), "
        "then by measurement"
    )
    assert plan.pace == PaceDecision("suspend", "auto", 3, why, beyond_start=8)
    assert plan.pace is not None
    assert plan.pace.work == (4 * G, 4 * G, 4 * G, 4 * G)


def test_a_first_stop_is_planned_at_the_number_its_ramp_would_begin_at_without_the_pools() -> None:
    # The default policy (900 s deadline, 60 s kept for halts, 256M/s a suspend
    # assumed), forty 16G zones and nothing learned: the ramp begins at 3, and at 3
    # for the whole stop the last zone would end after the budget even as a shutdown
    # (planned to halt, as the plan did before).  It is planned at 8, where the pace
    # would begin without the pools: every zone suspends, 64 s each, in 5 rounds.
    policy = Policy()
    zones = [kernel_zone(f"kz{index:02d}", memory="16G") for index in range(40)]
    plan = plan_stop(policy, decide(policy, zones), {}, {})
    assert {zone.steps for zone in plan.zones} == {(Action.SUSPEND, Action.SHUTDOWN, Action.HALT)}
    assert (plan.parallel, plan.predicted_makespan, plan.budget, plan.fits) == (
        8,
        320.0,
        840.0,
        True,
    )
    assert sorted({zone.start for zone in plan.zones}) == [0.0, 64.0, 128.0, 192.0, 256.0]
    assert plan.pace is not None
    assert (plan.pace.start, plan.pace.planned) == (3, 8)
    assert plan_text(plan).splitlines()[:2] == [
        "stop plan: 40 zones, 8 at a time; deadline 15m with 1m kept for halts; expected "
        "5m20s (fits)",
        "suspends: 3 at once to begin: more while the pools' bandwidth grows (zpool iostat), "
        'then by measurement; planned at 8 (parallel = "auto")',
    ]
    assert json.loads(plan_json(plan))["pace"]["suspend"] == {
        "parallel": "auto",
        "start": 3,
        "planned": 8,
        "why": "3 at once to begin: more while the pools' bandwidth grows (zpool iostat), "
        "then by measurement",
    }


def test_an_auto_plan_with_no_suspend_does_not_ramp_its_shutdowns() -> None:
    # No image fits: every zone shuts down.  The suspends' pace has nothing to
    # measure, and the shutdowns it bounds are not held to a ramp's three.
    policy = Policy(shutdown=ShutdownPolicy(assumed_rate=G))
    fs = FileSystemSpace("rpool/zones", "/system/zones", 2 * G)
    zones = [kernel_zone(f"kz{index}", memory="4G") for index in range(1, 6)]
    plan = plan_stop(policy, decide(policy, zones), {}, {zone.name: fs for zone in zones})
    assert [zone.steps for zone in plan.zones] == [(Action.SHUTDOWN, Action.HALT)] * 5
    assert plan.parallel == 8
    why = "8 at once: no suspend planned, nothing to measure"
    assert plan.pace == PaceDecision("suspend", "auto", 8, why)
    assert plan.pace is not None
    assert plan.pace.work == ()
    assert plan_text(plan).splitlines()[1] == f'suspends: {why} (parallel = "auto")'


def test_a_migrating_or_debugged_zone_is_left_alone_and_says_why() -> None:
    policy = Policy(shutdown=ONE_G_PER_SECOND)
    zones = [
        kernel_zone("kz1", aux=("migrating-out",)),
        kernel_zone("kz2", aux=("migrating-in",)),
        kernel_zone("kz3", aux=("debugging",)),
        kernel_zone("kz4"),
        suspended_zone("kz5"),
    ]
    plan = plan_stop(policy, decide(policy, zones), {}, {})
    assert [zone.name for zone in plan.zones] == ["kz4"]
    assert [(item.name, item.reason, item.left_alone) for item in plan.skipped] == [
        ("kz1", "migrating-out: a migration owns the zone", True),
        ("kz2", "migrating-in: a migration owns the zone", True),
        ("kz3", "debugging: the zone is stopped in the kernel debugger", True),
        ("kz5", "already suspended", False),
    ]


def ordered_zone(
    name: str, *depends_on: str, priority: str | None = None, memory: str = "4G"
) -> Zone:
    """A kernel zone whose zonecfg has boot-priority and smf-dependency resources."""
    zone = kernel_zone(name, memory=memory)
    assert zone.config is not None
    dependencies = tuple(SmfDependency(f"svc:/system/zones/zone:{d}") for d in depends_on)
    config = dataclasses.replace(zone.config, boot_priority=priority, smf_dependencies=dependencies)
    return dataclasses.replace(zone, config=config)


def test_without_after_zonecfg_orders_the_stop_in_reverse() -> None:
    # app depends on db (smf-dependency): app goes down first.  Among zones ready at
    # once, low goes first and high last, before the longest-first rule.
    policy = Policy(shutdown=ShutdownPolicy(assumed_rate=G, parallel=1))
    zones = [
        ordered_zone("db", priority="high", memory="32G"),
        ordered_zone("app", "db", memory="2G"),
        ordered_zone("batch", priority="low", memory="1G"),
        ordered_zone("web", memory="8G"),
    ]
    plan = plan_stop(policy, decide(policy, zones), {}, {})
    assert [(z.name, z.start, z.waits_for, z.rank, z.order) for z in plan.zones] == [
        ("batch", 0.0, (), 0, "boot-priority=low (zonecfg)"),
        ("web", 1.0, (), 1, ""),
        ("app", 9.0, (), 1, ""),
        ("db", 11.0, ("app",), 2, "app (zonecfg); boot-priority=high (zonecfg)"),
    ]
    row = plan_text(plan).splitlines()[7]
    assert row.startswith("4  db ")
    assert row.endswith("  app (zonecfg); boot-priority=high (zonecfg)  32G at assumed 1G/s")
    assert json.loads(plan_json(plan))["zones"][3]["order"] == (
        "app (zonecfg); boot-priority=high (zonecfg)"
    )


def test_the_policy_after_wins_over_zonecfg_and_says_so() -> None:
    policy = Policy(
        shutdown=ShutdownPolicy(assumed_rate=G, parallel=1),
        zones={"db": ZonePolicy(after=("app",)), "app": ZonePolicy(), "web": ZonePolicy()},
    )
    zones = [
        ordered_zone("db", priority="high"),
        ordered_zone("app", "db", memory="2G"),  # contradicts the policy: dropped
        ordered_zone("web", "app", memory="1G"),
    ]
    plan = plan_stop(policy, decide(policy, zones), {}, {})
    assert [(z.name, z.waits_for, z.rank, z.order) for z in plan.zones] == [
        ("db", (), 1, ""),
        ("web", (), 1, ""),
        ("app", ("db", "web"), 1, "db (policy); web (zonecfg)"),
    ]


def test_when_not_even_the_shutdowns_fit_the_latest_go_straight_to_their_halt() -> None:
    """40 zones, deadline 10 s, steps 5 s / 2 s / 1 s, and 1 s already spent reading
    the zones: two rounds of suspends fill the four slots up to the 9 s budget, every
    other zone would end after it even as a shutdown, so it halts, and halts take no
    slot.  The plan ends inside the budget with no zone left running."""
    policy = Policy(
        shutdown=ShutdownPolicy(deadline=10.0, parallel=4, assumed_rate=G),
        defaults=ZonePolicy(suspend_timeout=5.0, shutdown_timeout=2.0, halt_timeout=1.0),
    )
    zones = [kernel_zone(f"kz{n}", memory="4G") for n in range(1, 41)]
    plan = plan_stop(policy, decide(policy, zones), {}, {}, elapsed=1.0)
    first = {z.name: ">".join(s.value for s in z.steps) for z in plan.zones}
    suspended = sorted(name for name, steps in first.items() if steps.startswith("suspend"))
    assert suspended == ["kz1", "kz10", "kz11", "kz12", "kz13", "kz14", "kz15", "kz16"]
    assert sorted(set(first.values())) == ["halt", "suspend>shutdown>halt"]
    assert [(z.name, z.start) for z in plan.zones if z.name in suspended] == [
        ("kz1", 1.0),
        ("kz10", 1.0),
        ("kz11", 1.0),
        ("kz12", 1.0),
        ("kz13", 5.0),
        ("kz14", 5.0),
        ("kz15", 5.0),
        ("kz16", 5.0),
    ]
    halts = {z.name: z for z in plan.zones if z.steps == (Action.HALT,)}
    assert all(z.start == 1.0 and z.expected == 1.0 for z in halts.values())
    assert halts["kz40"].note == (
        "expected to end at 37s, after the 9s budget, and its shutdown would too: starting "
        "with halt, unless this stop's first suspends show it fits"
    )
    # Its suspend, taken on the assumed rate, waits to be judged on measured ones.
    assert halts["kz40"].chain_if_fits == ((SUSPEND, 5.0), (SHUTDOWN, 2.0), (HALT, 1.0))
    assert (plan.elapsed, plan.budget, plan.predicted_makespan, plan.fits) == (1.0, 9.0, 9.0, True)


def steps_and_notes(plan) -> list[tuple[str, str, float, str]]:  # type: ignore[no-untyped-def]
    return [(z.name, ">".join(s.value for s in z.steps), z.start, z.note) for z in plan.zones]


# The budget's fit's cases: suspends no timeout cuts short, a 20 s shutdown and a
# 10 s halt (the time kept for halts).
FIT_DEFAULTS = ZonePolicy(suspend_timeout=200.0, shutdown_timeout=20.0, halt_timeout=10.0)


def fit_plan(
    deadline: float,
    sizes: Sequence[tuple[str, str]],
    *,
    parallel: int = 1,
    defaults: ZonePolicy = FIT_DEFAULTS,
    zones: Mapping[str, ZonePolicy] | None = None,
    history: Mapping[str, Sequence[PastRun]] | None = None,
    elapsed: float = 0.0,
) -> StopPlan:
    """The plan of kernel zones NAME=SIZE at 1G/s under ``deadline``, ``parallel``
    at once."""
    policy = Policy(
        shutdown=ShutdownPolicy(deadline=deadline, parallel=parallel, assumed_rate=G),
        defaults=defaults,
        zones=dict(zones or {}),
    )
    kernel_zones = [kernel_zone(name, memory=size) for name, size in sizes]
    return plan_stop(policy, decide(policy, kernel_zones), history or {}, {}, elapsed=elapsed)


def one_slot_fit(deadline: float, *sizes: tuple[str, str]) -> list[tuple[str, str, float, str]]:
    return steps_and_notes(fit_plan(deadline, sizes))


def test_a_small_zone_after_the_budget_keeps_its_suspend_where_a_longer_one_makes_room() -> None:
    # One slot, a 1m50s budget: a (100 s) and b (8 s) fit; c (8 s) would end at
    # 1m56s.  Its shutdown (20 s) is no quicker than its suspend, so giving it up
    # would not bring c in: a's is given up instead, which frees 80 s.
    assert one_slot_fit(120.0, ("a", "100G"), ("b", "8G"), ("c", "8G")) == [
        (
            "a",
            "shutdown>halt",
            0.0,
            "expected suspend 1m40s would leave c to end at 1m56s, after the 1m50s budget: "
            "starting with shutdown, unless this stop's first suspends show it fits",
        ),
        ("b", "suspend>shutdown>halt", 20.0, ""),
        ("c", "suspend>shutdown>halt", 28.0, ""),
    ]


def test_the_suspend_given_up_to_make_room_is_the_one_freeing_least_that_is_enough() -> None:
    # c would end 8 s after the 2m30s budget: b's suspend (50 s, 30 s freed)
    # covers that as well as a's (100 s, 80 s freed), and a keeps its suspend.
    assert one_slot_fit(160.0, ("a", "100G"), ("b", "50G"), ("c", "8G")) == [
        ("a", "suspend>shutdown>halt", 0.0, ""),
        (
            "b",
            "shutdown>halt",
            100.0,
            "expected suspend 50s would leave c to end at 2m38s, after the 2m30s budget: "
            "starting with shutdown, unless this stop's first suspends show it fits",
        ),
        ("c", "suspend>shutdown>halt", 120.0, ""),
    ]
    # 40 s over: no one suspend frees enough, so the one freeing most goes; then c
    # fits.
    plan = one_slot_fit(128.0, ("a", "100G"), ("b", "50G"), ("c", "8G"))
    assert [(name, steps, start) for name, steps, start, _ in plan] == [
        ("b", "suspend>shutdown>halt", 0.0),
        ("a", "shutdown>halt", 50.0),
        ("c", "suspend>shutdown>halt", 70.0),
    ]


def sixteens_and_a_two(shutting_down: tuple[str, ...] = ()) -> StopPlan:
    """kz2, kz3 and kz4 (16G, 64 s at 256M/s) and kz1 (2G, 8 s), one at a time, a
    20 s shutdown, a 1m50s budget; ``shutting_down``: zones the policy shuts down."""
    defaults = ZonePolicy(suspend_timeout=80.0, shutdown_timeout=20.0, halt_timeout=10.0)
    policy = Policy(
        shutdown=ShutdownPolicy(deadline=120.0, parallel=1, assumed_rate=256 << 20),
        defaults=defaults,
        zones={
            name: dataclasses.replace(defaults, action=SHUTDOWN, fallback=(HALT,))
            for name in shutting_down
        },
    )
    zones = [kernel_zone("kz1", memory="2G")]
    zones += [kernel_zone(name, memory="16G") for name in ("kz2", "kz3", "kz4")]
    return plan_stop(policy, decide(policy, zones), {}, {})


def test_a_suspend_gives_way_past_its_shutdown_to_its_halt_where_only_that_makes_room() -> None:
    """kz1 would end 1m30s after the budget behind three 64 s suspends, and its own
    shutdown (20 s) is no quicker than its suspend.  No one shutdown (44 s freed)
    covers that: kz4, the latest of the three, halts (64 s freed).  kz1 would
    still end 26 s late, which kz3's shutdown covers.  kz2's and kz1's suspends are
    kept.  (Before, kz1's suspend was given up for its shutdown and kz4 halted all
    the same: one suspend of four.)"""
    plan = sixteens_and_a_two()
    assert steps_and_notes(plan) == [
        (
            "kz4",
            "halt",
            0.0,
            "expected to end at 3m12s, after the 1m50s budget, and its shutdown would too: "
            "starting with halt" + PROMOTABLE,
        ),
        ("kz2", "suspend>shutdown>halt", 0.0, ""),
        (
            "kz3",
            "shutdown>halt",
            64.0,
            "expected to end at 2m8s, after the 1m50s budget: starting with shutdown" + PROMOTABLE,
        ),
        ("kz1", "suspend>shutdown>halt", 84.0, ""),
    ]
    assert (plan.predicted_makespan, plan.fits) == (92.0, True)


def test_a_zone_whose_suspend_the_fit_gave_up_halts_to_make_room_for_another_suspend() -> None:
    """long's own suspends outlast its timeout: it shuts down (20 s), after a (30 s)
    and b (25 s); c (8 s) would end 3 s after the 1m20s budget.  long's state is
    lost either way, so it halts, and b keeps its suspend (b's shutdown would have
    covered the 3 s too, at the cost of b's state)."""
    plan = fit_plan(
        90.0,
        (("long", "64G"), ("a", "30G"), ("b", "25G"), ("c", "8G")),
        defaults=dataclasses.replace(FIT_DEFAULTS, suspend_timeout=60.0),
        history={"long": [PastRun(seconds=32.0, memory=32 * G)]},
    )
    assert steps_and_notes(plan) == [
        (
            "long",
            "halt",
            0.0,
            "expected suspend 1m4s exceeds its timeout 1m: starting with shutdown; expected "
            "shutdown 20s would leave c to end at 1m23s, after the 1m20s budget: starting with "
            "halt",
        ),
        ("a", "suspend>shutdown>halt", 0.0, ""),
        ("b", "suspend>shutdown>halt", 30.0, ""),
        ("c", "suspend>shutdown>halt", 55.0, ""),
    ]


def test_a_zone_the_policy_shuts_down_is_not_halted_to_make_room() -> None:
    # kz3 and kz4 shut down by policy: halting one would bring kz1 in with kz2, but
    # they shut down cleanly inside the budget, so kz2's suspend is given up.
    plan = sixteens_and_a_two(shutting_down=("kz3", "kz4"))
    assert steps_and_notes(plan) == [
        (
            "kz2",
            "shutdown>halt",
            0.0,
            "expected suspend 1m4s would leave kz1 to end at 1m52s, after the 1m50s budget: "
            "starting with shutdown" + PROMOTABLE,
        ),
        ("kz3", "shutdown>halt", 20.0, ""),
        ("kz4", "shutdown>halt", 40.0, ""),
        ("kz1", "suspend>shutdown>halt", 60.0, ""),
    ]


def test_no_suspend_is_given_up_for_a_zone_that_cannot_end_inside_the_budget_at_all() -> None:
    # "only" may only be suspended, after a (a runs after it), and its 2m suspend
    # alone outlasts the 1m50s budget: giving up a's suspend would not bring it in,
    # so a keeps it, and the plan says it does not fit.
    plan = fit_plan(
        120.0,
        (("a", "30G"), ("only", "120G")),
        zones={"only": ZonePolicy(fallback=()), "a": ZonePolicy(after=("only",))},
    )
    assert steps_and_notes(plan) == [
        ("a", "suspend>shutdown>halt", 0.0, ""),
        ("only", "suspend", 30.0, ""),
    ]
    assert (plan.predicted_makespan, plan.fits) == (150.0, False)


def test_a_zone_that_cannot_end_inside_the_budget_even_begun_at_once_gives_up_its_own_step() -> (
    None
):
    # a's 56 s suspend outlasts the 50 s budget however it is scheduled: its own
    # suspend goes, and b (8 s), which would end after it only behind a, keeps its.
    assert one_slot_fit(60.0, ("a", "56G"), ("b", "8G")) == [
        (
            "a",
            "shutdown>halt",
            0.0,
            "expected to end at 56s, after the 50s budget: starting with shutdown, unless "
            "this stop's first suspends show it fits",
        ),
        ("b", "suspend>shutdown>halt", 20.0, ""),
    ]
    # A zone to shut down, 35 s into the stop: its 20 s shutdown cannot end in the
    # 50 s budget at all, so it halts.
    shutting_down = dataclasses.replace(FIT_DEFAULTS, action=SHUTDOWN, fallback=(HALT,))
    late = fit_plan(60.0, (("c", "8G"),), defaults=shutting_down, elapsed=35.0)
    assert steps_and_notes(late) == [
        (
            "c",
            "halt",
            35.0,
            "expected to end at 55s, after the 50s budget even as a shutdown: starting with halt",
        )
    ]


def test_a_larger_suspend_halts_to_make_room_for_two_smaller_ones() -> None:
    """Two slots, a 20 s budget: p and q (18 s), g (10 s, which falls back to a halt)
    and t (8 s).  g would end 8 s after the budget: 16 slot-seconds over the two
    slots.  No shutdown (20 s) frees any, g's own halt frees 10: p halts, which
    frees 18, and q, g and t keep their suspends.  (Before, g halted, then t: two
    suspends of four.)"""
    plan = fit_plan(
        30.0,
        (("p", "18G"), ("q", "18G"), ("t", "8G"), ("g", "10G")),
        parallel=2,
        zones={"g": dataclasses.replace(FIT_DEFAULTS, fallback=(HALT,))},
    )
    assert steps_and_notes(plan) == [
        (
            "p",
            "halt",
            0.0,
            "expected suspend 18s would leave g to end at 28s, after the 20s budget, and its "
            "shutdown would too: starting with halt, unless this stop's first suspends show it "
            "fits",
        ),
        ("q", "suspend>shutdown>halt", 0.0, ""),
        ("g", "suspend>halt", 0.0, ""),
        ("t", "suspend>shutdown>halt", 10.0, ""),
    ]
    assert (plan.predicted_makespan, plan.fits) == (18.0, True)


def test_a_zone_sent_to_its_halt_shuts_down_instead_only_where_the_schedule_still_fits() -> None:
    # x (3 s, a 4 s shutdown) would end 1 s after the 20 s budget, behind a and b
    # (18 s, 30 s shutdowns): its halt is the least that makes room.  Shut down
    # instead, it would end at 22 s: it stays halted.  (In
    # test_the_time_already_spent_counts_against_the_budget, the halts chosen
    # first are shutdowns again once the schedule fits.)
    plan = fit_plan(
        30.0,
        (("a", "18G"), ("b", "18G"), ("x", "3G")),
        parallel=2,
        defaults=dataclasses.replace(FIT_DEFAULTS, shutdown_timeout=30.0),
        zones={"x": dataclasses.replace(FIT_DEFAULTS, shutdown_timeout=4.0)},
    )
    assert steps_and_notes(plan) == [
        (
            "x",
            "halt",
            0.0,
            "expected to end at 21s, after the 20s budget, and its shutdown would too: starting "
            "with halt, unless this stop's first suspends show it fits",
        ),
        ("a", "suspend>shutdown>halt", 0.0, ""),
        ("b", "suspend>shutdown>halt", 0.0, ""),
    ]


def test_suspends_with_no_fallback_that_cannot_all_end_in_the_budget_are_planned_as_they_are() -> (
    None
):
    # x and y may only be suspended: y, behind x, would end after the 1m30s budget
    # (no halt to keep time for), and nothing begun before it has a step to give
    # up.  The plan says it does not fit.
    no_fallback = dataclasses.replace(FIT_DEFAULTS, fallback=())
    plan = fit_plan(90.0, (("x", "50G"), ("y", "45G")), defaults=no_fallback)
    assert steps_and_notes(plan) == [("x", "suspend", 0.0, ""), ("y", "suspend", 50.0, "")]
    assert (plan.budget, plan.predicted_makespan, plan.fits) == (90.0, 95.0, False)


def test_a_chain_with_no_halt_gives_its_suspend_up_only_for_its_shutdown() -> None:
    # suspend > shutdown, no halt: b (8 s) would end 3 s after the 45 s budget; a's
    # shutdown (20 s, 20 s freed) makes room, and there is no halt to go to.
    no_halt = dataclasses.replace(FIT_DEFAULTS, fallback=(SHUTDOWN,))
    plan = fit_plan(45.0, (("a", "40G"), ("b", "8G")), defaults=no_halt)
    assert steps_and_notes(plan) == [
        (
            "a",
            "shutdown",
            0.0,
            "expected suspend 40s would leave b to end at 48s, after the 45s budget: starting "
            "with shutdown, unless this stop's first suspends show it fits",
        ),
        ("b", "suspend>shutdown", 20.0, ""),
    ]


def test_the_time_already_spent_counts_against_the_budget() -> None:
    """The same four suspends fit when the plan starts at 0 s, and not when reading
    the zones took 3 s: the last one is demoted."""
    policy = Policy(
        shutdown=ShutdownPolicy(deadline=12.0, parallel=2, assumed_rate=G),
        defaults=ZonePolicy(suspend_timeout=8.0, shutdown_timeout=2.0, halt_timeout=1.0),
    )
    zones = [kernel_zone(f"kz{n}", memory="5G") for n in range(1, 5)]
    at_once = plan_stop(policy, decide(policy, zones), {}, {})
    assert [z.steps[0] for z in at_once.zones] == [Action.SUSPEND] * 4
    later = plan_stop(policy, decide(policy, zones), {}, {}, elapsed=3.0)
    assert [(z.name, z.steps[0].value, z.start, z.note) for z in later.zones] == [
        ("kz1", "suspend", 3.0, ""),
        ("kz2", "suspend", 3.0, ""),
        (
            "kz3",
            "shutdown",
            8.0,
            "expected to end at 13s, after the 11s budget: starting with shutdown, unless this "
            "stop's first suspends show it fits",
        ),
        (
            "kz4",
            "shutdown",
            8.0,
            "expected to end at 13s, after the 11s budget: starting with shutdown, unless this "
            "stop's first suspends show it fits",
        ),
    ]
    assert (later.predicted_makespan, later.fits) == (10.0, True)


CHAINS = {
    "suspend>shutdown>halt": (SHUTDOWN, HALT),
    "suspend>halt": (HALT,),
    "shutdown>halt": (HALT,),
}


@settings(max_examples=200, deadline=None)
@given(
    zones=st.lists(
        st.tuples(
            st.sampled_from(["1G", "2G", "4G", "8G", "16G", "32G", "64G", None]),
            st.sampled_from(sorted(CHAINS)),
            st.sampled_from([5.0, 20.0, 40.0]),
        ),
        min_size=1,
        max_size=10,
    ),
    parallel=st.integers(1, 4),
    deadline=st.floats(20.0, 600.0),
    elapsed=st.floats(0.0, 5.0),
)
def test_a_stop_whose_zones_may_all_halt_is_planned_to_fit_with_their_own_chains(
    zones: list[tuple[str | None, str, float]], parallel: int, deadline: float, elapsed: float
) -> None:
    # Halts take no slot and 5 s each: whatever the deadline beyond the 10 s kept for
    # them and the time spent, the plan fits, and each zone walks what is left of
    # the chain its policy gives it.
    policies = {
        f"kz{index}": ZonePolicy(
            action=SUSPEND if chain.startswith("suspend") else SHUTDOWN,
            fallback=CHAINS[chain],
            suspend_timeout=200.0,
            shutdown_timeout=shutdown,
            halt_timeout=10.0,
        )
        for index, (_, chain, shutdown) in enumerate(zones)
    }
    policy = Policy(
        shutdown=ShutdownPolicy(deadline=deadline, parallel=parallel, assumed_rate=G),
        zones=policies,
    )
    hosts = [kernel_zone(f"kz{index}", memory=size) for index, (size, _, _) in enumerate(zones)]
    plan = plan_stop(policy, decide(policy, hosts), {}, {}, elapsed=elapsed)
    assert plan.fits
    for zone in plan.zones:
        chain = policies[zone.name].steps
        assert zone.steps == chain[len(chain) - len(zone.steps) :]

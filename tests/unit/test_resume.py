"""plan_start: what the start method does at boot, decided from the journal and the
live zones.  Pure: no host, no files."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from kzguard.model import CONFIGURED, INSTALLED, READY, RUNNING, Zone
from kzguard.policy.model import Policy, ResumePolicy, ZonePolicy
from kzguard.start.plan import Item, Kind, Left, StartPlan, fingerprint, plan_start
from tests.unit.zones import kernel_zone, native_zone, suspended_zone

G = 1 << 30
BOOT = 1_700_000_000  # this boot of the global zone
EARLIER = BOOT - 3600  # the boot the stop ran in
ZONE_BOOT = 1_690_000_000  # a zone's own boot time, recorded before its suspend

ItemRow = tuple[str, str, str, "int | None", "int | None", tuple[str, ...]]
LeftRow = tuple[str, str, bool]


def items(plan: StartPlan) -> list[ItemRow]:
    return [
        (item.zone, item.kind.value, item.reason, item.boot_time, item.memory, item.after)
        for item in plan.items
    ]


def left(plan: StartPlan) -> list[LeftRow]:
    return [(entry.zone, entry.reason, entry.lost) for entry in plan.left]


def with_uuid(zone: Zone, uuid: str) -> Zone:
    return dataclasses.replace(zone, listing=dataclasses.replace(zone.listing, uuid=uuid))


def record(
    state: str = "suspended",
    *,
    boot_time: object = ZONE_BOOT,
    memory: object = 4 * G,
    print_of: Zone | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One zone of a stop cycle as kzguard.stop.path and kzguard.stop.run write it."""
    entry: dict[str, Any] = {"state": state, "boot_time": boot_time, "memory": memory, **extra}
    entry["fingerprint"] = fingerprint(print_of or kernel_zone("x"))
    return entry


def stop_cycle(zones: object, *, host_boot_time: object = EARLIER, **fields: Any) -> dict[str, Any]:
    return {
        "format": 1,
        "cycle": {"kind": "stop", "host_boot_time": host_boot_time, "zones": zones, **fields},
    }


def plan(
    journal: dict[str, Any],
    zones: list[Zone],
    policy: Policy | None = None,
    *,
    host_boot_time: int | None = BOOT,
) -> StartPlan:
    return plan_start(policy or Policy(), journal, zones, host_boot_time=host_boot_time)


# -- after a stop ---------------------------------------------------------------


def test_zones_suspended_by_the_last_stop_are_resumed_with_their_recorded_boot_time() -> None:
    result = plan(
        stop_cycle({"kz1": record(), "kz2": record("suspending", boot_time=None)}),
        [suspended_zone("kz1"), suspended_zone("kz2"), kernel_zone("kz3")],
    )
    assert items(result) == [
        ("kz1", "resume", "suspended at shutdown", ZONE_BOOT, 4 * G, ()),
        ("kz2", "resume", "suspend completed", None, 4 * G, ()),
    ]
    assert (result.left, result.bypassed, result.note) == ((), False, "")


def test_a_zone_already_running_is_verified_not_booted() -> None:
    result = plan(stop_cycle({"kz1": record()}), [kernel_zone("kz1", autoboot=True)])
    assert items(result) == [
        (
            "kz1",
            "verify",
            "already running (resumed by the zones service or booted by hand)",
            ZONE_BOOT,
            4 * G,
            (),
        )
    ]


@pytest.mark.parametrize("state", ["planned", "suspending", "shutting-down", "halting"])
def test_a_stop_that_did_not_finish_means_the_zone_lost_its_state(state: str) -> None:
    result = plan(stop_cycle({"kz1": record(state)}), [kernel_zone("kz1", state=INSTALLED)])
    assert items(result) == [
        (
            "kz1",
            "cold-boot",
            "running state lost: the stop did not finish (power loss or crash)",
            None,
            4 * G,
            (),
        )
    ]


def test_a_suspended_zone_halted_by_the_operator_is_left_alone() -> None:
    result = plan(stop_cycle({"kz1": record()}), [kernel_zone("kz1", state=INSTALLED)])
    assert result.items == ()
    assert left(result) == [
        (
            "kz1",
            "halted, or booted and halted, since its suspend: the operator's action wins",
            True,
        )
    ]


@pytest.mark.parametrize("state", ["suspended", "suspending"])
def test_a_detached_or_uninstalled_zone_is_left_alone(state: str) -> None:
    result = plan(stop_cycle({"kz1": record(state)}), [kernel_zone("kz1", state=CONFIGURED)])
    assert left(result) == [
        ("kz1", "is configured (detached or uninstalled since?); left alone", True)
    ]


@pytest.mark.parametrize("state", ["suspended", "suspending"])
def test_a_zone_already_booting_is_waited_for_and_verified(state: str) -> None:
    result = plan(stop_cycle({"kz1": record(state)}), [kernel_zone("kz1", state=READY)])
    assert items(result) == [
        ("kz1", "verify", "booting (a boot is already under way)", ZONE_BOOT, 4 * G, ())
    ]


def test_a_zone_deleted_or_renamed_since_is_left_alone() -> None:
    result = plan(stop_cycle({"kz1": record()}), [suspended_zone("kz1-new")])
    assert left(result) == [
        ("kz1", "no longer configured (deleted or renamed since the shutdown)", True)
    ]


def test_a_reconfigured_zone_is_left_alone_and_lost_only_if_its_image_is_gone() -> None:
    journal = stop_cycle(
        {
            "mem": record(),
            "brand": record(),
            "uuid": record(print_of=with_uuid(kernel_zone("x"), "1111")),
            "lost": record("shut-down", print_of=kernel_zone("x", memory="2G")),
        }
    )
    zones = [
        suspended_zone("mem", memory="8G"),
        suspended_zone("brand", brand="solaris"),
        with_uuid(kernel_zone("uuid", state=INSTALLED), "2222"),
        kernel_zone("lost", state=INSTALLED),
    ]
    assert left(plan(journal, zones)) == [
        ("brand", "brand changed from solaris-kz to solaris since the shutdown; left alone", False),
        (
            "lost",
            "capped-memory physical changed (reconfigured) since the shutdown; left alone",
            True,
        ),
        (
            "mem",
            "capped-memory physical changed (reconfigured) since the shutdown; left alone",
            False,
        ),
        (
            "uuid",
            "a different zone has this name (uuid changed: recreated or renamed) since the "
            "shutdown; left alone",
            True,
        ),
    ]


def test_a_fingerprint_is_only_compared_on_what_it_recorded() -> None:
    journal = stop_cycle(
        {
            "none": {"state": "suspended", "fingerprint": "garbage"},
            "empty": {"state": "suspended", "fingerprint": {}},
            "no-uuid": {"state": "suspended", "fingerprint": {"uuid": "", "memory": 4 * G}},
        }
    )
    zones = [
        with_uuid(suspended_zone("none"), "a"),
        with_uuid(suspended_zone("empty"), "b"),
        with_uuid(suspended_zone("no-uuid"), "c"),
    ]
    assert [(z, kind) for z, kind, *_ in items(plan(journal, zones))] == [
        ("empty", "resume"),
        ("no-uuid", "resume"),
        ("none", "resume"),
    ]


def test_a_memory_size_zonecfg_could_not_tell_proves_no_change() -> None:
    # The stop path goes on without a configuration it cannot read (memory None in
    # the fingerprint), and so does the start path (a zone without config).
    unknown_then = {"uuid": "", "brand": "solaris-kz", "memory": None}
    journal = stop_cycle(
        {
            "then": {"state": "suspended", "fingerprint": unknown_then},
            "now": {"state": "suspended", "fingerprint": {**unknown_then, "memory": 4 * G}},
        }
    )
    zones = [
        suspended_zone("then", memory="8G"),
        dataclasses.replace(suspended_zone("now"), config=None),
    ]
    assert [(z, kind) for z, kind, *_ in items(plan(journal, zones))] == [
        ("now", "resume"),
        ("then", "resume"),
    ]


def test_resume_false_keeps_a_suspended_zone_suspended() -> None:
    policy = Policy(zones={"kz1": ZonePolicy(resume=False)})
    result = plan(stop_cycle({"kz1": record()}), [suspended_zone("kz1")], policy)
    assert left(result) == [("kz1", "suspended; resume = false, so it stays suspended", False)]


@pytest.mark.parametrize("state", ["shut-down", "halted", "lost", "failed"])
def test_zones_whose_state_was_lost_at_shutdown_are_booted_cold(state: str) -> None:
    journal = stop_cycle(
        {
            "why": record(state, reason="suspend timed out after 10m"),
            "plain": record(state, reason=""),
        }
    )
    zones = [kernel_zone("why", state=INSTALLED), kernel_zone("plain", state=INSTALLED)]
    assert items(plan(journal, zones)) == [
        ("plain", "cold-boot", f"running state lost: {state} at shutdown", None, 4 * G, ()),
        (
            "why",
            "cold-boot",
            f"running state lost: {state} at shutdown: suspend timed out after 10m",
            None,
            4 * G,
            (),
        ),
    ]


def test_zones_shut_down_or_halted_as_their_policy_asks_are_booted_not_lost() -> None:
    journal = stop_cycle(
        {
            "web": record("shut-down", action="shutdown"),
            "tmp": record("halted", action="halt"),
            "fell": record("halted", action="shutdown", reason="shutdown timed out after 3m"),
            "stay": record("shut-down", action="shutdown"),
        }
    )
    zones = [kernel_zone(name, state=INSTALLED) for name in ("web", "tmp", "fell", "stay")]
    policy = Policy(zones={"stay": ZonePolicy(resume=False)})
    result = plan(journal, zones, policy)
    assert items(result) == [
        (
            "fell",
            "cold-boot",
            "running state lost: halted at shutdown: shutdown timed out after 3m",
            None,
            4 * G,
            (),
        ),
        ("tmp", "boot", "halted at shutdown as its policy asks", None, 4 * G, ()),
        ("web", "boot", "shut-down at shutdown as its policy asks", None, 4 * G, ()),
    ]
    assert left(result) == [
        ("stay", "shut-down at shutdown as its policy asks; resume = false", False)
    ]


def test_lost_zones_stay_down_when_the_policy_says_so() -> None:
    journal = stop_cycle({"kz1": record("halted"), "kz2": record("planned")})
    zones = [kernel_zone("kz1", state=INSTALLED), kernel_zone("kz2", state=INSTALLED)]
    no_boot = Policy(resume=ResumePolicy(boot_lost=False))
    assert left(plan(journal, zones, no_boot)) == [
        (
            "kz1",
            "running state lost (halted at shutdown); resume.boot_lost = false",
            True,
        ),
        (
            "kz2",
            "running state lost (the stop did not finish (power loss or crash)); "
            "resume.boot_lost = false",
            True,
        ),
    ]
    not_this_one = Policy(zones={"kz1": ZonePolicy(resume=False)})
    result = plan(journal, zones, not_this_one)
    assert left(result) == [
        ("kz1", "running state lost (halted at shutdown); resume = false", True)
    ]
    assert [item.zone for item in result.items] == ["kz2"]


def test_a_lost_zone_that_runs_or_is_elsewhere_now_is_left_alone() -> None:
    journal = stop_cycle(
        {"up": record("shut-down"), "susp": record("halted"), "gone": record("lost")}
    )
    zones = [
        kernel_zone("up", autoboot=True),
        suspended_zone("susp"),
        kernel_zone("gone", state=CONFIGURED),
    ]
    assert left(plan(journal, zones)) == [
        ("gone", "is configured; left alone", True),
        ("susp", "is suspended; left alone", True),
        ("up", "already running (booted since the shutdown)", True),
    ]


def test_journal_garbage_is_tolerated() -> None:
    journal = stop_cycle(
        {
            "kz1": "not a record",
            "kz2": {"state": "weird"},
            "kz3": {"state": ["suspended"]},
            "kz4": {"state": "suspended", "boot_time": "yesterday", "memory": True},
            "kz5": {},
        }
    )
    zones = [suspended_zone(name) for name in ("kz1", "kz2", "kz3", "kz4", "kz5")]
    result = plan(journal, zones)
    assert items(result) == [("kz4", "resume", "suspended at shutdown", None, None, ())]
    assert left(result) == [
        ("kz2", "journal state 'weird' not understood; left alone", False),
        ("kz3", "journal state ['suspended'] not understood; left alone", False),
        ("kz5", "journal state None not understood; left alone", False),
    ]


@pytest.mark.parametrize("zones", [None, ["kz1"], "kz1", 7])
def test_a_cycle_without_a_zone_table_resumes_nothing(zones: object) -> None:
    assert plan(stop_cycle(zones), [suspended_zone("kz1")]) == StartPlan(items=(), left=())


@pytest.mark.parametrize(
    "journal",
    [
        {},
        {"format": 1},
        {"cycle": "garbage", "armed": "garbage"},
        {"cycle": {"kind": "something else", "zones": {"kz1": record()}}},
        {"cycle": {"kind": "stop", "resumed_at": 12.5, "zones": {"kz1": record()}}},
    ],
)
def test_no_pending_stop_and_no_bypass_means_nothing_to_do(journal: dict[str, Any]) -> None:
    assert plan(journal, [suspended_zone("kz1")]) == StartPlan(items=(), left=())


def test_a_stop_run_in_this_very_boot_is_not_resumed() -> None:
    journal = stop_cycle({"kz1": record()}, host_boot_time=BOOT)
    assert plan(journal, [suspended_zone("kz1")]) == StartPlan(
        items=(),
        left=(),
        note="the last stop ran during this boot; nothing is resumed "
        "(boot the zones with zoneadm when the maintenance is over)",
    )


@pytest.mark.parametrize(("recorded", "now"), [(None, BOOT), (EARLIER, None), (None, None)])
def test_an_unknown_boot_time_counts_as_a_new_boot(recorded: int | None, now: int | None) -> None:
    journal = stop_cycle({"kz1": record()}, host_boot_time=recorded)
    result = plan(journal, [suspended_zone("kz1")], host_boot_time=now)
    assert [item.zone for item in result.items] == ["kz1"]


# -- ordering ---------------------------------------------------------------------


def test_zones_others_wait_on_come_first_then_the_smallest_then_by_name() -> None:
    policy = Policy(
        zones={
            "app": ZonePolicy(after=("db", "gone")),
            "web": ZonePolicy(after=("app", "cache")),
            "db": ZonePolicy(),
            "cache": ZonePolicy(),
        }
    )
    journal = stop_cycle(
        {
            "web": record(memory=1 * G),
            "app": record(memory=2 * G),
            "db": record(memory=32 * G),
            "big": record(memory=16 * G),
            "b-small": record(memory=2 * G),
            "a-small": record(memory=2 * G),
            "nomem": record(memory=None),
            "cache": record(memory=8 * G, state="halted"),
        }
    )
    zones = [suspended_zone(name) for name in ("web", "app", "db", "big", "b-small", "a-small")]
    zones += [suspended_zone("nomem"), kernel_zone("cache", state=INSTALLED)]
    assert [
        (z, kind, after) for z, kind, _, _, _, after in items(plan(journal, zones, policy))
    ] == [
        ("app", "resume", ("db",)),
        ("cache", "cold-boot", ()),
        ("db", "resume", ()),
        ("nomem", "resume", ()),
        ("web", "resume", ("app", "cache")),
        ("a-small", "resume", ()),
        ("b-small", "resume", ()),
        ("big", "resume", ()),
    ]


def test_dependencies_on_zones_that_are_not_brought_up_impose_nothing() -> None:
    policy = Policy(zones={"app": ZonePolicy(after=("db",)), "db": ZonePolicy()})
    journal = stop_cycle({"app": record(), "db": record()})
    result = plan(journal, [suspended_zone("app"), kernel_zone("db", state=INSTALLED)], policy)
    assert items(result) == [("app", "resume", "suspended at shutdown", ZONE_BOOT, 4 * G, ())]
    assert [entry.zone for entry in result.left] == ["db"]


# -- a shutdown without the stop method --------------------------------------------


def armed(running: object, *, host_boot_time: object = EARLIER, **fields: Any) -> dict[str, Any]:
    return {"host_boot_time": host_boot_time, "time": 1.0, "running": running, **fields}


def test_a_bypassed_stop_cold_boots_what_was_running_and_says_so() -> None:
    journal = {
        "cycle": {"kind": "stop", "resumed_at": 1.0, "zones": {"kz1": record()}},
        "armed": armed(["kz1", "kz2", "kz3", "kz4", "kz5", "kz6", 7, "kz1"]),
    }
    zones = [
        kernel_zone("kz1", state=INSTALLED, memory="8G"),
        kernel_zone("kz2", state=INSTALLED, memory="2G"),
        kernel_zone("kz3", autoboot=True),
        suspended_zone("kz4"),
        kernel_zone("kz5", state=CONFIGURED),
        native_zone("ngz1", state=INSTALLED),
    ]
    result = plan(journal, zones)
    assert result.bypassed
    assert result.note == (
        "the host went down without kzguard's stop method (reboot, halt, uadmin, panic "
        "or power loss); use init 6 or shutdown -i6, or run kzguard stop before reboot"
    )
    lost = "running state lost: the host went down without kzguard"
    assert items(result) == [
        ("kz2", "cold-boot", lost, None, 2 * G, ()),
        ("kz1", "cold-boot", lost, None, 8 * G, ()),
    ]
    assert left(result) == [
        ("kz3", "already running (autoboot or booted by hand)", True),
        ("kz4", "suspended by someone else; left alone", False),
        ("kz5", "is configured; left alone", True),
        ("kz6", "no longer configured", True),
    ]


def test_a_bypassed_stop_respects_boot_lost_and_resume_and_orders_by_after() -> None:
    journal = {"armed": armed(["kz1", "kz2", "kz3"])}
    zones = [kernel_zone(name, state=INSTALLED) for name in ("kz1", "kz2", "kz3")]
    policy = Policy(
        zones={
            "kz1": ZonePolicy(after=("kz3",)),
            "kz2": ZonePolicy(resume=False),
            "kz3": ZonePolicy(),
        }
    )
    result = plan(journal, zones, policy)
    assert [(item.zone, item.after) for item in result.items] == [("kz3", ()), ("kz1", ("kz3",))]
    assert left(result) == [
        (
            "kz2",
            "running state lost (the host went down without kzguard); resume = false",
            True,
        )
    ]
    result = plan(journal, zones, Policy(resume=ResumePolicy(boot_lost=False)))
    assert (result.bypassed, result.items) == (True, ())
    assert [entry.lost for entry in result.left] == [True, True, True]


@pytest.mark.parametrize(
    ("journal", "now"),
    [
        ({"armed": armed(["kz1"], host_boot_time=BOOT)}, BOOT),  # same boot: a restart
        ({"armed": armed(["kz1"])}, None),  # this boot's time unknown
        ({"armed": armed(["kz1"], host_boot_time=None)}, BOOT),  # the armed boot's unknown
        (
            {"armed": armed(["kz1"], disarmed={"time": 1.0, "runlevel": "3"})},
            BOOT,
        ),  # stood down by svcadm disable
    ],
)
def test_no_bypass_is_claimed_without_proof(journal: dict[str, Any], now: int | None) -> None:
    zones = [kernel_zone("kz1", state=INSTALLED)]
    assert plan(journal, zones, host_boot_time=now) == StartPlan(items=(), left=())


@pytest.mark.parametrize("running", [None, "kz1", 5, {"kz1": True}])
def test_an_armed_record_without_a_running_list_loses_nothing(running: object) -> None:
    result = plan({"armed": armed(running)}, [kernel_zone("kz1", state=INSTALLED)])
    assert (result.bypassed, result.items, result.left) == (True, (), ())


def test_a_pending_stop_wins_over_the_armed_record() -> None:
    # Stop ran in the armed boot, then the host went down: that is no bypass.
    journal = {**stop_cycle({"kz1": record()}), "armed": armed(["kz1", "kz2"])}
    zones = [suspended_zone("kz1"), kernel_zone("kz2", state=INSTALLED)]
    result = plan(journal, zones)
    assert not result.bypassed
    assert [item.zone for item in result.items] == ["kz1"]


def test_the_values_are_what_the_executor_reads() -> None:
    item = Item("kz1", Kind.RESUME, "why", 1, 2)
    assert item.after == ()
    assert Left("kz1", "why").lost is False
    zone = with_uuid(kernel_zone("kz1", memory=None), "u")
    assert fingerprint(zone) == {"uuid": "u", "brand": "solaris-kz", "memory": None}
    assert fingerprint(native_zone("n")) == {"uuid": "", "brand": "solaris", "memory": None}
    assert [kind.value for kind in Kind] == ["resume", "verify", "cold-boot", "boot"]
    assert RUNNING == "running"

"""plan_start: what the start method does at boot, decided from the journal and the
live zones.  Pure: no host, no files."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from kzguard.journal.document import Disarmed, JournalDocument, StopCycle
from kzguard.journal.records import Fingerprint, Transition, ZoneState
from kzguard.model import (
    CONFIGURED,
    INSTALLED,
    READY,
    RUNNING,
    SmfDependency,
    Zone,
    hands_off,
)
from kzguard.policy.model import Action, Policy, ResumePolicy, ZonePolicy
from kzguard.start.plan import (
    Item,
    Kind,
    Left,
    StartPlan,
    plan_start,
    recorded_configs,
    with_recorded,
)
from tests.unit.journals import BOOT, EARLIER, ZONE_BOOT, G, armed, stop_cycle
from tests.unit.journals import zone_record as record
from tests.unit.zones import kernel_zone, native_zone, suspended_zone

ItemRow = tuple[str, str, str, "int | None", "int | None", tuple[str, ...]]
LeftRow = tuple[str, str, bool]


def items(plan: StartPlan) -> list[ItemRow]:
    return [
        (item.name, item.kind.value, item.reason, item.boot_time, item.memory, item.after)
        for item in plan.items
    ]


def left(plan: StartPlan) -> list[LeftRow]:
    return [(entry.name, entry.reason, entry.lost) for entry in plan.left]


def with_uuid(zone: Zone, uuid: str) -> Zone:
    return dataclasses.replace(zone, listing=dataclasses.replace(zone.listing, uuid=uuid))


# The raw form, for the tests that feed journals a crash, a hand edit or another
# version may leave: read as the start method reads journal.json.
def raw_cycle(zones: object, **fields: Any) -> JournalDocument:
    cycle = {"kind": "stop", "host_boot_time": EARLIER, "zones": zones, **fields}
    return JournalDocument.from_json({"format": 1, "cycle": cycle})


def plan(
    journal: JournalDocument,
    zones: list[Zone],
    policy: Policy | None = None,
    *,
    host_boot_time: int | None = BOOT,
) -> StartPlan:
    return plan_start(policy or Policy(), journal, zones, host_boot_time=host_boot_time)


# -- after a stop ---------------------------------------------------------------


def test_zones_suspended_by_the_last_stop_are_resumed_with_their_recorded_boot_time() -> None:
    result = plan(
        stop_cycle({"kz1": record(), "kz2": record(ZoneState.SUSPENDING, boot_time=None)}),
        [suspended_zone("kz1"), suspended_zone("kz2"), kernel_zone("kz3")],
    )
    assert items(result) == [
        ("kz1", "resume", "suspended at shutdown", ZONE_BOOT, 4 * G, ()),
        ("kz2", "resume", "suspend completed", None, 4 * G, ()),
    ]
    assert (result.left, result.bypassed, result.note) == ((), False, "")
    assert result.boots


def test_a_zone_already_running_is_verified_not_booted() -> None:
    result = plan(stop_cycle({"kz1": record()}), [kernel_zone("kz1", autoboot=True)])
    assert not result.boots  # a check takes no slot: no pace to journal
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


UNFINISHED = [ZoneState.PLANNED, ZoneState.SUSPENDING, ZoneState.SHUTTING_DOWN, ZoneState.HALTING]


# A zone whose stop began no suspend lost its state, whether or not zoneadm list -s
# answered for it (unknown, a zone its stop was suspending is booted as a resume).
@pytest.mark.parametrize(
    ("state", "aux_known"),
    [(state, True) for state in UNFINISHED]
    + [(state, False) for state in UNFINISHED if state is not ZoneState.SUSPENDING],
)
def test_a_stop_that_did_not_finish_means_the_zone_lost_its_state(
    state: ZoneState, aux_known: bool
) -> None:
    zone = dataclasses.replace(kernel_zone("kz1", state=INSTALLED), aux_known=aux_known)
    result = plan(stop_cycle({"kz1": record(state)}), [zone])
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


def test_after_a_stop_by_hand_in_an_earlier_boot_a_bypass_costs_the_zones_booted_since() -> None:
    # `kzguard stop` for maintenance in the boot before; kz1 booted again by hand as
    # kzguard(8) says, kz2 not; then `reboot` (no stop method): kz1 went down with
    # the host, kz2 is still suspended.
    journal = dataclasses.replace(
        stop_cycle({"kz1": record(), "kz2": record()}, trigger="manual"),
        armed=armed(("kz1", "kz2")),
    )
    result = plan(journal, [kernel_zone("kz1", state=INSTALLED), suspended_zone("kz2")])
    assert items(result) == [
        (
            "kz1",
            "cold-boot",
            "running state lost: booted by hand after the stop, down since with the host",
            None,
            4 * G,
            (),
        ),
        ("kz2", "resume", "suspended at shutdown", ZONE_BOOT, 4 * G, ()),
    ]
    assert result.note == (
        "the last stop was run by hand in an earlier boot, and the host went down since "
        "without kzguard's stop method (reboot, halt, a panic or a power loss)"
    )
    assert not result.bypassed
    # Disarmed since (svcadm disable): no bypass, the operator's action wins.
    disarmed = dataclasses.replace(
        journal, armed=armed(("kz1", "kz2"), disarmed=Disarmed(time=1.0, runlevel="3"))
    )
    kept = plan(disarmed, [kernel_zone("kz1", state=INSTALLED), suspended_zone("kz2")])
    assert [entry.name for entry in kept.left] == ["kz1"]
    assert kept.note == ""


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


def unknown_aux(zone: Zone) -> Zone:
    """``zone`` as the survey gives it when zoneadm list -s did not answer for it."""
    return dataclasses.replace(zone, aux_states=(), aux_known=False)


def test_an_installed_zone_whose_suspended_state_is_unknown_is_booted_as_a_resume() -> None:
    result = plan(
        stop_cycle({"kz1": record(), "kz2": record(ZoneState.SUSPENDING, boot_time=None)}),
        [
            unknown_aux(kernel_zone("kz1", state=INSTALLED)),
            unknown_aux(kernel_zone("kz2", state=INSTALLED)),
        ],
    )
    assert items(result) == [
        (
            "kz1",
            "resume",
            "suspended at shutdown; zoneadm list -s did not say whether it still is",
            ZONE_BOOT,
            4 * G,
            (),
        ),
        (
            "kz2",
            "resume",
            "its suspend was under way when the stop ended; zoneadm list -s did not say "
            "whether it completed",
            None,
            4 * G,
            (),
        ),
    ]
    assert [item.image_path for item in result.items] == [
        "/system/zones/kz1/suspend",
        "/system/zones/kz2/suspend",
    ]
    assert result.left == ()


def test_an_unknown_suspended_state_with_resume_false_stays_down() -> None:
    policy = Policy(zones={"kz1": ZonePolicy(resume=False)})
    result = plan(
        stop_cycle({"kz1": record()}), [unknown_aux(kernel_zone("kz1", state=INSTALLED))], policy
    )
    assert result.items == ()
    assert left(result) == [
        (
            "kz1",
            "suspended at shutdown; zoneadm list -s did not say whether it still is; "
            "resume = false, so it stays down",
            False,
        )
    ]


@pytest.mark.parametrize("state", [ZoneState.SUSPENDED, ZoneState.SUSPENDING])
def test_a_detached_or_uninstalled_zone_is_left_alone(state: ZoneState) -> None:
    result = plan(stop_cycle({"kz1": record(state)}), [kernel_zone("kz1", state=CONFIGURED)])
    assert left(result) == [
        ("kz1", "is configured (detached or uninstalled since?); left alone", True)
    ]


@pytest.mark.parametrize(
    ("state", "aux"),
    [
        (ZoneState.SUSPENDED, ("suspended", "migrating-out")),
        (ZoneState.SHUT_DOWN, ("debugging",)),
    ],
)
def test_a_zone_a_migration_or_the_debugger_owns_now_is_left_alone(
    state: ZoneState, aux: tuple[str, ...]
) -> None:
    zone = kernel_zone("kz1", state=INSTALLED if "suspended" in aux else RUNNING, aux=aux)
    result = plan(stop_cycle({"kz1": record(state)}), [zone])
    owned = hands_off(aux)
    assert owned
    assert (result.items, left(result)) == ((), [("kz1", f"left alone: {owned}", False)])


@pytest.mark.parametrize("state", [ZoneState.SUSPENDED, ZoneState.SUSPENDING])
def test_an_unavailable_zone_still_suspended_is_not_called_lost(state: ZoneState) -> None:
    zone = kernel_zone("kz1", state="unavailable", aux=("suspended",))
    result = plan(stop_cycle({"kz1": record(state)}), [zone])
    assert left(result) == [
        (
            "kz1",
            "is unavailable and still suspended; left alone: zoneadm -z kz1 boot resumes it "
            "once its storage is back",
            False,
        )
    ]


@pytest.mark.parametrize("state", [ZoneState.SUSPENDED, ZoneState.SUSPENDING])
def test_a_zone_already_booting_is_waited_for_and_verified(state: ZoneState) -> None:
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
            "lost": record(ZoneState.SHUT_DOWN, print_of=kernel_zone("x", memory="2G")),
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
    # Raw: fingerprints from another version or a hand edit.
    journal = raw_cycle(
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
    unknown_then = Fingerprint("", "solaris-kz", None)
    journal = stop_cycle(
        {
            "then": record(fingerprint=unknown_then),
            "now": record(fingerprint=dataclasses.replace(unknown_then, memory=4 * G)),
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


@pytest.mark.parametrize(
    "state", [ZoneState.SHUT_DOWN, ZoneState.HALTED, ZoneState.LOST, ZoneState.FAILED]
)
def test_zones_whose_state_was_lost_at_shutdown_are_booted_cold(state: ZoneState) -> None:
    journal = stop_cycle(
        {
            "why": record(state, reason="suspend timed out after 10m"),
            "plain": record(state, reason=None),
        }
    )
    zones = [kernel_zone("why", state=INSTALLED), kernel_zone("plain", state=INSTALLED)]
    assert items(plan(journal, zones)) == [
        ("plain", "cold-boot", f"running state lost: {state.value} at shutdown", None, 4 * G, ()),
        (
            "why",
            "cold-boot",
            f"running state lost: {state.value} at shutdown: suspend timed out after 10m",
            None,
            4 * G,
            (),
        ),
    ]


def test_zones_shut_down_or_halted_as_their_policy_asks_are_booted_not_lost() -> None:
    journal = stop_cycle(
        {
            "web": record(ZoneState.SHUT_DOWN, action=Action.SHUTDOWN),
            "tmp": record(ZoneState.HALTED, action=Action.HALT),
            "fell": record(
                ZoneState.HALTED, action=Action.SHUTDOWN, reason="shutdown timed out after 3m"
            ),
            "stay": record(ZoneState.SHUT_DOWN, action=Action.SHUTDOWN),
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
    journal = stop_cycle({"kz1": record(ZoneState.HALTED), "kz2": record(ZoneState.PLANNED)})
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
    assert [item.name for item in result.items] == ["kz2"]


def test_a_lost_zone_that_runs_or_is_elsewhere_now_is_left_alone() -> None:
    journal = stop_cycle(
        {
            "up": record(ZoneState.SHUT_DOWN),
            "susp": record(ZoneState.HALTED),
            "gone": record(ZoneState.LOST),
        }
    )
    zones = [
        kernel_zone("up", autoboot=True),
        suspended_zone("susp"),
        kernel_zone("gone", state=CONFIGURED),
    ]
    assert left(plan(journal, zones)) == [
        ("gone", "is configured; left alone", True),
        (
            "susp",
            "halted at shutdown, then suspended by another; left alone: zoneadm -z susp boot "
            "resumes it",
            False,
        ),
        ("up", "already running (booted since the shutdown)", True),
    ]


@pytest.mark.parametrize(
    ("state", "action"), [(ZoneState.SHUT_DOWN, Action.SHUTDOWN), (ZoneState.HALTED, Action.HALT)]
)
def test_a_zone_down_as_its_policy_asks_and_booted_since_is_not_lost(
    state: ZoneState, action: Action
) -> None:
    journal = stop_cycle({"web": record(state, action=action)})
    assert left(plan(journal, [kernel_zone("web", autoboot=True)])) == [
        (
            "web",
            f"{state.value} at shutdown as its policy asks; already running (booted since the "
            "shutdown)",
            False,
        )
    ]


def test_journal_garbage_is_tolerated() -> None:
    # Raw on purpose: what a crash, a hand edit or another version may leave.
    journal = raw_cycle(
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
    assert plan(raw_cycle(zones), [suspended_zone("kz1")]) == StartPlan(items=(), left=())


@pytest.mark.parametrize(
    "journal",
    [
        JournalDocument(),
        JournalDocument.from_json({"format": 1}),
        JournalDocument.from_json({"cycle": "garbage", "armed": "garbage"}),  # raw: corrupt
        JournalDocument(StopCycle(kind="something else", zones={"kz1": record()})),
        JournalDocument(StopCycle(resumed_at=12.5, zones={"kz1": record()})),
    ],
)
def test_no_pending_stop_and_no_bypass_means_nothing_to_do(journal: JournalDocument) -> None:
    assert plan(journal, [suspended_zone("kz1")]) == StartPlan(items=(), left=())


def test_a_stop_run_by_hand_in_this_very_boot_is_not_resumed() -> None:
    journal = stop_cycle({"kz1": record()}, host_boot_time=BOOT, trigger="manual")
    assert plan(journal, [suspended_zone("kz1")]) == StartPlan(
        items=(),
        left=(),
        note="the last stop ran during this boot; nothing is resumed "
        "(boot the zones with zoneadm when the maintenance is over)",
    )


@pytest.mark.parametrize("trigger", ["method", None])
def test_a_stop_method_in_this_very_boot_is_resumed(trigger: str | None) -> None:
    """`svcadm restart` with act_on_service_stop, or with the run level unknown: the
    suspend was no maintenance, and it must cost no more than a resume (an old
    journal without a trigger is resumed too: a resume is the side that loses nothing)."""
    journal = stop_cycle({"kz1": record()}, host_boot_time=BOOT, trigger=trigger)
    (item,) = plan(journal, [suspended_zone("kz1")]).items
    assert (item.name, item.kind, item.reason) == ("kz1", Kind.RESUME, "suspended at shutdown")


@pytest.mark.parametrize(("recorded", "now"), [(None, BOOT), (EARLIER, None), (None, None)])
def test_an_unknown_boot_time_counts_as_a_new_boot(recorded: int | None, now: int | None) -> None:
    journal = stop_cycle({"kz1": record()}, host_boot_time=recorded)
    result = plan(journal, [suspended_zone("kz1")], host_boot_time=now)
    assert [item.name for item in result.items] == ["kz1"]


# -- ordering ---------------------------------------------------------------------


def test_the_images_the_last_suspends_wrote_order_the_resumes_before_the_memory() -> None:
    # a's 32G of memory wrote a 4G image, b's 8G an 8G one (memory compresses
    # differently in each zone): the sizes the resumes read order them, and each
    # item carries its image's size for the pace; c's image was not recorded.
    journal = stop_cycle(
        {"a": record(memory=32 * G), "b": record(memory=8 * G), "c": record(memory=2 * G)}
    )
    zones = [suspended_zone(name) for name in ("a", "b", "c")]
    policy = Policy(resume=ResumePolicy(parallel=2))
    by_memory = plan_start(policy, journal, zones, host_boot_time=BOOT)
    assert [(item.name, item.image_bytes, item.size) for item in by_memory.items] == [
        ("a", None, 32 * G),  # must begin at once: largest first ends at 32G
        ("c", None, 2 * G),
        ("b", None, 8 * G),
    ]
    images = {"a": 4 * G, "b": 8 * G, "gone": G}
    by_image = plan_start(policy, journal, zones, host_boot_time=BOOT, images=images)
    assert [(item.name, item.image_bytes, item.size) for item in by_image.items] == [
        ("b", 8 * G, 8 * G),  # must begin at once: largest first ends at 8G
        ("c", None, 2 * G),
        ("a", 4 * G, 4 * G),
    ]


def test_zones_others_wait_on_come_first_then_shortest_first_each_in_time() -> None:
    policy = Policy(
        resume=ResumePolicy(parallel=2),
        zones={
            "app": ZonePolicy(after=("db", "gone")),
            "web": ZonePolicy(after=("app", "cache")),
            "db": ZonePolicy(),
            "cache": ZonePolicy(),
        },
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
            "cache": record(memory=8 * G, state=ZoneState.HALTED),
        }
    )
    zones = [suspended_zone(name) for name in ("web", "app", "db", "big", "b-small", "a-small")]
    zones += [suspended_zone("nomem"), kernel_zone("cache", state=INSTALLED)]
    assert [
        (z, kind, after) for z, kind, _, _, _, after in items(plan(journal, zones, policy))
    ] == [
        # Waited on first: db, whose 32G must begin at once for all to end by
        # largest first's 32G at parallel = 2, then app and cache.
        ("db", "resume", ()),
        ("app", "resume", ("db",)),
        ("cache", "cold-boot", ()),
        # The others shortest first, each in time (big's 16G by 16G), then by name.
        ("nomem", "resume", ()),
        ("web", "resume", ("app", "cache")),
        ("a-small", "resume", ()),
        ("b-small", "resume", ()),
        ("big", "resume", ()),
    ]
    # parallel = "auto" orders for the pace's starting limit, 8 streams: each of the
    # eight on its own slot, none has to begin before the shorter ones.
    auto = dataclasses.replace(policy, resume=ResumePolicy())
    assert [name for name, *_ in items(plan(journal, zones, auto))] == [
        "db",
        "app",
        "cache",
        "nomem",
        "web",
        "a-small",
        "b-small",
        "big",
    ]


def test_dependencies_on_zones_that_are_not_brought_up_impose_nothing() -> None:
    policy = Policy(zones={"app": ZonePolicy(after=("db",)), "db": ZonePolicy()})
    journal = stop_cycle({"app": record(), "db": record()})
    result = plan(journal, [suspended_zone("app"), kernel_zone("db", state=INSTALLED)], policy)
    assert items(result) == [("app", "resume", "suspended at shutdown", ZONE_BOOT, 4 * G, ())]
    assert [entry.name for entry in result.left] == ["db"]


# -- a shutdown without the stop method --------------------------------------------


def test_a_bypassed_stop_cold_boots_what_was_running_and_says_so() -> None:
    # Raw: the running list as another version may have left it.
    journal = JournalDocument.from_json(
        {
            "cycle": {"kind": "stop", "resumed_at": 1.0, "zones": {"kz1": {"state": "suspended"}}},
            "armed": {"host_boot_time": EARLIER, "running": ["kz1", "kz2", "kz3", "kz4", "kz5",
                                                           "kz6", 7, "kz1"]},
        }
    )  # fmt: skip
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
    # kz1's 8G is long next to a slot's share of the 10G (start/order.py): first.
    assert items(result) == [
        ("kz1", "cold-boot", lost, None, 8 * G, ()),
        ("kz2", "cold-boot", lost, None, 2 * G, ()),
    ]
    assert left(result) == [
        ("kz3", "already running (autoboot or booted by hand)", True),
        ("kz4", "suspended by someone else; left alone", False),
        ("kz5", "is configured; left alone", True),
        ("kz6", "no longer configured", True),
    ]


def test_a_bypassed_stop_respects_boot_lost_and_resume_and_orders_by_after() -> None:
    journal = JournalDocument(armed=armed(("kz1", "kz2", "kz3")))
    zones = [kernel_zone(name, state=INSTALLED) for name in ("kz1", "kz2", "kz3")]
    policy = Policy(
        zones={
            "kz1": ZonePolicy(after=("kz3",)),
            "kz2": ZonePolicy(resume=False),
            "kz3": ZonePolicy(),
        }
    )
    result = plan(journal, zones, policy)
    assert [(item.name, item.after) for item in result.items] == [("kz3", ()), ("kz1", ("kz3",))]
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
        (JournalDocument(armed=armed(("kz1",), host_boot_time=BOOT)), BOOT),  # a restart
        (JournalDocument(armed=armed(("kz1",))), None),  # this boot's time unknown
        (JournalDocument(armed=armed(("kz1",), host_boot_time=None)), BOOT),  # armed's unknown
        (
            JournalDocument(armed=armed(("kz1",), disarmed=Disarmed(1.0, "3"))),
            BOOT,
        ),  # stood down by svcadm disable
    ],
)
def test_no_bypass_is_claimed_without_proof(journal: JournalDocument, now: int | None) -> None:
    zones = [kernel_zone("kz1", state=INSTALLED)]
    assert plan(journal, zones, host_boot_time=now) == StartPlan(items=(), left=())


@pytest.mark.parametrize("running", [None, "kz1", 5, {"kz1": True}])
def test_an_armed_record_without_a_running_list_loses_nothing(running: object) -> None:
    # Raw: a running list no version writes.
    document = JournalDocument.from_json({"armed": {"host_boot_time": EARLIER, "running": running}})
    result = plan(document, [kernel_zone("kz1", state=INSTALLED)])
    assert (result.bypassed, result.items, result.left) == (True, (), ())


def test_a_pending_stop_wins_over_the_armed_record() -> None:
    # Stop ran in the armed boot, then the host went down: that is no bypass.
    journal = dataclasses.replace(stop_cycle({"kz1": record()}), armed=armed(("kz1", "kz2")))
    zones = [suspended_zone("kz1"), kernel_zone("kz2", state=INSTALLED)]
    result = plan(journal, zones)
    assert not result.bypassed
    assert [item.name for item in result.items] == ["kz1"]


def test_the_values_are_what_the_executor_reads() -> None:
    item = Item("kz1", Kind.RESUME, "why", 1, 2)
    assert item.after == ()
    assert Left("kz1", "why").lost is False
    zone = with_uuid(kernel_zone("kz1", memory=None), "u")
    assert Fingerprint.of(zone) == Fingerprint("u", "solaris-kz", None)
    assert Fingerprint.of(native_zone("n")) == Fingerprint("", "solaris", None)
    assert [kind.value for kind in Kind] == ["resume", "verify", "cold-boot", "boot"]
    assert RUNNING == "running"


@pytest.mark.parametrize(
    ("now", "lost"),
    [
        (kernel_zone("kz1", aux=("migrating-out",)), False),
        (kernel_zone("kz1", state=INSTALLED), True),  # killed running by the shutdown
        (kernel_zone("kz1", state=CONFIGURED), False),  # migrated away
    ],
)
def test_a_zone_left_alone_at_shutdown_is_left_alone_at_boot(now: Zone, lost: bool) -> None:
    reason = "suspend failed: refused; left alone: migrating-out: a migration owns the zone"
    result = plan(stop_cycle({"kz1": record(ZoneState.LEFT_ALONE, reason=reason)}), [now])
    assert result.items == ()
    assert left(result) == [("kz1", f"left alone at shutdown ({reason})", lost)]
    bare = plan(stop_cycle({"kz1": record(ZoneState.LEFT_ALONE)}), [now])
    assert left(bare) == [("kz1", "left alone at shutdown (no reason recorded)", lost)]


def with_order(zone: Zone, *depends_on: str, priority: str | None = None) -> Zone:
    """``zone`` with zonecfg boot-priority and smf-dependency resources."""
    assert zone.config is not None
    config = dataclasses.replace(
        zone.config,
        boot_priority=priority,
        smf_dependencies=tuple(
            SmfDependency(f"svc:/system/zones/zone:{name}") for name in depends_on
        ),
    )
    return dataclasses.replace(zone, config=config)


def test_without_after_zonecfg_orders_the_start_highest_priority_first() -> None:
    policy = Policy(zones={"web": ZonePolicy(after=("db",))})
    journal = stop_cycle({name: record() for name in ("db", "app", "web", "batch", "plain")})
    zones = [
        with_order(suspended_zone("db"), priority="high"),
        with_order(suspended_zone("app"), "db"),
        # the policy's after wins: its zonecfg dependency and priority are not used
        with_order(suspended_zone("web"), "batch", priority="high"),
        with_order(suspended_zone("batch"), priority="low"),
        suspended_zone("plain"),
    ]
    result = plan(journal, zones, policy)
    assert [(item.name, item.after, item.rank) for item in result.items] == [
        ("db", (), 0),
        ("app", ("db",), 1),
        ("plain", (), 1),
        ("web", ("db",), 1),
        ("batch", (), 2),
    ]


@pytest.mark.parametrize(
    ("parallel", "order"),
    [
        # 2 streams: largest first ends at 9G (8G + 1G on one slot), so the 8G must
        # begin by 1G: after kz1 and kz2a, before kz2b and kz4.
        (2, ["kz1", "kz2a", "kz8", "kz2b", "kz4"]),
        # Not a number (parallel = "auto"): taken as 4 streams; largest first ends at
        # 8G, so the 8G must begin at once.
        ("auto", ["kz8", "kz1", "kz2a", "kz2b", "kz4"]),
    ],
)
def test_the_order_is_judged_against_the_policys_parallel(
    parallel: object, order: list[str]
) -> None:
    sizes = {"kz8": 8, "kz4": 4, "kz1": 1, "kz2a": 2, "kz2b": 2}
    journal = stop_cycle({name: record(memory=gib * G) for name, gib in sizes.items()})
    policy = Policy(resume=ResumePolicy(parallel=parallel))  # type: ignore[arg-type]
    result = plan(journal, [suspended_zone(name) for name in sizes], policy)
    assert [item.name for item in result.items] == order
    # A measured concurrency, when given, wins over the policy: 1 stream, shortest
    # first.
    measured = plan_start(
        policy, journal, [suspended_zone(name) for name in sizes], host_boot_time=BOOT, streams=1
    )
    assert [item.name for item in measured.items] == ["kz1", "kz2a", "kz2b", "kz4", "kz8"]


def test_each_item_carries_when_the_stop_took_its_zone_down() -> None:
    suspend = (
        Transition(ZoneState.PLANNED, 90.0),
        Transition(ZoneState.SUSPENDING, 100.5, Action.SUSPEND),
        Transition(ZoneState.SUSPENDED, 105.5, seconds=5.0),
    )
    journal = stop_cycle(
        {
            "kz1": record(transitions=suspend),
            "kz2": record(transitions=(Transition(ZoneState.SUSPENDED, None, Action.SUSPEND),)),
        }
    )
    result = plan(journal, [suspended_zone("kz1"), kernel_zone("kz2", autoboot=True)])
    assert [(item.name, item.kind, item.down_since) for item in result.items] == [
        ("kz1", Kind.RESUME, 100.5),
        ("kz2", Kind.VERIFY, None),
    ]


# -- the configurations the stop recorded ---------------------------------------------


def test_a_pending_stop_gives_the_configurations_it_planned_from_when_it_kept_all() -> None:
    kz1, kz2 = suspended_zone("kz1"), suspended_zone("kz2", memory="8G")
    assert kz1.config is not None
    assert kz2.config is not None
    journal = stop_cycle(
        {
            "kz1": record(config=kz1.config),
            "kz2": record(config=kz2.config),
            "ngz": record(),  # a zone no decision reads the configuration of
        }
    )
    found = recorded_configs(journal, ["kz1", "kz2", "kz3"])
    assert found == {"kz1": kz1.config, "kz2": kz2.config}
    # The zones as listed, with those configurations: what the plan is made from.
    listed = [dataclasses.replace(zone, config=None) for zone in (kz1, kz2, native_zone("ngz"))]
    assert with_recorded(listed, found) == [kz1, kz2, listed[2]]
    # Nothing to plan from: no stop, a stop already taken up, one zone not recorded
    # (a journal from before the configurations were kept, or a zonecfg the stop
    # could not read).
    assert recorded_configs(JournalDocument(), ["kz1"]) is None
    assert journal.cycle is not None
    taken_up = dataclasses.replace(journal.cycle, resumed_at=2.0)
    assert recorded_configs(JournalDocument(cycle=taken_up), ["kz1"]) is None
    assert recorded_configs(journal, ["ngz"]) is None


def test_a_zone_the_stop_found_suspended_is_named_at_boot_while_it_stays_suspended() -> None:
    skipped = {
        "kz2": "already suspended",
        "kz3": "already suspended",
        "kz4": "not running (installed)",
    }
    journal = stop_cycle({"kz1": record()}, skipped=skipped)
    result = plan(
        journal,
        [suspended_zone("kz1"), suspended_zone("kz2"), kernel_zone("kz3"), kernel_zone("kz4")],
    )
    assert [item.name for item in result.items] == ["kz1"]
    # kz3 was resumed since (the zones service, an operator); kz4 was never down.
    assert left(result) == [
        (
            "kz2",
            "already suspended when the stop ran, so not resumed by kzguard: "
            "zoneadm -z kz2 boot resumes it",
            False,
        )
    ]


def test_a_zone_the_stop_carried_over_is_resumed_not_named_as_found_suspended() -> None:
    # `kzguard stop`, then `init 6`: the stop method finds kz1 suspended and keeps
    # the earlier stop's record of it (StopCycle.carrying_over).
    journal = stop_cycle({"kz1": record()}, skipped={"kz1": "already suspended"})
    result = plan(journal, [suspended_zone("kz1")])
    assert items(result) == [("kz1", "resume", "suspended at shutdown", ZONE_BOOT, 4 * G, ())]
    assert result.left == ()

"""The journal's typed records: the states, the pure changes the paths make, and
the exact JSON of journal.json (format 1), read back to the same values."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from kzguard.errors import StateError
from kzguard.journal.document import (
    ArmedRecord,
    Disarmed,
    JournalDocument,
    ResumedZone,
    StartRecord,
    StopCycle,
)
from kzguard.journal.records import (
    BootTimeEvidence,
    Fingerprint,
    Severity,
    StartOutcome,
    StopOutcome,
    Transition,
    UnknownState,
    ZoneRecord,
    ZoneState,
    config_from_json,
    config_to_json,
)
from kzguard.model import SmfDependency, SuspendResource, ZoneConfig
from kzguard.policy.model import Action
from kzguard.start.outcome import StartReport
from kzguard.stop.outcome import StopReport
from tests.unit.journals import G, zone_record
from tests.unit.zones import kernel_zone

# A zone record exactly as the stop path writes it (on-disk format, raw on purpose).
SUSPENDED_ON_DISK: dict[str, Any] = {
    "action": "suspend",
    "intent": ["suspend", "shutdown", "halt"],
    "memory": 4 * G,
    "expected": 12.5,
    "note": "",
    "fingerprint": {"uuid": "u-1", "brand": "solaris-kz", "memory": 4 * G},
    "state": "suspended",
    "transitions": [
        {"state": "planned", "time": 10.0},
        {"state": "suspending", "time": 10.5, "step": "suspend", "timeout": 600.0},
        {"state": "suspended", "time": 22.0, "seconds": 11.5},
    ],
    "boot_time": 1_690_000_000,
    "step": "suspend",
    "seconds": 11.5,
}
DOCUMENT_ON_DISK: dict[str, Any] = {
    "format": 1,
    "resume": {
        "host_boot_time": 7,
        "started": 1.0,
        "finished": 3.0,
        "bypassed": False,
        "note": "",
        "zones": {
            "kz1": {
                "result": "resumed (running state preserved)",
                "severity": "ok",
                "seconds": 1.25,
                "detail": "",
                "time": 2.0,
            }
        },
        "summary": "start done in 2s: 1 preserved, 0 lost, 0 failed, 0 left alone",
    },
    "armed": {
        "host_boot_time": 7,
        "time": 3.0,
        "running": ["kz1"],
        "policy": None,
        "disarmed": {"time": 4.0, "runlevel": "3"},
    },
    "cycle": {
        "kind": "stop",
        "started": 10.0,
        "finished": 30.0,
        "policy": "/etc/kzguard/policy.toml",
        "deadline": 900.0,
        "trigger": "method",
        "runlevel": "6",
        "runlevel_source": "svcprop",
        "host_boot_time": 5,
        "skipped": {"kz9": "already suspended"},
        "summary": "stop done in 20s: 1 suspended, 0 shut down, 0 halted, 0 lost, 0 failed",
        "resumed_at": 3.0,
        "zones": {"kz1": SUSPENDED_ON_DISK},
    },
}


def test_journal_json_reads_into_records_and_writes_back_unchanged() -> None:
    document = JournalDocument.from_json(DOCUMENT_ON_DISK)
    assert document.to_json() == DOCUMENT_ON_DISK
    assert document.cycle is not None
    assert document.start is not None
    record = document.cycle.zones["kz1"]
    assert (record.state, record.action, record.intent, record.recorded_boot_time) == (
        ZoneState.SUSPENDED,
        Action.SUSPEND,
        (Action.SUSPEND, Action.SHUTDOWN, Action.HALT),
        1_690_000_000,
    )
    assert record.transitions[1] == Transition(
        ZoneState.SUSPENDING, 10.5, step=Action.SUSPEND, timeout=600.0
    )
    assert document.start.zones == {
        "kz1": ResumedZone("resumed (running state preserved)", Severity.OK, 1.25, "", 2.0)
    }
    assert document.start.of_boot(7)
    assert not document.start.of_boot(8)


def test_what_this_version_does_not_know_is_kept() -> None:
    # Raw: a newer version's keys and states, and a hand edit.
    newer = {
        "format": 1,
        "future": [1],
        "cycle": {"kind": "stop", "zones": {"kz1": {"state": "hibernated", "x": 1}}, "y": 2},
        "resume": {"zones": {}, "z": 3},
        "armed": {"w": 4},
    }
    document = JournalDocument.from_json(newer)
    assert document.cycle is not None
    assert document.cycle.zones["kz1"].state == UnknownState("hibernated")
    on_disk = document.to_json()
    assert on_disk["future"] == [1]
    assert on_disk["cycle"]["zones"]["kz1"] == {"state": "hibernated", "transitions": [], "x": 1}
    assert (on_disk["cycle"]["y"], on_disk["resume"]["z"], on_disk["armed"]["w"]) == (2, 3, 4)
    assert ZoneRecord().to_json() == {"transitions": []}
    assert (str(UnknownState()), str(UnknownState(["a"]))) == ("?", "['a']")


def test_values_of_the_wrong_type_read_as_unknown() -> None:
    # Raw on purpose: garbage where values belong.
    record = ZoneRecord.from_json(
        {
            "state": 3,
            "transitions": ["x", {"state": "lost", "time": True, "step": "jump"}],
            "action": "dance",
            "intent": ["halt", "fly", 7],
            "memory": True,
            "fingerprint": "f",
            "boot_time_error": "zlogin: refused",
            "reason": 5,
        }
    )
    assert record == ZoneRecord(
        state=UnknownState(3),
        transitions=(Transition(ZoneState.LOST, None),),
        intent=(Action.HALT,),
        boot_time=BootTimeEvidence(None, "zlogin: refused"),
    )
    document = JournalDocument.from_json(
        {"cycle": {"kind": 1, "zones": [], "skipped": {"a": 1}}, "resume": {"zones": 5}}
    )
    assert document.cycle == StopCycle(kind="")
    assert document.start is not None
    assert document.start.zones is None
    assert not document.start.of_boot(None)
    assert ResumedZone.from_json({}) == ResumedZone("?", None)
    assert ResumedZone("?", None).to_json()["severity"] is None


def test_zone_states_say_what_they_mean() -> None:
    assert [ZoneState.doing(step) for step in (Action.SUSPEND, Action.SHUTDOWN, Action.HALT)] == [
        ZoneState.SUSPENDING,
        ZoneState.SHUTTING_DOWN,
        ZoneState.HALTING,
    ]
    assert [ZoneState.done(step) for step in (Action.SUSPEND, Action.SHUTDOWN, Action.HALT)] == [
        ZoneState.SUSPENDED,
        ZoneState.SHUT_DOWN,
        ZoneState.HALTED,
    ]
    assert [state.value for state in ZoneState if state.unfinished] == [
        "planned",
        "suspending",
        "shutting-down",
        "halting",
    ]
    assert [state.value for state in ZoneState if state.running_state_lost] == [
        "shut-down",
        "halted",
        "lost",
        "failed",
    ]
    assert [state.value for state in ZoneState if state.is_error] == ["lost", "failed"]


def test_a_transition_updates_the_state_and_what_it_carries() -> None:
    record = zone_record(ZoneState.PLANNED, reason="earlier")
    record = record.entered(Transition(ZoneState.SUSPENDING, 1.0, step=Action.SUSPEND))
    record = record.entered(Transition(ZoneState.SUSPENDED, 2.0, seconds=1.0))
    assert (record.state, record.step, record.seconds, record.reason) == (
        ZoneState.SUSPENDED,
        Action.SUSPEND,
        1.0,
        "earlier",
    )
    assert [entry.state for entry in record.transitions] == [
        ZoneState.SUSPENDING,
        ZoneState.SUSPENDED,
    ]


@pytest.mark.parametrize(
    ("action", "state", "reason", "planned"),
    [
        (Action.SHUTDOWN, ZoneState.SHUT_DOWN, None, True),
        (Action.HALT, ZoneState.HALTED, None, True),
        (Action.SHUTDOWN, ZoneState.HALTED, None, False),
        (Action.HALT, ZoneState.HALTED, "halt after a failed shutdown", False),
        (Action.SUSPEND, ZoneState.SUSPENDED, None, False),
        (None, ZoneState.HALTED, None, False),
    ],
)
def test_down_as_planned_only_when_the_policy_asked_for_exactly_that(
    action: Action | None, state: ZoneState, reason: str | None, planned: bool
) -> None:
    assert ZoneRecord(state, action=action, reason=reason).as_planned is planned


def test_a_fingerprint_names_the_first_change_it_can_prove() -> None:
    then = Fingerprint("u", "solaris-kz", 4 * G)
    assert then.changed(then) == ""
    assert then.changed(Fingerprint("v", "solaris-kz", 4 * G)).startswith("a different zone")
    assert then.changed(Fingerprint("u", "solaris", 4 * G)) == (
        "brand changed from solaris-kz to solaris"
    )
    assert then.changed(Fingerprint("u", "solaris-kz", 8 * G)) == (
        "capped-memory physical changed (reconfigured)"
    )
    assert then.changed(Fingerprint("u", "solaris-kz", None)) == ""
    assert Fingerprint().changed(Fingerprint("v", "solaris", 1)) == ""
    assert Fingerprint.of(kernel_zone("kz1")) == Fingerprint("", "solaris-kz", 4 * G)


def test_the_outcomes_of_both_paths() -> None:
    assert StartOutcome("kz1", "booted", Severity.OK, 1.5, "why").line() == (
        "kz1: booted in 1.5s (why)"
    )
    assert StartOutcome("kz1", "left alone", Severity.LEFT).line() == "kz1: left alone"
    stop = StopReport(
        [
            StopOutcome("kz1", ZoneState.SUSPENDED, 1.0),
            StopOutcome("kz2", ZoneState.LOST, 2.0),
            StopOutcome("kz3", ZoneState.FAILED, 3.0),
        ],
        elapsed=4.0,
    )
    assert (stop.errors, stop.names(ZoneState.SUSPENDED)) == (2, ["kz1"])
    assert stop.summary() == "stop done in 4s: 1 suspended, 0 shut down, 0 halted, 1 lost, 1 failed"
    start = StartReport([StartOutcome("kz1", "booted", Severity.OK)], elapsed=2.0)
    assert start.summary() == "start done in 2s: 1 preserved, 0 lost, 0 failed, 0 left alone"
    # A zone left alone (migrating, in the debugger) is counted only when there is one,
    # so the summary of every other stop reads as before; it is no error.
    stop.outcomes.append(StopOutcome("kz4", ZoneState.LEFT_ALONE, 0.5))
    assert stop.errors == 2
    assert stop.summary() == (
        "stop done in 4s: 1 suspended, 0 shut down, 0 halted, 1 lost, 1 failed, 1 left alone"
    )


def test_a_new_stop_carries_over_what_a_pending_stop_put_down() -> None:
    earlier = StopCycle(started=5.0, zones={"kz1": zone_record(), "kz2": zone_record()})
    now = StopCycle(started=9.0, zones={"kz2": zone_record(ZoneState.PLANNED)})
    carried = now.carrying_over(earlier)
    assert carried.zones["kz1"] == dataclasses.replace(zone_record(), carried_over_from=5.0)
    assert carried.zones["kz2"].state is ZoneState.PLANNED
    assert carried.zones["kz1"].to_json()["carried_over_from"] == 5.0
    assert now.carrying_over(None) is now
    assert now.carrying_over(dataclasses.replace(earlier, resumed_at=6.0)) is now
    assert now.carrying_over(dataclasses.replace(earlier, kind="other")) is now


def test_a_stop_planned_again_keeps_what_it_began_and_takes_the_rest_from_the_new_plan() -> None:
    carried = dataclasses.replace(zone_record(), carried_over_from=5.0)
    planned = zone_record(ZoneState.PLANNED)
    first = StopCycle(
        started=9.0,
        deadline=60.0,
        zones={"kz0": carried, "kz1": zone_record(), "kz2": planned, "kz3": planned},
        skipped={"kz4": "not managed: no suspend resource", "kz5": "already suspended"},
    )
    again = dataclasses.replace(planned, memory=8 << 30)
    later = StopCycle(
        started=10.0,
        zones={"kz2": again, "kz4": planned},
        skipped={"kz0": "already suspended", "kz3": "resume = false"},
    )
    replanned = first.replanned(later, begun={"kz1"})
    assert replanned.zones == {"kz0": carried, "kz1": zone_record(), "kz2": again, "kz4": planned}
    assert replanned.skipped == {"kz5": "already suspended", "kz3": "resume = false"}
    assert (replanned.started, replanned.deadline) == (9.0, 60.0)


def test_the_start_path_closes_its_record_and_arms_the_guard() -> None:
    armed = ArmedRecord(host_boot_time=8, time=3.0, running=("kz1",))
    pending = JournalDocument(cycle=StopCycle(host_boot_time=7))
    closed = pending.with_resumed_zone("kz1", ResumedZone("booted", Severity.OK)).closed(
        now=3.0, host_boot_time=8, summary="done", armed=armed
    )
    assert closed.cycle == StopCycle(host_boot_time=7, resumed_at=3.0)
    assert closed.start == StartRecord(
        finished=3.0, summary="done", zones={"kz1": ResumedZone("booted", Severity.OK)}
    )
    assert closed.armed == armed
    # A stop run by hand in this very boot stays pending; a stop method of this boot
    # is taken up; one already taken up keeps its time.
    by_hand = JournalDocument(cycle=StopCycle(host_boot_time=7, trigger="manual"))
    assert by_hand.closed(now=3.0, host_boot_time=7, summary="", armed=armed).cycle == (
        by_hand.cycle
    )
    by_method = JournalDocument(cycle=StopCycle(host_boot_time=7, trigger="method"))
    assert by_method.closed(now=3.0, host_boot_time=7, summary="", armed=armed).cycle == (
        StopCycle(host_boot_time=7, trigger="method", resumed_at=3.0)
    )
    taken = JournalDocument(cycle=StopCycle(resumed_at=1.0))
    assert taken.closed(now=3.0, host_boot_time=None, summary="", armed=armed).cycle == (
        taken.cycle
    )
    assert (
        JournalDocument().closed(now=3.0, host_boot_time=8, summary="", armed=armed).cycle is None
    )


def test_disarming_needs_an_armed_guard_and_zone_changes_need_a_cycle() -> None:
    assert JournalDocument().disarmed(time=1.0, runlevel="3") == JournalDocument()
    armed = JournalDocument(armed=ArmedRecord(host_boot_time=7))
    assert armed.disarmed(time=1.0, runlevel="3").armed == ArmedRecord(
        host_boot_time=7, disarmed=Disarmed(1.0, "3")
    )
    with pytest.raises(StateError, match="no cycle has begun"):
        JournalDocument().with_transition("kz1", Transition(ZoneState.SUSPENDING, 1.0))
    with pytest.raises(StateError, match="no cycle has begun"):
        JournalDocument().with_cycle_finished(1.0, "summary")
    finished = JournalDocument(cycle=StopCycle()).with_cycle_finished(1.0, "summary")
    assert finished.cycle == StopCycle(finished=1.0, summary="summary")


def test_a_resumed_zone_keeps_its_downtime_and_older_journals_have_none() -> None:
    outcome = StartOutcome("kz1", "booted", Severity.OK, 1.0, downtime=603.25049)
    entry = ResumedZone.of(outcome, 2.0)
    assert entry.downtime == 603.25
    assert entry.to_json() == {
        "result": "booted",
        "severity": "ok",
        "seconds": 1.0,
        "detail": "",
        "time": 2.0,
        "downtime": 603.25,
    }
    assert ResumedZone.from_json(entry.to_json()) == entry
    older = ResumedZone.of(dataclasses.replace(outcome, downtime=None), 2.0)
    assert "downtime" not in older.to_json()
    assert ResumedZone.from_json(older.to_json()).downtime is None


def test_a_zone_went_down_when_its_first_step_began() -> None:
    transitions = (
        Transition(ZoneState.PLANNED, 90.0),
        Transition(ZoneState.SUSPENDING, None, Action.SUSPEND),
        Transition(ZoneState.SUSPENDING, 100.5, Action.SUSPEND),
        Transition(ZoneState.SHUTTING_DOWN, 130.0, Action.SHUTDOWN),
    )
    assert zone_record(transitions=transitions).went_down_at == 100.5
    assert zone_record(transitions=transitions[:2]).went_down_at is None
    assert zone_record().went_down_at is None


def test_the_configuration_a_zone_was_planned_from_is_kept_and_read_back() -> None:
    config = ZoneConfig(
        name="kz1",
        brand="solaris-kz",
        autoboot=True,
        autoshutdown="suspend",
        suspend=SuspendResource(path="/export/suspend/%{zonename}"),
        physical_memory=8 << 30,
        boot_priority="high",
        smf_dependencies=(
            SmfDependency("svc:/system/zones/zone:kz2"),
            SmfDependency("svc:/site/db:default", name="db", grouping="optional_all"),
        ),
    )
    record = dataclasses.replace(zone_record(), config=config)
    data = record.to_json()
    assert data["config"] == {
        "name": "kz1",
        "brand": "solaris-kz",
        "autoboot": True,
        "autoshutdown": "suspend",
        "physical_memory": 8 << 30,
        "boot_priority": "high",
        "suspend": {"path": "/export/suspend/%{zonename}", "storage": None},
        "smf_dependencies": [
            {"fmri": "svc:/system/zones/zone:kz2", "name": None, "grouping": None},
            {"fmri": "svc:/site/db:default", "name": "db", "grouping": "optional_all"},
        ],
    }
    assert ZoneRecord.from_json(data) == record
    bare = ZoneConfig(name="kz2", brand="solaris-kz")
    assert config_to_json(bare) == {"name": "kz2", "brand": "solaris-kz"}
    assert config_from_json(config_to_json(bare)) == bare


@pytest.mark.parametrize(
    "data",
    [
        None,
        "kz1",
        {"brand": "solaris-kz"},
        {"name": "kz1", "brand": "solaris-kz", "autoboot": "true"},
        {"name": "kz1", "brand": "solaris-kz", "suspend": "/export"},
        {"name": "kz1", "brand": "solaris-kz", "smf_dependencies": "svc:/a"},
        {"name": "kz1", "brand": "solaris-kz", "smf_dependencies": [{"name": "x"}]},
    ],
)
def test_a_configuration_record_not_as_written_reads_as_none(data: object) -> None:
    # The start method then plans from the live configurations, read first.
    assert config_from_json(data) is None
    assert ZoneRecord.from_json({"config": data}).config is None

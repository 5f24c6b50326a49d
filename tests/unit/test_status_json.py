"""kzguard.status.cycle: the reboot refusals, the last cycle of ``kzguard status
--json`` and ``kzguard wait``'s verdict, from journal records (no host), and the
wait's polling on a fake clock."""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from typing import Any

from kzguard.cli_cycle import poll
from kzguard.journal.document import JournalDocument, ResumedZone, StartRecord, StopCycle
from kzguard.journal.pace_record import LevelChange, PaceRecord
from kzguard.journal.records import Proof, Severity, Transition, ZoneRecord, ZoneState
from kzguard.policy.model import Action
from kzguard.status import cycle
from kzguard.status.health import Health
from kzguard.stop.plan import StopPlan, ZonePlan

OLD_BOOT, NEW_BOOT = 1000, 2000
ARMED = Health(armed=True, reasons=(), errors=())


def suspended(began: float, seconds: float) -> ZoneRecord:
    return ZoneRecord(
        state=ZoneState.SUSPENDED,
        transitions=(
            Transition(ZoneState.SUSPENDING, began, Action.SUSPEND),
            Transition(ZoneState.SUSPENDED, began + seconds, Action.SUSPEND, seconds=seconds),
        ),
        action=Action.SUSPEND,
        seconds=seconds,
    )


def journal(**resumed: ResumedZone | None) -> JournalDocument:
    """A stop at 100.0 in the old boot (kz1 suspended 5 s, kz2 shut down as planned),
    and the start method of the new boot, finished, with ``resumed``."""
    shut = ZoneRecord(
        state=ZoneState.SHUT_DOWN,
        transitions=(Transition(ZoneState.SHUTTING_DOWN, 101.0, Action.SHUTDOWN),),
        action=Action.SHUTDOWN,
        seconds=3.0,
    )
    stop = StopCycle(
        started=100.0,
        finished=110.0,
        trigger="method",
        host_boot_time=OLD_BOOT,
        zones={"kz1": suspended(100.5, 5.0), "kz2": shut},
        resumed_at=200.0,
    )
    zones = {name: zone for name, zone in resumed.items() if zone is not None}
    start = StartRecord(
        host_boot_time=NEW_BOOT, started=150.0, finished=200.0, zones=zones, summary="done"
    )
    return JournalDocument(cycle=stop, start=start)


def started(document: JournalDocument) -> StartRecord:
    """The start record of a journal made by :func:`journal`."""
    assert document.start is not None
    return document.start


def stopped(document: JournalDocument) -> StopCycle:
    """The stop's record of a journal made by :func:`journal`."""
    assert document.cycle is not None
    return document.cycle


OK_KZ1 = ResumedZone(
    "resumed (running state preserved)",
    Severity.OK,
    4.0,
    "",
    180.5,
    proof=Proof("marker", "found", 50, 50),
)
OK_KZ2 = ResumedZone("booted", Severity.OK, 30.0, "", 190.0)
COLD = "cold-booted (running state LOST)"


def test_a_complete_cycle_per_zone() -> None:
    found = cycle.last_cycle(journal(kz1=OK_KZ1, kz2=OK_KZ2), NEW_BOOT)
    assert found == {
        "id": f"100.000@{NEW_BOOT}",
        "stop_started": 100.0,
        "stop_finished": 110.0,
        "stop_trigger": "method",
        "stop_host_boot_time": OLD_BOOT,
        "host_boot_time": NEW_BOOT,
        "start_host_boot_time": NEW_BOOT,
        "start_finished": 200.0,
        "this_boot": True,
        "finished": True,
        "complete": True,
        "reasons": [],
        "downtime_total_seconds": 169.0,
        "zones": {
            "kz1": {
                "verdict": "preserved",
                "proof": "marker",
                "stop_state": "suspended",
                "result": "resumed (running state preserved)",
                "detail": "",
                "suspend_seconds": 5.0,
                "resume_seconds": 4.0,
                "downtime_seconds": 80.0,
            },
            "kz2": {
                "verdict": "booted",
                "proof": None,
                "stop_state": "shut-down",
                "result": "booted",
                "detail": "",
                "suspend_seconds": None,
                "resume_seconds": 30.0,
                "downtime_seconds": 89.0,
            },
        },
        "pace": {"suspend": None, "resume": None},
    }


def test_the_downtime_the_start_method_recorded_wins_and_adds_up() -> None:
    # kz1's recorded downtime (suspend start to its boot returning) is shorter than
    # the journal times would say (its outcome was journalled after verification).
    kz1 = dataclasses.replace(OK_KZ1, downtime=71.25)
    found = cycle.last_cycle(journal(kz1=kz1, kz2=OK_KZ2), NEW_BOOT)
    downtimes = {name: zone["downtime_seconds"] for name, zone in found["zones"].items()}
    assert downtimes == {"kz1": 71.25, "kz2": 89.0}
    assert found["downtime_total_seconds"] == 160.25
    lost = ResumedZone(COLD, Severity.LOST, 9.0, "", 170.0, downtime=60.0)
    found = cycle.last_cycle(journal(kz1=lost, kz2=None), NEW_BOOT)
    assert found["zones"]["kz1"]["downtime_seconds"] is None
    assert found["downtime_total_seconds"] is None


def test_without_a_recorded_step_the_downtime_runs_from_the_first_transition() -> None:
    # A journal before issue 13 whose kz1 record has no step (hand-made, or an
    # older version): its first transition with a time starts the downtime.
    document = journal(kz1=OK_KZ1, kz2=OK_KZ2)
    assert document.cycle is not None
    bare = ZoneRecord(
        state=ZoneState.SUSPENDED,
        transitions=(Transition(ZoneState.PLANNED, None), Transition(ZoneState.SUSPENDED, 99.5)),
    )
    cycle_zones = {**document.cycle.zones, "kz1": bare}
    document = dataclasses.replace(
        document, cycle=dataclasses.replace(document.cycle, zones=cycle_zones)
    )
    found = cycle.last_cycle(document, NEW_BOOT)
    assert found["zones"]["kz1"]["downtime_seconds"] == 81.0
    assert found["downtime_total_seconds"] == 170.0


def test_lost_failed_left_and_pending_zones_make_it_incomplete() -> None:
    document = journal(
        kz1=ResumedZone(COLD, Severity.LOST, 9.0, "", 170.0),
        kz2=ResumedZone("boot failed", Severity.ERROR, 1.0, "corrupt", 171.0),
        kz3=ResumedZone("left alone", Severity.LEFT, 0.0, "", 172.0),
        kz4=ResumedZone("?", None),
    )
    found = cycle.last_cycle(document, NEW_BOOT)
    verdicts = {name: zone["verdict"] for name, zone in found["zones"].items()}
    assert verdicts == {"kz1": "lost", "kz2": "failed", "kz3": "left-alone", "kz4": "pending"}
    assert found["zones"]["kz1"]["downtime_seconds"] is None
    # A zone left alone was not booted, nor one pending: no resume time (a failed
    # boot has one).
    resumes = [zone["resume_seconds"] for zone in found["zones"].values()]
    assert resumes == [9.0, 1.0, None, None]
    assert found["complete"] is False
    assert found["reasons"] == [
        "kz1: lost: cold-booted (running state LOST)",
        "kz2: failed: boot failed",
        "kz3: left-alone: left alone",
        "kz4: pending: ?",
    ]


def test_a_zone_the_start_method_did_not_reach_is_pending() -> None:
    found = cycle.last_cycle(journal(kz1=OK_KZ1), NEW_BOOT)
    assert found["zones"]["kz2"]["verdict"] == "pending"
    assert found["zones"]["kz2"]["result"] is None
    assert found["reasons"] == ["kz2: pending: not resumed"]


def test_a_bypassed_shutdown_is_a_reason() -> None:
    document = journal(kz1=OK_KZ1, kz2=OK_KZ2)
    bypassed = replace(document, start=replace(started(document), bypassed=True, note=""))
    found = cycle.last_cycle(bypassed, NEW_BOOT)
    assert found["reasons"] == ["the last shutdown bypassed kzguard"]


def test_why_a_cycle_is_not_complete_before_the_end() -> None:
    document = journal(kz1=OK_KZ1, kz2=OK_KZ2)
    assert cycle.last_cycle(None, NEW_BOOT)["reasons"] == ["no shutdown is recorded"]
    assert cycle.last_cycle(None, None)["id"] is None
    going_down = cycle.last_cycle(document, OLD_BOOT)
    assert going_down["reasons"] == [
        "the last stop ran in this boot: no reboot has followed it yet"
    ]
    assert going_down["this_boot"] is False
    assert going_down["id"] == "100.000@-"
    assert cycle.last_cycle(document, 3000)["reasons"] == [
        "the start method has not run in this boot"
    ]
    running = replace(document, start=replace(started(document), finished=None))
    assert cycle.last_cycle(running, NEW_BOOT)["reasons"] == [
        "the start method of this boot has not finished"
    ]
    no_stop = JournalDocument(start=document.start)
    assert cycle.last_cycle(no_stop, NEW_BOOT)["id"] == f"-@{NEW_BOOT}"


def test_wait_verdicts() -> None:
    good = journal(kz1=OK_KZ1, kz2=OK_KZ2)
    assert cycle.wait_verdict(good, NEW_BOOT, ARMED) == cycle.WaitVerdict(0, "done")
    lost = journal(kz1=replace(OK_KZ1, severity=Severity.LOST), kz2=OK_KZ2)
    assert cycle.wait_verdict(lost, NEW_BOOT, ARMED) == cycle.WaitVerdict(
        1, "done; not preserved: kz1"
    )
    bypassed = replace(good, start=replace(started(good), bypassed=True, summary=None))
    assert cycle.wait_verdict(bypassed, NEW_BOOT, ARMED) == cycle.WaitVerdict(
        1, "start method finished; not preserved: -"
    )
    degraded = Health(armed=True, reasons=("the policy file is invalid",), errors=())
    assert cycle.wait_verdict(good, NEW_BOOT, degraded) == cycle.WaitVerdict(
        2, "done; guard: DEGRADED: the policy file is invalid"
    )


def test_wait_goes_on_until_the_start_method_of_this_boot_has_finished() -> None:
    good = journal(kz1=OK_KZ1, kz2=OK_KZ2)
    assert cycle.wait_verdict(good, None, ARMED) is None
    assert cycle.wait_verdict(None, NEW_BOOT, ARMED) is None
    assert cycle.wait_verdict(good, 3000, ARMED) is None
    running = replace(good, start=replace(started(good), finished=None))
    assert cycle.wait_verdict(running, NEW_BOOT, ARMED) is None
    # The stop method ran in this very boot: it is going down, the record is old.
    down = replace(stopped(good), host_boot_time=NEW_BOOT, resumed_at=None)
    assert cycle.wait_verdict(replace(good, cycle=down), NEW_BOOT, ARMED) is None
    by_hand = replace(down, trigger="manual")
    assert cycle.wait_verdict(replace(good, cycle=by_hand), NEW_BOOT, ARMED) is not None


def plan(*zones: ZonePlan, deadline: float = 900.0) -> StopPlan:
    return StopPlan(deadline=deadline, reserve=60.0, parallel=4, zones=zones, skipped=())


def zone_plan(name: str, expected: float, note: str = "") -> ZonePlan:
    return ZonePlan(
        name=name,
        steps=(Action.SUSPEND,),
        timeouts=(600.0,),
        memory=None,
        expected=expected,
        basis="",
        waits_for=(),
        note=note,
    )


def test_reboot_refusals() -> None:
    assert cycle.reboot_refusals(ARMED, plan(zone_plan("kz1", 10.0))) == []
    degraded = Health(armed=False, reasons=("never armed", "kz1 is not held"), errors=())
    late = plan(zone_plan("kz1", 900.0), zone_plan("kz2", 1.0, "image does not fit"))
    assert cycle.reboot_refusals(degraded, late) == [
        "never armed",
        "kz1 is not held",
        "the stop plan does not fit the deadline: expected 15m of the 14m budget "
        "(kzguard plan stop)",
        "kz2 would not be suspended: image does not fit",
    ]
    # A suspend the budget's fit took on the assumed rate may yet be given back.
    guessed = replace(
        zone_plan(
            "kz3",
            30.0,
            "expected to end at 15m, after the 14m budget: starting with "
            "shutdown, unless this stop's first suspends show it fits",
        ),
        chain_if_fits=((Action.SUSPEND, 600.0), (Action.SHUTDOWN, 180.0)),
    )
    assert cycle.reboot_refusals(ARMED, plan(guessed)) == [
        "kz3 may not be suspended: expected to end at 15m, after the 14m budget: starting "
        "with shutdown, unless this stop's first suspends show it fits"
    ]
    stopping = Health(
        armed=True, reasons=(), errors=(), stop_running="pid 7 (kzguard stop) since 10:00:00"
    )
    assert cycle.reboot_refusals(stopping, plan(zone_plan("kz1", 10.0))) == [
        "a stop is running now: pid 7 (kzguard stop) since 10:00:00; wait for it to end"
    ]


def test_poll_asks_until_answered_and_never_sleeps_past_the_deadline() -> None:
    now = [0.0]
    slept: list[float] = []
    answers: list[Any] = [None, None, cycle.WaitVerdict(0, "done")]

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    found = poll(
        lambda: answers.pop(0), timeout=10.0, interval=4.0, clock=lambda: now[0], sleep=sleep
    )
    assert found == cycle.WaitVerdict(0, "done")
    assert slept == [4.0, 4.0]
    now[0], slept[:] = 0.0, []
    assert poll(lambda: None, timeout=10.0, interval=4.0, clock=lambda: now[0], sleep=sleep) is None
    assert slept == [4.0, 4.0, 2.0]


def test_the_last_cycles_pace_is_shown_and_survives_the_journal() -> None:
    document = journal(kz1=OK_KZ1)
    suspend = PaceRecord("auto", 8, "8 at once to begin", peak=9, end="8 at once: 8 gave 8G/s")
    resume = PaceRecord(3, 3, "3 at once (policy: parallel = 3)")
    assert document.cycle is not None
    assert document.start is not None
    document = replace(
        document,
        cycle=replace(document.cycle, pace=suspend),
        start=replace(started(document), pace=resume),
    )
    document = JournalDocument.from_json(document.to_json())
    assert cycle.last_cycle(document, NEW_BOOT)["pace"] == {
        "suspend": {
            "parallel": "auto",
            "start": 8,
            "why": "8 at once to begin",
            "peak": 9,
            "end": "8 at once: 8 gave 8G/s",
        },
        "resume": {"parallel": 3, "start": 3, "why": "3 at once (policy: parallel = 3)"},
    }
    assert cycle.pace_lines(document) == [
        'last shutdown\'s suspends: parallel = "auto": began 8 at once (8 at once to begin); '
        "at most 9 at once; then 8 at once: 8 gave 8G/s",
        "last boot's resumes: parallel = 3: began 3 at once (3 at once (policy: parallel = 3))",
    ]
    assert cycle.pace_lines(None) == []
    # A boot that resumed nothing shows no pace for it.
    idle = replace(document, start=replace(started(document), pace=replace(resume, peak=0)))
    assert cycle.pace_lines(idle) == [cycle.pace_lines(document)[0]]


def test_a_pace_record_that_is_not_one_is_dropped() -> None:
    assert PaceRecord.from_json(None) is None
    assert PaceRecord.from_json({"parallel": "many", "start": 2}) is None
    assert PaceRecord.from_json({"parallel": 2}) is None
    assert PaceRecord.from_json({"parallel": 2, "start": 2, "why": 7}) == PaceRecord(2, 2, "")


def test_an_auto_paces_changes_of_level_are_shown_and_survive_the_journal() -> None:
    document = journal(kz1=OK_KZ1)
    assert document.cycle is not None
    levels = (
        LevelChange(12.25, 7, "trying 7 at once: 8 gave 8G/s, fewer may do as well"),
        LevelChange(75.0, 8, "8 at once: 8 gave 8G/s, 7 gave 7G/s"),
    )
    suspend = PaceRecord("auto", 8, "8 at once to begin", 8, "8 at once: 8 gave 8G/s", levels)
    document = replace(document, cycle=replace(document.cycle, pace=suspend))
    document = JournalDocument.from_json(document.to_json())
    assert cycle.last_cycle(document, NEW_BOOT)["pace"]["suspend"]["levels"] == [
        {"at": 12.25, "level": 7, "why": "trying 7 at once: 8 gave 8G/s, fewer may do as well"},
        {"at": 75.0, "level": 8, "why": "8 at once: 8 gave 8G/s, 7 gave 7G/s"},
    ]
    assert cycle.pace_lines(document)[:2] == [
        'last shutdown\'s suspends: parallel = "auto": began 8 at once (8 at once to begin); '
        "at most 8 at once; then 8 at once: 8 gave 8G/s",
        "last shutdown's suspends over time: 8 at once, 7 from 12.2s, 8 from 1m15s",
    ]


def test_a_level_change_that_is_not_one_is_dropped_and_the_record_kept() -> None:
    data = {
        "parallel": "auto",
        "start": 4,
        "why": "",
        "levels": [{"at": 3, "level": 5}, {"at": "3", "level": 5}, {"at": 1.0}, "6", None],
    }
    assert PaceRecord.from_json(data) == PaceRecord("auto", 4, "", levels=(LevelChange(3, 5, ""),))
    assert PaceRecord("auto", 4, "").timeline() == ""
    assert PaceRecord.from_json({**data, "levels": {"at": 3, "level": 5}}) == PaceRecord(
        "auto", 4, ""
    )

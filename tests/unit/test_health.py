from __future__ import annotations

from typing import Any

from kzguard.journal.document import (
    ArmedRecord,
    Disarmed,
    JournalDocument,
    ResumedZone,
    StartRecord,
    StopCycle,
)
from kzguard.journal.records import Severity, ZoneRecord, ZoneState
from kzguard.status.health import Health, ZoneSummary, assess


def judged(document: JournalDocument | None, **kwargs: Any) -> Health:
    options: dict[str, Any] = {
        "policy_problems": [],
        "policy_in_force": "/etc/kzguard/policy.toml",
        "journal_problem": None,
        "host_boot_time": 100,
    }
    options.update(kwargs)
    return assess(document, **options)


ARMED = ArmedRecord(host_boot_time=100, running=("kz1",))
# A stop cycle as a stop leaves it half-way: kz1 suspended, kz2's suspend running.
MID_STOP = {
    "kz1": ZoneRecord(ZoneState.SUSPENDED, seconds=3.0),
    "kz2": ZoneRecord(ZoneState.SUSPENDING),
}


def test_armed_for_this_boot_with_nothing_recorded_is_healthy() -> None:
    health = judged(JournalDocument(armed=ARMED))
    assert (health.armed, health.reasons, health.errors, health.exit_status) == (True, (), (), 0)
    assert health.headline == "guard: armed"


def test_each_reason_to_be_degraded() -> None:
    assert judged(None).reasons == (
        "never armed: the start method has not run (svcs -xv site/kzguard)",
    )
    assert judged(JournalDocument(armed=ArmedRecord(host_boot_time=99))).reasons == (
        "not armed since this boot: the start method has not run yet",
    )
    disarmed = judged(
        JournalDocument(armed=ArmedRecord(host_boot_time=100, disarmed=Disarmed(1.0, "3")))
    )
    assert (disarmed.armed, disarmed.reasons) == (
        False,
        ("disarmed: the service was stopped without a shutdown (svcadm enable it)",),
    )
    invalid = judged(
        JournalDocument(armed=ARMED),
        policy_problems=["a", "b"],
        policy_in_force="/p.last-good",
        journal_problem="j",
        service_problems=["s1", "s2"],
    )
    assert invalid.reasons == (
        "the policy file is invalid (2 problem(s)); acting on /p.last-good until it is fixed and refreshed",
        "j",
        "s1",
        "s2",
    )
    assert invalid.exit_status == 2
    assert invalid.headline.startswith("guard: DEGRADED: the policy file is invalid")
    unknown_boot = JournalDocument(armed=ArmedRecord(host_boot_time=5))
    assert judged(unknown_boot, host_boot_time=None).reasons == ()
    not_held = judged(JournalDocument(armed=ARMED), not_held=["kz1", "kz3"])
    assert (not_held.armed, not_held.not_held, not_held.exit_status) == (True, ("kz1", "kz3"), 2)
    assert not_held.reasons == (
        "kz1, kz3 are not held at shutdown: no dependency of svc:/site/kzguard:default on their "
        "instances, so the zones service may shut them down while kzguard suspends them; run as "
        "root: svcadm refresh svc:/site/kzguard:default",
    )


def test_last_shutdown_and_boot_per_zone_errors_and_pending() -> None:
    document = JournalDocument(
        armed=ARMED,
        cycle=StopCycle(
            summary="stop done in 40s: ...",
            zones={
                "kz1": ZoneRecord(ZoneState.SUSPENDED, seconds=36.44),
                "kz2": ZoneRecord(ZoneState.LOST, reason="suspend failed: x"),
                "kz3": ZoneRecord(ZoneState.FAILED),
            },
        ),
        start=StartRecord(
            summary="start done",
            zones={
                "kz1": ResumedZone("resumed (running state preserved)", Severity.OK, 2.0),
                "kz5": ResumedZone(
                    "cold-booted (running state LOST)", Severity.LOST, detail="boot time 1 before"
                ),
            },
        ),
    )
    health = judged(document)
    assert health.zones == {
        "kz1": ZoneSummary("suspended in 36.4s", "resumed (running state preserved) in 2.0s"),
        "kz2": ZoneSummary("lost (suspend failed: x)", "-"),
        "kz3": ZoneSummary("failed", "-"),
        "kz5": ZoneSummary("-", "cold-booted (running state LOST) (boot time 1 before)"),
    }
    assert health.errors == (
        "kz2: lost at the last shutdown",
        "kz3: failed at the last shutdown",
        "kz5: cold-booted (running state LOST) at the last boot",
    )
    assert health.pending == ("kz1",)
    assert (health.exit_status, health.headline) == (1, "guard: armed; 3 error(s) recorded")
    assert (health.last_stop, health.last_start) == ("stop done in 40s: ...", "start done")
    assert document.cycle is not None
    resumed = JournalDocument(
        armed=ARMED, cycle=StopCycle(resumed_at=5.0, zones=document.cycle.zones)
    )
    assert judged(resumed).pending == ()


def test_zones_the_last_shutdown_did_not_touch_say_why_beside_their_last_boot() -> None:
    document = JournalDocument(
        armed=ARMED,
        cycle=StopCycle(
            zones={"kz1": ZoneRecord(ZoneState.SUSPENDED, seconds=3.0)},
            # kz1 carried over from a `kzguard stop` before the shutdown: its record wins.
            skipped={"kz1": "already suspended", "kz2": "already suspended"},
        ),
        start=StartRecord(
            zones={
                "kz2": ResumedZone(
                    "left alone", Severity.LEFT, detail="already suspended when the stop ran, ..."
                )
            }
        ),
    )
    health = judged(document)
    assert health.zones == {
        "kz1": ZoneSummary("suspended in 3.0s", "-"),
        "kz2": ZoneSummary(
            "not touched: already suspended",
            "left alone (already suspended when the stop ran, ...)",
        ),
    }
    assert (health.errors, health.pending, health.exit_status) == ((), ("kz1",), 0)


def test_records_another_version_or_a_hand_edit_left_are_shown_as_they_are() -> None:
    # Raw on purpose: journal.json as a crash, a hand edit or another version left it.
    document = JournalDocument.from_json(
        {
            "armed": {"host_boot_time": 100},
            "cycle": {
                "zones": {
                    "kz1": {"state": "resuming", "seconds": "soon"},
                    "kz2": {},
                    "kz3": "garbage",
                }
            },
            "resume": {"zones": {"kz1": {"severity": "dire", "seconds": 0}}},
        }
    )
    health = judged(document)
    assert health.zones == {"kz1": ZoneSummary("resuming", "?"), "kz2": ZoneSummary("?", "-")}
    assert (health.errors, health.pending) == ((), ())


def test_a_bypassed_shutdown_is_an_error() -> None:
    health = judged(
        JournalDocument(
            armed=ARMED, start=StartRecord(bypassed=True, note="the host went down without kzguard")
        )
    )
    assert health.errors == ("the host went down without kzguard",)
    assert judged(JournalDocument(armed=ARMED, start=StartRecord(bypassed=True))).errors == (
        "the last shutdown bypassed kzguard",
    )


def test_a_stop_that_did_not_finish_is_an_error_naming_every_zone_that_may_hold_an_image() -> None:
    """The stop method killed half-way (svc.startd's timeout, a power cut during the
    stop that `status` sees after the boot, before the start method): the cycle has no
    end; a zone being suspended may hold an image as much as one suspended."""
    document = JournalDocument(
        armed=ARMED,
        cycle=StopCycle(
            started=50.0,
            zones={
                **MID_STOP,
                "kz3": ZoneRecord(ZoneState.PLANNED),
                "kz4": ZoneRecord(ZoneState.SHUTTING_DOWN),
            },
        ),
    )
    health = judged(document)
    assert health.errors == (
        "the last stop did not finish (killed or cut short): kz1, kz2 may hold a suspend "
        "image; kz3, kz4 were not settled",
    )
    assert health.pending == ("kz1", "kz2")
    assert (health.exit_status, health.headline) == (
        1,
        "guard: armed; the last stop did not finish; 1 error(s) recorded",
    )
    finished = JournalDocument(armed=ARMED, cycle=StopCycle(started=50.0, finished=60.0))
    assert judged(finished).errors == ()
    empty = JournalDocument(armed=ARMED, cycle=StopCycle(started=50.0))
    assert judged(empty).errors == ("the last stop did not finish (killed or cut short)",)


def test_a_stop_with_no_end_that_a_live_stop_holds_the_lock_for_is_running_not_an_error() -> None:
    document = JournalDocument(armed=ARMED, cycle=StopCycle(started=50.0, zones=MID_STOP))
    holder = "pid 4242 (kzguard stop) since 2026-12-06 03:35:05"
    health = judged(document, lock_holder=holder)
    assert (health.errors, health.stop_running, health.stop_unfinished) == ((), holder, False)
    assert health.pending == ("kz1",)  # kz2's suspend is still running
    assert (health.exit_status, health.headline) == (0, "guard: armed")
    # The start method taking the lock does not make a dead stop a running one.
    starting = judged(document, lock_holder="pid 4243 (method start) since 2026-12-06 03:36:00")
    assert starting.stop_running == ""
    assert starting.errors[0].startswith("the last stop did not finish (killed or cut short)")
    # A finished cycle is not running, whoever holds the lock.
    finished = JournalDocument(armed=ARMED, cycle=StopCycle(started=50.0, finished=60.0))
    assert judged(finished, lock_holder=holder).stop_running == ""

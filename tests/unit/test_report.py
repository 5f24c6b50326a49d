from __future__ import annotations

import json

from kzguard.errors import PolicyError, Problem
from kzguard.journal.document import ArmedRecord, JournalDocument, StopCycle
from kzguard.journal.records import StopOutcome, ZoneRecord, ZoneState
from kzguard.policy.model import Policy, ZonePolicy
from kzguard.policy.selection import decide
from kzguard.status.checks import Finding, Level
from kzguard.status.health import Health, ZoneSummary, assess
from kzguard.status.report import (
    check_json,
    check_json_invalid,
    check_summary,
    plan_document,
    plan_text,
    status_json,
    status_table,
    status_text,
    stop_text,
)
from kzguard.stop.outcome import StopReport
from kzguard.stop.plan import StopPlan, plan_stop
from tests.unit.zones import kernel_zone, native_zone, suspended_zone


def test_status_table_lines_up_columns() -> None:
    decisions = decide(Policy(), [kernel_zone("kz1"), suspended_zone("kz22"), native_zone("ngz1")])
    assert status_table(decisions).splitlines() == [
        "NAME  STATUS     AUXILIARY  BRAND       ACTION   WHY",
        "kz1   running    -          solaris-kz  suspend  select.auto: kernel zone with a suspend resource",
        "kz22  installed  suspended  solaris-kz  suspend  select.auto: kernel zone with a suspend resource",
        "ngz1  running    -          solaris     -        not a kernel zone (brand solaris)",
    ]


def test_status_table_shows_the_step_the_plan_starts_a_zone_with_and_why() -> None:
    # The policy says suspend; the next shutdown halts kz1 (panicked) and shuts kz3
    # down (no suspend resource): the table says what will happen.
    zones = [
        kernel_zone("kz1", aux=("panicked",)),
        kernel_zone("kz2"),
        kernel_zone("kz3", suspend_path=None),
    ]
    policy = Policy(zones={"kz3": ZonePolicy()})
    decisions = decide(policy, zones)
    plan = plan_stop(policy, decisions, {}, {})
    assert status_table(decisions, plan=plan).splitlines() == [
        "NAME  STATUS   AUXILIARY  BRAND       ACTION    WHY",
        "kz1   running  panicked   solaris-kz  halt      panicked: its running state is "
        "already lost and only halt applies",
        "kz2   running  -          solaris-kz  suspend   select.auto: kernel zone with a "
        "suspend resource",
        "kz3   running  -          solaris-kz  shutdown  no suspend resource: starting with "
        "shutdown",
    ]


def test_status_json_has_a_format_version_and_the_guard_state() -> None:
    decisions = decide(Policy(), [suspended_zone("kz1")])
    health = assess(
        JournalDocument(
            armed=ArmedRecord(host_boot_time=7),
            cycle=StopCycle(zones={"kz1": ZoneRecord(ZoneState.SUSPENDED, seconds=3.25)}),
        ),
        policy_problems=[],
        policy_in_force="/p.toml",
        journal_problem=None,
        host_boot_time=7,
    )
    plan = plan_stop(Policy(), decisions, {}, {})
    document = json.loads(status_json(decisions, "/p.toml", health, plan))
    assert document["format"] == 1
    assert document["guard"] == {
        "armed": True,
        "degraded": [],
        "errors": [],
        "pending_resume": ["kz1"],
        "not_held": [],
        "last_shutdown": "",
        "last_boot": "",
        "stop_running": None,
        "exit_status": 0,
    }
    assert document["next_shutdown"]["zones"] == []
    assert document["zones"] == [
        {
            "name": "kz1",
            "brand": "solaris-kz",
            "state": "installed",
            "auxiliary_states": ["suspended"],
            "managed": True,
            "action": "suspend",
            "reason": "select.auto: kernel zone with a suspend resource",
            "last_shutdown": "suspended in 3.2s",
            "last_boot": "-",
            "last_boot_proof": None,
        }
    ]


def test_check_summary_and_json() -> None:
    decisions = decide(Policy(), [kernel_zone("kz1"), kernel_zone("kz2"), native_zone("ngz1")])
    findings = [Finding(Level.WARNING, "kz1", "w"), Finding(Level.NOTE, "kz2", "n")]
    assert (
        check_summary(decisions, findings)
        == "2 zones managed (kz1, kz2); 0 errors; 1 warning; 1 note"
    )
    assert check_summary(decisions[2:], []) == "0 zones managed; 0 errors; 0 warnings; 0 notes"
    assert json.loads(check_json(decisions, findings, None)) == {
        "format": 1,
        "policy": None,
        "managed": ["kz1", "kz2"],
        "findings": [
            {"level": "warning", "zone": "kz1", "message": "w"},
            {"level": "note", "zone": "kz2", "message": "n"},
        ],
    }


def test_check_json_of_an_invalid_file_lists_each_problem_as_an_error_about_no_zone() -> None:
    error = PolicyError(
        "/etc/kzguard/policy.toml",
        [Problem("shutdown.parallel", "must be 1 or more, got 0", 7, 12), Problem("", "bad")],
    )
    assert json.loads(check_json_invalid(error)) == {
        "format": 1,
        "policy": "/etc/kzguard/policy.toml",
        "managed": [],
        "findings": [
            {
                "level": "error",
                "zone": None,
                "message": "/etc/kzguard/policy.toml:7:12: shutdown.parallel: must be 1 or more, got 0",
            },
            {"level": "error", "zone": None, "message": "/etc/kzguard/policy.toml: bad"},
        ],
    }


# -- status, plan and stop text as the operator reads them ----------------------


def test_status_text_shows_the_last_cycles_errors_pending_resumes_and_the_next_shutdown() -> None:
    decisions = decide(Policy(), [suspended_zone("kz1"), kernel_zone("kz2")])
    health = Health(
        armed=True,
        reasons=(),
        errors=("kz3: cold-booted (running state LOST)",),
        zones={"kz1": ZoneSummary("suspended in 3.2s", "-")},
        pending=("kz1",),
        last_stop="init 6 at boot 7: 1 suspended",
        last_start="boot 8: 1 resumed",
    )
    plan = plan_stop(Policy(), decisions, {}, {})
    assert status_text(decisions, None, health, plan).splitlines() == [
        "guard: armed; 1 error(s) recorded",
        "policy: (built-in defaults)",
        "last shutdown: init 6 at boot 7: 1 suspended",
        "last boot: boot 8: 1 resumed",
        "error: kz3: cold-booted (running state LOST)",
        "pending resume: kz1",
        "next shutdown: 1 zone(s), expected 16s of the 14m budget (fits)",
        "next suspends: 8 at once to begin: no suspend measured yet, then by measurement "
        '(parallel = "auto")',
        "next resumes: 8 at once to begin: no resume measured yet, then by measurement "
        '(parallel = "auto")',
        "NAME  STATUS     AUXILIARY  BRAND       ACTION   LAST SHUTDOWN      LAST BOOT  WHY",
        "kz1   installed  suspended  solaris-kz  suspend  suspended in 3.2s  -          "
        "select.auto: kernel zone with a suspend resource",
        "kz2   running    -          solaris-kz  suspend  -                  -          "
        "select.auto: kernel zone with a suspend resource",
    ]


def test_status_text_of_a_quiet_host_has_no_cycle_lines() -> None:
    health = Health(armed=False, reasons=("never armed",), errors=())
    plan = plan_stop(Policy(), [], {}, {})
    assert status_text([], "/etc/kzguard/policy.toml", health, plan).splitlines() == [
        "guard: DEGRADED: never armed",
        "policy: /etc/kzguard/policy.toml",
        "next shutdown: 0 zone(s), expected 0s of the 15m budget (fits)",
        'next suspends: 8 at once: no suspend planned, nothing to measure (parallel = "auto")',
        "next resumes: 8 at once to begin: no resume measured yet, then by measurement "
        '(parallel = "auto")',
        "NAME  STATUS  AUXILIARY  BRAND  ACTION  LAST SHUTDOWN  LAST BOOT  WHY",
    ]


def test_plan_text_without_zones_lists_only_what_is_not_touched() -> None:
    plan = plan_stop(Policy(), decide(Policy(), [native_zone("ngz1")]), {}, {})
    assert plan_text(plan).splitlines() == [
        "stop plan: 0 zones, 8 at a time; deadline 15m with 0s kept for halts; expected 0s (fits)",
        'suspends: 8 at once: no suspend planned, nothing to measure (parallel = "auto")',
        "resumes: 8 at once to begin: no resume measured yet, then by measurement "
        '(parallel = "auto")',
    ]


def test_stop_text_gives_each_zone_its_end_state_duration_and_reason() -> None:
    report = StopReport(
        outcomes=[
            StopOutcome("kz1", ZoneState.SUSPENDED, 42.0),
            StopOutcome("kz2", ZoneState.SHUT_DOWN, 75.5, "suspend failed: no space"),
            StopOutcome("kz3", ZoneState.FAILED, 900.0, "halt timed out"),
        ],
        elapsed=901.0,
    )
    assert stop_text(report).splitlines() == [
        "kz1: suspended in 42s",
        "kz2: shut-down in 1m16s (suspend failed: no space)",
        "kz3: failed (halt timed out)",
        "stop done in 15m1s: 1 suspended, 1 shut down, 0 halted, 0 lost, 1 failed",
    ]


def test_status_text_shows_the_last_cycles_downtime_per_zone_and_in_all() -> None:
    decisions = decide(Policy(), [kernel_zone("kz1"), kernel_zone("kz2"), kernel_zone("kz3")])
    health = Health(
        armed=True,
        reasons=(),
        errors=(),
        zones={"kz1": ZoneSummary("suspended in 3.2s", "resumed in 4.0s")},
        last_stop="init 6 at boot 7: 2 suspended",
        last_start="boot 8: 2 resumed",
    )
    plan = plan_stop(Policy(), decisions, {}, {})
    # As status/cycle.py's last_cycle gives them: kz3 was not brought back.
    last_cycle = {
        "zones": {
            "kz1": {"downtime_seconds": 80.25},
            "kz2": {"downtime_seconds": 95.0},
            "kz3": {"downtime_seconds": None},
        }
    }
    text = status_text(decisions, None, health, plan, last_cycle=last_cycle)
    why = "select.auto: kernel zone with a suspend resource"
    assert text.splitlines()[3:5] == [
        "last boot: boot 8: 2 resumed",
        "last cycle downtime: 2m55s in all over 2 zones, mean 1m28s, longest 1m35s (kz2)",
    ]
    assert text.splitlines()[6:] == [
        "next suspends: 8 at once to begin: no suspend measured yet, then by measurement "
        '(parallel = "auto")',
        "next resumes: 8 at once to begin: no resume measured yet, then by measurement "
        '(parallel = "auto")',
        "NAME  STATUS   AUXILIARY  BRAND       ACTION   LAST SHUTDOWN      LAST BOOT        "
        "DOWNTIME  WHY",
        f"kz1   running  -          solaris-kz  suspend  suspended in 3.2s  resumed in 4.0s  "
        f"1m20s     {why}",
        f"kz2   running  -          solaris-kz  suspend  -                  -                "
        f"1m35s     {why}",
        f"kz3   running  -          solaris-kz  suspend  -                  -                "
        f"-         {why}",
    ]


def test_a_single_downtime_is_its_own_mean_and_longest() -> None:
    health = Health(armed=True, reasons=(), errors=())
    plan = plan_stop(Policy(), [], {}, {})
    last_cycle = {"zones": {"kz1": {"downtime_seconds": 12.5}}}
    assert status_text([], None, health, plan, last_cycle=last_cycle).splitlines()[2] == (
        "last cycle downtime: 12.5s in all over 1 zone, mean 12.5s, longest 12.5s (kz1)"
    )


def test_a_plan_without_pace_decisions_shows_none() -> None:
    plan = StopPlan(deadline=60.0, reserve=0.0, parallel=3, zones=(), skipped=())
    assert plan_text(plan).splitlines() == [
        "stop plan: 0 zones, 3 at a time; deadline 1m with 0s kept for halts; expected 0s (fits)"
    ]
    health = Health(armed=True, reasons=(), errors=())
    assert "at once" not in status_text([], None, health, plan)
    assert plan_document(plan)["pace"] == {}

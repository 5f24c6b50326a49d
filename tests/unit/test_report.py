from __future__ import annotations

import json

from kzguard.checks import Finding, Level
from kzguard.health import assess
from kzguard.plan import plan_stop
from kzguard.policy import Policy
from kzguard.report import check_json, check_summary, status_json, status_table
from kzguard.selection import decide
from tests.unit.zones import kernel_zone, native_zone, suspended_zone


def test_status_table_lines_up_columns() -> None:
    decisions = decide(Policy(), [kernel_zone("kz1"), suspended_zone("kz22"), native_zone("ngz1")])
    assert status_table(decisions).splitlines() == [
        "NAME  STATUS     AUXILIARY  BRAND       ACTION   WHY",
        "kz1   running    -          solaris-kz  suspend  select.auto: kernel zone with a suspend resource",
        "kz22  installed  suspended  solaris-kz  suspend  select.auto: kernel zone with a suspend resource",
        "ngz1  running    -          solaris     -        not a kernel zone (brand solaris)",
    ]


def test_status_json_has_a_format_version_and_the_guard_state() -> None:
    decisions = decide(Policy(), [suspended_zone("kz1")])
    health = assess(
        {
            "armed": {"host_boot_time": 7},
            "cycle": {"zones": {"kz1": {"state": "suspended", "seconds": 3.25}}},
        },
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
        "last_shutdown": "",
        "last_boot": "",
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

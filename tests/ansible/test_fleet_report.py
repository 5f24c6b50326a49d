"""The fleet report's filters (ansible/kzguard/plugins/filter/fleet.py), pure: each
host's outcome from what the playbook recorded, the totals, and the table."""

from __future__ import annotations

import importlib.util
from types import ModuleType
from typing import Any

import pytest

from tests.ansible.conftest import COLLECTION


def load_filters() -> ModuleType:
    path = COLLECTION / "plugins" / "filter" / "fleet.py"
    spec = importlib.util.spec_from_file_location("kzguard_fleet_filters", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fleet = load_filters()


def zone(verdict: str, downtime: float | None, result: str = "r") -> dict[str, Any]:
    return {
        "verdict": verdict,
        "result": result,
        "proof": None,
        "suspend_seconds": 1.0,
        "resume_seconds": 2.0,
        "downtime_seconds": downtime,
    }


def rebooted(zones: dict[str, Any], problems: tuple[str, ...] = ()) -> dict[str, Any]:
    cycle = {"id": "1.000@2", "stop_started": 100.0, "start_finished": 190.25, "zones": zones}
    return {
        "stage": "reboot",
        "cycle": cycle,
        "problems": list(problems),
        "orchestration_seconds": 95,
    }


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "-"),
        (0.04, "0.0s"),
        (59.94, "59.9s"),
        (59.96, "1m00s"),
        (125, "2m05s"),
        (3725, "1h02m"),
    ],
)
def test_format_seconds(seconds: float | None, text: str) -> None:
    assert fleet.format_seconds(seconds) == text


def test_report_and_table_of_a_rollout_stopped_by_a_lost_zone() -> None:
    hostvars = {
        "a": {
            "kzguard_rolling_result": rebooted(
                {"kz1": zone("preserved", 80.5), "kz2": zone("booted", 70)}
            )
        },
        "b": {
            "kzguard_rolling_result": rebooted(
                {"kz1": zone("lost", None), "kz2": zone("preserved", 3)}, ("kz1: lost: x",)
            )
        },
        "c": {"kzguard_rolling_result": {"stage": "pre-flight", "problems": []}},
        "d": {"other": 1},
    }
    report = fleet.FilterModule().filters()["kzguard_fleet_report"](
        hostvars, ["a", "b", "c", "d", "e"]
    )
    assert [(h["host"], h["outcome"]) for h in report["hosts"]] == [
        ("a", "preserved"),
        ("b", "lost"),
        ("c", "not rebooted"),
        ("d", "not reached"),
        ("e", "not reached"),
    ]
    assert (report["complete"], report["stopped_by"]) == (False, ["b"])
    assert report["totals"] == {
        "hosts": 5,
        "rebooted": 2,
        "not_reached": 2,
        "zones_preserved": 2,
        "zones_booted": 1,
        "zones_lost": 1,
        "zones_failed": 0,
    }
    a = report["hosts"][0]
    assert (a["cycle_seconds"], a["downtime_total_seconds"], a["downtime_max_seconds"]) == (
        90.25,
        150.5,
        80.5,
    )
    assert (a["preserved"], a["booted"], a["other"], a["zone_count"]) == (["kz1"], ["kz2"], [], 2)
    assert a["orchestration_seconds"] == 95
    assert fleet.kzguard_fleet_table(report).split("\n") == [
        "HOST  OUTCOME       PRESERVED  LOST  FAILED  CYCLE  DOWNTIME  ZONE DOWNTIME",
        "a     preserved     1          0     0       1m30s  2m30s     kz1 1m20s, kz2 1m10s",
        "b     lost          1          1     0       1m30s  3.0s      kz1 LOST, kz2 3.0s",
        "c     not rebooted  -          -     -       -      -         -",
        "d     not reached   -          -     -       -      -         -",
        "e     not reached   -          -     -       -      -         -",
        "b: kz1: lost: x",
        "5 host(s): 2 rebooted, 2 not reached; zones: 2 preserved, 1 lost, 0 failed; "
        "rollout stopped by b",
    ]


def test_outcomes_of_refusals_failures_and_zones_not_settled() -> None:
    results: dict[str, dict[str, Any]] = {
        "refused": {"stage": "pre-flight", "problems": ["degraded: never armed"]},
        "unreachable": {
            "stage": "reboot",
            "cycle": {},
            "problems": ["the host did not come back within 60s"],
        },
        "pending": rebooted({"kz1": zone("pending", None)}),
        "failed": rebooted({"kz1": zone("failed", None)}),
        "complete": rebooted({}),
    }
    hostvars = {name: {"kzguard_rolling_result": result} for name, result in results.items()}
    report = fleet.kzguard_fleet_report(hostvars, list(results))
    outcomes = {h["host"]: h["outcome"] for h in report["hosts"]}
    assert outcomes == {
        "refused": "refused",
        "unreachable": "failed",
        "pending": "failed",
        "failed": "failed",
        "complete": "preserved",
    }
    # Every host was reached (max_fail_percentage let the batches go on): the rollout
    # stopped at none of them, it went on past them (found by review).
    assert report["stopped_by"] == []
    assert report["problem_hosts"] == ["refused", "unreachable", "pending", "failed"]
    assert report["totals"]["rebooted"] == 4
    assert fleet.kzguard_fleet_table(report).split("\n")[-1] == (
        "5 host(s): 4 rebooted, 0 not reached; zones: 0 preserved, 0 lost, 1 failed; "
        "rollout went on past refused, unreachable, pending, failed"
    )
    # A host whose pkg update failed reached the reboot stage but never rebooted.
    results["unreachable"] = {**results["unreachable"], "rebooted": False}
    hostvars = {name: {"kzguard_rolling_result": result} for name, result in results.items()}
    assert fleet.kzguard_fleet_report(hostvars, list(results))["totals"]["rebooted"] == 3
    assert report["hosts"][2]["other"] == ["kz1"]
    assert fleet.kzguard_fleet_table(fleet.kzguard_fleet_report({}, [])).split("\n") == [
        "HOST  OUTCOME  PRESERVED  LOST  FAILED  CYCLE  DOWNTIME  ZONE DOWNTIME",
        "0 host(s): 0 rebooted, 0 not reached; zones: 0 preserved, 0 lost, 0 failed; rollout complete",
    ]

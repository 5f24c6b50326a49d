"""The module kzguard.fleet.kzguard_status, run as Ansible runs a module (its file,
with its arguments in a JSON file) against simulated hosts: the document as facts,
check mode, and a clear failure when kzguard is missing or degraded."""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

from kzguard.sim.state import SimHost
from tests.ansible.conftest import COLLECTION, KZGUARD
from tests.ansible.test_rolling_reboot import armed
from tests.integration.conftest import apply_manifest
from tests.support import write_policy

MODULE = COLLECTION / "plugins" / "modules" / "kzguard_status.py"
kzguard_status = runpy.run_path(str(MODULE), run_name="kzguard_status")
NEVER_ARMED = "never armed: the start method has not run (svcs -xv site/kzguard)"


def run_module(tmp_path: Path, **arguments: Any) -> dict[str, Any]:
    path = tmp_path / "arguments.json"
    path.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": arguments}), encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, str(MODULE), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    result: dict[str, Any] = json.loads(completed.stdout)
    assert completed.returncode == (1 if result.get("failed") else 0)
    return result


def test_returns_the_status_document_as_facts_in_check_mode_too(
    host: SimHost, tmp_path: Path
) -> None:
    armed(host)
    policy = str(host.policy_path)
    result = run_module(
        tmp_path, kzguard=str(KZGUARD), policy=policy, preflight=True, _ansible_check_mode=True
    )
    assert ("failed" in result, result["changed"], result["refusals"]) == (False, False, [])
    assert (result["armed"], result["degraded"], result["exit_status"]) == (True, [], 0)
    assert result["cmd"] == [str(KZGUARD), "-c", policy, "status", "--json"]
    document = result["status"]
    assert result["ansible_facts"] == {"kzguard_status": document}
    assert (document["format"], document["guard"]["armed"]) == (1, True)
    assert result["last_cycle"] == document["last_cycle"]
    assert result["host_boot_time"] == host.read()["host_boot_time"]


def test_fails_when_kzguard_is_missing(tmp_path: Path) -> None:
    missing = str(tmp_path / "bin" / "kzguard")
    result = run_module(tmp_path, kzguard=missing)
    assert (result["failed"], result["msg"]) == (
        True,
        f"kzguard is not installed here: no executable {missing} (install the package "
        "system/kzguard, or set the kzguard option)",
    )


def test_fails_when_the_guard_is_degraded_unless_told_not_to(host: SimHost, tmp_path: Path) -> None:
    apply_manifest(host)  # installed, never armed
    policy = str(host.policy_path)
    result = run_module(tmp_path, kzguard=str(KZGUARD), policy=policy)
    assert (result["failed"], result["msg"]) == (True, f"kzguard is degraded: {NEVER_ARMED}")
    assert (result["exit_status"], result["armed"], result["degraded"]) == (2, False, [NEVER_ARMED])

    assert "refusals" not in result
    watched = run_module(
        tmp_path, kzguard=str(KZGUARD), policy=policy, fail_on_degraded=False, preflight=True
    )
    assert "failed" not in watched
    assert watched["refusals"] == [f"degraded: {NEVER_ARMED}"]
    assert (watched["exit_status"], watched["armed"], watched["degraded"]) == (
        2,
        False,
        [NEVER_ARMED],
    )


def test_fails_with_kzguards_message_when_the_command_fails(host: SimHost, tmp_path: Path) -> None:
    missing = tmp_path / "missing" / "zoneadm"
    write_policy(host, zoneadm=missing)
    result = run_module(tmp_path, kzguard=str(KZGUARD), policy=str(host.policy_path))
    assert (result["failed"], result["exit_status"]) == (True, 3)
    assert result["msg"].startswith(
        f"kzguard status failed (exit 3): kzguard: {missing} list -cp: cannot run {missing}: "
        "no such file\n"
    )


def test_preflight_refuses_what_kzguard_reboot_refuses() -> None:
    document = {
        "guard": {"degraded": ["kz3 is not held at shutdown"]},
        "next_shutdown": {
            "fits": False,
            "predicted_makespan": 812.5,
            "budget": 570,
            "zones": [
                {"zone": "kz1", "note": None},
                {"zone": "kz2", "note": "no suspend location"},
                {"zone": "kz4", "note": "", "at_risk": "expected suspend 17m4s ..."},
            ],
        },
    }
    assert kzguard_status["refusals"](document) == [
        "degraded: kz3 is not held at shutdown",
        "the stop plan does not fit its deadline: expected 812.5s of the 570s budget",
        "kz2 would not be suspended: no suspend location",
        "kz4 may not be suspended: expected suspend 17m4s ...",
    ]
    fits = {"guard": {"degraded": []}, "next_shutdown": {"fits": True, "zones": []}}
    assert kzguard_status["refusals"](fits) == []
    # kzguard reboot refuses while a kzguard stop runs (found by review).
    stopping = {
        "guard": {"degraded": [], "stop_running": "pid 7 (kzguard stop) since 10:00:00"},
        "next_shutdown": {"fits": True, "zones": []},
    }
    assert kzguard_status["refusals"](stopping) == [
        "a stop is running now: pid 7 (kzguard stop) since 10:00:00; wait for it to end"
    ]

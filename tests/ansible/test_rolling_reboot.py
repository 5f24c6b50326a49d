"""The playbook kzguard.fleet.rolling_reboot over simulated hosts, each rebooted by
the real ``kzguard reboot`` (the simulated init 6: stop methods, the power cycle, the
start method): a clean fleet goes through; a host that loses a zone stops the
rollout after its batch and the report names it; a refusal at pre-flight stops a
batch before any of its hosts reboots."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from kzguard.sim.state import SimHost
from tests.ansible.conftest import (
    KZGUARD,
    extra_vars,
    host_vars,
    run_playbook,
    write_inventory,
)
from tests.conftest import MakeHost
from tests.integration.conftest import apply_manifest
from tests.support import FAST_RATES, write_policy

PRESERVED = "resumed (running state preserved)"
WAITS = {
    "kzguard_rolling_poll_seconds": 0.2,
    "kzguard_rolling_reboot_timeout": 120,
    "kzguard_rolling_wait_timeout": 120,
}


def armed(host: SimHost) -> SimHost:
    """kzguard's manifest imported and its start method run, as after an install."""
    apply_manifest(host)
    started = subprocess.run(
        [str(KZGUARD), "-q", "-c", str(host.policy_path), "method", "start"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert started.returncode == 0, started.stderr
    return host


def inits(host: SimHost) -> int:
    """How many times init ran on ``host``."""
    lines = (host.path / "commands.log").read_text().splitlines()
    return sum(1 for e in map(json.loads, lines) if e["event"] == "start" and e["tool"] == "init")


def play(
    tmp_path: Path, env: dict[str, str], hosts: dict[str, SimHost], serial: int
) -> tuple[Any, dict[str, Any], list[str]]:
    inventory = write_inventory(
        tmp_path / "inventory.yml", {name: host_vars(host) for name, host in hosts.items()}
    )
    report = tmp_path / "fleet-report.json"
    played = run_playbook(
        env,
        inventory,
        "kzguard.fleet.rolling_reboot",
        *extra_vars(
            kzguard_rolling_serial=serial, kzguard_rolling_report_json=str(report), **WAITS
        ),
        cwd=tmp_path,
    )
    return played, json.loads(report.read_text()), table(played.stdout)


def table(stdout: str) -> list[str]:
    """The last fleet table the play printed, one string a line."""
    start = stdout.rindex('"msg": [\n        "HOST ')
    block = stdout[start + len('"msg": ') : stdout.index("\n    ]", start) + 6]
    return list(json.loads(block))


def zone_lines(report: dict[str, Any]) -> dict[str, tuple[str, dict[str, str]]]:
    return {
        line["host"]: (line["outcome"], {z: v["verdict"] for z, v in line["zones"].items()})
        for line in report["hosts"]
    }


def test_a_clean_fleet_goes_through_in_one_batch(
    make_host: MakeHost, ansible_env: dict[str, str], tmp_path: Path
) -> None:
    hosts = {n: armed(make_host(n, zones=2, rates=FAST_RATES, policy="")) for n in ("h1", "h2")}
    boots = {name: host.read()["host_boot_time"] for name, host in hosts.items()}

    played, report, lines = play(tmp_path, ansible_env, hosts, serial=2)

    assert played.status == 0, played.stdout + played.stderr
    for name, host in hosts.items():
        assert played.recap(name)["failed"] == 0
        assert (inits(host), host.read()["host_boot_time"] != boots[name]) == (1, True)
    assert (report["format"], report["complete"], report["stopped_by"]) == (1, True, [])
    assert report["totals"] == {
        "hosts": 2,
        "rebooted": 2,
        "not_reached": 0,
        "zones_preserved": 4,
        "zones_booted": 0,
        "zones_lost": 0,
        "zones_failed": 0,
    }
    assert zone_lines(report) == {
        name: ("preserved", {"kz1": "preserved", "kz2": "preserved"}) for name in hosts
    }
    for line in report["hosts"]:
        assert {z["result"] for z in line["zones"].values()} == {PRESERVED}
        assert line["problems"] == []
        zone_downtimes = [z["downtime_seconds"] for z in line["zones"].values()]
        assert line["downtime_total_seconds"] == round(sum(zone_downtimes), 3)
        assert (
            0
            < line["downtime_max_seconds"]
            <= line["cycle_seconds"]
            < line["orchestration_seconds"]
        )
    assert lines[0].split() == [
        "HOST",
        "OUTCOME",
        "PRESERVED",
        "LOST",
        "FAILED",
        "CYCLE",
        "DOWNTIME",
        "ZONE",
        "DOWNTIME",
    ]
    assert [line.split()[:5] for line in lines[1:3]] == [
        ["h1", "preserved", "2", "0", "0"],
        ["h2", "preserved", "2", "0", "0"],
    ]
    assert lines[3] == (
        "2 host(s): 2 rebooted, 0 not reached; zones: 4 preserved, 0 lost, 0 failed; "
        "rollout complete"
    )


def test_a_lost_zone_stops_the_rollout_after_its_batch(
    make_host: MakeHost, ansible_env: dict[str, str], tmp_path: Path
) -> None:
    hosts = {n: make_host(n, zones=2, rates=FAST_RATES, policy="") for n in ("h1", "h2")}
    # h1's kz2 cannot resume; its policy boots such a zone fresh: the state is lost
    write_policy(hosts["h1"], '[resume]\non_failure = "fresh-boot"\n')
    for host in hosts.values():
        armed(host)
    subprocess.run(
        [str(KZGUARD), "sim", "fault", str(hosts["h1"].path), "kz2", "resume", "corrupt"],
        check=True,
        timeout=60,
    )
    boot_h2 = hosts["h2"].read()["host_boot_time"]

    played, report, lines = play(tmp_path, ansible_env, hosts, serial=1)

    assert played.status == 2
    assert played.recap("h1")["failed"] == 1
    assert "h2" not in played.stdout.split("PLAY RECAP", 1)[1]
    assert (inits(hosts["h1"]), inits(hosts["h2"])) == (1, 0)
    assert hosts["h2"].read()["host_boot_time"] == boot_h2
    assert (report["complete"], report["stopped_by"]) == (False, ["h1"])
    assert zone_lines(report) == {
        "h1": ("lost", {"kz1": "preserved", "kz2": "lost"}),
        "h2": ("not reached", {}),
    }
    h1 = report["hosts"][0]
    assert (h1["preserved"], h1["lost"]) == (["kz1"], ["kz2"])
    assert h1["zones"]["kz2"]["result"] == "booted fresh after a failed resume (running state LOST)"
    wait, cycle = h1["problems"]
    assert wait.startswith("kzguard wait: exit 1: start done in ")
    assert wait.endswith(": 1 preserved, 1 lost, 0 failed, 0 left alone; not preserved: kz2")
    assert cycle == "kz2: lost: booted fresh after a failed resume (running state LOST)"
    assert [line.split()[:5] for line in lines[1:3]] == [
        ["h1", "lost", "1", "1", "0"],
        ["h2", "not", "reached", "-", "-"],
    ]
    assert lines[1].endswith("kz2 LOST")
    assert lines[3:] == [
        f"h1: {wait}",
        f"h1: {cycle}",
        "2 host(s): 1 rebooted, 1 not reached; zones: 1 preserved, 1 lost, 0 failed; "
        "rollout stopped by h1",
    ]
    failure = next(line for line in played.stdout.splitlines() if line.startswith("fatal: [h1]"))
    assert json.loads(failure.split(" => ", 1)[1])["msg"] == f"{wait}; {cycle}"


def test_a_refusal_at_pre_flight_stops_the_batch_before_any_reboot(
    make_host: MakeHost, ansible_env: dict[str, str], tmp_path: Path
) -> None:
    hosts = {"h1": armed(make_host("h1", zones=2, rates=FAST_RATES, policy=""))}
    hosts["h2"] = make_host("h2", zones=2, rates=FAST_RATES, policy="")  # never armed

    played, report, lines = play(tmp_path, ansible_env, hosts, serial=2)

    assert played.status == 2
    assert [inits(host) for host in hosts.values()] == [0, 0]
    assert zone_lines(report) == {"h1": ("not rebooted", {}), "h2": ("refused", {})}
    assert (report["complete"], report["stopped_by"]) == (False, ["h2"])
    assert report["hosts"][1]["problems"] == [
        "degraded: never armed: the start method has not run (svcs -xv site/kzguard)"
    ]
    assert lines[-1] == (
        "2 host(s): 0 rebooted, 0 not reached; zones: 0 preserved, 0 lost, 0 failed; "
        "rollout stopped by h2"
    )


def test_check_mode_runs_the_pre_flight_only(
    make_host: MakeHost, ansible_env: dict[str, str], tmp_path: Path
) -> None:
    hosts = {"h1": armed(make_host("h1", zones=2, rates=FAST_RATES, policy=""))}
    inventory = write_inventory(tmp_path / "inventory.yml", {"h1": host_vars(hosts["h1"])})
    report = tmp_path / "fleet-report.json"
    played = run_playbook(
        ansible_env,
        inventory,
        "kzguard.fleet.rolling_reboot",
        "--check",
        *extra_vars(kzguard_rolling_report_json=str(report), **WAITS),
        cwd=tmp_path,
    )
    assert played.status == 0, played.stdout + played.stderr
    assert inits(hosts["h1"]) == 0
    assert zone_lines(json.loads(report.read_text())) == {"h1": ("not rebooted", {})}
    assert table(played.stdout)[-1] == (
        "1 host(s): 0 rebooted, 0 not reached; zones: 0 preserved, 0 lost, 0 failed"
    )

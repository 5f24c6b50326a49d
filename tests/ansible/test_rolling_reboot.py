"""The playbook kzguard.fleet.rolling_reboot over simulated hosts, each rebooted by
the real ``kzguard reboot`` (the simulated init 6: stop methods, the power cycle, the
start method): in one rollout a clean host goes through while a host of the same
batch loses a zone, which stops the rollout after that batch and the report names
it; a refusal at pre-flight stops a batch before any of its hosts reboots; check
mode runs the pre-flight only.  One ansible-playbook run each: they are the slow
tests of the suite."""

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


def test_a_clean_host_goes_through_and_a_lost_zone_stops_the_rollout_after_its_batch(
    make_host: MakeHost, ansible_env: dict[str, str], tmp_path: Path
) -> None:
    hosts = {n: make_host(n, zones=2, rates=FAST_RATES, policy="") for n in ("h1", "h2", "h3")}
    # h2's kz2 cannot resume; its policy boots such a zone fresh: the state is lost
    write_policy(hosts["h2"], '[resume]\non_failure = "fresh-boot"\n')
    for host in hosts.values():
        armed(host)
    subprocess.run(
        [str(KZGUARD), "sim", "fault", str(hosts["h2"].path), "kz2", "resume", "corrupt"],
        check=True,
        timeout=60,
    )
    boots = {name: host.read()["host_boot_time"] for name, host in hosts.items()}

    # batch 1: h1 and h2 at once; batch 2 (h3) never starts
    played, report, lines = play(tmp_path, ansible_env, hosts, serial=2)

    assert played.status == 2, played.stdout + played.stderr
    assert (played.recap("h1")["failed"], played.recap("h2")["failed"]) == (0, 1)
    assert "h3" not in played.stdout.split("PLAY RECAP", 1)[1]
    assert [inits(host) for host in hosts.values()] == [1, 1, 0]
    assert [host.read()["host_boot_time"] != boots[n] for n, host in hosts.items()] == [
        True,
        True,
        False,
    ]
    assert (report["format"], report["complete"], report["stopped_by"]) == (1, False, ["h2"])
    assert report["totals"] == {
        "hosts": 3,
        "rebooted": 2,
        "not_reached": 1,
        "zones_preserved": 3,
        "zones_booted": 0,
        "zones_lost": 1,
        "zones_failed": 0,
    }
    assert zone_lines(report) == {
        "h1": ("preserved", {"kz1": "preserved", "kz2": "preserved"}),
        "h2": ("lost", {"kz1": "preserved", "kz2": "lost"}),
        "h3": ("not reached", {}),
    }
    h1, h2, _ = report["hosts"]
    assert {z["result"] for z in h1["zones"].values()} == {PRESERVED}
    assert h1["problems"] == []
    zone_downtimes = [z["downtime_seconds"] for z in h1["zones"].values()]
    assert h1["downtime_total_seconds"] == round(sum(zone_downtimes), 3)
    assert 0 < h1["downtime_max_seconds"] <= h1["cycle_seconds"] < h1["orchestration_seconds"]
    assert (h2["preserved"], h2["lost"]) == (["kz1"], ["kz2"])
    assert h2["zones"]["kz2"]["result"] == "booted fresh after a failed resume (running state LOST)"
    wait, cycle = h2["problems"]
    assert wait.startswith("kzguard wait: exit 1: start done in ")
    assert wait.endswith(": 1 preserved, 1 lost, 0 failed, 0 left alone; not preserved: kz2")
    assert cycle == "kz2: lost: booted fresh after a failed resume (running state LOST)"
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
    assert [line.split()[:5] for line in lines[1:4]] == [
        ["h1", "preserved", "2", "0", "0"],
        ["h2", "lost", "1", "1", "0"],
        ["h3", "not", "reached", "-", "-"],
    ]
    assert lines[2].endswith("kz2 LOST")
    assert lines[4:] == [
        f"h2: {wait}",
        f"h2: {cycle}",
        "3 host(s): 2 rebooted, 1 not reached; zones: 3 preserved, 1 lost, 0 failed; "
        "rollout stopped by h2",
    ]
    failure = next(line for line in played.stdout.splitlines() if line.startswith("fatal: [h2]"))
    assert json.loads(failure.split(" => ", 1)[1])["msg"] == f"{wait}; {cycle}"


def test_a_refusal_at_pre_flight_stops_the_batch_before_any_reboot(
    make_host: MakeHost, ansible_env: dict[str, str], tmp_path: Path
) -> None:
    hosts = {"h1": armed(make_host("h1", zones=2, rates=FAST_RATES, policy=""))}
    hosts["h2"] = make_host("h2", zones=2, rates=FAST_RATES, policy="")
    apply_manifest(hosts["h2"])  # installed, never armed

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


def test_a_host_unreachable_at_pre_flight_stops_the_rollout_before_any_reboot(
    make_host: MakeHost, ansible_env: dict[str, str], tmp_path: Path
) -> None:
    """max_fail_percentage counts failed hosts, not unreachable ones: h2 must fail as
    a refusal, or h1 and the next batch reboot while h2 is never judged (found by
    review)."""
    hosts = {n: armed(make_host(n, zones=2, rates=FAST_RATES, policy="")) for n in ("h1", "h3")}
    unreachable = {
        "ansible_connection": "ssh",
        "ansible_host": "127.0.0.1",
        "ansible_port": 9,  # discard: nothing listens, the connection is refused
        "ansible_ssh_common_args": "-o ConnectTimeout=5 -o StrictHostKeyChecking=no",
    }
    inventory = write_inventory(
        tmp_path / "inventory.yml",
        {"h1": host_vars(hosts["h1"]), "h2": unreachable, "h3": host_vars(hosts["h3"])},
    )
    report_path = tmp_path / "fleet-report.json"
    played = run_playbook(
        ansible_env,
        inventory,
        "kzguard.fleet.rolling_reboot",
        *extra_vars(
            kzguard_rolling_serial=2, kzguard_rolling_report_json=str(report_path), **WAITS
        ),
        cwd=tmp_path,
    )
    report = json.loads(report_path.read_text())
    assert played.status == 2, played.stdout[-2000:]
    assert [inits(host) for host in hosts.values()] == [0, 0]
    assert zone_lines(report) == {
        "h1": ("not rebooted", {}),
        "h2": ("refused", {}),
        "h3": ("not reached", {}),
    }
    assert report["stopped_by"] == ["h2"]
    (problem,) = report["hosts"][1]["problems"]
    assert problem.startswith("unreachable: "), problem


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

"""Zones kzguard must not touch (issue 11, section 4): a zone that is migrating or
stopped in the kernel debugger (``zoneadm list -s``) is neither suspended, shut down
nor halted at shutdown, whether it was so when the plan was made or became so
later; no fallback kills a live migration.  Through the real ``kzguard`` command
against simulated hosts."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from kzguard.sim.state import SimHost
from tests import support
from tests.integration.conftest import Completed, kzguard
from tests.support import FAST_RATES

REPO = Path(__file__).resolve().parents[2]
ZONEADM_STEPS = ("suspend", "shutdown", "halt")


def configure(host: SimHost, policy: str = "") -> None:
    with host.edit() as state:
        state["rates"].update(FAST_RATES)
    host.set_runlevel("6", "3")
    with open(host.policy_path, "a") as file:
        file.write('\n[shutdown]\nassumed_rate = "64G"\n' + policy)


def stop_method(host: SimHost) -> Completed:
    return kzguard("-c", str(host.policy_path), "method", "stop")


def journal(host: SimHost) -> dict[str, Any]:
    return support.journal(host)


def steps_run_on(host: SimHost, zone: str) -> list[str]:
    """Every ``zoneadm -z ZONE suspend|shutdown|halt`` started, from the command log."""
    return [
        entry["argv"][3]
        for entry in host.commands()
        if entry["event"] == "start"
        and entry["argv"][1:3] == ["-z", zone]
        and entry["argv"][3:4] != []
        and entry["argv"][3] in ZONEADM_STEPS
    ]


def zoneadm_that_sets(host: SimHost, tmp_path: Path, trigger: str, zone: str, aux: str) -> None:
    """Point the policy's zoneadm at a wrapper that puts ``zone`` into ``aux`` just
    before it runs ``zoneadm -z ... TRIGGER`` (a migration or a debugger session
    that begins after the plan was made), then runs the simulated zoneadm."""
    real = host.executable("zoneadm")
    wrapper = tmp_path / "zoneadm-wrapper"
    wrapper.write_text(
        f"#!{sys.executable}\n"
        "import os, sys\n"
        f"sys.path.insert(0, {str(REPO)!r})\n"
        "from kzguard.sim.state import SimHost\n"
        f"if sys.argv[3:4] == [{trigger!r}]:\n"
        f"    SimHost({str(host.path)!r}).set_aux({zone!r}, {aux!r})\n"
        f"os.execv({real!r}, [{real!r}, *sys.argv[1:]])\n",
        encoding="utf-8",
    )
    wrapper.chmod(0o755)
    text = host.policy_path.read_text(encoding="utf-8")
    assert f'zoneadm = "{real}"' in text
    host.policy_path.write_text(
        text.replace(f'zoneadm = "{real}"', f'zoneadm = "{wrapper}"'), encoding="utf-8"
    )


def test_a_migrating_zone_is_left_alone_at_stop_with_the_reason(host: SimHost) -> None:
    configure(host)
    host.set_aux("kz2", "migrating-out")
    result = stop_method(host)
    assert result.status == 0, result.stderr
    lines = result.stderr.splitlines()
    assert "kzguard: kz2: left alone: migrating-out: a migration owns the zone" in lines
    assert lines[-1].endswith(": 3 suspended, 0 shut down, 0 halted, 0 lost, 0 failed")
    assert steps_run_on(host, "kz2") == []
    assert steps_run_on(host, "kz1") == ["suspend"]
    assert host.zone("kz2")["state"] == "running"
    assert host.zone("kz2")["aux"] == ["migrating-out"]
    cycle = journal(host)["cycle"]
    assert cycle["skipped"] == {"kz2": "migrating-out: a migration owns the zone"}
    assert "kz2" not in cycle["zones"]
    # No boot-time read, no marker: only its configuration was read (for the plan).
    touched = [
        e["argv"][1:] for e in host.commands() if e["event"] == "start" and "kz2" in e["argv"]
    ]
    assert touched == [["-z", "kz2", "export"]]


def test_plan_stop_names_a_zone_in_the_debugger_as_not_touched(host: SimHost) -> None:
    configure(host)
    host.set_aux("kz3", "debugging")
    result = kzguard("-c", str(host.policy_path), "plan", "stop")
    assert result.status == 0, result.stderr
    assert "not touched: kz3: debugging: the zone is stopped in the kernel debugger" in (
        result.stdout.splitlines()
    )


def test_a_panicked_zone_is_halted_at_once_and_the_others_suspended(host: SimHost) -> None:
    """Its kernel has stopped: in the simulator (as kmdb does) its suspend and its
    shutdown would wait for a halt, each to its timeout; kzguard halts it at once."""
    configure(host, '[defaults]\nsuspend_timeout = "1m"\nshutdown_timeout = "1m"\n')
    host.set_aux("kz3", "panicked")
    result = stop_method(host)
    assert result.status == 0, result.stderr
    note = "panicked: its running state is already lost and only halt applies"
    assert steps_run_on(host, "kz3") == ["halt"]
    assert [steps_run_on(host, name) for name in ("kz1", "kz2", "kz4")] == [["suspend"]] * 3
    assert (host.zone("kz3")["state"], host.zone("kz3")["aux"]) == ("installed", [])
    record = journal(host)["cycle"]["zones"]["kz3"]
    assert [t["state"] for t in record["transitions"]] == ["planned", "halting", "halted"]
    assert record["reason"] == note
    lines = result.stderr.splitlines()
    assert lines[-1].endswith(": 3 suspended, 0 shut down, 1 halted, 0 lost, 0 failed")


def test_a_migration_begun_after_the_plan_is_not_killed_by_a_fallback(
    host: SimHost, tmp_path: Path
) -> None:
    """The migration starts as kzguard suspends kz1: zoneadm refuses the suspend,
    and the fallbacks (shutdown, then halt) are not tried."""
    configure(host)
    zoneadm_that_sets(host, tmp_path, "suspend", "kz1", "migrating-out")
    result = stop_method(host)
    assert result.status == 0, result.stderr
    refused = "zoneadm: zone 'kz1': cannot suspend: the zone is migrating-out"
    reason = f"suspend failed: {refused}; left alone: migrating-out: a migration owns the zone"
    assert f"kzguard: kz1: {reason}" in result.stderr.splitlines()
    assert steps_run_on(host, "kz1") == ["suspend"]
    assert (host.zone("kz1")["state"], host.zone("kz1")["aux"]) == ("running", ["migrating-out"])
    record = journal(host)["cycle"]["zones"]["kz1"]
    assert [t["state"] for t in record["transitions"]] == ["planned", "suspending", "left-alone"]
    assert (record["state"], record["reason"]) == ("left-alone", reason)
    assert result.stderr.splitlines()[-1].endswith(
        ": 3 suspended, 0 shut down, 0 halted, 0 lost, 0 failed, 1 left alone"
    )


def test_a_zone_that_enters_the_debugger_after_the_plan_is_not_halted(
    host: SimHost, tmp_path: Path
) -> None:
    """kz2's policy says halt, after kz1 is down; kz2 enters kmdb while kz1 is being
    suspended.  Its auxiliary state is looked at again before the halt."""
    configure(host, '[zone.kz2]\naction = "halt"\n[zone.kz1]\nafter = ["kz2"]\n')
    zoneadm_that_sets(host, tmp_path, "suspend", "kz2", "debugging")
    result = stop_method(host)
    assert result.status == 0, result.stderr
    lines = result.stderr.splitlines()
    assert (
        "kzguard: kz2: left alone, not halted: debugging: the zone is stopped in the kernel "
        "debugger"
    ) in lines
    assert steps_run_on(host, "kz2") == []
    assert host.zone("kz2")["aux"] == ["debugging"]
    record = journal(host)["cycle"]["zones"]["kz2"]
    assert [t["state"] for t in record["transitions"]] == ["planned", "left-alone"]
    assert record["reason"] == "left alone: debugging: the zone is stopped in the kernel debugger"
    assert lines[-1].endswith(
        ": 3 suspended, 0 shut down, 0 halted, 0 lost, 0 failed, 1 left alone"
    )

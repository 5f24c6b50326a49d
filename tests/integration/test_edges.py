"""Promises at the edges (issue #12): a deadline too tight for the plan, a suspend
made during the current boot, a stop interrupted half-way, through the real
``kzguard`` command against simulated hosts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from typing import Any

from kzguard.sim.state import SimHost
from tests.conftest import MakeHost
from tests.integration.conftest import kzguard, wait_for
from tests.support import FAST_RATES, set_rates, write_policy

ACTIVE = {"ready", "running", "shutting_down", "down"}


def journal(host: SimHost) -> dict[str, Any]:
    return json.loads((host.state_dir / "journal.json").read_text())


def test_a_deadline_too_tight_for_the_plan_still_leaves_no_managed_zone_running(
    make_host: MakeHost,
) -> None:
    """40 zones, a 12 s deadline, steps of 5 s / 2 s / 4 s: not even the shutdowns
    fit, so the plan halts most zones, and the method ends inside its deadline with
    every managed zone down.  (The halt timeout leaves room for some forty simulated
    zoneadm processes, each a Python start-up, on two shared CPUs.)"""
    host = make_host(zones=40, time_scale=1.0)
    # Simulated seconds are real ones here; a halt takes 0.2 s.
    set_rates(host, **{**FAST_RATES, "halt_seconds": 0.2})
    host.set_runlevel("6", "3")
    write_policy(
        host,
        '[shutdown]\ndeadline = "12s"\n[defaults]\nsuspend_timeout = "5s"\n'
        'shutdown_timeout = "2s"\nhalt_timeout = "4s"\n',
        assumed_rate="4G",
    )
    began = time.monotonic()
    result = kzguard("-c", str(host.policy_path), "method", "stop")
    seconds = time.monotonic() - began
    assert result.status == 0, result.stderr
    running = {
        name: zone["state"]
        for name, zone in host.read()["zones"].items()
        if name.startswith("kz") and zone["state"] in ACTIVE
    }
    assert running == {}, result.stderr
    # The Python start-up and imports come before the method's clock starts.
    assert seconds < 12.0 + 3.0, result.stderr
    zones = journal(host)["cycle"]["zones"]
    assert len(zones) == 40
    assert all(zone["state"] in ("suspended", "shut-down", "halted") for zone in zones.values())


def method(host: SimHost, name: str) -> Any:
    return kzguard("-c", str(host.policy_path), "method", name)


def zone_states(host: SimHost) -> dict[str, tuple[str, tuple[str, ...]]]:
    return {
        name: (zone["state"], tuple(zone["aux"]))
        for name, zone in host.read()["zones"].items()
        if name.startswith("kz")
    }


def boot_times(host: SimHost) -> dict[str, int]:
    return {name: zone["boot_time"] for name, zone in host.read()["zones"].items()}


def restart_in_this_boot(make_host: MakeHost, policy: str) -> SimHost:
    """A host whose guard the start method armed, then `svcadm restart kzguard` at
    run level 3: the stop method of the restart has run."""
    host = make_host(zones=2)
    set_rates(host, **FAST_RATES)
    host.set_runlevel("3", "3")
    write_policy(host, policy)
    assert method(host, "start").status == 0
    return host


def test_a_suspend_made_by_a_service_restart_is_resumed_by_the_start_that_follows(
    make_host: MakeHost,
) -> None:
    host = restart_in_this_boot(make_host, "[shutdown]\nact_on_service_stop = true\n")
    before = boot_times(host)
    stop = method(host, "stop")
    assert stop.status == 0, stop.stderr
    assert zone_states(host) == {
        "kz1": ("installed", ("suspended",)),
        "kz2": ("installed", ("suspended",)),
    }
    start = method(host, "start")
    assert start.status == 0, start.stderr
    assert "the last stop ran during this boot" not in start.stderr
    assert zone_states(host) == {"kz1": ("running", ()), "kz2": ("running", ())}
    assert {name: boot_times(host)[name] for name in ("kz1", "kz2")} == {
        "kz1": before["kz1"],
        "kz2": before["kz2"],
    }
    document = journal(host)
    assert "resumed_at" in document["cycle"]
    assert {name: zone["result"] for name, zone in document["resume"]["zones"].items()} == {
        "kz1": "resumed (running state preserved)",
        "kz2": "resumed (running state preserved)",
    }


def test_a_suspend_made_with_the_run_level_unknown_is_resumed_in_the_same_boot(
    make_host: MakeHost,
) -> None:
    """An extra suspend costs only a resume: the start method that follows pays it."""
    host = restart_in_this_boot(make_host, "")
    for tool in ("svcprop", "who"):
        (host.bin_dir / tool).rename(host.bin_dir / f"{tool}.real")
        (host.bin_dir / tool).write_text(f"#!{sys.executable}\nimport sys\nsys.exit(1)\n")
        (host.bin_dir / tool).chmod(0o755)
    stop = method(host, "stop")
    assert stop.status == 0, stop.stderr
    assert stop.stderr.splitlines()[0].endswith("; acting as for a shutdown")
    assert zone_states(host)["kz1"] == ("installed", ("suspended",))
    for tool in ("svcprop", "who"):
        (host.bin_dir / f"{tool}.real").replace(host.bin_dir / tool)
    start = method(host, "start")
    assert start.status == 0, start.stderr
    assert zone_states(host) == {"kz1": ("running", ()), "kz2": ("running", ())}


def test_check_warns_when_the_assumed_rate_would_cost_every_zone_its_state(
    make_host: MakeHost,
) -> None:
    """A host with no history and the default assumed_rate (256M/s): a 20 s suspend
    timeout fits no image of 8G or more, and check names the setting to change."""
    host = make_host(zones=4)
    write_policy(host, '[defaults]\nsuspend_timeout = "20s"\n', assumed_rate=None)
    result = kzguard("-c", str(host.policy_path), "check")
    expected = []
    for name in ("kz1", "kz2", "kz3", "kz4"):
        memory = host.zone(name)["config"]["physical"]
        gigabytes = int(memory[:-1])
        if gigabytes * 1024 / 256 <= 20:
            continue
        seconds = gigabytes * 4
        took = f"{seconds // 60}m{seconds % 60}s" if seconds >= 60 else f"{seconds}s"
        needed = -(-gigabytes * 1024 // 20)
        expected.append(
            f"warning: {name}: with no suspend history yet, the stop plan starts it with "
            f"shutdown: {memory} at the assumed 256M/s would take {took}, more than its "
            "suspend_timeout of 20s, so the first shutdown loses its running state; set "
            "shutdown.assumed_rate to the write rate of its suspend storage (it must be at "
            f"least {needed}M/s) or raise suspend_timeout"
        )
    assert expected, "the seed gives no zone of 8G or more"
    warnings = [line for line in result.stdout.splitlines() if "no suspend history" in line]
    assert warnings == expected
    assert result.status == 1, result.stdout


def test_status_after_a_stop_killed_half_way_says_so_and_names_the_images(
    make_host: MakeHost,
) -> None:
    host = make_host(zones=4, time_scale=1.0)
    set_rates(host, **{**FAST_RATES, "suspend_rate": float(1 << 30)})
    host.set_runlevel("3", "3")
    write_policy(host, "[shutdown]\nparallel = 2\n")
    assert method(host, "start").status == 0
    host.set_runlevel("6", "3")
    process = subprocess.Popen(
        [sys.executable, "-m", "kzguard", "-c", str(host.policy_path), "method", "stop"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:

        def suspending() -> bool:
            try:
                zones = journal(host)["cycle"]["zones"]
            except (OSError, ValueError, KeyError):
                return False
            return any(zone["state"] == "suspending" for zone in zones.values())

        wait_for(suspending)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # svc.startd kills the method's contract
        process.wait()
    zones = journal(host)["cycle"]["zones"]
    images = sorted(n for n, z in zones.items() if z["state"] in ("suspended", "suspending"))
    unsettled = sorted(n for n, z in zones.items() if z["state"] in ("planned",))
    assert images
    result = kzguard("-c", str(host.policy_path), "status")
    lines = result.stdout.splitlines()
    assert lines[0] == "guard: armed; the last stop did not finish; 1 error(s) recorded"
    expected = f"error: the last stop did not finish (killed or cut short): {', '.join(images)} "
    expected += "may hold a suspend image"
    if unsettled:
        expected += f"; {', '.join(unsettled)} were not settled"
    assert expected in lines
    assert f"pending resume: {', '.join(images)}" in lines
    assert result.status == 1

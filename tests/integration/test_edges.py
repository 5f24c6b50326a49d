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
from tests import support
from tests.conftest import MakeHost
from tests.integration.conftest import apply_manifest, kzguard, wait_for
from tests.support import FAST_RATES, set_rates, write_policy

ACTIVE = {"ready", "running", "shutting_down", "down"}


def journal(host: SimHost) -> dict[str, Any]:
    return support.journal(host)


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


def test_a_second_service_restart_resumes_its_zones_after_the_clock_was_stepped_back(
    make_host: MakeHost,
) -> None:
    """Two `svcadm restart`s in one boot, the wall clock stepped back an hour between
    the first restart's start method and the second's stop method (NTP, date(1)): the
    second stop still came after that start record, so its suspends are resumed."""
    host = restart_in_this_boot(make_host, "[shutdown]\nact_on_service_stop = true\n")
    for _ in range(2):
        assert method(host, "stop").status == 0
        start = method(host, "start")
        assert start.status == 0, start.stderr
        assert zone_states(host) == {"kz1": ("running", ()), "kz2": ("running", ())}
        path = host.state_dir / "journal.json"
        on_disk = json.loads(path.read_text("utf-8"))
        assert sorted(on_disk["resume"]["zones"]) == ["kz1", "kz2"]
        # Written when the clock read an hour ahead of where it reads now.
        on_disk["resume"]["started"] += 3600
        path.write_text(json.dumps(on_disk), "utf-8")
    assert journal(host)["resume"]["zones"]["kz1"]["result"] == "resumed (running state preserved)"


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
            f"warning: {name}: with no suspend measured on this host yet, {memory} at the "
            f"assumed 256M/s would take {took}, more than its suspend_timeout of 20s: if its "
            "suspend storage is no faster, the first shutdown tries its suspend for 20s, then "
            "takes its shutdown, and its running state is lost; raise suspend_timeout, or set "
            "shutdown.assumed_rate to the write rate of its suspend storage if that is at "
            f"least {needed}M/s"
        )
    assert expected, "the seed gives no zone of 8G or more"
    warnings = [line for line in result.stdout.splitlines() if "no suspend measured" in line]
    assert warnings == expected
    assert result.status == 1, result.stdout


def test_status_after_a_stop_killed_half_way_says_so_and_names_the_images(
    make_host: MakeHost,
) -> None:
    host = make_host(zones=4, time_scale=1.0)
    set_rates(host, **{**FAST_RATES, "suspend_rate": float(1 << 30)})
    host.set_runlevel("3", "3")
    write_policy(host, "[shutdown]\nparallel = 2\n")
    apply_manifest(host)
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


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _suspends(host: SimHost) -> list[tuple[str, int]]:
    return [
        (entry["argv"][2], entry["pid"])
        for entry in host.commands()
        if entry["event"] == "start"
        and entry["argv"][1:2] == ["-z"]
        and entry["argv"][3:4] == ["suspend"]
    ]


def test_ctrl_c_during_kzguard_stop_ends_the_steps_in_flight_and_says_what_it_left(
    make_host: MakeHost,
) -> None:
    """Two hung suspends in flight, two zones not started: SIGINT starts nothing more,
    ends the two zoneadm processes (no orphan to race the next stop), journals every
    zone, prints each zone's state and exits 130."""
    host = make_host(zones=4)
    set_rates(host, **FAST_RATES)
    write_policy(host, "[shutdown]\nparallel = 2\n")
    for name in ("kz1", "kz2", "kz3", "kz4"):
        host.set_fault(name, "suspend", "hang")
    process = subprocess.Popen(
        [sys.executable, "-m", "kzguard", "-c", str(host.policy_path), "stop"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A test run in the background inherits SIGINT ignored (see test_cli_foundation).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
    )
    try:
        wait_for(lambda: len(_suspends(host)) == 2)
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 130, err
    in_flight = sorted(name for name, _ in _suspends(host))
    assert len(in_flight) == 2  # nothing new was started after the signal
    wait_for(lambda: not any(_alive(pid) for _, pid in _suspends(host)), timeout=5)
    not_started = sorted({"kz1", "kz2", "kz3", "kz4"} - set(in_flight))
    zones = journal(host)["cycle"]["zones"]
    assert {name: zones[name]["state"] for name in zones} == dict.fromkeys(zones, "failed")
    for name in not_started:
        assert zones[name]["reason"] == "not started: kzguard stop was interrupted by SIGINT"
    for name in in_flight:
        assert zones[name]["reason"].startswith("suspend failed: killed by signal 9 (SIGKILL)")
        assert zones[name]["reason"].endswith("; interrupted by SIGINT: no further step")
    lines = out.splitlines()
    assert sorted(line.split(":")[0] for line in lines[:-1]) == ["kz1", "kz2", "kz3", "kz4"]
    assert all(": failed (" in line for line in lines[:-1])
    assert lines[-1].startswith("stop done in ")
    assert (
        f"kzguard: interrupted by SIGINT: started nothing more; in flight: "
        f"{', '.join(in_flight)}; not started: {', '.join(not_started)}"
    ) in err.splitlines()


def test_the_stop_method_ended_by_sigterm_journals_every_zone_and_exits_95(
    make_host: MakeHost,
) -> None:
    """svc.startd ends a stop method that overruns its timeout: the method starts
    nothing more, ends its zoneadm processes, journals each zone and fails as
    smf_method(7) expects, inside the few seconds before SIGKILL."""
    host = make_host(zones=2)
    set_rates(host, **FAST_RATES)
    host.set_runlevel("6", "3")
    write_policy(host, "[shutdown]\nparallel = 1\n")
    for name in ("kz1", "kz2"):
        host.set_fault(name, "suspend", "hang")
    process = subprocess.Popen(
        [sys.executable, "-m", "kzguard", "-c", str(host.policy_path), "method", "stop"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: len(_suspends(host)) == 1)
        time.sleep(0.5)
        began = time.monotonic()
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
        seconds = time.monotonic() - began
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 95, err
    assert seconds < 8.0, err  # GRACE + SETTLE and the exit
    ((first, pid),) = _suspends(host)
    wait_for(lambda: not _alive(pid), timeout=5)
    other = "kz2" if first == "kz1" else "kz1"
    assert (
        f"kzguard: interrupted by SIGTERM: started nothing more; in flight: {first}; "
        f"not started: {other}"
    ) in err.splitlines()
    zones = journal(host)["cycle"]["zones"]
    assert zones[other]["reason"] == "not started: kzguard stop was interrupted by SIGTERM"
    assert zones[first]["state"] == "failed"
    assert journal(host)["cycle"]["summary"].endswith(
        "0 suspended, 0 shut down, 0 halted, 0 lost, 2 failed"
    )

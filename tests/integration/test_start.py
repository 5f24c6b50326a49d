"""The boot half against simulated hosts: the start method resumes what the stop
method suspended, proves per zone that the running state survived, detects a
shutdown that bypassed the stop method, and the refresh method guards the policy.
Everything through the real ``kzguard`` command in subprocesses."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kzguard import method as kzmethod
from kzguard.journal.records import config_to_json
from kzguard.sim import control, shutdown
from kzguard.sim.state import SimHost
from kzguard.sim.transitions import image_bytes
from kzguard.solaris.parse.zonecfg import parse_zonecfg_export
from kzguard.start.order import boot_order
from kzguard.start.run import CLOCK_SLACK
from tests import support
from tests.conftest import MakeHost
from tests.integration.conftest import (
    Completed,
    apply_manifest,
    init_shutdown,
    kzguard,
    wait_for,
)
from tests.support import FAST_RATES, set_rates, write_policy

KZ3 = ["kz1", "kz2", "kz3"]
KZ4 = [*KZ3, "kz4"]
NOTE_BYPASS = (
    "the host went down without kzguard's stop method (reboot, halt, uadmin, panic or "
    "power loss); use init 6 or shutdown -i6, or run kzguard stop before reboot"
)


# -- helpers ---------------------------------------------------------------------


@dataclass(frozen=True)
class Named:
    """A zone as start/order.py's boot_order takes it: a name, the normal rank."""

    name: str
    rank: int = 1


def configure(host: SimHost, policy: str = "", **rates: float) -> None:
    """Fast simulated rates, and the host's policy plus ``policy`` (tests.support:
    the planner told the storage is fast, the boots not staggered unless it says so)."""
    set_rates(host, **{**FAST_RATES, **rates})
    write_policy(host, policy)


def method(host: SimHost, name: str) -> Completed:
    return kzguard("-c", str(host.policy_path), "method", name)


def arm(host: SimHost) -> None:
    """The start method at the boot before: nothing to resume, the guard is armed."""
    result = method(host, "start")
    assert result.status == 0, result.stderr
    assert normal(result) == ["start done in T: 0 preserved, 0 lost, 0 failed, 0 left alone"]


def clean_shutdown(host: SimHost) -> Completed:
    """`init 6` in svc.startd's order (conftest.init_shutdown), kzguard's manifest
    applied from the policy first: the stop method while the zones service shuts the
    unheld zones down, then the held ones' autoshutdown, then the power goes."""
    apply_manifest(host)
    result, _ = init_shutdown(host, lambda: method(host, "stop"))
    assert result.status == 0, result.stderr
    control.zones_service_stop(host)
    control.power_off(host)
    return result


def boot(host: SimHost, *, zones_service: bool = True) -> None:
    control.boot_host(host)
    if zones_service:
        control.zones_service_start(host)


def normal(result: Completed) -> list[str]:
    """stderr without the "kzguard: " prefix and with measured times as T."""
    lines = []
    for line in result.stderr.splitlines():
        assert line.startswith("kzguard: "), line
        lines.append(re.sub(r" in (\d+m)?\d+(\.\d)?s\b", " in T", line[len("kzguard: ") :]))
    return lines


def journal(host: SimHost) -> dict[str, Any]:
    return support.journal(host)


def zone_states(host: SimHost) -> dict[str, tuple[str, tuple[str, ...]]]:
    return {name: (z["state"], tuple(z["aux"])) for name, z in host.read()["zones"].items()}


def boot_times(host: SimHost) -> dict[str, int | None]:
    return {name: z["boot_time"] for name, z in host.read()["zones"].items()}


def spans(
    host: SimHost, since: int, verb: str = "boot"
) -> list[tuple[str, list[str], float, float]]:
    """(zone, argv after the zone name, start, end) of every `zoneadm -z ZONE verb`
    logged from event ``since`` on, in order of start."""
    starts: dict[int, tuple[str, list[str], float]] = {}
    found = []
    for entry in host.commands()[since:]:
        argv = entry.get("argv", [])
        if entry["event"] == "start" and argv[1:2] == ["-z"] and argv[3:4] == [verb]:
            starts[entry["pid"]] = (argv[2], argv[3:], entry["time"])
        elif entry["event"] == "end" and entry["pid"] in starts:
            zone, args, began = starts.pop(entry["pid"])
            found.append((zone, args, began, entry["time"]))
    return sorted(found, key=lambda span: span[2])


def boot_starts(host: SimHost, since: int) -> list[tuple[str, list[str]]]:
    """(zone, argv after the zone name) of every `zoneadm -z ZONE boot` started from
    event ``since`` on, finished or not (a killed zoneadm logs no end)."""
    return [
        (entry["argv"][2], entry["argv"][3:])
        for entry in host.commands()[since:]
        if entry["event"] == "start"
        and entry["argv"][1:2] == ["-z"]
        and entry["argv"][3:4] == ["boot"]
    ]


def peak(found: list[tuple[str, list[str], float, float]]) -> int:
    events = sorted([(s[2], 1) for s in found] + [(s[3], -1) for s in found])
    running = highest = 0
    for _, change in events:
        running += change
        highest = max(highest, running)
    return highest


def zoneadm(host: SimHost, *args: str) -> None:
    subprocess.run([host.executable("zoneadm"), *args], check=True, capture_output=True)


def journal_has(host: SimHost, *keys: str) -> bool:
    try:
        value: Any = journal(host)
        for key in keys:
            value = value[key]
    except (FileNotFoundError, KeyError, TypeError, json.JSONDecodeError):
        return False
    return True


# -- a whole reboot --------------------------------------------------------------


def test_a_full_cycle_brings_every_zone_back_with_its_boot_time_unchanged(
    make_host: MakeHost,
) -> None:
    host = make_host(zones=4)
    configure(host)
    arm(host)
    armed_at = host.read()["host_boot_time"]
    assert journal(host)["armed"] == {
        "host_boot_time": armed_at,
        "time": journal(host)["armed"]["time"],
        "running": KZ4,
        "policy": str(host.policy_path),
    }
    assert Path(str(host.policy_path) + ".last-good").read_bytes() == host.policy_path.read_bytes()
    before = boot_times(host)
    clean_shutdown(host)
    stopped = journal(host)["cycle"]
    assert stopped["host_boot_time"] == armed_at
    assert all(stopped["zones"][z]["boot_time"] == before[z] for z in KZ4)
    boot(host)
    since = len(host.commands())
    result = method(host, "start")
    assert result.status == 0, result.stderr
    assert result.stdout == ""
    lines = normal(result)
    assert lines[-1] == "start done in T: 4 preserved, 0 lost, 0 failed, 0 left alone"
    assert sorted(lines[:-1]) == sorted(
        [f"resuming {z} (suspended at shutdown)" for z in KZ4]
        + [f"{z} resumed (running state preserved) in T" for z in KZ4]
    )
    after = boot_times(host)
    assert {z: after[z] for z in KZ4} == {z: before[z] for z in KZ4}
    assert zone_states(host) == {
        **dict.fromkeys(KZ4, ("running", ())),
        "ngz1": ("installed", ()),  # not managed: the zones service shut it down
    }
    found = spans(host, since)
    assert sorted((zone, args) for zone, args, _, _ in found) == [(z, ["boot"]) for z in KZ4]
    assert peak(found) <= 8  # resume.parallel = "auto" begins at 8 (kzguard/pace/auto.py)
    booted_at = host.read()["host_boot_time"]
    record = journal(host)
    resume = record["resume"]
    assert sorted(resume) == [
        "bypassed",
        "finished",
        "host_boot_time",
        "note",
        "pace",
        "serial",
        "started",
        "summary",
        "zones",
    ]
    assert (resume["host_boot_time"], resume["bypassed"], resume["note"]) == (booted_at, False, "")
    assert re.fullmatch(
        r"start done in \d+(\.\d)?s: 4 preserved, 0 lost, 0 failed, 0 left alone",
        resume["summary"],
    )
    assert sorted(resume["zones"]) == KZ4
    for zone in KZ4:
        entry = resume["zones"][zone]
        assert (entry["result"], entry["severity"], entry["detail"]) == (
            "resumed (running state preserved)",
            "ok",
            "",
        )
        assert 0 < entry["seconds"] < 5
        assert resume["started"] <= entry["time"] <= resume["finished"]
    assert record["cycle"]["resumed_at"] == resume["finished"]
    assert record["armed"]["host_boot_time"] == booted_at
    assert record["armed"]["running"] == KZ4
    # Run again in the same boot (svcadm restart): nothing is done twice.
    again = method(host, "start")
    assert normal(again) == ["start done in T: 0 preserved, 0 lost, 0 failed, 0 left alone"]
    assert spans(host, since) == found


def test_what_the_operator_and_the_zones_service_did_in_between_wins(make_host: MakeHost) -> None:
    host = make_host(zones=7)
    configure(host)
    with host.edit() as state:
        state["zones"]["kz1"]["config"]["autoboot"] = True
    before = boot_times(host)
    clean_shutdown(host)
    boot(host)  # the zones service resumes kz1 (autoboot=true)
    assert host.zone("kz1")["boot_time"] == before["kz1"]
    zoneadm(host, "-z", "kz2", "boot")  # the operator resumes kz2 by hand
    zoneadm(host, "-z", "kz3", "boot", "-R")  # and boots kz3 afresh
    with host.edit() as state:
        state["halt_discards_image"] = True
    zoneadm(host, "-z", "kz4", "halt")  # discards kz4's image
    with host.edit() as state:
        zones = state["zones"]
        zones["kz5"].update(state="configured", aux=[], image=None)  # detached
        zones["kz6b"] = zones.pop("kz6")  # renamed
        zones["kz7"]["config"]["physical"] = "64G"  # reconfigured
    kz3_now = host.zone("kz3")["boot_time"]
    assert kz3_now != before["kz3"]
    since = len(host.commands())
    result = method(host, "start")
    assert result.status == 0, result.stderr
    lines = normal(result)
    # The renamed zone's dependency group follows its new name (docs/solaris.md 13).
    assert lines[-1] == (
        "zone dependencies of svc:/site/kzguard:default: added zone-kz6b; removed zone-kz6"
    )
    assert lines[-2] == "start done in T: 2 preserved, 4 lost, 0 failed, 1 left alone"
    assert sorted(lines[:-2]) == sorted(
        [
            "kz1: already running (resumed by the zones service or booted by hand)",
            "kz1 resumed by the zones service (running state preserved) in T",
            "kz2: already running (resumed by the zones service or booted by hand)",
            "kz2 resumed by the zones service (running state preserved) in T",
            "kz3: already running (resumed by the zones service or booted by hand)",
            f"kz3: cold-booted (running state LOST): boot time {before['kz3']} before the "
            f"suspend, {kz3_now} now",
            "kz4: left alone: halted, or booted and halted, since its suspend: the "
            "operator's action wins",
            "kz5: left alone: is configured (detached or uninstalled since?); left alone",
            "kz6: left alone: no longer configured (deleted or renamed since the shutdown)",
            "kz7: left alone: capped-memory physical changed (reconfigured) since the "
            "shutdown; left alone",
            # Planned from the configurations the stop recorded, until kz7's was read.
            "configuration not as the stop recorded it (changed or unreadable): kz7; "
            "planning the rest from the live ones",
        ]
    )
    assert spans(host, since) == []  # kzguard booted nothing
    states = zone_states(host)
    assert {z: states[z] for z in ("kz1", "kz2", "kz3", "kz4", "kz5", "kz6b", "kz7")} == {
        "kz1": ("running", ()),
        "kz2": ("running", ()),
        "kz3": ("running", ()),
        "kz4": ("installed", ()),
        "kz5": ("configured", ()),
        "kz6b": ("installed", ("suspended",)),
        "kz7": ("installed", ("suspended",)),
    }
    zones = journal(host)["resume"]["zones"]
    assert {z: (e["result"], e["severity"]) for z, e in zones.items()} == {
        "kz1": ("resumed by the zones service (running state preserved)", "ok"),
        "kz2": ("resumed by the zones service (running state preserved)", "ok"),
        "kz3": ("cold-booted (running state LOST)", "lost"),
        "kz4": ("left alone", "lost"),
        "kz5": ("left alone", "lost"),
        "kz6": ("left alone", "lost"),
        "kz7": ("left alone", "left"),
    }
    assert zones["kz3"]["detail"] == f"boot time {before['kz3']} before the suspend, {kz3_now} now"


def shutdown_without_boot_times(host: SimHost) -> None:
    """A clean shutdown during which no in-zone boot time can be read."""
    zlogin = host.bin_dir / "zlogin"
    real = zlogin.read_text()
    zlogin.write_text(f"#!{sys.executable}\nimport sys\nsys.exit(1)\n")
    clean_shutdown(host)
    zlogin.write_text(real)


def test_a_zone_found_running_without_a_recorded_boot_time_is_not_called_resumed(
    make_host: MakeHost,
) -> None:
    """Found by the reboot-cycle soak: a zone whose boot time was never recorded and
    that was booted cold before the start method ran was reported "resumed by the
    zones service"."""
    host = make_host(zones=2)
    configure(host)
    shutdown_without_boot_times(host)
    assert journal(host)["cycle"]["zones"]["kz1"]["boot_time"] is None
    boot(host)
    zoneadm(host, "-z", "kz1", "boot", "-R")  # booted cold: its image is discarded
    result = method(host, "start")
    assert result.status == 0, result.stderr
    lines = normal(result)
    assert lines[-1] == "start done in T: 1 preserved, 0 lost, 0 failed, 1 left alone"
    assert sorted(lines[:-1]) == [
        "kz1: already running (resumed by the zones service or booted by hand)",
        "kz1: already running; whether its running state survived is not known: no boot "
        "time was recorded",
        "kz2 resumed (running state preserved), booted before the global zone in T",
        "resuming kz2 (suspended at shutdown)",
    ]
    zones = journal(host)["resume"]["zones"]
    assert {z: (e["result"], e["severity"], e["detail"]) for z, e in zones.items()} == {
        # Booted cold seconds after the global zone: within CLOCK_SLACK, no claim.
        "kz1": ("already running (not verified)", "left", "no boot time was recorded"),
        # kz2's boot time is days older than the global zone's: it kept its state.
        "kz2": ("resumed (running state preserved), booted before the global zone", "ok", ""),
    }


def test_without_a_recorded_boot_time_the_global_zone_boot_time_decides_clear_cases(
    make_host: MakeHost,
) -> None:
    host = make_host(zones=3)
    configure(host)
    shutdown_without_boot_times(host)
    boot(host)
    zoneadm(host, "-z", "kz1", "boot", "-R")  # booted cold: its image is discarded
    zoneadm(host, "-z", "kz3", "boot")  # resumed by hand before the start method
    host_boot = host.read()["host_boot_time"]
    with host.edit() as state:  # kz1 came up long after the global zone
        state["zones"]["kz1"]["boot_time"] = host_boot + CLOCK_SLACK + 1
    result = method(host, "start")
    assert result.status == 0, result.stderr
    lines = normal(result)
    assert lines[-1] == "start done in T: 2 preserved, 1 lost, 0 failed, 0 left alone"
    assert sorted(lines[:-1]) == [
        "kz1: already running (resumed by the zones service or booted by hand)",
        f"kz1: cold-booted (running state LOST): no boot time recorded; booted at "
        f"{host_boot + CLOCK_SLACK + 1}, after the global zone ({host_boot})",
        "kz2 resumed (running state preserved), booted before the global zone in T",
        "kz3 resumed by the zones service (running state preserved), booted before the "
        "global zone in T",
        "kz3: already running (resumed by the zones service or booted by hand)",
        "resuming kz2 (suspended at shutdown)",
    ]
    zones = journal(host)["resume"]["zones"]
    assert {z: (e["result"], e["severity"]) for z, e in zones.items()} == {
        "kz1": ("cold-booted (running state LOST)", "lost"),
        "kz2": ("resumed (running state preserved), booted before the global zone", "ok"),
        "kz3": (
            "resumed by the zones service (running state preserved), booted before the global zone",
            "ok",
        ),
    }


# -- a resume that fails ---------------------------------------------------------


def test_a_failed_resume_is_left_down_with_its_image_by_default(make_host: MakeHost) -> None:
    host = make_host(zones=2)
    configure(host)
    clean_shutdown(host)
    boot(host)
    host.set_fault("kz1", "resume", "corrupt")
    since = len(host.commands())
    result = method(host, "start")
    assert result.status == 0, result.stderr  # a zone's failure is not kzguard's
    lines = normal(result)
    assert lines[-1] == "start done in T: 1 preserved, 0 lost, 1 failed, 0 left alone"
    assert sorted(lines[:-1]) == [
        "kz1: resume failed, left down with its image: boot failed: zoneadm: zone 'kz1': "
        "resume failed: the suspend image is corrupt; zoneadm: zone 'kz1': call to zoneadmd "
        "failed",
        "kz2 resumed (running state preserved) in T",
        "resuming kz1 (suspended at shutdown)",
        "resuming kz2 (suspended at shutdown)",
    ]
    assert [(z, args) for z, args, _, _ in spans(host, since)].count(("kz1", ["boot"])) == 1
    assert zone_states(host)["kz1"] == ("installed", ("suspended",))
    assert host.zone("kz1")["image"] is not None
    entry = journal(host)["resume"]["zones"]["kz1"]
    assert (entry["result"], entry["severity"], entry["detail"]) == (
        "resume failed; left down (image kept)",
        "error",
        "boot failed: zoneadm: zone 'kz1': resume failed: the suspend image is corrupt; "
        "zoneadm: zone 'kz1': call to zoneadmd failed",
    )
    # The cause reaches status too, not only zoneadm's last line.
    status = json.loads(kzguard("-c", str(host.policy_path), "status", "--json").stdout)
    (kz1,) = [zone for zone in status["zones"] if zone["name"] == "kz1"]
    shown = re.fullmatch(
        r"resume failed; left down \(image kept\) in [0-9.]+s \((.*)\)", kz1["last_boot"]
    )
    assert shown is not None
    assert shown.group(1) == entry["detail"]


def test_a_zone_suspended_before_the_shutdown_is_named_at_boot_not_resumed(
    make_host: MakeHost,
) -> None:
    host = make_host(zones=2)
    configure(host)
    arm(host)
    zoneadm(host, "-z", "kz1", "suspend")  # by an operator (or a resume failed before)
    clean_shutdown(host)
    boot(host)
    result = method(host, "start")
    assert result.status == 0, result.stderr
    assert normal(result) == [
        "kz1: left alone: already suspended when the stop ran, so not resumed by kzguard: "
        "zoneadm -z kz1 boot resumes it",
        "resuming kz2 (suspended at shutdown)",
        "kz2 resumed (running state preserved) in T",
        "start done in T: 1 preserved, 0 lost, 0 failed, 1 left alone",
    ]
    assert zone_states(host)["kz1"] == ("installed", ("suspended",))
    status = kzguard("-c", str(host.policy_path), "status", "--json")
    assert status.status == 0, status.stderr
    (kz1,) = [zone for zone in json.loads(status.stdout)["zones"] if zone["name"] == "kz1"]
    assert (kz1["last_shutdown"], kz1["last_boot"]) == (
        "not touched: already suspended",
        "left alone (already suspended when the stop ran, so not resumed by kzguard: "
        "zoneadm -z kz1 boot resumes it)",
    )


def test_a_failed_resume_is_booted_fresh_once_when_the_policy_says_so(make_host: MakeHost) -> None:
    host = make_host(zones=2)
    configure(host, '[resume]\non_failure = "fresh-boot"\n')
    before = boot_times(host)
    clean_shutdown(host)
    boot(host)
    host.set_fault("kz1", "resume", "corrupt")
    host.set_fault("kz2", "resume", "corrupt")
    host.set_fault("kz2", "boot", "fail")
    since = len(host.commands())
    result = method(host, "start")
    assert result.status == 0, result.stderr
    lines = normal(result)
    assert lines[-1] == "start done in T: 0 preserved, 1 lost, 1 failed, 0 left alone"
    failed = (
        "boot failed: zoneadm: zone '{0}': resume failed: the suspend image is corrupt; "
        "zoneadm: zone '{0}': call to zoneadmd failed"
    ).format
    fresh_failed = (
        "boot failed: zoneadm: zone 'kz2': boot failed; zoneadm: zone 'kz2': call to zoneadmd "
        "failed"
    )
    assert sorted(lines[:-1]) == [
        f"kz1: resume failed ({failed('kz1')}); booting it fresh (boot -R)",
        f"kz2: fresh boot failed too: {fresh_failed}",
        f"kz2: resume failed ({failed('kz2')}); booting it fresh (boot -R)",
        "resuming kz1 (suspended at shutdown)",
        "resuming kz2 (suspended at shutdown)",
    ]
    # Never a loop: one resume, one fresh boot, per zone.
    calls = [(z, args) for z, args, _, _ in spans(host, since)]
    assert sorted(calls) == [
        ("kz1", ["boot"]),
        ("kz1", ["boot", "-R"]),
        ("kz2", ["boot"]),
        ("kz2", ["boot", "-R"]),
    ]
    assert zone_states(host)["kz1"] == ("running", ())
    assert host.zone("kz1")["boot_time"] > before["kz1"]
    assert zone_states(host)["kz2"] == ("installed", ())
    zones = journal(host)["resume"]["zones"]
    assert (zones["kz1"]["result"], zones["kz1"]["severity"], zones["kz1"]["detail"]) == (
        "booted fresh after a failed resume (running state LOST)",
        "lost",
        failed("kz1"),
    )
    assert (zones["kz2"]["result"], zones["kz2"]["severity"], zones["kz2"]["detail"]) == (
        "failed",
        "error",
        f"{failed('kz2')}; {fresh_failed}",
    )


# -- shutdowns that went wrong ---------------------------------------------------


def test_a_power_loss_in_the_middle_of_the_stop_then_a_boot(make_host: MakeHost) -> None:
    host = make_host(zones=3)
    configure(host, '[defaults]\nsuspend_timeout = "60s"\n')
    before = boot_times(host)
    host.set_fault("kz3", "suspend", "hang")
    shutdown.begin(host, "6")
    stop = subprocess.Popen(
        [sys.executable, "-m", "kzguard", "-c", str(host.policy_path), "method", "stop"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def settled(zone: str) -> str | None:
        try:
            return str(journal(host)["cycle"]["zones"][zone]["state"])
        except (FileNotFoundError, KeyError, json.JSONDecodeError):
            return None

    try:
        wait_for(
            lambda: (
                settled("kz3") == "suspending"
                and all(settled(z) == "suspended" for z in ("kz1", "kz2"))
            )
        )
    finally:
        os.kill(stop.pid, signal.SIGKILL)  # the power goes: kzguard dies first
        stop.wait()
    assert [e.zone for e in control.power_off(host)] == ["kz3", "ngz1"]
    host.clear_faults("kz3")
    boot(host)
    result = method(host, "start")
    assert result.status == 0, result.stderr
    lines = normal(result)
    assert lines[-1] == "start done in T: 2 preserved, 1 lost, 0 failed, 0 left alone"
    lost = "running state lost: the stop did not finish (power loss or crash)"
    assert sorted(lines[:-1]) == sorted(
        [f"resuming {z} (suspended at shutdown)" for z in ("kz1", "kz2")]
        + [f"{z} resumed (running state preserved) in T" for z in ("kz1", "kz2")]
        + [f"booting kz3 ({lost})", f"kz3 booted cold in T: {lost}"]
    )
    after = boot_times(host)
    assert all(after[z] == before[z] for z in ("kz1", "kz2"))
    assert after["kz3"] is not None
    assert after["kz3"] > before["kz3"]  # type: ignore[operator]
    entry = journal(host)["resume"]["zones"]["kz3"]
    assert (entry["result"], entry["severity"], entry["detail"]) == (
        "booted cold (running state was lost)",
        "lost",
        lost,
    )


def test_a_reboot_that_bypassed_the_stop_method_is_reported_and_repaired(
    make_host: MakeHost,
) -> None:
    host = make_host(zones=3)
    configure(host)
    with host.edit() as state:
        state["zones"]["kz1"]["config"]["autoboot"] = True
    arm(host)
    before = boot_times(host)
    control.reboot_bypass(host)  # `reboot`: no stop method, every zone halted
    boot(host)  # the zones service boots kz1 cold (autoboot=true)
    since = len(host.commands())
    result = method(host, "start")
    assert result.status == 0, result.stderr
    lines = normal(result)
    assert lines[0] == f"{NOTE_BYPASS}; running state lost: kz1, kz2, kz3"
    assert lines[-1] == "start done in T: 0 preserved, 3 lost, 0 failed, 0 left alone"
    lost = "running state lost: the host went down without kzguard"
    assert sorted(lines[1:-1]) == sorted(
        ["kz1: left alone: already running (autoboot or booted by hand)"]
        + [f"booting {z} ({lost})" for z in ("kz2", "kz3")]
        + [f"{z} booted cold in T: {lost}" for z in ("kz2", "kz3")]
    )
    assert sorted(z for z, _, _, _ in spans(host, since)) == ["kz2", "kz3"]
    after = boot_times(host)
    assert all(after[z] > before[z] for z in KZ3)  # type: ignore[operator]
    resume = journal(host)["resume"]
    assert (resume["bypassed"], resume["note"]) == (True, NOTE_BYPASS)
    assert resume["zones"]["kz1"] == {
        **resume["zones"]["kz1"],
        "result": "left alone",
        "severity": "lost",
        "detail": "already running (autoboot or booted by hand)",
    }
    # Once more, with resume.boot_lost = false and no zones service: reported, not booted.
    write_policy(host, "[resume]\nboot_lost = false\n")
    control.reboot_bypass(host)
    boot(host, zones_service=False)
    since = len(host.commands())
    result = method(host, "start")
    assert result.status == 0, result.stderr
    lines = normal(result)
    assert lines == [
        f"{NOTE_BYPASS}; running state lost: kz1, kz2, kz3",
        *[
            f"{z}: left alone: running state lost (the host went down without kzguard); "
            "resume.boot_lost = false"
            for z in KZ3
        ],
        "start done in T: 0 preserved, 3 lost, 0 failed, 0 left alone",
    ]
    assert spans(host, since) == []
    assert all(zone_states(host)[z] == ("installed", ()) for z in KZ3)
    assert journal(host)["armed"]["running"] == []


def test_kzguard_stop_before_reboot_is_resumed_but_not_within_the_same_boot(
    make_host: MakeHost,
) -> None:
    host = make_host(zones=2)
    configure(host)
    before = boot_times(host)
    manual = kzguard("-c", str(host.policy_path), "stop")  # maintenance, by hand
    assert manual.status == 0, manual.stderr
    # svcadm restart kzguard: the stop method at run level 3 stands down ...
    stop = method(host, "stop")
    assert stop.status == 0, stop.stderr
    # ... and the start method resumes nothing the operator put down on purpose.
    result = method(host, "start")
    assert normal(result) == [
        "the last stop ran during this boot; nothing is resumed (boot the zones with "
        "zoneadm when the maintenance is over)",
        "start done in T: 0 preserved, 0 lost, 0 failed, 0 left alone",
    ]
    assert zone_states(host)["kz1"] == ("installed", ("suspended",))
    assert "resumed_at" not in journal(host)["cycle"]
    control.reboot_bypass(host)  # then `reboot`
    boot(host)
    result = method(host, "start")
    assert result.status == 0, result.stderr
    lines = normal(result)
    assert lines[-1] == "start done in T: 2 preserved, 0 lost, 0 failed, 0 left alone"
    assert not any("went down without" in line for line in lines)
    assert boot_times(host)["kz1"] == before["kz1"]
    assert boot_times(host)["kz2"] == before["kz2"]
    assert journal(host)["resume"]["bypassed"] is False


def test_a_zone_booted_by_hand_after_kzguard_stop_and_lost_to_reboot_is_booted_again(
    make_host: MakeHost,
) -> None:
    host = make_host(zones=2)
    configure(host)
    arm(host)
    before = boot_times(host)
    manual = kzguard("-c", str(host.policy_path), "stop")  # maintenance, by hand
    assert manual.status == 0, manual.stderr
    zoneadm(host, "-z", "kz1", "boot")  # the maintenance is over for kz1
    control.reboot_bypass(host)  # then `reboot`: no stop method
    boot(host, zones_service=False)
    result = method(host, "start")
    assert result.status == 0, result.stderr
    lost = "running state lost: booted by hand after the stop, down since with the host"
    lines = normal(result)
    assert lines[0] == (
        "the last stop was run by hand in an earlier boot, and the host went down since "
        "without kzguard's stop method (reboot, halt, a panic or a power loss)"
    )
    assert sorted(lines[1:-1]) == [
        f"booting kz1 ({lost})",
        f"kz1 booted cold in T: {lost}",
        "kz2 resumed (running state preserved) in T",
        "resuming kz2 (suspended at shutdown)",
    ]
    assert lines[-1] == "start done in T: 1 preserved, 1 lost, 0 failed, 0 left alone"
    assert boot_times(host)["kz2"] == before["kz2"]
    assert zone_states(host)["kz1"] == ("running", ())


def test_kzguard_stop_then_init_6_resumes_the_zones_after_the_reboot(make_host: MakeHost) -> None:
    host = make_host(zones=2)
    configure(host)
    manual = kzguard("-c", str(host.policy_path), "stop")
    assert manual.status == 0, manual.stderr
    clean_shutdown(host)  # init 6 runs the stop method once more
    boot(host)
    result = method(host, "start")
    assert result.status == 0, result.stderr
    assert normal(result)[-1] == "start done in T: 2 preserved, 0 lost, 0 failed, 0 left alone"


# -- order, parallelism, stagger, readiness, deadline ------------------------------


def suspend_images(host: SimHost) -> dict[str, int]:
    """Each suspended zone's image size, as the stop recorded it in history.json."""
    document = json.loads((host.state_dir / "history.json").read_text())
    return {name: runs[-1]["image_bytes"] for name, runs in document["zones"].items()}


def test_dependencies_order_the_boots_and_the_parallel_limit_holds(make_host: MakeHost) -> None:
    host = make_host(zones=5)
    configure(
        host,
        '[resume]\nparallel = 2\n[zone.kz1]\nafter = ["kz2"]\n[zone.kz2]\n'
        '[zone.kz3]\nafter = ["kz1"]\n',
        resume_rate=float(1 << 30),
    )
    clean_shutdown(host)
    boot(host)
    since = len(host.commands())
    result = method(host, "start")
    assert result.status == 0, result.stderr
    assert normal(result)[-1] == "start done in T: 5 preserved, 0 lost, 0 failed, 0 left alone"
    found = {zone: (began, ended) for zone, _, began, ended in spans(host, since)}
    assert sorted(found) == ["kz1", "kz2", "kz3", "kz4", "kz5"]
    # kz1 comes up after kz2, kz3 after kz1: the reverse of the stop's order.
    assert found["kz2"][1] <= found["kz1"][0]
    assert found["kz1"][1] <= found["kz3"][0]
    assert peak(spans(host, since)) == 2


def test_resumes_are_not_staggered_and_go_waited_on_first_then_smallest_first(
    make_host: MakeHost,
) -> None:
    host = make_host(zones=4)
    # The zone that runs after kz3 is the one of the others with the largest image,
    # so that it comes last whenever kz3's verification ends (it is released then).
    planned = {name: image_bytes(zone) for name, zone in host.read()["zones"].items()}
    after = max(["kz1", "kz2", "kz4"], key=lambda z: (planned[z], z))
    # One at a time, so that the order is the command log's; the stagger, which
    # spaces fresh boots only, would make the three gaps 30 s each.
    configure(
        host,
        f'[resume]\nparallel = 1\nstagger = "30s"\n[zone.{after}]\nafter = ["kz3"]\n[zone.kz3]\n',
    )
    clean_shutdown(host)
    images = suspend_images(host)
    assert images == {name: planned[name] for name in images}
    boot(host)
    since = len(host.commands())
    result = method(host, "start")
    assert result.status == 0, result.stderr
    found = spans(host, since)
    order = [zone for zone, _, _, _ in found]
    # kz3 is waited on; then the smallest images first (the sizes the stop
    # recorded; ties by name): one at a time the order is shortest first
    # (start/order.py).
    rest = sorted(["kz1", "kz2", "kz4"], key=lambda z: (images[z], z))
    assert rest[-1] == after
    assert order == ["kz3", *rest]
    gaps = [b[2] - a[3] for a, b in zip(found, found[1:])]
    assert all(gap < 5 for gap in gaps), gaps


def test_readiness_gates_the_dependants(make_host: MakeHost) -> None:
    host = make_host(zones=6)
    configure(
        host,
        "[resume]\nparallel = 3\n"
        '[zone.kz1]\nafter = ["kz2"]\n'
        '[zone.kz2]\nreadiness = "milestone"\n'
        '[zone.kz3]\nafter = ["kz4"]\n'
        '[zone.kz4]\nreadiness = "command"\nreadiness_command = "/opt/app/bin/ready"\n'
        '[zone.kz5]\nafter = ["kz6"]\n'
        '[zone.kz6]\nreadiness = "command"\nreadiness_command = "/opt/never"\n'
        'readiness_timeout = "1s"\n',
        resume_milestone_seconds=100.0,  # online 1s after the resume
    )
    host.set_zone_command("kz4", "/opt/app/bin/ready")
    clean_shutdown(host)
    boot(host)
    since = len(host.commands())
    result = method(host, "start")
    assert result.status == 0, result.stderr
    lines = normal(result)
    assert "kz6: not ready after 1s; releasing the zones that wait on it" in lines
    assert lines[-1] == "start done in T: 6 preserved, 0 lost, 0 failed, 0 left alone"
    found = {zone: (began, ended) for zone, _, began, ended in spans(host, since)}
    online = {name: z["online_at"] for name, z in host.read()["zones"].items()}
    assert found["kz1"][0] >= online["kz2"] > found["kz2"][1]
    assert found["kz3"][0] >= online["kz4"] > found["kz4"][1]
    assert found["kz5"][0] >= found["kz6"][1] + 1.0
    probes = [
        entry["argv"][2:]
        for entry in host.commands()[since:]
        if entry["event"] == "start" and entry["tool"] == "zlogin"
    ]
    svcs = ["/usr/bin/svcs", "-H", "-o", "state", "svc:/milestone/multi-user-server:default"]
    assert probes.count(["kz2", *svcs]) >= 2  # polled until online
    assert ["kz4", "/opt/app/bin/ready"] in probes
    zones = journal(host)["resume"]["zones"]
    assert zones["kz6"]["detail"] == "not ready after 1s"
    assert zones["kz2"]["detail"] == ""


Span = tuple[str, list[str], float, float]


def start_after_the_reboot(host: SimHost, zones: int) -> tuple[list[Span], list[Span]]:
    """Boot the host, run the start method, expect every zone preserved; the spans
    of its `zonecfg export` and of its `zoneadm boot` commands."""
    boot(host)
    since = len(host.commands())
    result = method(host, "start")
    assert result.status == 0, result.stderr
    assert normal(result)[-1] == (
        f"start done in T: {zones} preserved, 0 lost, 0 failed, 0 left alone"
    )
    return spans(host, since, "export"), spans(host, since)


def test_the_first_resume_begins_while_the_configurations_are_still_read(
    make_host: MakeHost,
) -> None:
    host = make_host(zones=20)
    configure(host)
    clean_shutdown(host)
    # The stop recorded each configuration it planned from, as zonecfg exported it.
    cycle = journal(host)["cycle"]["zones"]
    for name in ("kz1", "kz20"):
        exported = subprocess.run(
            [host.executable("zonecfg"), "-z", name, "export"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        assert cycle[name]["config"] == config_to_json(parse_zonecfg_export(name, exported))
    # Each configuration comes a second late (a loaded host): read eight at a time,
    # the twenty take three seconds, where they would otherwise end within a few tens
    # of ms, under load before the first boot's zoneadm has started.
    for number in range(1, 21):
        host.set_output_fault(f"zonecfg -z kz{number} export", "slow")
    reads, boots = start_after_the_reboot(host, 20)
    # Each configuration read once, and the first resume begun before the last read
    # ended: planned from the recorded ones, each zone's own checked before its boot.
    assert sorted(zone for zone, _, _, _ in reads) == sorted(f"kz{n}" for n in range(1, 21))
    assert boots[0][2] < max(end for _, _, _, end in reads)
    read_at = {zone: end for zone, _, _, end in reads}
    assert all(read_at[zone] <= began for zone, _, began, _ in boots)


def test_a_configuration_changed_since_the_stop_is_planned_again_from_the_live_ones(
    make_host: MakeHost,
) -> None:
    host = make_host(zones=3)
    configure(host, "[resume]\nparallel = 1\n")
    clean_shutdown(host)
    images = suspend_images(host)
    # One at a time the plan is shortest first (start/order.py): the first zone to
    # resume is made to depend on the last one while the host is down.
    smallest, middle, largest = sorted(images, key=lambda z: (images[z], z))
    host.add_smf_dependency(smallest, f"svc:/system/zones/zone:{largest}")
    boot(host)
    since = len(host.commands())
    result = method(host, "start")
    assert result.status == 0, result.stderr
    lines = normal(result)
    assert lines[0] == (
        f"configuration not as the stop recorded it (changed or unreadable): {smallest}; "
        "planning the rest from the live ones"
    )
    assert lines[-1] == "start done in T: 3 preserved, 0 lost, 0 failed, 0 left alone"
    # Nothing was begun before: the changed zone came first.  Then the zone waited
    # on first; the slot its boot frees goes to the middle one, since the smallest
    # waits for the largest's verification too.
    found = spans(host, since)
    assert [zone for zone, _, _, _ in found] == [largest, middle, smallest]
    assert found[0][3] < found[1][2]


def test_a_journal_without_the_configurations_has_them_read_before_the_first_boot(
    make_host: MakeHost,
) -> None:
    host = make_host(zones=10)
    configure(host)
    clean_shutdown(host)
    # As a version before the configurations were kept left it.
    path = host.state_dir / "journal.json"
    document = journal(host)
    for record in document["cycle"]["zones"].values():
        del record["config"]
    path.write_text(json.dumps(document))
    (host.state_dir / "journal.changes").unlink(missing_ok=True)
    reads, boots = start_after_the_reboot(host, 10)
    assert len(reads) == 10
    assert boots[0][2] > max(end for _, _, _, end in reads)


def test_the_start_deadline_reports_what_is_left_and_waits_for_nothing(make_host: MakeHost) -> None:
    host = make_host(zones=5)
    configure(host, '[resume]\ndeadline = "10s"\nparallel = 3\non_failure = "fresh-boot"\n')
    clean_shutdown(host)
    images = suspend_images(host)
    boot(host)
    set_rates(host, op_overhead=1500.0)  # from now on every boot takes 15s
    since = len(host.commands())
    started = time.monotonic()
    result = method(host, "start")
    elapsed = time.monotonic() - started
    assert result.status == 0, result.stderr
    assert elapsed < 10 + 3  # the deadline, Python's start-up, the survey and the arming
    # The first three in the boot order (start/order.py, 3 streams, by the sizes of
    # the images the stop recorded) were booting; none of them is booted fresh
    # (boot -R) when the deadline cuts its resume short: its image is probably sound.
    names = ["kz1", "kz2", "kz3", "kz4", "kz5"]
    order = boot_order([Named(name) for name in names], images, (), 3)
    booting = sorted(zone.name for zone in order[:3])
    waiting = sorted(zone.name for zone in order[3:])
    assert sorted(boot_starts(host, since)) == [(z, ["boot"]) for z in booting]
    zones = journal(host)["resume"]["zones"]
    assert {z: (e["result"], e["severity"], e["detail"]) for z, e in zones.items()} == {
        **dict.fromkeys(booting, ("still booting", "error", "start deadline reached")),
        **dict.fromkeys(waiting, ("not started", "error", "start deadline reached")),
    }
    for zone in booting + waiting:
        assert zone_states(host)[zone] == ("installed", ("suspended",))  # image kept
    lines = normal(result)
    assert sorted(lines[:-1]) == sorted(
        [f"resuming {z} (suspended at shutdown)" for z in booting]
        + [f"{z}: still booting when the start deadline was reached" for z in booting]
        + [f"{z}: not started: the start deadline was reached" for z in waiting]
    )
    assert lines[-1] == "start done in T: 0 preserved, 0 lost, 5 failed, 0 left alone"


def test_a_start_killed_half_way_is_taken_up_where_it_stopped(make_host: MakeHost) -> None:
    host = make_host(zones=2)
    # Both shut down by their policy, so booted fresh: kz1 waits on kz2, then on
    # a long stagger (which spaces fresh boots): time enough to kill the method.
    configure(
        host,
        '[resume]\nstagger = "30s"\ndeadline = "10s"\n'
        '[zone.kz1]\nafter = ["kz2"]\naction = "shutdown"\n[zone.kz2]\naction = "shutdown"\n',
    )
    clean_shutdown(host)
    boot(host)
    first = subprocess.Popen(
        [sys.executable, "-m", "kzguard", "-c", str(host.policy_path), "method", "start"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: journal_has(host, "resume", "zones", "kz2"))
    finally:
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
    assert zone_states(host)["kz1"] == ("installed", ())
    started = time.monotonic()
    result = method(host, "start")
    # Not the 30 s stagger: this run has booted nothing fresh before kz1.
    assert time.monotonic() - started < 20
    assert result.status == 0, result.stderr
    assert normal(result) == [
        "booting kz1 (shut-down at shutdown as its policy asks)",
        "kz1 booted in T (shut-down at shutdown as its policy asks)",
        "start done in T: 1 preserved, 0 lost, 0 failed, 0 left alone",
    ]
    assert sorted(journal(host)["resume"]["zones"]) == ["kz1", "kz2"]


# -- the policy ---------------------------------------------------------------------

# Edits appended to a valid policy, and the problem; {lN} is the edit's line N.
INVALID = {
    "syntax error": (
        "[resume]\nparallel = \n",
        ':{l2}:12: expected a value: a "string", a number, true or false, or an [array] of values',
    ),
    "unknown key": (
        "[resume]\nparalel = 2\n",
        ':{l2}: resume.paralel: unknown key; did you mean "parallel"?',
    ),
    "wrong type": (
        '[resume]\nparallel = "two"\n',
        ':{l2}: resume.parallel: expected "auto" or an integer from 1 to 256, got string "two"',
    ),
    "out of range": (
        "[resume]\nparallel = 0\n",
        ':{l2}: resume.parallel: must be "auto" or between 1 and 256, got 0',
    ),
    "cycle": (
        '[zone.kz1]\nafter = ["kz2"]\n[zone.kz2]\nafter = ["kz1"]\n',
        ":{l2}: zone.kz1.after: dependency cycle kz1 -> kz2 -> kz1",
    ),
    "impossible budget": (
        '[shutdown]\ndeadline = "1m"\n[defaults]\nsuspend_timeout = "2m"\n',
        ":{l3}: defaults: suspend_timeout 2m + shutdown_timeout 3m + halt_timeout 1m = 6m "
        "does not fit in shutdown.deadline 1m; raise the deadline or shorten the timeouts",
    ),
    "readiness longer than the start deadline": (
        '[resume]\ndeadline = "1m"\nstagger = "0s"\n[defaults]\nreadiness = "milestone"\n',
        ":{l4}: defaults.readiness_timeout: 5m is longer than resume.deadline 1m; shorten readiness_timeout or raise resume.deadline",
    ),
}


def test_refresh_keeps_the_last_known_good_policy_in_force_for_every_bad_edit(
    make_host: MakeHost,
) -> None:
    host = make_host(zones=0)
    path = str(host.policy_path)
    good = host.policy_path.read_text()
    valid = kzguard("-c", path, "method", "refresh")
    assert (valid.status, valid.stderr) == (0, f"kzguard: policy {path} is valid\n")
    assert Path(path + ".last-good").read_text() == good
    lines = {f"l{n}": good.count("\n") + n for n in range(1, 6)}
    edits = [(edit, path + message.format(**lines)) for edit, message in INVALID.values()]
    edits.append(
        (
            '[resume]\nstagger = "1s"\n',
            f"{path}: refusing a policy that is group- or world-writable (mode 0664); "
            f"run: chmod go-w {path}",
        )
    )
    for mode, (edit, problem) in zip([0o644] * len(INVALID) + [0o664], edits):
        host.policy_path.write_text(good + edit)
        os.chmod(path, mode)
        result = kzguard("-c", path, "method", "refresh")
        assert result.status == 0
        assert result.stderr.splitlines() == [
            f"kzguard: {problem}",
            f"kzguard: the last known good policy {path}.last-good stays in force until "
            "this is fixed",
        ]
        assert Path(path + ".last-good").read_text() == good


def test_refresh_without_a_last_known_good_copy_names_the_defaults(make_host: MakeHost) -> None:
    host = make_host(zones=0)
    path = str(host.policy_path)
    host.policy_path.write_text(host.policy_path.read_text() + "[resume]\nparalel = 2\n")
    result = kzguard("-c", path, "method", "refresh")
    assert result.status == 0
    assert result.stderr.splitlines()[1:] == [
        "kzguard: no last known good policy: the built-in defaults apply until this is fixed"
    ]
    assert not Path(path + ".last-good").exists()


def test_a_last_known_good_copy_that_no_longer_validates_is_said_and_not_used(
    make_host: MakeHost, caplog: pytest.LogCaptureFixture
) -> None:
    # Saved under an earlier kzguard whose schema allowed what this one refuses.
    host = make_host(zones=0)
    path = str(host.policy_path)
    host.policy_path.write_text("[shutdown\n")
    Path(path + ".last-good").write_text('[shutdown]\ndeadline = "20m"\nfoo = 1\n')
    refused = (
        f"kzguard: last known good copy refused: {path}.last-good:3: shutdown.foo: unknown key"
    )
    result = kzguard("-c", path, "method", "refresh")
    assert result.status == 0
    lines = result.stderr.splitlines()
    assert lines[-1] == (
        "kzguard: no last known good policy: the built-in defaults apply until this is fixed"
    )
    assert lines[-2].startswith(refused), lines
    # The methods act on the defaults (not run here: the defaults' commands are the
    # real Solaris paths), and say why the copy was refused.
    with caplog.at_level(logging.ERROR):
        policy, problems = kzmethod.load_for_method(path, explicit=True)
    assert (policy.source, policy.shutdown.deadline) == (None, 900.0)
    assert problems == [
        f'{path}:1:10: expected "]" at the end of the table header, like [shutdown]'
    ]
    said = [f"kzguard: {record.getMessage()}" for record in caplog.records]
    assert any(line.startswith(refused) for line in said), said
    assert said[-1] == "kzguard: policy unusable; acting on the built-in defaults"


def test_the_methods_act_on_the_last_known_good_policy_after_a_bad_edit(
    make_host: MakeHost,
) -> None:
    host = make_host(zones=3)
    configure(host, '[zone.kz1]\nresume = false\n[zone.kz2]\naction = "ignore"\n')
    path = str(host.policy_path)
    refresh = method(host, "refresh")  # valid: kept as the last known good copy
    assert refresh.status == 0, refresh.stderr
    good = Path(path + ".last-good").read_text()
    # The edit would manage kz2 and resume kz1, but it is invalid.
    write_policy(host, "[defaults]\nresume = 1\n")
    line = host.policy_path.read_text().splitlines().index("resume = 1") + 1
    problem = f"{path}:{line}: defaults.resume: expected true or false, got integer 1"
    fallback = f"policy unusable; acting on the last known good copy {path}.last-good"
    stop = clean_shutdown(host)
    assert normal(stop)[:2] == [problem, fallback]
    zones = journal(host)["cycle"]["zones"]
    assert sorted(zones) == ["kz1", "kz3"]  # kz2 ignored, as the last good copy says
    assert journal(host)["cycle"]["policy"] == path + ".last-good"
    boot(host)
    result = method(host, "start")
    assert result.status == 0, result.stderr
    lines = normal(result)
    assert lines[:2] == [problem, fallback]
    assert sorted(lines[2:-1]) == [
        "kz1: left alone: suspended; resume = false, so it stays suspended",
        "kz3 resumed (running state preserved) in T",
        "resuming kz3 (suspended at shutdown)",
    ]
    assert zone_states(host)["kz1"] == ("installed", ("suspended",))
    assert journal(host)["armed"]["policy"] == path + ".last-good"
    assert Path(path + ".last-good").read_text() == good  # an invalid file is never kept


@pytest.mark.parametrize(("name", "first"), [("start", "/usr/bin/kstat"), ("stop", "/usr/bin/who")])
def test_with_no_valid_policy_at_all_the_methods_use_the_built_in_defaults(
    make_host: MakeHost, name: str, first: str
) -> None:
    host = make_host(zones=0)
    path = str(host.policy_path)
    host.policy_path.write_text(host.policy_path.read_text() + "[resume]\nparalel = 2\n")
    line = host.policy_path.read_text().splitlines().index("paralel = 2") + 1
    result = kzguard("-c", path, "method", name)
    # The defaults name the real Solaris commands, which the tests refuse to run:
    # the refusal proves which policy was in force.
    lines = result.stderr.splitlines()
    assert lines[:2] == [
        f'kzguard: {path}:{line}: resume.paralel: unknown key; did you mean "parallel"?',
        "kzguard: policy unusable; acting on the built-in defaults",
    ]
    assert (
        f"RealCommandForbidden: refusing to run {first} outside KZGUARD_TEST_ALLOWED_PREFIX"
        in result.stderr
    )
    assert not Path(path + ".last-good").exists()


def test_a_zone_shut_down_by_its_own_policy_is_booted_again_without_an_error(
    make_host: MakeHost,
) -> None:
    host = make_host(zones=2)
    configure(host, '[zone.kz2]\naction = "shutdown"\n')
    arm(host)
    clean_shutdown(host)
    boot(host)
    result = method(host, "start")
    assert result.status == 0, result.stderr
    assert "kz2 booted in T (shut-down at shutdown as its policy asks)" in normal(result)
    assert journal(host)["resume"]["zones"]["kz2"]["severity"] == "ok"
    assert zone_states(host)["kz2"] == ("running", ())
    status = kzguard("-c", str(host.policy_path), "status")
    assert status.status == 0, status.stdout


def test_a_zone_whose_configuration_cannot_be_read_does_not_keep_the_others_down(
    make_host: MakeHost,
) -> None:
    host = make_host(zones=2)
    configure(host)
    clean_shutdown(host)
    boot(host)
    host.set_output_fault("zonecfg -z kz1 export", "sigkill")
    result = method(host, "start")
    assert result.status == 0, result.stderr
    lines = normal(result)
    assert lines[-1] == "start done in T: 2 preserved, 0 lost, 0 failed, 0 left alone"
    # Planned from the configurations the stop recorded, until kz1's could not be read.
    assert sorted(lines[:-1]) == [
        "configuration not as the stop recorded it (changed or unreadable): kz1; "
        "planning the rest from the live ones",
        "kz1 resumed (running state preserved) in T",
        f"kz1: configuration unknown: {host.bin_dir}/zonecfg -z kz1 export: "
        "was killed by signal 9 (SIGKILL)",
        "kz2 resumed (running state preserved) in T",
        "resuming kz1 (suspended at shutdown)",
        "resuming kz2 (suspended at shutdown)",
    ]
    assert zone_states(host) == {
        "kz1": ("running", ()),
        "kz2": ("running", ()),
        "ngz1": ("installed", ()),
    }


@pytest.mark.parametrize("fault", ["sigkill", "refused -c"])
def test_suspended_zones_are_resumed_when_zoneadm_list_s_does_not_say(
    make_host: MakeHost, fault: str
) -> None:
    host = make_host(zones=2)
    configure(host)
    clean_shutdown(host)
    boot(host, zones_service=False)
    if fault == "sigkill":
        host.set_output_fault("zoneadm list -cs", "sigkill")
    else:
        # A zoneadm that refuses -cs: plain -s lists the running zones alone
        # (docs/solaris.md 1.2, UNCONFIRMED), none of the suspended ones.
        with host.edit() as state:
            state["list_s_accepts_c"] = False
    result = method(host, "start")
    assert result.status == 0, result.stderr
    lines = normal(result)
    assert lines[-1] == "start done in T: 2 preserved, 0 lost, 0 failed, 0 left alone"
    unknown = "suspended at shutdown; zoneadm list -s did not say whether it still is"
    expected = [
        "kz1 resumed (running state preserved) in T",
        "kz2 resumed (running state preserved) in T",
        f"resuming kz1 ({unknown})",
        f"resuming kz2 ({unknown})",
    ]
    if fault == "sigkill":
        expected.append(
            f"{host.bin_dir}/zoneadm list -cs: was killed by signal 9 (SIGKILL); "
            "auxiliary states (suspended) unknown"
        )
    assert sorted(lines[:-1]) == sorted(expected)
    assert zone_states(host) == {
        "kz1": ("running", ()),
        "kz2": ("running", ()),
        "ngz1": ("installed", ()),
    }

"""The resume marker (issue 11, section 3): a resume check that a clock step cannot
fool.  Before each suspend the stop method writes a nonce into the zone's
/system/volatile (kept by a suspend, emptied by every boot); after the resume the
start method reads it back, decides with the boot time as the second signal, records
both and removes it.  One reboot of a simulated host covers every verdict; the real
``kzguard`` methods run in subprocesses against the simulator's zlogin."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

from kzguard.sim import control
from kzguard.sim.create import create_host
from kzguard.sim.state import SimHost
from tests import support
from tests.integration.conftest import Completed, kzguard
from tests.support import FAST_RATES

MARKER = "/system/volatile/kzguard/resume-marker"
KSTAT = "/usr/bin/kstat -p unix:0:system_misc:boot_time"


def method(host: SimHost, name: str) -> Completed:
    return kzguard("-c", str(host.policy_path), "method", name)


def make_host(tmp_path: Path, zones: int) -> SimHost:
    host = create_host(tmp_path / "host", zones=zones, seed=1, time_scale=0.01)
    with host.edit() as state:
        state["rates"].update(FAST_RATES)
    with open(host.policy_path, "a") as file:
        file.write('\n[shutdown]\nassumed_rate = "64G"\n[resume]\nstagger = "0s"\n')
    return host


def shut_down(host: SimHost) -> Completed:
    """`init 6` as far as kzguard sees it: the stop method, then the power goes."""
    host.set_runlevel("6", "3")
    result = method(host, "stop")
    assert result.status == 0, result.stderr
    control.zones_service_stop(host)
    control.power_off(host)
    return result


def journal(host: SimHost) -> dict[str, Any]:
    return support.journal(host)


def volatile(host: SimHost, zone: str) -> dict[str, str]:
    return dict(host.zone(zone)["volatile"]["files"])


def lines(result: Completed) -> list[str]:
    """stderr without the "kzguard: " prefix, measured times as T."""
    return [
        re.sub(r" in (\d+m)?\d+(\.\d)?s\b", " in T", line.removeprefix("kzguard: "))
        for line in result.stderr.splitlines()
    ]


def calls(host: SimHost, since: int = 0) -> list[tuple[str, list[str], float, float | None]]:
    """(tool, argv after the program, start, end) of every command, in start order."""
    ends = {e["pid"]: e["time"] for e in host.commands()[since:] if e["event"] == "end"}
    return [
        (e["tool"], e["argv"][1:], e["time"], ends.get(e["pid"]))
        for e in host.commands()[since:]
        if e["event"] == "start"
    ]


def marker_writings(host: SimHost, zone: str) -> list[str]:
    """The zone's zlogins that wrote its marker, as an error message names them: each
    one AND list, the first reading the boot time before it, the nonce random."""
    return [
        " ".join([host.executable("zlogin"), *argv])
        for tool, argv, _, _ in calls(host)
        if tool == "zlogin" and "/usr/bin/mkdir" in argv and argv[1] == zone
    ]


def test_one_reboot_every_verdict(tmp_path: Path) -> None:
    host = make_host(tmp_path, 6)
    zlogin = host.executable("zlogin")
    # kz2's guest clock is stepped at its resume; kz3's /system/volatile is read-only;
    # kz6's boot time cannot be read before its suspend.
    host.set_zone_setting("kz2", "clock_step_at_resume", "3600")
    host.set_fault("kz3", "volatile", "readonly")
    host.set_zone_command("kz6", KSTAT, status=1, stderr="kstat: I/O error\n")
    before = {name: z["boot_time"] for name, z in host.read()["zones"].items()}

    stopped = shut_down(host)
    with host.edit() as state:
        del state["zones"]["kz6"]["commands"][KSTAT]
    # kz6's marker was written alone once the boot time failed: its list stopped.
    assert [line.split(" -n kz6 ")[1].split()[0] for line in marker_writings(host, "kz6")] == [
        "/usr/bin/kstat",
        "/usr/bin/mkdir",
    ]
    [kz3_writing] = marker_writings(host, "kz3")
    mkdir_failed = (
        f"{kz3_writing}: exited with status 2: "
        'mkdir: Failed to make directory "/system/volatile/kzguard"; Read-only file system'
    )
    assert (
        "kz3: resume marker not written (zlogin: exited with status 2: mkdir: Failed to make "
        'directory "/system/volatile/kzguard"; Read-only file system); its resume will be '
        "judged by its boot time"
    ) in lines(stopped)
    zones = journal(host)["cycle"]["zones"]
    nonces = {name: zones[name]["marker"] for name in ("kz1", "kz2", "kz4", "kz5", "kz6")}
    for name, nonce in nonces.items():
        assert re.fullmatch("[0-9a-f]{32}", nonce), nonce
        assert "marker_error" not in zones[name]
        assert volatile(host, name) == {MARKER: nonce + "\n"}  # in the suspend image
    assert len(set(nonces.values())) == 5
    assert (zones["kz3"]["marker"], zones["kz3"]["marker_error"]) == (None, mkdir_failed)
    assert zones["kz3"]["boot_time"] == before["kz3"]
    assert zones["kz6"]["boot_time"] is None
    # Read and written by one zlogin, the marker atomically (a temporary file
    # renamed), and finished before the suspend.
    kz1 = [(tool, argv, began, ended) for tool, argv, began, ended in calls(host) if "kz1" in argv]
    writes = [(argv[2:], ended) for tool, argv, _, ended in kz1 if tool == "zlogin"]
    assert [argv for argv, _ in writes] == [
        [
            *KSTAT.split(),
            "&&",
            *("/usr/bin/mkdir", "-p", "/system/volatile/kzguard", "&&"),
            *("/usr/bin/echo", nonces["kz1"], ">", MARKER + ".tmp", "&&"),
            *("/usr/bin/mv", "-f", MARKER + ".tmp", MARKER),
        ],
    ]
    suspend = next(began for tool, argv, began, _ in kz1 if argv[2:3] == ["suspend"])
    assert writes[0][1] is not None
    assert writes[0][1] <= suspend

    # In between: kz4's cat of its marker will fail (an I/O error in the zone); something
    # inside kz5 removed its marker (its boot time stays); kz6 is booted afresh by
    # hand before the start method (its image and its /system/volatile are gone).
    host.clear_faults("kz3")
    host.set_output_fault(f"zlogin -n kz6 {KSTAT}", None)
    cat_failed = f"cat: cannot read {MARKER}: I/O error"
    host.set_zone_command(
        "kz4", f"/usr/bin/cat {MARKER}", status=2, stderr=cat_failed + "\n", not_ready_status=2
    )
    with host.edit() as state:
        del state["zones"]["kz5"]["volatile"]["files"][MARKER]
    control.boot_host(host)
    control.zones_service_start(host)
    zoneadm = host.executable("zoneadm")
    subprocess.run([zoneadm, "-z", "kz6", "boot", "-R"], check=True, capture_output=True)
    assert volatile(host, "kz6") == {}
    since = len(host.commands())

    started = method(host, "start")
    assert started.status == 0, started.stderr
    after = {name: z["boot_time"] for name, z in host.read()["zones"].items()}
    assert after["kz2"] == before["kz2"] + 3600  # the clock step moved the boot time
    moved = (
        "boot time moved by +3600s (guest clock stepped at resume); the marker is trusted: "
        "it cannot survive a fresh boot"
    )
    unreadable = (
        f"{zlogin} -n kz4 {KSTAT} && /usr/bin/cat {MARKER}: exited with status 2: {cat_failed}"
    )
    gone = (
        f"resume marker gone but boot time unchanged ({before['kz5']}); the marker is "
        "trusted: /system/volatile is emptied at every boot"
    )
    assert sorted(lines(started)) == sorted(
        [f"resuming {zone} (suspended at shutdown)" for zone in ("kz1", "kz2", "kz3", "kz4", "kz5")]
        + [
            "kz1 resumed (running state preserved) in T",
            f"kz2 resumed (running state preserved) in T: {moved}",
            "kz3 resumed (running state preserved) in T",
            f"kz4: marker unreadable ({unreadable}); judged by the boot time",
            "kz4 resumed (running state preserved) in T",
            f"kz5: cold-booted (running state LOST): {gone}",
            "kz6: already running (resumed by the zones service or booted by hand)",
            "kz6: cold-booted (running state LOST): resume marker gone; no boot time was recorded",
            "start done in T: 4 preserved, 2 lost, 0 failed, 0 left alone",
        ]
    )
    resumed = journal(host)["resume"]["zones"]

    def proof(trusted: str, marker: str, zone: str, note: str = "") -> dict[str, Any]:
        recorded = before[zone] if zone != "kz6" else None
        return {
            "trusted": trusted,
            "marker": marker,
            "boot_time_before": recorded,
            "boot_time_after": after[zone],
            "note": note,
        }

    verdicts = {zone: (e["result"], e["detail"], e["proof"]) for zone, e in resumed.items()}
    assert verdicts == {
        "kz1": ("resumed (running state preserved)", "", proof("marker", "found", "kz1")),
        "kz2": ("resumed (running state preserved)", moved, proof("marker", "found", "kz2", moved)),
        "kz3": (
            "resumed (running state preserved)",
            "",
            proof(
                "boot time",
                "not written",
                "kz3",
                f"marker not written ({mkdir_failed}); judged by the boot time",
            ),
        ),
        "kz4": (
            "resumed (running state preserved)",
            "",
            proof(
                "boot time",
                "unreadable",
                "kz4",
                f"marker unreadable ({unreadable}); judged by the boot time",
            ),
        ),
        "kz5": ("cold-booted (running state LOST)", gone, proof("marker", "gone", "kz5", gone)),
        "kz6": (
            "cold-booted (running state LOST)",
            "resume marker gone; no boot time was recorded",
            proof("marker", "gone", "kz6", "resume marker gone; no boot time was recorded"),
        ),
    }
    # Read with the boot time by one zlogin, and left in place (the next stop writes a
    # new one over it): no zlogin after it.
    for zone in ("kz1", "kz2", "kz4"):
        assert volatile(host, zone) == {MARKER: nonces[zone] + "\n"}
        reads = [argv[2:] for tool, argv, *_ in calls(host, since) if zone in argv[:2]]
        assert reads[-1:] == [[*KSTAT.split(), "&&", "/usr/bin/cat", MARKER]]
    assert volatile(host, "kz3") == {}
    # kzguard status shows which signal decided, and the disagreements.
    status = kzguard("-c", str(host.policy_path), "status", "--json")
    shown = {zone["name"]: zone for zone in json.loads(status.stdout)["zones"]}
    assert re.sub(r" in [0-9.]+s", " in T", shown["kz2"]["last_boot"]) == (
        f"resumed (running state preserved) in T ({moved}) [proof: resume marker]"
    )
    assert re.sub(r" in [0-9.]+s", " in T", shown["kz4"]["last_boot"]) == (
        "resumed (running state preserved) in T [proof: boot time (marker unreadable)]"
    )
    assert shown["kz5"]["last_boot_proof"] == verdicts["kz5"][2]


def test_a_zone_zlogin_cannot_enter_is_suspended_without_a_marker(tmp_path: Path) -> None:
    host = make_host(tmp_path, 1)
    host.set_fault("kz1", "zlogin", "fail")
    stopped = shut_down(host)
    both, alone = marker_writings(host, "kz1")
    assert both.split(" -n kz1 ")[1].startswith(f"{KSTAT} && /usr/bin/mkdir ")
    assert alone.split(" -n kz1 ")[1].startswith("/usr/bin/mkdir ")
    assert alone.split(" ")[-9:] == both.split(" ")[-9:]  # the same nonce, written alone
    refusal = ": exited with status 1: zlogin: could not enter zone kz1: Connection refused"
    refused = alone + refusal
    assert lines(stopped)[:2] == [
        f"kz1: resume marker not written (zlogin{refusal}); its resume will be judged by its "
        "boot time",
        f"kz1: boot time not recorded (zlogin{refusal}); its resume cannot be verified",
    ]
    # The refused zlogin makes the stop look at kz1 before suspending it (running).
    zoneadm_kz1 = [
        argv[2:]
        for tool, argv, _, _ in calls(host)
        if tool == "zoneadm" and argv[:2] == ["-z", "kz1"]
    ]
    assert zoneadm_kz1 == [["list", "-p"], ["suspend"]]
    record = journal(host)["cycle"]["zones"]["kz1"]
    assert (record["state"], record["marker"], record["marker_error"]) == (
        "suspended",
        None,
        refused,
    )

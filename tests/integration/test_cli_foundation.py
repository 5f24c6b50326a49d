"""The kzguard command against simulated hosts, through real subprocesses."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from kzguard import __version__
from kzguard.sim.state import SimHost
from tests.integration.conftest import apply_manifest, kzguard, stop_hung_on_kz1, wait_for
from tests.support import write_policy

AUTO = "select.auto: kernel zone with a suspend resource"
# The simulated host has zone instances but kzguard's manifest is not imported
# (tests/integration/test_protection.py covers the installed service).
INSTANCES = (
    "note: host: svc:/site/kzguard:default is not in the SMF repository (the package is not "
    "installed?): nothing holds the zones' instances at shutdown"
)


def zoneadm_calls(host: SimHost) -> list[list[str]]:
    return [entry["argv"] for entry in host.commands() if entry["event"] == "start"]


def test_status_lists_every_zone_with_what_kzguard_does(host: SimHost) -> None:
    apply_manifest(host)
    assert kzguard("-c", str(host.policy_path), "method", "start").status == 0
    result = kzguard("-c", str(host.policy_path), "status")
    assert result.status == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:3] == [
        "guard: armed",
        f"policy: {host.policy_path}",
        "last boot: " + lines[2][11:],
    ]
    assert lines[2].endswith(": 0 preserved, 0 lost, 0 failed, 0 left alone")
    assert lines[3].startswith("next shutdown: 4 zone(s), expected ")
    assert lines[3].endswith(" of the 14m budget (fits)")
    assert lines[4:] == [
        "next suspends: 3 at once to begin: more while the pools' bandwidth grows "
        '(zpool iostat), then by measurement; planned at 8 (parallel = "auto")',
        "next resumes: 8 at once to begin: no resume measured yet, then by measurement "
        '(parallel = "auto")',
        "NAME  STATUS   AUXILIARY  BRAND       ACTION   LAST SHUTDOWN  LAST BOOT  WHY",
        f"kz1   running  -          solaris-kz  suspend  -              -          {AUTO}",
        f"kz2   running  -          solaris-kz  suspend  -              -          {AUTO}",
        f"kz3   running  -          solaris-kz  suspend  -              -          {AUTO}",
        f"kz4   running  -          solaris-kz  suspend  -              -          {AUTO}",
        "ngz1  running  -          solaris     -        -              -          not a kernel zone (brand solaris)",
    ]
    assert result.stderr == ""


def test_status_of_a_guard_that_never_ran_is_degraded(host: SimHost) -> None:
    apply_manifest(host)
    result = kzguard("-c", str(host.policy_path), "status")
    assert result.status == 2
    assert result.stdout.splitlines()[0] == (
        "guard: DEGRADED: never armed: the start method has not run (svcs -xv site/kzguard)"
    )


def test_status_with_an_invalid_policy_is_degraded_and_uses_the_last_good_copy(
    host: SimHost,
) -> None:
    apply_manifest(host)
    assert kzguard("-c", str(host.policy_path), "method", "start").status == 0
    write_policy(host, "[shutdown]\nparallel = 0\n", assumed_rate=None, stagger=None)
    result = kzguard("-c", str(host.policy_path), "status")
    assert result.status == 2
    assert result.stderr.startswith(f"kzguard: {host.policy_path}:")
    assert 'shutdown.parallel: must be "auto" or between 1 and 256, got 0' in result.stderr
    assert result.stdout.splitlines()[:2] == [
        "guard: DEGRADED: the policy file is invalid (1 problem(s)); acting on "
        f"{host.policy_path}.last-good until it is fixed and refreshed",
        f"policy: {host.policy_path}.last-good",
    ]


def test_status_shows_a_suspended_zone_by_its_auxiliary_state(host: SimHost) -> None:
    assert kzguard("-c", str(host.policy_path), "status").status == 2  # not armed yet
    run_sim_zoneadm(host, "-z", "kz2", "suspend")
    document = json.loads(kzguard("-c", str(host.policy_path), "status", "--json").stdout)
    assert document["format"] == 1
    assert [(z["name"], z["state"], z["auxiliary_states"]) for z in document["zones"]] == [
        ("kz1", "running", []),
        ("kz2", "installed", ["suspended"]),
        ("kz3", "running", []),
        ("kz4", "running", []),
        ("ngz1", "running", []),
    ]


def kzguard_ok(host: SimHost, *args: str) -> bool:
    return kzguard("-c", str(host.policy_path), *args).status == 0


def run_sim_zoneadm(host: SimHost, *args: str) -> None:
    subprocess.run([str(host.bin_dir / "zoneadm"), *args], check=True, capture_output=True)


def test_commands_run_without_a_shell_and_with_validated_names(host: SimHost) -> None:
    kzguard("-c", str(host.policy_path), "status")
    bin_dir = str(host.bin_dir)
    assert zoneadm_calls(host)[:2] == [
        [f"{bin_dir}/zoneadm", "list", "-cp"],
        [f"{bin_dir}/zoneadm", "list", "-cs"],
    ]
    exports = sorted(argv for argv in zoneadm_calls(host) if argv[0].endswith("zonecfg"))
    assert exports == [[f"{bin_dir}/zonecfg", "-z", f"kz{n}", "export"] for n in range(1, 5)]


def test_check_on_a_fresh_host_is_clean(host: SimHost) -> None:
    result = kzguard("check", "-c", str(host.policy_path))
    assert (result.status, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        f"policy {host.policy_path}: valid",
        INSTANCES,
        "4 zones managed (kz1, kz2, kz3, kz4); 0 errors; 0 warnings; 1 note",
    ]


def test_check_reports_errors_and_warnings_with_exit_2(host: SimHost) -> None:
    write_policy(
        host, '[zone.ngz1]\n\n[zone.kz9]\naction = "shutdown"\n', assumed_rate=None, stagger=None
    )
    result = kzguard("-c", str(host.policy_path), "check")
    assert result.status == 2, result.stderr
    assert result.stdout.splitlines() == [
        f"policy {host.policy_path}: valid",
        INSTANCES,
        "warning: kz9: [zone.kz9] names a zone that is not configured on this host; kzguard will skip it",
        'error: ngz1: cannot be suspended: brand solaris (only solaris-kz zones can); set action = "shutdown" in [zone.ngz1]',
        "5 zones managed (kz1, kz2, kz3, kz4, ngz1); 1 error; 1 warning; 1 note",
    ]


def test_check_warns_when_suspend_images_may_not_fit(host: SimHost) -> None:
    with host.edit() as state:
        for fs in state["filesystems"]:
            if fs["mount"] == "/system/zones":
                fs["available"] = 1 << 30
    result = kzguard("-c", str(host.policy_path), "check", "--json")
    assert result.status == 1
    (finding,) = [f for f in json.loads(result.stdout)["findings"] if f["level"] != "note"]
    assert finding["level"] == "warning"
    assert finding["zone"] == "kz1, kz2, kz3, kz4"
    assert finding["message"].endswith(
        "on /system/zones (rpool/VARSHARE/zones) but only 1G is free; a suspend that does not fit falls back"
    )


def test_check_warns_of_a_command_path_that_cannot_be_run(host: SimHost, tmp_path: Path) -> None:
    # A typo in [commands] would show only when the global zone goes down.
    not_executable = tmp_path / "zpool"
    not_executable.write_text("#!/bin/sh\n", encoding="utf-8")
    write_policy(host, zlogin=tmp_path / "no-zlogin", zpool=not_executable)
    result = kzguard("-c", str(host.policy_path), "check")
    assert (result.status, result.stderr) == (1, "")
    assert result.stdout.splitlines() == [
        f"policy {host.policy_path}: valid",
        f'warning: host: [commands] zlogin = "{tmp_path}/no-zlogin": no such file; kzguard '
        "runs it to leave each zone's resume marker and read its boot time, the proof that "
        "its running state survived; set it to zlogin's path on this host (default "
        "/usr/sbin/zlogin)",
        f'warning: host: [commands] zpool = "{not_executable}": not executable; kzguard '
        "runs it to read the pools' bandwidth while suspends run ([shutdown] parallel = "
        '"auto"); set it to zpool\'s path on this host (default /usr/sbin/zpool)',
        INSTANCES,
        "4 zones managed (kz1, kz2, kz3, kz4); 0 errors; 2 warnings; 1 note",
    ]


def test_check_names_the_key_of_an_unusable_zoneadm_or_svcprop(
    host: SimHost, tmp_path: Path
) -> None:
    """zoneadm and zonecfg are needed to survey anything: check says which [commands]
    key to fix (an error, exit 2) instead of failing on the first zoneadm it runs;
    without svcprop it goes on without the zone instances (a warning, exit 1)."""
    write_policy(host, zoneadm=tmp_path / "typo" / "zoneadm")
    result = kzguard("-c", str(host.policy_path), "check")
    assert (result.status, result.stderr) == (2, "")
    assert result.stdout.splitlines() == [
        f"policy {host.policy_path}: valid",
        f'error: host: [commands] zoneadm = "{tmp_path}/typo/zoneadm": no such file; kzguard '
        "runs it to list, suspend, shut down, halt and boot the zones; set it to zoneadm's "
        "path on this host (default /usr/sbin/zoneadm)",
        "0 zones managed; 1 error; 0 warnings; 0 notes",
    ]
    write_policy(host, svcprop=tmp_path / "typo" / "svcprop")
    result = kzguard("-c", str(host.policy_path), "check")
    assert (result.status, result.stderr) == (1, "")
    assert result.stdout.splitlines() == [
        f"policy {host.policy_path}: valid",
        f'warning: host: [commands] svcprop = "{tmp_path}/typo/svcprop": no such file; '
        "kzguard runs it to read whether the global zone is going down (svc.startd's "
        "milestone and run level) and which zones have SMF instances; set it to svcprop's "
        "path on this host (default /usr/bin/svcprop)",
        "4 zones managed (kz1, kz2, kz3, kz4); 0 errors; 1 warning; 0 notes",
    ]


def test_status_during_a_stop_says_it_is_running_not_that_it_died(host: SimHost) -> None:
    # A stop whose suspend of kz1 hangs (10 s of timeout) holds the lock; status then
    # sees a stop cycle with no end, which is a stop in progress, not a killed one.
    apply_manifest(host)
    assert kzguard("-c", str(host.policy_path), "method", "start").status == 0
    write_policy(host, '[zone.kz1]\nsuspend_timeout = "10s"\n')
    with stop_hung_on_kz1(host) as stop:
        result = kzguard("-c", str(host.policy_path), "status")
    lines = result.stdout.splitlines()
    assert lines[0] == "guard: armed"
    assert re.fullmatch(
        rf"stop running now: pid {stop.pid} \(kzguard stop\) since \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d",
        lines[2],
    ), lines
    assert not [line for line in lines if line.startswith("error:")]
    assert result.status == 0
    # Killed, it is the dead stop status reports.
    after = kzguard("-c", str(host.policy_path), "status")
    assert (
        after.stdout.splitlines()[0]
        == "guard: armed; the last stop did not finish; 1 error(s) recorded"
    )
    assert after.status == 1


def test_invalid_policy_exits_2_and_touches_nothing(host: SimHost) -> None:
    write_policy(
        host,
        '[zone.app1]\nafter = ["db9"]\n[shutdown]\nparalel = 4\n',
        assumed_rate=None,
        stagger=None,
    )
    before = len(host.commands())
    result = kzguard("-c", str(host.policy_path), "check")
    assert result.status == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"kzguard: {host.policy_path}:")
    assert lines[0].endswith(': zone.app1.after[0]: unknown zone "db9"')
    assert 'shutdown.paralel: unknown key; did you mean "parallel"?' in lines[1]
    assert len(host.commands()) == before


def test_missing_explicit_policy_is_an_error(tmp_path: Path) -> None:
    result = kzguard("-c", str(tmp_path / "nope.toml"), "check")
    assert result.status == 2
    assert result.stderr.startswith(f"kzguard: {tmp_path / 'nope.toml'}: no such file")


def test_group_writable_policy_is_refused(host: SimHost) -> None:
    os.chmod(host.policy_path, 0o664)
    result = kzguard("-c", str(host.policy_path), "check")
    assert result.status == 2
    assert result.stderr == (
        f"kzguard: {host.policy_path}: refusing a policy that is group- or world-writable "
        f"(mode 0664); run: chmod go-w {host.policy_path}\n"
    )


def test_garbage_from_zoneadm_is_a_clear_error_naming_the_command(host: SimHost) -> None:
    zoneadm = host.bin_dir / "zoneadm"
    zoneadm.write_text(f"#!{sys.executable}\nprint('this is not zoneadm output')\n")
    result = kzguard("-c", str(host.policy_path), "status")
    assert result.status == 3
    assert result.stderr.startswith(f"kzguard: {zoneadm} list -cp: unexpected output: ")
    assert "Traceback" not in result.stderr


def test_missing_zoneadm_is_a_clear_error(host: SimHost) -> None:
    (host.bin_dir / "zoneadm").unlink()
    result = kzguard("-c", str(host.policy_path), "status")
    assert (result.status, result.stderr) == (
        3,
        f"kzguard: {host.bin_dir / 'zoneadm'} list -cp: cannot run {host.bin_dir / 'zoneadm'}: "
        "no such file\n",
    )


def test_zoneadm_without_list_cs_falls_back_to_list_s(host: SimHost) -> None:
    with host.edit() as state:
        state["list_s_accepts_c"] = False
    result = kzguard("-c", str(host.policy_path), "check")
    assert result.status == 0, result.stderr
    lists = [argv[1:] for argv in zoneadm_calls(host) if argv[0].endswith("zoneadm")]
    assert lists == [["list", "-cp"], ["list", "-cs"], ["list", "-s"]]


def test_verbose_logs_each_command_and_its_duration(host: SimHost) -> None:
    result = kzguard("-v", "-c", str(host.policy_path), "check")
    assert result.status == 0
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"kzguard: ran {host.bin_dir}/zoneadm list -cp: status 0 in ")


def test_version_and_usage() -> None:
    assert kzguard("--version").stdout == f"kzguard {__version__}\n"
    usage = kzguard("frobnicate")
    assert usage.status == 2
    assert "invalid choice: 'frobnicate'" in usage.stderr


def _state(pid: int) -> str:
    """The process's state letter, or "gone"."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return "gone"


def test_an_interrupted_command_says_so_and_leaves_no_command_running(host: SimHost) -> None:
    """Ctrl-C while zoneadm hangs: exit 130, one line, and the hung zoneadm and its
    child killed with their process group."""
    host.set_output_fault("zoneadm list -cp", "hang")
    process = subprocess.Popen(
        [sys.executable, "-m", "kzguard", "-c", str(host.policy_path), "status"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A test run started in the background (`make test &`, nohup) inherits
        # SIGINT ignored, and Python then keeps ignoring it: Ctrl-C is what is tested.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
    )
    try:
        wait_for(lambda: [entry for entry in host.commands() if entry["event"] == "fault"])
        fault = next(entry for entry in host.commands() if entry["event"] == "fault")
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
        process.wait()
    assert (process.returncode, out, err) == (130, "", "kzguard: interrupted\n")
    wait_for(lambda: {_state(fault["pid"]), _state(fault["child"])} <= {"gone", "Z"})


def test_status_without_the_hosts_boot_time_warns_and_goes_on(host: SimHost) -> None:
    apply_manifest(host)
    assert kzguard("-c", str(host.policy_path), "method", "start").status == 0
    host.set_output_fault("kstat -p unix:0:system_misc:boot_time", "garbage")
    result = kzguard("-c", str(host.policy_path), "status")
    assert result.stderr.splitlines()[0].startswith(
        f"kzguard: global zone boot time unknown: {host.bin_dir}/kstat -p "
        "unix:0:system_misc:boot_time: unexpected output: "
    )
    assert result.stdout.splitlines()[0] == "guard: armed"
    assert result.status == 0

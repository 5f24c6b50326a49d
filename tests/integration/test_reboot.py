"""``kzguard reboot`` and ``kzguard wait`` against a simulated host: every refusal
with its exact message, init 6 (never reboot) detached from the command, the boot
environment, the confirmation, and the verdict after the boot (issue 14)."""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from kzguard import cli_pending as pending
from kzguard.sim.reboot import set_power_cycle_seconds
from kzguard.sim.state import SimHost
from tests.integration.conftest import Completed, apply_manifest, kzguard, wait_for
from tests.support import FAST_RATES, write_policy

FMRI = "svc:/site/kzguard:default"
NEVER_ARMED = (
    "kzguard: not rebooting: never armed: the start method has not run (svcs -xv site/kzguard)\n"
)


@pytest.fixture
def host_options() -> dict[str, Any]:
    return {"zones": 2, "rates": FAST_RATES, "policy": ""}


def armed(host: SimHost) -> SimHost:
    """kzguard's manifest imported and its start method run: the guard is armed and
    holds both zones' instances."""
    apply_manifest(host)
    assert kz(host, "method", "start").status == 0
    return host


def kz(host: SimHost, *args: str) -> Completed:
    return kzguard("-c", str(host.policy_path), *args)


def commands(host: SimHost) -> list[list[str]]:
    lines = (host.path / "commands.log").read_text().splitlines()
    return [event["argv"][1:] for event in map(json.loads, lines) if event["event"] == "start"]


def tools_run(host: SimHost) -> set[str]:
    lines = (host.path / "commands.log").read_text().splitlines()
    return {event["tool"] for event in map(json.loads, lines) if event["event"] == "start"}


def pending_record(host: SimHost) -> Path:
    return host.state_dir / "reboot-pending.json"


def rebooted(host: SimHost, boot_time: int) -> None:
    """Wait, as Ansible's reboot module does, for the host to be up in a new boot."""
    wait_for(lambda: host.read()["host_boot_time"] != boot_time, timeout=60)


def test_refuses_when_the_guard_was_never_armed(host: SimHost) -> None:
    result = kz(host, "reboot", "--yes")
    assert (result.status, result.stdout) == (2, "")
    assert result.stderr.endswith(NEVER_ARMED)
    assert "init" not in tools_run(host)


def test_refuses_with_an_invalid_policy_and_says_why(host: SimHost) -> None:
    armed(host)
    write_policy(host, "[shutdown]\nparalel = 2\n")
    result = kz(host, "reboot", "--yes")
    assert result.status == 2
    line = host.policy_path.read_text().splitlines().index("paralel = 2") + 1
    assert result.stderr == (
        f"kzguard: {host.policy_path}:{line}: shutdown.paralel: unknown key; did you mean "
        '"parallel"?\n'
        "kzguard: not rebooting: the policy file is invalid (1 problem(s)); acting on "
        f"{host.policy_path}.last-good until it is fixed and refreshed\n"
    )
    assert "init" not in tools_run(host)


def test_refuses_when_a_managed_zone_is_not_held_at_shutdown(host: SimHost) -> None:
    armed(host)
    subprocess.run([host.executable("svccfg"), "-s", FMRI, "delpg", "zone-kz1"], check=True)
    subprocess.run([host.executable("svcadm"), "refresh", FMRI], check=True)
    result = kz(host, "reboot", "--dry-run")
    assert result.status == 2
    assert result.stderr == (
        "kzguard: not rebooting: kz1 is not held at shutdown: no dependency of "
        f"{FMRI} on its instance, so the zones service may shut it down while kzguard "
        f"suspends it; run as root: svcadm refresh {FMRI}\n"
    )


def test_refuses_when_the_stop_plan_would_not_suspend_every_zone(host: SimHost) -> None:
    armed(host)
    write_policy(
        host,
        '[shutdown]\ndeadline = "10s"\nassumed_rate = "1M"\n'
        '[defaults]\nsuspend_timeout = "5s"\nshutdown_timeout = "2s"\nhalt_timeout = "1s"\n',
    )
    result = kz(host, "reboot", "--dry-run")
    assert (result.status, result.stdout) == (2, "")
    assert result.stderr == (
        "kzguard: not rebooting: kz1 may not be suspended: expected suspend 34m8s (2G at "
        "assumed 1M/s) exceeds its timeout 5s, which bounds the try\n"
        "kzguard: not rebooting: kz2 may not be suspended: expected suspend 4h33m4s (16G at "
        "assumed 1M/s) exceeds its timeout 5s, which bounds the try\n"
    )


def test_refuses_a_boot_environment_name_beadm_would_take_for_an_option(host: SimHost) -> None:
    armed(host)
    result = kz(host, "reboot", "--dry-run", "--be=-F")
    assert result.status == 2
    assert result.stderr == (
        "kzguard: not rebooting: '-F' is not a boot environment name (letters, digits and "
        "_-.:+, beginning with a letter or digit, at most 255)\n"
    )


def test_dry_run_shows_the_plan_and_the_commands_and_runs_neither(host: SimHost) -> None:
    armed(host)
    subprocess.run([host.executable("beadm"), "create", "solaris-1"], check=True)
    result = kz(host, "reboot", "--dry-run", "--be", "solaris-1")
    assert (result.status, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert lines[0].startswith("stop plan: 2 zones, 8 at a time; deadline 15m")
    assert lines[-3:] == [
        f"would run: {host.executable('beadm')} activate solaris-1",
        f"would run: {host.executable('init')} 6",
        "(dry run; not rebooting)",
    ]
    assert "init" not in tools_run(host)
    beadm = [["create", "solaris-1"], ["list", "-H"], ["activate", "solaris-1"]]
    assert [argv for argv in commands(host) if argv in beadm] == beadm[:2]


def test_dry_run_refuses_a_boot_environment_beadm_does_not_list(host: SimHost) -> None:
    armed(host)
    subprocess.run([host.executable("beadm"), "create", "solaris-1"], check=True)
    result = kz(host, "reboot", "--dry-run", "--be", "solaris-2")
    assert (result.status, result.stdout) == (2, "")
    assert result.stderr == (
        "kzguard: not rebooting: no boot environment solaris-2 (beadm list -H: solaris, "
        "solaris-1)\n"
    )


def test_a_beadm_that_cannot_list_is_a_reason_to_refuse(host: SimHost) -> None:
    armed(host)
    host.set_output_fault("beadm list -H", "empty")
    result = kz(host, "reboot", "--yes", "--be", "solaris")
    assert (result.status, result.stdout) == (2, "")
    assert result.stderr == (
        "kzguard: not rebooting: cannot list the boot environments to find solaris: "
        f"{host.executable('beadm')} list -H: unexpected output: no output, expected a "
        "line for each boot environment: ''\n"
    )
    assert "init" not in tools_run(host)
    assert not pending_record(host).exists()


def test_without_yes_and_without_a_terminal_it_refuses(host: SimHost) -> None:
    armed(host)
    result = kz(host, "reboot")
    assert result.status == 2
    assert result.stderr == "kzguard: not rebooting: no terminal to confirm on; add --yes\n"
    assert result.stdout.endswith(f"then: {host.executable('init')} 6\n")
    assert "init" not in tools_run(host)


def test_on_a_terminal_it_asks_and_a_no_changes_nothing(host: SimHost) -> None:
    armed(host)
    main, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "kzguard", "-c", str(host.policy_path), "reboot"],
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(terminal)
    os.write(main, b"n\n")
    stdout, stderr = process.communicate(timeout=60)
    os.close(main)
    assert process.returncode == 2
    assert stdout.endswith("reboot the global zone now with init 6? [y/N] ")
    assert stderr == "kzguard: not rebooting: not confirmed\n"
    assert "init" not in tools_run(host)


def test_an_unknown_boot_environment_is_refused_before_anything_runs(host: SimHost) -> None:
    armed(host)
    result = kz(host, "reboot", "--yes", "--be", "nosuch")
    assert (result.status, result.stdout) == (2, "")
    assert result.stderr == (
        "kzguard: not rebooting: no boot environment nosuch (beadm list -H: solaris)\n"
    )
    assert ["activate", "nosuch"] not in commands(host)
    assert "init" not in tools_run(host)
    assert not pending_record(host).exists()


def test_a_failed_activation_stops_it_before_init(host: SimHost) -> None:
    armed(host)
    subprocess.run([host.executable("beadm"), "create", "solaris-1"], check=True)
    host.set_output_fault("beadm activate solaris-1", "sigkill")
    result = kz(host, "reboot", "--yes", "--be", "solaris-1")
    assert result.status == 3
    assert result.stderr == (
        f"kzguard: {host.executable('beadm')} activate solaris-1: was killed by signal 9 "
        "(SIGKILL)\n"
    )
    assert "init" not in tools_run(host)
    assert not pending_record(host).exists()


def test_timeout_bounds_init_itself(host: SimHost) -> None:
    armed(host)
    host.set_output_fault("init 6", "hang")
    result = kz(host, "reboot", "--yes", "--timeout", "1s")
    assert result.status == 3
    assert result.stderr == (
        f"kzguard: {host.executable('init')} 6: timed out after 1s and was killed\n"
    )
    assert not pending_record(host).exists()  # no reboot is coming: wait must not wait


def test_reboot_then_wait_a_whole_cycle_into_a_new_boot_environment(host: SimHost) -> None:
    armed(host)
    subprocess.run([host.executable("beadm"), "create", "solaris-1"], check=True)
    before = host.read()
    result = kz(host, "reboot", "--yes", "--be", "solaris-1")
    assert result.status == 0
    assert result.stderr == (
        "kzguard: boot environment solaris-1 activated for the next boot\n"
        "kzguard: init 6 started: the stop method suspends the zones; after the boot, "
        "kzguard wait says whether they came back\n"
    )
    record = json.loads(pending_record(host).read_text())
    assert (record["format"], record["host_boot_time"]) == (1, before["host_boot_time"])
    ran = commands(host)
    assert ["activate", "solaris-1"] in ran
    assert ["6"] in ran
    assert "reboot" not in tools_run(host)
    rebooted(host, before["host_boot_time"])
    waited = kz(host, "wait", "--timeout", "60s")
    assert (waited.status, waited.stderr) == (0, "")
    assert waited.stdout.startswith("start done in ")
    assert waited.stdout.endswith(": 2 preserved, 0 lost, 0 failed, 0 left alone\n")
    after = host.read()
    for name in ("kz1", "kz2"):
        assert after["zones"][name]["state"] == "running"
        assert after["zones"][name]["boot_time"] == before["zones"][name]["boot_time"]
    flags = subprocess.run(
        [host.executable("beadm"), "list", "-H"], capture_output=True, text=True, check=True
    ).stdout
    assert [line.split(";")[2] for line in flags.splitlines()] == ["", "NR"]
    status = json.loads(kz(host, "status", "--json").stdout)
    cycle = status["last_cycle"]
    assert cycle["complete"] is True
    assert cycle["reasons"] == []
    assert cycle["this_boot"] is True
    assert cycle["finished"] is True
    assert cycle["host_boot_time"] == after["host_boot_time"]
    assert cycle["stop_host_boot_time"] == before["host_boot_time"]
    assert cycle["id"] == f"{cycle['stop_started']:.3f}@{after['host_boot_time']}"
    for name in ("kz1", "kz2"):
        zone = cycle["zones"][name]
        assert zone["verdict"] == "preserved"
        assert zone["stop_state"] == "suspended"
        assert zone["downtime_seconds"] > zone["suspend_seconds"] + zone["resume_seconds"]


def test_wait_right_after_reboot_answers_for_the_next_boot(host: SimHost) -> None:
    armed(host)  # this boot's start record is finished: the stale answer wait must not give
    before = host.read()["host_boot_time"]
    # a power cycle long enough that the old boot's record is there all the while
    set_power_cycle_seconds(host, 300)
    assert kz(host, "reboot", "--yes").status == 0
    waited = kz(host, "wait", "--json", "--timeout", "60s")
    assert (waited.status, waited.stderr) == (0, "")
    document = json.loads(waited.stdout)
    after = host.read()["host_boot_time"]
    assert after != before
    assert document["wait"]["exit_status"] == 0
    assert document["wait"]["summary"].startswith("start done in ")
    assert document["wait"]["summary"].endswith(": 2 preserved, 0 lost, 0 failed, 0 left alone")
    cycle = document["last_cycle"]
    assert (cycle["host_boot_time"], cycle["stop_host_boot_time"]) == (after, before)
    assert (cycle["this_boot"], cycle["finished"], cycle["complete"]) == (True, True, True)
    assert document["guard"]["armed"] is True


def test_wait_does_not_answer_while_the_boot_to_take_down_is_up(host: SimHost) -> None:
    armed(host)
    boot = host.read()["host_boot_time"]
    requested = time.mktime((2026, 12, 2, 23, 1, 2, 0, 0, -1))
    pending.record(str(host.state_dir), pending.PendingReboot(boot, requested))
    waited = kz(host, "wait", "--timeout", "2s")
    assert (waited.status, waited.stdout) == (5, "")
    assert waited.stderr == (
        "kzguard: the reboot kzguard reboot asked for at 23:01:02 has not happened after 2s: "
        "the host is still up in the boot it was to take down\n"
    )
    # a record of an older boot means the reboot happened: the verdict is this boot's
    pending.record(str(host.state_dir), pending.PendingReboot(boot - 600, requested))
    answered = kz(host, "wait", "--timeout", "30s")
    assert (answered.status, answered.stderr) == (0, "")
    assert answered.stdout.startswith("start done in ")
    assert answered.stdout.endswith(": 0 preserved, 0 lost, 0 failed, 0 left alone\n")


def test_wait_says_lost_or_failed_with_status_1(host: SimHost) -> None:
    armed(host)
    host.set_fault("kz1", "resume", "corrupt")
    before = host.read()["host_boot_time"]
    assert kz(host, "reboot", "--yes").status == 0
    rebooted(host, before)
    waited = kz(host, "wait", "--timeout", "60s")
    assert waited.status == 1
    assert waited.stdout.endswith("; not preserved: kz1\n")
    cycle = json.loads(kz(host, "status", "--json").stdout)["last_cycle"]
    assert cycle["complete"] is False
    assert cycle["zones"]["kz1"]["verdict"] == "failed"
    assert cycle["reasons"] == [f"kz1: failed: {cycle['zones']['kz1']['result']}"]


def test_wait_on_a_degraded_guard_exits_2(host: SimHost) -> None:
    armed(host)
    write_policy(host, "[shutdown]\nparalel = 2\n")
    waited = kz(host, "wait", "--timeout", "30s")
    assert waited.status == 2
    assert "guard: DEGRADED: the policy file is invalid" in waited.stdout


def test_wait_times_out_with_status_5(host: SimHost) -> None:
    began = time.monotonic()
    waited = kz(host, "wait", "--timeout", "2s")
    assert waited.status == 5
    assert waited.stderr == ("kzguard: the start method of this boot has not finished after 2s\n")
    assert time.monotonic() - began < 30


def test_wait_without_the_boot_time_says_so_once_and_at_its_timeout(host: SimHost) -> None:
    """kstat broken: every poll reads the boot time again, and the journal cannot be
    told this boot's; one warning, not one a second (found by review)."""
    armed(host)
    host.set_output_fault("kstat -p unix:0:system_misc:boot_time", "garbage")
    waited = kz(host, "wait", "--timeout", "3s")
    lines = waited.stderr.splitlines()
    problem = (
        f"{host.bin_dir}/kstat -p unix:0:system_misc:boot_time: unexpected output: "
        + lines[0].split(": unexpected output: ", 1)[-1]
    )
    assert (waited.status, waited.stdout) == (5, "")
    assert lines == [
        f"kzguard: global zone boot time unknown: {problem}",
        "kzguard: no answer after 3s: which boot the journal's records are of is unknown "
        f"without the global zone boot time ({problem})",
    ]


def test_wait_names_a_missing_policy_file_at_once(host: SimHost) -> None:
    """Said before the wait, which may be long, not only with its answer."""
    armed(host)
    host.policy_path.rename(host.path / "moved.toml")
    waited = kz(host, "wait", "--timeout", "30s")
    assert (waited.status, waited.stderr.splitlines()[0]) == (
        2,
        f"kzguard: {host.policy_path}: no such file",
    )
    assert waited.stdout.startswith("start done in ")
    assert "guard: DEGRADED: the policy file is invalid" in waited.stdout


def test_wait_ctrl_c_exits_130_without_a_traceback(host: SimHost) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "kzguard", "-c", str(host.policy_path), "wait"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(2.0)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)
    assert (process.returncode, stdout, stderr) == (130, "", "kzguard: interrupted\n")

"""The simulated init, shutdown and beadm: their syntax, their texts, and the
reboot that ``init 6`` starts detached from the caller (kzguard/sim/reboot.py)."""

from __future__ import annotations

import os
import time
from typing import Any

import pytest

from kzguard.sim import beadm, control, reboot
from kzguard.sim.state import SimHost, SimStateError
from tests.sim.helpers import run
from tests.support import set_rates

INIT_USAGE = "Usage: init [0123456SsQqabc]\n"
SHUTDOWN_USAGE = "Usage:  shutdown [ -y ] [ -g<grace> ] [ -i<initstate> ] [ message ]\n"
NO_BE = (
    "Unable to activate {0}.\n{0} does not exist or appear to be a valid BE.\n"
    "Please check that the name of the BE provided is correct.\n"
)


@pytest.fixture
def host_options() -> dict[str, Any]:
    """Two zones; the zones' shutdown takes 1.5 s of real time, so that a test can
    look at a reboot while it is under way."""
    return {"zones": 2, "seed": 0, "rates": {"shutdown_seconds": 150.0, "boot_seconds": 1.0}}


def wait_for_reboot(host: SimHost, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record: dict[str, Any] = host.read()["reboot"]
        if record["ended"] is not None:
            return record
        time.sleep(0.05)
    raise AssertionError("the simulated reboot did not end")


@pytest.mark.parametrize(
    ("args", "status"), [((), 0), (("6", "6"), 0), (("66",), 0), (("x",), 1), (("7",), 1)]
)
def test_init_checks_its_one_argument_as_illumos_init_does(
    host: SimHost, args: tuple[str, ...], status: int
) -> None:
    result = run(host, "init", *args)
    assert (result.status, result.stdout, result.stderr) == (status, "", INIT_USAGE)
    assert "reboot" not in host.read()


@pytest.mark.parametrize("level", ["0", "5", "S", "3", "q"])
def test_init_other_than_6_is_not_simulated(host: SimHost, level: str) -> None:
    result = run(host, "init", level)
    assert result.status == 3
    assert result.stderr == (
        f"init: simulated host: only run level 6 (a reboot) is simulated, not {level!r}\n"
    )
    assert "reboot" not in host.read()


def test_init_6_returns_at_once_and_the_reboot_goes_on_detached(host: SimHost) -> None:
    before = host.read()
    result = run(host, "init", "6")
    assert (result.status, result.stdout, result.stderr) == (0, "", "")
    record = host.read()["reboot"]
    assert record["ended"] is None  # the zones' shutdown alone takes 1.5 s
    pid = record["pid"]
    # Its own session, its output in reboot.log: nothing of init's waits for it.
    assert os.getsid(pid) == pid
    assert os.readlink(f"/proc/{pid}/fd/1") == str(host.path / reboot.LOG_NAME)
    again = run(host, "init", "6")
    assert again.status == 0
    assert host.read()["reboot"]["pid"] == pid  # already going down: nothing new
    record = wait_for_reboot(host)
    after = host.read()
    assert record["status"] is None  # no kzguard on this host
    assert after["host_boot_time"] > before["host_boot_time"]
    assert after["runlevel"]["current"] == "3"
    assert {name: zone["state"] for name, zone in after["zones"].items()} == {
        "kz1": "installed",
        "kz2": "installed",
        "ngz1": "installed",
    }
    log = (host.path / reboot.LOG_NAME).read_text()
    assert log == (
        f"init 6 requested (pid {pid})\nsvc:/site/kzguard:default is not an enabled service here\n"
        "powered off: firmware and boot to multi-user take 60 simulated seconds (0.60s)\n"
    )
    # the power cycle's time, the ASSUMPTION default at the host's time scale 0.01
    assert record["ended"] - record["requested"] >= 0.6


def test_the_power_cycle_is_a_host_setting(host: SimHost) -> None:
    assert reboot.power_cycle_seconds(host.read()) == reboot.DEFAULT_POWER_CYCLE_SECONDS == 60
    reboot.set_power_cycle_seconds(host, 0)
    assert (host.read()["reboot_seconds"], reboot.power_cycle_seconds(host.read())) == (0.0, 0.0)
    with pytest.raises(SimStateError) as raised:
        reboot.set_power_cycle_seconds(host, -1)
    assert str(raised.value) == "reboot_seconds must be 0 or more seconds, not -1"
    assert run(host, "init", "6").status == 0
    wait_for_reboot(host)
    assert (
        (host.path / reboot.LOG_NAME)
        .read_text()
        .endswith("powered off: firmware and boot to multi-user take 0 simulated seconds (0.00s)\n")
    )


def test_shutdown_refuses_states_that_do_not_shut_down(host: SimHost) -> None:
    result = run(host, "shutdown", "-y", "-i", "3")
    assert (result.status, result.stdout) == (1, "")
    assert result.stderr == "shutdown: Initstate 3 is not for system shutdown.\n"


@pytest.mark.parametrize("args", [("-x",), ("-g", "soon"), ("-i",)])
def test_shutdown_usage(host: SimHost, args: tuple[str, ...]) -> None:
    result = run(host, "shutdown", *args)
    assert (result.status, result.stdout, result.stderr) == (2, "", SHUTDOWN_USAGE)


def test_shutdown_without_y_asks_and_an_empty_answer_cancels(host: SimHost) -> None:
    result = run(host, "shutdown", "-g", "0", "-i", "6")  # stdin is /dev/null
    assert result.status == 1
    assert result.stdout.startswith("\nShutdown started.    ")
    assert result.stdout.endswith("\n\nDo you want to continue? (y or n):   \nShutdown aborted.\n")
    assert "reboot" not in host.read()


def test_shutdown_y_g0_i6_changes_to_init_state_6(host: SimHost) -> None:
    set_rates(host, shutdown_seconds=2.0)
    result = run(host, "shutdown", "-y", "-g", "0", "-i", "6")
    assert (result.status, result.stderr) == (0, "")
    assert result.stdout.endswith("\n\nChanging to init state 6 - please wait\n")
    assert host.read()["reboot"]["level"] == "6"
    wait_for_reboot(host)


def test_beadm_list_shows_the_one_booted_be(host: SimHost) -> None:
    result = run(host, "beadm", "list")
    assert result.status == 0
    lines = result.stdout.splitlines()
    assert lines[:2] == [
        "BE               Flags Mountpoint Space  Policy Created",
        "--               ----- ---------- -----  ------ -------",
    ]
    assert lines[2].startswith("solaris          NR    /          12.45G static 20")
    assert len(lines) == 3


def test_beadm_activate_marks_the_be_for_the_next_boot_which_boots_it(host: SimHost) -> None:
    assert run(host, "beadm", "create", "solaris-1").status == 0
    result = run(host, "beadm", "activate", "solaris-1")
    assert (result.status, result.stdout, result.stderr) == (0, "", "")
    flags = [line.split()[:3] for line in run(host, "beadm", "list").stdout.splitlines()[2:]]
    assert flags == [["solaris", "N", "/"], ["solaris-1", "R", "-"]]
    parseable = run(host, "beadm", "list", "-H").stdout.splitlines()
    assert [line.split(";")[2:4] for line in parseable] == [["N", "/"], ["R", ""]]
    control.boot_host(host)
    flags = [line.split()[:3] for line in run(host, "beadm", "list").stdout.splitlines()[2:]]
    assert flags == [["solaris", "-", "-"], ["solaris-1", "NR", "/"]]


def test_beadm_activate_of_an_unknown_be_fails_with_beadms_text(host: SimHost) -> None:
    result = run(host, "beadm", "activate", "nosuch")
    assert (result.status, result.stdout, result.stderr) == (1, "", NO_BE.format("nosuch"))
    assert run(host, "beadm", "create", "solaris").stderr == (
        "Unable to create solaris.\nBE solaris already exists. Please choose a different BE name.\n"
    )


@pytest.mark.parametrize(
    "args", [(), ("destroy", "x"), ("activate",), ("activate", "a", "b"), ("list", "-z")]
)
def test_beadm_usage(host: SimHost, args: tuple[str, ...]) -> None:
    result = run(host, "beadm", *args)
    assert (result.status, result.stdout) == (1, "")
    assert result.stderr == "Invalid options and arguments:\n" + beadm.USAGE


def test_beadm_sizes_have_four_significant_digits() -> None:
    assert [beadm.size(n) for n in (512, 6_430_000, 328_300_000, 13_369_344_000)] == [
        "512B",
        "6.132M",
        "313.1M",
        "12.45G",
    ]

"""Output faults: a simulated command that misbehaves as a program, whatever the state
says (kzguard.sim.tools)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time

import pytest

from kzguard.sim.state import SimHost
from kzguard.sim.tools import GARBAGE, HUGE_BYTES, SLOW_SECONDS


def run_bytes(host: SimHost, tool: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [host.executable(tool), *args],
        capture_output=True,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def ended(pid: int) -> bool:
    """No such process, or only a zombie waiting for init to reap it."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def events(host: SimHost, tool: str) -> list[str]:
    return [entry["event"] for entry in host.commands() if entry["tool"] == tool]


@pytest.fixture
def listing(host: SimHost) -> bytes:
    """What ``zoneadm list -cp`` prints without a fault."""
    completed = run_bytes(host, "zoneadm", "list", "-cp")
    assert completed.returncode == 0
    return completed.stdout


def test_garbage_and_empty_exit_0(host: SimHost, listing: bytes) -> None:
    host.set_output_fault("zoneadm list -cp", "garbage")
    completed = run_bytes(host, "zoneadm", "list", "-cp")
    assert (completed.returncode, completed.stdout, completed.stderr) == (0, GARBAGE, b"")
    host.set_output_fault("zoneadm list -cp", "empty")
    completed = run_bytes(host, "zoneadm", "list", "-cp")
    assert (completed.returncode, completed.stdout, completed.stderr) == (0, b"", b"")
    # Only that exact command line misbehaves.
    assert run_bytes(host, "zoneadm", "list", "-cv").stdout.startswith(b"  ID NAME")
    host.set_output_fault("zoneadm list -cp", None)
    assert run_bytes(host, "zoneadm", "list", "-cp").stdout == listing


def test_truncate_prints_the_first_half_cut_mid_line(host: SimHost, listing: bytes) -> None:
    host.set_output_fault("zoneadm list -cp", "truncate")
    completed = run_bytes(host, "zoneadm", "list", "-cp")
    assert completed.returncode == 0
    assert completed.stdout == listing[: len(listing) // 2]
    assert not completed.stdout.endswith(b"\n")


def test_huge_prints_20_mib_of_junk_lines(host: SimHost) -> None:
    host.set_output_fault("df -k /system/zones", "huge")
    completed = run_bytes(host, "df", "-k", "/system/zones")
    assert completed.returncode == 0
    assert len(completed.stdout) == HUGE_BYTES
    assert set(completed.stdout.splitlines()) == {b"x" * 1023}


@pytest.mark.parametrize(("fault", "number"), [("sigkill", 9), ("sigsegv", 11)])
def test_a_killed_command_prints_nothing_and_logs_no_end(
    host: SimHost, fault: str, number: int
) -> None:
    host.set_output_fault("who -r", fault)
    completed = run_bytes(host, "who", "-r")
    assert (completed.returncode, completed.stdout) == (-number, b"")
    assert events(host, "who") == ["start"]
    assert not any(name.startswith("core") for name in os.listdir("."))


def test_hang_leaves_a_child_in_its_process_group_until_both_are_killed(host: SimHost) -> None:
    host.set_output_fault("kstat -p unix:0:system_misc:boot_time", "hang")
    process = subprocess.Popen(
        [host.executable("kstat"), "-p", "unix:0:system_misc:boot_time"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        faults: list[dict[str, object]] = []
        while not faults and time.monotonic() < deadline:
            faults = [entry for entry in host.commands() if entry["event"] == "fault"]
            time.sleep(0.05)
        assert [(entry["tool"], entry["pid"]) for entry in faults] == [("kstat", process.pid)]
        child = faults[0]["child"]
        assert isinstance(child, int)
        assert os.getpgid(child) == process.pid
        assert process.poll() is None
    finally:
        # SIGTERM rather than kzguard's SIGKILL: either ends both, and this one lets a
        # coverage measurement of the simulator save its data.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGTERM
    deadline = time.monotonic() + 10
    while not ended(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ended(child)
    assert events(host, "kstat") == ["start", "fault"]


def test_slow_prints_what_the_command_prints_a_second_late(host: SimHost, listing: bytes) -> None:
    host.set_output_fault("zoneadm list -cp", "slow")
    began = time.monotonic()
    completed = run_bytes(host, "zoneadm", "list", "-cp")
    assert time.monotonic() - began >= SLOW_SECONDS
    assert (completed.returncode, completed.stdout, completed.stderr) == (0, listing, b"")
    assert events(host, "zoneadm") == ["start", "end", "start", "end"]


def test_an_unknown_fault_is_refused_naming_the_choices(host: SimHost) -> None:
    with pytest.raises(ValueError, match="unknown output fault") as caught:
        host.set_output_fault("zoneadm list -cp", "explode")
    assert str(caught.value) == (
        "unknown output fault 'explode' "
        "(one of empty, garbage, hang, huge, sigkill, sigsegv, slow, truncate)"
    )


def test_a_broken_state_file_is_the_simulators_own_failure(host: SimHost) -> None:
    host.state_file.write_text("{", encoding="utf-8")
    completed = run_bytes(host, "zoneadm", "list", "-cp")
    assert completed.returncode == 3
    assert completed.stdout == b""
    assert completed.stderr.decode().startswith("zoneadm: simulated host: ")
    assert events(host, "zoneadm") == ["start", "end"]

"""State directory problems (issue 6, adversarial inputs): missing, a file in its
place, read-only or without permission, a full disk, a journal replaced by a
symbolic link or a directory, and a lock held by a live process.  For each,
`kzguard status`, `kzguard plan stop`, `kzguard method stop` and `kzguard method
start` run as real subprocesses against a simulated host.

A broken state directory at shutdown must not stop the suspends (a missed suspend
loses the zones' state; a missing journal costs a manual boot), the start method
boots only what a readable journal says kzguard put down, and a failed write leaves
the previous journal as it was, with no temporary file behind.

The file-system faults are injected in the kzguard process itself
(tests/integration/state_faults.py): the tests run as root in CI, and chmod does
not stop root.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from kzguard.sim import control, shutdown
from kzguard.sim.state import SimHost
from tests.integration.conftest import Completed, apply_manifest, kzguard, wait_for
from tests.integration.test_start import journal, zone_states
from tests.support import FAST_RATES

FAULTS = Path(__file__).with_name("state_faults.py")
RUNNING = ("running", ())
DOWN = ("installed", ())  # ngz1 after a power cycle: not autobooted
SUSPENDED = ("installed", ("suspended",))
# deadline 40s: the methods wait 5% of it, 2s, for a live holder of the lock.
SHORT = (
    '[shutdown]\ndeadline = "40s"\n[resume]\ndeadline = "40s"\n'
    '[defaults]\nsuspend_timeout = "8s"\nshutdown_timeout = "4s"\nhalt_timeout = "4s"\n'
)
NEVER_ARMED = "never armed: the start method has not run (svcs -xv site/kzguard)"
NOT_RECORDED = (
    "a stop would suspend the zones without a journal, and the next boot would not resume them"
)
BYPASS = (
    "the host went down without kzguard's stop method (reboot, halt, uadmin, panic or "
    "power loss); use init 6 or shutdown -i6, or run kzguard stop before reboot; "
    "running state lost: no managed zone"
)


@pytest.fixture
def host_options() -> dict[str, Any]:
    return {"zones": 2, "rates": FAST_RATES, "policy": SHORT}


def run(host: SimHost, *args: str, fault: str | None = None) -> Completed:
    """``kzguard -c POLICY ARGS``, with the state directory failing as ``fault`` says."""
    if fault is None:
        return kzguard("-c", str(host.policy_path), *args)
    injected = [sys.executable, str(FAULTS), fault, str(host.state_dir)]
    completed = subprocess.run(
        [*injected, "-c", str(host.policy_path), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return Completed(completed.returncode, completed.stdout, completed.stderr)


def lines(result: Completed) -> list[str]:
    """stderr without the "kzguard: " prefix, measured times as T, and the order of
    the concurrent suspend lines made stable."""
    found = []
    for line in result.stderr.splitlines():
        assert line.startswith("kzguard: "), line
        found.append(re.sub(r" (in|expected) (\d+m)?\d+(\.\d)?s\b", r" \1 T", line[9:]))
    return found


def power_cycle(host: SimHost) -> None:
    """What follows the stop method at `init 6`: the zones service, power off, boot."""
    control.zones_service_stop(host)
    control.power_off(host)
    control.boot_host(host)
    control.zones_service_start(host)


def arm(host: SimHost) -> None:
    """The manifest imported, as the package does, and the guard armed."""
    apply_manifest(host)
    result = run(host, "method", "start")
    assert result.status == 0, result.stderr
    shutdown.begin(host, "6")


def files(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


def headline(result: Completed) -> str:
    return result.stdout.splitlines()[0]


SUSPEND_LINES = [
    "kz1 suspended in T",
    "kz2 suspended in T",
    "suspending kz1 (2/2, 2G, expected T)",
    "suspending kz2 (1/2, 16G, expected T)",
]
STOP_DONE = "stop done in T: 2 suspended, 0 shut down, 0 halted, 0 lost, 0 failed"


def suspend_lines(found: list[str]) -> list[str]:
    """The suspend lines of a stop, sorted (the two suspends run concurrently)."""
    return sorted(line for line in found if re.match(r"suspending kz\d|kz\d suspended", line))


# -- missing ------------------------------------------------------------------------


def test_a_missing_state_directory_is_created_private_by_the_methods(host: SimHost) -> None:
    apply_manifest(host)
    state_dir = host.state_dir
    state_dir.rmdir()
    status = run(host, "status")
    assert (status.status, status.stderr) == (2, "")
    assert headline(status) == f"guard: DEGRADED: {NEVER_ARMED}"
    plan = run(host, "plan", "stop")
    assert (plan.status, plan.stderr) == (0, "")
    assert not state_dir.exists()  # looking changes nothing
    arm(host)
    assert os.stat(state_dir).st_mode & 0o777 == 0o700
    assert files(state_dir) == ["configs.json", "journal.changes", "journal.json", "lock"]
    stop = run(host, "method", "stop")
    assert stop.status == 0, stop.stderr
    assert zone_states(host) == {"kz1": SUSPENDED, "kz2": SUSPENDED, "ngz1": RUNNING}
    # The state directory vanishes while the host is down (a new BE without
    # /var/share, say): the start method has no record, and boots nothing.
    power_cycle(host)
    for path in state_dir.iterdir():
        path.unlink()
    state_dir.rmdir()
    start = run(host, "method", "start")
    assert start.status == 0
    assert lines(start) == ["start done in T: 0 preserved, 0 lost, 0 failed, 0 left alone"]
    assert zone_states(host) == {"kz1": SUSPENDED, "kz2": SUSPENDED, "ngz1": DOWN}
    assert files(state_dir) == ["configs.json", "journal.changes", "journal.json", "lock"]


# -- a file where the directory should be ---------------------------------------------


def test_a_file_in_place_of_the_state_directory(host: SimHost) -> None:
    arm(host)
    for path in host.state_dir.iterdir():
        path.unlink()
    host.state_dir.rmdir()
    host.state_dir.write_text("not a directory\n")
    problem = f"{host.state_dir}: the state directory is not a directory"
    status = run(host, "status")
    assert (status.status, status.stderr) == (2, "")
    assert headline(status) == f"guard: DEGRADED: {problem}; {NOT_RECORDED}; {NEVER_ARMED}"
    plan = run(host, "plan", "stop")
    assert plan.status == 0
    assert lines(plan) == [f"{problem}; {NOT_RECORDED}"]
    # kzguard stop by hand says it before it plans, or suspends.
    dry = run(host, "stop", "--dry-run")
    assert (dry.status, lines(dry)) == (0, [f"{problem}; {NOT_RECORDED}"])
    stop = run(host, "method", "stop")
    assert stop.status == 95
    found = lines(stop)
    assert found[:2] == [problem, "suspending without a journal"]
    assert suspend_lines(found) == SUSPEND_LINES
    assert found[-2:] == [
        "this stop is not in the journal: the next boot will not resume kz1, kz2; boot them "
        "by hand (zoneadm -z ZONE boot)",
        STOP_DONE,
    ]
    assert zone_states(host) == {"kz1": SUSPENDED, "kz2": SUSPENDED, "ngz1": RUNNING}
    power_cycle(host)
    start = run(host, "method", "start")
    assert start.status == 0
    assert lines(start) == [
        problem,
        "start method failed: nothing was resumed; the guard stays enabled for the next shutdown",
    ]
    assert zone_states(host) == {"kz1": SUSPENDED, "kz2": SUSPENDED, "ngz1": DOWN}
    assert host.state_dir.read_text() == "not a directory\n"


# -- unwritable ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "reason"), [("erofs", "Read-only file system"), ("eacces", "Permission denied")]
)
def test_an_unwritable_state_directory_still_suspends_and_boots_nothing_unrecorded(
    host: SimHost, fault: str, reason: str
) -> None:
    arm(host)
    before = (host.state_dir / "journal.json").read_bytes()
    if os.geteuid() != 0:
        # Not root: the real permission bits stop the writes too (the injection
        # alone makes the test behave the same as root).
        os.chmod(host.state_dir, 0o500)
    try:
        problem = f"{host.state_dir}: the state directory is not writable"
        status = run(host, "status", fault=fault)
        assert (status.status, status.stderr) == (2, "")
        assert headline(status) == f"guard: DEGRADED: {problem}; {NOT_RECORDED}"
        plan = run(host, "plan", "stop", fault=fault)
        assert plan.status == 0
        assert lines(plan) == [f"{problem}; {NOT_RECORDED}"]
        stop = run(host, "method", "stop", fault=fault)
        assert stop.status == 95
        found = lines(stop)
        journal_path = host.state_dir / "journal.json"
        assert found[:2] == [
            f"{host.state_dir}/lock: cannot open the lock: {reason}; suspending without the lock",
            f"journal not written: {journal_path}: cannot write: {reason}",
        ]
        assert suspend_lines(found) == SUSPEND_LINES
        assert found[-3:] == [
            f"history not written: {host.state_dir}/history.json: cannot write: {reason}",
            "this stop is not in the journal: the next boot will not resume kz1, kz2; boot "
            "them by hand (zoneadm -z ZONE boot)",
            STOP_DONE,
        ]
        assert zone_states(host) == {"kz1": SUSPENDED, "kz2": SUSPENDED, "ngz1": RUNNING}
        power_cycle(host)
        start = run(host, "method", "start", fault=fault)
        assert start.status == 0
        assert lines(start) == [
            f"{host.state_dir}/lock: cannot open the lock: {reason}; resuming without the lock",
            BYPASS,
            f"journal not written: {journal_path}: cannot write: {reason}",
            "kz1: left alone: suspended by someone else; left alone",
            "kz2: left alone: suspended by someone else; left alone",
            f"not armed: {journal_path}: cannot write: {reason}",
            "start done in T: 0 preserved, 0 lost, 0 failed, 2 left alone",
        ]
        # Nothing the stop did not record is booted; nothing was written or left.
        assert zone_states(host) == {"kz1": SUSPENDED, "kz2": SUSPENDED, "ngz1": DOWN}
        assert journal_path.read_bytes() == before
        assert files(host.state_dir) == ["configs.json", "journal.changes", "journal.json", "lock"]
    finally:
        os.chmod(host.state_dir, 0o700)


def test_a_state_directory_read_only_at_boot_still_resumes_what_the_journal_records(
    host: SimHost,
) -> None:
    arm(host)
    assert run(host, "method", "stop").status == 0
    power_cycle(host)
    before = (host.state_dir / "journal.json").read_bytes()
    start = run(host, "method", "start", fault="erofs")
    assert start.status == 0
    journal_path = host.state_dir / "journal.json"
    found = lines(start)
    assert found[:2] == [
        f"{host.state_dir}/lock: cannot open the lock: Read-only file system; resuming "
        "without the lock",
        f"journal not written: {journal_path}: cannot write: Read-only file system",
    ]
    assert sorted(found[2:-3]) == [
        "kz1 resumed (running state preserved) in T",
        "kz2 resumed (running state preserved) in T",
        "resuming kz1 (suspended at shutdown)",
        "resuming kz2 (suspended at shutdown)",
    ]
    assert found[-3:] == [
        # What parallel = "auto" measured is lost too: only the next boot's first
        # guess suffers.
        f"history not written: {host.state_dir}/history.json: cannot write: Read-only file system",
        f"not armed: {journal_path}: cannot write: Read-only file system",
        "start done in T: 2 preserved, 0 lost, 0 failed, 0 left alone",
    ]
    assert zone_states(host) == {"kz1": RUNNING, "kz2": RUNNING, "ngz1": DOWN}
    assert journal_path.read_bytes() == before


# -- a full disk -----------------------------------------------------------------------


def test_a_full_disk_still_suspends_and_leaves_the_previous_journal_intact(
    host: SimHost,
) -> None:
    arm(host)
    journal_path = host.state_dir / "journal.json"
    before = journal_path.read_bytes()
    status = run(host, "status", fault="enospc")
    assert (status.status, status.stderr) == (0, "")
    assert headline(status) == "guard: armed"
    plan = run(host, "plan", "stop", fault="enospc")
    assert (plan.status, plan.stderr) == (0, "")
    stop = run(host, "method", "stop", fault="enospc")
    assert stop.status == 95
    found = lines(stop)
    assert found[0] == f"journal not written: {journal_path}: cannot write: No space left on device"
    assert suspend_lines(found) == SUSPEND_LINES
    assert found[-3:] == [
        f"history not written: {host.state_dir}/history.json: cannot write: No space left "
        "on device",
        "this stop is not in the journal: the next boot will not resume kz1, kz2; boot them "
        "by hand (zoneadm -z ZONE boot)",
        STOP_DONE,
    ]
    assert zone_states(host) == {"kz1": SUSPENDED, "kz2": SUSPENDED, "ngz1": RUNNING}
    assert journal_path.read_bytes() == before
    assert files(host.state_dir) == ["configs.json", "journal.changes", "journal.json", "lock"]
    power_cycle(host)
    start = run(host, "method", "start", fault="enospc")
    assert start.status == 0
    assert lines(start) == [
        BYPASS,
        f"journal not written: {journal_path}: cannot write: No space left on device",
        "kz1: left alone: suspended by someone else; left alone",
        "kz2: left alone: suspended by someone else; left alone",
        f"not armed: {journal_path}: cannot write: No space left on device",
        "start done in T: 0 preserved, 0 lost, 0 failed, 2 left alone",
    ]
    assert zone_states(host) == {"kz1": SUSPENDED, "kz2": SUSPENDED, "ngz1": DOWN}
    assert journal_path.read_bytes() == before
    assert files(host.state_dir) == ["configs.json", "journal.changes", "journal.json", "lock"]


# -- the journal replaced -------------------------------------------------------------


def test_status_does_not_follow_a_journal_symlinked_to_etc_passwd(host: SimHost) -> None:
    arm(host)
    journal_path = host.state_dir / "journal.json"
    journal_path.unlink()
    journal_path.symlink_to("/etc/passwd")
    passwd = Path("/etc/passwd").read_bytes()
    status = run(host, "status")
    assert (status.status, status.stderr) == (2, "")
    assert headline(status) == f"guard: DEGRADED: {journal_path} is a symbolic link; {NEVER_ARMED}"
    plan = run(host, "plan", "stop")
    assert (plan.status, plan.stderr) == (0, "")
    assert os.readlink(journal_path) == "/etc/passwd"  # looking changes nothing
    assert Path("/etc/passwd").read_bytes() == passwd


def test_a_journal_symlink_is_moved_aside_and_never_written_through(
    host: SimHost, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    arm(host)
    journal_path = host.state_dir / "journal.json"
    decoy = tmp_path / "decoy"
    decoy.write_bytes(journal_path.read_bytes())
    original = decoy.read_bytes()
    journal_path.unlink()
    journal_path.symlink_to(decoy)
    stop = run(host, "method", "stop")
    assert stop.status == 0
    found = lines(stop)
    assert re.fullmatch(
        rf"{re.escape(str(journal_path))} is a symbolic link; moved aside to "
        rf"{re.escape(str(journal_path))}\.bad-\d{{8}}T\d{{6}}Z",
        found[0],
    )
    assert suspend_lines(found) == SUSPEND_LINES
    assert found[-1] == STOP_DONE
    assert decoy.read_bytes() == original
    assert not journal_path.is_symlink()
    assert journal(host)["cycle"]["zones"]["kz1"]["state"] == "suspended"
    (aside,) = [path for path in host.state_dir.iterdir() if ".bad-" in path.name]
    assert os.readlink(aside) == str(decoy)
    # At boot: a journal replaced by a link to a copy of the real one is refused, so
    # the start method has no record and boots nothing.
    power_cycle(host)
    decoy.write_bytes(journal_path.read_bytes())
    original = decoy.read_bytes()
    journal_path.unlink()
    journal_path.symlink_to(decoy)
    start = run(host, "method", "start")
    assert start.status == 0
    found = lines(start)
    assert len(found) == 2
    assert found[0].startswith(f"{journal_path} is a symbolic link; moved aside to ")
    assert found[1] == "start done in T: 0 preserved, 0 lost, 0 failed, 0 left alone"
    assert zone_states(host) == {"kz1": SUSPENDED, "kz2": SUSPENDED, "ngz1": DOWN}
    assert decoy.read_bytes() == original
    assert not journal_path.is_symlink()


def test_a_directory_in_place_of_the_journal_is_moved_aside(host: SimHost) -> None:
    arm(host)
    journal_path = host.state_dir / "journal.json"
    journal_path.unlink()
    journal_path.mkdir()
    (journal_path / "inside").write_text("kept\n")
    status = run(host, "status")
    assert (status.status, status.stderr) == (2, "")
    assert headline(status) == f"guard: DEGRADED: {journal_path} is a directory; {NEVER_ARMED}"
    plan = run(host, "plan", "stop")
    assert (plan.status, plan.stderr) == (0, "")
    assert journal_path.is_dir()
    stop = run(host, "method", "stop")
    assert stop.status == 0, stop.stderr
    found = lines(stop)
    assert re.fullmatch(
        rf"{re.escape(str(journal_path))} is a directory; moved aside to "
        rf"{re.escape(str(journal_path))}\.bad-\d{{8}}T\d{{6}}Z",
        found[0],
    )
    assert suspend_lines(found) == SUSPEND_LINES
    assert found[-1] == STOP_DONE
    (aside,) = [path for path in host.state_dir.iterdir() if ".bad-" in path.name]
    assert (aside / "inside").read_text() == "kept\n"
    power_cycle(host)
    start = run(host, "method", "start")
    assert start.status == 0
    assert zone_states(host) == {"kz1": RUNNING, "kz2": RUNNING, "ngz1": DOWN}
    assert lines(start)[-1] == "start done in T: 2 preserved, 0 lost, 0 failed, 0 left alone"


# -- the lock held by a live process -------------------------------------------------------


def hold_lock(host: SimHost, label: str) -> subprocess.Popen[str]:
    """A live process holding the state directory's lock, as kzguard would."""
    code = (
        "import sys, time\nfrom kzguard.journal.lock import exclusive_lock\n"
        f"with exclusive_lock({str(host.state_dir)!r}, {label!r}):\n"
        "    print('held', flush=True)\n    time.sleep(120)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None
    assert holder.stdout.readline() == "held\n"
    return holder


def test_a_lock_held_by_a_live_process(host: SimHost) -> None:
    arm(host)
    holder = hold_lock(host, "test holder")
    try:
        label = f"pid {holder.pid} (test holder) since "
        lock = f"{host.state_dir}/lock"
        # Looking takes no lock.
        status = run(host, "status")
        assert (status.status, status.stderr, headline(status)) == (0, "", "guard: armed")
        plan = run(host, "plan", "stop")
        assert (plan.status, plan.stderr) == (0, "")
        # By hand: refused at once, naming the holder and what to do.
        manual = run(host, "stop")
        assert manual.status == 4
        assert re.fullmatch(
            rf"kzguard: another kzguard operation holds {re.escape(lock)}: "
            rf"{re.escape(label)}[-0-9: ]+; wait for it to finish, or if it is stuck, end it "
            rf"\(kill {holder.pid}\) and run this again\n",
            manual.stderr,
        )
        assert zone_states(host) == {"kz1": RUNNING, "kz2": RUNNING, "ngz1": RUNNING}
        # At shutdown: a bounded wait, then the suspends go on without the lock.
        began = time.monotonic()
        stop = run(host, "method", "stop")
        assert time.monotonic() - began < 20
        assert stop.status == 0, stop.stderr
        found = lines(stop)
        assert found[0].startswith(f"waiting up to 2s for another kzguard operation: {label}")
        assert found[1].startswith(
            f"another kzguard operation still holds {lock} after 2s: {label}"
        )
        assert found[1].endswith("; suspending without the lock")
        assert suspend_lines(found[2:]) == SUSPEND_LINES
        assert found[-1] == STOP_DONE
        assert zone_states(host) == {"kz1": SUSPENDED, "kz2": SUSPENDED, "ngz1": RUNNING}
        assert journal(host)["cycle"]["zones"]["kz2"]["state"] == "suspended"
        # At boot: booting zones while another kzguard may be suspending them would
        # undo its work; the start waits, then resumes nothing and says how to.
        power_cycle(host)
        start = run(host, "method", "start")
        assert start.status == 0
        found = lines(start)
        assert len(found) == 3
        assert found[0].startswith(f"waiting up to 2s for another kzguard operation: {label}")
        assert found[1].startswith(
            f"another kzguard operation still holds {lock} after 2s: {label}"
        )
        assert found[1].endswith("; nothing was resumed")
        assert found[2] == (
            f"when it has finished (or is ended: kill {holder.pid}), resume with svcadm "
            "restart kzguard"
        )
        assert zone_states(host) == {"kz1": SUSPENDED, "kz2": SUSPENDED, "ngz1": DOWN}
    finally:
        holder.kill()
        holder.wait()
    # The holder gone (a dead holder's flock is released), the restart resumes.
    start = run(host, "method", "start")
    assert start.status == 0
    assert lines(start)[-1] == "start done in T: 2 preserved, 0 lost, 0 failed, 0 left alone"
    assert zone_states(host) == {"kz1": RUNNING, "kz2": RUNNING, "ngz1": DOWN}


def test_a_stuck_kzguard_status_does_not_hold_up_the_shutdown(host: SimHost) -> None:
    arm(host)
    mark = len(host.commands())
    status = subprocess.Popen(
        [sys.executable, "-m", "kzguard", "-c", str(host.policy_path), "status"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: any(e["pid"] != status.pid for e in host.commands()[mark:]))
        os.kill(status.pid, signal.SIGSTOP)
        stop = run(host, "method", "stop")
        assert stop.status == 0, stop.stderr
        found = lines(stop)
        assert suspend_lines(found) == SUSPEND_LINES
        assert found[-1] == STOP_DONE
        assert len(found) == 5  # no wait for a lock
    finally:
        status.kill()
        status.wait()


def test_a_stuck_manual_stop_does_not_hold_up_the_shutdown(host: SimHost) -> None:
    """`kzguard stop` hangs on kz1's suspend and is then stopped dead (SIGSTOP): the
    stop method waits 2s, then suspends what still runs."""
    arm(host)
    host.set_fault("kz1", "suspend", "hang")
    manual = subprocess.Popen(
        [sys.executable, "-m", "kzguard", "-c", str(host.policy_path), "stop"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: _zone_state(host, "kz2") == SUSPENDED)
        wait_for(lambda: _suspending(host, "kz1"))
        os.kill(manual.pid, signal.SIGSTOP)
        host.clear_faults("kz1")
        began = time.monotonic()
        stop = run(host, "method", "stop")
        assert time.monotonic() - began < 40
        found = lines(stop)
        assert found[0].startswith(
            f"waiting up to 2s for another kzguard operation: pid {manual.pid} (kzguard stop) since "
        )
        assert found[1].startswith(
            f"another kzguard operation still holds {host.state_dir}/lock after 2s: pid "
            f"{manual.pid} (kzguard stop) since "
        )
        assert found[1].endswith("; suspending without the lock")
        assert zone_states(host)["kz2"] == SUSPENDED
        assert zone_states(host)["ngz1"] == RUNNING
        assert found[-1].startswith("stop done in T: ")
        record = journal(host)["cycle"]
        assert record["trigger"] == "method"
        assert record["skipped"] == {"kz2": "already suspended"}
    finally:
        manual.kill()
        manual.wait()


def _zone_state(host: SimHost, name: str) -> tuple[str, tuple[str, ...]]:
    return zone_states(host)[name]


def _suspending(host: SimHost, name: str) -> bool:
    """Whether zone ``name``'s suspend has begun: the simulated zoneadm holds the
    zone.  Its "start" in the command log is not enough: zoneadm logs it before it
    reads the zone's faults, so a fault cleared in between is never met."""
    op = host.zone(name)["op"]
    return op is not None and op["kind"] == "suspend"

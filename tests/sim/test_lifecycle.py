"""zoneadm suspend, boot (resume and cold boot), shutdown, halt and reboot."""

from __future__ import annotations

import concurrent.futures
import subprocess
import threading
import time
from typing import Any

import pytest

from kzguard.policy.model import Commands
from kzguard.sim import lifecycle, transfers, transitions
from kzguard.sim.state import SimHost
from kzguard.solaris.host import Host
from tests.sim.helpers import run, start
from tests.support import set_rates

KSTAT = ("/usr/bin/kstat", "-p", "unix:0:system_misc:boot_time")


def _zones_fs(host: SimHost) -> dict[str, Any]:
    filesystems = host.read()["filesystems"]
    return next(fs for fs in filesystems if fs["mount"] == "/system/zones")


def _image(host: SimHost, name: str) -> int:
    return transitions.image_bytes(host.zone(name))


def _kstat_boot_time(host: SimHost, name: str) -> int:
    result = run(host, "zlogin", "-n", name, *KSTAT)
    assert result.status == 0, result.stderr
    label, value = result.stdout.rstrip("\n").split("\t")
    assert label == "unix:0:system_misc:boot_time"
    return int(value)


def _brief(host: SimHost, name: str) -> tuple[Any, ...]:
    zone = host.zone(name)
    return (zone["state"], zone["aux"], zone["id"])


def test_suspend_then_boot_resumes_with_the_same_boot_time(host: SimHost) -> None:
    before = _kstat_boot_time(host, "kz1")
    free = _zones_fs(host)["available"]
    image = _image(host, "kz1")
    result = run(host, "zoneadm", "-z", "kz1", "suspend")
    assert (result.status, result.stdout, result.stderr) == (0, "", "")
    assert _brief(host, "kz1") == ("installed", ["suspended"], None)
    zone = host.zone("kz1")
    # kz1 uses the %{zonename} token: the image lands at the expanded path.
    assert zone["config"]["suspend"]["path"] == "/system/zones/%{zonename}/suspend"
    assert zone["image"] == {
        "bytes": image,
        "path": "/system/zones/kz1/suspend",
        "mount": "/system/zones",
    }
    assert _zones_fs(host)["available"] == free - image
    # The image is also a file of its size at that path inside the host's root (what
    # kzguard reads with stat, as in a real global zone), and goes with the image.
    image_file = host.path / "system/zones/kz1/suspend"
    assert image_file.stat().st_size == image
    # Host.image_size, as kzguard's methods call it on this host.
    assert (
        Host(Commands(zoneadm=host.executable("zoneadm"))).image_size("/system/zones/kz1/suspend")
        == image
    )
    assert (
        Host(Commands(zoneadm=host.executable("zoneadm"))).image_size("/system/zones/kz2/suspend")
        is None
    )
    assert (
        Host(Commands(zoneadm=host.executable("zoneadm"))).image_size("/system/zones") is None
    )  # a directory
    result = run(host, "zoneadm", "-z", "kz1", "boot")
    assert (result.status, result.stdout, result.stderr) == (0, "", "")
    assert not image_file.exists()
    assert _brief(host, "kz1") == ("running", [], 6)
    assert host.zone("kz1")["image"] is None
    assert _zones_fs(host)["available"] == free
    assert _kstat_boot_time(host, "kz1") == before


def test_cold_boot_always_gets_a_later_boot_time(host: SimHost) -> None:
    before = _kstat_boot_time(host, "kz2")
    assert run(host, "zoneadm", "-z", "kz2", "halt").status == 0
    assert _brief(host, "kz2") == ("installed", [], None)
    assert host.zone("kz2")["boot_history"] == [before]
    assert run(host, "zoneadm", "-z", "kz2", "boot").status == 0
    first = _kstat_boot_time(host, "kz2")
    assert first > before
    # Twice within a second still differs: cold boots are always told apart.
    assert run(host, "zoneadm", "-z", "kz2", "reboot").status == 0
    second = _kstat_boot_time(host, "kz2")
    assert second > first
    assert host.zone("kz2")["boot_history"] == [before, first]


def test_boot_R_discards_the_image_and_cold_boots(host: SimHost) -> None:
    free = _zones_fs(host)["available"]
    before = _kstat_boot_time(host, "kz3")
    assert run(host, "zoneadm", "-z", "kz3", "suspend").status == 0
    result = run(host, "zoneadm", "-z", "kz3", "boot", "-R", "--", "-m", "verbose")
    assert (result.status, result.stderr) == (0, "")
    zone = host.zone("kz3")
    assert (zone["state"], zone["image"], zone["last_bootargs"]) == (
        "running",
        None,
        ["-m", "verbose"],
    )
    assert _kstat_boot_time(host, "kz3") > before
    assert _zones_fs(host)["available"] == free


def test_suspend_needs_space_on_the_file_system_of_the_suspend_path(host: SimHost) -> None:
    image = _image(host, "kz2")
    with host.edit() as state:
        fs = next(fs for fs in state["filesystems"] if fs["mount"] == "/system/zones")
        fs["available"] = image - 1
    result = run(host, "zoneadm", "-z", "kz2", "suspend")
    assert result.status == 1
    assert result.stderr == (
        "zoneadm: zone 'kz2': unable to write suspend image to /system/zones/kz2/suspend:"
        " No space left on device\n"
    )
    assert _brief(host, "kz2") == ("running", [], 2)
    assert host.zone("kz2")["image"] is None
    assert _zones_fs(host)["available"] == image - 1  # the partial image was deleted
    with host.edit() as state:
        fs = next(fs for fs in state["filesystems"] if fs["mount"] == "/system/zones")
        fs["available"] = image
    assert run(host, "zoneadm", "-z", "kz2", "suspend").status == 0
    assert _zones_fs(host)["available"] == 0


def test_longest_mount_prefix_holds_the_image(host: SimHost) -> None:
    with host.edit() as state:
        state["filesystems"].append(
            {
                "mount": "/system/zones/kz4",
                "filesystem": "tank/kz4",
                "size": 1 << 40,
                "available": 1 << 40,
            }
        )
    zones_free = _zones_fs(host)["available"]
    assert run(host, "zoneadm", "-z", "kz4", "suspend").status == 0
    assert host.zone("kz4")["image"]["mount"] == "/system/zones/kz4"
    assert _zones_fs(host)["available"] == zones_free


def test_storage_uri_suspend_needs_no_file_system_space(host: SimHost) -> None:
    with host.edit() as state:
        state["zones"]["kz1"]["config"]["suspend"] = {
            "path": None,
            "storage": "iscsi://x/luname.naa.1",
        }
    free = _zones_fs(host)["available"]
    assert run(host, "zoneadm", "-z", "kz1", "suspend").status == 0
    assert host.zone("kz1")["image"]["path"] == "iscsi://x/luname.naa.1"
    assert _zones_fs(host)["available"] == free
    assert not (host.path / "system/zones/kz1/suspend").exists()  # no file to measure
    assert run(host, "zoneadm", "-z", "kz1", "boot").status == 0


def test_suspend_refusals(host: SimHost) -> None:
    result = run(host, "zoneadm", "-z", "ngz1", "suspend")
    assert (result.status, result.stderr) == (
        1,
        "zoneadm: zone 'ngz1': suspend is not supported for brand solaris\n",
    )
    with host.edit() as state:
        state["zones"]["kz1"]["config"]["suspend"] = None
    result = run(host, "zoneadm", "-z", "kz1", "suspend")
    assert (result.status, result.stderr) == (
        1,
        "zoneadm: zone 'kz1': no suspend resource configured\n",
    )
    assert run(host, "zoneadm", "-z", "kz2", "halt").status == 0
    result = run(host, "zoneadm", "-z", "kz2", "suspend")
    assert (result.status, result.stderr) == (1, "zoneadm: zone 'kz2': not running\n")


def test_wrong_states_for_shutdown_reboot_boot_and_halt(host: SimHost) -> None:
    assert run(host, "zoneadm", "-z", "kz1", "halt").status == 0
    for subcommand in ("shutdown", "reboot"):
        result = run(host, "zoneadm", "-z", "kz1", subcommand)
        assert (result.status, result.stderr) == (1, "zoneadm: zone 'kz1': not running\n")
    result = run(host, "zoneadm", "-z", "kz1", "halt")
    assert (result.status, result.stderr) == (0, "zoneadm: zone 'kz1': zone is already halted\n")
    result = run(host, "zoneadm", "-z", "kz2", "boot")
    assert (result.status, result.stderr) == (0, "zoneadm: zone 'kz2': zone is already booted\n")
    with host.edit() as state:
        state["zones"]["kz3"]["state"] = "configured"
        state["zones"]["kz3"]["id"] = None
    result = run(host, "zoneadm", "-z", "kz3", "boot")
    assert (result.status, result.stderr) == (
        1,
        "zoneadm: zone 'kz3': must be installed before boot.\n",
    )


def test_redundant_boot_and_halt_fail_on_a_host_set_so(host: SimHost) -> None:
    # illumos zoneadmd answers 0 (the default); already_in_state_exit = 1 models a
    # host that does not, for 11.4 is not known (docs/solaris.md 14).
    with host.edit() as state:
        state["already_in_state_exit"] = 1
    result = run(host, "zoneadm", "-z", "kz1", "boot")
    assert (result.status, result.stderr) == (1, "zoneadm: zone 'kz1': zone is already booted\n")
    assert run(host, "zoneadm", "-z", "kz1", "halt").status == 0
    result = run(host, "zoneadm", "-z", "kz1", "halt")
    assert (result.status, result.stderr) == (1, "zoneadm: zone 'kz1': zone is already halted\n")


def test_halt_of_a_suspended_zone_keeps_the_image_unless_configured(host: SimHost) -> None:
    free = _zones_fs(host)["available"]
    assert run(host, "zoneadm", "-z", "kz1", "suspend").status == 0
    result = run(host, "zoneadm", "-z", "kz1", "halt")
    assert (result.status, result.stderr) == (0, "zoneadm: zone 'kz1': zone is already halted\n")
    assert _brief(host, "kz1") == ("installed", ["suspended"], None)
    with host.edit() as state:
        state["halt_discards_image"] = True
    result = run(host, "zoneadm", "-z", "kz1", "halt")
    assert (result.status, result.stderr) == (0, "")
    assert _brief(host, "kz1") == ("installed", [], None)
    assert host.zone("kz1")["image"] is None
    assert _zones_fs(host)["available"] == free
    assert host.zone("kz1")["boot_time"] is None


def test_shutdown_passes_through_shutting_down(host: SimHost) -> None:
    set_rates(host, shutdown_seconds=40.0)  # 0.4 s real
    process = start(host, "zoneadm", "-z", "kz1", "shutdown")
    deadline = time.time() + 5
    while host.zone("kz1")["state"] != "shutting_down" and time.time() < deadline:
        time.sleep(0.01)
    assert _brief(host, "kz1") == ("shutting_down", [], 1)
    assert process.wait(timeout=10) == 0
    assert _brief(host, "kz1") == ("installed", [], None)
    assert host.zone("kz1")["boot_time"] is None


def test_resume_corrupt_fault_keeps_the_image_and_the_zone_suspended(host: SimHost) -> None:
    assert run(host, "zoneadm", "-z", "kz1", "suspend").status == 0
    image = host.zone("kz1")["image"]
    host.set_fault("kz1", "resume", "corrupt")
    for _ in range(2):  # faults persist until cleared
        result = run(host, "zoneadm", "-z", "kz1", "boot")
        assert result.status == 1
        assert result.stderr == (
            "zoneadm: zone 'kz1': resume failed: the suspend image is corrupt\n"
            "zoneadm: zone 'kz1': call to zoneadmd failed\n"
        )
        assert _brief(host, "kz1") == ("installed", ["suspended"], None)
        assert host.zone("kz1")["image"] == image
    host.clear_faults("kz1")
    assert run(host, "zoneadm", "-z", "kz1", "boot").status == 0


def test_boot_fail_fault_leaves_the_zone_installed(host: SimHost) -> None:
    assert run(host, "zoneadm", "-z", "kz1", "halt").status == 0
    host.set_fault("kz1", "boot", "fail")
    result = run(host, "zoneadm", "-z", "kz1", "boot")
    assert result.status == 1
    assert result.stderr == (
        "zoneadm: zone 'kz1': boot failed\nzoneadm: zone 'kz1': call to zoneadmd failed\n"
    )
    assert _brief(host, "kz1") == ("installed", [], None)


def test_suspend_enospc_fault_fails_and_the_zone_keeps_running(host: SimHost) -> None:
    free = _zones_fs(host)["available"]
    host.set_fault("kz3", "suspend", "enospc")
    result = run(host, "zoneadm", "-z", "kz3", "suspend")
    assert result.status == 1
    assert "No space left on device" in result.stderr
    assert _brief(host, "kz3") == ("running", [], 3)
    assert _zones_fs(host)["available"] == free


def test_suspend_lose_image_fault_leaves_the_zone_halted_without_image(host: SimHost) -> None:
    before = host.zone("kz4")["boot_time"]
    host.set_fault("kz4", "suspend", "lose-image")
    result = run(host, "zoneadm", "-z", "kz4", "suspend")
    assert (result.status, result.stderr) == (
        1,
        "zoneadm: zone 'kz4': suspend failed: error writing suspend image; the zone was halted\n",
    )
    zone = host.zone("kz4")
    assert (zone["state"], zone["aux"], zone["id"], zone["image"]) == ("installed", [], None, None)
    assert zone["boot_history"] == [before]
    assert run(host, "zoneadm", "-z", "kz4", "boot").status == 0
    assert _kstat_boot_time(host, "kz4") > before


def _wait_held(host: SimHost, name: str, process: subprocess.Popen[str]) -> None:
    """Until ``process``'s operation holds the zone: its start-up may take long on a
    loaded machine, and a look before it would see the zone untouched."""
    deadline = time.monotonic() + 30
    while host.zone(name)["op"] is None:
        assert process.poll() is None
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_suspend_hang_never_returns_and_the_zone_keeps_running(host: SimHost) -> None:
    host.set_fault("kz1", "suspend", "hang")
    process = start(host, "zoneadm", "-z", "kz1", "suspend")
    _wait_held(host, "kz1", process)
    with pytest.raises(Exception, match="timed out"):
        process.wait(timeout=0.6)
    assert _brief(host, "kz1") == ("running", [], 1)
    process.kill()
    process.wait(timeout=5)
    # The killed zoneadm no longer holds the zone: shutdown goes ahead at once.
    assert run(host, "zoneadm", "-z", "kz1", "shutdown").status == 0
    assert _brief(host, "kz1") == ("installed", [], None)
    ends = [e for e in host.commands() if e["event"] == "end" and e["pid"] == process.pid]
    assert ends == []


def test_shutdown_hang_is_ended_by_halt(host: SimHost) -> None:
    host.set_fault("kz2", "shutdown", "hang")
    process = start(host, "zoneadm", "-z", "kz2", "shutdown")
    _wait_held(host, "kz2", process)
    with pytest.raises(Exception, match="timed out"):
        process.wait(timeout=0.6)
    assert _brief(host, "kz2") == ("shutting_down", [], 2)
    assert run(host, "zoneadm", "-z", "kz2", "halt").status == 0
    assert _brief(host, "kz2") == ("installed", [], None)
    # zoneadm shutdown waits for the zone to be down, however it got there.
    assert process.wait(timeout=5) == 0


def test_killed_shutdown_leaves_the_zone_wedged_until_halted(host: SimHost) -> None:
    host.set_fault("kz2", "shutdown", "hang")
    process = start(host, "zoneadm", "-z", "kz2", "shutdown")
    # Killed once the shutdown has begun (a loaded machine starts the process late).
    deadline = time.time() + 10
    while host.zone("kz2")["state"] != "shutting_down" and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.1)
    process.kill()
    process.wait(timeout=5)
    assert run(host, "zoneadm", "list", "-p").stdout.count(":kz2:shutting_down:") == 1
    assert run(host, "zoneadm", "-z", "kz2", "halt").status == 0
    assert _brief(host, "kz2") == ("installed", [], None)


def test_halt_interrupts_a_suspend_in_progress(host: SimHost) -> None:
    # A 4 GiB image at 1 GiB/s, one simulated second being half a real one: the
    # suspend takes 2 s, the halt none.
    set_rates(host, suspend_rate=1 << 30, storage_bandwidth=1 << 30, halt_seconds=0.0)
    with host.edit() as state:
        state["time_scale"] = 0.5
        state["zones"]["kz1"]["config"]["physical"] = "8G"
        state["zones"]["kz1"]["image_ratio"] = 0.5
    free = _zones_fs(host)["available"]
    process = start(host, "zoneadm", "-z", "kz1", "suspend")
    deadline = time.time() + 5
    while host.zone("kz1")["op"] is None and time.time() < deadline:
        time.sleep(0.01)
    assert run(host, "zoneadm", "-z", "kz1", "halt").status == 0
    assert process.wait(timeout=10) == 1
    assert process.stderr is not None
    assert process.stderr.read() == (
        "zoneadm: zone 'kz1': suspend interrupted: the zone was halted\n"
    )
    assert _brief(host, "kz1") == ("installed", [], None)
    assert host.zone("kz1")["image"] is None
    assert _zones_fs(host)["available"] == free
    assert host.read()["io"]["transfers"] == []


def _illumos_suspend_begun(host: SimHost, **rates: float) -> subprocess.Popen[str]:
    """With zoneadmd = "illumos", kz1's 2 s suspend (a 4 GiB image at 1 GiB/s, one
    simulated second half a real one), once it holds the zone."""
    set_rates(host, suspend_rate=1 << 30, storage_bandwidth=1 << 30, **rates)
    with host.edit() as state:
        state["zoneadmd"] = "illumos"
        state["time_scale"] = 0.5
        state["zones"]["kz1"]["config"]["physical"] = "8G"
        state["zones"]["kz1"]["image_ratio"] = 0.5
    process = start(host, "zoneadm", "-z", "kz1", "suspend")
    deadline = time.time() + 5
    while host.zone("kz1")["op"] is None and time.time() < deadline:
        time.sleep(0.01)
    return process


def test_with_illumos_zoneadmd_a_killed_zoneadm_s_suspend_goes_on_and_a_shutdown_waits(
    host: SimHost,
) -> None:
    """zoneadmd serves zoneadm through a door made DOOR_NO_CANCEL (illumos
    zoneadmd.c setup_door()): the suspend goes on once its zoneadm is killed, and a
    shutdown asked meanwhile passes zoneadm's check (the zone runs), waits for it and
    is answered "zone is already halted" (zoneadmd.c server(), rval 0)."""
    process = _illumos_suspend_begun(host)
    process.kill()
    process.wait(timeout=5)
    assert _brief(host, "kz1")[:2] == ("running", [])
    shutdown = run(host, "zoneadm", "-z", "kz1", "shutdown")
    assert (shutdown.status, shutdown.stderr) == (
        0,
        "zoneadm: zone 'kz1': zone is already halted\n",
    )
    assert _brief(host, "kz1") == ("installed", ["suspended"], None)
    assert host.zone("kz1")["image"] is not None


def test_with_illumos_zoneadmd_a_shutdown_of_a_halted_zone_is_refused_by_zoneadm(
    host: SimHost,
) -> None:
    with host.edit() as state:
        state["zoneadmd"] = "illumos"
    assert run(host, "zoneadm", "-z", "kz1", "halt").status == 0
    result = run(host, "zoneadm", "-z", "kz1", "shutdown")
    assert (result.status, result.stderr) == (1, "zoneadm: zone 'kz1': not running\n")
    assert run(host, "zoneadm", "-z", "kz2", "suspend").status == 0
    assert _brief(host, "kz2") == ("installed", ["suspended"], None)


def test_with_illumos_zoneadmd_a_halt_waits_behind_a_suspend_and_finds_the_zone_halted(
    host: SimHost,
) -> None:
    """illumos zoneadmd.c server() holds its lock through every request but a
    shutdown's wait: a halt asked during a suspend runs once the suspend is done,
    and finds the zone installed: "zone is already halted"; the image stays."""
    process = _illumos_suspend_begun(host, halt_seconds=0.0)
    began = time.time()
    halt = run(host, "zoneadm", "-z", "kz1", "halt")
    waited = time.time() - began
    assert (halt.status, halt.stderr) == (0, "zoneadm: zone 'kz1': zone is already halted\n")
    assert process.wait(timeout=10) == 0
    assert waited > 1.0  # behind the 2 s suspend, not at once
    assert _brief(host, "kz1") == ("installed", ["suspended"], None)
    assert host.zone("kz1")["image"] is not None


def test_with_illumos_zoneadmd_a_halt_still_takes_a_zone_from_its_hung_shutdown(
    host: SimHost,
) -> None:
    # zoneadmd waits for a graceful shutdown with its lock released (wait_shut).
    with host.edit() as state:
        state["zoneadmd"] = "illumos"
        # Longer than the test: the shutdown must still wait when the halt comes, not
        # have given up after its 60 simulated seconds (0.6 s real; see the next test).
        state["smf"]["svc:/system/zones:default"]["stop/timeout_seconds"] = ["count", "100000"]
    host.set_fault("kz2", "shutdown", "hang")
    process = start(host, "zoneadm", "-z", "kz2", "shutdown")
    deadline = time.time() + 10
    while host.zone("kz2")["state"] != "shutting_down" and time.time() < deadline:
        time.sleep(0.05)
    assert run(host, "zoneadm", "-z", "kz2", "halt").status == 0
    assert _brief(host, "kz2") == ("installed", [], None)
    assert process.wait(timeout=5) == 0


@pytest.mark.parametrize(
    ("stop_timeout", "fault", "seconds"),
    [(None, "hang", 60.0), ("2", "hang", 2.0), (None, None, 60.0)],
    ids=["hung, SHUTDOWN_WAIT", "hung, the zones service's stop timeout", "slower than it"],
)
def test_with_illumos_zoneadmd_a_shutdown_gives_up_after_its_wait(
    host: SimHost, stop_timeout: str | None, fault: str | None, seconds: float
) -> None:
    """zoneadmd.c zone_wait_shutdown(): it waits for the zone to go down as long as
    svc:/system/zones:default's stop timeout says, else SHUTDOWN_WAIT (60 s), then
    answers "unable to shutdown zone"; the zone is left shutting down, and a halt
    takes it."""
    set_rates(host, shutdown_seconds=100.0)  # 1 s real, slower than the wait
    with host.edit() as state:
        state["zoneadmd"] = "illumos"
        if stop_timeout is not None:
            state["smf"]["svc:/system/zones:default"]["stop/timeout_seconds"] = [
                "count",
                stop_timeout,
            ]
    if fault is not None:
        host.set_fault("kz2", "shutdown", fault)
    began = time.time()
    result = run(host, "zoneadm", "-z", "kz2", "shutdown")
    took = time.time() - began
    assert (result.status, result.stderr) == (1, "zoneadm: zone 'kz2': unable to shutdown zone\n")
    assert took >= seconds * 0.01  # the host's time scale
    assert (host.zone("kz2")["state"], host.zone("kz2")["op"]) == ("shutting_down", None)
    assert run(host, "zoneadm", "-z", "kz2", "halt").status == 0
    assert _brief(host, "kz2") == ("installed", [], None)


def _held(host: SimHost, monkeypatch: pytest.MonkeyPatch) -> tuple[lifecycle._Op, list[int]]:
    """An operation holding kz1, and a list that grows by one at each read of the
    state."""
    op = lifecycle._Op(host, "kz1", "suspend")
    with host.edit() as state:
        op.mark(state["zones"]["kz1"])
    reads: list[int] = []
    real_read = host.read

    def counted() -> Any:
        reads.append(1)
        return real_read()

    monkeypatch.setattr(host, "read", counted)
    return op, reads


def test_a_waiting_operation_looks_at_its_marker_not_at_the_state(
    host: SimHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    op, reads = _held(host, monkeypatch)
    assert op.sleep(3.5 * lifecycle.WATCH_SLICE) is True
    assert reads == []
    with host.edit() as state:
        state["zones"]["kz1"]["op"] = None  # taken away, as a halt does
    began = time.monotonic()
    assert op.sleep(30.0) is False
    assert time.monotonic() - began < 10 * lifecycle.WATCH_SLICE
    assert reads == [1]


def test_without_its_marker_a_waiting_operation_reads_the_state(
    host: SimHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    (host.path / "ops").write_text("not a directory\n", encoding="utf-8")
    op, reads = _held(host, monkeypatch)
    # One read of the state at each glance, however many glances a loaded machine
    # leaves in the time (a slice that oversleeps leaves one fewer: CI once saw 2
    # of the 3 an idle machine takes).
    glances: list[float] = []
    real_sleep = time.sleep

    def counted_sleep(seconds: float) -> None:
        glances.append(seconds)
        real_sleep(seconds)

    monkeypatch.setattr(time, "sleep", counted_sleep)
    assert op.sleep(2.5 * lifecycle.WATCH_SLICE) is True
    assert len(glances) in (1, 2, 3)
    assert len(reads) == len(glances)


def test_a_transfer_slowed_by_one_begun_later_predicts_again_without_editing(
    host: SimHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 1 GiB at 1 GiB/s on storage of 1 GiB/s shared, a simulated second 0.3 real
    # ones: alone 0.3 s; with a second transfer begun at once, twice that.
    set_rates(host, storage_bandwidth=1 << 30, storage_saturation=64)
    with host.edit() as state:
        state["time_scale"] = 0.3
    ops = [lifecycle._Op(host, zone, "suspend") for zone in ("kz1", "kz2")]

    def begin(op: lifecycle._Op) -> None:
        with host.edit() as state:
            op.mark(state["zones"][op.name])
            transfers.register(
                state,
                time.time(),
                op_id=op.op_id,
                zone=op.name,
                pid=op.pid,
                kind="suspend",
                nbytes=1 << 30,
                cap=float(1 << 30),
            )

    begin(ops[0])
    began = time.monotonic()
    edits = []  # by the waiting thread
    real_edit = host.edit

    def counted() -> Any:
        if threading.current_thread() is not threading.main_thread():
            edits.append(1)
        return real_edit()

    monkeypatch.setattr(host, "edit", counted)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(ops[0].transfer)
        time.sleep(0.02)
        begin(ops[1])
        assert waiting.result(timeout=10) is True
    # Slowed by the second: about 0.58 s (0.3 alone); above 0.4 unless the second
    # began more than 0.2 s late.
    assert 0.4 < time.monotonic() - began < 3.0
    assert edits == [1]  # the end only: the waits in between only read
    assert [t["op_id"] for t in host.read()["io"]["transfers"]] == [ops[1].op_id]


def test_zone_operations_wait_for_one_in_progress(host: SimHost) -> None:
    set_rates(host, boot_seconds=30.0)  # 0.3 s real
    assert run(host, "zoneadm", "-z", "kz1", "halt").status == 0
    first = start(host, "zoneadm", "-z", "kz1", "boot")
    deadline = time.time() + 5
    while host.zone("kz1")["state"] != "ready" and time.time() < deadline:
        time.sleep(0.01)
    assert _brief(host, "kz1")[0] == "ready"
    second = run(host, "zoneadm", "-z", "kz1", "boot")
    assert first.wait(timeout=10) == 0
    # The second boot waited for the first, then found the zone booted: "the second
    # client loses, but his request doesn't fail" (illumos zoneadmd.c server()).
    assert (second.status, second.stderr) == (0, "zoneadm: zone 'kz1': zone is already booted\n")


def test_killed_boot_leaves_the_zone_installed(host: SimHost) -> None:
    set_rates(host, boot_seconds=100.0)
    assert run(host, "zoneadm", "-z", "kz1", "halt").status == 0
    process = start(host, "zoneadm", "-z", "kz1", "boot")
    deadline = time.time() + 5
    while host.zone("kz1")["state"] != "ready" and time.time() < deadline:
        time.sleep(0.01)
    process.kill()
    process.wait(timeout=5)
    assert run(host, "zoneadm", "list", "-ip").stdout.count(":kz1:installed:") == 1
    assert _brief(host, "kz1") == ("installed", [], None)


def test_milestone_comes_online_after_boot(host: SimHost) -> None:
    # 2 s real: time for the first zlogin to start and read the state on a loaded
    # machine, or with coverage measuring every simulated command.
    set_rates(host, milestone_seconds=200.0)
    assert run(host, "zoneadm", "-z", "kz1", "reboot").status == 0
    rebooted = time.monotonic()
    svcs = ("/usr/bin/svcs", "-H", "-o", "state", "svc:/milestone/multi-user-server:default")
    assert run(host, "zlogin", "-n", "kz1", *svcs).stdout == "offline\n"
    time.sleep(max(0.0, rebooted + 2.1 - time.monotonic()))
    assert run(host, "zlogin", "-n", "kz1", *svcs).stdout == "online\n"

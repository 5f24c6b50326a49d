"""Events of the global zone: power loss, the zones service, reboot, init."""

from __future__ import annotations

from kzguard.sim import control
from kzguard.sim.control import Event
from kzguard.sim.state import SimHost
from tests.sim.helpers import run


def _states(host: SimHost) -> dict[str, tuple[str, list[str]]]:
    return {n: (z["state"], z["aux"]) for n, z in host.read()["zones"].items()}


def test_power_off_loses_running_zones_and_keeps_suspend_images(host: SimHost) -> None:
    assert run(host, "zoneadm", "-z", "kz1", "suspend").status == 0
    image = host.zone("kz1")["image"]
    boot_time = host.zone("kz1")["boot_time"]
    events = control.power_off(host)
    assert events == [Event(n, "lost") for n in ("kz2", "kz3", "kz4", "ngz1")]
    assert _states(host) == {
        "kz1": ("installed", ["suspended"]),
        "kz2": ("installed", []),
        "kz3": ("installed", []),
        "kz4": ("installed", []),
        "ngz1": ("installed", []),
    }
    assert all(z["id"] is None for z in host.read()["zones"].values())
    assert host.zone("kz1")["image"] == image
    # The suspended zone still resumes with its old boot time afterwards.
    assert run(host, "zoneadm", "-z", "kz1", "boot").status == 0
    assert host.zone("kz1")["boot_time"] == boot_time


def test_zones_service_stop_applies_autoshutdown(host: SimHost) -> None:
    with host.edit() as state:
        zones = state["zones"]
        zones["kz1"]["config"]["autoshutdown"] = "suspend"
        zones["kz2"]["config"]["autoshutdown"] = "halt"
        zones["kz3"]["config"]["autoshutdown"] = None  # default: shutdown
        zones["kz4"]["config"]["autoshutdown"] = "suspend"
        zones["ngz1"]["config"]["autoshutdown"] = "suspend"
    host.set_fault("kz4", "suspend", "enospc")
    events = control.zones_service_stop(host)
    assert events == [
        Event("kz1", "suspended"),
        Event("kz2", "halted"),
        Event("kz3", "shut down"),
        Event("kz4", "shut down (suspend failed: no space)"),
        Event("ngz1", "shut down (cannot suspend)"),
    ]
    assert _states(host)["kz1"] == ("installed", ["suspended"])
    assert [s for n, s in _states(host).items() if n != "kz1"] == [("installed", [])] * 4


def test_zones_service_start_boots_autoboot_zones_and_resumes_suspended_ones(
    host: SimHost,
) -> None:
    with host.edit() as state:
        for name in ("kz1", "kz2", "kz3"):
            state["zones"][name]["config"]["autoboot"] = True
    old = {n: host.zone(n)["boot_time"] for n in ("kz1", "kz2")}
    assert run(host, "zoneadm", "-z", "kz1", "suspend").status == 0
    assert run(host, "zoneadm", "-z", "kz2", "shutdown").status == 0
    assert run(host, "zoneadm", "-z", "kz3", "suspend").status == 0
    assert run(host, "zoneadm", "-z", "kz4", "halt").status == 0
    host.set_fault("kz3", "resume", "corrupt")
    events = control.zones_service_start(host)
    assert events == [
        Event("kz1", "resumed"),
        Event("kz2", "booted"),
        Event("kz3", "resume failed (corrupt image)"),
    ]
    assert host.zone("kz1")["boot_time"] == old["kz1"]
    assert host.zone("kz1")["image"] is None
    assert host.zone("kz2")["boot_time"] > old["kz2"]
    assert _states(host)["kz3"] == ("installed", ["suspended"])
    assert _states(host)["kz4"] == ("installed", [])  # autoboot false


def test_reboot_bypass_halts_every_running_zone(host: SimHost) -> None:
    assert run(host, "zoneadm", "-z", "kz1", "suspend").status == 0
    events = control.reboot_bypass(host)
    assert [e.zone for e in events] == ["kz2", "kz3", "kz4", "ngz1"]
    assert _states(host)["kz1"] == ("installed", ["suspended"])
    assert all(state == "installed" for state, _ in _states(host).values())


def test_set_runlevel(host: SimHost) -> None:
    control.set_runlevel(host, "0")
    assert run(
        host, "svcprop", "-p", "options_ovr/runlevel", "svc:/system/svc/restarter:default"
    ).stdout == ("0\n")
    assert " run-level 0 " in run(host, "who", "-r").stdout

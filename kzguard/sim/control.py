"""Events of the simulated global zone itself, applied instantly.

- :func:`power_off`: the machine loses power; everything running is lost.
- :func:`zones_service_stop`: svc:/system/zones:default stopping at a clean
  shutdown applies each running zone's ``autoshutdown`` (docs/solaris.md 3.1).
- :func:`zones_service_start`: the zones service at boot boots every installed
  zone with ``autoboot=true``; a suspended one resumes (docs/solaris.md 3.1).
- :func:`reboot_bypass`: ``reboot``/``halt`` run no stop methods and
  ``zoneadm halt`` every zone (docs/solaris.md 4).
- :func:`set_runlevel`: ``init N`` records the new run level (docs/solaris.md 12).
- :func:`boot_host`: the global zone boots; its ZFS pools are imported again, so
  their I/O statistics start afresh (``zpool iostat``, docs/solaris.md 14.1).

Faults apply here as in zoneadm.  Each function returns what happened per zone.  A
suspend or resume applied here takes no time, but its image's bytes are counted on
the pool holding the image all the same (:mod:`kzguard.sim.zfs`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from kzguard.sim import smfrepo, transitions, zfs
from kzguard.sim.smfrepo import ZONE_INSTANCE_PREFIX
from kzguard.sim.state import RESTARTER, SimHost

State = dict[str, Any]
Zone = dict[str, Any]


@dataclass(frozen=True)
class Event:
    zone: str
    outcome: str


def power_off(host: SimHost) -> list[Event]:
    """Every running, booting or shutting-down zone is lost (installed, no aux
    state, no id); a suspended zone keeps its image."""
    events = []
    with host.edit() as state:
        for name, zone in state["zones"].items():
            if zone["state"] in transitions.ACTIVE_STATES or zone["op"] is not None:
                transitions.lose(state, zone)
                events.append(Event(name, "lost"))
    return events


def _suspend(state: State, name: str, zone: Zone) -> str:
    path, storage = transitions.suspend_location(name, zone)
    fault = zone["faults"].get("suspend")
    if zone["brand"] != transitions.KERNEL_ZONE_BRAND or (path is None and storage is None):
        # Whether svc.zones falls back when a zone cannot suspend is open question
        # 5 (docs/solaris.md 11): the simulator shuts it down.
        transitions.make_installed(state, zone)
        return "shut down (cannot suspend)"
    if fault == "hang":
        transitions.make_installed(state, zone)
        return "halted (suspend hung)"
    image = transitions.image_bytes(zone)
    fs = transitions.filesystem_for(state, path) if path else None
    if fault == "enospc" or (fs is not None and image > fs["available"]):
        transitions.make_installed(state, zone)
        return "shut down (suspend failed: no space)"
    if fault == "lose-image":
        transitions.make_installed(state, zone)
        return "halted (suspend image lost)"
    if fs is not None:
        fs["available"] -= image
    location = path or storage or ""
    transitions.suspend_now(
        state, zone, nbytes=image, path=location, mount=fs["mount"] if fs else None
    )
    # Applied instantly, yet the image was written to its pool all the same.
    _count_image(state, location, "suspend", image)
    return "suspended"


def _count_image(state: State, location: str, kind: str, nbytes: int) -> None:
    pool = transitions.image_pool(state, location)
    if pool is not None:
        zfs.count(state, pool, kind, nbytes)


def zones_service_stop(host: SimHost) -> list[Event]:
    """What svc:/system/zones:default does to the zones at a clean shutdown."""
    events = []
    with host.edit() as state:
        for name, zone in state["zones"].items():
            if zone["state"] not in transitions.ACTIVE_STATES:
                continue
            transitions.cancel_op(state, zone)
            action = zone["config"].get("autoshutdown") or "shutdown"
            if zone["state"] == "running" and action == "suspend":
                outcome = _suspend(state, name, zone)
            elif zone["state"] == "running" and action == "shutdown":
                hung = zone["faults"].get("shutdown") == "hang"
                transitions.make_installed(state, zone)
                # svc-zones halts what does not shut down in time (docs/solaris.md 3.4).
                outcome = "halted (shutdown hung)" if hung else "shut down"
            else:
                transitions.make_installed(state, zone)
                outcome = "halted"
            events.append(Event(name, outcome))
    return events


def _start(state: State, zone: Zone, now: float) -> str:
    rates = state["rates"]
    if transitions.is_suspended(zone) and zone["image"] is not None:
        if zone["faults"].get("resume") == "corrupt":
            return "resume failed (corrupt image)"
        transitions.step_clock_at_resume(zone)
        boot_time = zone["boot_time"]
        zone["state"] = "ready"  # so discarding the image keeps the boot time
        _count_image(state, str(zone["image"]["path"]), "resume", int(zone["image"]["bytes"]))
        transitions.discard_image(state, zone)
        if boot_time is None:
            boot_time = transitions.new_boot_time(zone, now)
        transitions.make_running(
            state, zone, now, boot_time=boot_time, settle=rates["resume_milestone_seconds"]
        )
        return "resumed"
    if zone["faults"].get("boot") == "fail":
        return "boot failed"
    boot_time = transitions.new_boot_time(zone, now)
    transitions.make_running(
        state, zone, now, boot_time=boot_time, settle=rates["milestone_seconds"]
    )
    return "booted"


def zones_service_start(host: SimHost) -> list[Event]:
    """Boot (or resume) every idle installed zone with autoboot=true."""
    events = []
    with host.edit() as state:
        now = time.time()
        for name, zone in state["zones"].items():
            if zone["state"] != "installed" or zone["op"] is not None:
                continue
            if not zone["config"]["autoboot"]:
                continue
            events.append(Event(name, _start(state, zone, now)))
    return events


def reboot_bypass(host: SimHost) -> list[Event]:
    """``reboot`` halts every zone without running any stop method (halt.c)."""
    events = []
    with host.edit() as state:
        for name, zone in state["zones"].items():
            if zone["state"] in transitions.ACTIVE_STATES:
                transitions.make_installed(state, zone)
                events.append(Event(name, "halted"))
    return events


def boot_host(host: SimHost) -> None:
    """The global zone boots: a new boot time (always later than the last, so two
    boots within one second stay distinct), its ZFS pools imported again (their I/O
    statistics start from zero: :func:`kzguard.sim.zfs.reimport`), svc.startd's
    ``options_ovr`` properties gone (non-persistent: illumos libscf_priv.h
    SCF_PG_OPTIONS_OVR_FLAGS is SCF_PG_FLAG_NONPERSISTENT, kept in the volatile
    repository a power cycle empties), every service instance begun anew from its
    persistent ``general/enabled`` (:func:`_restarted`) and run level 3 reached
    from S."""
    with host.edit() as state:
        now = time.time()
        state["host_boot_time"] = max(int(now), int(state.get("host_boot_time", 0)) + 1)
        zfs.reimport(state, now)
        restarter = state["smf"].get(RESTARTER, {})
        for name in [name for name in restarter if name.startswith("options_ovr/")]:
            del restarter[name]
        _restarted(state)
    set_runlevel(host, "3", "S")


def _restarted(state: State) -> None:
    """What svc.startd makes of each instance at boot.  Its own record of an
    instance (state, next_state, auxiliary_state) is the ``restarter`` property
    group, non-persistent (illumos libscf_priv.h SCF_PG_RESTARTER_FLAGS): kept in
    the volatile repository (NONPERSIST_DB, under /etc/svc/volatile, a tmpfs that
    vfs.c vfs_mountroot() mounts afresh at each boot), so restarter.c
    restarter_insert_inst() begins every instance as uninitialized and svc.startd
    brings up the enabled ones.  A stop method that failed at the shutdown
    (maintenance) or a temporary ``svcadm disable -t`` (general_ovr, non-persistent
    too) is forgotten; only ``general/enabled`` counts.  The zones' own instances
    follow their zones (smfrepo.sync)."""
    for fmri, props in state["smf"].items():
        if fmri.startswith(ZONE_INSTANCE_PREFIX) or "restarter/state" not in props:
            continue
        enabled = props.get("general/enabled", ["boolean", "false"])[1] == "true"
        props["restarter/state"] = smfrepo.settled_state(enabled)


def set_runlevel(host: SimHost, level: str, previous: str | None = None) -> None:
    """Record ``init LEVEL`` (who -r and options_ovr/runlevel)."""
    host.set_runlevel(level, previous)

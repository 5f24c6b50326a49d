"""What the start method should do at boot, decided from the journal and the live
zones.  Pure.

kzguard brings back only what it put down (Hyper-V's StartIfRunning rule; peers.md
complaint 14): the zones its last stop recorded.  Before each one, reality is read
again, and whatever an operator did in between wins.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kzguard.model import INSTALLED, READY, RUNNING, Zone
from kzguard.policy.model import Policy

# Journal states written by the stop executor (kzguard.stop.run).
_SUSPENDED = "suspended"
_STATE_LOST = frozenset({"shut-down", "halted", "lost", "failed"})
_UNFINISHED = frozenset({"planned", "suspending", "shutting-down", "halting"})


class Kind(enum.Enum):
    RESUME = "resume"  # installed + suspended: `zoneadm boot` resumes it
    VERIFY = "verify"  # already running (the zones service or an operator booted it)
    COLD_BOOT = "cold-boot"  # was running, its state was lost: boot it fresh
    BOOT = "boot"  # shut down or halted because its policy asks so: boot it again


@dataclass(frozen=True)
class Item:
    """One zone the start method will boot or check."""

    zone: str
    kind: Kind
    reason: str  # why, in words
    boot_time: int | None  # the in-zone boot time recorded before the suspend
    memory: int | None
    after: tuple[str, ...] = ()  # items that must be up first


@dataclass(frozen=True)
class Left:
    """A zone the start method leaves alone, and why."""

    zone: str
    reason: str
    lost: bool = False  # its running state is gone


@dataclass(frozen=True)
class StartPlan:
    items: tuple[Item, ...]
    left: tuple[Left, ...]
    bypassed: bool = False  # the host went down without kzguard's stop method
    note: str = ""


def fingerprint(zone: Zone) -> dict[str, Any]:
    """What must not change between a suspend and its resume: the zone's identity
    and the configuration its image was made for."""
    config = zone.config
    return {
        "uuid": zone.listing.uuid,
        "brand": zone.brand,
        "memory": config.physical_memory if config else None,
    }


def plan_start(
    policy: Policy,
    journal: Mapping[str, Any],
    zones: Sequence[Zone],
    *,
    host_boot_time: int | None,
) -> StartPlan:
    """Decide, per zone, what the start method does at this boot."""
    live = {zone.name: zone for zone in zones}
    armed = journal.get("armed") if isinstance(journal.get("armed"), dict) else None
    cycle = journal.get("cycle") if isinstance(journal.get("cycle"), dict) else None
    if cycle is not None and cycle.get("kind") == "stop" and not cycle.get("resumed_at"):
        if host_boot_time is not None and cycle.get("host_boot_time") == host_boot_time:
            # A stop run by hand in this very boot (`kzguard stop` for maintenance)
            # followed by `svcadm restart`: the operator put the zones down on purpose.
            return StartPlan(
                items=(),
                left=(),
                note="the last stop ran during this boot; nothing is resumed "
                "(boot the zones with zoneadm when the maintenance is over)",
            )
        return _after_stop(policy, cycle, live)
    if (
        armed is not None
        and host_boot_time is not None
        and armed.get("host_boot_time") not in (None, host_boot_time)
        and not armed.get("disarmed")
    ):
        return _after_bypass(policy, armed, live)
    return StartPlan(items=(), left=())


def _after_stop(policy: Policy, cycle: Mapping[str, Any], live: Mapping[str, Zone]) -> StartPlan:
    items: list[Item] = []
    left: list[Left] = []
    zones = cycle.get("zones")
    if not isinstance(zones, dict):
        zones = {}
    for name in sorted(zones):
        record = zones[name]
        if not isinstance(record, dict):
            continue
        outcome = _classify(policy, name, record, live.get(name))
        (items if isinstance(outcome, Item) else left).append(outcome)  # type: ignore[arg-type]
    return StartPlan(items=_ordered(policy, items), left=tuple(left))


def _classify(
    policy: Policy, name: str, record: Mapping[str, Any], zone: Zone | None
) -> Item | Left:
    state = record.get("state") if isinstance(record.get("state"), str) else None
    boot_time = _integer(record.get("boot_time"))
    memory = _integer(record.get("memory"))
    settings = policy.zone_policy(name)
    if zone is None:
        return Left(name, "no longer configured (deleted or renamed since the shutdown)", lost=True)
    changed = _changed(record.get("fingerprint"), fingerprint(zone))
    if changed:
        # Its running state survives only if it is still suspended (the same image).
        return Left(
            name,
            f"{changed} since the shutdown; left alone",
            lost=state != _SUSPENDED or not zone.suspended,
        )
    if state == _SUSPENDED or state in _UNFINISHED:
        if zone.suspended:
            if not settings.resume:
                return Left(name, "suspended; resume = false, so it stays suspended")
            why = "suspended at shutdown" if state == _SUSPENDED else "suspend completed"
            return Item(name, Kind.RESUME, why, boot_time, memory)
        if zone.state == RUNNING:
            return Item(
                name,
                Kind.VERIFY,
                "already running (resumed by the zones service or booted by hand)",
                boot_time,
                memory,
            )
        if zone.state == READY:
            # ready (docs/solaris.md 1.1): the zone's platform is up but its processes are
            # not yet, which is how a boot under way looks (an earlier start method
            # killed after starting it, the zones service, an operator): waited for
            # and verified, not called lost.
            return Item(
                name, Kind.VERIFY, "booting (a boot is already under way)", boot_time, memory
            )
        if zone.state == INSTALLED and state in _UNFINISHED:
            # The stop never finished (power loss, crash, kill): it was running.
            return _lost(policy, name, "the stop did not finish (power loss or crash)", memory)
        if zone.state == INSTALLED:
            return Left(
                name,
                "halted, or booted and halted, since its suspend: the operator's action wins",
                lost=True,
            )
        return Left(
            name, f"is {zone.state} (detached or uninstalled since?); left alone", lost=True
        )
    if state in _STATE_LOST:
        if zone.state == RUNNING:
            return Left(name, "already running (booted since the shutdown)", lost=True)
        if zone.state != INSTALLED or zone.suspended:
            now = "suspended" if zone.suspended else zone.state
            return Left(name, f"is {now}; left alone", lost=True)
        reason = record.get("reason")
        why = f"{state} at shutdown" + (f": {reason}" if reason else "")
        if _as_planned(record, state):
            if not settings.resume:
                return Left(name, f"{state} at shutdown as its policy asks; resume = false")
            return Item(name, Kind.BOOT, f"{state} at shutdown as its policy asks", None, memory)
        return _lost(policy, name, why, memory)
    return Left(name, f"journal state {record.get('state')!r} not understood; left alone")


def _as_planned(record: Mapping[str, Any], state: str) -> bool:
    """Whether the zone went down exactly as its policy's action says (action =
    "shutdown" or "halt", no fallback): its state loss was intended, not a failure."""
    action = record.get("action")
    return (action, state) in (("shutdown", "shut-down"), ("halt", "halted")) and not record.get(
        "reason"
    )


def _integer(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _lost(policy: Policy, name: str, why: str, memory: int | None) -> Item | Left:
    settings = policy.zone_policy(name)
    if not policy.resume.boot_lost:
        return Left(name, f"running state lost ({why}); resume.boot_lost = false", lost=True)
    if not settings.resume:
        return Left(name, f"running state lost ({why}); resume = false", lost=True)
    return Item(name, Kind.COLD_BOOT, f"running state lost: {why}", None, memory)


def _changed(before: object, now: Mapping[str, Any]) -> str:
    if not isinstance(before, dict):
        return ""
    # A key the record lacks (a journal from another version) proves no change.
    if before.get("uuid") and before.get("uuid") != now["uuid"]:
        return "a different zone has this name (uuid changed: recreated or renamed)"
    if "brand" in before and before["brand"] != now["brand"]:
        return f"brand changed from {before['brand']} to {now['brand']}"
    # None is a memory size zonecfg could not tell (the stop or start path goes on
    # without a configuration it cannot read): unknown proves no change either.
    if (
        before.get("memory") is not None
        and now["memory"] is not None
        and (before["memory"] != now["memory"])
    ):
        return "capped-memory physical changed (reconfigured)"
    return ""


def _after_bypass(policy: Policy, armed: Mapping[str, Any], live: Mapping[str, Zone]) -> StartPlan:
    """The host booted again but kzguard's stop method never ran: `reboot`, `halt`,
    `uadmin`, a panic or a power loss (docs/solaris.md 4).  The zones that were running
    when the guard was armed lost their state."""
    items: list[Item] = []
    left: list[Left] = []
    running = armed.get("running")
    if not isinstance(running, list):
        running = []
    for name in sorted({name for name in running if isinstance(name, str)}):
        zone = live.get(name)
        if zone is None:
            left.append(Left(name, "no longer configured", lost=True))
        elif zone.state == RUNNING:
            left.append(Left(name, "already running (autoboot or booted by hand)", lost=True))
        elif zone.suspended:
            left.append(Left(name, "suspended by someone else; left alone"))
        elif zone.state == INSTALLED:
            memory = zone.config.physical_memory if zone.config else None
            outcome = _lost(policy, name, "the host went down without kzguard", memory)
            (items if isinstance(outcome, Item) else left).append(outcome)  # type: ignore[arg-type]
        else:
            left.append(Left(name, f"is {zone.state}; left alone", lost=True))
    note = (
        "the host went down without kzguard's stop method (reboot, halt, uadmin, panic "
        "or power loss); use init 6 or shutdown -i6, or run kzguard stop before reboot"
    )
    return StartPlan(items=_ordered(policy, items), left=tuple(left), bypassed=True, note=note)


def _ordered(policy: Policy, items: Sequence[Item]) -> tuple[Item, ...]:
    """Attach the `after` relations among the items, and order them: zones others
    wait on first, then the smallest (quickest to resume), then by name."""
    names = {item.zone for item in items}
    waited_on = {
        dependency
        for item in items
        for dependency in policy.zone_policy(item.zone).after
        if dependency in names
    }
    with_after = [
        Item(
            item.zone,
            item.kind,
            item.reason,
            item.boot_time,
            item.memory,
            tuple(d for d in policy.zone_policy(item.zone).after if d in names),
        )
        for item in items
    ]
    return tuple(
        sorted(
            with_after,
            key=lambda item: (item.zone not in waited_on, item.memory or 0, item.zone),
        )
    )

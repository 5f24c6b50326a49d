"""Settings of a simulated zone that ``kzguard sim`` can change (no I/O)."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


# Auxiliary states an operator's action (or, for ``panicked``, the zone's own kernel)
# puts a running kernel zone in ([KZ114-AUX], docs/solaris.md 1.2); ``suspended``
# belongs to zoneadm itself.
SETTABLE_AUX = frozenset({"migrating-out", "migrating-in", "debugging", "panicked"})
# Of those, the ones in which the zone's kernel runs nothing (kmdb, a panic): its
# suspend, shutdown and zlogin wait for a halt (UNCONFIRMED; sim/lifecycle.py,
# sim/svcstartd.py, sim/zlogin.py).
STOPPED_AUX = frozenset({"debugging", "panicked"})
# zonecfg boot-priority values, default normal ([ZGLOBALPROPS], zones boot ordering).
BOOT_PRIORITIES = ("high", "normal", "low")
# Groupings a zonecfg smf-dependency may have (svc.zones(8); default require_all).
SMF_GROUPINGS = ("require_all", "require_any", "optional_all", "exclude_all")


def _set_clock_step(zone: dict[str, Any], value: str) -> None:
    try:
        zone["clock_step_at_resume"] = int(value)
    except ValueError:
        raise ValueError(f"clock_step_at_resume must be whole seconds, not {value!r}") from None


def _set_boot_priority(zone: dict[str, Any], value: str) -> None:
    if value not in BOOT_PRIORITIES:
        raise ValueError(f"boot-priority must be one of {', '.join(BOOT_PRIORITIES)}")
    zone["config"]["boot_priority"] = value


def _set_autoshutdown(zone: dict[str, Any], value: str) -> None:
    if value not in ("shutdown", "halt", "suspend"):
        raise ValueError("autoshutdown must be one of shutdown, halt, suspend")
    zone["config"]["autoshutdown"] = value


def _set_autoboot(zone: dict[str, Any], value: str) -> None:
    if value not in ("true", "false"):
        raise ValueError("autoboot must be true or false")
    zone["config"]["autoboot"] = value == "true"


# ``kzguard sim set DIR ZONE KEY=VALUE``: clock_step_at_resume steps the guest's
# clock by that many seconds at every resume, so its kstat boot_time moves
# (the UNCONFIRMED behaviour of docs/solaris.md 8 that kzguard must survive).
ZONE_SETTINGS = {
    "clock_step_at_resume": _set_clock_step,
    "boot-priority": _set_boot_priority,
    "autoshutdown": _set_autoshutdown,
    "autoboot": _set_autoboot,
}


def kernel_stopped(zone: dict[str, Any]) -> bool:
    """Whether the zone's kernel is stopped (STOPPED_AUX): it runs nothing."""
    return not STOPPED_AUX.isdisjoint(zone["aux"])

"""Plain values describing zones as the Solaris commands report them.

Pure: no I/O here.  Parsers build these, the planner and the reports read them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# Zone states exactly as zoneadm prints them (libzonecfg zone_state_str(); Oracle's
# Nova driver lists the same constants).  States are kept as plain strings, not an
# enum, so that a state added by a future SRU is shown instead of breaking parsing.
CONFIGURED = "configured"
INCOMPLETE = "incomplete"
UNAVAILABLE = "unavailable"
INSTALLED = "installed"
READY = "ready"
RUNNING = "running"
SHUTTING_DOWN = "shutting_down"
DOWN = "down"
MOUNTED = "mounted"
KNOWN_STATES = frozenset(
    {CONFIGURED, INCOMPLETE, UNAVAILABLE, INSTALLED, READY, RUNNING, SHUTTING_DOWN, DOWN, MOUNTED}
)

# Kernel-zone auxiliary states (11.4 "Kernel Zone Auxiliary States").
AUX_SUSPENDED = "suspended"
AUX_MIGRATING_OUT = "migrating-out"
AUX_MIGRATING_IN = "migrating-in"
AUX_DEBUGGING = "debugging"
AUX_PANICKED = "panicked"
# While one of these is set the zone belongs to someone else: a migration moves its
# running state to another host (docs/solaris.md 1.7), or it is stopped in the
# kernel debugger (1.2).  kzguard neither suspends, shuts down nor halts it: a halt
# would kill the migration or the debugging session.  Why, per state, in words.
HANDS_OFF_AUX = {
    AUX_MIGRATING_OUT: "a migration owns the zone",
    AUX_MIGRATING_IN: "a migration owns the zone",
    AUX_DEBUGGING: "the zone is stopped in the kernel debugger",
}


def hands_off(aux_states: Sequence[str]) -> str:
    """Why kzguard must not touch a zone in these auxiliary states, e.g.
    ``migrating-out: a migration owns the zone``; "" when it may."""
    for aux in aux_states:
        if aux in HANDS_OFF_AUX:
            return f"{aux}: {HANDS_OFF_AUX[aux]}"
    return ""


KERNEL_ZONE_BRAND = "solaris-kz"
GLOBAL_ZONE = "global"


@dataclass(frozen=True)
class ZoneListing:
    """One zone as ``zoneadm list -cp`` prints it (only the first 7 fields are used)."""

    zoneid: int | None  # None when zoneadm prints "-" (zone not running)
    name: str
    state: str
    zonepath: str
    uuid: str
    brand: str
    ip_type: str


@dataclass(frozen=True)
class SuspendResource:
    """The zonecfg ``suspend`` resource: exactly one of path or storage is normally set."""

    path: str | None = None
    storage: str | None = None

    @property
    def configured(self) -> bool:
        return bool(self.path or self.storage)


@dataclass(frozen=True)
class SmfDependency:
    """One zonecfg ``smf-dependency`` resource (11.4): the zone's SMF instance
    depends on ``fmri`` (docs/solaris.md 2.3).  ``grouping`` is None when zonecfg
    does not print it (the default, require_all)."""

    fmri: str
    name: str | None = None
    grouping: str | None = None


@dataclass(frozen=True)
class ZoneConfig:
    """The parts of a zone's configuration kzguard cares about."""

    name: str
    brand: str
    autoboot: bool = False
    # None when zonecfg does not print the property (it is then the default, shutdown).
    autoshutdown: str | None = None
    suspend: SuspendResource | None = None
    physical_memory: int | None = None  # capped-memory physical, bytes
    # 11.4 boot ordering (docs/solaris.md 2.3): None when zonecfg does not print
    # boot-priority (the default, normal); smf-dependency resources in their order.
    boot_priority: str | None = None
    smf_dependencies: tuple[SmfDependency, ...] = ()

    @property
    def has_suspend(self) -> bool:
        return self.suspend is not None and self.suspend.configured


@dataclass(frozen=True)
class Zone:
    """Everything known about one non-global zone at one instant."""

    listing: ZoneListing
    aux_states: tuple[str, ...] = ()
    config: ZoneConfig | None = None
    # Whether ``zoneadm list -s`` answered for this zone: False when it failed, or
    # left the zone out (plain ``-s`` may list running zones only, docs/solaris.md
    # 1.2).  Then ``aux_states`` is empty for want of an answer, and an installed
    # zone may be suspended or halted: nobody can tell.
    aux_known: bool = True
    # Why ``config`` is None when its zonecfg could not be read (the stop path goes
    # on without it); "" when it was not asked for or was read.
    config_error: str = ""
    # The stamp of the zone's file when ``config`` was read (solaris/zonefiles.py);
    # None when there is none (no file, or it changed during the read).
    config_stamp: str | None = None

    @property
    def name(self) -> str:
        return self.listing.name

    @property
    def state(self) -> str:
        return self.listing.state

    @property
    def brand(self) -> str:
        return self.listing.brand

    @property
    def suspended(self) -> bool:
        # A suspended kernel zone is "installed" like a halted one; only the
        # auxiliary state tells them apart (docs/solaris.md 1.2, "facts most likely
        # to be gotten wrong" no. 1).
        return self.state == INSTALLED and AUX_SUSPENDED in self.aux_states


@dataclass(frozen=True)
class FileSystemSpace:
    """One line of ``df -k PATH``: the file system holding PATH and its free bytes."""

    filesystem: str
    mount_point: str
    available: int

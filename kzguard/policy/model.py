"""The policy as a value: what to do with which zone, within which limits.

Built by :mod:`kzguard.policy.schema` from /etc/kzguard/policy.toml; a missing file
means :func:`default_policy`.  Pure: no I/O.
"""

from __future__ import annotations

import enum
import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Union

DEFAULT_POLICY_PATH = "/etc/kzguard/policy.toml"
# /var/share is shared by every boot environment on Solaris 11, so the journal
# written before a reboot is still there when `pkg update` boots a new BE.
DEFAULT_STATE_DIR = "/var/share/kzguard"
DEFAULT_CONSOLE = "/dev/msglog"
# [paths] console = "none" (or "") writes no progress lines anywhere.
NO_CONSOLE = "none"
# [shutdown] and [resume] parallel = "auto": as many transfers at once as measured
# best (kzguard/pace/auto.py); a number pins it.
AUTO: Literal["auto"] = "auto"
Parallel = Union[int, Literal["auto"]]


class Action(enum.Enum):
    """What to do with a zone when the global zone goes down, strongest first."""

    SUSPEND = "suspend"
    SHUTDOWN = "shutdown"
    HALT = "halt"
    IGNORE = "ignore"


# The order in which steps degrade: a fallback is always a later entry.
STEP_ORDER = (Action.SUSPEND, Action.SHUTDOWN, Action.HALT)


def default_fallback(action: Action) -> tuple[Action, ...]:
    """Return the steps after ``action``: suspend -> shutdown -> halt."""
    if action not in STEP_ORDER:
        return ()
    return STEP_ORDER[STEP_ORDER.index(action) + 1 :]


class Readiness(enum.Enum):
    """How the start method decides that a resumed zone may release its dependants."""

    NONE = "none"
    MILESTONE = "milestone"  # svc:/milestone/multi-user-server:default online in the zone
    COMMAND = "command"  # readiness_command run with zlogin exits 0


class ResumeFailure(enum.Enum):
    """What to do when `zoneadm boot` of a suspended zone fails (corrupt image...)."""

    LEAVE = "leave"  # leave it down and report it
    FRESH_BOOT = "fresh-boot"  # boot it fresh with resume.fresh_boot_args, once


@dataclass(frozen=True)
class ZonePolicy:
    """Per-zone settings; ``[defaults]`` supplies every one a ``[zone.NAME]`` omits."""

    action: Action = Action.SUSPEND
    fallback: tuple[Action, ...] = (Action.SHUTDOWN, Action.HALT)
    suspend_timeout: float = 600.0
    shutdown_timeout: float = 180.0
    halt_timeout: float = 60.0
    resume: bool = True
    after: tuple[str, ...] = ()
    readiness: Readiness = Readiness.NONE
    readiness_command: str | None = None
    readiness_timeout: float = 300.0

    @property
    def steps(self) -> tuple[Action, ...]:
        """The whole chain the stop method may walk: the action, then its fallbacks."""
        if self.action is Action.IGNORE:
            return ()
        return (self.action, *self.fallback)

    def timeout(self, step: Action) -> float:
        """Return the per-step timeout for ``step`` (suspend, shutdown or halt)."""
        return {
            Action.SUSPEND: self.suspend_timeout,
            Action.SHUTDOWN: self.shutdown_timeout,
            Action.HALT: self.halt_timeout,
        }[step]


@dataclass(frozen=True)
class ShutdownPolicy:
    """``[shutdown]``: limits of the stop method."""

    deadline: float = 900.0  # the whole stop method finishes inside this
    parallel: Parallel = AUTO  # suspends (and other steps) at once
    # Assumed suspend write rate, bytes per second, for zones with no history yet.
    assumed_rate: int = 256 << 20
    # svc.startd also runs the stop method on `svcadm disable/restart`; act then only
    # when the operator asks (peers.md complaint 3).
    act_on_service_stop: bool = False


@dataclass(frozen=True)
class ResumePolicy:
    """``[resume]``: limits of the start method."""

    deadline: float = 1800.0
    parallel: Parallel = AUTO  # resume boots at once
    # Between two fresh boots (lost state, or shut down by policy), against boot
    # storms; resumes are paced by `parallel` alone (start/run.py).
    stagger: float = 5.0
    verify: bool = True  # record the in-zone boot time before suspend, compare after
    on_failure: ResumeFailure = ResumeFailure.LEAVE
    # `zoneadm boot -R` ("force new boot instead of resume") is named only by Oracle's
    # zsh completion (docs/solaris.md 1.5): UNCONFIRMED for 11.4, hence configurable.
    fresh_boot_args: tuple[str, ...] = ("-R",)
    boot_lost: bool = True  # cold-boot zones that were running but lost their state


@dataclass(frozen=True)
class Selection:
    """``[select]``: which zones are managed besides the explicit ``[zone.NAME]`` tables."""

    auto: bool = True  # every solaris-kz zone that has a suspend resource
    include: tuple[str, ...] = ()  # fnmatch globs on zone names
    exclude: tuple[str, ...] = ()

    def excluded_by(self, zone_name: str) -> str | None:
        """Return the exclude pattern matching ``zone_name``, or None."""
        return _first_match(self.exclude, zone_name)

    def included_by(self, zone_name: str) -> str | None:
        """Return the include pattern matching ``zone_name``, or None."""
        return _first_match(self.include, zone_name)


def _first_match(patterns: tuple[str, ...], name: str) -> str | None:
    for pattern in patterns:
        if fnmatch.fnmatchcase(name, pattern):
            return pattern
    return None


@dataclass(frozen=True)
class Commands:
    """``[commands]``: absolute paths; kzguard never searches PATH and never uses a shell."""

    zoneadm: str = "/usr/sbin/zoneadm"
    zonecfg: str = "/usr/sbin/zonecfg"
    zlogin: str = "/usr/sbin/zlogin"
    svcprop: str = "/usr/bin/svcprop"
    svcadm: str = "/usr/sbin/svcadm"
    svccfg: str = "/usr/sbin/svccfg"
    who: str = "/usr/bin/who"
    df: str = "/usr/sbin/df"
    kstat: str = "/usr/bin/kstat"
    # The pools' bandwidth while images move (`zpool iostat`, docs/solaris.md 14.1):
    # what the auto pace measures between transfers' ends.
    zpool: str = "/usr/sbin/zpool"
    # `kzguard reboot`: init 6 runs every SMF stop method, reboot(8) none
    # (docs/solaris.md 4); beadm activates the boot environment to boot into.
    init: str = "/usr/sbin/init"
    shutdown: str = "/usr/sbin/shutdown"
    beadm: str = "/usr/sbin/beadm"


@dataclass(frozen=True)
class Paths:
    """``[paths]``."""

    state_dir: str = DEFAULT_STATE_DIR
    # Where the stop and start methods write their progress lines; "" for nowhere.
    # Solaris methods write to /dev/msglog (msglog(7D): output of startup scripts and
    # background applications, dispatched to the console; docs/solaris.md 14).
    console: str = DEFAULT_CONSOLE


@dataclass(frozen=True)
class Policy:
    """The whole policy.  ``source`` is the file it came from, None for built-in defaults."""

    source: str | None = None
    shutdown: ShutdownPolicy = ShutdownPolicy()
    resume: ResumePolicy = ResumePolicy()
    select: Selection = Selection()
    defaults: ZonePolicy = ZonePolicy()
    zones: Mapping[str, ZonePolicy] = field(default_factory=dict)
    commands: Commands = Commands()
    paths: Paths = Paths()

    def zone_policy(self, zone_name: str) -> ZonePolicy:
        """Return the settings of ``zone_name``: its own table, else ``[defaults]``."""
        return self.zones.get(zone_name, self.defaults)


def pinned(parallel: Parallel) -> int | None:
    """The number ``parallel`` pins, None for "auto"."""
    return None if parallel == AUTO else int(parallel)


def default_policy() -> Policy:
    """Return the policy used when no policy file exists."""
    return Policy()

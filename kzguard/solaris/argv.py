"""Argument lists for every Solaris command kzguard runs.  Pure: building, not running.

Zone names are validated here, before they can reach any argv: a name read from a
policy file or from command output must obey the Solaris rule.
"""

from __future__ import annotations

import re

from kzguard.policy.model import Commands
from kzguard.zonename import validate_zone_name

# The in-zone boot time survives a resume and is reset by a cold boot, so it tells
# the two apart (docs/solaris.md 8); guest wall-clock time does not.
KSTAT_BOOT_TIME = "unix:0:system_misc:boot_time"
# The resume marker (issue 11): a nonce written just before the suspend into a
# memory-backed file system in the zone, which a suspend keeps and every boot empties
# (docs/solaris.md 8), so that its survival proves a resume whatever the clock does.
MARKER_DIRECTORY = "/system/volatile/kzguard"
MARKER_FILE = MARKER_DIRECTORY + "/resume-marker"
MARKER_TEMPORARY = MARKER_FILE + ".tmp"
NONCE_DIGITS = frozenset("0123456789abcdef")
MULTI_USER_SERVER = "svc:/milestone/multi-user-server:default"
RESTARTER = "svc:/system/svc/restarter:default"
# init(8) writes the new run level here, and svc.startd deletes it again before any
# stop method runs (docs/solaris.md 12): read only as a last resort.
RUNLEVEL_PROPERTY = "options_ovr/runlevel"
# svc.startd sets this when it changes the run level: none, single-user, multi-user
# or all (docs/solaris.md 12).
MILESTONE_PROPERTY = "options_ovr/milestone"
# kzguard's own SMF instance (the manifest's create_default_instance).
KZGUARD_INSTANCE = "svc:/site/kzguard:default"
_BE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:+-]{0,254}")


def zone_instance(zone_name: str) -> str:
    """Return the 11.4 SMF instance of a zone (svc.zones(8))."""
    return f"svc:/system/zones/zone:{validate_zone_name(zone_name)}"


class Argv:
    """Builds argument lists from the absolute paths of the policy's ``[commands]``."""

    def __init__(self, commands: Commands) -> None:
        self.commands = commands

    def list_parseable(self) -> list[str]:
        return [self.commands.zoneadm, "list", "-cp"]

    def list_verbose(self) -> list[str]:
        return [self.commands.zoneadm, "list", "-cv"]

    def list_auxiliary(self, *, all_zones: bool) -> list[str]:
        # Whether -s combines with -c is UNCONFIRMED (docs/solaris.md 1.2); the adapter
        # tries "-cs" first and falls back to "-s".
        return [self.commands.zoneadm, "list", "-cs" if all_zones else "-s"]

    def zone_list_parseable(self, zone_name: str) -> list[str]:
        return [self.commands.zoneadm, "-z", validate_zone_name(zone_name), "list", "-p"]

    def zoneadm(self, zone_name: str, subcommand: str, *args: str) -> list[str]:
        """``zoneadm -z ZONE suspend|boot|shutdown|halt [args]``."""
        return [self.commands.zoneadm, "-z", validate_zone_name(zone_name), subcommand, *args]

    def zone_export(self, zone_name: str) -> list[str]:
        return [self.commands.zonecfg, "-z", validate_zone_name(zone_name), "export"]

    def in_zone(self, zone_name: str, *command: str) -> list[str]:
        # -n: stdin from /dev/null, so zlogin cannot wait on the method's stdin (zlogin(1)).
        return [self.commands.zlogin, "-n", validate_zone_name(zone_name), *command]

    def boot_time(self, zone_name: str) -> list[str]:
        return self.in_zone(zone_name, "/usr/bin/kstat", "-p", KSTAT_BOOT_TIME)

    def marker_writing(self, zone_name: str, nonce: str) -> list[str]:
        """The resume marker written atomically: its directory, a temporary file,
        then a rename over the marker, so a reader finds a whole marker or none.
        zlogin joins its arguments with blanks and hands them to the zone's shell
        (docs/solaris.md 8), which applies the ``>`` and runs the three as one AND
        list, each only if the one before succeeded: one zlogin, not three (each
        is a connection into the zone).  The nonce must be lowercase hex, with no
        blank or shell character."""
        return self.in_zone(zone_name, *_marker_words(nonce))

    def boot_time_and_marker_writing(self, zone_name: str, nonce: str) -> list[str]:
        """The zone's boot time read, then its resume marker written, in one zlogin:
        one AND list (docs/solaris.md 8), so the marker is written only once kstat
        has answered, and kstat's line on stdout tells which part failed."""
        return self.in_zone(
            zone_name, "/usr/bin/kstat", "-p", KSTAT_BOOT_TIME, "&&", *_marker_words(nonce)
        )

    def marker_reading(self, zone_name: str) -> list[str]:
        return self.in_zone(zone_name, "/usr/bin/cat", MARKER_FILE)

    def boot_time_and_marker(self, zone_name: str) -> list[str]:
        """The zone's boot time, then its resume marker, in one zlogin: an AND list
        (docs/solaris.md 8), so the marker is read only once kstat has answered."""
        return self.in_zone(
            zone_name,
            *("/usr/bin/kstat", "-p", KSTAT_BOOT_TIME, "&&"),
            *("/usr/bin/cat", MARKER_FILE),
        )

    def milestone_state(self, zone_name: str) -> list[str]:
        return self.in_zone(zone_name, "/usr/bin/svcs", "-H", "-o", "state", MULTI_USER_SERVER)

    def host_boot_time(self) -> list[str]:
        return [self.commands.kstat, "-p", KSTAT_BOOT_TIME]

    def runlevel_property(self) -> list[str]:
        # -c: options_ovr is non-persistent, so read the composed current view rather
        # than the running snapshot (docs/solaris.md 12).
        return [self.commands.svcprop, "-c", "-p", RUNLEVEL_PROPERTY, RESTARTER]

    def milestone_property(self) -> list[str]:
        # -c for the same reason as the run level: options_ovr is non-persistent.
        return [self.commands.svcprop, "-c", "-p", MILESTONE_PROPERTY, RESTARTER]

    def instance_properties(self, fmri: str, *, current: bool) -> list[str]:
        """Every property of an instance: the running snapshot (what svc.startd's
        graph uses), or with ``current`` the composed current view that ``svccfg``
        edits and ``svcadm refresh`` turns into the next running snapshot
        (docs/solaris.md 5.5)."""
        return [self.commands.svcprop, *(["-c"] if current else []), fmri]

    def svccfg_on(self, fmri: str, *subcommand: str) -> list[str]:
        """``svccfg -s FMRI SUBCOMMAND ARGS``: svccfg joins the words with blanks and
        parses the line as one of its own commands (illumos svccfg_main.c), so no
        word may contain a blank, a double quote, ``>``, ``=``, ``(`` or ``)`` except
        the ``=`` of setprop, which is a word of its own (svccfg.l)."""
        return [self.commands.svccfg, "-s", fmri, *subcommand]

    def refresh(self, fmri: str) -> list[str]:
        return [self.commands.svcadm, "refresh", fmri]

    def instance_exists(self, fmri: str) -> list[str]:
        return [self.commands.svcprop, "-p", "general/enabled", fmri]

    def who_runlevel(self) -> list[str]:
        return [self.commands.who, "-r"]

    def free_space(self, *paths: str) -> list[str]:
        return [self.commands.df, "-k", *paths]

    def pool_iostat(self, seconds: int) -> list[str]:
        """Every pool's bandwidth: a report since boot, then one over ``seconds``
        (zpool_do_iostat, docs/solaris.md 14.1)."""
        return [self.commands.zpool, "iostat", str(seconds), "2"]

    def init_reboot(self) -> list[str]:
        # init 6, never reboot(8): svc.startd runs every stop method, kzguard's
        # suspends included; reboot runs none (docs/solaris.md 4).
        return [self.commands.init, "6"]

    def list_boot_environments(self) -> list[str]:
        """``beadm list -H``: every BE, one a line, fields separated by ``;``."""
        return [self.commands.beadm, "list", "-H"]

    def activate_boot_environment(self, name: str) -> list[str]:
        """``beadm activate BE``: the BE the next boot boots (beadm(8))."""
        problem = boot_environment_problem(name)
        if problem:
            raise ValueError(problem)
        return [self.commands.beadm, "activate", name]


def _marker_words(nonce: str) -> tuple[str, ...]:
    if not 16 <= len(nonce) <= 64 or not NONCE_DIGITS.issuperset(nonce):
        raise ValueError(f"{nonce!r} is not a resume marker (16 to 64 lowercase hex digits)")
    return (
        *("/usr/bin/mkdir", "-p", MARKER_DIRECTORY, "&&"),
        *("/usr/bin/echo", nonce, ">", MARKER_TEMPORARY, "&&"),
        *("/usr/bin/mv", "-f", MARKER_TEMPORARY, MARKER_FILE),
    )


def boot_environment_problem(name: str) -> str | None:
    """Why ``name`` is refused as a boot environment name, or None.  A BE is a ZFS
    dataset (beadm(8)), so its name is one dataset name component; kzguard accepts
    the plain part of ZFS's rule (letters, digits, ``_ - . : +``, at most 255), and
    never a leading ``-``, which beadm would read as an option."""
    if not _BE_NAME.fullmatch(name):
        return (
            f"{name!r} is not a boot environment name (letters, digits and _-.:+, "
            "beginning with a letter or digit, at most 255)"
        )
    return None

"""Simulated ``/usr/sbin/zlogin``: non-interactive commands in a running zone.

zlogin hands the command line to a shell in the zone (solaris.md 8), so the
arguments are joined with spaces and split again the way that shell would.  The
zone knows ``kstat -p unix:0:system_misc:boot_time``, ``svcs -H -o state`` of the
multi-user-server milestone, ``true``, ``false`` and whatever the zone's
``commands`` table holds (:meth:`SimHost.set_zone_command`); anything else is
"not found" (exit 127, the shell's status for a missing command).
"""

from __future__ import annotations

import getopt
import shlex
import sys
import time
from collections.abc import Sequence
from typing import Any

from kzguard.sim.state import SimHost
from kzguard.sim.tools import host_for

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 127

# illumos zlogin.c usage().
USAGE = "usage: zlogin [ -nQCES ] [ -e cmdchar ] [-l user] zonename [command [args ...] ]\n"
BOOT_TIME_KSTAT = "unix:0:system_misc:boot_time"
MILESTONE_NAMES = frozenset(
    {
        "svc:/milestone/multi-user-server:default",
        "svc:/milestone/multi-user-server",
        "milestone/multi-user-server:default",
        "milestone/multi-user-server",
        "multi-user-server",
    }
)
_BIN_DIRS = ("", "/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/")


def _program(word: str, name: str) -> bool:
    return any(word == prefix + name for prefix in _BIN_DIRS)


def _online(zone: dict[str, Any]) -> bool:
    online_at = zone["online_at"]
    return online_at is not None and time.time() >= float(online_at)


def _run(zone: dict[str, Any], words: list[str]) -> int:
    table = zone["commands"]
    line = " ".join(words)
    if line in table:
        entry = table[line]
        if not _online(zone):
            return int(entry.get("not_ready_status", 1))
        sys.stdout.write(entry.get("stdout", ""))
        sys.stderr.write(entry.get("stderr", ""))
        return int(entry.get("status", 0))
    program, args = words[0], words[1:]
    if _program(program, "true"):
        return 0
    if _program(program, "false"):
        return 1
    if _program(program, "kstat"):
        if args != ["-p", BOOT_TIME_KSTAT]:
            # The simulator's own wording: a real zone would answer anything.
            sys.stderr.write("kstat: the simulated zone knows only -p " + BOOT_TIME_KSTAT + "\n")
            return EXIT_USAGE
        # kstat -p: "module:instance:name:statistic<TAB>value" (solaris.md 8).
        print(f"{BOOT_TIME_KSTAT}\t{zone['boot_time']}")
        return 0
    if _program(program, "svcs"):
        if len(args) != 4 or args[:3] != ["-H", "-o", "state"] or args[3] not in MILESTONE_NAMES:
            sys.stderr.write("svcs: the simulated zone knows only -H -o state of the milestone\n")
            return EXIT_USAGE
        print("online" if _online(zone) else "offline")
        return 0
    print(f"sh: {program}: not found", file=sys.stderr)
    return EXIT_NOT_FOUND


def main(argv: Sequence[str], host: SimHost | None = None) -> int:
    host = host_for(argv, host)
    try:
        options, rest = getopt.getopt(list(argv[1:]), "n")
    except getopt.GetoptError:
        sys.stderr.write(USAGE)
        return EXIT_USAGE
    del options  # -n only redirects stdin from /dev/null; nothing here reads it
    if len(rest) < 2:
        # Interactive and console logins are not simulated.
        sys.stderr.write(USAGE)
        return EXIT_USAGE
    name, command = rest[0], rest[1:]
    # Messages from illumos zlogin.c main().
    if name == "global":
        print("zlogin: 'zlogin' not applicable to the global zone", file=sys.stderr)
        return EXIT_ERROR
    zone = host.read()["zones"].get(name)
    if zone is None:
        print(f"zlogin: zone '{name}' unknown", file=sys.stderr)
        return EXIT_ERROR
    if zone["state"] != "running":
        print(
            f"zlogin: login allowed only to running zones ({name} is '{zone['state']}').",
            file=sys.stderr,
        )
        return EXIT_ERROR
    try:
        words = shlex.split(" ".join(command))
    except ValueError as exc:
        print(f"sh: syntax error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not words:
        return 0
    return _run(zone, words)

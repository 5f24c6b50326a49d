"""Simulated ``/usr/sbin/zoneadm``: list, boot, suspend, shutdown, halt, reboot.

Exit statuses 0 ok, 1 error, 2 usage (docs/solaris.md 1.4, illumos zoneadm(8)); errors
are ``zoneadm: zone 'NAME': MESSAGE`` (illumos zoneadm.c zerror()).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Sequence

from kzguard.sim import lifecycle, render, transitions
from kzguard.sim.options import OptionError, getopt
from kzguard.sim.state import SimHost
from kzguard.sim.tools import host_for

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2

# Only what the simulator implements, in the layout of illumos zoneadm.c usage().
SHORT_USAGE = {
    "boot": "boot [-R] [-- boot_arguments]",
    "halt": "halt",
    "list": "list [-cipsv]",
    "reboot": "reboot [-- boot_arguments]",
    "shutdown": "shutdown",
    "suspend": "suspend",
}
USAGE = (
    "usage:\tzoneadm help\n"
    "\tzoneadm [-z <zone>] list\n"
    "\tzoneadm -z <zone> <subcommand>\n"
    "\nSubcommands:\n\n" + "".join(f"{text}\n" for text in SHORT_USAGE.values())
)


def _error(zone: str | None, message: str) -> None:
    prefix = f"zoneadm: zone '{zone}': " if zone is not None else "zoneadm: "
    print(prefix + message, file=sys.stderr)


def _usage() -> int:
    sys.stderr.write(USAGE + "\n")
    return EXIT_USAGE


def _sub_usage(subcommand: str) -> int:
    # illumos sub_usage(): "usage:\t<short usage>" on stderr.
    print(f"usage:\t{SHORT_USAGE[subcommand]}", file=sys.stderr)
    return EXIT_USAGE


def _listed(state: dict[str, Any], flags: set[str]) -> list[tuple[str, dict[str, Any]]]:
    """Zones in zoneadm's order (illumos zone_print_list): first every zone the
    kernel has (ready, running, shutting_down, down; by id), whatever -c/-i say,
    then, for -c/-i only, the other configured zones in configuration order."""
    zones = state["zones"]
    active = sorted((z["id"], n) for n, z in zones.items() if z["id"] is not None)
    chosen = [(n, zones[n]) for _, n in active]
    if flags & {"c", "i"}:
        minimum = transitions.state_rank("configured" if "c" in flags else "installed")
        chosen += [
            (n, z)
            for n, z in zones.items()
            if z["id"] is None and transitions.state_rank(z["state"]) >= minimum
        ]
    return [("global", render.GLOBAL_ZONE), *chosen]


def _list(host: SimHost, target: str | None, args: list[str]) -> int:
    try:
        options, extra = getopt(args, "cipsv")
    except OptionError:
        return _sub_usage("list")
    flags = {option[1:] for option, _ in options}
    # With -z, -c and -i are disallowed (illumos list_func); -s with -p or -v is
    # not something the simulator knows an output for (formats.md).
    if (
        extra
        or (target is not None and flags & {"c", "i"})
        or ("s" in flags and flags & {"p", "v"})
    ):
        return _sub_usage("list")
    if "p" in flags and "v" in flags:
        _error(target, "list -p and -v are mutually exclusive.")  # illumos list_func
        return EXIT_ERROR
    with host.edit() as state:
        snapshot = state
    if "s" in flags and "c" in flags and not snapshot["list_s_accepts_c"]:
        return _sub_usage("list")
    if target is None:
        entries = _listed(snapshot, flags)
    elif target == "global":
        entries = [("global", render.GLOBAL_ZONE)]
    elif target in snapshot["zones"]:
        entries = [(target, snapshot["zones"][target])]
    else:
        _error(target, "No such zone configured")
        return EXIT_ERROR
    lines: list[str]
    if "p" in flags:
        lines = [render.list_parsable(name, zone) for name, zone in entries]
    elif "v" in flags:
        lines = [render.list_verbose_header()]
        lines += [render.list_verbose(name, zone) for name, zone in entries]
    elif "s" in flags:
        lines = [render.list_aux_header()] + [render.list_aux(n, z) for n, z in entries]
    else:
        lines = [name for name, _ in entries]
    sys.stdout.write("".join(line + "\n" for line in lines))
    return EXIT_OK


def _operation(host: SimHost, target: str, subcommand: str, args: list[str]) -> int:
    try:
        options, rest = getopt(args, "R" if subcommand == "boot" else "")
    except OptionError:
        return _sub_usage(subcommand)
    if rest and subcommand not in ("boot", "reboot"):
        return _sub_usage(subcommand)
    illumos = host.read().get("zoneadmd") == "illumos"

    def operate() -> lifecycle.Outcome:
        if subcommand == "boot":
            return lifecycle.boot(host, target, rest, fresh=bool(options))
        if subcommand == "reboot":
            return lifecycle.reboot(host, target, rest)
        if subcommand == "suspend":
            return lifecycle.suspend(host, target)
        if subcommand == "shutdown":
            return lifecycle.shutdown(host, target, checked_first=illumos)
        return lifecycle.halt(host, target, behind_lock=illumos)

    outcome = _in_zoneadmd(operate) if illumos else operate()
    for message in outcome.errors:
        _error(target, message)
    return outcome.status


def _in_zoneadmd(operate: Callable[[], lifecycle.Outcome]) -> lifecycle.Outcome:
    """Run the operation as illumos' zoneadmd does (host setting ``zoneadmd =
    "illumos"``, docs/solaris.md 14): in a process of its own, out of this
    zoneadm's process group and without its output, which this zoneadm waits for;
    killing this zoneadm ends the wait, not the operation (zoneadmd.c serves zoneadm
    through a door made DOOR_NO_CANCEL, setup_door())."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # zoneadmd's part; coverage does not follow it (os._exit)
        os.close(read_end)
        os.setsid()
        null = os.open(os.devnull, os.O_RDWR)
        for descriptor in (0, 1, 2):
            os.dup2(null, descriptor)
        status, errors = 1, ["zoneadmd failed"]
        try:
            outcome = operate()
            status, errors = outcome.status, list(outcome.errors)
        finally:
            # The zoneadm that asked may be gone: the work is done all the same.
            with contextlib.suppress(OSError):
                os.write(write_end, "\n".join([str(status), *errors]).encode())
            os._exit(0)
    os.close(write_end)
    chunks = []
    while True:
        chunk = os.read(read_end, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.waitpid(pid, 0)
    answer, *messages = b"".join(chunks).decode().split("\n")
    return lifecycle.Outcome(int(answer), tuple(messages))


def main(argv: Sequence[str], host: SimHost | None = None) -> int:
    host = host_for(argv, host)
    try:
        options, rest = getopt(list(argv[1:]), "z:")
    except OptionError:
        return _usage()
    target = options[-1][1] if options else None
    if not rest:
        return _usage()
    subcommand, args = rest[0], rest[1:]
    if subcommand == "help":
        sys.stdout.write(USAGE)
        return EXIT_OK
    if subcommand == "list":
        return _list(host, target, args)
    if subcommand not in SHORT_USAGE:
        return _usage()
    if target is None:
        _error(None, "no zone specified")  # illumos sanity_check
        return EXIT_ERROR
    if target == "global":
        _error(target, f"{subcommand} operation is invalid for the global zone.")
        return EXIT_ERROR
    return _operation(host, target, subcommand, args)

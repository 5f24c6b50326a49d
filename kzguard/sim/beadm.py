"""Simulated ``/usr/sbin/beadm``: ``list [-H] [beName]``, ``activate beName`` and
``create [-a] beName`` (beadm(8)).

Texts from the Solaris 11 beadm sources (beadm.py and messages.py, Oracle 2010):
``activate`` and ``create`` print nothing on success; an unknown BE is "Unable to
activate NAME." then "NAME does not exist or appear to be a valid BE." and "Please
check that the name of the BE provided is correct.", exit 1; wrong arguments print
"Invalid options and arguments:" and the usage, exit 1.  ``list`` prints the table
of Oracle's 11.4 *Booting and Shutting Down* ("How to Prevent a BE From Being
Removed"): BE, Flags (N active now, R active on reboot, - neither), Mountpoint,
Space, Policy, Created; the column widths and ``-H``'s ``name;uuid;flags;
mountpoint;space;policy;created`` are UNCONFIRMED for 11.4.

State (``boot_environments``, made on first use): ``bes`` [{name, uuid, space,
policy, created}], ``active`` (booted now), ``on_reboot`` (``beadm activate``'s
choice) and ``booted`` (the global zone's boot time when ``active`` was read).  A
boot of the simulated host makes ``on_reboot`` the active BE: seen here, at the
first look after the boot time changed.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Sequence
from typing import Any

from kzguard.sim.options import OptionError, getopt
from kzguard.sim.state import SimHost
from kzguard.sim.tools import host_for

EXIT_ERROR = 1
USAGE = """
Usage:
    beadm subcommand cmd_options

    subcommands:

    beadm activate beName
    beadm create [-a] beName
    beadm list [-H] [beName]
"""
DEFAULT_BE = "solaris"
DEFAULT_SPACE = 13_369_344_000  # a few GB: what a fresh 11.4 BE takes
UNITS = ((1 << 40, "T"), (1 << 30, "G"), (1 << 20, "M"), (1 << 10, "K"))


def environments(state: dict[str, Any]) -> dict[str, Any]:
    """The host's boot environments, made on first use, with a boot since the last
    look applied (the BE activated for the reboot is the one running now)."""
    bes: dict[str, Any] | None = state.get("boot_environments")
    if bes is None:
        created = state["host_boot_time"] - 3600
        bes = state["boot_environments"] = {
            "bes": [_be(DEFAULT_BE, created, DEFAULT_SPACE)],
            "active": DEFAULT_BE,
            "on_reboot": DEFAULT_BE,
            "booted": state["host_boot_time"],
        }
    if bes["booted"] != state["host_boot_time"]:
        bes.update(active=bes["on_reboot"], booted=state["host_boot_time"])
    return bes


def _be(name: str, created: float, space: int) -> dict[str, Any]:
    return {
        "name": name,
        "uuid": str(uuid.uuid4()),
        "space": space,
        "policy": "static",
        "created": int(created),
    }


def _usage() -> int:
    print("Invalid options and arguments:", file=sys.stderr)
    sys.stderr.write(USAGE)
    return EXIT_ERROR


def main(argv: Sequence[str], host: SimHost | None = None) -> int:
    host = host_for(argv, host)
    words = list(argv[1:])
    if not words or words[0] not in ("list", "activate", "create"):
        return _usage()
    try:
        options, names = getopt(words[1:], {"list": "H", "create": "a"}.get(words[0], ""))
    except OptionError:
        return _usage()
    flags = {option for option, _ in options}
    if words[0] == "list":
        if len(names) > 1:
            return _usage()
        return _list(host, names[0] if names else None, parseable="-H" in flags)
    if len(names) != 1:
        return _usage()
    if words[0] == "create":
        return _create(host, names[0], activate="-a" in flags)
    return _activate(host, names[0])


def _activate(host: SimHost, name: str) -> int:
    with host.edit() as state:
        bes = environments(state)
        if all(be["name"] != name for be in bes["bes"]):
            print(
                f"Unable to activate {name}.\n{name} does not exist or appear to be a valid "
                "BE.\nPlease check that the name of the BE provided is correct.",
                file=sys.stderr,
            )
            return EXIT_ERROR
        bes["on_reboot"] = name
    return 0


def _create(host: SimHost, name: str, *, activate: bool) -> int:
    with host.edit() as state:
        bes = environments(state)
        if any(be["name"] == name for be in bes["bes"]):
            print(
                f"Unable to create {name}.\nBE {name} already exists. Please choose a "
                "different BE name.",
                file=sys.stderr,
            )
            return EXIT_ERROR
        bes["bes"].append(_be(name, time.time(), DEFAULT_SPACE // 100))
        if activate:
            bes["on_reboot"] = name
    return 0


def _list(host: SimHost, only: str | None, *, parseable: bool) -> int:
    with host.edit() as state:
        bes = environments(state)
    rows = []
    for be in bes["bes"]:
        if only is not None and be["name"] != only:
            continue
        flags = ("N" if be["name"] == bes["active"] else "") + (
            "R" if be["name"] == bes["on_reboot"] else ""
        )
        mounted = "/" if be["name"] == bes["active"] else ""
        if parseable:
            fields = [be["name"], be["uuid"], flags, mounted, str(be["space"]), be["policy"]]
            print(";".join([*fields, str(be["created"])]))
            continue
        created = time.strftime("%Y-%m-%d %H:%M", time.localtime(be["created"]))
        rows.append(
            (be["name"], flags or "-", mounted or "-", size(be["space"]), be["policy"], created)
        )
    if only is not None and not any(be["name"] == only for be in bes["bes"]):
        print(
            f"Unable to display Boot Environment: {only} does not exist or appear to be a "
            "valid BE.\nPlease check that the name of the BE provided is correct.",
            file=sys.stderr,
        )
        return EXIT_ERROR
    if not parseable:
        print(table(rows))
    return 0


def size(count: int) -> str:
    """``313.1M``, ``6.13M``: four significant digits and a unit, as in Oracle's
    example."""
    for factor, unit in UNITS:
        if count >= factor:
            return f"{count / factor:.4g}{unit}"
    return f"{count}B"


def table(rows: Sequence[tuple[str, ...]]) -> str:
    header = ("BE", "Flags", "Mountpoint", "Space", "Policy", "Created")
    rule = tuple("-" * len(word) for word in header)
    minimum = (16, 5, 10, 6, 6, 0)
    widths = [
        max(minimum[column], *(len(row[column]) for row in (header, *rows))) + 1
        for column in range(len(header))
    ]
    return "\n".join(
        " ".join(cell.ljust(width - 1) for cell, width in zip(row, widths)).rstrip()
        for row in (header, rule, *rows)
    )

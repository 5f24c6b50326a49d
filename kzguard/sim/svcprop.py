"""Simulated ``/usr/bin/svcprop``: ``svcprop [-c] [-p pg[/prop]]... FMRI...``.

Output and errors follow illumos svcprop.c and docs/formats.md: a single
property prints its values alone; a whole instance or property group prints
``pg/prop type value...`` lines; string values are shell-quoted.  The simulator
has one view of the repository, so ``-c`` (the composed current view, needed for
the non-persistent options_ovr group, docs/solaris.md 12) changes nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from kzguard.sim import smfrepo
from kzguard.sim.options import OptionError, getopt
from kzguard.sim.state import SimHost
from kzguard.sim.tools import host_for

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

EXIT_ERROR = 1
EXIT_USAGE = 2

# illumos svcprop.c usage().
USAGE = (
    "Usage: svcprop [-fqtv] [-C | -c | -s snapshot] [-z zone] [-p [name/]name]... \n"
    "         {FMRI | pattern}...\n"
    "       svcprop -w [-fqtv] [-z zone] [-p [name/]name] {FMRI | pattern}\n"
)


def _usage() -> int:
    sys.stderr.write(USAGE)
    return EXIT_USAGE


def _line(fmri: str | None, name: str, entry: list[Any]) -> str:
    subject = f"{fmri}/:properties/{name}" if fmri else name
    return f"{subject} {entry[0]} {smfrepo.format_values(entry[1])}"


def _show(fmri: str, props: dict[str, list[Any]], wanted: list[str], full: bool) -> int:
    """Print what ``wanted`` names of one instance; return 1 if something is missing."""
    prefix = fmri if full else None
    if not wanted:
        for name, entry in props.items():
            print(_line(prefix, name, entry))
        return 0
    status = 0
    mixed = len({"/" in item for item in wanted}) > 1
    for item in wanted:
        group, _, prop = item.partition("/")
        members = {n: e for n, e in props.items() if n.partition("/")[0] == group}
        # illumos svcprop.c process_ent(): uu_warn() with `...' quotes, exit 1.
        if not members:
            print(
                f"svcprop: Couldn't find property group `{group}' for instance `{fmri}'.",
                file=sys.stderr,
            )
            status = EXIT_ERROR
        elif not prop:
            for name, entry in members.items():
                print(_line(prefix, name, entry))
        elif item not in props:
            print(
                f"svcprop: Couldn't find property `{item}' for instance `{fmri}'.",
                file=sys.stderr,
            )
            status = EXIT_ERROR
        elif full or mixed:
            print(_line(prefix, item, props[item]))
        else:
            print(smfrepo.format_values(props[item][1]))
    return status


def main(argv: Sequence[str], host: SimHost | None = None) -> int:
    host = host_for(argv, host)
    try:
        options, operands = getopt(list(argv[1:]), "Ccp:")
    except OptionError:
        return _usage()
    wanted = [value for option, value in options if option == "-p"]
    current = any(option == "-c" for option, _ in options)
    if not operands or any(item.count("/") > 1 or not item.strip("/") for item in wanted):
        return _usage()
    state = host.read()
    status = 0
    for pattern in operands:
        fmris = smfrepo.match_instances(state, pattern)
        if not fmris:
            # libscf scf_walk_fmri(), SCF_MSG_PATTERN_NOENTITY.
            print(f"svcprop: Pattern '{pattern}' doesn't match any entities", file=sys.stderr)
            status = EXIT_ERROR
            continue
        # Several matches print full property FMRIs (illumos process_fmri()).
        full = len(fmris) > 1 or len(operands) > 1
        for fmri in fmris:
            props = smfrepo.current_view(state, fmri) if current else state["smf"][fmri]
            status = max(status, _show(fmri, props, wanted, full))
    return status

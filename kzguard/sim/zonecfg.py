"""Simulated ``/usr/sbin/zonecfg``: ``-z Z export`` and ``-z Z info [TOPIC]``.

zonecfg reads its subcommand as one command line whether it arrives as one
argument or several, so both ``info suspend`` and ``"info suspend"`` work.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from kzguard.sim import render
from kzguard.sim.options import OptionError, getopt
from kzguard.sim.state import SimHost
from kzguard.sim.tools import host_for

EXIT_ERROR = 1
EXIT_USAGE = 2

USAGE = (
    "usage:\tzonecfg -z <zone> export\n"
    "\tzonecfg -z <zone> info [autoboot|autoshutdown|boot-priority|bootargs|brand|"
    "capped-memory|smf-dependency|suspend|zonename|zonepath]\n"
)


def _usage() -> int:
    sys.stderr.write(USAGE)
    return EXIT_USAGE


def main(argv: Sequence[str], host: SimHost | None = None) -> int:
    host = host_for(argv, host)
    try:
        options, rest = getopt(list(argv[1:]), "z:")
    except OptionError:
        return _usage()
    words = " ".join(rest).split()
    if not options or not words:
        return _usage()
    name = options[-1][1]
    subcommand, topics = words[0], words[1:]
    if subcommand == "export" and topics:
        return _usage()
    if subcommand == "info" and (len(topics) > 1 or not set(topics) <= render.INFO_TOPICS):
        return _usage()
    if subcommand not in ("export", "info"):
        return _usage()
    zone = host.read()["zones"].get(name)
    if zone is None:
        print(f"zonecfg:{name}: No such zone configured", file=sys.stderr)  # formats.md
        return EXIT_ERROR
    if subcommand == "export":
        sys.stdout.write(render.export(name, zone))
    else:
        lines = render.info(name, zone, topics[0] if topics else None)
        sys.stdout.write("".join(line + "\n" for line in lines))
    return 0

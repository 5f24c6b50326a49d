"""Simulated ``/usr/sbin/df``: ``df -k [PATH...]`` (formats.md)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from kzguard.sim import render, transitions
from kzguard.sim.state import SimHost
from kzguard.sim.tools import host_for

EXIT_USAGE = 2

USAGE = (
    "Usage: df [-F FSType] [-abeghklntVvZ] [-o FSType-specific_options]"
    " [directory | block_device | resource]\n"
)


def main(argv: Sequence[str], host: SimHost | None = None) -> int:
    host = host_for(argv, host)
    args = list(argv[1:])
    if not args or args[0] != "-k" or any(arg.startswith("-") for arg in args[1:]):
        sys.stderr.write(USAGE)
        return EXIT_USAGE
    state = host.read()
    lines = [render.DF_HEADER]
    errors = 0
    if len(args) == 1:
        lines += [render.df_line(fs) for fs in state["filesystems"]]
    for path in args[1:]:
        fs = transitions.filesystem_for(state, path)
        if fs is None:
            # illumos df.c create_request_list(): "(%-10s) not a block device, ...",
            # and do_df() exits with the number of such operands.
            print(
                f"df: ({path:<10}) not a block device, directory or mounted resource",
                file=sys.stderr,
            )
            errors += 1
            continue
        lines.append(render.df_line(fs))
    if len(lines) > 1:
        sys.stdout.write("".join(line + "\n" for line in lines))
    return min(errors, 255)

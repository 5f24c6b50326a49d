"""Simulated ``/usr/bin/who``: only ``who -r``, the run-level record (docs/solaris.md 12)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from kzguard.sim import render
from kzguard.sim.state import SimHost
from kzguard.sim.tools import host_for

EXIT_USAGE = 2

USAGE = "Usage:\twho [-abdHlmpqrstTu] [am i] [utmpx_like_file]\n"


def main(argv: Sequence[str], host: SimHost | None = None) -> int:
    host = host_for(argv, host)
    if list(argv[1:]) != ["-r"]:
        sys.stderr.write(USAGE)
        return EXIT_USAGE
    print(render.who_r(host.read()["runlevel"]))
    return 0

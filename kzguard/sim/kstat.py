"""Simulated ``/usr/bin/kstat`` in the global zone: only the global zone's boot
time, ``kstat -p unix:0:system_misc:boot_time`` (docs/solaris.md 8 gives the format)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from kzguard.sim.state import SimHost
from kzguard.sim.tools import host_for

EXIT_USAGE = 2
BOOT_TIME = "unix:0:system_misc:boot_time"


def main(argv: Sequence[str], host: SimHost | None = None) -> int:
    host = host_for(argv, host)
    if list(argv[1:]) != ["-p", BOOT_TIME]:
        sys.stderr.write("kstat: the simulator answers only: kstat -p " + BOOT_TIME + "\n")
        return EXIT_USAGE
    print(f"{BOOT_TIME}\t{host.read()['host_boot_time']}")
    return 0

"""Simulated ``/usr/sbin/init``: ``init LEVEL`` as a user runs it (init(8)).

init checks its one argument (illumos init.c userinit(): no argument or more than
one character prints the usage and exits 0; an unknown level prints it and exits
1), asks svc.startd for the new run level and returns at once: the stop methods
and the reboot happen after it has exited.  Here ``init 6`` starts the simulated
reboot in the background (:mod:`kzguard.sim.reboot`) and exits 0; the other run
levels are not simulated (the simulator's own error, exit 3).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from kzguard.sim import reboot
from kzguard.sim.state import SimHost
from kzguard.sim.tools import host_for

USAGE = "Usage: init [0123456SsQqabc]\n"
LEVELS = frozenset("0123456SsQqabc")


def main(argv: Sequence[str], host: SimHost | None = None) -> int:
    host = host_for(argv, host)
    words = list(argv[1:])
    if len(words) != 1 or len(words[0]) != 1:
        sys.stderr.write(USAGE)
        return 0
    if words[0] not in LEVELS:
        sys.stderr.write(USAGE)
        return 1
    reboot.request(host, words[0])
    return 0

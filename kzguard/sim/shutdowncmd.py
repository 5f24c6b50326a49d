"""Simulated ``/usr/sbin/shutdown [-y] [-g grace] [-i state] [message]`` (shutdown(8)).

The Solaris script warns the logged-in users, waits ``grace`` seconds (default 60),
asks for confirmation unless ``-y`` and then runs ``init STATE`` (default S); it
refuses the states 2, 3 and 4, which do not shut the system down.  Here the grace
period passes in simulated time, the question is read from stdin (anything but
``y`` or ``Y`` cancels: "Shutdown aborted.", exit 1), and ``-i 6`` starts the simulated reboot
(:mod:`kzguard.sim.reboot`); the other states are not simulated.  The texts follow
the SVR4 shutdown script ("Shutdown started.", "Changing to init state 6 - please
wait"); the 11.4 wording is UNCONFIRMED.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

from kzguard.sim import reboot
from kzguard.sim.options import OptionError, getopt
from kzguard.sim.state import SimHost
from kzguard.sim.tools import host_for

EXIT_ERROR = 1
EXIT_USAGE = 2
USAGE = "Usage:  shutdown [ -y ] [ -g<grace> ] [ -i<initstate> ] [ message ]\n"
NOT_FOR_SHUTDOWN = frozenset("234")
DEFAULT_GRACE = 60


def main(argv: Sequence[str], host: SimHost | None = None) -> int:
    host = host_for(argv, host)
    try:
        options, _message = getopt(list(argv[1:]), "yg:i:")
    except OptionError:
        sys.stderr.write(USAGE)
        return EXIT_USAGE
    grace, state, confirm = DEFAULT_GRACE, "S", True
    for option, value in options:
        if option == "-y":
            confirm = False
        elif option == "-g":
            if not value.isdigit():
                sys.stderr.write(USAGE)
                return EXIT_USAGE
            grace = int(value)
        elif value in NOT_FOR_SHUTDOWN:
            print(f"shutdown: Initstate {value} is not for system shutdown.", file=sys.stderr)
            return EXIT_ERROR
        else:
            state = value
    print(f"\nShutdown started.    {time.strftime('%a %b %e %H:%M:%S %Z %Y')}\n", flush=True)
    if grace:
        time.sleep(grace * host.read()["time_scale"])
    if confirm:
        print("Do you want to continue? (y or n):   ", end="", flush=True)
        if sys.stdin.readline().strip() not in ("y", "Y"):
            print("\nShutdown aborted.", flush=True)
            return EXIT_ERROR
    print(f"Changing to init state {state} - please wait", flush=True)
    reboot.request(host, state)
    return 0

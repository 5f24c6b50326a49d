"""Simulated ``/usr/sbin/svcadm``: enable, disable, restart, refresh, clear.

Nothing runs: each request is recorded under ``services.instances`` so tests can
see what kzguard asked for, and ``general/enabled`` / ``restarter/state`` follow.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import Any

from kzguard.sim import smfrepo
from kzguard.sim.options import OptionError, getopt
from kzguard.sim.state import SimHost
from kzguard.sim.tools import host_for

EXIT_ERROR = 1
EXIT_USAGE = 2

# Options each subcommand takes (docs/solaris.md 5.5, svcadm(8)).
SUBCOMMANDS = {"enable": "rst", "disable": "st", "restart": "", "refresh": "", "clear": ""}
USAGE = (
    "Usage: svcadm [-v] [cmd [args ... ]]\n\n"
    "\tsvcadm enable [-rst] <service> ...\t- enable and online service(s)\n"
    "\tsvcadm disable [-st] <service> ...\t- disable and offline service(s)\n"
    "\tsvcadm restart <service> ...\t\t- restart specified service(s)\n"
    "\tsvcadm refresh <service> ...\t\t- re-read service configuration\n"
    "\tsvcadm clear <service> ...\t\t- clear maintenance state\n"
)


def _usage() -> int:
    sys.stderr.write(USAGE)
    return EXIT_USAGE


def record(state: dict[str, Any], fmri: str, action: str, flags: str, now: float) -> None:
    """Apply one svcadm request to ``fmri`` in ``state``."""
    entry = state["services"]["instances"].setdefault(
        fmri,
        {
            "enabled": None,
            "temporary": False,
            "refresh_count": 0,
            "restart_count": 0,
            "clear_count": 0,
            "history": [],
        },
    )
    entry["history"].append({"time": now, "action": action, "flags": flags})
    props = state["smf"][fmri]
    if action in ("enable", "disable"):
        enabled = action == "enable"
        entry["enabled"] = enabled
        entry["temporary"] = "t" in flags
        if "t" not in flags:
            props["general/enabled"] = ["boolean", "true" if enabled else "false"]
        props["restarter/state"] = ["astring", "online" if enabled else "disabled"]
    elif action in ("restart", "refresh", "clear"):
        entry[f"{action}_count"] += 1
        if action == "refresh":
            smfrepo.refresh(state, fmri)
            props = state["smf"][fmri]
        if action == "clear" and props.get("restarter/state", ["", ""])[1] == "maintenance":
            props["restarter/state"] = ["astring", "online"]


def main(argv: Sequence[str], host: SimHost | None = None) -> int:
    host = host_for(argv, host)
    try:
        _, rest = getopt(list(argv[1:]), "v")
        if not rest or rest[0] not in SUBCOMMANDS:
            return _usage()
        options, patterns = getopt(rest[1:], SUBCOMMANDS[rest[0]])
    except OptionError:
        return _usage()
    if not patterns:
        return _usage()
    action = rest[0]
    flags = "".join(sorted(option[1:] for option, _ in options))
    status = 0
    with host.edit() as state:
        for pattern in patterns:
            fmris = smfrepo.match_instances(state, pattern)
            # libscf scf_walk_fmri() messages (SCF_MSG_PATTERN_NOINSTANCE/MULTIMATCH).
            if not fmris:
                print(f"svcadm: Pattern '{pattern}' doesn't match any instances", file=sys.stderr)
                status = EXIT_ERROR
            elif len(fmris) > 1:
                lines = [f"svcadm: Pattern '{pattern}' matches multiple instances:"]
                lines += [f"    {fmri}" for fmri in fmris]
                print("\n".join(lines), file=sys.stderr)
                status = EXIT_ERROR
            else:
                record(state, fmris[0], action, flags, time.time())
    return status

"""Simulated ``/usr/sbin/svcadm``: enable, disable, restart, refresh, clear, milestone.

Nothing runs: each request is recorded under ``services.instances`` so tests can
see what kzguard asked for, and ``general/enabled`` / ``restarter/state`` follow.
``milestone`` writes svc.startd's properties as illumos svcadm.c does and nothing
more: the services the new milestone stops are the simulated svc.startd's
(:mod:`kzguard.sim.svcstartd`), which a test or the demo drives.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import Any

from kzguard.sim import smfrepo
from kzguard.sim.options import OptionError, getopt
from kzguard.sim.smfrepo import RESTARTER
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


# illumos svcadm.c: the milestones validate_milestone() accepts beside "all" and
# "none" (libscf.h SCF_MILESTONE_*), and usage_milestone()'s text.
MAJOR_MILESTONES = (
    "svc:/milestone/single-user:default",
    "svc:/milestone/multi-user:default",
    "svc:/milestone/multi-user-server:default",
)
MILESTONE_USAGE = (
    "Usage: svcadm milestone [-d] <milestone>\n\n"
    "\t-d\tmake the specified milestone the default for system boot\n\n"
    "\tMilestones can be specified using an FMRI or abbreviation.\n"
    "\tThe major milestones are as follows:\n\n"
    "\tall\n"
    "\tnone\n" + "".join(f"\t{fmri}\n" for fmri in MAJOR_MILESTONES)
)
# svc.startd's properties (libscf_priv.h SCF_PG_OPTIONS_OVR is non-persistent:
# the simulated boot drops it, kzguard/sim/control.py).
MILESTONE_OVERRIDE = "options_ovr/milestone"
MILESTONE_DEFAULT = "options/milestone"


def _usage() -> int:
    sys.stderr.write(USAGE)
    return EXIT_USAGE


def major_milestone(name: str) -> str | None:
    """The milestone ``name`` stands for, as svcadm.c validate_milestone() finds it:
    "all", "none", or the first major milestone FMRI that contains ``name`` starting
    at its beginning or after a "/" and ending at its end or before the ":"."""
    if name in ("all", "none"):
        return name
    for fmri in MAJOR_MILESTONES:
        at = fmri.find(name)
        end = at + len(name)
        if at >= 0 and (at == 0 or fmri[at - 1] == "/") and fmri[end : end + 1] in ("", ":"):
            return fmri
    return None


def milestone(host: SimHost, args: Sequence[str]) -> int:
    """``svcadm milestone [-d] MILESTONE``: without -d, the override svc.startd acts
    on at once; with -d, the default for the next boots, and the override deleted
    (svcadm.c set_milestone())."""
    try:
        options, operands = getopt(args, "d")
    except OptionError as error:
        sys.stderr.write(f"svcadm: {error}\n{MILESTONE_USAGE}")
        return EXIT_USAGE
    if not operands:
        sys.stderr.write(MILESTONE_USAGE)
        return EXIT_USAGE
    target = major_milestone(operands[0])
    if target is None:
        sys.stderr.write(f'"{operands[0]}" is not a valid major milestone.\n{MILESTONE_USAGE}')
        return EXIT_USAGE
    with host.edit() as state:
        restarter = state["smf"].setdefault(RESTARTER, {})
        if options:
            restarter[MILESTONE_DEFAULT] = ["astring", target]
            restarter.pop(MILESTONE_OVERRIDE, None)
        else:
            restarter[MILESTONE_OVERRIDE] = ["astring", target]
    return 0


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
        props["restarter/state"] = smfrepo.settled_state(enabled)
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
        if rest[:1] == ["milestone"]:
            return milestone(host, rest[1:])
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

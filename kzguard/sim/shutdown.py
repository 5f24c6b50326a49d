"""What Solaris 11.4 does at ``init 0|5|6`` before and around the stop methods.

For the simulated svc.startd (kzguard/sim/svcstartd.py) and for tests:

1. :func:`begin` -- init(8) records the run level in the restarter's
   ``options_ovr/runlevel``; svc.startd's dgraph_set_runlevel() (illumos graph.c)
   then writes the utmpx record ``who -r`` shows, and libscf_clear_runlevel()
   (libscf.c) DELETES ``options_ovr/runlevel`` and sets ``options_ovr/milestone``
   -- all before any stop method runs (docs/solaris.md 12).  So during a stop method
   ``svcprop -c -p options_ovr/runlevel svc:/system/svc/restarter:default`` exits
   1 with ``svcprop: Couldn't find property `options_ovr/runlevel' for instance
   `svc:/system/svc/restarter:default'.``.  :func:`request_runlevel` is init's
   write alone (the moment before svc.startd has reacted).
2. :func:`stop_leaf_zones` -- svc.startd disables the leaves of the graph at
   once (:mod:`kzguard.sim.smfgraph`); for every zone instance among them
   svc.zones applies the zone's autoshutdown in the background
   (:func:`start_autoshutdown`, run by :mod:`kzguard.sim.zonesvc` through the
   same zoneadm operations, taking simulated time), concurrently with the other
   leaves' stop methods such as kzguard's.
3. :func:`stop_method_started` / :func:`stop_method_ended` -- a service's stop
   method runs; when it has ended its instance is down and the zone instances it
   held become leaves: their autoshutdown starts then.

Records (state ``zones_service``): ``began`` (when :func:`begin` ran), ``level``,
``actions`` (one per zone the zones service acted on: zone, fmri, action,
requested, ended, status, outcome, messages) and ``stop_methods`` ({fmri:
{started, ended, status}}); :func:`acted_during` answers "which zones did the
zones service act on while this stop method ran".
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from kzguard.sim import smfgraph
from kzguard.sim.smfrepo import RESTARTER, ZONE_INSTANCE_PREFIX
from kzguard.sim.state import RUNLEVEL_PROPERTY, SimHost
from kzguard.sim.state import set_runlevel as record_utmpx

State = dict[str, Any]

MILESTONE_PROPERTY = "options_ovr/milestone"
ACTIONS = ("shutdown", "halt", "suspend")
PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
# The background runner: the simulator's tools' start-up (-S, the package on
# sys.path), and coverage when the test suite measures it (see create.SCRIPT).
RUNNER = (
    "import os, sys\n"
    "sys.path.insert(0, sys.argv[1])\n"
    "if os.environ.get('COVERAGE_PROCESS_CONFIG'):\n"
    "    import site; site.main()\n"
    "from kzguard.sim.zonesvc import main\n"
    "sys.exit(main(sys.argv[2:]))\n"
)


def records(state: State) -> dict[str, Any]:
    return state.setdefault(  # type: ignore[no-any-return]
        "zones_service", {"began": None, "level": None, "actions": [], "stop_methods": {}}
    )


def request_runlevel(host: SimHost, level: str) -> None:
    """init(8)'s own part of ``init LEVEL`` (init.c lscf_set_runlevel())."""
    with host.edit() as state:
        state["smf"].setdefault(RESTARTER, {})[RUNLEVEL_PROPERTY] = ["astring", level]


def begin(host: SimHost, level: str, previous: str | None = None) -> str | None:
    """``init LEVEL`` as Solaris carries it out before the first stop method;
    return the milestone word svc.startd wrote (None when the level did not
    change: dgraph_set_runlevel() then writes none)."""
    milestone = smfgraph.milestone_for(level)
    with host.edit() as state:
        now = time.time()
        restarter = state["smf"].setdefault(RESTARTER, {})
        if state["runlevel"]["current"] == level:
            milestone = None
        else:
            record_utmpx(state, level, previous, now)
        restarter.pop(RUNLEVEL_PROPERTY, None)
        if milestone is not None:
            restarter[MILESTONE_PROPERTY] = ["astring", milestone]
        log = records(state)
        log.update(began=now, level=level, actions=[], stop_methods={})
    return milestone


def leaf_zone_instances(state: State) -> list[str]:
    """The zone instances svc.startd stops first (no up dependent holds them)."""
    return smfgraph.leaf_zone_instances(state)


def held_zone_instances(state: State) -> dict[str, list[str]]:
    """Up zone instances held by a dependent, with the holders."""
    return smfgraph.held_zone_instances(state)


def zone_of(fmri: str) -> str:
    return fmri[len(ZONE_INSTANCE_PREFIX) :]


def start_autoshutdown(host: SimHost, zone_name: str) -> subprocess.Popen[bytes]:
    """svc.zones applies the zone's autoshutdown (default shutdown) in the
    background; the action is recorded at once, its end when it ends."""
    with host.edit() as state:
        zone = state["zones"][zone_name]
        action = zone["config"].get("autoshutdown") or "shutdown"
        log = records(state)
        index = len(log["actions"])
        log["actions"].append(
            {
                "zone": zone_name,
                "fmri": ZONE_INSTANCE_PREFIX + zone_name,
                "action": action,
                "requested": time.time(),
                "ended": None,
                "status": None,
                "outcome": None,
                "messages": [],
            }
        )
    return subprocess.Popen(
        [sys.executable, "-S", "-c", RUNNER, PACKAGE_ROOT, str(host.path), str(index)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )


def stop_leaf_zones(host: SimHost) -> dict[str, subprocess.Popen[bytes]]:
    """Start the autoshutdown of every leaf zone instance not acted on yet in this
    shutdown; return the background runs by zone name."""
    with host.edit() as state:
        acted = {action["zone"] for action in records(state)["actions"]}
        leaves = [zone_of(fmri) for fmri in leaf_zone_instances(state)]
    return {name: start_autoshutdown(host, name) for name in leaves if name not in acted}


def stop_method_started(host: SimHost, fmri: str) -> None:
    with host.edit() as state:
        records(state)["stop_methods"][fmri] = {
            "started": time.time(),
            "ended": None,
            "status": None,
        }


def stop_method_ended(
    host: SimHost, fmri: str, status: int | None
) -> dict[str, subprocess.Popen[bytes]]:
    """The instance's stop method has ended (``status`` None: killed at its
    timeout): the instance is down, so the zone instances it held are leaves now
    and the zones service acts on them; return those background runs."""
    with host.edit() as state:
        entry = records(state)["stop_methods"].setdefault(fmri, {"started": None})
        entry.update(ended=time.time(), status=status)
        # A failed stop method leaves the instance in maintenance, which is not
        # up either (svc.startd(8); graph.c up_state()).
        down = "disabled" if status == 0 else "maintenance"
        state["smf"].setdefault(fmri, {})["restarter/state"] = ["astring", down]
    return stop_leaf_zones(host)


def wait(runs: dict[str, subprocess.Popen[bytes]], timeout: float = 60.0) -> None:
    """Wait for background autoshutdown runs (tests and the demo)."""
    deadline = time.time() + timeout
    for run in runs.values():
        run.wait(timeout=max(deadline - time.time(), 0.1))


def zones_service_actions(state: State) -> list[dict[str, Any]]:
    """What the zones service did in the current shutdown, oldest first."""
    return list(records(state)["actions"])


def acted_during(state: State, fmri: str) -> list[str]:
    """Zones the zones service started acting on while ``fmri``'s stop method
    ran (from its start until its end, or until now if it still runs)."""
    method = records(state)["stop_methods"].get(fmri)
    if method is None or method.get("started") is None:
        return []
    end = method["ended"] if method["ended"] is not None else float("inf")
    return [
        action["zone"]
        for action in records(state)["actions"]
        if method["started"] <= action["requested"] <= end
    ]

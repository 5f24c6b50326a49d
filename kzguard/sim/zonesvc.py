"""One zone's autoshutdown, carried out by the simulated svc.zones in the background.

svc.zones(8): "during a graceful shutdown of the global zone, the zones delegated
restarter service shuts down, halts, or suspends each zone, depending on its
autoshutdown property", in parallel.  The operation is the simulator's zoneadm
operation (:mod:`kzguard.sim.lifecycle`), so it takes simulated time, waits for
a zoneadm already working on the zone (zoneadmd serialises them) and races with
kzguard's own suspend exactly as two zoneadm commands would.  A zone that could
not suspend is shut down instead -- whether svc.zones falls back is open question
5 of docs/solaris.md 11 (UNCONFIRMED), as in :func:`kzguard.sim.control.zones_service_stop`.

When the zone is down its instance is no longer up, so the zone instances it held
through its own smf-dependency resources become leaves: their autoshutdown starts
in turn (:func:`kzguard.sim.shutdown.stop_leaf_zones`).

Run as ``python -c RUNNER PACKAGE_ROOT HOSTDIR INDEX`` by
:func:`kzguard.sim.shutdown.start_autoshutdown`; logs ``svc.zones`` start and end
events in the host's commands.log.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

from kzguard.sim import lifecycle, shutdown, tools
from kzguard.sim.lifecycle import Outcome
from kzguard.sim.state import SimHost

TOOL = "svc.zones"


def _act(host: SimHost, zone: str, action: str) -> tuple[Outcome, str]:
    # The zones service asks zoneadmd as zoneadm does: with zoneadmd = "illumos", its
    # halts wait behind the operation in progress and its shutdowns give up as that
    # zoneadmd's do (lifecycle.halt, lifecycle.shutdown).
    illumos = host.read().get("zoneadmd") == "illumos"
    if action == "halt":
        return lifecycle.halt(host, zone, behind_lock=illumos), "halted"
    if action == "suspend":
        outcome = lifecycle.suspend(host, zone)
        if outcome.status == 0:
            return outcome, "suspended"
        if host.zone(zone)["state"] != "running":
            return outcome, "suspend failed"
        fallback = lifecycle.shutdown(host, zone, checked_first=illumos)
        return Outcome(
            fallback.status, outcome.errors + fallback.errors
        ), "shut down (cannot suspend)"
    return lifecycle.shutdown(host, zone, checked_first=illumos), "shut down"


def main(argv: Sequence[str]) -> int:
    """``HOSTDIR INDEX``: carry out action INDEX of the current shutdown."""
    host = SimHost(argv[0])
    index = int(argv[1])
    action = shutdown.records(host.read())["actions"][index]
    pid = os.getpid()
    argv_logged = [TOOL, action["zone"], action["action"]]
    tools.log_event(
        host, {"event": "start", "time": time.time(), "pid": pid, "tool": TOOL, "argv": argv_logged}
    )
    outcome, done = _act(host, action["zone"], action["action"])
    with host.edit() as state:
        entry = shutdown.records(state)["actions"][index]
        entry.update(
            ended=time.time(),
            status=outcome.status,
            outcome=done if outcome.status == 0 else f"{action['action']} failed",
            messages=list(outcome.errors),
        )
    tools.log_event(
        host,
        {"event": "end", "time": time.time(), "pid": pid, "tool": TOOL, "status": outcome.status},
    )
    shutdown.stop_leaf_zones(host)
    return outcome.status

"""Promises at the edges (issue #12): a deadline too tight for the plan, a suspend
made during the current boot, a stop interrupted half-way, through the real
``kzguard`` command against simulated hosts."""

from __future__ import annotations

import json
import time
from typing import Any

from kzguard.sim.state import SimHost
from tests.conftest import MakeHost
from tests.integration.conftest import kzguard
from tests.support import FAST_RATES, set_rates, write_policy

ACTIVE = {"ready", "running", "shutting_down", "down"}


def journal(host: SimHost) -> dict[str, Any]:
    return json.loads((host.state_dir / "journal.json").read_text())


def test_a_deadline_too_tight_for_the_plan_still_leaves_no_managed_zone_running(
    make_host: MakeHost,
) -> None:
    """40 zones, a 12 s deadline, steps of 5 s / 2 s / 4 s: not even the shutdowns
    fit, so the plan halts most zones, and the method ends inside its deadline with
    every managed zone down.  (The halt timeout leaves room for some forty simulated
    zoneadm processes, each a Python start-up, on two shared CPUs.)"""
    host = make_host(zones=40, time_scale=1.0)
    # Simulated seconds are real ones here; a halt takes 0.2 s.
    set_rates(host, **{**FAST_RATES, "halt_seconds": 0.2})
    host.set_runlevel("6", "3")
    write_policy(
        host,
        '[shutdown]\ndeadline = "12s"\n[defaults]\nsuspend_timeout = "5s"\n'
        'shutdown_timeout = "2s"\nhalt_timeout = "4s"\n',
        assumed_rate="4G",
    )
    began = time.monotonic()
    result = kzguard("-c", str(host.policy_path), "method", "stop")
    seconds = time.monotonic() - began
    assert result.status == 0, result.stderr
    running = {
        name: zone["state"]
        for name, zone in host.read()["zones"].items()
        if name.startswith("kz") and zone["state"] in ACTIVE
    }
    assert running == {}, result.stderr
    # The Python start-up and imports come before the method's clock starts.
    assert seconds < 12.0 + 3.0, result.stderr
    zones = journal(host)["cycle"]["zones"]
    assert len(zones) == 40
    assert all(zone["state"] in ("suspended", "shut-down", "halted") for zone in zones.values())

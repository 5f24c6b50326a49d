"""The shutdown in svc.startd's real order, through the simulated executables and the
real stop and start methods (docs/solaris.md 12, 13; sim/shutdown.py, sim/svcstartd.py).

svc.startd stops the leaves of the SMF graph together: kzguard's stop method runs
while the zones service applies the ``autoshutdown`` of every zone instance that no
running service depends on.  Only the zone instances kzguard's instance depends on
(the ``optional_all`` groups ``zone-NAME`` of its manifest) wait until its stop method
has ended.  So a managed zone whose dependency is missing is shut down by the zones
service under kzguard, and one whose dependency exists is left to kzguard.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kzguard.sim import control, shutdown, transitions
from kzguard.sim.create import create_host
from kzguard.sim.state import SimHost
from tests import support
from tests.integration.conftest import (
    KZGUARD_FMRI,
    Completed,
    apply_manifest,
    init_shutdown,
    kzguard,
    wait_for,
)
from tests.support import FAST_RATES

KZ1 = "svc:/system/zones/zone:kz1"
KZ2 = "svc:/system/zones/zone:kz2"
NGZ1 = "svc:/system/zones/zone:ngz1"
TAKEN = (
    "kzguard: kz1: {what} as the stop began: svc:/system/zones/zone:kz1 is not held by "
    "kzguard, so the zones service applies its autoshutdown first; running state lost"
)
HOLDS = {
    KZ1: ["svc:/site/kzguard:default (zone-kz1, optional_all)"],
    KZ2: ["svc:/site/kzguard:default (zone-kz2, optional_all)"],
}


def make_host(tmp_path: Path, **rates: float) -> SimHost:
    """kz1 (2G) and kz2 (16G), both managed (select.auto), and the native zone ngz1;
    kzguard's manifest imported, the guard armed."""
    host = create_host(tmp_path / "host", zones=2, seed=1, time_scale=0.01)
    with host.edit() as state:
        state["rates"].update(FAST_RATES, **rates)
    with open(host.policy_path, "a", encoding="utf-8") as stream:
        stream.write('\n[shutdown]\nassumed_rate = "64G"\n[resume]\nstagger = "0s"\n')
    apply_manifest(host)
    assert method(host, "start").status == 0
    return host


def method(host: SimHost, name: str) -> Completed:
    return kzguard("-c", str(host.policy_path), "method", name)


def sim(host: SimHost, tool: str, *args: str) -> None:
    completed = subprocess.run(
        [host.executable(tool), *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert (completed.returncode, completed.stderr) == (0, ""), completed


def drop_dependency(host: SimHost, zone: str) -> None:
    """The operator removes kzguard's dependency on the zone's instance, as svccfg(8)
    and svcadm(8) do it; only the refresh puts it into the running snapshot."""
    sim(host, "svccfg", "-s", KZGUARD_FMRI, "delpg", f"zone-{zone}")
    sim(host, "svcadm", "refresh", KZGUARD_FMRI)


def add_dependency(host: SimHost, zone: str) -> None:
    """The dependency kzguard's manifest declares, added back with svccfg -s."""
    group = f"zone-{zone}"
    sim(host, "svccfg", "-s", KZGUARD_FMRI, "addpg", group, "dependency")
    for setting in (
        f"{group}/grouping = astring: optional_all",
        f"{group}/restart_on = astring: none",
        f"{group}/type = astring: service",
        f"{group}/entities = fmri: svc:/system/zones/zone:{zone}",
    ):
        sim(host, "svccfg", "-s", KZGUARD_FMRI, "setprop", *setting.split(" "))
    sim(host, "svcadm", "refresh", KZGUARD_FMRI)


def stop_once(host: SimHost, ready: Callable[[], object] = lambda: True) -> Callable[[], Completed]:
    """kzguard's stop method, started once ``ready()`` holds."""

    def run() -> Completed:
        wait_for(ready, timeout=20)
        return method(host, "stop")

    return run


def zone_state(host: SimHost, zone: str) -> str:
    return str(host.zone(zone)["state"])


def journal(host: SimHost) -> dict[str, Any]:
    return support.journal(host)


def normal(stderr: str) -> list[str]:
    """The log's lines with measured times as T."""
    return [re.sub(r"\b\d+(\.\d+)?s\b", "T", line) for line in stderr.splitlines()]


def actions(host: SimHost) -> list[tuple[str, str, str | None, int | None]]:
    """What the zones service did: (zone, action, outcome, status)."""
    return [
        (action["zone"], action["action"], action["outcome"], action["status"])
        for action in shutdown.zones_service_actions(host.read())
    ]


def span(host: SimHost, zone: str, verb: str) -> tuple[float, float]:
    """(start, end) of the one `zoneadm -z ZONE VERB` in the command log."""
    pids = {}
    for entry in host.commands():
        argv = entry.get("argv", [])
        if entry["event"] == "start" and argv[1:4] == ["-z", zone, verb]:
            pids[entry["pid"]] = [entry["time"], None]
        elif entry["event"] == "end" and entry["pid"] in pids:
            pids[entry["pid"]][1] = entry["time"]
    assert len(pids) == 1, pids
    (began, ended), *_ = pids.values()
    assert ended is not None
    return began, ended


# -- a managed zone whose instance kzguard does not hold -------------------------------


def test_an_unheld_managed_zone_shutting_down_under_the_stop_is_halted_and_reported_so(
    tmp_path: Path,
) -> None:
    """The zones service begins kz1's shutdown as kzguard's stop method starts (kz1 is a
    leaf); kzguard finds kz1 shutting down, says first that the zones service took it
    because kzguard does not hold its instance and its running state is lost, and
    halts it (no managed zone is left running); the journal says the same."""
    # A shutdown that takes ten seconds, as a real one takes tens: kzguard's stop
    # method starts while the zones service is at it, however slow its start-up.
    # ngz1 is halted, which is quick.
    host = make_host(tmp_path, shutdown_seconds=1000.0)
    host.set_zone_setting("ngz1", "autoshutdown", "halt")
    drop_dependency(host, "kz1")

    stop, order = init_shutdown(
        host, stop_once(host, lambda: zone_state(host, "kz1") == "shutting_down")
    )

    assert dict(order.held) == {KZ2: tuple(HOLDS[KZ2])}
    assert (order.leaves, order.status, order.stuck) == ((KZ1, NGZ1), 0, ())
    state = host.read()
    assert shutdown.acted_during(state, KZGUARD_FMRI) == ["kz1", "ngz1"]
    # The zones service's shutdown of kz1 ends when kzguard's halt has put it down.
    assert actions(host) == [("kz1", "shutdown", "shut down", 0), ("ngz1", "halt", "halted", 0)]
    assert stop.status == 0, stop.stderr
    log = normal(stop.stderr)
    assert log[0] == TAKEN.format(what="shut down by another")
    log = log[1:]
    # The two zones are worked on at once: their lines come in either order.
    assert sorted(log[:4]) == [
        "kzguard: halting kz1 (1/2, timeout 1m, fallback)",
        "kzguard: kz1 halted in T",
        "kzguard: kz2 suspended in T",
        "kzguard: suspending kz2 (2/2, 16G, expected T)",
    ]
    assert log.index("kzguard: halting kz1 (1/2, timeout 1m, fallback)") < log.index(
        "kzguard: kz1 halted in T"
    )
    assert log[4:] == [
        "kzguard: stop done in T: 1 suspended, 0 shut down, 1 halted, 0 lost, 0 failed"
    ]
    record = journal(host)["cycle"]["zones"]["kz1"]
    assert (record["state"], record["intent"], record["reason"], record["note"]) == (
        "halted",
        ["halt"],
        "zone is shutting_down: only halt applies",
        TAKEN.format(what="shut down by another")[len("kzguard: kz1: ") :]
        + "; zone is shutting_down: only halt applies",
    )
    assert [t["state"] for t in record["transitions"]] == ["planned", "halting", "halted"]
    assert journal(host)["cycle"]["skipped"] == {}
    # Down, without a suspend image: its running state is gone.
    assert (zone_state(host, "kz1"), host.zone("kz1")["aux"]) == ("installed", [])


def test_an_unheld_managed_zone_already_shut_down_is_reported_lost(
    tmp_path: Path,
) -> None:
    """When the zones service has finished before kzguard looks, kzguard's log and its
    journal still say that kz1 went down first because kzguard does not hold it, and
    that its running state is lost."""
    host = make_host(tmp_path)
    drop_dependency(host, "kz1")

    stop, order = init_shutdown(
        host, stop_once(host, lambda: zone_state(host, "kz1") == "installed")
    )

    assert (order.leaves, order.status) == ((KZ1, NGZ1), 0)
    assert shutdown.acted_during(host.read(), KZGUARD_FMRI) == ["kz1", "ngz1"]
    assert actions(host)[0] == ("kz1", "shutdown", "shut down", 0)
    assert normal(stop.stderr) == [
        TAKEN.format(what="already down"),
        "kzguard: suspending kz2 (1/1, 16G, expected T)",
        "kzguard: kz2 suspended in T",
        "kzguard: stop done in T: 1 suspended, 0 shut down, 0 halted, 0 lost, 0 failed",
    ]
    cycle = journal(host)["cycle"]
    assert cycle["skipped"] == {
        "kz1": "not running (installed); "
        + TAKEN.format(what="already down")[len("kzguard: kz1: ") :]
    }
    assert sorted(cycle["zones"]) == ["kz2"]


# -- the same zone once kzguard holds it -------------------------------------------------


def test_a_held_managed_zone_is_left_to_kzguard_suspended_and_resumed(tmp_path: Path) -> None:
    """The dependency back (svccfg -s addpg/setprop and svcadm refresh): the zones
    service leaves kz1 alone while kzguard's stop method runs, and kz1 comes back
    resumed with its running state."""
    host = make_host(tmp_path)
    drop_dependency(host, "kz1")
    add_dependency(host, "kz1")
    before = host.zone("kz1")["boot_time"]

    stop, order = init_shutdown(host, stop_once(host))

    assert dict(order.held) == {KZ1: tuple(HOLDS[KZ1]), KZ2: tuple(HOLDS[KZ2])}
    assert (order.leaves, order.status, order.stuck) == ((NGZ1,), 0, ())
    assert shutdown.acted_during(host.read(), KZGUARD_FMRI) == ["ngz1"]
    # Released when the stop method ended, kz1 and kz2 were suspended: nothing to do.
    assert actions(host) == [("ngz1", "shutdown", "shut down", 0)]
    assert normal(stop.stderr)[-1] == (
        "kzguard: stop done in T: 2 suspended, 0 shut down, 0 halted, 0 lost, 0 failed"
    )
    assert journal(host)["cycle"]["zones"]["kz1"]["state"] == "suspended"

    control.power_off(host)
    control.boot_host(host)
    control.zones_service_start(host)
    start = method(host, "start")
    assert start.status == 0, start.stderr
    assert "kzguard: kz1 resumed (running state preserved) in T" in normal(start.stderr)
    assert zone_state(host, "kz1") == "running"
    assert host.zone("kz1")["boot_time"] == before
    assert journal(host)["resume"]["zones"]["kz1"]["severity"] == "ok"


# -- an unmanaged zone -----------------------------------------------------------------


def test_an_unmanaged_zone_is_shut_down_at_the_start_while_kzguard_suspends(
    tmp_path: Path,
) -> None:
    """ngz1 (a native zone kzguard does not manage) is a leaf: the zones service begins
    its shutdown as kzguard's stop method starts, and is at it all the while kzguard
    suspends kz1."""
    # ngz1's shutdown takes 6 s; kz1's suspend 1 s, begun and ended well within them
    # (kzguard's start-up and survey take a fraction of a second).
    host = make_host(tmp_path, shutdown_seconds=600.0)
    with host.edit() as state:
        image = transitions.image_bytes(state["zones"]["kz1"])
        state["rates"]["suspend_rate"] = state["rates"]["storage_bandwidth"] = image / 100.0
    with open(host.policy_path, "a", encoding="utf-8") as stream:
        stream.write('[zone.kz2]\naction = "ignore"\n')
    apply_manifest(host)  # kzguard holds kz1 alone now

    stop, order = init_shutdown(
        host, stop_once(host, lambda: zone_state(host, "ngz1") == "shutting_down")
    )

    assert dict(order.held) == {KZ1: tuple(HOLDS[KZ1])}
    assert order.leaves == (KZ2, NGZ1)
    assert stop.status == 0, stop.stderr
    ngz1 = next(a for a in shutdown.zones_service_actions(host.read()) if a["zone"] == "ngz1")
    suspend_began, suspend_ended = span(host, "kz1", "suspend")
    assert ngz1["requested"] < suspend_began < suspend_ended < ngz1["ended"]
    assert (ngz1["action"], ngz1["outcome"]) == ("shutdown", "shut down")
    assert shutdown.acted_during(host.read(), KZGUARD_FMRI) == ["kz2", "ngz1"]
    assert zone_state(host, "ngz1") == "installed"
    assert host.zone("kz1")["aux"] == ["suspended"]

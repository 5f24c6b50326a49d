"""The methods' progress on the simulated console (HOSTDIR/dev/msglog, [paths]
console), and Solaris 11.4's own boot ordering (zonecfg boot-priority and
smf-dependency) ordering a real stop and start when the policy gives no ``after``
(issue #11 §6, §7)."""

from __future__ import annotations

import json
import re

import pytest

from kzguard import console as console_module
from kzguard.cli import main as kzguard_main
from kzguard.sim import control
from kzguard.sim.state import SimHost
from tests.integration.conftest import Completed, kzguard
from tests.support import FAST_RATES, set_rates, write_policy


def method(host: SimHost, name: str) -> Completed:
    return kzguard("-c", str(host.policy_path), "method", name)


def console(host: SimHost) -> list[str]:
    """The console's lines with measured and predicted times as T."""
    return [
        re.sub(r"( in | expected )(\d+m)?\d+(\.\d)?s\b", r"\1T", line)
        for line in host.console().splitlines()
    ]


def started(host: SimHost, verb: str, since: int) -> list[str]:
    """The zones of every `zoneadm -z ZONE verb` started from event ``since`` on."""
    return [
        entry["argv"][2]
        for entry in host.commands()[since:]
        if entry["event"] == "start"
        and entry["argv"][1:2] == ["-z"]
        and entry["argv"][3:4] == [verb]
    ]


def test_zonecfg_orders_a_stop_and_a_start_and_the_console_shows_their_progress(
    host: SimHost,
) -> None:
    # kz1 2G, kz2 and kz3 16G.  Without zonecfg the stop would take the longest
    # first (kz2, kz3, kz1) and the start the smallest first (kz1, kz2, kz3).
    set_rates(host, **FAST_RATES)
    write_policy(
        host, '[shutdown]\nparallel = 1\n[resume]\nparallel = 1\n[select]\nexclude = ["kz4"]\n'
    )
    host.set_zone_setting("kz1", "boot-priority", "low")
    host.set_zone_setting("kz3", "boot-priority", "high")
    host.add_smf_dependency("kz2", "svc:/system/zones/zone:kz3")
    assert method(host, "start").status == 0  # armed
    control.set_runlevel(host, "6", "3")
    before = len(host.commands())
    stop = method(host, "stop")
    assert stop.status == 0, stop.stderr
    # low first, high last; kz2 before kz3, which it depends on
    assert started(host, "suspend", before) == ["kz1", "kz2", "kz3"]
    control.power_off(host)
    control.boot_host(host)
    before = len(host.commands())
    start = method(host, "start")
    assert start.status == 0, start.stderr
    # High first.  kz2 waits for kz3 to be up (verified); the one slot is free as
    # soon as kz3's `zoneadm boot` returns, and boot-priority ranks only the zones
    # ready at once (svc.zones(8), docs/solaris.md 2.3): kz1, ready, goes next.
    assert started(host, "boot", before) == ["kz3", "kz1", "kz2"]
    lines = console(host)
    start_lines = lines[9:-1]
    # kz3's verification and kz1's resume overlap: their lines interleave.
    assert sorted(start_lines) == [
        "kzguard: start: kz1 resumed (running state preserved) in T",
        "kzguard: start: kz2 resumed (running state preserved) in T",
        "kzguard: start: kz3 resumed (running state preserved) in T",
        "kzguard: start: resuming kz1 (suspended at shutdown)",
        "kzguard: start: resuming kz2 (suspended at shutdown)",
    ]
    assert start_lines.index("kzguard: start: resuming kz2 (suspended at shutdown)") > (
        start_lines.index("kzguard: start: kz3 resumed (running state preserved) in T")
    )
    assert lines[:9] + lines[-1:] == [
        "kzguard: start: start done in T: 0 preserved, 0 lost, 0 failed, 0 left alone",
        "kzguard: stop: suspending kz1 (1/3, 2G, expected T)",
        "kzguard: stop: kz1 suspended in T",
        "kzguard: stop: suspending kz2 (2/3, 16G, expected T)",
        "kzguard: stop: kz2 suspended in T",
        "kzguard: stop: suspending kz3 (3/3, 16G, expected T)",
        "kzguard: stop: kz3 suspended in T",
        "kzguard: stop: stop done in T: 3 suspended, 0 shut down, 0 halted, 0 lost, 0 failed",
        "kzguard: start: resuming kz3 (suspended at shutdown)",
        "kzguard: start: start done in T: 3 preserved, 0 lost, 0 failed, 0 left alone",
    ]


def test_plan_stop_says_where_the_order_comes_from(host: SimHost) -> None:
    write_policy(host, '[zone.kz1]\n[zone.kz4]\nafter = ["kz1"]\n')
    host.set_zone_setting("kz3", "boot-priority", "high")
    host.add_smf_dependency("kz2", "svc:/system/zones/zone:kz3")
    result = kzguard("-c", str(host.policy_path), "plan", "stop", "--json")
    assert result.status == 0, result.stderr
    orders = {zone["zone"]: zone["order"] for zone in json.loads(result.stdout)["zones"]}
    assert orders == {
        "kz1": "kz4 (policy)",
        "kz2": "",
        "kz3": "kz2 (zonecfg); boot-priority=high (zonecfg)",
        "kz4": "",
    }


def test_no_console_or_an_unusable_one_never_fails_the_method(host: SimHost) -> None:
    set_rates(host, **FAST_RATES)
    control.set_runlevel(host, "6", "3")
    write_policy(host, '[select]\nexclude = ["kz*"]\n', console="none")
    assert method(host, "stop").status == 0
    assert host.console() == ""
    missing = host.path / "no" / "such" / "console"
    write_policy(host, '[select]\nexclude = ["kz*"]\n', console=missing)
    result = method(host, "stop")
    assert result.status == 0
    assert (
        f"kzguard: console {missing}: No such file or directory; no more progress lines there"
        in result.stderr.splitlines()
    )


def test_each_method_hands_its_journal_to_the_countdown(
    host: SimHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The countdown's counts come from the journal the method's path opened (in
    memory): with a countdown line every 50 ms, both methods' lines count the zones."""
    monkeypatch.setattr(console_module, "COUNTDOWN_INTERVAL", 0.05)
    write_policy(host)
    control.set_runlevel(host, "6", "3")
    for name in ("stop", "start"):
        if name == "start":
            control.power_off(host)
            control.boot_host(host)
        assert kzguard_main(["-c", str(host.policy_path), "method", name]) == 0
        counted = {
            line
            for line in host.console().splitlines()
            if re.fullmatch(rf"kzguard: {name}: [0-4] of 4 zones done, \S+ left of \S+", line)
        }
        assert counted, host.console()

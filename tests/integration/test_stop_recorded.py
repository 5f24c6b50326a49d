"""The stop method planning from the configurations recorded with their zone files'
stamps (journal/configs.py, stop/path.py), end to end on the simulator: no
``zonecfg`` before the plan while the files are as they were; a zone whose file
changed read first; a configuration changed behind an unchanged file caught, the
rest planned again, and the shortcut given up for good."""

from __future__ import annotations

import json
from typing import Any

from kzguard.sim import control
from kzguard.sim.state import SimHost
from tests import support
from tests.integration.conftest import Completed, kzguard
from tests.support import FAST_RATES, set_rates, write_policy


def method(host: SimHost, name: str) -> Completed:
    return kzguard("-c", str(host.policy_path), "method", name)


def configure(host: SimHost) -> None:
    set_rates(host, **FAST_RATES)
    write_policy(host, stagger=None)


def arm(host: SimHost) -> None:
    """The start method at the boot before: nothing to resume; every configuration
    read and recorded."""
    assert method(host, "start").status == 0


def stop(host: SimHost) -> Completed:
    host.log_path.write_text("")
    host.set_runlevel("6", "3")
    result = method(host, "stop")
    assert result.status == 0, result.stderr
    return result


def reboot(host: SimHost) -> None:
    control.power_off(host)
    control.boot_host(host)
    assert method(host, "start").status == 0


def read_before_the_plan(host: SimHost) -> tuple[list[str], list[str]]:
    """The zones whose `zonecfg export` began before the plan's one df (the plan is
    made right after it), and those after."""
    before: list[str] = []
    after: list[str] = []
    planned = False
    for event in sorted(
        (event for event in host.commands() if event["event"] == "start"),
        key=lambda event: event["time"],
    ):
        if event["tool"] == "df":
            planned = True
        elif event["tool"] == "zonecfg":
            (after if planned else before).append(event["argv"][2])
    return sorted(before), sorted(after)


def recorded(host: SimHost) -> dict[str, Any]:
    return json.loads((host.state_dir / "configs.json").read_text())  # type: ignore[no-any-return]


def suspended(host: SimHost) -> list[str]:
    zones = host.read()["zones"]
    return sorted(name for name, zone in zones.items() if zone["aux"] == ["suspended"])


KERNEL_ZONES = ["kz1", "kz2", "kz3", "kz4"]


def test_without_a_record_every_configuration_is_read_before_the_plan(host: SimHost) -> None:
    configure(host)
    stop(host)
    assert read_before_the_plan(host) == (KERNEL_ZONES, [])
    assert sorted(recorded(host)["zones"]) == KERNEL_ZONES
    assert recorded(host)["untrusted"] is None


def test_after_the_start_method_the_stop_plans_before_reading_a_configuration(
    host: SimHost,
) -> None:
    configure(host)
    arm(host)
    written = recorded(host)
    assert sorted(written["zones"]) == KERNEL_ZONES
    stop(host)
    # Each one is still read, beside the suspends, each before its own suspend.
    assert read_before_the_plan(host) == ([], KERNEL_ZONES)
    assert suspended(host) == KERNEL_ZONES
    assert recorded(host) == written


def test_a_zone_whose_file_changed_is_read_before_the_plan_and_planned_from_it(
    host: SimHost,
) -> None:
    configure(host)
    arm(host)
    host.set_zone_setting("kz3", "boot-priority", "high")
    stop(host)
    assert read_before_the_plan(host) == (["kz3"], ["kz1", "kz2", "kz4"])
    cycle = support.journal(host)["cycle"]
    assert cycle["zones"]["kz3"]["config"]["boot_priority"] == "high"
    assert recorded(host)["zones"]["kz3"]["config"]["boot_priority"] == "high"
    assert suspended(host) == KERNEL_ZONES


def test_a_configuration_changed_behind_an_unchanged_file_is_caught_and_trusted_no_more(
    host: SimHost,
) -> None:
    configure(host)
    arm(host)
    # The record says kz2 has 64G, more than any other: the plan from it puts kz2
    # first, and nothing begins before kz2's own configuration is read.
    record = recorded(host)
    live_memory = record["zones"]["kz2"]["config"]["physical_memory"]
    record["zones"]["kz2"]["config"]["physical_memory"] = 64 << 30
    (host.state_dir / "configs.json").write_text(json.dumps(record))
    check = kzguard("-c", str(host.policy_path), "check")
    assert check.status == 1
    assert (
        "warning: host: kz2: its configuration changed while its zone file (kz2.xml) did not: "
        "the zone files do not follow zonecfg on this host; the next stop plans from the "
        "configurations configs.json records, finds this beside its first suspends and plans "
        "the rest again"
    ) in check.stdout.splitlines()
    result = stop(host)
    lines = result.stderr.splitlines()
    assert (
        "kzguard: configuration not as recorded (changed or unreadable): kz2; "
        "planning the 4 zones not begun from the live ones"
    ) in lines
    untrusted = "kz2: its configuration changed while its zone file (kz2.xml) did not"
    assert lines[-2:] == [
        f"kzguard: {untrusted}: the zone files do not follow zonecfg on this host; "
        "every stop will read every configuration before its first suspend",
        "kzguard: stop done in "
        + lines[-1].split("stop done in ")[1].split(":")[0]
        + ": 4 suspended, 0 shut down, 0 halted, 0 lost, 0 failed",
    ]
    assert suspended(host) == KERNEL_ZONES
    cycle = support.journal(host)["cycle"]
    assert sorted(cycle["zones"]) == KERNEL_ZONES
    assert cycle["zones"]["kz2"]["memory"] == live_memory
    assert {zone["state"] for zone in cycle["zones"].values()} == {"suspended"}
    assert recorded(host)["untrusted"] == untrusted
    check = kzguard("-c", str(host.policy_path), "check")
    assert (
        f"note: host: configs.json: {untrusted}: the zone files do not follow zonecfg on this "
        "host, so every stop reads every configuration before its first suspend"
    ) in check.stdout.splitlines()
    # From then on, every configuration is read first.
    reboot(host)
    stop(host)
    assert read_before_the_plan(host) == (KERNEL_ZONES, [])
    assert recorded(host)["untrusted"] == untrusted


def test_a_recorded_configuration_unreadable_now_is_planned_again_without_distrust(
    host: SimHost,
) -> None:
    configure(host)
    arm(host)
    plan = json.loads(kzguard("-c", str(host.policy_path), "plan", "stop", "--json").stdout)
    first = plan["zones"][0]["zone"]  # nothing begins before its own is read
    host.set_output_fault(f"zonecfg -z {first} export", "garbage")
    result = stop(host)
    lines = result.stderr.splitlines()
    assert (
        f"kzguard: configuration not as recorded (changed or unreadable): {first}; "
        "planning the 4 zones not begun from the live ones"
    ) in lines
    zonecfg = host.executable("zonecfg")
    assert any(
        line.startswith(f"kzguard: {first}: configuration unknown: {zonecfg} -z {first} export: ")
        for line in lines
    )
    assert lines[-1].endswith(": 4 suspended, 0 shut down, 0 halted, 0 lost, 0 failed")
    assert suspended(host) == KERNEL_ZONES
    # Unreadable is no proof against the zone files: the record stays trusted, and
    # forgets only that zone, to be read before the next plan.
    assert recorded(host)["untrusted"] is None
    assert sorted(recorded(host)["zones"]) == sorted(set(KERNEL_ZONES) - {first})


def test_on_a_host_whose_zone_files_stay_put_a_changed_configuration_is_caught(
    host: SimHost,
) -> None:
    # The case docs/solaris.md 2.6 leaves open for 11.4: the configurations kept
    # elsewhere, stale files left in /etc/zones.  The plan's first zone changes its
    # autoshutdown after the record was made; its file does not change.
    configure(host)
    arm(host)
    plan = json.loads(kzguard("-c", str(host.policy_path), "plan", "stop", "--json").stdout)
    first = plan["zones"][0]["zone"]
    host.set_zone_files("frozen")
    host.set_zone_setting(first, "autoshutdown", "halt")
    result = stop(host)
    lines = result.stderr.splitlines()
    untrusted = f"{first}: its configuration changed while its zone file ({first}.xml) did not"
    assert (
        f"kzguard: configuration not as recorded (changed or unreadable): {first}; "
        "planning the 4 zones not begun from the live ones"
    ) in lines
    assert lines[-2] == (
        f"kzguard: {untrusted}: the zone files do not follow zonecfg on this host; every "
        "stop will read every configuration before its first suspend"
    )
    assert suspended(host) == KERNEL_ZONES
    cycle = support.journal(host)["cycle"]
    assert cycle["zones"][first]["config"]["autoshutdown"] == "halt"
    assert recorded(host)["untrusted"] == untrusted

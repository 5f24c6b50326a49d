"""kzguard's instance holds the managed zones' instances at shutdown (issue #11):
the start and refresh methods keep one optional_all dependency group per managed
zone on svc:/site/kzguard:default, through the simulator's svccfg and svcadm, and
``kzguard status`` and ``check`` name the zones that are not held."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from kzguard.manifest.render import render_manifest
from kzguard.policy.model import default_policy
from kzguard.sim import shutdown
from kzguard.sim.state import SimHost
from tests.conftest import MakeHost
from tests.integration.conftest import Completed, kzguard
from tests.support import write_policy

FMRI = "svc:/site/kzguard:default"
ZONES = ["kz1", "kz2", "kz3"]


def install(host: SimHost) -> None:
    """What `pkg install` does: the manifest the package delivers (rendered for the
    defaults, no zone dependencies), imported with svccfg, the service enabled."""
    path = host.path / "kzguard.xml"
    path.write_text(
        render_manifest(default_policy(), zone_instances=[], policy_path=str(host.policy_path))
    )
    subprocess.run([host.executable("svccfg"), "import", str(path)], check=True)


def smf_changes(host: SimHost, since: int) -> list[list[str]]:
    """Every svccfg and svcadm command kzguard ran from log entry ``since`` on."""
    return [
        [Path(entry["argv"][0]).name, *entry["argv"][1:]]
        for entry in host.commands()[since:]
        if entry["event"] == "start" and Path(entry["argv"][0]).name in ("svccfg", "svcadm")
    ]


def additions(zone: str) -> list[list[str]]:
    prefix = ["svccfg", "-s", FMRI]
    return [
        [*prefix, "addpg", f"zone-{zone}", "dependency"],
        [*prefix, "setprop", f"zone-{zone}/grouping", "=", "astring:", "optional_all"],
        [*prefix, "setprop", f"zone-{zone}/restart_on", "=", "astring:", "none"],
        [*prefix, "setprop", f"zone-{zone}/type", "=", "astring:", "service"],
        [*prefix, "setprop", f"zone-{zone}/entities", "=", "fmri:", f"svc:/system/zones/zone:{zone}"],
    ]  # fmt: skip


def svcprop(host: SimHost, *args: str) -> str:
    return subprocess.run(
        [host.executable("svcprop"), *args], capture_output=True, text=True, check=True
    ).stdout


def groups(host: SimHost) -> list[str]:
    """The zone-* groups of kzguard's running snapshot, as svcprop prints them."""
    return [line for line in svcprop(host, FMRI).splitlines() if line.startswith("zone-")]


def group_lines(zone: str) -> list[str]:
    return [
        f"zone-{zone}/grouping astring optional_all",
        f"zone-{zone}/restart_on astring none",
        f"zone-{zone}/type astring service",
        f"zone-{zone}/entities fmri svc:/system/zones/zone:{zone}",
    ]


def method(host: SimHost, name: str) -> Completed:
    return kzguard("-c", str(host.policy_path), "method", name)


@pytest.fixture
def installed(make_host: MakeHost) -> SimHost:
    host = make_host(zones=3)
    install(host)
    return host


def test_the_start_method_after_a_package_install_holds_every_managed_zone(
    installed: SimHost,
) -> None:
    host = installed
    assert groups(host) == []
    assert sorted(shutdown.leaf_zone_instances(host.read())) == [
        "svc:/system/zones/zone:kz1",
        "svc:/system/zones/zone:kz2",
        "svc:/system/zones/zone:kz3",
        "svc:/system/zones/zone:ngz1",
    ]
    before = len(host.commands())
    result = method(host, "start")
    assert result.status == 0, result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"kzguard: zone dependencies of {FMRI}: added zone-kz1, zone-kz2, zone-kz3"
    )
    assert smf_changes(host, before) == [
        *additions("kz1"),
        *additions("kz2"),
        *additions("kz3"),
        ["svcadm", "refresh", FMRI],
    ]
    assert sorted(groups(host)) == sorted(line for zone in ZONES for line in group_lines(zone))
    # The simulated svc.startd's view: ngz1 (not managed) is the only leaf left.
    assert shutdown.leaf_zone_instances(host.read()) == ["svc:/system/zones/zone:ngz1"]
    assert shutdown.held_zone_instances(host.read()) == {
        f"svc:/system/zones/zone:{zone}": [f"{FMRI} (zone-{zone}, optional_all)"] for zone in ZONES
    }
    # The refresh method svc.startd runs after that svcadm refresh finds nothing to do.
    before = len(host.commands())
    result = method(host, "refresh")
    assert result.stderr == f"kzguard: policy {host.policy_path} is valid\n"
    assert smf_changes(host, before) == []
    status = kzguard("-c", str(host.policy_path), "status")
    assert status.status == 0, status.stdout
    assert status.stdout.splitlines()[0] == "guard: armed"


def test_a_zone_no_longer_managed_loses_its_group_and_a_wrong_one_is_fixed(
    installed: SimHost,
) -> None:
    host = installed
    assert method(host, "start").status == 0
    # An operator changes kz3's group by hand; kz2 leaves the policy.
    svccfg = host.executable("svccfg")
    subprocess.run(
        [svccfg, "-s", FMRI, "setprop", "zone-kz3/grouping", "=", "require_all"], check=True
    )
    subprocess.run([svccfg, "-s", FMRI, "setprop", "zone-kz3/entities", "=", "fmri:", "svc:/system/zones/zone:kz1"], check=True)  # fmt: skip
    subprocess.run([host.executable("svcadm"), "refresh", FMRI], check=True)
    write_policy(host, '[zone.kz2]\naction = "ignore"\n', assumed_rate=None, stagger=None)
    before = len(host.commands())
    result = method(host, "refresh")
    assert result.stderr == (
        f"kzguard: policy {host.policy_path} is valid\n"
        f"kzguard: zone dependencies of {FMRI}: fixed zone-kz3 (grouping, entities); "
        "removed zone-kz2\n"
    )
    assert smf_changes(host, before) == [
        ["svccfg", "-s", FMRI, "setprop", "zone-kz3/grouping", "=", "astring:", "optional_all"],
        ["svccfg", "-s", FMRI, "setprop", "zone-kz3/entities", "=", "fmri:", "svc:/system/zones/zone:kz3"],
        ["svccfg", "-s", FMRI, "delpg", "zone-kz2"],
        ["svcadm", "refresh", FMRI],
    ]  # fmt: skip
    assert sorted(groups(host)) == sorted(group_lines("kz1") + group_lines("kz3"))
    before = len(host.commands())
    assert method(host, "refresh").stderr == f"kzguard: policy {host.policy_path} is valid\n"
    assert smf_changes(host, before) == []


def test_groups_made_but_not_refreshed_are_refreshed_only(installed: SimHost) -> None:
    """svccfg changes the current view; svc.startd's graph sees the running snapshot,
    which only svcadm refresh updates (docs/solaris.md 5.5)."""
    host = installed
    assert method(host, "start").status == 0
    svccfg, svcadm = host.executable("svccfg"), host.executable("svcadm")
    subprocess.run([svccfg, "-s", FMRI, "delpg", "zone-kz1"], check=True)
    subprocess.run([svcadm, "refresh", FMRI], check=True)
    for command in additions("kz1"):
        subprocess.run([svccfg, *command[1:]], check=True)  # not refreshed
    assert "zone-kz1/grouping astring optional_all" not in groups(host)
    before = len(host.commands())
    result = method(host, "refresh")
    assert result.stderr == (
        f"kzguard: policy {host.policy_path} is valid\n"
        f"kzguard: zone dependencies of {FMRI}: refreshed\n"
    )
    assert smf_changes(host, before) == [["svcadm", "refresh", FMRI]]
    assert sorted(groups(host)) == sorted(line for zone in ZONES for line in group_lines(zone))


def test_without_kzguard_s_instance_the_methods_change_nothing(make_host: MakeHost) -> None:
    host = make_host(zones=2)
    before = len(host.commands())
    result = method(host, "start")
    assert result.stderr.splitlines()[-1].endswith(": 0 preserved, 0 lost, 0 failed, 0 left alone")
    assert smf_changes(host, before) == []


def test_when_svccfg_fails_the_method_says_which_zones_are_not_held(installed: SimHost) -> None:
    host = installed
    broken = host.path / "svccfg-not-executable"
    broken.write_text("#!/bin/sh\n")
    os.chmod(broken, 0o644)
    with open(host.policy_path) as policy:
        text = policy.read()
    host.policy_path.write_text(
        text.replace(f'svccfg = "{host.executable("svccfg")}"', f'svccfg = "{broken}"')
    )
    result = method(host, "start")
    assert result.status == 0
    assert result.stderr.splitlines()[-1] == (
        f"kzguard: {broken} -s {FMRI} addpg zone-kz1 dependency: cannot run {broken}: "
        "permission denied (not executable?); kz1, kz2, kz3 are not held at shutdown: no "
        "dependency of "
        f"{FMRI} on their instances, so the zones service may shut them down while kzguard "
        f"suspends them; run as root: svcadm refresh {FMRI}"
    )
    status = kzguard("-c", str(host.policy_path), "status")
    assert status.status == 2
    assert status.stdout.splitlines()[0] == (
        "guard: DEGRADED: kz1, kz2, kz3 are not held at shutdown: no dependency of "
        f"{FMRI} on their instances, so the zones service may shut them down while kzguard "
        f"suspends them; run as root: svcadm refresh {FMRI}"
    )
    check = kzguard("-c", str(host.policy_path), "check")
    assert check.status == 1
    assert [line for line in check.stdout.splitlines() if "held" in line] == [
        f"warning: kz{n}: svc:/system/zones/zone:kz{n} is not held by {FMRI}: at shutdown "
        "the zones service may shut it down while kzguard suspends it; run as root: "
        f"svcadm refresh {FMRI}"
        for n in (1, 2, 3)
    ]

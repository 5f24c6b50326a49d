"""Kernel-zone auxiliary states, zonecfg boot-priority and smf-dependency, the
zone settings, and the console file."""

from __future__ import annotations

import time

import pytest

from kzguard.sim.state import SimHost
from tests.sim.helpers import run, start
from tests.sim.test_cli import sim


def test_aux_states_show_in_list_s(host: SimHost) -> None:
    assert sim("aux", str(host.path), "kz1", "migrating-out").returncode == 0
    host.set_aux("kz2", "migrating-in")
    host.set_aux("kz3", "debugging")
    lines = run(host, "zoneadm", "list", "-s").stdout.splitlines()
    assert lines[2:5] == [
        "kz1              running          migrating-out",
        "kz2              running          migrating-in",
        "kz3              running          debugging",
    ]
    assert sim("aux", str(host.path), "kz1", "none").returncode == 0
    assert host.zone("kz1")["aux"] == []


def test_aux_refusals(host: SimHost) -> None:
    with pytest.raises(ValueError, match="unknown auxiliary state 'suspended'"):
        host.set_aux("kz1", "suspended")
    with pytest.raises(ValueError, match="ngz1 is not a running kernel zone"):
        host.set_aux("ngz1", "debugging")
    result = sim("aux", str(host.path), "kz9", "debugging")
    assert (result.returncode, result.stderr) == (
        2,
        "kzguard sim: no zone 'kz9' on the simulated host\n",
    )


@pytest.mark.parametrize("aux", ["migrating-out", "migrating-in"])
def test_a_migrating_zone_refuses_suspend_and_shutdown_but_halts(host: SimHost, aux: str) -> None:
    host.set_aux("kz1", aux)
    result = run(host, "zoneadm", "-z", "kz1", "suspend")
    assert (result.status, result.stderr) == (
        1,
        f"zoneadm: zone 'kz1': cannot suspend: the zone is {aux}\n",
    )
    result = run(host, "zoneadm", "-z", "kz1", "shutdown")
    assert (result.status, result.stderr) == (
        1,
        f"zoneadm: zone 'kz1': cannot shut down: the zone is {aux}\n",
    )
    assert run(host, "zoneadm", "-z", "kz1", "halt").status == 0
    assert (host.zone("kz1")["state"], host.zone("kz1")["aux"]) == ("installed", [])


@pytest.mark.parametrize("aux", ["debugging", "panicked"])
@pytest.mark.parametrize("operation", ["suspend", "shutdown"])
def test_a_zone_in_the_debugger_or_panicked_hangs_suspend_and_shutdown_until_halted(
    host: SimHost, operation: str, aux: str
) -> None:
    host.set_aux("kz1", aux)
    waiting = start(host, "zoneadm", "-z", "kz1", operation)
    # The operation holds the zone once its process has started (slow on a loaded
    # machine); from then on it hangs.
    deadline = time.monotonic() + 30
    while host.zone("kz1")["op"] is None:
        assert waiting.poll() is None
        assert time.monotonic() < deadline
        time.sleep(0.02)
    time.sleep(0.3)
    assert waiting.poll() is None
    assert run(host, "zoneadm", "-z", "kz1", "halt").status == 0
    _, err = waiting.communicate(timeout=30)
    expected = (
        (0, "")
        if operation == "shutdown"
        else (1, "zoneadm: zone 'kz1': suspend interrupted: the zone was halted\n")
    )
    assert (waiting.returncode, err) == expected
    assert (host.zone("kz1")["state"], host.zone("kz1")["aux"]) == ("installed", [])


def test_boot_priority_and_smf_dependency_in_export_and_info(host: SimHost) -> None:
    path = str(host.path)
    assert sim("set", path, "kz1", "boot-priority=high").returncode == 0
    assert (
        sim(
            "smf-dependency",
            path,
            "kz1",
            "svc:/system/zones/zone:kz2",
            "--name",
            "storage",
            "--grouping",
            "require_any",
        ).returncode
        == 0
    )
    assert sim("smf-dependency", path, "kz1", "svc:/application/list:default").returncode == 0
    export = run(host, "zonecfg", "-z", "kz1", "export").stdout.splitlines()
    assert export[:5] == [
        "create -b",
        "set brand=solaris-kz",
        "set autoboot=false",
        "set autoshutdown=shutdown",
        "set boot-priority=high",
    ]
    assert export[-8:] == [
        "add smf-dependency",
        "set name=storage",
        "set fmri=svc:/system/zones/zone:kz2",
        "set grouping=require_any",
        "end",
        "add smf-dependency",
        "set fmri=svc:/application/list:default",
        "end",
    ]
    assert run(host, "zonecfg", "-z", "kz1", "info", "boot-priority").stdout == (
        "boot-priority: high\n"
    )
    assert run(host, "zonecfg", "-z", "kz1", "info", "smf-dependency").stdout == (
        "smf-dependency:\n"
        "\tname: storage\n"
        "\tfmri: svc:/system/zones/zone:kz2\n"
        "\tgrouping: require_any\n"
        "smf-dependency:\n"
        "\tfmri: svc:/application/list:default\n"
    )
    info = run(host, "zonecfg", "-z", "kz1", "info").stdout.splitlines()
    assert info.index("boot-priority: high") < info.index("capped-memory:")
    assert info[-2:] == ["smf-dependency:", "\tfmri: svc:/application/list:default"]
    assert run(host, "zonecfg", "-z", "kz2", "info", "boot-priority").stdout == ""
    # The dependency is the zone instance's, as svc.zones(8) makes it.
    assert run(host, "svcprop", "-p", "storage/entities", "svc:/system/zones/zone:kz1").stdout == (
        "svc:/system/zones/zone:kz2\n"
    )


def test_setting_refusals(host: SimHost) -> None:
    cases = [
        (("kz1", "nosuch=1"), "kzguard sim: unknown zone setting 'nosuch'"),
        (("kz1", "boot-priority=urgent"), "kzguard sim: boot-priority must be one of"),
        (("kz1", "clock_step_at_resume=soon"), "kzguard sim: clock_step_at_resume must be"),
        (("kz1", "autoshutdown=nap"), "kzguard sim: autoshutdown must be one of"),
        (("kz1", "autoboot=yes"), "kzguard sim: autoboot must be true or false"),
        (("kz1", "autoboot"), "kzguard sim: 'autoboot' is not KEY=VALUE"),
    ]
    for args, message in cases:
        result = sim("set", str(host.path), *args)
        assert result.returncode == 2
        assert result.stderr.startswith(message), result.stderr
    with pytest.raises(ValueError, match="not an svc: FMRI"):
        host.add_smf_dependency("kz1", "zone:kz2")
    with pytest.raises(ValueError, match="unknown grouping 'any'"):
        host.add_smf_dependency("kz1", "svc:/x:y", grouping="any")
    host.set_zone_setting("kz1", "autoshutdown", "suspend")
    assert host.zone("kz1")["config"]["autoshutdown"] == "suspend"


def test_the_console_file(host: SimHost) -> None:
    assert host.console_path == host.path / "dev" / "msglog"
    assert host.console() == ""
    with open(host.console_path, "a", encoding="utf-8") as console:
        console.write("kzguard: suspending kz1\n")
    assert host.console() == "kzguard: suspending kz1\n"
    host.console_path.unlink()
    assert host.console() == ""

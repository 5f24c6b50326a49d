"""init's run-level sequence, svc.startd's leaf-first shutdown and svc.zones'
autoshutdown in the background (kzguard.sim.shutdown, smfgraph, zonesvc)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from kzguard.sim import control, shutdown, smfgraph
from kzguard.sim.state import SimHost
from tests.sim.helpers import run, start

RESTARTER = "svc:/system/svc/restarter:default"
KZGUARD = "svc:/site/kzguard:default"
ZONE = "svc:/system/zones/zone:"
MISSING = f"svcprop: Couldn't find property `options_ovr/runlevel' for instance `{RESTARTER}'.\n"


def manifest(tmp_path: Path, *dependencies: tuple[str, str, str, str]) -> str:
    """kzguard-like manifest with (name, grouping, restart_on, fmri) dependencies."""
    groups = "".join(
        f'<dependency name="{name}" grouping="{grouping}" restart_on="{restart}" type="service">'
        f'<service_fmri value="{fmri}"/></dependency>'
        for name, grouping, restart, fmri in dependencies
    )
    path = tmp_path / "kzguard.xml"
    path.write_text(
        '<?xml version="1.0"?><service_bundle type="manifest" name="kzguard">'
        '<service name="site/kzguard" type="service" version="1">'
        f'<create_default_instance enabled="true"/>{groups}'
        '<exec_method type="method" name="stop" exec=":true" timeout_seconds="60"/>'
        "</service></service_bundle>",
        encoding="utf-8",
    )
    return str(path)


def imported(host: SimHost, tmp_path: Path, *dependencies: tuple[str, str, str, str]) -> None:
    assert run(host, "svccfg", "import", manifest(tmp_path, *dependencies)).status == 0


@pytest.mark.parametrize(
    ("level", "milestone"),
    [
        ("0", "none"),
        ("5", "none"),
        ("6", "none"),
        ("S", "svc:/milestone/single-user:default"),
        ("1", "svc:/milestone/single-user:default"),
        ("2", "svc:/milestone/multi-user:default"),
        ("4", "all"),
    ],
)
def test_init_deletes_the_runlevel_property_and_sets_the_milestone(
    host: SimHost, level: str, milestone: str
) -> None:
    shutdown.request_runlevel(host, level)
    assert run(host, "svcprop", "-c", "-p", "options_ovr/runlevel", RESTARTER).stdout == (
        f"{level}\n"
    )
    assert shutdown.begin(host, level) == milestone
    result = run(host, "svcprop", "-c", "-p", "options_ovr/runlevel", RESTARTER)
    assert (result.status, result.stdout, result.stderr) == (1, "", MISSING)
    assert run(host, "svcprop", "-p", "options_ovr/milestone", RESTARTER).stdout == (
        milestone + "\n"
    )
    who = run(host, "who", "-r").stdout
    assert re.search(rf"run-level {level} .* {level}      0  3\n$", who), who


def test_a_boot_forgets_the_milestone_the_last_shutdown_set(host: SimHost) -> None:
    """options_ovr is non-persistent (illumos libscf_priv.h): gone after the power
    cycle, or a `svcadm restart` at run level 3 would look like `milestone none`."""
    assert shutdown.begin(host, "6") == "none"
    control.power_off(host)
    control.boot_host(host)
    result = run(host, "svcprop", "-c", "-p", "options_ovr/milestone", RESTARTER)
    assert (result.status, result.stdout) == (1, "")
    assert "Couldn't find property `options_ovr/milestone'" in result.stderr
    assert run(host, "svcprop", "-c", "-p", "options_ovr/runlevel", RESTARTER).stdout == "3\n"


def test_a_boot_begins_every_instance_anew_from_its_persistent_enabled(
    host: SimHost, tmp_path: Path
) -> None:
    """The restarter's record of an instance is non-persistent (illumos libscf_priv.h
    SCF_PG_RESTARTER_FLAGS, restarter.c restarter_insert_inst()): the maintenance a
    failed stop method left at the shutdown is gone at the next boot, and svc.startd
    starts the instance again; so is a temporary disable (general_ovr); a disabled
    instance stays disabled."""
    imported(host, tmp_path)
    disabled, paused = "svc:/site/other:default", "svc:/system/manifest-import:default"
    with host.edit() as state:
        state["smf"][disabled] = {
            "general/enabled": ["boolean", "false"],
            "restarter/state": ["astring", "disabled"],
        }
    assert run(host, "svcadm", "disable", "-t", paused).status == 0
    shutdown.stop_method_started(host, KZGUARD)
    shutdown.stop_method_ended(host, KZGUARD, 95)

    def states() -> list[str]:
        return [
            run(host, "svcprop", "-p", "restarter/state", fmri).stdout
            for fmri in (KZGUARD, disabled, paused)
        ]

    assert states() == ["maintenance\n", "disabled\n", "disabled\n"]
    control.power_off(host)
    control.boot_host(host)
    assert states() == ["online\n", "disabled\n", "online\n"]


def test_init_to_the_current_level_writes_no_milestone(host: SimHost) -> None:
    assert shutdown.begin(host, "3") is None
    assert run(host, "svcprop", "-p", "options_ovr", RESTARTER).status == 1
    assert host.read()["runlevel"]["previous"] == "S"


def test_init_with_the_sim_command(host: SimHost) -> None:
    result = subprocess.run(
        ["python3", "-m", "kzguard.sim.cli", "init", str(host.path), "6"],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert (result.returncode, result.stdout) == (0, "run level 6; options_ovr/milestone none\n")
    assert run(host, "svcprop", "-c", "-p", "options_ovr/runlevel", RESTARTER).stderr == MISSING


def test_milestone_for_refuses_a_non_level() -> None:
    with pytest.raises(ValueError, match="not a run level: '7'"):
        smfgraph.milestone_for("7")


def test_every_zone_instance_is_a_leaf_without_dependents(host: SimHost, tmp_path: Path) -> None:
    imported(host, tmp_path, ("zones", "require_all", "none", "svc:/system/zones:default"))
    state = host.read()
    assert shutdown.leaf_zone_instances(state) == [
        f"{ZONE}kz1",
        f"{ZONE}kz2",
        f"{ZONE}kz3",
        f"{ZONE}kz4",
        f"{ZONE}ngz1",
    ]
    assert shutdown.held_zone_instances(state) == {}


@pytest.mark.parametrize(
    ("grouping", "restart_on", "held"),
    [
        ("optional_all", "none", True),
        ("optional_all", "error", True),  # is_nonsubgraph_leaf() ignores restart_on
        ("require_all", "none", True),
        ("require_any", "restart", True),
        ("exclude_all", "none", False),  # is_nonsubgraph_leaf() skips exclude_all
    ],
)
def test_a_dependency_group_holds_a_zone_instance(
    host: SimHost, tmp_path: Path, grouping: str, restart_on: str, held: bool
) -> None:
    imported(host, tmp_path, ("zone-kz1", grouping, restart_on, f"{ZONE}kz1"))
    state = host.read()
    assert (f"{ZONE}kz1" in shutdown.leaf_zone_instances(state)) is not held
    expected = {f"{ZONE}kz1": [f"{KZGUARD} (zone-kz1, {grouping})"]} if held else {}
    assert shutdown.held_zone_instances(state) == expected


def test_a_service_fmri_dependency_holds_every_instance(host: SimHost, tmp_path: Path) -> None:
    imported(host, tmp_path, ("zones", "optional_all", "none", "svc:/system/zones/zone"))
    state = host.read()
    assert shutdown.leaf_zone_instances(state) == []
    assert sorted(shutdown.held_zone_instances(state)) == [
        f"{ZONE}kz1",
        f"{ZONE}kz2",
        f"{ZONE}kz3",
        f"{ZONE}kz4",
        f"{ZONE}ngz1",
    ]


def test_a_stopped_dependent_holds_nothing(host: SimHost, tmp_path: Path) -> None:
    imported(host, tmp_path, ("zone-kz1", "optional_all", "none", f"{ZONE}kz1"))
    assert run(host, "svcadm", "disable", KZGUARD).status == 0
    assert f"{ZONE}kz1" in shutdown.leaf_zone_instances(host.read())


def test_setprop_holds_only_after_refresh(host: SimHost, tmp_path: Path) -> None:
    imported(host, tmp_path)
    setprops = [
        ("zone-kz2/grouping", "=", "astring:", "optional_all"),
        ("zone-kz2/restart_on", "=", "astring:", "none"),
        ("zone-kz2/type", "=", "astring:", "service"),
        ("zone-kz2/entities", "=", "fmri:", f"({ZONE}kz2)"),
    ]
    assert run(host, "svccfg", "-s", KZGUARD, "addpg", "zone-kz2", "dependency").status == 0
    for words in setprops:
        result = run(host, "svccfg", "-s", KZGUARD, "setprop", *words)
        assert (result.status, result.stderr) == (0, "")
    assert f"{ZONE}kz2" in shutdown.leaf_zone_instances(host.read())
    assert run(host, "svcprop", "-p", "zone-kz2/entities", KZGUARD).status == 1
    assert run(host, "svcprop", "-c", "-p", "zone-kz2/entities", KZGUARD).stdout == (f"{ZONE}kz2\n")
    assert run(host, "svcadm", "refresh", KZGUARD).status == 0
    assert shutdown.held_zone_instances(host.read()) == {
        f"{ZONE}kz2": [f"{KZGUARD} (zone-kz2, optional_all)"]
    }
    # Deleting the group and refreshing releases the zone again.
    assert run(host, "svccfg", "-s", KZGUARD, "delpg", "zone-kz2").status == 0
    assert run(host, "svcadm", "refresh", KZGUARD).status == 0
    assert shutdown.held_zone_instances(host.read()) == {}


def test_svccfg_setprop_errors(host: SimHost, tmp_path: Path) -> None:
    imported(host, tmp_path)
    cases = [
        (["addpg", "x", "nosuchtype"], "svccfg: addpg needs a name and a type"),
        (["setprop", "garbage"], "svccfg: setprop: cannot parse 'garbage'"),
        (["setprop", "a/b", "=", "x"], "svccfg: setprop: a/b is a new property: give its type"),
        (["setprop", "a/b", "=", "astring:", "x", "y"], "svccfg: expected one value"),
        (["delprop"], "svccfg: delprop takes one name"),
        (["frob"], "svccfg: unknown subcommand 'frob'"),
    ]
    for words, message in cases:
        result = run(host, "svccfg", "-s", KZGUARD, *words)
        assert result.status == 1
        assert result.stderr.startswith(message), result.stderr
    assert run(host, "svccfg", "-s", KZGUARD, "setprop", "stop/exec", "=", "/bin/x").status == 0
    assert run(host, "svcprop", "-c", "-p", "stop/exec", KZGUARD).stdout == "/bin/x\n"
    assert run(host, "svccfg", "-s", KZGUARD, "setprop", "a/f", "=", "fmri:", "svc:/x").status == 0
    assert run(host, "svcprop", "-c", "-p", "a/f", KZGUARD).stdout == "svc:/x\n"
    assert run(host, "svccfg", "-s", KZGUARD, "delprop", "stop/exec").status == 0
    assert run(host, "svcprop", "-c", "-p", "stop/exec", KZGUARD).status == 1


def test_leaves_are_shut_down_at_once_and_held_zones_after_the_stop_method(
    host: SimHost, tmp_path: Path
) -> None:
    imported(host, tmp_path, ("zone-kz1", "optional_all", "none", f"{ZONE}kz1"))
    with host.edit() as state:
        state["zones"]["kz2"]["config"]["autoshutdown"] = "halt"
        state["zones"]["kz3"]["config"]["autoshutdown"] = "suspend"
    shutdown.begin(host, "6")
    shutdown.stop_method_started(host, KZGUARD)
    runs = shutdown.stop_leaf_zones(host)
    assert sorted(runs) == ["kz2", "kz3", "kz4", "ngz1"]
    shutdown.wait(runs)
    zones = host.read()["zones"]
    assert zones["kz1"]["state"] == "running"
    assert {name: (zones[name]["state"], zones[name]["aux"]) for name in runs} == {
        "kz2": ("installed", []),
        "kz3": ("installed", ["suspended"]),
        "kz4": ("installed", []),
        "ngz1": ("installed", []),
    }
    assert shutdown.stop_leaf_zones(host) == {}  # nothing new until kzguard is down
    shutdown.wait(shutdown.stop_method_ended(host, KZGUARD, 0))
    state = host.read()
    assert state["zones"]["kz1"]["state"] == "installed"
    actions = shutdown.zones_service_actions(state)
    assert [(a["zone"], a["action"], a["status"], a["outcome"]) for a in actions] == [
        ("kz2", "halt", 0, "halted"),
        ("kz3", "suspend", 0, "suspended"),
        ("kz4", "shutdown", 0, "shut down"),
        ("ngz1", "shutdown", 0, "shut down"),
        ("kz1", "shutdown", 0, "shut down"),
    ]
    assert all(a["ended"] >= a["requested"] for a in actions)
    assert shutdown.acted_during(state, KZGUARD) == ["kz2", "kz3", "kz4", "ngz1"]
    assert shutdown.acted_during(state, "svc:/site/other:default") == []
    assert state["smf"][KZGUARD]["restarter/state"] == ["astring", "disabled"]
    logged = [e for e in host.commands() if e["tool"] == "svc.zones" and e["event"] == "start"]
    assert sorted(e["argv"][1] for e in logged) == ["kz1", "kz2", "kz3", "kz4", "ngz1"]


def test_a_zone_smf_dependency_holds_the_zone_it_names(host: SimHost) -> None:
    host.add_smf_dependency("kz2", f"{ZONE}kz3", name="storage")
    for name in ("kz1", "kz4", "ngz1"):
        host.set_zone_setting(name, "autoshutdown", "halt")
    assert shutdown.held_zone_instances(host.read()) == {
        f"{ZONE}kz3": [f"{ZONE}kz2 (storage, require_all)"]
    }
    shutdown.begin(host, "5")
    runs = shutdown.stop_leaf_zones(host)
    assert sorted(runs) == ["kz1", "kz2", "kz4", "ngz1"]
    shutdown.wait(runs)
    # kz2's runner, once kz2 was down, started kz3's autoshutdown itself.
    for _ in range(200):
        actions = shutdown.zones_service_actions(host.read())
        if len(actions) == 5 and actions[-1]["ended"] is not None:
            break
        subprocess.run(["sleep", "0.05"], check=True)
    assert [a["zone"] for a in actions][-1] == "kz3"
    assert host.zone("kz3")["state"] == "installed"


def test_the_zones_service_races_kzguards_suspend(host: SimHost) -> None:
    """A leaf's autoshutdown and kzguard's own zoneadm suspend serialise on the
    zone; whichever comes second finds it no longer running."""
    shutdown.begin(host, "6")
    suspend = start(host, "zoneadm", "-z", "kz1", "suspend")
    runs = shutdown.stop_leaf_zones(host)
    _, err = suspend.communicate(timeout=60)
    shutdown.wait(runs)
    action = next(a for a in shutdown.zones_service_actions(host.read()) if a["zone"] == "kz1")
    zone = host.zone("kz1")
    if suspend.returncode == 0:
        assert (zone["aux"], action["status"], action["messages"]) == (
            ["suspended"],
            1,
            ["not running"],
        )
    else:
        assert (err, zone["aux"], action["outcome"]) == (
            "zoneadm: zone 'kz1': not running\n",
            [],
            "shut down",
        )


def test_a_failed_suspend_falls_back_to_shutdown(host: SimHost) -> None:
    host.set_zone_setting("kz1", "autoshutdown", "suspend")
    host.set_fault("kz1", "suspend", "lose-image")
    host.set_zone_setting("kz2", "autoshutdown", "suspend")
    host.set_fault("kz2", "suspend", "enospc")
    shutdown.begin(host, "6")
    runs = shutdown.stop_leaf_zones(host)
    shutdown.wait(runs)
    actions = {a["zone"]: a for a in shutdown.zones_service_actions(host.read())}
    assert (actions["kz1"]["status"], actions["kz1"]["outcome"]) == (1, "suspend failed")
    assert (actions["kz2"]["status"], actions["kz2"]["outcome"]) == (
        0,
        "shut down (cannot suspend)",
    )
    assert host.zone("kz2")["state"] == "installed"


def test_a_failed_stop_method_leaves_maintenance(host: SimHost, tmp_path: Path) -> None:
    imported(host, tmp_path, ("zone-kz1", "optional_all", "none", f"{ZONE}kz1"))
    shutdown.begin(host, "6")
    shutdown.wait(shutdown.stop_leaf_zones(host))
    runs = shutdown.stop_method_ended(host, KZGUARD, None)
    assert sorted(runs) == ["kz1"]
    shutdown.wait(runs)
    state = host.read()
    assert state["smf"][KZGUARD]["restarter/state"] == ["astring", "maintenance"]
    assert shutdown.acted_during(state, KZGUARD) == []  # never recorded as started

"""The state file, its lock and the host layout create_host makes."""

from __future__ import annotations

import dataclasses
import marshal
import os
import re
import stat
import sys
from pathlib import Path

import pytest

from kzguard.policy.model import Commands
from kzguard.sim.create import create_host
from kzguard.sim.state import SimHost, SimStateError
from kzguard.units import parse_size
from tests.sim.helpers import run

TOOLS = (
    *("zoneadm", "zonecfg", "zlogin", "svcprop", "svcadm", "svccfg", "who", "df", "kstat"),
    *("init", "shutdown", "beadm", "zpool"),
)
# The policy points kzguard at those its [commands] table knows (zpool only once
# kzguard runs it: kzguard/sim/create.py POLICY_TOOLS).
IN_POLICY = tuple(tool for tool in TOOLS if tool in {f.name for f in dataclasses.fields(Commands)})


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_create_host_lays_out_executables_policy_and_state_dir(tmp_path: Path) -> None:
    host = create_host(tmp_path / "h", zones=3, seed=7, time_scale=0.05)
    assert host.path == (tmp_path / "h").resolve()
    for tool in TOOLS:
        script = host.bin_dir / tool
        assert _mode(script) == 0o755
        first = script.read_text().splitlines()[0]
        assert first == f"#!{sys.executable} -S"
    assert _mode(host.state_dir) == 0o755
    assert host.state_dir == host.path / "var" / "share" / "kzguard"
    assert _mode(host.policy_path) == 0o644
    commands = "".join(f'{tool} = "{host.bin_dir / tool}"\n' for tool in IN_POLICY)
    assert host.policy_path.read_text() == (
        f"# kzguard policy for the simulated host {host.path} (kzguard sim create).\n"
        f'[commands]\n{commands}\n[paths]\nstate_dir = "{host.state_dir}"\n'
        f'console = "{host.console_path}"\n'
    )
    state = host.read()
    assert state["time_scale"] == 0.05
    assert state["release"] == "11.4"
    assert list(state["zones"]) == ["kz1", "kz2", "kz3", "ngz1"]


def test_created_zones_are_running_kernel_zones_plus_one_native_zone(host: SimHost) -> None:
    state = host.read()
    kernel = {n: z for n, z in state["zones"].items() if z["brand"] == "solaris-kz"}
    assert sorted(kernel) == ["kz1", "kz2", "kz3", "kz4"]
    assert [z["id"] for z in state["zones"].values()] == [1, 2, 3, 4, 5]
    assert state["next_zone_id"] == 6
    boot_times = [z["boot_time"] for z in state["zones"].values()]
    assert len(set(boot_times)) == len(boot_times)
    paths = set()
    images = 0
    for name, zone in kernel.items():
        config = zone["config"]
        assert zone["state"] == "running"
        assert config["autoboot"] is False
        assert config["autoshutdown"] == "shutdown"
        assert config["physical"] in ("2G", "4G", "8G", "16G", "32G")
        assert 0.3 <= zone["image_ratio"] <= 0.9
        paths.add(config["suspend"]["path"].replace(name, "NAME"))
        images += int(parse_size(config["physical"]) * zone["image_ratio"])
    # Both the literal path and the %{zonename} token occur.
    assert paths == {"/system/zones/NAME/suspend", "/system/zones/%{zonename}/suspend"}
    ngz1 = state["zones"]["ngz1"]
    assert (ngz1["brand"], ngz1["state"], ngz1["zonepath"], ngz1["config"]["suspend"]) == (
        "solaris",
        "running",
        "/zones/ngz1",
        None,
    )
    zones_fs = next(fs for fs in state["filesystems"] if fs["mount"] == "/system/zones")
    room = max(images * 1.5, sum(parse_size(z["config"]["physical"]) for z in kernel.values()))
    assert room <= zones_fs["available"] < room + (1 << 20)
    assert state["runlevel"]["current"] == "3"
    assert state["runlevel"]["previous"] == "S"


def test_same_seed_same_host_other_seed_other_memory(tmp_path: Path) -> None:
    def memories(path: Path, seed: int) -> list[str]:
        zones = create_host(path, zones=6, seed=seed).read()["zones"]
        return [z["config"]["physical"] for z in zones.values() if z["brand"] == "solaris-kz"]

    assert memories(tmp_path / "a", 3) == memories(tmp_path / "b", 3)
    assert memories(tmp_path / "a2", 3) != memories(tmp_path / "c", 4)


def test_create_host_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    with pytest.raises(FileExistsError, match="not an empty directory"):
        create_host(tmp_path / "full")
    (tmp_path / "empty").mkdir()
    assert create_host(tmp_path / "empty").read()["zones"]


def _abandoned_edit(host: SimHost) -> None:
    with host.edit() as state:
        state["zones"]["kz1"]["config"]["autoboot"] = False
        raise RuntimeError("abandon")


def test_edit_writes_back_and_an_exception_discards_the_change(host: SimHost) -> None:
    with host.edit() as state:
        state["zones"]["kz1"]["config"]["autoboot"] = True
    assert host.zone("kz1")["config"]["autoboot"] is True
    with pytest.raises(RuntimeError, match="abandon"):
        _abandoned_edit(host)
    assert host.zone("kz1")["config"]["autoboot"] is True
    assert _mode(host.state_file) == 0o644
    assert not [p for p in os.listdir(host.path) if p.startswith(".state.")]


def _hold(host: SimHost, zone: str, op_id: str | None) -> None:
    with host.edit() as state:
        state["zones"][zone]["op"] = op_id and {
            "kind": "suspend",
            "op_id": op_id,
            "pid": os.getpid(),
            "reserved": 0,
            "mount": None,
        }


def test_each_operation_in_flight_has_a_marker_while_it_holds_its_zone(host: SimHost) -> None:
    _hold(host, "kz1", "op-a")
    _hold(host, "kz2", "op-b")
    assert sorted(os.listdir(host.path / "ops")) == ["op-a", "op-b"]
    assert os.path.exists(host.op_marker("op-a"))
    _hold(host, "kz1", "op-c")  # taken over, as a halt does
    _hold(host, "kz2", None)
    assert sorted(os.listdir(host.path / "ops")) == ["op-c"]
    assert not os.path.exists(host.op_marker("op-a"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff{not marshal", "garbled state file: bad marshal data (unknown type code)"),
        (b"", "garbled state file: EOF read where object expected"),
        (marshal.dumps([1, 2], 2), "not a kzguard simulator state file"),
        (marshal.dumps({"version": 1}, 2), "missing release"),
    ],
)
def test_garbled_state_is_a_clear_error(host: SimHost, content: bytes, message: str) -> None:
    host.state_file.write_bytes(content)
    with pytest.raises(SimStateError, match=re.escape(message)):
        host.read()
    result = run(host, "zoneadm", "list")
    assert result.status == 3
    assert message in result.stderr
    assert result.stderr.startswith("zoneadm: simulated host: ")


def test_a_host_made_by_an_older_kzguard_is_named_as_such(host: SimHost) -> None:
    host.state_file.rename(host.path / "state.json")
    with pytest.raises(SimStateError) as caught:
        host.read()
    assert str(caught.value) == (
        f"{host.root}: a simulated host of an older kzguard (state.json): "
        "make it again with kzguard sim create"
    )


def test_wrong_version_and_missing_host_are_clear_errors(tmp_path: Path, host: SimHost) -> None:
    state = marshal.loads(host.state_file.read_bytes())  # noqa: S302  (its own file)
    state["version"] = 99
    host.state_file.write_bytes(marshal.dumps(state, 2))
    with pytest.raises(SimStateError, match="unsupported simulator state version 99"):
        host.read()
    with pytest.raises(SimStateError, match="no simulated host here"):
        SimHost(tmp_path / "nowhere").read()


def test_set_fault_validates_and_faults_persist_until_cleared(host: SimHost) -> None:
    host.set_fault("kz1", "suspend", "enospc")
    host.set_fault("kz1", "resume", "corrupt")
    assert host.zone("kz1")["faults"] == {"suspend": "enospc", "resume": "corrupt"}
    with pytest.raises(ValueError, match="unknown operation 'migrate'"):
        host.set_fault("kz1", "migrate", "hang")
    with pytest.raises(ValueError, match="unknown boot fault 'hang'"):
        host.set_fault("kz1", "boot", "hang")
    with pytest.raises(KeyError, match="no zone 'kz9'"):
        host.set_fault("kz9", "boot", "fail")
    host.clear_faults("kz1")
    assert host.zone("kz1")["faults"] == {}


def test_set_runlevel_updates_who_and_the_restarter_property(host: SimHost) -> None:
    host.set_runlevel("6")
    state = host.read()
    assert state["runlevel"]["current"] == "6"
    assert state["runlevel"]["previous"] == "3"
    runlevel = state["smf"]["svc:/system/svc/restarter:default"]["options_ovr/runlevel"]
    assert runlevel == ["astring", "6"]
    host.set_runlevel("0", "S")
    assert host.read()["runlevel"]["previous"] == "S"


def test_command_log_records_argv_unshelled_and_exit_status(host: SimHost) -> None:
    assert host.commands() == []
    run(host, "zlogin", "-n", "kz1", "/usr/bin/kstat -p unix:0:system_misc:boot_time")
    run(host, "zoneadm", "-z", "nosuch", "halt")
    events = host.commands()
    assert [(e["event"], e["tool"]) for e in events] == [
        ("start", "zlogin"),
        ("end", "zlogin"),
        ("start", "zoneadm"),
        ("end", "zoneadm"),
    ]
    assert events[0]["argv"] == [
        host.executable("zlogin"),
        "-n",
        "kz1",
        "/usr/bin/kstat -p unix:0:system_misc:boot_time",
    ]
    assert events[1]["status"] == 0
    assert events[3]["status"] == 1
    assert events[0]["pid"] == events[1]["pid"] != events[2]["pid"]
    assert events[0]["time"] <= events[1]["time"] <= events[2]["time"]


def test_garbled_command_log_is_a_clear_error(host: SimHost) -> None:
    host.log_path.write_text('{"event": "start"}\nnot json\n')
    with pytest.raises(SimStateError, match=r"commands.log:2: garbled log line"):
        host.commands()

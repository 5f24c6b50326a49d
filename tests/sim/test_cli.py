"""``kzguard sim ...`` and ``python3 -m kzguard.sim.cli ...``."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from kzguard.sim import cli
from kzguard.sim.state import SimHost


def sim(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kzguard.sim.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_create_fault_runlevel_show_standalone(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    result = sim("create", str(target), "--zones", "2", "--seed", "5", "--time-scale", "0.02")
    assert result.returncode == 0, result.stderr
    assert f"simulated host created in {target}" in result.stdout
    host = SimHost(target)
    assert host.read()["time_scale"] == 0.02
    assert sim("fault", str(target), "kz1", "suspend", "hang").returncode == 0
    assert host.zone("kz1")["faults"] == {"suspend": "hang"}
    assert sim("clear-faults", str(target), "kz1").returncode == 0
    assert host.zone("kz1")["faults"] == {}
    assert sim("runlevel", str(target), "6").returncode == 0
    assert host.read()["runlevel"]["current"] == "6"
    printed = sim("state", str(target))
    assert printed.returncode == 0, printed.stderr
    assert json.loads(printed.stdout) == host.read()
    shown = sim("show", str(target)).stdout.splitlines()
    assert shown[0].split() == [
        "ID",
        "NAME",
        "STATUS",
        "BRAND",
        "MEMORY",
        "AUX",
        "BOOTED",
        "IMAGE",
        "FAULTS",
    ]
    assert shown[1].split()[:4] == ["0", "global", "running", "solaris"]
    assert shown[2].split()[:4] == ["1", "kz1", "running", "solaris-kz"]
    assert any(line.startswith("rpool/VARSHARE/zones") for line in shown)
    assert " run-level 6 " in shown[-1]


def test_host_events_print_what_happened(tmp_path: Path) -> None:
    target = tmp_path / "h"
    assert sim("create", str(target), "--zones", "1").returncode == 0
    assert sim("zones-stop", str(target)).stdout == "kz1: shut down\nngz1: shut down\n"
    with SimHost(target).edit() as state:
        state["zones"]["kz1"]["config"]["autoboot"] = True
    assert sim("zones-start", str(target)).stdout == "kz1: booted\n"
    assert sim("reboot", str(target)).stdout == "kz1: halted\n"
    assert sim("zones-start", str(target)).stdout == "kz1: booted\n"
    assert sim("power-off", str(target)).stdout == "kz1: lost\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["fault", "{dir}", "kz9", "boot", "fail"],
            "kzguard sim: no zone 'kz9' on the simulated host",
        ),
        (["fault", "{dir}", "kz1", "boot", "hang"], "kzguard sim: unknown boot fault 'hang'"),
        (["create", "{dir}"], "kzguard sim: {dir} exists and is not an empty directory"),
        (["show", "{dir}/nowhere"], "kzguard sim: {dir}/nowhere: no such directory"),
    ],
)
def test_errors_exit_2_with_a_clear_message(tmp_path: Path, args: list[str], message: str) -> None:
    target = tmp_path / "h"
    assert sim("create", str(target), "--zones", "1").returncode == 0
    result = sim(*[arg.format(dir=target) for arg in args])
    assert result.returncode == 2
    assert result.stderr.startswith(message.format(dir=target))


def test_add_parser_wires_into_a_parent_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = argparse.ArgumentParser(prog="kzguard")
    subparsers = parser.add_subparsers(dest="command", required=True)
    cli.add_parser(subparsers)
    args = parser.parse_args(["sim", "create", str(tmp_path / "x"), "--zones", "1"])
    assert args.sim_run is cli.run
    assert args.handler is cli.run
    assert args.sim_run(args) == 0
    assert "simulated host created" in capsys.readouterr().out
    assert SimHost(tmp_path / "x").zone("kz1")["state"] == "running"


def test_kzguard_sim_through_the_main_command(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kzguard", "sim", "create", str(tmp_path / "k"), "--zones", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert SimHost(tmp_path / "k").zone("kz1")["brand"] == "solaris-kz"


def test_create_sets_the_power_cycle_and_refuses_a_negative_one(tmp_path: Path) -> None:
    target = tmp_path / "slow"
    made = sim("create", str(target), "--zones", "1", "--reboot-seconds", "240")
    assert made.returncode == 0, made.stderr
    assert SimHost(target).read()["reboot_seconds"] == 240.0
    refused = sim("create", str(tmp_path / "bad"), "--zones", "1", "--reboot-seconds", "-1")
    assert (refused.returncode, refused.stdout) == (2, "")
    assert refused.stderr == "kzguard sim: --reboot-seconds must be 0 or more seconds, not -1\n"
    assert not (tmp_path / "bad").exists()

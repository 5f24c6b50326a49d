"""Free space for the suspend images: one ``df -k`` for many directories, and each
directory on its own when that call fails (the host adapter against the simulator)."""

from __future__ import annotations

from typing import Any

import pytest

import kzguard.solaris.host as host_module
from kzguard.model import FileSystemSpace
from kzguard.policy.file import load_policy
from kzguard.sim.state import SimHost
from kzguard.solaris.host import Host

KIB = 1024


def df_calls(host: SimHost) -> list[list[str]]:
    return [
        event["argv"][1:]
        for event in host.commands()
        if event["event"] == "start" and event["tool"] == "df"
    ]


@pytest.fixture
def host_options() -> dict[str, Any]:
    return {"zones": 2, "seed": 0}


def space(host: SimHost, mount_point: str) -> FileSystemSpace:
    """What df -k reports for the simulated file system mounted at ``mount_point``
    (whole kilobytes, as df prints them)."""
    for filesystem in host.read()["filesystems"]:
        if filesystem["mount"] == mount_point:
            available = filesystem["available"] // KIB * KIB
            return FileSystemSpace(filesystem["filesystem"], mount_point, available)
    raise AssertionError(mount_point)


def adapter(host: SimHost) -> Host:
    return Host(load_policy(str(host.policy_path), explicit=True).commands)


def test_one_df_answers_for_every_directory(host: SimHost) -> None:
    paths = ["/system/zones/kz1", "/var/tmp", "/system/zones/kz2"]
    zones, root = space(host, "/system/zones"), space(host, "/")
    assert adapter(host).free_spaces(paths) == {
        "/system/zones/kz1": zones,
        "/var/tmp": root,
        "/system/zones/kz2": zones,
    }
    assert df_calls(host) == [["-k", *paths]]


def test_a_failing_batch_is_asked_path_by_path(host: SimHost) -> None:
    paths = ["/system/zones/kz1", "relative/path"]
    found = adapter(host).free_spaces(paths)
    assert found == {
        "/system/zones/kz1": space(host, "/system/zones"),
        "relative/path": f"{host.bin_dir}/df -k relative/path: exited with status 1: "
        "df: (relative/path) not a block device, directory or mounted resource",
    }
    calls = df_calls(host)
    assert calls[0] == ["-k", *paths]
    assert sorted(map(tuple, calls[1:])) == [("-k", "/system/zones/kz1"), ("-k", "relative/path")]


def test_batches_are_bounded(host: SimHost, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(host_module, "DF_OPERANDS", 2)
    paths = ["/system/zones/kz1", "/system/zones/kz2", "/var/tmp"]
    zones, root = space(host, "/system/zones"), space(host, "/")
    assert adapter(host).free_spaces(paths) == {
        "/system/zones/kz1": zones,
        "/system/zones/kz2": zones,
        "/var/tmp": root,
    }
    assert df_calls(host) == [["-k", *paths[:2]], ["-k", paths[2]]]

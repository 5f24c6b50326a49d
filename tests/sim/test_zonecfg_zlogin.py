"""zonecfg export/info and zlogin, per docs/formats.md."""

from __future__ import annotations

import pytest

from kzguard.model import SuspendResource
from kzguard.sim.state import SimHost
from kzguard.solaris.parse.zonecfg import parse_zonecfg_export
from tests.sim.helpers import run

KSTAT = ("/usr/bin/kstat", "-p", "unix:0:system_misc:boot_time")
MILESTONE = ("/usr/bin/svcs", "-H", "-o", "state", "svc:/milestone/multi-user-server:default")


def test_export_of_a_kernel_zone(host: SimHost) -> None:
    physical = host.zone("kz1")["config"]["physical"]
    result = run(host, "zonecfg", "-z", "kz1", "export")
    assert (result.status, result.stderr) == (0, "")
    assert result.stdout == (
        "create -b\n"
        "set brand=solaris-kz\n"
        "set autoboot=false\n"
        "set autoshutdown=shutdown\n"
        "add anet\n"
        "set lower-link=auto\n"
        "set mac-address=auto\n"
        "set id=0\n"
        "end\n"
        "add device\n"
        "set storage=dev:/dev/zvol/dsk/rpool/VARSHARE/zones/kz1/disk0\n"
        "set bootpri=0\n"
        "set id=0\n"
        "end\n"
        "add capped-memory\n"
        f"set physical={physical}\n"
        "end\n"
        "add suspend\n"
        "set path=/system/zones/%{zonename}/suspend\n"
        "end\n"
    )


def test_export_quotes_values_with_spaces_and_omits_unset_things(host: SimHost) -> None:
    with host.edit() as state:
        config = state["zones"]["kz2"]["config"]
        config.update(autoboot=True, autoshutdown=None, bootargs="kz=d -k", physical=None)
        config["suspend"] = {"path": None, "storage": "iscsi://system/luname.naa.5013"}
    lines = run(host, "zonecfg", "-z", "kz2", "export").stdout.splitlines()
    assert lines[:4] == [
        "create -b",
        "set brand=solaris-kz",
        "set autoboot=true",
        'set bootargs="kz=d -k"',
    ]
    assert "add capped-memory" not in lines
    assert lines[-3:] == ["add suspend", "set storage=iscsi://system/luname.naa.5013", "end"]


def test_export_quotes_as_illumos_quoteit_does(host: SimHost) -> None:
    # Quoted only for a space, nothing inside escaped (illumos zonecfg.c quoteit());
    # kzguard's parser reads it back.
    with host.edit() as state:
        config = state["zones"]["kz2"]["config"]
        config.update(bootargs='-m "verbose" -k')
        config["suspend"] = {"path": "/zones/kz2;\timage", "storage": None}
    text = run(host, "zonecfg", "-z", "kz2", "export").stdout
    assert 'set bootargs="-m "verbose" -k"' in text.splitlines()
    assert "set path=/zones/kz2;\timage" in text.splitlines()
    parsed = parse_zonecfg_export("kz2", text)
    assert parsed.suspend == SuspendResource(path="/zones/kz2;\timage")


def test_export_of_the_native_zone(host: SimHost) -> None:
    assert run(host, "zonecfg", "-z", "ngz1", "export").stdout == (
        "create -b\n"
        "set zonepath=/zones/ngz1\n"
        "set autoboot=false\n"
        "set autoshutdown=shutdown\n"
        "set ip-type=exclusive\n"
        "add anet\n"
        "set lower-link=auto\n"
        "set mac-address=auto\n"
        "set id=0\n"
        "end\n"
    )


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        ("autoboot", "autoboot: false\n"),
        ("autoshutdown", "autoshutdown: shutdown\n"),
        ("brand", "brand: solaris-kz\n"),
        ("capped-memory", "capped-memory:\n\tphysical: {physical}\n"),
        ("suspend", "suspend:\n\tpath: /system/zones/kz2/suspend\n\tstorage not specified\n"),
    ],
)
def test_info_topics(host: SimHost, topic: str, expected: str) -> None:
    physical = host.zone("kz2")["config"]["physical"]
    result = run(host, "zonecfg", "-z", "kz2", "info", topic)
    assert (result.status, result.stderr) == (0, "")
    assert result.stdout == expected.format(physical=physical)
    # zonecfg reads one command line, however it is split into arguments.
    assert run(host, "zonecfg", "-z", "kz2", f"info {topic}").stdout == result.stdout


def test_info_of_missing_things_prints_nothing(host: SimHost) -> None:
    for topic in ("suspend", "capped-memory"):
        result = run(host, "zonecfg", "-z", "ngz1", "info", topic)
        assert (result.status, result.stdout, result.stderr) == (0, "", "")
    with host.edit() as state:
        state["zones"]["kz1"]["config"]["autoshutdown"] = None
    assert run(host, "zonecfg", "-z", "kz1", "info", "autoshutdown").stdout == ""


def test_info_without_topic(host: SimHost) -> None:
    physical = host.zone("kz1")["config"]["physical"]
    assert run(host, "zonecfg", "-z", "kz1", "info").stdout == (
        "zonename: kz1\n"
        "brand: solaris-kz\n"
        "autoboot: false\n"
        "autoshutdown: shutdown\n"
        "bootargs: \n"
        "capped-memory:\n"
        f"\tphysical: {physical}\n"
        "suspend:\n"
        "\tpath: /system/zones/%{zonename}/suspend\n"
        "\tstorage not specified\n"
    )


def test_zonecfg_errors(host: SimHost) -> None:
    result = run(host, "zonecfg", "-z", "kz9", "export")
    assert (result.status, result.stdout, result.stderr) == (
        1,
        "",
        "zonecfg:kz9: No such zone configured\n",
    )
    for args in (["export"], ["-z", "kz1"], ["-z", "kz1", "info", "anet"], ["-z", "kz1", "delete"]):
        result = run(host, "zonecfg", *args)
        assert result.status == 2, args
        assert result.stderr.startswith("usage:\tzonecfg -z <zone> export\n")


def test_zlogin_boot_time_and_milestone(host: SimHost) -> None:
    boot_time = host.zone("kz1")["boot_time"]
    result = run(host, "zlogin", "-n", "kz1", *KSTAT)
    assert (result.status, result.stdout, result.stderr) == (
        0,
        f"unix:0:system_misc:boot_time\t{boot_time}\n",
        "",
    )
    assert run(host, "zlogin", "-n", "kz1", *MILESTONE).stdout == "online\n"
    # The zone's shell splits a single-argument command line the same way.
    assert run(host, "zlogin", "kz1", " ".join(KSTAT)).stdout == result.stdout
    assert run(host, "zlogin", "kz1", "kstat", "-p", "unix:0:system_misc:boot_time").status == 0


def test_zlogin_true_false_and_unknown_commands(host: SimHost) -> None:
    assert run(host, "zlogin", "-n", "kz1", "/usr/bin/true").status == 0
    assert run(host, "zlogin", "-n", "kz1", "/usr/bin/false").status == 1
    result = run(host, "zlogin", "-n", "kz1", "/opt/app/bin/ready", "--now")
    assert (result.status, result.stdout, result.stderr) == (
        127,
        "",
        "sh: /opt/app/bin/ready: not found\n",
    )


def test_zlogin_readiness_command_table(host: SimHost) -> None:
    host.set_zone_command("kz1", "/opt/app/bin/ready --now", stdout="ready\n", not_ready_status=3)
    result = run(host, "zlogin", "-n", "kz1", "/opt/app/bin/ready", "--now")
    assert (result.status, result.stdout, result.stderr) == (0, "ready\n", "")
    with host.edit() as state:
        state["zones"]["kz1"]["online_at"] = 4e9  # milestone not yet online
    result = run(host, "zlogin", "-n", "kz1", "/opt/app/bin/ready --now")
    assert (result.status, result.stdout) == (3, "")
    assert run(host, "zlogin", "-n", "kz1", *MILESTONE).stdout == "offline\n"
    host.set_zone_command("kz2", "/opt/check", status=5, stderr="not yet\n")
    result = run(host, "zlogin", "kz2", "/opt/check")
    assert (result.status, result.stderr) == (5, "not yet\n")


def test_zlogin_refuses_zones_that_are_not_running(host: SimHost) -> None:
    assert run(host, "zoneadm", "-z", "kz1", "suspend").status == 0
    result = run(host, "zlogin", "-n", "kz1", *KSTAT)
    assert (result.status, result.stdout, result.stderr) == (
        1,
        "",
        "zlogin: login allowed only to running zones (kz1 is 'installed').\n",
    )
    result = run(host, "zlogin", "-n", "kz9", "/usr/bin/true")
    assert (result.status, result.stderr) == (1, "zlogin: zone 'kz9' unknown\n")
    result = run(host, "zlogin", "global", "/usr/bin/true")
    assert (result.status, result.stderr) == (
        1,
        "zlogin: 'zlogin' not applicable to the global zone\n",
    )


@pytest.mark.parametrize(
    "args",
    [
        ["kz1"],
        ["-l", "root", "kz1", "true"],
        ["-C", "kz1"],
        ["kz1", "kstat", "-p", "cpu_info:0"],
        ["kz1", "svcs", "-a"],
    ],
)
def test_zlogin_usage_errors(host: SimHost, args: list[str]) -> None:
    assert run(host, "zlogin", *args).status == 2

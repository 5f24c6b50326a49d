"""zoneadm list in every form docs/formats.md describes, and zoneadm's usage errors."""

from __future__ import annotations

import pytest

from kzguard.sim.state import SimHost
from tests.sim.helpers import run

LIST_USAGE = "usage:\tlist [-cipsv]\n"


def _uuid(host: SimHost, name: str) -> str:
    return str(host.zone(name)["uuid"])


def _suspend_kz2_and_halt_kz3(host: SimHost) -> None:
    assert run(host, "zoneadm", "-z", "kz2", "suspend").status == 0
    assert run(host, "zoneadm", "-z", "kz3", "halt").status == 0


def test_list_cp_prints_ten_fields_with_trailing_empty_one(host: SimHost) -> None:
    _suspend_kz2_and_halt_kz3(host)
    result = run(host, "zoneadm", "list", "-cp")
    assert result.status == 0
    assert result.stderr == ""
    assert result.stdout == (
        "0:global:running:/::solaris:shared:-:none:\n"
        f"1:kz1:running:/system/zones/kz1:{_uuid(host, 'kz1')}:solaris-kz:excl:-::\n"
        f"4:kz4:running:/system/zones/kz4:{_uuid(host, 'kz4')}:solaris-kz:excl:-::\n"
        f"5:ngz1:running:/zones/ngz1:{_uuid(host, 'ngz1')}:solaris:excl:-::\n"
        f"-:kz2:installed:/system/zones/kz2:{_uuid(host, 'kz2')}:solaris-kz:excl:-::\n"
        f"-:kz3:installed:/system/zones/kz3:{_uuid(host, 'kz3')}:solaris-kz:excl:-::\n"
    )


def test_list_p_without_c_lists_running_zones_only(host: SimHost) -> None:
    _suspend_kz2_and_halt_kz3(host)
    names = [line.split(":")[1] for line in run(host, "zoneadm", "list", "-p").stdout.splitlines()]
    assert names == ["global", "kz1", "kz4", "ngz1"]
    installed = run(host, "zoneadm", "list", "-ip").stdout.splitlines()
    assert [line.split(":")[1] for line in installed] == [
        "global",
        "kz1",
        "kz4",
        "ngz1",
        "kz2",
        "kz3",
    ]
    assert run(host, "zoneadm", "list").stdout == "global\nkz1\nkz4\nngz1\n"


def test_zonepath_colons_are_escaped(host: SimHost) -> None:
    with host.edit() as state:
        state["zones"]["ngz1"]["zonepath"] = "/zones/a:b"
    line = run(host, "zoneadm", "-z", "ngz1", "list", "-p").stdout
    assert line == f"5:ngz1:running:/zones/a\\:b:{_uuid(host, 'ngz1')}:solaris:excl:-::\n"


def test_list_cv_columns(host: SimHost) -> None:
    _suspend_kz2_and_halt_kz3(host)
    assert run(host, "zoneadm", "list", "-cv").stdout == (
        "  ID NAME             STATUS      PATH                         BRAND      IP\n"
        "   0 global           running     /                            solaris    shared\n"
        "   1 kz1              running     -                            solaris-kz excl\n"
        "   4 kz4              running     -                            solaris-kz excl\n"
        "   5 ngz1             running     /zones/ngz1                  solaris    excl\n"
        "   - kz2              installed   -                            solaris-kz excl\n"
        "   - kz3              installed   -                            solaris-kz excl\n"
    )


def test_list_s_shows_the_auxiliary_state(host: SimHost) -> None:
    _suspend_kz2_and_halt_kz3(host)
    assert run(host, "zoneadm", "list", "-cs").stdout == (
        "NAME             STATUS           AUXILIARY STATE\n"
        "global           running\n"
        "kz1              running\n"
        "kz4              running\n"
        "ngz1             running\n"
        "kz2              installed        suspended\n"
        "kz3              installed\n"
    )
    assert run(host, "zoneadm", "list", "-s").stdout.splitlines()[1:] == [
        "global           running",
        "kz1              running",
        "kz4              running",
        "ngz1             running",
    ]
    single = run(host, "zoneadm", "-z", "kz2", "list", "-s")
    assert single.stdout.splitlines() == [
        "NAME             STATUS           AUXILIARY STATE",
        "kz2              installed        suspended",
    ]


def test_several_auxiliary_states_are_comma_separated(host: SimHost) -> None:
    with host.edit() as state:
        state["zones"]["kz1"]["aux"] = ["debugging", "panicked"]
    assert "kz1              running          debugging,panicked\n" in (
        run(host, "zoneadm", "list", "-s").stdout
    )


def test_list_cs_can_be_made_a_usage_error(host: SimHost) -> None:
    with host.edit() as state:
        state["list_s_accepts_c"] = False
    result = run(host, "zoneadm", "list", "-cs")
    assert (result.status, result.stdout, result.stderr) == (2, "", LIST_USAGE)
    assert run(host, "zoneadm", "list", "-s").status == 0


def test_z_list_p_lists_that_zone_whatever_its_state(host: SimHost) -> None:
    _suspend_kz2_and_halt_kz3(host)
    result = run(host, "zoneadm", "-z", "kz3", "list", "-p")
    assert (
        result.stdout
        == f"-:kz3:installed:/system/zones/kz3:{_uuid(host, 'kz3')}:solaris-kz:excl:-::\n"
    )
    assert run(host, "zoneadm", "-z", "global", "list", "-p").stdout == (
        "0:global:running:/::solaris:shared:-:none:\n"
    )
    assert run(host, "zoneadm", "-z", "kz1", "list").stdout == "kz1\n"
    verbose = run(host, "zoneadm", "-z", "kz1", "list", "-v").stdout.splitlines()
    assert (
        verbose[1]
        == "   1 kz1              running     -                            solaris-kz excl"
    )


def test_unknown_zone(host: SimHost) -> None:
    result = run(host, "zoneadm", "-z", "kz9", "list", "-p")
    assert (result.status, result.stdout) == (1, "")
    assert result.stderr == "zoneadm: zone 'kz9': No such zone configured\n"
    for subcommand in ("boot", "suspend", "halt", "shutdown", "reboot"):
        result = run(host, "zoneadm", "-z", "kz9", subcommand)
        assert (result.status, result.stderr) == (
            1,
            "zoneadm: zone 'kz9': No such zone configured\n",
        ), subcommand


@pytest.mark.parametrize(
    "args",
    [
        ["list", "-x"],
        ["list", "extra"],
        ["-z", "kz1", "list", "-c"],
        ["-z", "kz1", "list", "-i"],
        ["list", "-sp"],
        ["list", "-sv"],
    ],
)
def test_list_usage_errors(host: SimHost, args: list[str]) -> None:
    result = run(host, "zoneadm", *args)
    assert (result.status, result.stdout, result.stderr) == (2, "", LIST_USAGE)


def test_p_and_v_are_mutually_exclusive(host: SimHost) -> None:
    result = run(host, "zoneadm", "list", "-pv")
    assert (result.status, result.stderr) == (
        1,
        "zoneadm: list -p and -v are mutually exclusive.\n",
    )


@pytest.mark.parametrize(
    "args",
    [[], ["-R", "/a", "list"], ["-z", "kz1", "migrate"], ["-u", "x", "list"], ["-z", "kz1"]],
)
def test_unsupported_invocations_print_the_usage(host: SimHost, args: list[str]) -> None:
    result = run(host, "zoneadm", *args)
    assert result.status == 2
    assert result.stdout == ""
    assert result.stderr.startswith("usage:\tzoneadm help\n")
    assert "suspend\n" in result.stderr


def test_help_goes_to_stdout(host: SimHost) -> None:
    result = run(host, "zoneadm", "help")
    assert result.status == 0
    assert result.stdout.startswith("usage:\tzoneadm help\n")


@pytest.mark.parametrize(
    ("args", "usage"),
    [
        (["suspend", "-x"], "usage:\tsuspend\n"),
        (["halt", "now"], "usage:\thalt\n"),
        (["shutdown", "-r"], "usage:\tshutdown\n"),
        (["boot", "-x"], "usage:\tboot [-R] [-- boot_arguments]\n"),
    ],
)
def test_subcommand_usage_errors(host: SimHost, args: list[str], usage: str) -> None:
    result = run(host, "zoneadm", "-z", "kz1", *args)
    assert (result.status, result.stderr) == (2, usage)
    assert host.zone("kz1")["state"] == "running"


def test_operations_need_a_zone_and_not_the_global_one(host: SimHost) -> None:
    result = run(host, "zoneadm", "halt")
    assert (result.status, result.stderr) == (1, "zoneadm: no zone specified\n")
    result = run(host, "zoneadm", "-z", "global", "suspend")
    assert (result.status, result.stderr) == (
        1,
        "zoneadm: zone 'global': suspend operation is invalid for the global zone.\n",
    )


def test_plain_list_shows_every_zone_the_kernel_has_even_ready_ones(host: SimHost) -> None:
    # illumos zone_print_list prints the kernel's zones whatever the state.
    _suspend_kz2_and_halt_kz3(host)
    with host.edit() as state:
        state["zones"]["kz3"].update(state="ready", id=9)
        state["zones"]["kz4"]["state"] = "shutting_down"
    assert run(host, "zoneadm", "list").stdout == "global\nkz1\nkz4\nngz1\nkz3\n"
    assert (
        run(host, "zoneadm", "list", "-ip").stdout.splitlines()[-1].startswith("-:kz2:installed:")
    )

"""The pure parsers of Solaris command output (kzguard.solaris.parse, one module per tool).

Fixtures in tests/data/solaris/ are one command output per file; each test names the
exact values it expects.  Every error path asserts the exact reason and line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kzguard.errors import ParseError
from kzguard.model import FileSystemSpace, SuspendResource, ZoneConfig, ZoneListing
from kzguard.solaris.parse.df import parse_df_k, parse_df_k_each
from kzguard.solaris.parse.kstat import parse_kstat_boot_time
from kzguard.solaris.parse.svcprop import parse_svcprop_value, parse_svcs_state
from kzguard.solaris.parse.who import RUNLEVELS_GOING_DOWN, is_going_down, parse_who_r
from kzguard.solaris.parse.zoneadm import (
    VerboseRow,
    parse_zoneadm_list_p,
    parse_zoneadm_list_s,
    parse_zoneadm_list_v,
)
from kzguard.solaris.parse.zonecfg import (
    expand_zone_tokens,
    parse_zonecfg_export,
    parse_zonecfg_info,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "solaris"


def fixture(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def parse_error(parser: Callable[[str], object], text: str) -> tuple[str, str]:
    """Run ``parser`` on ``text``; return the (line, reason) of the ParseError it raises."""
    with pytest.raises(ParseError) as caught:
        parser(text)
    return caught.value.line, caught.value.reason


def export(text: str) -> ZoneConfig:
    return parse_zonecfg_export("kz1", text)


def info(text: str) -> ZoneConfig:
    return parse_zonecfg_info("kz1", text)


# ---------------------------------------------------------------------------------
# zoneadm list -p

KZ1_UUID = "0b1e4a52-6c1f-4d8e-9a3b-2f7c8d9e0a1b"


def test_list_p_11_4_skips_global_and_keeps_order() -> None:
    assert parse_zoneadm_list_p(fixture("zoneadm-list-cp-11.4.txt")) == [
        ZoneListing(5, "kz1", "running", "/system/zones/kz1", KZ1_UUID, "solaris-kz", "excl"),
        ZoneListing(
            None,
            "kz2",
            "installed",
            "/system/zones/kz2",
            "3c5d7e9f-1a2b-4c3d-8e4f-5a6b7c8d9e0f",
            "solaris-kz",
            "excl",
        ),
        ZoneListing(
            7,
            "web1",
            "running",
            "/zones/web1",
            "8f9e0d1c-2b3a-4c5d-9e6f-7a8b9c0d1e2f",
            "solaris",
            "excl",
        ),
        ZoneListing(None, "kz3", "configured", "/system/zones/kz3", "", "solaris-kz", "excl"),
    ]


def test_list_p_11_0_nine_fields() -> None:
    assert parse_zoneadm_list_p(fixture("zoneadm-list-cp-11.0.txt")) == [
        ZoneListing(
            2,
            "z1",
            "running",
            "/zones/z1",
            "6e6c1a3e-43b4-4a4f-b8a9-64ad4e6a1d2c",
            "solaris",
            "excl",
        ),
        ZoneListing(
            None,
            "z2",
            "installed",
            "/zones/z2",
            "92d1c0b3-7f2e-4c3b-9a4d-5e6f7a8b9c0d",
            "solaris",
            "shared",
        ),
    ]


def test_list_p_oracle_ips_fixture() -> None:
    # Oracle's fixture gives an installed zone an ID; it is kept as printed.
    assert parse_zoneadm_list_p(fixture("zoneadm-list-cp-ips-fixture.txt")) == [
        ZoneListing(1, "z1", "running", "/path", "", "solaris", "excl"),
        ZoneListing(2, "z2", "installed", "/path", "", "solaris", "excl"),
    ]


def test_list_p_escaped_colons_and_lone_backslashes() -> None:
    assert parse_zoneadm_list_p(fixture("zoneadm-list-cp-escaped-colon.txt")) == [
        ZoneListing(
            None,
            "legacy",
            "installed",
            "/zones/a:b:c",
            "11111111-2222-4333-8444-555555555555",
            "solaris10",
            "shared",
        ),
        ZoneListing(
            None,
            "odd",
            "installed",
            "/zones/back\\slash",
            "66666666-7777-4888-9999-000000000000",
            "solaris",
            "excl",
        ),
    ]


def test_list_p_ignores_fields_after_the_seventh() -> None:
    assert parse_zoneadm_list_p(fixture("zoneadm-list-cp-future-fields.txt")) == [
        ZoneListing(3, "kz1", "running", "/system/zones/kz1", KZ1_UUID, "solaris-kz", "excl"),
    ]


def test_list_p_exactly_seven_fields_blank_lines_and_surrounding_space() -> None:
    text = "\n  0:global:running:/::solaris:shared  \n\n-:kz1:installed:/z::solaris-kz:excl\n\n"
    assert parse_zoneadm_list_p(text) == [
        ZoneListing(None, "kz1", "installed", "/z", "", "solaris-kz", "excl"),
    ]


def test_list_p_backslash_before_escaped_colon_is_literal() -> None:
    # "\\:" is a literal backslash, then an escaped colon (IPS _zoneadm_list_parse).
    text = "-:kz1:installed:/a\\\\:b:u:solaris-kz:excl:-::\n"
    assert parse_zoneadm_list_p(text)[0].zonepath == "/a\\:b"


def test_list_p_empty_output_is_no_zones() -> None:
    assert parse_zoneadm_list_p("") == []
    assert parse_zoneadm_list_p("0:global:running:/::solaris:shared:-:none:\n") == []


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        (
            "5:kz1:running:/z:u:solaris-kz\n",
            "5:kz1:running:/z:u:solaris-kz",
            "expected at least 7 colon-separated fields, found 6",
        ),
        ("garbage\n", "garbage", "expected at least 7 colon-separated fields, found 1"),
        (
            "5:kz1:running:/z\\:u\\:solaris-kz:excl\n",
            "5:kz1:running:/z\\:u\\:solaris-kz:excl",
            "expected at least 7 colon-separated fields, found 5",
        ),
        ("x:kz1:running:/z:u:solaris-kz:excl\n", "x:kz1:running:/z:u:solaris-kz:excl", None),
        ("-1:kz1:running:/z:u:solaris-kz:excl", "-1:kz1:running:/z:u:solaris-kz:excl", None),
        (":kz1:running:/z:u:solaris-kz:excl", ":kz1:running:/z:u:solaris-kz:excl", None),
        (
            "12345678901:kz1:running:/z:u:solaris-kz:excl",
            "12345678901:kz1:running:/z:u:solaris-kz:excl",
            None,
        ),
    ],
)
def test_list_p_malformed_lines(text: str, line: str, reason: str | None) -> None:
    found_line, found_reason = parse_error(parse_zoneadm_list_p, text)
    assert found_line == line
    if reason is None:
        zoneid = line.split(":", maxsplit=1)[0]
        reason = f"zone ID {zoneid!r} is neither a number nor '-'"
    assert found_reason == reason


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("5::running:/z:u:solaris-kz:excl", "empty zone name"),
        ("5:kz 1:running:/z:u:solaris-kz:excl", "invalid zone name 'kz 1'"),
        ("5:-kz:running:/z:u:solaris-kz:excl", "invalid zone name '-kz'"),
        ("5:kz1::/z:u:solaris-kz:excl", "empty zone state"),
        ("5:kz1:Running!:/z:u:solaris-kz:excl", "invalid zone state 'Running!'"),
        ("5:kz1:running:/z:u::excl", "empty brand"),
        ("0:global:running:/:::shared:-:none:", "empty brand"),
    ],
)
def test_list_p_invalid_fields(line: str, reason: str) -> None:
    assert parse_error(parse_zoneadm_list_p, f"{line}\n") == (line, reason)


def test_list_p_rejects_a_zone_listed_twice() -> None:
    text = "-:kz1:installed:/a::solaris-kz:excl\n-:kz1:installed:/b::solaris-kz:excl\n"
    assert parse_error(parse_zoneadm_list_p, text) == (
        "-:kz1:installed:/b::solaris-kz:excl",
        "zone 'kz1' is listed twice",
    )


_PATH_CHARS = st.characters(
    codec="ascii", categories=("L", "N", "P", "S", "Zs"), exclude_characters="\n\r"
)
_ZONE_NAMES = st.from_regex(r"[a-zA-Z0-9][-_.a-zA-Z0-9]{0,62}", fullmatch=True).filter(
    lambda name: name != "global"
)


@given(
    st.lists(
        st.tuples(
            _ZONE_NAMES,
            st.text(_PATH_CHARS, max_size=30).filter(lambda path: not path.endswith("\\")),
            st.one_of(st.none(), st.integers(0, 2**31 - 1)),
            st.sampled_from(["running", "installed", "configured", "shutting_down"]),
            st.integers(0, 5),
        ),
        unique_by=lambda zone: zone[0],
        max_size=5,
    )
)
def test_list_p_reads_back_what_zoneadm_prints(
    zones: list[tuple[str, str, int | None, str, int]],
) -> None:
    # zone_print() escapes each ":" of the zonepath as "\\:" and nothing else; a path
    # ending in a backslash is ambiguous in zoneadm's format and is left out.
    lines = ["0:global:running:/::solaris:shared:-:none:"]
    expected = []
    for name, path, zoneid, state, extra in zones:
        printed_id = "-" if zoneid is None else str(zoneid)
        escaped = path.replace(":", "\\:")
        lines.append(f"{printed_id}:{name}:{state}:{escaped}:uuid:solaris-kz:excl" + ":x" * extra)
        expected.append(ZoneListing(zoneid, name, state, path, "uuid", "solaris-kz", "excl"))
    assert parse_zoneadm_list_p("\n".join(lines) + "\n") == expected


# ---------------------------------------------------------------------------------
# zoneadm list -cv


def test_list_v_seed_transcript() -> None:
    assert parse_zoneadm_list_v(fixture("zoneadm-list-cv-seed.txt")) == [
        VerboseRow(0, "global", "running", "/", "solaris", "shared"),
        VerboseRow(None, "kzone1", "installed", "-", "solaris-kz", "excl"),
    ]


def test_list_v_seed_fixture_is_the_transcript_verbatim() -> None:
    assert fixture("zoneadm-list-cv-seed.txt") == (
        "  ID NAME             STATUS      PATH                         BRAND      IP\n"
        "   0 global           running     /                            solaris    shared\n"
        "   - kzone1           installed   -                            solaris-kz excl\n"
    )


def test_list_v_11_4_with_an_overlong_name() -> None:
    assert parse_zoneadm_list_v(fixture("zoneadm-list-cv-11.4.txt")) == [
        VerboseRow(0, "global", "running", "/", "solaris", "shared"),
        VerboseRow(5, "kz1", "running", "-", "solaris-kz", "excl"),
        VerboseRow(None, "kz2", "installed", "-", "solaris-kz", "excl"),
        VerboseRow(7, "web1", "running", "/zones/web1", "solaris", "excl"),
        VerboseRow(None, "a-very-long-zone-name-db01", "shutting_down", "-", "solaris-kz", "excl"),
    ]


def test_list_v_11_0_layout_with_trailing_padding() -> None:
    assert parse_zoneadm_list_v(fixture("zoneadm-list-cv-11.0.txt")) == [
        VerboseRow(0, "global", "running", "/", "solaris", "shared"),
        VerboseRow(2, "z1", "running", "/zones/z1", "solaris", "excl"),
        VerboseRow(None, "z2", "installed", "/zones/z2", "solaris", "shared"),
    ]


def test_list_v_path_with_spaces() -> None:
    text = "  ID NAME STATUS PATH BRAND IP\n   - z1   installed   /zones/my  zone   solaris excl\n"
    assert parse_zoneadm_list_v(text) == [
        VerboseRow(None, "z1", "installed", "/zones/my  zone", "solaris", "excl"),
    ]


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("", "", "no output, expected the header 'ID NAME STATUS PATH BRAND IP'"),
        ("\n  \n", "", "no output, expected the header 'ID NAME STATUS PATH BRAND IP'"),
        (
            "   0 global running / solaris shared\n",
            "0 global running / solaris shared",
            "expected the header 'ID NAME STATUS PATH BRAND IP'",
        ),
        (
            "NAME ID STATUS PATH BRAND IP\n",
            "NAME ID STATUS PATH BRAND IP",
            "expected the header 'ID NAME STATUS PATH BRAND IP'",
        ),
        (
            "ID NAME STATUS PATH BRAND IP EXTRA\n",
            "ID NAME STATUS PATH BRAND IP EXTRA",
            "expected the header 'ID NAME STATUS PATH BRAND IP'",
        ),
        (
            "ID NAME STATUS PATH BRAND IP\n   0 global running /\n",
            "0 global running /",
            "expected 6 columns: ID NAME STATUS PATH BRAND IP",
        ),
        (
            "ID NAME STATUS PATH BRAND IP\n   x global running / solaris shared\n",
            "x global running / solaris shared",
            "zone ID 'x' is neither a number nor '-'",
        ),
        (
            "ID NAME STATUS PATH BRAND IP\n   - -bad installed - solaris-kz excl\n",
            "- -bad installed - solaris-kz excl",
            "invalid zone name '-bad'",
        ),
        (
            "ID NAME STATUS PATH BRAND IP\n   - kz1 INSTALLED - solaris-kz excl\n",
            "- kz1 INSTALLED - solaris-kz excl",
            "invalid zone state 'INSTALLED'",
        ),
        (
            "ID NAME STATUS PATH BRAND IP\n - kz1 installed - solaris-kz excl\n"
            " - kz1 installed - solaris-kz excl\n",
            "- kz1 installed - solaris-kz excl",
            "zone 'kz1' is listed twice",
        ),
    ],
)
def test_list_v_errors(text: str, line: str, reason: str) -> None:
    assert parse_error(parse_zoneadm_list_v, text) == (line, reason)


# ---------------------------------------------------------------------------------
# zoneadm list -s


def test_list_s_11_4_doc_example() -> None:
    assert parse_zoneadm_list_s(fixture("zoneadm-list-s-11.4-doc.txt")) == {
        "kzone1": ("running", ()),
        "kzone3": ("running", ("debugging",)),
    }


def test_list_s_suspended_zone() -> None:
    assert parse_zoneadm_list_s(fixture("zoneadm-list-s-suspended.txt")) == {
        "kz1": ("running", ()),
        "kzone1": ("installed", ("suspended",)),
        "kz3": ("installed", ()),
    }


def test_list_s_several_auxiliary_states() -> None:
    assert parse_zoneadm_list_s(fixture("zoneadm-list-s-multi-aux.txt")) == {
        "kz1": ("running", ("debugging", "panicked")),
        "kz2": ("installed", ("suspended", "migrating-out")),
    }


def test_list_s_tolerates_spacing_and_stray_commas() -> None:
    text = "NAME   STATUS  AUXILIARY   STATE\nkz1 installed ,suspended,\n"
    assert parse_zoneadm_list_s(text) == {"kz1": ("installed", ("suspended",))}


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("", "", "no output, expected the header 'NAME STATUS AUXILIARY STATE'"),
        (
            "NAME STATUS\nkz1 running\n",
            "NAME STATUS",
            "expected the header 'NAME STATUS AUXILIARY STATE'",
        ),
        (
            "STATUS NAME AUXILIARY STATE\n",
            "STATUS NAME AUXILIARY STATE",
            "expected the header 'NAME STATUS AUXILIARY STATE'",
        ),
        (
            "NAME STATUS AUXILIARY STATE\nkz1\n",
            "kz1",
            "expected NAME STATUS [AUXILIARY STATE]",
        ),
        (
            "NAME STATUS AUXILIARY STATE\nkz/1 running\n",
            "kz/1 running",
            "invalid zone name 'kz/1'",
        ),
        (
            "NAME STATUS AUXILIARY STATE\nkz1 running Suspended!\n",
            "kz1 running Suspended!",
            "invalid auxiliary state 'Suspended!'",
        ),
        (
            "NAME STATUS AUXILIARY STATE\nkz1 running\nkz1 installed suspended\n",
            "kz1 installed suspended",
            "zone 'kz1' is listed twice",
        ),
    ],
)
def test_list_s_errors(text: str, line: str, reason: str) -> None:
    assert parse_error(parse_zoneadm_list_s, text) == (line, reason)


# ---------------------------------------------------------------------------------
# zonecfg export


def test_export_kernel_zone_from_solaris_md_2_5() -> None:
    assert parse_zonecfg_export("kzone1", fixture("zonecfg-export-kz.txt")) == ZoneConfig(
        name="kzone1",
        brand="solaris-kz",
        autoboot=True,
        autoshutdown="shutdown",
        suspend=SuspendResource(path="/system/zones/%{zonename}/suspend"),
        physical_memory=4 << 30,
    )


def test_export_full_kernel_zone_skips_other_resources() -> None:
    assert export(fixture("zonecfg-export-kz-full.txt")) == ZoneConfig(
        name="kz1",
        brand="solaris-kz",
        autoboot=False,
        autoshutdown="suspend",
        suspend=SuspendResource(storage="iscsi://system/luname.naa.501337600144f0dbf8af1900"),
        physical_memory=12 << 30,
    )


def test_export_kernel_zone_without_suspend() -> None:
    config = export(fixture("zonecfg-export-kz-no-suspend.txt"))
    assert config == ZoneConfig(name="kz1", brand="solaris-kz", autoboot=True)
    assert not config.has_suspend


def test_export_native_zone_without_brand_line() -> None:
    assert parse_zonecfg_export("web1", fixture("zonecfg-export-native.txt")) == ZoneConfig(
        name="web1", brand="", autoboot=False
    )


def test_export_minimal_defaults() -> None:
    assert export("create -b\n") == ZoneConfig(name="kz1", brand="")


def test_export_quoted_values_comments_and_nested_resources() -> None:
    text = (
        "# comment\n"
        "create -b\n"
        'set brand="solaris-kz"\n'
        "set autoboot=TRUE\n"
        "set autoshutdown=\n"
        "add anet\n"
        "set id=0\n"
        "add mac\n"
        "set mac-address=auto\n"
        "set physical=1G\n"
        "end\n"
        "set lower-link=auto\n"
        "end\n"
        "add suspend\n"
        'set path="/zones/with space/\\"q\\"/b\\\\s/\\x"\n'
        "set storage=\n"
        "end\n"
        "add capped-memory\n"
        "set locked=1G\n"
        "end\n"
    )
    assert export(text) == ZoneConfig(
        name="kz1",
        brand="solaris-kz",
        autoboot=True,
        autoshutdown=None,
        suspend=SuspendResource(path='/zones/with space/"q"/b\\s/\\x'),
        physical_memory=None,
    )


def test_export_set_with_spaces_around_equals_and_unquoted_spaces() -> None:
    text = "create -b\nset  brand = solaris-kz\nset bootargs=-m verbose\nset\tautoboot=false\n"
    assert export(text) == ZoneConfig(name="kz1", brand="solaris-kz", autoboot=False)


def test_export_keeps_tokens_as_printed() -> None:
    config = export(fixture("zonecfg-export-kz.txt"))
    assert config.suspend is not None
    assert config.suspend.path == "/system/zones/%{zonename}/suspend"


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("", "", "no 'create' command"),
        ("\n\n", "", "no 'create' command"),
        ("set brand=solaris-kz\ncreate -b\n", "set brand=solaris-kz", "a command before 'create'"),
        ("add suspend\n", "add suspend", "a command before 'create'"),
        ("create -b\ncreate -b\n", "create -b", "a second 'create' command"),
        ("create -b\nset brand\n", "set brand", "expected 'set PROPERTY=VALUE'"),
        ("create -b\nset =x\n", "set =x", "expected 'set PROPERTY=VALUE'"),
        ("create -b\nset\n", "set", "expected 'set PROPERTY=VALUE'"),
        ("create -b\nset a b=c\n", "set a b=c", "expected 'set PROPERTY=VALUE'"),
        ('create -b\nset bootargs="a b\n', 'set bootargs="a b', "unterminated quoted value"),
        ('create -b\nset bootargs="a b\\"\n', 'set bootargs="a b\\"', "unterminated quoted value"),
        ('create -b\nset bootargs="a" b\n', 'set bootargs="a" b', "text after the closing quote"),
        ("create -b\nadd\n", "add", "'add' without a resource type"),
        ("create -b\nend\n", "end", "'end' without 'add'"),
        ("create -b\nadd anet\nend\nend\n", "end", "'end' without 'add'"),
        ("create -b\nadd suspend\nset path=/p\n", "add suspend", "'add' without 'end'"),
        (
            "create -b\nadd anet\nadd mac\nend\n",
            "add anet",
            "'add' without 'end'",
        ),
        ("create -b\nadd anet\nadd mac\n", "add mac", "'add' without 'end'"),
        ("create -b\nselect suspend\n", "select suspend", "unexpected zonecfg command 'select'"),
        ("create -b\ngarbage\n", "garbage", "unexpected zonecfg command 'garbage'"),
        (
            "create -b\nadd suspend\nend\nadd suspend\nend\n",
            "add suspend",
            "more than one suspend resource",
        ),
        (
            "create -b\nadd capped-memory\nend\nadd capped-memory\nend\n",
            "add capped-memory",
            "more than one capped-memory resource",
        ),
        (
            "create -b\nset autoboot=yes\n",
            "set autoboot=yes",
            "autoboot is 'yes', not true or false",
        ),
        (
            "create -b\nadd capped-memory\nset physical=lots\nend\n",
            "set physical=lots",
            "capped-memory physical 'lots' is not a size",
        ),
        (
            "create -b\nadd capped-memory\nset physical=" + "9" * 400 + "G\nend\n",
            "set physical=" + "9" * 400 + "G",
            "capped-memory physical '" + "9" * 400 + "G' is not a size",
        ),
    ],
)
def test_export_errors(text: str, line: str, reason: str) -> None:
    assert parse_error(export, text) == (line, reason)


# ---------------------------------------------------------------------------------
# zonecfg info


def test_info_suspend_11_2_path_and_unset_storage() -> None:
    assert parse_zonecfg_info("kzone1", fixture("zonecfg-info-suspend-11.2.txt")) == ZoneConfig(
        name="kzone1", brand="", suspend=SuspendResource(path="/system/zones/kzone1/suspend")
    )


def test_info_suspend_11_4_path_only() -> None:
    assert info(fixture("zonecfg-info-suspend-11.4.txt")) == ZoneConfig(
        name="kz1", brand="", suspend=SuspendResource(path="/system/zones/kz1/suspend")
    )


def test_info_suspend_11_4_storage() -> None:
    assert info(fixture("zonecfg-info-suspend-storage-11.4.txt")) == ZoneConfig(
        name="kz1",
        brand="",
        suspend=SuspendResource(storage="iscsi://system/luname.naa.501337600144f0dbf8af1900"),
    )


def test_info_suspend_none_prints_nothing() -> None:
    config = info(fixture("zonecfg-info-suspend-none.txt"))
    assert config == ZoneConfig(name="kz1", brand="")
    assert config.suspend is None


def test_info_full_kernel_zone() -> None:
    assert info(fixture("zonecfg-info-kz.txt")) == ZoneConfig(
        name="kz1",
        brand="solaris-kz",
        autoboot=True,
        autoshutdown="suspend",
        suspend=SuspendResource(path="/system/zones/%{zonename}/suspend"),
        physical_memory=4 << 30,
    )


def test_info_quoted_values_spaces_for_tabs_and_empty_properties() -> None:
    text = (
        "brand: solaris-kz\n"
        "autoboot: false\n"
        "autoshutdown: halt\n"
        "suspend:\n"
        '        path: "/zones/with space/suspend"\n'
        "        storage:\n"
        "capped-memory:\n"
        "\t[locked: 1G]\n"
        "\tphysical not specified\n"
        "bootargs:\n"
        "limitpriv not specified\n"
    )
    assert info(text) == ZoneConfig(
        name="kz1",
        brand="solaris-kz",
        autoboot=False,
        autoshutdown="halt",
        suspend=SuspendResource(path="/zones/with space/suspend"),
    )


def test_info_quote_without_partner_is_kept() -> None:
    config = info('suspend:\n\tpath: "/odd\n')
    assert config.suspend == SuspendResource(path='"/odd')


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("\tpath: /x\n", "path: /x", "indented line outside a resource"),
        ("brand: solaris-kz\n\tpath: /x\n", "path: /x", "indented line outside a resource"),
        ("suspend:\n\tpath /x\n", "path /x", "unexpected line in the suspend resource"),
        (
            "capped-memory:\n\tphysical=4G\n",
            "physical=4G",
            "unexpected line in the capped-memory resource",
        ),
        ("hello world\n", "hello world", "expected 'property: value' or 'resource:'"),
        ("-brand: x\n", "-brand: x", "expected 'property: value' or 'resource:'"),
        ("zonename: kz2\n", "zonename: kz2", "this is the configuration of zone 'kz2', not 'kz1'"),
        ("suspend:\nsuspend:\n", "suspend:", "more than one suspend resource"),
        (
            "capped-memory:\n\tphysical: 1G\ncapped-memory:\n",
            "capped-memory:",
            "more than one capped-memory resource",
        ),
        ("autoboot: maybe\n", "autoboot: maybe", "autoboot is 'maybe', not true or false"),
        (
            "capped-memory:\n\tphysical: 4 gigs\n",
            "physical: 4 gigs",
            "capped-memory physical '4 gigs' is not a size",
        ),
    ],
)
def test_info_errors(text: str, line: str, reason: str) -> None:
    assert parse_error(info, text) == (line, reason)


# ---------------------------------------------------------------------------------
# %{zonename} tokens


@pytest.mark.parametrize(
    ("value", "expanded"),
    [
        ("/system/zones/%{zonename}/suspend", "/system/zones/kz1/suspend"),
        ("/var/share/zones/SYSsuspend/%{zonename}", "/var/share/zones/SYSsuspend/kz1"),
        ("%{zonename}-%{zonename}", "kz1-kz1"),
        (
            "dev:/dev/zvol/dsk/%{global-rootzpool}/zones/%{zonename}/disk%{id}",
            "dev:/dev/zvol/dsk/%{global-rootzpool}/zones/kz1/disk%{id}",
        ),
        ("/plain/path", "/plain/path"),
        ("%{zonenam}", "%{zonenam}"),
    ],
)
def test_expand_zone_tokens(value: str, expanded: str) -> None:
    assert expand_zone_tokens(value, "kz1") == expanded


# ---------------------------------------------------------------------------------
# kstat boot_time


def test_kstat_boot_time_fixture() -> None:
    assert parse_kstat_boot_time(fixture("kstat-boot-time.txt")) == 1700000000


def test_kstat_boot_time_tolerates_surrounding_whitespace() -> None:
    assert parse_kstat_boot_time("\n  unix:0:system_misc:boot_time    42  \n\n") == 42


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("", "", "no output, expected 'unix:0:system_misc:boot_time<TAB>SECONDS'"),
        (
            "unix:0:system_misc:boot_time\t1\nunix:0:system_misc:clk_intr\t2\n",
            "unix:0:system_misc:clk_intr\t2",
            "more than one line, expected only 'unix:0:system_misc:boot_time<TAB>SECONDS'",
        ),
        (
            "unix:0:system_misc:boot_time\tsoon\n",
            "unix:0:system_misc:boot_time\tsoon",
            "expected 'unix:0:system_misc:boot_time<TAB>SECONDS'",
        ),
        (
            "unix:0:system_misc:clk_intr\t1\n",
            "unix:0:system_misc:clk_intr\t1",
            "expected 'unix:0:system_misc:boot_time<TAB>SECONDS'",
        ),
        (
            "unix:0:system_misc:boot_time\t-5\n",
            "unix:0:system_misc:boot_time\t-5",
            "expected 'unix:0:system_misc:boot_time<TAB>SECONDS'",
        ),
        (
            "unix:0:system_misc:boot_time\t" + "1" * 5000,
            "unix:0:system_misc:boot_time\t" + "1" * 5000,
            "expected 'unix:0:system_misc:boot_time<TAB>SECONDS'",
        ),
    ],
)
def test_kstat_boot_time_errors(text: str, line: str, reason: str) -> None:
    assert parse_error(parse_kstat_boot_time, text) == (line, reason)


# ---------------------------------------------------------------------------------
# svcs -H -o state


def test_svcs_state_fixtures() -> None:
    assert parse_svcs_state(fixture("svcs-state-online.txt")) == "online"
    assert parse_svcs_state(fixture("svcs-state-offline-transition.txt")) == "offline*"
    assert parse_svcs_state("  legacy_run \n") == "legacy_run"


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("", "", "no output, expected one service state"),
        (
            "online\noffline\n",
            "offline",
            "more than one line, expected only one service state",
        ),
        ("online now\n", "online now", "expected one service state such as 'online'"),
        ("ONLINE\n", "ONLINE", "expected one service state such as 'online'"),
        ("*online\n", "*online", "expected one service state such as 'online'"),
    ],
)
def test_svcs_state_errors(text: str, line: str, reason: str) -> None:
    assert parse_error(parse_svcs_state, text) == (line, reason)


# ---------------------------------------------------------------------------------
# svcprop


def test_svcprop_fixtures() -> None:
    assert parse_svcprop_value(fixture("svcprop-runlevel-6.txt")) == "6"
    assert parse_svcprop_value(fixture("svcprop-empty-string.txt")) == ""
    assert parse_svcprop_value(fixture("svcprop-escaped.txt")) == "a b;c\\d"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("  6  \n\n", "6"),
        ('\\"\\"\n', '""'),
        ("a\\\nb\n", "a\nb"),
        ("\\ \n", " "),
        ("\\\t", "\t"),
        ("no-newline", "no-newline"),
    ],
)
def test_svcprop_escapes(text: str, value: str) -> None:
    assert parse_svcprop_value(text) == value


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("", "", "no output, expected one value"),
        ("\n \t\n", "", "no output, expected one value"),
        ("6\n3\n", "3", "more than one line, expected one value"),
        ("a b\n", "a b", "more than one value"),
        ('"" x\n', '"" x', "more than one value"),
        ('a"b\n', 'a"b', "unescaped double quote"),
        ('"a b"\n', '"a b"', "more than one value"),
        ('"x"\n', '"x"', "unescaped double quote"),
        ("6\nab\\", "ab\\", "backslash at the end of the output"),
    ],
)
def test_svcprop_errors(text: str, line: str, reason: str) -> None:
    assert parse_error(parse_svcprop_value, text) == (line, reason)


_SVCPROP_METACHARS = ";&()|^<>\n \t\\\"'`"


def quote_for_shell(value: str) -> str:
    """What svcprop.c quote_for_shell() prints for one string value."""
    if not value:
        return '""'
    return "".join("\\" + char if char in _SVCPROP_METACHARS else char for char in value)


@given(st.text(max_size=40))
def test_svcprop_reads_back_quote_for_shell(value: str) -> None:
    assert parse_svcprop_value(quote_for_shell(value) + "\n") == value


# ---------------------------------------------------------------------------------
# who -r and run levels


def test_who_r_fixtures() -> None:
    assert parse_who_r(fixture("who-r-3.txt")) == "3"
    assert parse_who_r(fixture("who-r-6.txt")) == "6"
    assert parse_who_r("run-level S  Nov 25 18:22  S  0  3\n") == "S"


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("", "", "no output, expected the run-level line"),
        (
            ".  run-level 3  Nov 25 18:22  3  0  S\n.  run-level 6\n",
            ".  run-level 6",
            "more than one line, expected only the run-level line",
        ),
        ("system boot  Nov 25 18:20\n", "system boot  Nov 25 18:20", "no 'run-level' field"),
        (".  xrun-level 3\n", ".  xrun-level 3", "no 'run-level' field"),
        (".  run-level\n", ".  run-level", "no 'run-level' field"),
        (".  run-level 7  Nov 25\n", ".  run-level 7  Nov 25", "unknown run level '7'"),
        (".  run-level Q  Nov 25\n", ".  run-level Q  Nov 25", "unknown run level 'Q'"),
    ],
)
def test_who_r_errors(text: str, line: str, reason: str) -> None:
    assert parse_error(parse_who_r, text) == (line, reason)


def test_runlevels_going_down() -> None:
    assert frozenset({"0", "1", "5", "6", "S", "s"}) == RUNLEVELS_GOING_DOWN


@pytest.mark.parametrize(
    ("runlevel", "down"),
    [
        ("0", True),
        ("1", True),
        ("5", True),
        ("6", True),
        ("S", True),
        ("s", True),
        (" 6\n", True),
        ("2", False),
        ("3", False),
        ("4", False),
        ("", False),
        ("Q", False),
    ],
)
def test_is_going_down(runlevel: str, down: bool) -> None:
    assert is_going_down(runlevel) is down


# ---------------------------------------------------------------------------------
# df -k


def test_df_k_solaris() -> None:
    assert parse_df_k(fixture("df-k-solaris.txt")) == FileSystemSpace(
        "rpool/VARSHARE/zones", "/system/zones", 82109728 * 1024
    )


def test_df_k_wrapped_file_system_name() -> None:
    assert parse_df_k(fixture("df-k-wrapped.txt")) == FileSystemSpace(
        "rpool/VARSHARE/zones/suspend-images/kz1", "/system/zones/kz1/suspend", 82109728 * 1024
    )


def test_df_kp_posix_header_and_mount_point_with_space() -> None:
    assert parse_df_k(fixture("df-kP-posix.txt")) == FileSystemSpace(
        "rpool/export/suspend", "/export/suspend images", 50331648 * 1024
    )


def test_df_k_columns_found_by_name() -> None:
    text = "Filesystem avail kbytes Mounted on\npool/fs 10 20 /mnt\n"
    assert parse_df_k(text) == FileSystemSpace("pool/fs", "/mnt", 10 * 1024)


def test_df_k_dash_in_an_unused_column() -> None:
    text = "Filesystem kbytes used avail capacity Mounted on\nswap - - 5 0% /tmp\n"
    assert parse_df_k(text) == FileSystemSpace("swap", "/tmp", 5 * 1024)


def test_df_k_each_one_file_system_per_operand_in_order() -> None:
    text = (
        "Filesystem            kbytes    used   avail capacity  Mounted on\n"
        "rpool/VARSHARE/zones/suspend-images/kz1\n"
        "                     103081248 20971520 82109728    21%    /system/zones/kz1/suspend\n"
        "rpool/ROOT/solaris 104857600 41943040 62914560    40%    /\n"
        "rpool/export/suspend 100 50 50 50% /export/suspend images\n"
    )
    assert parse_df_k_each(text, 3) == [
        FileSystemSpace(
            "rpool/VARSHARE/zones/suspend-images/kz1", "/system/zones/kz1/suspend", 82109728 * 1024
        ),
        FileSystemSpace("rpool/ROOT/solaris", "/", 62914560 * 1024),
        FileSystemSpace("rpool/export/suspend", "/export/suspend images", 50 * 1024),
    ]


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        (
            "Filesystem kbytes used avail capacity Mounted on\npool/a 1 1 1 1% /a\n",
            "Filesystem kbytes used avail capacity Mounted on",
            "expected 2 file system lines, found 1",
        ),
        (
            "Filesystem kbytes used avail capacity Mounted on\npool/a 1 1 1 1% /a\npool/b\n",
            "pool/b",
            "a file system name without its numbers",
        ),
        (
            "Filesystem kbytes used avail capacity Mounted on\npool/a 1 1 x 1% /a\npool/b\n",
            "pool/a 1 1 x 1% /a",
            "avail 'x' is not a number",
        ),
        ("", "", "no output, expected a header 'Filesystem ... Mounted on'"),
    ],
)
def test_df_k_each_refuses(text: str, line: str, reason: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_df_k_each(text, 2)
    assert (caught.value.line, caught.value.reason) == (line, reason)


HEADER = "Filesystem kbytes used avail capacity Mounted on"


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("", "", "no output, expected a header 'Filesystem ... Mounted on'"),
        ("Mounted on\n", "Mounted on", "expected a header 'Filesystem ... Mounted on'"),
        (
            "kbytes used avail capacity Mounted on\n",
            "kbytes used avail capacity Mounted on",
            "expected a header 'Filesystem ... Mounted on'",
        ),
        (
            "Filesystem kbytes used avail capacity\n",
            "Filesystem kbytes used avail capacity",
            "expected a header 'Filesystem ... Mounted on'",
        ),
        (
            "Filesystem kbytes used free capacity Mounted on\n",
            "Filesystem kbytes used free capacity Mounted on",
            "expected one 'avail' or 'Available' column",
        ),
        (
            "Filesystem avail avail Mounted on\n",
            "Filesystem avail avail Mounted on",
            "expected one 'avail' or 'Available' column",
        ),
        (HEADER + "\n", HEADER, "no file system line"),
        (HEADER + "\nrpool/a/very/long/name\n", "rpool/a/very/long/name", None),
        (
            HEADER + "\npool/a 1 2 3 4% /a\npool/b 1 2 3 4% /b\n",
            "pool/b 1 2 3 4% /b",
            "more than one file system",
        ),
        (
            HEADER + "\nlong/name\n1 2 3 4% /a\nextra\n",
            "extra",
            "more than one file system",
        ),
        (HEADER + "\npool/a 1 2 3 4%\n", "pool/a 1 2 3 4%", "expected 6 columns"),
        (
            HEADER + "\npool/a 1 2 lots 4% /a\n",
            "pool/a 1 2 lots 4% /a",
            "avail 'lots' is not a number",
        ),
        (
            HEADER + "\npool/a 1 2 3 full /a\n",
            "pool/a 1 2 3 full /a",
            "capacity 'full' is not a number",
        ),
        (HEADER + "\npool/a 1 2 - 4% /a\n", "pool/a 1 2 - 4% /a", "avail '-' is not a number"),
        (HEADER + "\npool/a 1 2 3% 4% /a\n", "pool/a 1 2 3% 4% /a", "avail '3%' is not a number"),
    ],
)
def test_df_k_errors(text: str, line: str, reason: str | None) -> None:
    if reason is None:
        reason = "a file system name without its numbers"
    assert parse_error(parse_df_k, text) == (line, reason)


# ---------------------------------------------------------------------------------
# Arbitrary text: a value or a ParseError, nothing else.

PARSERS: list[Callable[[str], object]] = [
    parse_zoneadm_list_p,
    parse_zoneadm_list_v,
    parse_zoneadm_list_s,
    export,
    info,
    parse_kstat_boot_time,
    parse_svcs_state,
    parse_svcprop_value,
    parse_who_r,
    parse_df_k,
]

# Characters that matter to the parsers, so random text reaches past the first check.
_SHAPED = st.text(
    st.sampled_from(list(":\\-\t \n\"'=,%[]*#.0123456789aksGdefnpt")) | st.characters(),
    max_size=200,
)


def _lines_like(*samples: str) -> st.SearchStrategy[str]:
    """Text built from fragments of real output, shuffled, cut and mixed with noise."""
    pieces = [piece for sample in samples for piece in sample.replace("\n", " \n ").split(" ")]
    fragment = st.sampled_from([*pieces, "\n", " ", "\t", ":"]) | st.text(max_size=3)
    return st.lists(fragment, max_size=60).map(" ".join)


_ALL_FIXTURES = "\n".join(fixture(path.name) for path in sorted(DATA.iterdir()))


def _only_parse_errors(parser: Callable[[str], object], text: str) -> None:
    try:
        parser(text)
    except ParseError as error:
        caught: ParseError | None = error
    else:
        caught = None
    assert caught is None or (isinstance(caught.line, str) and caught.reason)


@pytest.mark.parametrize("parser", PARSERS)
@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300))
def test_arbitrary_text_raises_only_parse_error(parser: Callable[[str], object], text: str) -> None:
    _only_parse_errors(parser, text)


@pytest.mark.parametrize("parser", PARSERS)
@settings(max_examples=300, deadline=None)
@given(text=_SHAPED | _lines_like(_ALL_FIXTURES))
def test_output_like_text_raises_only_parse_error(
    parser: Callable[[str], object], text: str
) -> None:
    _only_parse_errors(parser, text)


@pytest.mark.parametrize("parser", PARSERS)
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_truncated_and_reordered_fixtures_raise_only_parse_error(
    parser: Callable[[str], object], data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from(sorted(path.name for path in DATA.iterdir())))
    lines = fixture(name).splitlines(keepends=True)
    lines = data.draw(st.permutations(lines)) if lines else lines
    text = "".join(lines)
    cut = data.draw(st.integers(0, len(text)))
    _only_parse_errors(parser, text[:cut])

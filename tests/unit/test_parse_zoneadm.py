"""kzguard.solaris.parse.zoneadm: ``zoneadm list -p/-cp``, ``-cv`` and ``-s``.

Fixtures in tests/data/solaris/ are one command output per file; each test names the
exact values it expects.  Every error path asserts the exact reason and line.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kzguard.model import ZoneListing
from kzguard.solaris.parse.zoneadm import (
    VerboseRow,
    parse_zone_table,
    parse_zoneadm_list_p,
    parse_zoneadm_list_s,
    parse_zoneadm_list_v,
)
from tests.unit.solaris_output import fixture, parse_error

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
        ),
        unique_by=lambda zone: zone[0],
        max_size=5,
    ),
    st.integers(0, 5),
)
def test_list_p_reads_back_what_zoneadm_prints(
    zones: list[tuple[str, str, int | None, str]], extra: int
) -> None:
    # zone_print() escapes each ":" of the zonepath as "\\:" and nothing else; a path
    # ending in a backslash is ambiguous in zoneadm's format and is left out.  One
    # zoneadm prints the same number of fields on every line, however many that is.
    lines = ["0:global:running:/::solaris:shared" + ":x" * extra]
    expected = []
    for name, path, zoneid, state in zones:
        printed_id = "-" if zoneid is None else str(zoneid)
        escaped = path.replace(":", "\\:")
        lines.append(f"{printed_id}:{name}:{state}:{escaped}:uuid:solaris-kz:excl" + ":x" * extra)
        expected.append(ZoneListing(zoneid, name, state, path, "uuid", "solaris-kz", "excl"))
    assert parse_zoneadm_list_p("\n".join(lines) + "\n") == expected


def test_list_p_refuses_a_state_that_is_no_zone_state() -> None:
    """Like a bad zone name: the state decides what kzguard does to the zone."""
    for line, state in [
        ("5:kz1:frozen:/z:u:solaris-kz:excl", "frozen"),
        ("5:kz1:solaris-kz:/z:u:solaris-kz:excl", "solaris-kz"),
    ]:
        assert parse_error(parse_zoneadm_list_p, f"{line}\n") == (
            line,
            f"{state!r} is not a zone state",
        )


def test_list_p_refuses_a_line_with_more_or_fewer_fields_than_the_global_zone() -> None:
    text = (
        "0:global:running:/::solaris:shared:-:none:\n"
        "5:kz1:running:/z:u:solaris-kz:excl:-::\n"
        "6:kz2:running:/a:b:u:solaris-kz:excl:-::\n"
        "-:kz3:installed:/z:u:solaris-kz:excl:-:\n"
    )
    table = parse_zone_table(text)
    assert [listing.name for listing in table.zones] == ["kz1"]
    assert [(error.line, error.reason) for error in table.refused] == [
        (
            "6:kz2:running:/a:b:u:solaris-kz:excl:-::",
            "11 fields, where the global zone's line has 10",
        ),
        (
            "-:kz3:installed:/z:u:solaris-kz:excl:-:",
            "9 fields, where the global zone's line has 10",
        ),
    ]


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

"""Adversarial output for every parser: garbage, truncation, empty output, reordered
columns, extra trailing fields, bytes that are not UTF-8, and lines of a megabyte.

Each test names the exact value or the exact (line, reason) of the ParseError.  Text
reaches the parsers the way the runner hands it over: decoded as UTF-8 with errors
replaced (U+FFFD), so "binary" output is that.
"""

from __future__ import annotations

import time
from typing import Callable

import pytest

from kzguard.errors import ParseError
from kzguard.model import FileSystemSpace, ZoneListing
from kzguard.solaris.parse.beadm import parse_beadm_list_parseable
from kzguard.solaris.parse.df import parse_df_k
from kzguard.solaris.parse.kstat import parse_kstat_boot_time
from kzguard.solaris.parse.svcprop import (
    parse_svcprop_runlevel,
    parse_svcprop_value,
    parse_svcs_state,
)
from kzguard.solaris.parse.who import parse_who_r
from kzguard.solaris.parse.zoneadm import (
    VerboseRow,
    parse_aux_table,
    parse_zone_table,
    parse_zoneadm_list_p,
    parse_zoneadm_list_s,
    parse_zoneadm_list_v,
)
from kzguard.solaris.parse.zonecfg import parse_zonecfg_export, parse_zonecfg_info

MEGABYTE = 1 << 20
GARBAGE = b"\x00\xff\xfe\x80garbage \xc3\x28 not what this command prints\n:::\n\tend\n"
GARBAGE_LINE = "\x00\ufffd\ufffd\ufffdgarbage \ufffd( not what this command prints"


def runner_text(data: bytes) -> str:
    """What the runner gives a parser for these bytes."""
    return data.decode("utf-8", errors="replace")


def parse_error(parser: Callable[[str], object], text: str) -> tuple[str, str]:
    with pytest.raises(ParseError) as caught:
        parser(text)
    return caught.value.line, caught.value.reason


def quick(parser: Callable[[str], object], text: str) -> tuple[str, str] | object:
    """Parse a huge text: a value or (line, reason), and it must not take long."""
    started = time.monotonic()
    try:
        result: object = parser(text)
    except ParseError as error:
        result = (error.line, error.reason)
    assert time.monotonic() - started < 5.0
    return result


def test_garbage_decodes_as_the_tests_expect() -> None:
    assert runner_text(GARBAGE).split("\n")[0] == GARBAGE_LINE


# ---------------------------------------------------------------------------------
# zoneadm list -cp

GLOBAL = "0:global:running:/::solaris:shared:-:none:"
KZ1 = "5:kz1:running:/system/zones/kz1:u1:solaris-kz:excl:-::"
KZ2 = "-:kz2:installed:/system/zones/kz2:u2:solaris-kz:excl:-::"
LISTING_KZ1 = ZoneListing(5, "kz1", "running", "/system/zones/kz1", "u1", "solaris-kz", "excl")
LISTING_KZ2 = ZoneListing(None, "kz2", "installed", "/system/zones/kz2", "u2", "solaris-kz", "excl")


def test_list_cp_garbage_is_refused_with_its_first_line() -> None:
    text = runner_text(GARBAGE)
    expected = (GARBAGE_LINE, "expected at least 7 colon-separated fields, found 1")
    assert parse_error(parse_zoneadm_list_p, text) == expected
    assert parse_error(parse_zone_table, text) == expected


def test_list_cp_empty_output_is_not_no_zones_in_the_global_zone() -> None:
    # zoneadm always lists the global zone: empty output is not an empty host.
    reason = "no line for the global zone, which zoneadm always lists"
    assert parse_error(parse_zone_table, "") == ("", reason)
    assert parse_error(parse_zone_table, "\n \n") == ("", reason)
    assert parse_error(parse_zone_table, f"{KZ1}\n") == ("", reason)
    # The strict parser (for `zoneadm -z ZONE list -p`) has no global zone to expect.
    assert parse_zoneadm_list_p("") == []


def test_list_cp_truncated_mid_line_refuses_only_that_line() -> None:
    text = f"{GLOBAL}\n{KZ1}\n{KZ2[:20]}"
    table = parse_zone_table(text)
    assert table.zones == [LISTING_KZ1]
    assert [(e.line, e.reason) for e in table.refused] == [
        ("-:kz2:installed:/sys", "expected at least 7 colon-separated fields, found 4")
    ]
    assert parse_error(parse_zoneadm_list_p, text) == (
        "-:kz2:installed:/sys",
        "expected at least 7 colon-separated fields, found 4",
    )


def test_list_cp_truncated_after_the_seventh_field_is_refused() -> None:
    # Fields 8-10 are not used (docs/solaris.md 1.3), but a line shorter than the
    # global zone's is not what zoneadm printed: nothing in it is trusted.
    cut = KZ1[: KZ1.index(":-::")]
    table = parse_zone_table(f"{GLOBAL}\n{KZ2}\n{cut}")
    assert table.zones == [LISTING_KZ2]
    assert [(e.line, e.reason) for e in table.refused] == [
        (cut, "7 fields, where the global zone's line has 10")
    ]


def test_list_cp_extra_trailing_fields_are_accepted_on_every_line_alike() -> None:
    # 11.4 prints a 10th field and zoneadm(8) says more may come (docs/solaris.md 1.3):
    # a zoneadm that prints more prints them on every line.
    text = f"{GLOBAL}x:\\:y\n{KZ1}new:\\:escaped\n{KZ2}:\n"
    assert parse_zone_table(text).zones == [LISTING_KZ1, LISTING_KZ2]


def test_list_cp_a_colon_in_a_zone_name_shifts_no_zone_into_place() -> None:
    """zoneadm escapes colons in the zonepath only (docs/solaris.md 1.3): a name with a
    colon (which Solaris forbids, but a damaged configuration could show) shifts its
    line.  "kz:running" would read as the zone "kz", running, with brand "running";
    the field count gives it away, and "kz:x" has no zone state where the state was."""
    shifted = "5:kz:running:running:/z/kz\\:running:u:solaris-kz:excl:-::"
    odd = "6:kz:x:running:/z/kz\\:x:u:solaris-kz:excl:-::"
    table = parse_zone_table(f"{GLOBAL}\n{shifted}\n{odd}\n{KZ2}\n")
    assert table.zones == [LISTING_KZ2]
    assert [(e.line, e.reason) for e in table.refused] == [
        (shifted, "11 fields, where the global zone's line has 10"),
        (odd, "'x' is not a zone state"),
    ]


def test_list_cp_reordered_columns_are_refused() -> None:
    # Name first (as `zoneadm list -cv` prints it): the zone ID is not a number.
    line = "kz1:5:running:/system/zones/kz1:u1:solaris-kz:excl:-::"
    table = parse_zone_table(f"{GLOBAL}\n{line}\n{KZ2}\n")
    assert table.zones == [LISTING_KZ2]
    assert [(e.line, e.reason) for e in table.refused] == [
        (line, "zone ID 'kz1' is neither a number nor '-'")
    ]
    # State before name: "running" is a valid zone name, but "kz1" is no state word.
    swapped = "5:running:Kz1:/z:u1:solaris-kz:excl"
    assert parse_error(parse_zoneadm_list_p, swapped) == (swapped, "invalid zone state 'Kz1'")


def test_list_cp_non_utf8_bytes_in_a_name_refuse_that_zone_only() -> None:
    text = runner_text(f"{GLOBAL}\n-:kz\xff1:installed:/z:u:solaris-kz:excl::\n{KZ1}\n".encode())
    # "\xff" above is the character U+00FF, valid UTF-8 (c3 bf): not a zone-name letter.
    raw = runner_text(GLOBAL.encode() + b"\n-:kz\xff2:installed:/z:u:solaris-kz:excl::\n")
    assert [(e.line, e.reason) for e in parse_zone_table(text).refused] == [
        ("-:kz\xff1:installed:/z:u:solaris-kz:excl::", "invalid zone name 'kz\xff1'")
    ]
    assert parse_zone_table(text).zones == [LISTING_KZ1]
    assert [(e.line, e.reason) for e in parse_zone_table(raw).refused] == [
        ("-:kz\ufffd2:installed:/z:u:solaris-kz:excl::", "invalid zone name 'kz\ufffd2'")
    ]


def test_list_cp_a_stray_line_separator_does_not_split_a_line() -> None:
    # U+0085 (NEL) and \x1c are line breaks to str.splitlines(), not to zoneadm.
    path = "/zones/a\x85b\x1cc"
    text = f"{GLOBAL}\n5:kz1:running:{path}:u1:solaris-kz:excl:-::\n"
    assert parse_zone_table(text).zones == [
        ZoneListing(5, "kz1", "running", path, "u1", "solaris-kz", "excl")
    ]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("kz1;reboot", "invalid zone name 'kz1;reboot'"),
        ("$(touch /tmp/x)", "invalid zone name '$(touch /tmp/x)'"),
        ("a b", "invalid zone name 'a b'"),
        ("-z", "invalid zone name '-z'"),
        ("../x", "invalid zone name '../x'"),
        ("`id`", "invalid zone name '`id`'"),
        ("kz1|cat", "invalid zone name 'kz1|cat'"),
        ("a" * 64, f"invalid zone name '{'a' * 64}'"),
    ],
)
def test_list_cp_dangerous_names_are_refused_and_the_others_kept(name: str, reason: str) -> None:
    line = f"-:{name}:installed:/system/zones/x:u9:solaris-kz:excl:-::"
    table = parse_zone_table(f"{GLOBAL}\n{KZ1}\n{line}\n{KZ2}\n")
    assert table.zones == [LISTING_KZ1, LISTING_KZ2]
    assert [(e.line, e.reason) for e in table.refused] == [(line, reason)]


def test_list_cp_a_name_with_a_newline_breaks_into_refused_lines() -> None:
    text = f"{GLOBAL}\n-:kz\n2:installed:/system/zones/kz\n2:u:solaris-kz:excl:-::\n{KZ1}\n"
    table = parse_zone_table(text)
    assert table.zones == [LISTING_KZ1]
    assert [(e.line, e.reason) for e in table.refused] == [
        ("-:kz", "expected at least 7 colon-separated fields, found 2"),
        ("2:installed:/system/zones/kz", "expected at least 7 colon-separated fields, found 3"),
        ("2:u:solaris-kz:excl:-::", "'solaris-kz' is not a zone state"),
    ]


def test_list_cp_valid_unusual_names_are_kept_as_printed() -> None:
    text = f"{GLOBAL}\n5:kz-1.a_b:running:/z:u:solaris-kz:excl:-::\n-:9:installed:/y:v:solaris:excl:-::\n"
    assert [zone.name for zone in parse_zone_table(text).zones] == ["kz-1.a_b", "9"]


def test_list_cp_a_zone_listed_twice_keeps_the_first_and_refuses_the_second() -> None:
    again = "-:kz1:installed:/b:u1:solaris-kz:excl:-::"
    table = parse_zone_table(f"{GLOBAL}\n{KZ1}\n{again}\n")
    assert table.zones == [LISTING_KZ1]
    assert [(e.line, e.reason) for e in table.refused] == [(again, "zone 'kz1' is listed twice")]


def test_list_cp_megabyte_lines() -> None:
    huge_path = "/z" * (MEGABYTE // 2)
    line = f"5:kz1:running:{huge_path}:u1:solaris-kz:excl"
    assert quick(parse_zoneadm_list_p, line) == [
        ZoneListing(5, "kz1", "running", huge_path, "u1", "solaris-kz", "excl")
    ]
    colons = ":" * MEGABYTE
    assert quick(parse_zoneadm_list_p, colons) == (colons, "zone ID '' is neither a number nor '-'")
    letters = "x" * MEGABYTE
    assert quick(parse_zone_table, f"{GLOBAL}\n{letters}\n") == ParseErrorFree(
        refused=[(letters, "expected at least 7 colon-separated fields, found 1")]
    )
    state = "r" * MEGABYTE
    line = f"5:kz1:{state}:/z:u:solaris-kz:excl"
    assert quick(parse_zoneadm_list_p, line) == (line, f"invalid zone state {state!r}")


class ParseErrorFree:
    """Compares equal to a ZoneTable with no zones and exactly these refusals."""

    def __init__(self, refused: list[tuple[str, str]]) -> None:
        self.refused = refused

    def __eq__(self, other: object) -> bool:
        table_refused = getattr(other, "refused", None)
        return (
            getattr(other, "zones", None) == []
            and table_refused is not None
            and [(e.line, e.reason) for e in table_refused] == self.refused
        )

    __hash__ = None  # type: ignore[assignment]


# ---------------------------------------------------------------------------------
# zoneadm list -cs

AUX_HEADER = "NAME             STATUS           AUXILIARY STATE"


def test_list_cs_garbage_empty_and_reordered_headers() -> None:
    assert parse_error(parse_zoneadm_list_s, runner_text(GARBAGE)) == (
        GARBAGE_LINE,
        "expected the header 'NAME STATUS AUXILIARY STATE'",
    )
    assert parse_error(parse_zoneadm_list_s, "") == (
        "",
        "no output, expected the header 'NAME STATUS AUXILIARY STATE'",
    )
    reordered = "STATUS           NAME             AUXILIARY STATE"
    assert parse_error(parse_aux_table, f"{reordered}\nrunning kz1\n") == (
        reordered,
        "expected the header 'NAME STATUS AUXILIARY STATE'",
    )


def test_list_cs_bad_rows_are_refused_one_by_one() -> None:
    text = (
        f"{AUX_HEADER}\nglobal           running\nkz1              installed        suspended\n"
        "kz1;reboot       running\nkz3\nkz4              installed        Suspended!\n"
        "kz5              running\n"
    )
    zones, refused = parse_aux_table(text)
    assert zones == {"kz1": ("installed", ("suspended",)), "kz5": ("running", ())}
    assert [(e.line, e.reason) for e in refused] == [
        ("kz1;reboot       running", "invalid zone name 'kz1;reboot'"),
        ("kz3", "expected NAME STATUS [AUXILIARY STATE]"),
        ("kz4              installed        Suspended!", "invalid auxiliary state 'Suspended!'"),
    ]
    assert parse_error(parse_zoneadm_list_s, text) == (
        "kz1;reboot       running",
        "invalid zone name 'kz1;reboot'",
    )


def test_list_cs_extra_columns_are_more_auxiliary_states_and_truncation_is_tolerated() -> None:
    # A fourth column reads as another auxiliary state (the separator is UNCONFIRMED).
    text = f"{AUX_HEADER}\nkz1              installed        suspended debugging\nkz2      inst"
    assert parse_zoneadm_list_s(text) == {
        "kz1": ("installed", ("suspended", "debugging")),
        "kz2": ("inst", ()),
    }


def test_list_cs_megabyte_line() -> None:
    aux = "a," * (MEGABYTE // 2)
    zones = quick(parse_zoneadm_list_s, f"{AUX_HEADER}\nkz1 installed {aux}\n")
    assert isinstance(zones, dict)
    assert zones["kz1"][1] == ("a",) * (MEGABYTE // 2)
    word = "x" * MEGABYTE
    assert quick(parse_zoneadm_list_s, f"{AUX_HEADER}\n{word}\n") == (
        word,
        "expected NAME STATUS [AUXILIARY STATE]",
    )


# ---------------------------------------------------------------------------------
# zoneadm list -cv

VERBOSE_HEADER = "  ID NAME             STATUS      PATH                         BRAND      IP"


def test_list_cv_garbage_empty_truncated_reordered_and_extra() -> None:
    assert parse_error(parse_zoneadm_list_v, runner_text(GARBAGE)) == (
        GARBAGE_LINE,
        "expected the header 'ID NAME STATUS PATH BRAND IP'",
    )
    assert parse_error(parse_zoneadm_list_v, "") == (
        "",
        "no output, expected the header 'ID NAME STATUS PATH BRAND IP'",
    )
    assert parse_error(parse_zoneadm_list_v, f"{VERBOSE_HEADER}\n   5 kz1   running") == (
        "5 kz1   running",
        "expected 6 columns: ID NAME STATUS PATH BRAND IP",
    )
    reordered = "NAME ID STATUS PATH BRAND IP"
    assert parse_error(parse_zoneadm_list_v, f"{reordered}\n") == (
        reordered,
        "expected the header 'ID NAME STATUS PATH BRAND IP'",
    )
    # An extra trailing column cannot be told from a path with a space in it: the
    # path is what lies between STATUS and the last two columns.
    assert parse_zoneadm_list_v(f"{VERBOSE_HEADER}\n   5 kz1 running - solaris-kz excl x\n") == [
        VerboseRow(5, "kz1", "running", "- solaris-kz", "excl", "x")
    ]


def test_list_cv_megabyte_line() -> None:
    row = "a " * (MEGABYTE // 2)
    assert quick(parse_zoneadm_list_v, f"{VERBOSE_HEADER}\n{row}\n") == (
        row.strip(),
        "zone ID 'a' is neither a number nor '-'",
    )


# ---------------------------------------------------------------------------------
# zonecfg export and info

EXPORT = "create -b\nset brand=solaris-kz\nadd suspend\nset path=/system/zones/kz1/suspend\nend\n"


def export(text: str) -> object:
    return parse_zonecfg_export("kz1", text)


def info(text: str) -> object:
    return parse_zonecfg_info("kz1", text)


def test_export_garbage_empty_and_truncated() -> None:
    assert parse_error(export, runner_text(GARBAGE)) == (GARBAGE_LINE, "a command before 'create'")
    assert parse_error(export, "") == ("", "no 'create' command")
    assert parse_error(export, EXPORT[: EXPORT.index("pend")]) == ("add sus", "'add' without 'end'")
    assert parse_error(export, EXPORT[: EXPORT.rindex("end")]) == (
        "add suspend",
        "'add' without 'end'",
    )


def test_export_truncated_inside_a_set_line() -> None:
    # "set path=/system/zo" parses; the open resource is what gives the cut away.
    cut = EXPORT[: EXPORT.index("zones/kz1")]
    assert parse_error(export, cut) == ("add suspend", "'add' without 'end'")


def test_export_reordered_lines() -> None:
    assert parse_error(export, "set brand=solaris-kz\ncreate -b\n") == (
        "set brand=solaris-kz",
        "a command before 'create'",
    )
    assert parse_error(export, "create -b\nend\nadd suspend\n") == ("end", "'end' without 'add'")


def test_export_extra_fields_and_unknown_properties_are_accepted() -> None:
    text = (
        "create -b -F extra\nset brand=solaris-kz\nset future-property=1\n"
        "add suspend\nset path=/p\nset future=x\nend\n"
    )
    config = parse_zonecfg_export("kz1", text)
    assert (config.brand, config.suspend and config.suspend.path) == ("solaris-kz", "/p")


def test_export_non_utf8_and_megabyte_values() -> None:
    text = runner_text(b"create -b\nset brand=solaris-kz\nset bootargs=\xff\xfe\n")
    assert parse_zonecfg_export("kz1", text).brand == "solaris-kz"
    big = "x" * MEGABYTE
    config = quick(export, f"create -b\nadd suspend\nset path=/{big}\nend\n")
    assert getattr(getattr(config, "suspend", None), "path", None) == f"/{big}"
    quoted = '"' + "\\\\" * (MEGABYTE // 2)
    assert quick(export, f"create -b\nset bootargs={quoted}\n") == (
        f"set bootargs={quoted}",
        "unterminated quoted value",
    )


def test_info_garbage_empty_truncated_and_extra() -> None:
    assert parse_error(info, runner_text(GARBAGE)) == (
        GARBAGE_LINE,
        "expected 'property: value' or 'resource:'",
    )
    empty = parse_zonecfg_info("kz1", "")
    assert (empty.brand, empty.suspend) == ("", None)
    assert parse_error(info, "zonename: kz1\nbrand: solaris-kz\nsuspend:\n\tpa") == (
        "pa",
        "unexpected line in the suspend resource",
    )
    truncated = parse_zonecfg_info("kz1", "zonename: kz1\nbrand: solaris-kz\nsuspend:\n\tpath: /sy")
    assert truncated.suspend is not None
    assert truncated.suspend.path == "/sy"
    assert parse_error(info, "zonename: kz1\nsuspend:\n\tpath /p\n") == (
        "path /p",
        "unexpected line in the suspend resource",
    )
    extra = parse_zonecfg_info("kz1", "zonename: kz1\nnew-property: 3\nsuspend:\n\tpath: /p\n")
    assert extra.suspend is not None
    assert extra.suspend.path == "/p"
    assert parse_error(info, "zonename: kz2\n") == (
        "zonename: kz2",
        "this is the configuration of zone 'kz2', not 'kz1'",
    )


def test_info_megabyte_line() -> None:
    big = "y" * MEGABYTE
    assert quick(info, f"{big}\n") == (big, "expected 'property: value' or 'resource:'")


# ---------------------------------------------------------------------------------
# kstat -p, svcs -H -o state


def test_kstat_boot_time_adversarial() -> None:
    expected = "expected 'unix:0:system_misc:boot_time<TAB>SECONDS'"
    assert parse_error(parse_kstat_boot_time, runner_text(GARBAGE)) == (
        ":::",
        "more than one line, expected only 'unix:0:system_misc:boot_time<TAB>SECONDS'",
    )
    assert parse_error(parse_kstat_boot_time, "") == ("", f"no output, {expected}")
    assert parse_error(parse_kstat_boot_time, "unix:0:system_misc:boot_ti") == (
        "unix:0:system_misc:boot_ti",
        expected,
    )
    assert parse_error(parse_kstat_boot_time, "1732550400\tunix:0:system_misc:boot_time") == (
        "1732550400\tunix:0:system_misc:boot_time",
        expected,
    )
    assert parse_error(parse_kstat_boot_time, "unix:0:system_misc:boot_time\t1732550400\t0") == (
        "unix:0:system_misc:boot_time\t1732550400\t0",
        expected,
    )
    digits = "1" * MEGABYTE
    line = f"unix:0:system_misc:boot_time\t{digits}"
    assert quick(parse_kstat_boot_time, line) == (line, expected)
    assert parse_kstat_boot_time("unix:0:system_misc:boot_time\t1732550400\r\n") == 1732550400


def test_svcs_state_adversarial() -> None:
    assert parse_error(parse_svcs_state, runner_text(b"\xff\xfe\n")) == (
        "\ufffd\ufffd",
        "expected one service state such as 'online'",
    )
    assert parse_error(parse_svcs_state, "") == ("", "no output, expected one service state")
    assert parse_error(parse_svcs_state, "online extra") == (
        "online extra",
        "expected one service state such as 'online'",
    )
    assert parse_svcs_state("onl") == "onl"  # truncated, but a word: the caller wants "online"
    word = "o" * MEGABYTE
    assert quick(parse_svcs_state, word) == (word, "expected one service state such as 'online'")


# ---------------------------------------------------------------------------------
# svcprop, who -r


def test_svcprop_runlevel_refuses_what_is_not_a_run_level() -> None:
    assert parse_svcprop_runlevel("6\n") == "6"
    assert parse_svcprop_runlevel('""\n') == ""
    assert parse_error(parse_svcprop_runlevel, runner_text(GARBAGE)) == (
        ":::",
        "more than one line, expected one value",
    )
    assert parse_error(parse_svcprop_runlevel, "") == ("", "no output, expected one value")
    assert parse_error(parse_svcprop_runlevel, "running\n") == (
        "running",
        "unknown run level 'running'",
    )
    assert parse_error(parse_svcprop_runlevel, "6 3\n") == ("6 3", "more than one value")
    word = "a" * MEGABYTE
    found = quick(parse_svcprop_runlevel, word)
    assert isinstance(found, tuple)
    line, reason = found
    assert line == word
    assert reason == f"unknown run level '{'a' * 200}... ({MEGABYTE - 200} more characters)'"


def test_svcprop_value_binary_and_truncated_escape() -> None:
    assert parse_svcprop_value(runner_text(b"a\\ \xff")) == "a \ufffd"
    assert parse_error(parse_svcprop_value, "abc\\") == (
        "abc\\",
        "backslash at the end of the output",
    )


def test_who_r_adversarial() -> None:
    assert parse_error(parse_who_r, runner_text(GARBAGE)) == (
        ":::",
        "more than one line, expected only the run-level line",
    )
    assert parse_error(parse_who_r, "") == ("", "no output, expected the run-level line")
    assert parse_error(parse_who_r, "   .       run-") == (".       run-", "no 'run-level' field")
    # Reordered: the level before the keyword.
    assert parse_error(parse_who_r, "   .  6 run-level Nov 25") == (
        ".  6 run-level Nov 25",
        "unknown run level 'Nov'",
    )
    # Extra trailing fields are fine; truncated after the level too.
    assert parse_who_r("   .       run-level 6  Nov 25 18:22     6      0  3  extra more") == "6"
    assert parse_who_r("   .       run-level 0") == "0"
    line = "run-level " + "9" * MEGABYTE
    assert quick(parse_who_r, line) == (line, f"unknown run level {'9' * MEGABYTE!r}")


# ---------------------------------------------------------------------------------
# df -k

DF_HEADER = "Filesystem            kbytes    used   avail capacity  Mounted on"
DF_LINE = "rpool/VARSHARE/zones 103081248 20971520 82109728    21%    /system/zones"
DF_VALUE = FileSystemSpace("rpool/VARSHARE/zones", "/system/zones", 82109728 * 1024)


def test_df_adversarial() -> None:
    assert parse_error(parse_df_k, runner_text(GARBAGE)) == (
        GARBAGE_LINE,
        "expected a header 'Filesystem ... Mounted on'",
    )
    assert parse_error(parse_df_k, "") == (
        "",
        "no output, expected a header 'Filesystem ... Mounted on'",
    )
    assert parse_error(parse_df_k, f"{DF_HEADER}\n") == (DF_HEADER, "no file system line")
    assert parse_error(parse_df_k, f"{DF_HEADER}\n{DF_LINE[:30]}") == (
        DF_LINE[:30].strip(),
        "expected 6 columns",
    )


def test_df_reordered_and_extra_columns_are_found_by_their_header() -> None:
    header = "Filesystem avail kbytes used capacity iused Mounted on"
    line = "rpool/VARSHARE/zones 82109728 103081248 20971520 21% 7 /system/zones"
    assert parse_df_k(f"{header}\n{line}\n") == DF_VALUE


def test_df_megabyte_line() -> None:
    line = "x " * (MEGABYTE // 2)
    assert quick(parse_df_k, f"{DF_HEADER}\n{line}") == (line.strip(), "kbytes 'x' is not a number")


# ---------------------------------------------------------------------------------
# beadm list -H


def test_beadm_list_h_adversarial() -> None:
    assert parse_error(parse_beadm_list_parseable, runner_text(GARBAGE)) == (
        GARBAGE_LINE,
        "no ';' between fields, expected beadm list -H",
    )
    # Cut short after the name: the name is all kzguard reads.
    assert parse_beadm_list_parseable("solaris;4659d6ee-76a0\nsolaris-1;") == (
        "solaris",
        "solaris-1",
    )
    assert parse_error(parse_beadm_list_parseable, "solaris;u;N\nsolar") == (
        "solar",
        "no ';' between fields, expected beadm list -H",
    )


def test_beadm_list_h_megabyte_line() -> None:
    name = "b" * MEGABYTE
    assert quick(parse_beadm_list_parseable, f"{name};u;N;/;1;static;2\n") == (name,)
    assert quick(parse_beadm_list_parseable, name) == (
        name,
        "no ';' between fields, expected beadm list -H",
    )

"""kzguard.solaris.parse.svcprop: ``svcs -H -o state`` and svcprop values.

Fixtures in tests/data/solaris/ are one command output per file; each test names the
exact values it expects.  Every error path asserts the exact reason and line.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kzguard.solaris.parse.svcprop import (
    Property,
    milestone_is_going_down,
    parse_svcprop_milestone,
    parse_svcprop_properties,
    parse_svcprop_value,
    parse_svcs_state,
)
from tests.unit.solaris_output import fixture, parse_error

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
# svcprop -c -p options_ovr/milestone (docs/solaris.md 12)


@pytest.mark.parametrize(
    ("text", "milestone", "down"),
    [
        ("none\n", "none", True),
        ("svc:/milestone/single-user:default\n", "svc:/milestone/single-user:default", True),
        ("svc:/milestone/multi-user:default\n", "svc:/milestone/multi-user:default", False),
        (
            "svc:/milestone/multi-user-server:default\n",
            "svc:/milestone/multi-user-server:default",
            False,
        ),
        ("all\n", "all", False),
    ],
)
def test_milestones(text: str, milestone: str, down: bool) -> None:
    assert parse_svcprop_milestone(text) == milestone
    assert milestone_is_going_down(milestone) is down


def test_an_empty_milestone_is_returned_empty() -> None:
    assert parse_svcprop_milestone('""\n') == ""


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("svc:/milestone/name-services\n", "svc:/milestone/name-services",
         "unknown milestone 'svc:/milestone/name-services'"),
        ("None\n", "None", "unknown milestone 'None'"),
        ("none all\n", "none all", "more than one value"),
        ("", "", "no output, expected one value"),
    ],
)  # fmt: skip
def test_milestone_errors(text: str, line: str, reason: str) -> None:
    assert parse_error(parse_svcprop_milestone, text) == (line, reason)


# ---------------------------------------------------------------------------------
# svcprop FMRI: every property of an instance


def test_properties_of_an_instance() -> None:
    text = (
        "zone-kz1/entities fmri svc:/system/zones/zone:kz1\n"
        "zone-kz1/grouping astring optional_all\n"
        "zones/entities fmri svc:/system/zones:default svc:/system/zones/zone\n"
        "start/exec astring /lib/svc/method/svc-kzguard\\ %m\\ %\\{config/policy\\}\n"
        'config/empty astring ""\n'
        "config/security/level astring high\n"
        "general/none fmri\n"
    )
    assert parse_svcprop_properties(text) == {
        "zone-kz1": {
            "entities": Property("fmri", ("svc:/system/zones/zone:kz1",)),
            "grouping": Property("astring", ("optional_all",)),
        },
        "zones": {
            "entities": Property("fmri", ("svc:/system/zones:default", "svc:/system/zones/zone")),
        },
        "start": {
            "exec": Property("astring", ("/lib/svc/method/svc-kzguard %m %{config/policy}",))
        },
        "config": {"empty": Property("astring", ("",))},
        "config/security": {"level": Property("astring", ("high",))},
        "general": {"none": Property("fmri", ())},
    }
    assert parse_svcprop_properties("") == {}
    assert parse_svcprop_properties("\n\n") == {}


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("grouping astring x\n", "grouping astring x", "expected 'group/property type value...'"),
        ("pg/ astring x\n", "pg/ astring x", "expected 'group/property type value...'"),
        ("pg/prop\n", "pg/prop", "expected 'group/property type value...'"),
        ('pg/prop astring a"b\n', 'pg/prop astring a"b', "unescaped double quote"),
        ("pg/prop astring a\\", "pg/prop astring a\\", "backslash at the end of the output"),
    ],
)
def test_property_listing_errors(text: str, line: str, reason: str) -> None:
    assert parse_error(parse_svcprop_properties, text) == (line, reason)

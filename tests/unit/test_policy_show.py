"""How policy messages show keys and values (kzguard.policy.show, kzguard.text):
as the operator would write them, bounded and escaped."""

from __future__ import annotations

import datetime

import pytest

from kzguard.policy.show import describe, format_key, shown_integer
from kzguard.text import quote, shown


def test_format_key_and_quote() -> None:
    assert format_key(("zone", "kz.1", "after", 0)) == 'zone."kz.1".after[0]'
    assert format_key(("zone", 'a"b\\', "x y")) == 'zone."a\\"b\\\\"."x y"'
    assert format_key(()) == ""
    assert quote("a\x7fb\u2028") == '"a\\u007Fb\\u2028"'
    assert quote("\b\t\n\f\r") == '"\\b\\t\\n\\f\\r"'


def test_keys_and_integers_are_shown_bounded() -> None:
    assert format_key(("zone", "k" * 81)) == f'zone."{"k" * 80}"... (81 characters)'
    assert format_key(("zone", "k" * 80)) == f"zone.{'k' * 80}"
    assert shown_integer(2**64 - 1) == "18446744073709551615"
    assert shown_integer(-(2**64) + 1) == "-18446744073709551615"
    assert shown_integer(2**64) == "an integer of more than 19 digits"
    assert shown_integer(10**5000) == "an integer of more than 19 digits"
    assert shown("9" * 80) == "9" * 80
    assert shown("9" * 81) == f"{'9' * 80}... (81 characters)"
    assert quote("q" * 81) == f'"{"q" * 80}"... (81 characters)'


@pytest.mark.parametrize(
    ("value", "described"),
    [
        (True, "boolean true"),
        (False, "boolean false"),
        (7, "integer 7"),
        (2**64, "an integer of more than 19 digits"),
        (1.5, "float 1.5"),
        ("x\n", 'string "x\\n"'),
        (datetime.datetime(1979, 5, 27, 7, 32), "date-time 1979-05-27T07:32:00"),
        (datetime.date(1979, 5, 27), "date 1979-05-27"),
        (datetime.time(7, 32), "time 07:32:00"),
        ({}, "table"),
        ([], "array"),
        (None, "NoneType"),
    ],
)
def test_values_are_described_by_their_toml_type(value: object, described: str) -> None:
    assert describe(value) == described

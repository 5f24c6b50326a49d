"""Zone-name validation: libzonecfg's zonecfg_validate_zonename() rule."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kzguard.text import quote
from kzguard.zonename import (
    RULE,
    ZONE_NAME_MAX_LENGTH,
    is_valid_zone_name,
    name_problem,
    validate_zone_name,
)

VALID = [
    "kz1",
    "k",
    "9",
    "global",  # reserved for creation, but listed by zoneadm
    "SUNWtest",
    "db-01.prod_a",
    "A" * ZONE_NAME_MAX_LENGTH,
    "0-._",
]

INVALID = [
    "",
    "a b",
    "-kz",
    "_kz",
    ".kz",
    "kz/1",
    "kz:1",
    "kz\n",
    "\nkz",
    " kz",
    "kz ",
    "k\u00e9",  # non-ASCII letter: libzonecfg compares byte ranges
    "\u0661kz",  # a non-ASCII digit (ARABIC-INDIC DIGIT ONE)
    "A" * (ZONE_NAME_MAX_LENGTH + 1),
]


def test_the_maximum_length_is_zonename_max_minus_the_nul() -> None:
    # <sys/zone.h> ZONENAME_MAX is 64 and includes the terminating NUL.
    assert ZONE_NAME_MAX_LENGTH == 63


@pytest.mark.parametrize("name", VALID)
def test_valid_names_are_accepted_and_returned(name: str) -> None:
    assert is_valid_zone_name(name)
    assert validate_zone_name(name) == name


@pytest.mark.parametrize("name", INVALID)
def test_invalid_names_are_rejected(name: str) -> None:
    assert not is_valid_zone_name(name)
    with pytest.raises(ValueError, match="invalid zone name") as caught:
        validate_zone_name(name)
    assert str(caught.value) == f"invalid zone name {quote(name)} ({name_problem(name)}): {RULE}"


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "it is empty"),
        ("a" * 64, "it is 64 characters long"),
        ("-kz", 'it starts with "-"'),
        ("..", 'it starts with "."'),
        ("kz/1", 'it contains "/"'),
        ("kz;reboot", 'it contains ";"'),
        ("kz 1", 'it contains " "'),
        ("kz\n", 'it contains "\\n"'),
        ("kz\x1b[2J", 'it contains "\\u001B"'),
        ("k\u00e9", 'it contains "\u00e9"'),
    ],
)
def test_the_problem_names_the_broken_part_of_the_rule(name: str, problem: str) -> None:
    assert name_problem(name) == problem


def test_a_hostile_name_is_shown_escaped_and_cut_short() -> None:
    with pytest.raises(ValueError, match="invalid zone name") as caught:
        validate_zone_name("a\x1b[2J\n" + "b" * 10_000)
    assert str(caught.value) == (
        f'invalid zone name "a\\u001B[2J\\n{"b" * 74}"... (10006 characters) '
        f"(it is 10006 characters long): {RULE}"
    )


def test_the_message_states_the_rule() -> None:
    with pytest.raises(ValueError, match="invalid zone name") as caught:
        validate_zone_name("a b")
    assert str(caught.value) == (
        'invalid zone name "a b" (it contains " "): a zone name is 1-63 characters, starts '
        'with a letter or digit, then letters, digits, "-", "_" or "."'
    )


_REFERENCE = re.compile(r"[a-zA-Z0-9][-_.a-zA-Z0-9]{0,62}")  # <libzonecfg.h> ZONENAME_REGEXP


@given(st.text(max_size=80))
def test_agrees_with_libzonecfg_zonename_regexp(name: str) -> None:
    assert is_valid_zone_name(name) == (_REFERENCE.fullmatch(name) is not None)
    assert (name_problem(name) is None) == is_valid_zone_name(name)


@given(st.from_regex(_REFERENCE, fullmatch=True))
def test_every_name_of_the_regexp_is_valid(name: str) -> None:
    assert validate_zone_name(name) == name

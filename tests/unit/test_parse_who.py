"""kzguard.solaris.parse.who: ``who -r`` and what the run levels mean.

Fixtures in tests/data/solaris/ are one command output per file; each test names the
exact values it expects.  Every error path asserts the exact reason and line.
"""

from __future__ import annotations

import pytest

from kzguard.solaris.parse.who import RUNLEVELS_GOING_DOWN, is_going_down, parse_who_r
from tests.unit.solaris_output import fixture, parse_error

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

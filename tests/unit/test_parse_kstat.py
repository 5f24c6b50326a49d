"""kzguard.solaris.parse.kstat: ``kstat -p unix:0:system_misc:boot_time``.

Fixtures in tests/data/solaris/ are one command output per file; each test names the
exact values it expects.  Every error path asserts the exact reason and line.
"""

from __future__ import annotations

import pytest

from kzguard.solaris.parse.kstat import parse_kstat_boot_time
from tests.unit.solaris_output import fixture, parse_error

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

"""kzguard.solaris.parse.beadm: ``beadm list -H``, the boot environments' names.

The fixture is the example of Oracle's 11.2 *Creating and Administering Boot
Environments*, "Viewing Information About Boot Environments in Machine-Parsable
Output" (docs/formats.md).
"""

from __future__ import annotations

import pytest

from kzguard.solaris.parse.beadm import parse_beadm_list_parseable
from tests.unit.solaris_output import fixture, parse_error


def test_the_documented_example_gives_every_name_in_order() -> None:
    assert parse_beadm_list_parseable(fixture("beadm-list-H-11.2-doc.txt")) == (
        "BE2",
        "BE3",
        "BE4",
        "BE5",
    )


def test_only_the_first_field_is_read_and_blank_lines_are_skipped() -> None:
    text = "\nsolaris;u1;N;/;1;static;2\n  \nsolaris-1;;R\n"
    assert parse_beadm_list_parseable(text) == ("solaris", "solaris-1")


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("", "", "no output, expected a line for each boot environment"),
        (" \n\t\n", "", "no output, expected a line for each boot environment"),
        (
            "BE               Flags Mountpoint Space  Policy Created\n",
            "BE               Flags Mountpoint Space  Policy Created",
            "no ';' between fields, expected beadm list -H",
        ),
        (
            "solaris;u;N;/;1;static;2\n;u;R;-;1;static;2\n",
            ";u;R;-;1;static;2",
            "no boot environment name before the first ';'",
        ),
    ],
)
def test_refuses_what_is_not_beadm_list_h(text: str, line: str, reason: str) -> None:
    assert parse_error(parse_beadm_list_parseable, text) == (line, reason)

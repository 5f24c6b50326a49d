"""The simulated commands' getopt(3C) (kzguard/sim/options.py), against the
standard library's getopt.getopt, whose rules it follows without its imports."""

from __future__ import annotations

import getopt as stdlib_getopt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kzguard.sim.options import OptionError, getopt

WORDS = st.lists(st.text(alphabet="-:zcpRx1", max_size=4), max_size=5)


@given(WORDS, st.sampled_from(["cipsv", "z:", "Ccp:", "R", "", "yg:i:"]))
def test_options_are_read_as_the_standard_library_reads_them(args: list[str], letters: str) -> None:
    try:
        expected = stdlib_getopt.getopt(args, letters)
    except stdlib_getopt.GetoptError:
        with pytest.raises(OptionError):
            getopt(args, letters)
    else:
        assert getopt(args, letters) == expected


@pytest.mark.parametrize(
    ("args", "letters", "result"),
    [
        (["-cp"], "cipsv", ([("-c", ""), ("-p", "")], [])),
        (["-z", "kz1", "suspend"], "z:", ([("-z", "kz1")], ["suspend"])),
        (["-zkz1", "boot", "-R"], "z:", ([("-z", "kz1")], ["boot", "-R"])),
        (["--", "-c"], "c", ([], ["-c"])),
        (["-", "-c"], "c", ([], ["-", "-c"])),
        (["-cpz", "kz1"], "cpz:", ([("-c", ""), ("-p", ""), ("-z", "kz1")], [])),
    ],
)
def test_posix_rules(
    args: list[str], letters: str, result: tuple[list[tuple[str, str]], list[str]]
) -> None:
    assert getopt(args, letters) == result


@pytest.mark.parametrize(
    ("args", "letters", "message"),
    [
        (["-x"], "c", "illegal option -- x"),
        (["-:"], "z:", "illegal option -- :"),
        (["--long"], "c", "illegal option -- -"),
        (["-cz"], "cz:", "option requires an argument -- z"),
    ],
)
def test_errors_name_the_option_as_getopt_3c_does(
    args: list[str], letters: str, message: str
) -> None:
    with pytest.raises(OptionError) as caught:
        getopt(args, letters)
    assert str(caught.value) == message

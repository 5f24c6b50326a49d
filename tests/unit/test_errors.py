"""Messages of kzguard's errors: what an operator reads when a command goes wrong."""

from __future__ import annotations

import signal

import pytest

from kzguard.errors import CommandFailed, excerpt, signal_name


def test_a_known_signal_is_named() -> None:
    assert signal_name(9) == "signal 9 (SIGKILL)"
    assert signal_name(int(signal.SIGSEGV)) == "signal 11 (SIGSEGV)"


@pytest.mark.parametrize("number", [0, 200, 12345])
def test_a_signal_python_does_not_know_is_given_by_number(number: int) -> None:
    assert signal_name(number) == f"signal {number}"


def test_a_command_killed_by_an_unknown_signal_says_so() -> None:
    error = CommandFailed(["/usr/sbin/zoneadm", "list", "-cp"], -200, "")
    assert str(error) == "/usr/sbin/zoneadm list -cp: was killed by signal 200"
    assert error.detail == "killed by signal 200"


def test_excerpt_keeps_short_text_and_cuts_long_text_saying_how_much() -> None:
    assert excerpt("x" * 200) == "x" * 200
    assert excerpt("x" * 201) == "x" * 200 + "... (1 more characters)"

"""Messages of kzguard's errors: what an operator reads when a command goes wrong."""

from __future__ import annotations

import signal

import pytest

from kzguard.errors import CommandError, CommandFailed, CommandTimedOut, excerpt, signal_name


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


ZONEADM_BOOT = ["/usr/sbin/zoneadm", "-z", "kz1", "boot"]


def test_a_failed_command_keeps_the_line_that_says_why_not_only_the_last() -> None:
    """zoneadm ends every failure with "call to zoneadmd failed"; the cause is the
    line before it (illumos zoneadm.c boot_func)."""
    stderr = (
        "zoneadm: zone 'kz1': resume failed: the suspend image is corrupt\n"
        "zoneadm: zone 'kz1': call to zoneadmd failed\n"
    )
    error = CommandFailed(ZONEADM_BOOT, 1, stderr)
    assert error.detail == (
        "zoneadm: zone 'kz1': resume failed: the suspend image is corrupt; "
        "zoneadm: zone 'kz1': call to zoneadmd failed"
    )
    assert str(error) == f"/usr/sbin/zoneadm -z kz1 boot: exited with status 1: {error.detail}"


def test_the_cause_kept_is_bounded_in_lines_and_length_and_shown_visibly() -> None:
    lines = [f"line {n}" for n in range(1, 10)]
    lines[-2] = "\x1b[2Jcleared " + "x" * 300
    error = CommandFailed(ZONEADM_BOOT, 1, "\n".join(lines) + "\n\n")
    assert error.detail == (
        "(6 earlier lines left out) line 7; \\u001B[2Jcleared "
        + "x" * 183
        + "... (117 more characters); line 9"
    )


def test_stdout_is_the_cause_only_when_stderr_is_empty() -> None:
    assert CommandFailed(ZONEADM_BOOT, 2, "", "one\ntwo\n").detail == "one; two"
    assert CommandFailed(ZONEADM_BOOT, 2, "err\n", "out\n").detail == "err"


def test_brief_names_the_command_by_its_program_alone() -> None:
    argv = ["/usr/sbin/zlogin", "-n", "kz1", "/usr/bin/kstat", "-p", "x", "&&", "/usr/bin/mkdir"]
    failed = CommandFailed(argv, 1, "zlogin: could not enter zone kz1: Connection refused\n")
    assert str(failed).startswith("/usr/sbin/zlogin -n kz1 /usr/bin/kstat -p x && ")
    assert failed.brief() == (
        "zlogin: exited with status 1: zlogin: could not enter zone kz1: Connection refused"
    )
    timed_out = CommandTimedOut(["/usr/sbin/zoneadm", "list"], 2.0)
    assert timed_out.brief() == "zoneadm: timed out after 2s and was killed"
    assert CommandError([], "no command").brief() == "no command"
    assert CommandError(["/usr/sbin/zoneadm"], "said otherwise").brief() == "said otherwise"

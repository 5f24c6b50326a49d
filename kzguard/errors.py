"""Exceptions that carry their exit status, so the CLI needs one ``except KzguardError``.  Pure.

Exit statuses of the ``kzguard`` command (documented in README.md):

====  ==============================================================
0     success
1     ``check``: warnings only; ``status``: an error is recorded
2     invalid policy, invalid usage or input, ``check`` found errors
3     a Solaris command failed, timed out, is missing or printed
      output that could not be parsed
4     the state directory or its lock could not be used
====  ==============================================================
"""

from __future__ import annotations

import signal
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

EXIT_OK = 0
EXIT_WARNINGS = 1
EXIT_USAGE = 2
EXIT_COMMAND = 3
EXIT_STATE = 4
EXIT_TIMED_OUT = 5  # kzguard wait: the start method of this boot did not finish in time


class KzguardError(Exception):
    """Base of every error kzguard expects; ``str()`` is the operator-facing message."""

    exit_code = EXIT_USAGE


class UsageError(KzguardError):
    """A bad command line or a bad value given on it."""

    exit_code = EXIT_USAGE


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a policy file.

    ``key`` is the dotted key path (``zone.db1.after[0]``), empty for the file as a
    whole; ``line``/``column`` are 1-based and 0 when unknown.
    """

    key: str
    message: str
    line: int = 0
    column: int = 0

    def render(self, source: str) -> str:
        """Return ``FILE:LINE:COL: key: message`` with the unknown parts left out."""
        where = visible(source)
        if self.line:
            where += f":{self.line}"
            if self.column:
                where += f":{self.column}"
        if self.key:
            return f"{where}: {self.key}: {self.message}"
        return f"{where}: {self.message}"


def visible(text: str) -> str:
    """``text`` with control, format and line-separator characters shown as
    ``\\u`` and four hex digits (a newline as ``\\u000A``): a path given on the
    command line (``--policy``) may hold a newline or an escape sequence, which must
    not reach the terminal or the SMF log raw."""
    return "".join(f"\\u{ord(char):04X}" if invisible(char) else char for char in text)


def invisible(char: str) -> bool:
    """Control, format, unassigned and line or paragraph separator characters."""
    category = unicodedata.category(char)
    return category[0] == "C" or category in ("Zl", "Zp")


class PolicyError(KzguardError):
    """The policy file cannot be used; every problem found is listed, one per line."""

    exit_code = EXIT_USAGE

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return "\n".join(problem.render(self.source) for problem in self.problems)


def _show_argv(argv: Sequence[str]) -> str:
    return " ".join(argv)


class CommandError(KzguardError):
    """Base of the errors of running an external command; carries its argv."""

    exit_code = EXIT_COMMAND

    def __init__(self, argv: Sequence[str], message: str) -> None:
        self.argv = tuple(argv)
        super().__init__(message)

    def brief(self) -> str:
        """The message with the command named by its program alone, for a log line
        read during a shutdown (a zlogin's whole in-zone command line is long; the
        journal keeps ``str()``)."""
        message, shown = str(self), _show_argv(self.argv)
        if not self.argv or not message.startswith(shown):
            return message
        return self.argv[0].rpartition("/")[2] + message[len(shown) :]


class CommandFailed(CommandError):
    """The command ran and exited with a status it was not expected to."""

    def __init__(self, argv: Sequence[str], returncode: int, stderr: str, stdout: str = "") -> None:
        self.returncode = returncode
        self.stderr = stderr
        self.stdout = stdout
        if returncode < 0:
            status = f"was killed by {signal_name(-returncode)}"
        else:
            status = f"exited with status {returncode}"
        detail = cause(stderr) or cause(stdout)
        if returncode < 0:
            fallback = f"killed by {signal_name(-returncode)}"
        else:
            fallback = f"exit status {returncode}"
        self.detail = detail or fallback
        message = f"{_show_argv(argv)}: {status}"
        if detail:
            message += f": {detail}"
        super().__init__(argv, message)


class CommandTimedOut(CommandError):
    """The command did not finish inside its timeout; its process group was killed."""

    def __init__(self, argv: Sequence[str], timeout: float) -> None:
        self.timeout = timeout
        super().__init__(argv, f"{_show_argv(argv)}: timed out after {timeout:g}s and was killed")


class CommandMissing(CommandError):
    """The executable does not exist or cannot be executed."""

    def __init__(self, argv: Sequence[str], reason: str) -> None:
        self.reason = reason
        # The whole argv, like every other command error: "zonecfg: cannot run" alone
        # would not say which of kzguard's calls failed.
        super().__init__(argv, f"{_show_argv(argv)}: cannot run {argv[0]}: {reason}")


class CommandNotStarted(CommandError):
    """The system would not start the command for want of resources (processes,
    memory, descriptors), after retries: the program itself may be fine."""

    def __init__(self, argv: Sequence[str], reason: str, errno: int | None = None) -> None:
        self.reason = reason
        self.errno = errno  # the system's error number, when it gave one
        super().__init__(argv, f"{_show_argv(argv)}: could not start {argv[0]}: {reason}")


class CommandOutputTooLarge(CommandError):
    """The command wrote more than the runner is willing to hold; it was killed."""

    def __init__(self, argv: Sequence[str], limit: int) -> None:
        self.limit = limit
        super().__init__(argv, f"{_show_argv(argv)}: wrote more than {limit} bytes and was killed")


class OutputParseError(CommandError):
    """The command succeeded but printed something kzguard does not understand."""

    def __init__(self, argv: Sequence[str], line: str, reason: str) -> None:
        self.line = line
        self.reason = reason
        super().__init__(
            argv, f"{_show_argv(argv)}: unexpected output: {reason}: {excerpt(line)!r}"
        )


class StateError(KzguardError):
    """The state directory, journal or lock cannot be used."""

    exit_code = EXIT_STATE


# A line quoted in a message: enough to recognise it, never a megabyte of it.
EXCERPT_LENGTH = 200


def described(error: BaseException) -> str:
    """A defect of kzguard's own as its reports name it: the exception's type and
    message."""
    return f"{type(error).__name__}: {error}"


def failed_inside(where: str, error: BaseException) -> str:
    """What a defect of kzguard's own met in ``where`` cost, as a zone's record and
    the run's own failures say it."""
    return f"{where} failed inside kzguard ({described(error)})"


def excerpt(text: str) -> str:
    """Return ``text``, or its first EXCERPT_LENGTH characters and how many more."""
    if len(text) <= EXCERPT_LENGTH:
        return text
    return f"{text[:EXCERPT_LENGTH]}... ({len(text) - EXCERPT_LENGTH} more characters)"


def signal_name(number: int) -> str:
    """``signal 9 (SIGKILL)``; just ``signal N`` for a number Python does not know."""
    try:
        return f"signal {number} ({signal.Signals(number).name})"
    except ValueError:
        return f"signal {number}"


# Lines of a failed command's output kept as its cause.  zoneadm ends every failure
# with "call to zoneadmd failed" (illumos zoneadm.c: zerror after the door call), and
# the line that says why comes before it; a few lines keep it, and a bounded number
# of bounded lines keeps a chatty command from filling the log and the journal.
CAUSE_LINES = 3


def cause(text: str) -> str:
    """The last CAUSE_LINES non-blank lines of ``text`` on one line, joined by "; ",
    each shown with :func:`visible` and cut by :func:`excerpt`; how many earlier
    lines were left out, if any."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    kept = [excerpt(visible(line)) for line in lines[-CAUSE_LINES:]]
    left_out = len(lines) - len(kept)
    if left_out:
        kept[0] = f"({left_out} earlier line{'' if left_out == 1 else 's'} left out) {kept[0]}"
    return "; ".join(kept)


class ParseError(ValueError):
    """Raised by the pure parsers; the adapter that ran the command turns it into
    an :class:`OutputParseError` naming the argv."""

    def __init__(self, line: str, reason: str) -> None:
        self.line = line
        self.reason = reason
        super().__init__(f"{reason}: {line!r}")

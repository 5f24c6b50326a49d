"""Checks of single policy values: booleans, integers, strings, durations, sizes,
choices, arrays, boot arguments, zone-name patterns, zone names and paths.

Each check takes the report, the key path and the raw TOML value; it returns the
checked value, or None after reporting why the value is unusable.  Pure: no I/O.
"""

from __future__ import annotations

import enum
import posixpath
import re
import unicodedata
from collections.abc import Sequence
from typing import Any, Callable, TypeVar

from kzguard.policy.model import AUTO, NO_CONSOLE, STEP_ORDER, Action, Parallel
from kzguard.policy.report import Report
from kzguard.policy.show import KeyPath, choices, describe, did_you_mean, shown_integer
from kzguard.text import quote, shown
from kzguard.units import SizeTooLarge, format_duration, format_size, parse_duration, parse_size
from kzguard.zonename import RULE as ZONE_NAME_RULE
from kzguard.zonename import name_problem

MAX_STRING_LENGTH = 4096
MAX_READINESS_COMMAND_LENGTH = 1024
MIN_ASSUMED_RATE = 1 << 20
# 1P per second is beyond any disk; a bigger rate is a typo (or a float overflow).
MAX_ASSUMED_RATE = 1 << 50

Check = Callable[[Report, KeyPath, Any], Any]


def boolean(report: Report, path: KeyPath, value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    report.add(path, f"expected true or false, got {describe(value)}")
    return None


def concurrency(high: int) -> Check:
    """``parallel``: "auto" (found by measurement, kzguard/pace/auto.py) or a
    number of transfers at once from 1 to ``high``."""

    def check(report: Report, path: KeyPath, value: Any) -> Parallel | None:
        if value == AUTO:
            return AUTO
        # bool is an int in Python, but `parallel = true` is a mistake, not a 1.
        if isinstance(value, int) and not isinstance(value, bool):
            if 1 <= value <= high:
                return value
            report.add(path, f'must be "auto" or between 1 and {high}, got {shown_integer(value)}')
            return None
        advice = ""
        if isinstance(value, str):
            if value.strip().isascii() and value.strip().isdigit():
                advice = f"; write {value.strip()} without the quotes"
            else:
                advice = did_you_mean(value.lower(), [AUTO])
        elif isinstance(value, float) and value.is_integer() and value >= 1:
            advice = f"; write {int(value)}"
        report.add(
            path, f'expected "auto" or an integer from 1 to {high}, got {describe(value)}{advice}'
        )
        return None

    return check


def string(
    report: Report, path: KeyPath, value: Any, *, limit: int = MAX_STRING_LENGTH
) -> str | None:
    if not isinstance(value, str):
        report.add(path, f"expected a string, got {describe(value)}")
    elif len(value) > limit:
        report.add(path, f"must be at most {limit} characters long, got {len(value)}")
    elif any(unicodedata.category(char) == "Cc" for char in value):
        report.add(path, f"must not contain control characters, got {quote(value)}")
    else:
        return value
    return None


# A run of well-formed parts, to tell "30m1h" (order) from "15x" (not a duration).
_DURATION_PARTS = re.compile(r"(?:[0-9]+(?:\.[0-9]+)?(?:ms|h|m|s))+")


def _not_ascii(text: str) -> str:
    """Return ``; it contains "X", which is not an ASCII digit`` for the first
    character X of ``text`` outside ASCII, "" if there is none."""
    char = next((char for char in text if not char.isascii()), "")
    if not char:
        return ""
    kind = "digit" if char.isdigit() else "character"
    return f"; it contains {quote(char)}, which is not an ASCII {kind}"


_T = TypeVar("_T")


def _parse_ascii(parse: Callable[[str], _T], text: str) -> _T:
    """Return ``parse(text)``; raise ValueError if ``text`` is not ASCII.

    kzguard.units reads numbers with Python's \\d and float(), which take the digits
    of every script (fullwidth "\\uFF11\\uFF10m" is 10 minutes to them); a duration or
    size, like a zone name, is ASCII.
    """
    if not text.isascii():
        raise ValueError(f"not ASCII: {text!r}")
    return parse(text)


def duration(low: float, high: float, *, above: bool = False) -> Check:
    """Durations from ``low`` to ``high`` inclusive; longer than ``low`` when ``above``."""

    def check(report: Report, path: KeyPath, value: Any) -> float | None:
        if not isinstance(value, str):
            report.add(path, f'expected a duration string like "15m", got {describe(value)}')
            return None
        text = string(report, path, value)
        if text is None:
            return None
        try:
            seconds = _parse_ascii(parse_duration, text)
        except ValueError:
            if _DURATION_PARTS.fullmatch(text):
                report.add(
                    path,
                    "units must go from the largest to the smallest, each once "
                    f'(like "1h30m"), got {quote(text)}',
                )
            else:
                report.add(
                    path,
                    f'expected a duration like "90s", "15m" or "1h30m", got {quote(text)}'
                    f"{_not_ascii(text)}",
                )
            return None
        # A few hundred digits make an infinite float: it fails the bound, and
        # format_duration, which cannot take it, never sees it.
        if above and seconds <= low:
            report.add(path, f"must be longer than {format_duration(low)}, got {shown(text)}")
        elif above and seconds > high:
            report.add(path, f"must be at most {format_duration(high)}, got {shown(text)}")
        elif not low <= seconds <= high:
            report.add(
                path,
                f"must be between {format_duration(low)} and {format_duration(high)}, "
                f"got {shown(text)}",
            )
        else:
            return seconds
        return None

    return check


def rate(report: Report, path: KeyPath, value: Any) -> int | None:
    if not isinstance(value, str):
        report.add(path, f'expected a size per second like "256M", got {describe(value)}')
        return None
    text = string(report, path, value)
    if text is None:
        return None
    try:
        per_second = _parse_ascii(parse_size, text[:-2] if text.endswith("/s") else text)
    except SizeTooLarge:
        report.add(
            path, f"must be at most {format_size(MAX_ASSUMED_RATE)} per second, got {quote(text)}"
        )
        return None
    except ValueError:
        report.add(
            path,
            f'expected a size per second like "256M" or "1G", got {quote(text)}{_not_ascii(text)}',
        )
        return None
    if per_second < MIN_ASSUMED_RATE:
        report.add(
            path,
            f"must be at least {format_size(MIN_ASSUMED_RATE)} per second, got {shown(text)}",
        )
        return None
    if per_second > MAX_ASSUMED_RATE:
        report.add(
            path,
            f"must be at most {format_size(MAX_ASSUMED_RATE)} per second, got {shown(text)}",
        )
        return None
    return per_second


_E = TypeVar("_E", bound=enum.Enum)


def choice(kind: type[_E], allowed: Sequence[_E]) -> Check:
    names = [member.value for member in allowed]

    def check(report: Report, path: KeyPath, value: Any) -> _E | None:
        text = string(report, path, value)
        if text is None:
            return None
        if text in names:
            return kind(text)
        report.add(
            path, f"must be one of {choices(names)}, got {quote(text)}{did_you_mean(text, names)}"
        )
        return None

    return check


_STEP_CHOICE = choice(Action, STEP_ORDER)


def fallback_step(report: Report, path: KeyPath, value: Any) -> Action | None:
    if value == Action.IGNORE.value:
        report.add(path, '"ignore" cannot be a fallback; set action = "ignore" instead')
        return None
    step: Action | None = _STEP_CHOICE(report, path, value)
    return step


def array(item: Check, *, unique: bool = False) -> Check:
    """Arrays of strings checked by ``item``; the tuple only if every entry is valid.

    A duplicate is reported but only dropped: the rest still serves the checks
    that compare this array with others.
    """

    def check(report: Report, path: KeyPath, value: Any) -> tuple[Any, ...] | None:
        if not isinstance(value, (list, tuple)):
            report.add(path, f"expected an array of strings, got {describe(value)}")
            return None
        items: list[Any] = []
        sound = True
        for index, raw in enumerate(value):
            checked = item(report, (*path, index), raw)
            if checked is None:
                sound = False
            elif unique and checked in items:
                report.add((*path, index), f"duplicate {quote(raw)}")
            else:
                items.append(checked)
        return tuple(items) if sound else None

    return check


# `zoneadm boot` receives these as argv entries, never through a shell; an entry with
# a space is almost always "-m verbose" written as one entry where two were meant.
_BOOT_OPTION = re.compile(r"-[A-Za-z0-9][A-Za-z0-9=,._-]*")


def boot_arg(report: Report, path: KeyPath, value: Any) -> str | None:
    text = string(report, path, value)
    if text is None:
        return None
    if text.startswith("-"):
        if _BOOT_OPTION.fullmatch(text):
            return text
    elif text and not any(char.isspace() for char in text):
        return text
    report.add(path, f'must be an option like "-R" or one word without spaces, got {quote(text)}')
    return None


_GLOB_PLAIN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
_GLOB_CHARS = _GLOB_PLAIN | frozenset("*?[]!")


def _glob_problem(pattern: str) -> str | None:
    """Return what is wrong with the zone-name pattern, None if nothing."""
    shown = quote(pattern)
    if not pattern:
        return "must not be empty"
    for char in pattern:
        if char not in _GLOB_CHARS:
            return (
                f"{quote(char)} cannot appear in a zone-name pattern, got {shown}; use letters, "
                'digits, "-", "_", "." and the wildcards * ? [...] [!...]'
            )
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "]":
            return f'"]" without "[" in {shown}'
        if char == "!":
            return f'"!" outside "[!...]" in {shown}'
        if char != "[":
            index += 1
            continue
        first = index + 2 if pattern.startswith("!", index + 1) else index + 1
        end = pattern.find("]", first)
        if end < 0:
            return f'unclosed "[" in {shown}'
        if end == first:
            return f'empty "[]" in {shown}'
        if not set(pattern[first:end]) <= _GLOB_PLAIN:
            return f'only letters, digits, "-", "_" and "." can appear inside [...], got {shown}'
        index = end + 1
    return None


def _checked_string(
    report: Report, path: KeyPath, value: Any, problem_of: Callable[[str], str | None]
) -> str | None:
    """A string that ``problem_of`` finds nothing wrong with; else the problem is
    reported and None returned."""
    text = string(report, path, value)
    if text is None:
        return None
    problem = problem_of(text)
    if problem is None:
        return text
    report.add(path, problem)
    return None


def zone_glob(report: Report, path: KeyPath, value: Any) -> str | None:
    return _checked_string(report, path, value, _glob_problem)


def zone_name_problem(name: str) -> str | None:
    """Return why ``name`` cannot name a kernel zone in the policy, None if it can.

    A name that reaches zoneadm's argv must obey the Solaris rule (docs/solaris.md), so
    that ";", "/", "..", a leading "-" or a space never gets there.
    """
    if name == "global":
        return '"global" is the global zone; the policy only names kernel zones'
    problem = name_problem(name)
    if problem is not None:
        return f"{quote(name)} is not a valid zone name ({problem}): {ZONE_NAME_RULE}"
    return None


def zone_ref(report: Report, path: KeyPath, value: Any) -> str | None:
    return _checked_string(report, path, value, zone_name_problem)


# The POSIX portable filename characters, "/" and "+": enough for every Solaris
# command and state directory, and no shell metacharacter, space or quote, so that a
# path shown in a log or pasted into a shell means what it says.
_PATH_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._-+")


def absolute_path(report: Report, path: KeyPath, value: Any) -> str | None:
    text = string(report, path, value)
    if text is None:
        return None
    odd = next((char for char in text if char not in _PATH_CHARS), None)
    if not text.startswith("/") or ".." in text.split("/"):
        report.add(path, f'must be an absolute path without ".." (got {quote(text)})')
    elif odd is not None:
        report.add(
            path,
            f"{quote(odd)} cannot appear in a path here, got {quote(text)}; use letters, "
            'digits, "/", ".", "_", "-" and "+"',
        )
    elif posixpath.normpath(text) != text or text.startswith("//"):
        report.add(
            path,
            'must be a normalised path without "." components, "//" or a trailing "/" '
            f"(got {quote(text)})",
        )
    else:
        return text
    return None


def console_path(report: Report, path: KeyPath, value: Any) -> str | None:
    """``[paths] console``: an absolute path, or "none" or "" for no console lines
    (both read as "")."""
    if value in ("", NO_CONSOLE):
        return ""
    return absolute_path(report, path, value)


def readiness_command(report: Report, path: KeyPath, value: Any) -> str | None:
    # zlogin hands its command to the zone's shell (zlogin(1): "the command string is
    # interpreted by a shell in the zone"), so a newline would start a second command
    # and a NUL would cut it short: control characters are refused, not escaped.
    text = string(report, path, value, limit=MAX_READINESS_COMMAND_LENGTH)
    if text is None:
        return None
    if text.strip():
        return text
    report.add(path, "must not be empty")
    return None

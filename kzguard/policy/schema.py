"""Policy text and TOML tables -> :class:`~kzguard.policy.model.Policy`, or every problem found.

Pure: no I/O.  :mod:`kzguard.policy.file` reads the bytes, then calls :func:`decode_utf8`
and :func:`policy_from_text`, which is :func:`decode_toml` then :func:`parse_policy`.

Validation never stops at the first problem: every table is read, every value checked,
then the cross-field rules run on the values that were valid, and one
:class:`~kzguard.errors.PolicyError` lists everything, sorted by line then key path.
A problem is addressed by its dotted key path (``zone.db1.fallback[1]``); the line
comes from :func:`kzguard.policy.toml.key_lines`, a small scanner of the TOML text,
because tomllib keeps no positions.
"""

from __future__ import annotations

import dataclasses
import enum
import fnmatch
import posixpath
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Callable, TypeVar

from kzguard.errors import PolicyError, Problem
from kzguard.policy.model import (
    STEP_ORDER,
    Action,
    Commands,
    Paths,
    Policy,
    Readiness,
    ResumeFailure,
    ResumePolicy,
    Selection,
    ShutdownPolicy,
    ZonePolicy,
)
from kzguard.policy.toml import (
    KeyPath,
    _choices,
    _describe,
    _did_you_mean,
    decode_toml,
    format_key,
    key_lines,
    quote,
    shown,
    shown_integer,
)
from kzguard.units import (
    SizeTooLarge,
    format_duration,
    format_size,
    parse_duration,
    parse_size,
)
from kzguard.zonename import RULE as ZONE_NAME_RULE
from kzguard.zonename import name_problem

MAX_STRING_LENGTH = 4096
MAX_READINESS_COMMAND_LENGTH = 1024
MIN_DEADLINE = 10.0
MAX_DEADLINE = 24 * 3600.0
MAX_STAGGER = 600.0
MAX_PARALLEL = 256
MIN_ASSUMED_RATE = 1 << 20
# 1P per second is beyond any disk; a bigger rate is a typo (or a float overflow).
MAX_ASSUMED_RATE = 1 << 50
# Enough to show what is wrong; a pathological graph can hold thousands of cycles.
MAX_CYCLES_REPORTED = 20
# A cycle longer than this is shown by its first zones, its length and its start.
MAX_CYCLE_ZONES_SHOWN = 8
# A file with thousands of bad lines gets the first ones, then how many more: the
# operator fixes those first, and a log or terminal is not flooded.
MAX_PROBLEMS_REPORTED = 50


def policy_from_text(text: str, *, source: str) -> Policy:
    """Return the policy written in the TOML ``text``; raise PolicyError if it is invalid.

    An empty file (or one of only blank lines) is refused rather than taken as the
    built-in defaults: it is what an interrupted save or a full file system leaves,
    and the methods then keep the last known good policy instead of managing every
    kernel zone by default.  A file of comments is the way to ask for the defaults.
    """
    if not text.strip():
        what = "is empty" if not text else "holds only white space"
        raise PolicyError(
            source,
            [
                Problem(
                    "",
                    f"the policy file {what}, as an interrupted save may leave it; restore "
                    'it, or to use the built-in defaults write a comment such as "# defaults"',
                )
            ],
        )
    return parse_policy(decode_toml(text, source=source), source=source, text=text)


# ----------------------------------------------------------------------------------
# Problems


class _Report:
    """The problems found so far, addressed by key path."""

    def __init__(self, lines: Mapping[tuple[str, ...], int]) -> None:
        self._lines = lines
        self._found: list[tuple[KeyPath, str]] = []

    def add(self, path: KeyPath, message: str) -> None:
        self._found.append((path, message))

    def line_of(self, path: KeyPath) -> int:
        """Return the line of the nearest enclosing key that the scanner saw, 0 if none."""
        names = tuple(part for part in path if isinstance(part, str))
        while names:
            if names in self._lines:
                return self._lines[names]
            names = names[:-1]
        return 0

    def problems(self) -> list[Problem]:
        located = [(self.line_of(path), path, message) for path, message in self._found]
        located.sort(key=lambda item: (item[0], _sort_key(item[1])))
        problems = [
            Problem(format_key(path), message, line)
            for line, path, message in located[:MAX_PROBLEMS_REPORTED]
        ]
        if len(located) > MAX_PROBLEMS_REPORTED:
            more = len(located) - MAX_PROBLEMS_REPORTED
            problems.append(
                Problem(
                    "",
                    f"{more} more problem{'s' if more > 1 else ''} not listed; fix the ones "
                    "above and check again",
                )
            )
        return problems


def _sort_key(path: KeyPath) -> list[tuple[int, str, int]]:
    # Indexes sort as numbers, so fallback[2] comes before fallback[10].
    return [(1, "", part) if isinstance(part, int) else (0, part, 0) for part in path]


# ----------------------------------------------------------------------------------
# Value checks.  Each takes the report, the key path and the raw TOML value; it
# returns the checked value, or None after reporting why the value is unusable.

_Check = Callable[[_Report, KeyPath, Any], Any]


def _boolean(report: _Report, path: KeyPath, value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    report.add(path, f"expected true or false, got {_describe(value)}")
    return None


def _integer(low: int, high: int) -> _Check:
    def check(report: _Report, path: KeyPath, value: Any) -> int | None:
        # bool is an int in Python, but `parallel = true` is a mistake, not a 1.
        if not isinstance(value, int) or isinstance(value, bool):
            report.add(path, f"expected an integer, got {_describe(value)}")
        elif not low <= value <= high:
            report.add(path, f"must be between {low} and {high}, got {shown_integer(value)}")
        else:
            return value
        return None

    return check


def _string(
    report: _Report, path: KeyPath, value: Any, *, limit: int = MAX_STRING_LENGTH
) -> str | None:
    if not isinstance(value, str):
        report.add(path, f"expected a string, got {_describe(value)}")
    elif len(value) > limit:
        report.add(path, f"must be at most {limit} characters long, got {len(value)}")
    elif any(unicodedata.category(char) == "Cc" for char in value):
        report.add(path, f"must not contain control characters, got {quote(value)}")
    else:
        return value
    return None


# A run of well-formed parts, to tell "30m1h" (order) from "15x" (not a duration).
_DURATION_PARTS = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|h|m|s))+")


def _duration(low: float, high: float, *, above: bool = False) -> _Check:
    """Durations from ``low`` to ``high`` inclusive; longer than ``low`` when ``above``."""

    def check(report: _Report, path: KeyPath, value: Any) -> float | None:
        if not isinstance(value, str):
            report.add(path, f'expected a duration string like "15m", got {_describe(value)}')
            return None
        text = _string(report, path, value)
        if text is None:
            return None
        try:
            seconds = parse_duration(text)
        except ValueError:
            if _DURATION_PARTS.fullmatch(text):
                report.add(
                    path,
                    "units must go from the largest to the smallest, each once "
                    f'(like "1h30m"), got {quote(text)}',
                )
            else:
                report.add(
                    path, f'expected a duration like "90s", "15m" or "1h30m", got {quote(text)}'
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


def _rate(report: _Report, path: KeyPath, value: Any) -> int | None:
    if not isinstance(value, str):
        report.add(path, f'expected a size per second like "256M", got {_describe(value)}')
        return None
    text = _string(report, path, value)
    if text is None:
        return None
    try:
        rate = parse_size(text[:-2] if text.endswith("/s") else text)
    except SizeTooLarge:
        report.add(
            path, f"must be at most {format_size(MAX_ASSUMED_RATE)} per second, got {quote(text)}"
        )
        return None
    except ValueError:
        report.add(path, f'expected a size per second like "256M" or "1G", got {quote(text)}')
        return None
    if rate < MIN_ASSUMED_RATE:
        report.add(
            path,
            f"must be at least {format_size(MIN_ASSUMED_RATE)} per second, got {shown(text)}",
        )
        return None
    if rate > MAX_ASSUMED_RATE:
        report.add(
            path,
            f"must be at most {format_size(MAX_ASSUMED_RATE)} per second, got {shown(text)}",
        )
        return None
    return rate


_E = TypeVar("_E", bound=enum.Enum)


def _choice(kind: type[_E], allowed: Sequence[_E]) -> _Check:
    names = [member.value for member in allowed]

    def check(report: _Report, path: KeyPath, value: Any) -> _E | None:
        text = _string(report, path, value)
        if text is None:
            return None
        if text in names:
            return kind(text)
        report.add(
            path, f"must be one of {_choices(names)}, got {quote(text)}{_did_you_mean(text, names)}"
        )
        return None

    return check


_STEP_CHOICE = _choice(Action, STEP_ORDER)


def _step(report: _Report, path: KeyPath, value: Any) -> Action | None:
    if value == Action.IGNORE.value:
        report.add(path, '"ignore" cannot be a fallback; set action = "ignore" instead')
        return None
    step: Action | None = _STEP_CHOICE(report, path, value)
    return step


def _array(item: _Check, *, unique: bool = False) -> _Check:
    """Arrays of strings checked by ``item``; the tuple only if every entry is valid.

    A duplicate is reported but only dropped: the rest still serves the checks
    that compare this array with others.
    """

    def check(report: _Report, path: KeyPath, value: Any) -> tuple[Any, ...] | None:
        if not isinstance(value, (list, tuple)):
            report.add(path, f"expected an array of strings, got {_describe(value)}")
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


def _boot_arg(report: _Report, path: KeyPath, value: Any) -> str | None:
    text = _string(report, path, value)
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
    report: _Report, path: KeyPath, value: Any, problem_of: Callable[[str], str | None]
) -> str | None:
    """A string that ``problem_of`` finds nothing wrong with; else the problem is
    reported and None returned."""
    text = _string(report, path, value)
    if text is None:
        return None
    problem = problem_of(text)
    if problem is None:
        return text
    report.add(path, problem)
    return None


def _glob(report: _Report, path: KeyPath, value: Any) -> str | None:
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


def _zone_ref(report: _Report, path: KeyPath, value: Any) -> str | None:
    return _checked_string(report, path, value, zone_name_problem)


# The POSIX portable filename characters, "/" and "+": enough for every Solaris
# command and state directory, and no shell metacharacter, space or quote, so that a
# path shown in a log or pasted into a shell means what it says.
_PATH_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._-+")


def _absolute_path(report: _Report, path: KeyPath, value: Any) -> str | None:
    text = _string(report, path, value)
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


def _readiness_command(report: _Report, path: KeyPath, value: Any) -> str | None:
    # zlogin hands its command to the zone's shell (zlogin(1): "the command string is
    # interpreted by a shell in the zone"), so a newline would start a second command
    # and a NUL would cut it short: control characters are refused, not escaped.
    text = _string(report, path, value, limit=MAX_READINESS_COMMAND_LENGTH)
    if text is None:
        return None
    if text.strip():
        return text
    report.add(path, "must not be empty")
    return None


# ----------------------------------------------------------------------------------
# The schema: one table of checks per TOML table.  A test keeps these keys equal to
# the dataclass fields of kzguard.policy.model.

SHUTDOWN_KEYS: Mapping[str, _Check] = {
    "deadline": _duration(MIN_DEADLINE, MAX_DEADLINE),
    "parallel": _integer(1, MAX_PARALLEL),
    "assumed_rate": _rate,
    "act_on_service_stop": _boolean,
}
RESUME_KEYS: Mapping[str, _Check] = {
    "deadline": _duration(MIN_DEADLINE, MAX_DEADLINE),
    "parallel": _integer(1, MAX_PARALLEL),
    "stagger": _duration(0.0, MAX_STAGGER),
    "verify": _boolean,
    "on_failure": _choice(ResumeFailure, list(ResumeFailure)),
    "fresh_boot_args": _array(_boot_arg),
    "boot_lost": _boolean,
}
SELECT_KEYS: Mapping[str, _Check] = {
    "auto": _boolean,
    "include": _array(_glob, unique=True),
    "exclude": _array(_glob, unique=True),
}
DEFAULTS_KEYS: Mapping[str, _Check] = {
    "action": _choice(Action, list(Action)),
    "fallback": _array(_step),
    "suspend_timeout": _duration(0.0, MAX_DEADLINE, above=True),
    "shutdown_timeout": _duration(0.0, MAX_DEADLINE, above=True),
    "halt_timeout": _duration(0.0, MAX_DEADLINE, above=True),
    "resume": _boolean,
    "readiness": _choice(Readiness, list(Readiness)),
    "readiness_command": _readiness_command,
    "readiness_timeout": _duration(0.0, MAX_DEADLINE, above=True),
}
ZONE_KEYS: Mapping[str, _Check] = {**DEFAULTS_KEYS, "after": _array(_zone_ref, unique=True)}
COMMANDS_KEYS: Mapping[str, _Check] = {
    field.name: _absolute_path for field in dataclasses.fields(Commands)
}
PATHS_KEYS: Mapping[str, _Check] = {"state_dir": _absolute_path}

_TABLES: Mapping[str, Mapping[str, _Check]] = {
    "shutdown": SHUTDOWN_KEYS,
    "resume": RESUME_KEYS,
    "select": SELECT_KEYS,
    "defaults": DEFAULTS_KEYS,
    "zone": {},  # a table of zone tables, checked on its own
    "commands": COMMANDS_KEYS,
    "paths": PATHS_KEYS,
}
# Where a key belongs, for "unknown key" messages: `stagger` in [shutdown] is a
# misplaced key, not a misspelled one.
_HOMES: Sequence[tuple[str, Mapping[str, _Check]]] = (
    ("[shutdown]", SHUTDOWN_KEYS),
    ("[resume]", RESUME_KEYS),
    ("[select]", SELECT_KEYS),
    ("[defaults]", DEFAULTS_KEYS),
    ("[zone.NAME]", ZONE_KEYS),
    ("[commands]", COMMANDS_KEYS),
    ("[paths]", PATHS_KEYS),
)

_BASE = ZonePolicy()


def _unknown_key_message(key: str, valid: Sequence[str], label: str) -> str:
    homes = [home for home, keys in _HOMES if key in keys and home != label]
    if homes:
        return f"unknown key; {quote(key)} belongs in {' or '.join(homes)}"
    suggestion = _did_you_mean(key, valid)
    if suggestion:
        return f"unknown key{suggestion}"
    return f"unknown key; valid keys are {', '.join(sorted(valid))}"


@dataclasses.dataclass
class _Table:
    """The checked values of one TOML table."""

    path: KeyPath
    is_table: bool = True
    values: dict[str, Any] = dataclasses.field(default_factory=dict)
    invalid: set[str] = dataclasses.field(default_factory=set)
    raw: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def sound(self, key: str) -> bool:
        """Return True unless the table is broken or sets ``key`` to an invalid value."""
        return self.is_table and key not in self.invalid


def _read_table(
    report: _Report, path: KeyPath, value: Any, keys: Mapping[str, _Check], label: str
) -> _Table:
    if value is None:
        return _Table(path)
    if not isinstance(value, Mapping):
        if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            header = format_key(path)
            message = (
                f"expected a table, got an array of tables; write [{header}], not [[{header}]]"
            )
        else:
            message = f"expected a table, got {_describe(value)}"
        report.add(path, message)
        return _Table(path, is_table=False)
    table = _Table(path, raw=value)
    for key, raw in value.items():
        check = keys.get(key)
        if check is None:
            report.add((*path, key), _unknown_key_message(key, list(keys), label))
            continue
        checked = check(report, (*path, key), raw)
        if checked is None:
            table.invalid.add(key)
        else:
            table.values[key] = checked
    return table


# ----------------------------------------------------------------------------------
# Zone settings and inheritance


@dataclasses.dataclass(frozen=True)
class _Setting:
    value: Any
    sound: bool = True  # False when an invalid value (reported) stands behind it
    inherited: bool = False  # taken from [defaults]


def _rank(action: Action) -> int:
    return STEP_ORDER.index(action)


def _later_steps(chain: Iterable[Action], action: Action) -> tuple[Action, ...]:
    """Return the steps of ``chain`` that may follow ``action`` (all if it is ignore)."""
    if action not in STEP_ORDER:
        return tuple(chain)
    return tuple(step for step in chain if _rank(step) > _rank(action))


def _from_defaults(setting: _Setting) -> str:
    return " (from [defaults])" if setting.inherited else ""


def _check_chain(report: _Report, path: KeyPath, action: _Setting, chain: Sequence[Action]) -> bool:
    """Check that each fallback step is new and weaker than the step before it."""
    previous: Action | None = None
    shown_previous = ""
    if action.sound and action.value in STEP_ORDER:
        previous = action.value
        shown_previous = f'action "{action.value.value}"{_from_defaults(action)}'
    sound = True
    seen: set[Action] = set()
    for index, step in enumerate(chain):
        if step in seen:
            problem = f'duplicate "{step.value}"'
        elif previous is not None and _rank(step) <= _rank(previous):
            problem = (
                f'"{step.value}" cannot follow {shown_previous}; '
                "a fallback must be weaker (suspend > shutdown > halt)"
            )
        else:
            problem = ""
            previous, shown_previous = step, f'"{step.value}"'
        seen.add(step)
        if problem:
            report.add((*path, index), problem)
            sound = False
    return sound


def _defaults_settings(report: _Report, table: _Table) -> dict[str, _Setting]:
    settings = {}
    for key in DEFAULTS_KEYS:
        if key in table.values:
            settings[key] = _Setting(table.values[key])
        else:
            settings[key] = _Setting(getattr(_BASE, key), sound=table.sound(key))
    action = settings["action"]
    fallback_path = (*table.path, "fallback")
    if "fallback" in table.values:
        chain = table.values["fallback"]
        # With action "ignore", [defaults] fallback is still the chain that zones
        # setting their own action inherit, so it is checked on its own order.
        sound = _check_chain(report, fallback_path, action, chain)
        settings["fallback"] = _Setting(chain, sound=sound and action.sound)
    elif table.sound("fallback"):
        chain = _later_steps(_BASE.fallback, action.value)
        settings["fallback"] = _Setting(chain, sound=action.sound)
    _check_readiness(report, table, settings)
    return settings


def _zone_settings(
    report: _Report, table: _Table, defaults: Mapping[str, _Setting]
) -> dict[str, _Setting]:
    settings = {}
    for key in DEFAULTS_KEYS:
        if key in table.values:
            settings[key] = _Setting(table.values[key])
        elif key in table.invalid:
            settings[key] = _Setting(defaults[key].value, sound=False)
        else:
            settings[key] = dataclasses.replace(defaults[key], inherited=True)
    action = settings["action"]
    fallback_path = (*table.path, "fallback")
    if "fallback" in table.values:
        chain = table.values["fallback"]
        if action.value is Action.IGNORE:
            report.add(
                fallback_path,
                f'has no effect with action "ignore"{_from_defaults(action)}; remove it',
            )
            sound = False
        else:
            sound = _check_chain(report, fallback_path, action, chain)
        settings["fallback"] = _Setting(chain, sound=sound and action.sound)
    elif "action" in table.values:
        inherited = defaults["fallback"]
        chain = _later_steps(inherited.value, action.value)
        settings["fallback"] = _Setting(chain, sound=inherited.sound and table.sound("fallback"))
    if action.value is Action.IGNORE:
        settings["fallback"] = dataclasses.replace(settings["fallback"], value=())
    _check_readiness(report, table, settings)
    return settings


def _check_readiness(report: _Report, table: _Table, settings: dict[str, _Setting]) -> None:
    readiness = settings["readiness"]
    command = settings["readiness_command"]
    if (
        "readiness_command" in table.values
        and readiness.value is not Readiness.COMMAND
        and readiness.sound
    ):
        report.add(
            (*table.path, "readiness_command"),
            f'only used with readiness = "command", but readiness is '
            f'"{readiness.value.value}"{_from_defaults(readiness)}',
        )
    if (
        readiness.value is Readiness.COMMAND
        and "readiness" in table.values
        and command.value is None
        and command.sound
    ):
        report.add((*table.path, "readiness"), 'readiness = "command" needs a readiness_command')
    if readiness.value is not Readiness.COMMAND:
        # An inherited command goes with an inherited readiness = "command" only.
        settings["readiness_command"] = dataclasses.replace(command, value=None)


def _budget(settings: Mapping[str, _Setting]) -> tuple[tuple[str, float], ...] | None:
    """Return the steps' (timeout name, seconds), None if not checkable or ignored."""
    action = settings["action"]
    fallback = settings["fallback"]
    if not (action.sound and fallback.sound) or action.value is Action.IGNORE:
        return None
    terms = []
    for step in (action.value, *fallback.value):
        name = f"{step.value}_timeout"
        if not settings[name].sound:
            return None
        terms.append((name, float(settings[name].value)))
    return tuple(terms)


def _check_budget(
    report: _Report,
    path: KeyPath,
    terms: tuple[tuple[str, float], ...],
    deadline: float,
    *,
    built_in: bool = False,
) -> None:
    """Check that the step timeouts ``terms`` fit in the shutdown deadline.

    ``built_in``: the terms are the built-in [defaults], which the file does not
    have; ``path`` is then shutdown.deadline, the setting that made them not fit.
    """
    total = sum(seconds for _, seconds in terms)
    # A millisecond of slack absorbs float sums such as 0.1 + 0.2.
    if total <= deadline + 0.001:
        return
    steps = " + ".join(f"{name} {format_duration(seconds)}" for name, seconds in terms)
    if len(terms) > 1:
        steps += f" = {format_duration(total)}"
    plural = "s" if len(terms) > 1 else ""
    if built_in:
        report.add(
            path,
            f"the built-in [defaults] {steps} does not fit in {format_duration(deadline)}; "
            f"raise the deadline or set shorter timeout{plural} in [defaults]",
        )
        return
    report.add(
        path,
        f"{steps} does not fit in shutdown.deadline {format_duration(deadline)}; "
        f"raise the deadline or shorten the timeout{plural}",
    )


def _check_readiness_timeout(
    report: _Report, path: KeyPath, setting: _Setting, deadline: float
) -> None:
    if setting.value > deadline:
        report.add(
            (*path, "readiness_timeout"),
            f"{format_duration(setting.value)}{_from_defaults(setting)} is longer than "
            f"resume.deadline {format_duration(deadline)}; shorten readiness_timeout or "
            "raise resume.deadline",
        )


def _policy_of(settings: Mapping[str, _Setting], after: tuple[str, ...] = ()) -> ZonePolicy:
    return ZonePolicy(**{key: setting.value for key, setting in settings.items()}, after=after)


# ----------------------------------------------------------------------------------
# Dependency cycles


def _components(graph: Mapping[str, Sequence[str]]) -> list[set[str]]:
    """Return the strongly connected components of ``graph`` (Tarjan, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    for root in sorted(graph):
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(graph[root]))]
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(graph[successor])))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    components.append(component)
    return components


def dependency_cycles(graph: Mapping[str, Sequence[str]], limit: int) -> list[tuple[str, ...]]:
    """Return up to ``limit`` elementary cycles of ``graph``, each once.

    Each cycle starts from its alphabetically smallest member.  Johnson's algorithm:
    the time is bounded by the number of cycles found, not by the number of paths.
    """
    cycles: list[tuple[str, ...]] = []
    pending = _cyclic_components(graph)
    while pending and len(cycles) < limit:
        # Smallest first, so that a cut-short list holds the cycles an operator reads
        # first in the file's alphabetical order.
        pending.sort(key=min, reverse=True)
        component = pending.pop()
        start = min(component)
        sub = {node: sorted(set(graph[node]) & component) for node in component}
        path = [start]
        blocked = {start}
        closed: set[str] = set()
        blockers: dict[str, set[str]] = defaultdict(set)
        work = [(start, list(reversed(sub[start])))]
        while work and len(cycles) < limit:
            node, todo = work[-1]
            if todo:
                successor = todo.pop()
                if successor == start:
                    cycles.append(tuple(path))
                    closed.update(path)
                elif successor not in blocked:
                    path.append(successor)
                    work.append((successor, list(reversed(sub[successor]))))
                    closed.discard(successor)
                    blocked.add(successor)
                continue
            if node in closed:
                _unblock(node, blocked, blockers)
            else:
                for successor in sub[node]:
                    blockers[successor].add(node)
            work.pop()
            path.pop()
        rest = {node: [s for s in sub[node] if s != start] for node in component if node != start}
        pending.extend(_cyclic_components(rest))
    return sorted(cycles)


def _cyclic_components(graph: Mapping[str, Sequence[str]]) -> list[set[str]]:
    """Return the components that hold a cycle: several nodes, or one with a self-loop."""
    return [
        component
        for component in _components(graph)
        if len(component) > 1 or not component.isdisjoint(graph[min(component)])
    ]


def _unblock(node: str, blocked: set[str], blockers: dict[str, set[str]]) -> None:
    todo = {node}
    while todo:
        current = todo.pop()
        if current in blocked:
            blocked.remove(current)
            todo.update(blockers[current])
            blockers[current].clear()


# ----------------------------------------------------------------------------------
# The whole policy


def parse_policy(data: Mapping[str, Any], *, source: str, text: str = "") -> Policy:
    """Return the policy described by the decoded TOML tables ``data``.

    ``text`` is the TOML text ``data`` came from; it is only used to give each
    problem its line.

    Raises:
        PolicyError: every problem found, sorted by line then key path.
    """
    report = _Report(key_lines(text))
    for key in data:
        if key not in _TABLES:
            report.add((key,), _unknown_key_message(key, list(_TABLES), "the top level"))

    def table(name: str) -> _Table:
        return _read_table(report, (name,), data.get(name), _TABLES[name], f"[{name}]")

    shutdown = table("shutdown")
    resume = table("resume")
    select = table("select")
    commands = table("commands")
    paths = table("paths")
    defaults_table = table("defaults")
    defaults = _defaults_settings(report, defaults_table)
    zone_tables = _read_zones(report, data.get("zone"))
    zones = {
        name: _zone_settings(report, zone_table, defaults)
        for name, zone_table in zone_tables.items()
    }
    _check_after(report, zone_tables)
    _check_excluded(report, select, zone_tables)

    if shutdown.sound("deadline"):
        deadline = shutdown.values.get("deadline", ShutdownPolicy.deadline)
        defaults_budget = _budget(defaults)
        if defaults_budget is not None and "defaults" in data:
            _check_budget(report, ("defaults",), defaults_budget, deadline)
        elif defaults_budget is not None:
            # No [defaults] line to point at: point at the deadline that was set.
            path = ("shutdown", "deadline")
            _check_budget(report, path, defaults_budget, deadline, built_in=True)
        for name, settings in zones.items():
            budget = _budget(settings)
            if budget is not None and budget != defaults_budget:
                _check_budget(report, ("zone", name), budget, deadline)

    if resume.sound("deadline"):
        deadline = resume.values.get("deadline", ResumePolicy.deadline)
        timeout = defaults["readiness_timeout"]
        # readiness_timeout matters where readiness is used; an explicit one is
        # checked anyway, since zones that turn readiness on inherit it.
        defaults_checked = timeout.sound and (
            "readiness_timeout" in defaults_table.values
            or defaults["readiness"].value is not Readiness.NONE
        )
        if defaults_checked:
            _check_readiness_timeout(report, ("defaults",), timeout, deadline)
        for name, settings in zones.items():
            timeout = settings["readiness_timeout"]
            given = "readiness_timeout" in zone_tables[name].values
            used = settings["readiness"].value is not Readiness.NONE
            if timeout.sound and (given or (used and not defaults_checked)):
                _check_readiness_timeout(report, ("zone", name), timeout, deadline)

    problems = report.problems()
    if problems:
        raise PolicyError(source, problems)
    return Policy(
        source=source,
        shutdown=ShutdownPolicy(**shutdown.values),
        resume=ResumePolicy(**resume.values),
        select=Selection(**select.values),
        defaults=_policy_of(defaults),
        zones={
            name: _policy_of(settings, zone_tables[name].values.get("after", ()))
            for name, settings in zones.items()
        },
        commands=Commands(**commands.values),
        paths=Paths(**paths.values),
    )


def _read_zones(report: _Report, value: Any) -> dict[str, _Table]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        report.add(("zone",), f"expected a table of [zone.NAME] tables, got {_describe(value)}")
        return {}
    zones = {}
    for name, table in value.items():
        path = ("zone", name)
        problem = zone_name_problem(name)
        if problem is not None:
            report.add(path, problem)
        zone = _read_table(report, path, table, ZONE_KEYS, "[zone.NAME]")
        if problem is None and zone.is_table:
            zones[name] = zone
    return zones


def _valid_entries(value: Any) -> list[tuple[int, str]]:
    """Return the (index, name) of the ``after`` entries that passed their own checks.

    Checked here again because one bad entry makes the whole array invalid, while
    the good entries still deserve their cross-checks in the same run.
    """
    entries: list[tuple[int, str]] = []
    if not isinstance(value, (list, tuple)):
        return entries
    seen = set()
    for index, entry in enumerate(value):
        if isinstance(entry, str) and zone_name_problem(entry) is None and entry not in seen:
            seen.add(entry)
            entries.append((index, entry))
    return entries


def _check_after(report: _Report, zones: Mapping[str, _Table]) -> None:
    """Check that ``after`` entries name other zone tables, without cycles."""
    graph: dict[str, list[str]] = {}
    for name, zone in zones.items():
        graph[name] = []
        for index, other in _valid_entries(zone.raw.get("after")):
            path = ("zone", name, "after", index)
            if other == name:
                report.add(path, "a zone cannot come after itself")
            elif other not in zones:
                report.add(path, f'unknown zone "{other}"{_did_you_mean(other, zones)}')
            else:
                graph[name].append(other)
    cycles = dependency_cycles(graph, MAX_CYCLES_REPORTED + 1)
    for cycle in cycles[:MAX_CYCLES_REPORTED]:
        if len(cycle) > MAX_CYCLE_ZONES_SHOWN:
            hidden = len(cycle) - MAX_CYCLE_ZONES_SHOWN
            members = (*cycle[:MAX_CYCLE_ZONES_SHOWN], f"... ({hidden} more zones)", cycle[0])
        else:
            members = (*cycle, cycle[0])
        report.add(("zone", cycle[0], "after"), f"dependency cycle {' -> '.join(members)}")
    if len(cycles) > MAX_CYCLES_REPORTED:
        report.add(
            ("zone",),
            f"more than {MAX_CYCLES_REPORTED} dependency cycles; only the first "
            f"{MAX_CYCLES_REPORTED} are listed",
        )


def _check_excluded(report: _Report, select: _Table, zones: Mapping[str, _Table]) -> None:
    patterns: tuple[str, ...] = select.values.get("exclude", ())
    for name in zones:
        for index, pattern in enumerate(patterns):
            if fnmatch.fnmatchcase(name, pattern):
                report.add(
                    ("zone", name),
                    f"also excluded by select.exclude[{index}] {quote(pattern)}; "
                    "remove one of them",
                )
                break

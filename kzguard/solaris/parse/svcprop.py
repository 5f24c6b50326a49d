"""Parsers of SMF's answers: a property value printed by ``svcprop``, the run level
and the milestone read from svc.startd's ``options_ovr`` group with it, every
property of an instance (``svcprop FMRI``), and the state printed by
``svcs -H -o state``.

Pure: no I/O (see :mod:`kzguard.solaris.parse` for the contract every parser keeps).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from kzguard.errors import ParseError, excerpt
from kzguard.solaris.parse.common import single_line
from kzguard.solaris.parse.who import RUNLEVELS

# svcs states are lower-case words (online, offline, disabled, maintenance, degraded,
# uninitialized, legacy_run), with "*" appended while the instance is moving to
# another state (docs/formats.md "zlogin ... svcs"; svcs(1)).
# "uninitialized" is the longest (13); 32 keeps a megabyte of letters out.
_SVC_STATE = re.compile(r"[a-z][a-z_]{0,31}\*?")


def parse_svcs_state(text: str) -> str:
    """Return the state printed by ``svcs -H -o state FMRI``, e.g. ``online``, ``offline*``.

    Raises:
        ParseError: no output, more than one line, or not a state word.
    """
    line = single_line(text, "one service state")
    if _SVC_STATE.fullmatch(line) is None:
        raise ParseError(line, "expected one service state such as 'online'")
    return line


def _svcprop_words(text: str) -> list[tuple[str, list[str]]]:
    """Split svcprop output into (line as printed, its words), undoing its escapes.

    quote_for_shell() in svcprop.c puts a backslash before each of ``;&()|^<>``,
    newline, space, TAB, backslash, double and single quote and backquote, so only an
    unescaped space, TAB or newline separates values or lines.  A word is kept as
    printed (escapes included) so that ``""`` can be told from ``\\"\\"``.
    """
    # One regular expression pass, not a loop per character: a megabyte of output
    # must not cost seconds of a shutdown.
    lines: list[tuple[str, list[str]]] = []
    words: list[str] = []
    start = 0
    for match in _SVCPROP_TOKEN.finditer(text):
        word, newline, lone_backslash = match.group(1), match.group(2), match.group(3)
        if word is not None:
            words.append(word)
        elif newline is not None:
            lines.append((text[start : match.start()], words))
            words, start = [], match.end()
        elif lone_backslash is not None:
            raise ParseError(text[start:].strip(), "backslash at the end of the output")
    lines.append((text[start:], words))
    return lines


# A word is a run of escaped characters and characters other than blank, newline
# and backslash; a backslash can only be left over at the very end of the text.
_SVCPROP_TOKEN = re.compile(r"((?:\\[\s\S]|[^ \t\n\\])+)|(\n)|[ \t]+|(\\)")
_SVCPROP_UNQUOTED = re.compile(r'(?:\\[\s\S]|[^"\\])*')
_SVCPROP_ESCAPE = re.compile(r"\\([\s\S])")


def _unescape(line: str, word: str) -> str:
    """A word as svcprop printed it -> the value: ``""`` is the empty string."""
    if word == '""':
        return ""
    if _SVCPROP_UNQUOTED.fullmatch(word) is None:
        raise ParseError(line.strip(), "unescaped double quote")
    return _SVCPROP_ESCAPE.sub(r"\1", word)


def parse_svcprop_value(text: str) -> str:
    """Return the one value printed by ``svcprop -p PG/PROP FMRI``, unescaped.

    svcprop backslash-escapes shell metacharacters, space included (``a\\ b`` is
    ``a b``), and prints the empty string as ``""`` (docs/solaris.md 5.5, svcprop(1)).

    Raises:
        ParseError: no value, more than one value or line, an unescaped double quote,
            or a backslash at the very end.
    """
    printed = [(line, words) for line, words in _svcprop_words(text) if words]
    if not printed:
        raise ParseError("", "no output, expected one value")
    if len(printed) > 1:
        raise ParseError(printed[1][0].strip(), "more than one line, expected one value")
    line, words = printed[0]
    if len(words) > 1:
        raise ParseError(line.strip(), "more than one value")
    return _unescape(line, words[0])


def parse_svcprop_runlevel(text: str) -> str:
    """Return the run level in the restarter's ``options_ovr/runlevel`` as svcprop
    prints it: one of 0-6, S, s, or ``""`` when the property is empty.

    Raises:
        ParseError: what :func:`parse_svcprop_value` refuses, or a value that is not
            a run level (taken for one, garbage could stand the guard down).
    """
    level = parse_svcprop_value(text)
    if level and level not in RUNLEVELS:
        raise ParseError(text.strip(), f"unknown run level {excerpt(level)!r}")
    return level


# What svc.startd's dgraph_set_runlevel() (illumos graph.c) writes to
# options_ovr/milestone: "none" for run levels 0, 5 and 6, the single-user milestone
# for S and 1, the multi-user milestone for 2 and "all" for 3 and 4; `svcadm
# milestone` can also name multi-user-server (docs/solaris.md 12).
MILESTONES_GOING_DOWN = frozenset({"none", "svc:/milestone/single-user:default"})
MILESTONES_STAYING_UP = frozenset(
    {
        "all",
        "svc:/milestone/multi-user:default",
        "svc:/milestone/multi-user-server:default",
    }
)


def parse_svcprop_milestone(text: str) -> str:
    """Return the milestone in the restarter's ``options_ovr/milestone``, or ``""``
    when the property is empty.

    Raises:
        ParseError: what :func:`parse_svcprop_value` refuses, or a milestone whose
            meaning for a shutdown is unknown.
    """
    milestone = parse_svcprop_value(text)
    if milestone and milestone not in MILESTONES_GOING_DOWN | MILESTONES_STAYING_UP:
        raise ParseError(text.strip(), f"unknown milestone {excerpt(milestone)!r}")
    return milestone


def milestone_is_going_down(milestone: str) -> bool:
    """Whether svc.startd is taking every service down (``none``) or to single user."""
    return milestone in MILESTONES_GOING_DOWN


class Property(NamedTuple):
    """One property as ``svcprop FMRI`` prints it: its type and its values."""

    type: str
    values: tuple[str, ...]


# pg/prop: a property group name (11.4 nests them: "config/security") and a
# property name, which never contains "/".
_PROPERTY_NAME = re.compile(r"(\S+)/([^/\s]+)")


def parse_svcprop_properties(text: str) -> dict[str, dict[str, Property]]:
    """Return ``{group: {property: Property}}`` from ``svcprop FMRI``, whose lines
    are ``pg/prop type value...`` with every value escaped as for one value.

    Raises:
        ParseError: a line without a ``pg/prop`` name and a type, or a value
            :func:`parse_svcprop_value` would refuse.
    """
    groups: dict[str, dict[str, Property]] = {}
    for line, words in _svcprop_words(text):
        if not words:
            continue
        name = _PROPERTY_NAME.fullmatch(words[0])
        if name is None or len(words) < 2:
            raise ParseError(line.strip(), "expected 'group/property type value...'")
        values = tuple(_unescape(line, word) for word in words[2:])
        groups.setdefault(name.group(1), {})[name.group(2)] = Property(words[1], values)
    return groups

"""Parsers of SMF's answers: a property value printed by ``svcprop``, the run level
read from svc.startd's ``options_ovr/runlevel`` with it, and the state printed by
``svcs -H -o state``.

Pure: no I/O (see :mod:`kzguard.solaris.parse` for the contract every parser keeps).
"""

from __future__ import annotations

import re

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
    word = words[0]
    if word == '""':
        return ""
    if _SVCPROP_UNQUOTED.fullmatch(word) is None:
        raise ParseError(line.strip(), "unescaped double quote")
    return _SVCPROP_ESCAPE.sub(r"\1", word)


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

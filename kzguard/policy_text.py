"""TOML text for the policy: decoding with positions, and where each key stands.

tomllib keeps no positions, so problems found later by :mod:`kzguard.policy_schema`
get their line from :func:`key_lines`, a small scanner of the text, and syntax
errors get theirs from the decoder's message (older tomli put line and column only
in the text).  Pure: no I/O.
"""

from __future__ import annotations

import datetime
import difflib
import re
import sys
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Union

from kzguard.errors import PolicyError, Problem

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.9 and 3.10 only; setup.cfg installs tomli there
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

# What tomllib (or tomli) raises on text that is not TOML; decode_toml turns it into
# a PolicyError.
TOMLDecodeError: type[ValueError] = tomllib.TOMLDecodeError

KeyPart = Union[str, int]
KeyPath = tuple[KeyPart, ...]

# ----------------------------------------------------------------------------------
# Showing keys and values in messages


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}
_SHOWN_VALUE_LENGTH = 80


def _escape(text: str) -> str:
    # Control, format and line-separator characters are shown escaped so that a
    # message never carries an invisible character or breaks the one-line format.
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif unicodedata.category(char)[0] == "C" or unicodedata.category(char) in ("Zl", "Zp"):
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return "".join(out)


def quote(text: str) -> str:
    """Return ``text`` as a TOML basic string, cut after 80 characters for messages."""
    if len(text) > _SHOWN_VALUE_LENGTH:
        return f'"{_escape(text[:_SHOWN_VALUE_LENGTH])}"... ({len(text)} characters)'
    return f'"{_escape(text)}"'


def format_key(path: Iterable[KeyPart]) -> str:
    """Return the key path as the operator would write it: ``zone."kz.1".after[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        if out:
            out += "."
        out += part if _BARE_KEY.fullmatch(part) else f'"{_escape(part)}"'
    return out


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean true" if value else "boolean false"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"float {value!r}"
    if isinstance(value, str):
        return f"string {quote(value)}"
    if isinstance(value, datetime.datetime):
        return f"date-time {value.isoformat()}"
    if isinstance(value, datetime.date):
        return f"date {value.isoformat()}"
    if isinstance(value, datetime.time):
        return f"time {value.isoformat()}"
    if isinstance(value, Mapping):
        return "table"
    if isinstance(value, (list, tuple)):
        return "array"
    # Only a caller passing something tomllib never produces gets here.
    return type(value).__name__


def _choices(values: Sequence[str]) -> str:
    return ", ".join(f'"{value}"' for value in values)


def _did_you_mean(word: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1)
    return f'; did you mean "{close[0]}"?' if close else ""


# ----------------------------------------------------------------------------------
# Key locations


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Map each key path defined in the TOML ``text`` to its 1-based line.

    Table headers (``[zone."kz.1"]``) map to their own line, keys to the line of the
    key; every prefix of a path maps to the first line that implied it, so that a
    table made only of dotted keys still has a line.  Keys inside inline tables are
    not listed (their holder is).  Array indexes are not part of the paths.  The
    scan stops quietly at anything that is not TOML: it only adds line numbers to
    messages and must never be a reason to fail.
    """
    return _KeyScanner(text).scan()


_SIMPLE_ESCAPES = {
    "b": "\b",
    "t": "\t",
    "n": "\n",
    "f": "\f",
    "r": "\r",
    "e": "\x1b",
    '"': '"',
    "\\": "\\",
}
_HEX_DIGITS = {"x": 2, "u": 4, "U": 8}
_HEX = re.compile(r"[0-9A-Fa-f]+")


class _KeyScanner:
    """Just enough of a TOML lexer to find where keys and headers are."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.found: dict[tuple[str, ...], int] = {}

    def scan(self) -> dict[tuple[str, ...], int]:
        table: tuple[str, ...] = ()
        while self._skip_blank():
            start_line = self.line
            if self.text[self.pos] == "[":
                self.pos += 2 if self.text.startswith("[[", self.pos) else 1
                header = self._key()
                if header is None:
                    break
                table = header
                self._record(table, start_line)
                self._skip_to_newline()
                continue
            key = self._key()
            if key is None or not self.text.startswith("=", self.pos):
                break
            self.pos += 1
            self._record(table + key, start_line)
            self._skip_value()
        return self.found

    def _record(self, path: tuple[str, ...], line: int) -> None:
        for end in range(1, len(path) + 1):
            self.found.setdefault(path[:end], line)

    def _skip_blank(self) -> bool:
        """Skip whitespace, newlines and comments; return False at the end of the text."""
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\n":
                self.line += 1
            elif char == "#":
                self._skip_to_newline()
                continue
            elif char not in " \t\r":
                return True
            self.pos += 1
        return False

    def _skip_spaces(self) -> None:
        while self.text.startswith((" ", "\t"), self.pos):
            self.pos += 1

    def _skip_to_newline(self) -> None:
        end = self.text.find("\n", self.pos)
        self.pos = len(self.text) if end < 0 else end

    def _key(self) -> tuple[str, ...] | None:
        parts = []
        while True:
            self._skip_spaces()
            part = self._key_part()
            if part is None:
                return None
            parts.append(part)
            self._skip_spaces()
            if not self.text.startswith(".", self.pos):
                return tuple(parts)
            self.pos += 1

    def _key_part(self) -> str | None:
        if self.text.startswith('"', self.pos):
            return self._basic_key()
        if self.text.startswith("'", self.pos):
            end = self.text.find("'", self.pos + 1)
            if end < 0 or "\n" in self.text[self.pos : end]:
                return None
            part = self.text[self.pos + 1 : end]
            self.pos = end + 1
            return part
        match = _BARE_KEY.match(self.text, self.pos)
        if match is None:
            return None
        self.pos = match.end()
        return match.group()

    def _basic_key(self) -> str | None:
        out: list[str] = []
        pos = self.pos + 1
        while pos < len(self.text):
            char = self.text[pos]
            if char == '"':
                self.pos = pos + 1
                return "".join(out)
            if char == "\n":
                return None
            if char != "\\":
                out.append(char)
                pos += 1
                continue
            code = self.text[pos + 1 : pos + 2]
            if code in _SIMPLE_ESCAPES:
                out.append(_SIMPLE_ESCAPES[code])
                pos += 2
                continue
            digits = self.text[pos + 2 : pos + 2 + _HEX_DIGITS.get(code, 0)]
            if code not in _HEX_DIGITS or len(digits) != _HEX_DIGITS[code]:
                return None
            if not _HEX.fullmatch(digits) or int(digits, 16) > sys.maxunicode:
                return None
            out.append(chr(int(digits, 16)))
            pos += 2 + len(digits)
        return None

    def _skip_value(self) -> None:
        """Skip a value up to the newline that ends it, counting the newlines inside."""
        depth = 0
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if self.text.startswith(('"""', "'''"), self.pos):
                self._skip_string(char * 3, multiline=True)
                continue
            if char in "\"'":
                self._skip_string(char, multiline=False)
                continue
            if char == "#":
                self._skip_to_newline()
                continue
            if char == "\n":
                if depth == 0:
                    return
                self.line += 1
            elif char in "[{":
                depth += 1
            elif char in "]}":
                depth = max(depth - 1, 0)
            self.pos += 1

    def _skip_string(self, delimiter: str, *, multiline: bool) -> None:
        escapes = delimiter[0] == '"'
        self.pos += len(delimiter)
        while self.pos < len(self.text):
            if self.text.startswith(delimiter, self.pos):
                self.pos += len(delimiter)
                # A multi-line string may end with up to two extra quotes: """a"""".
                extra = 0
                while multiline and extra < 2 and self.text.startswith(delimiter[0], self.pos):
                    self.pos += 1
                    extra += 1
                return
            char = self.text[self.pos]
            if char == "\n":
                if not multiline:
                    return  # not TOML; let the value scan see the newline
                self.line += 1
            elif char == "\\" and escapes:
                if self.text.startswith("\n", self.pos + 1):
                    self.line += 1
                self.pos += 1
            self.pos += 1


# ----------------------------------------------------------------------------------
# TOML and UTF-8 decoding


_AT_POSITION = re.compile(r"(?P<message>.*) \(at line (?P<line>\d+), column (?P<column>\d+)\)\Z")
_AT_END = re.compile(r"(?P<message>.*) \(at end of document\)\Z")
# tomllib names a key as a Python tuple repr: "Cannot declare ('zone', 'db1') twice".
_TUPLE_KEY = re.compile(r"\(((?:'[^'\\\n]*', )*'[^'\\\n]*'),?\)")
_TUPLE_PART = re.compile(r"'([^'\\\n]*)'")


def _show_tuple_keys(message: str) -> str:
    return _TUPLE_KEY.sub(lambda match: format_key(_TUPLE_PART.findall(match.group(1))), message)


def _end_position(text: str) -> tuple[int, int]:
    # The same arithmetic as tomli >= 2.1 and Python 3.14 for a position at the end
    # of the document, so that one file gives one message on every Python.
    line = text.count("\n") + 1
    return line, len(text) - text.rfind("\n")


def decode_error_problem(error: ValueError, text: str) -> Problem:
    """Return the :class:`Problem` for a ``TOMLDecodeError`` raised on ``text``.

    tomli >= 2.1 and Python 3.14 give ``msg``, ``lineno`` and ``colno``; older
    versions only put ``(at line N, column M)`` or ``(at end of document)`` at the
    end of the message.
    """
    line = getattr(error, "lineno", None)
    column = getattr(error, "colno", None)
    message = getattr(error, "msg", None)
    if isinstance(line, int) and isinstance(column, int) and isinstance(message, str):
        return Problem("", _show_tuple_keys(message), line, column)
    text_message = str(error)
    match = _AT_POSITION.match(text_message)
    if match:
        return Problem(
            "",
            _show_tuple_keys(match.group("message")),
            int(match.group("line")),
            int(match.group("column")),
        )
    match = _AT_END.match(text_message)
    if match:
        line, column = _end_position(text)
        return Problem("", _show_tuple_keys(match.group("message")), line, column)
    return Problem("", _show_tuple_keys(text_message))


def decode_toml(text: str, *, source: str) -> dict[str, Any]:
    """Return the tables of the TOML ``text``.

    Raises:
        PolicyError: the text is not TOML (one problem, with line and column).
    """
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except TOMLDecodeError as error:
        raise PolicyError(source, [decode_error_problem(error, text)]) from error
    return data


def decode_utf8(raw: bytes, *, source: str) -> str:
    """Return ``raw`` decoded as UTF-8, the only encoding TOML allows.

    Raises:
        PolicyError: ``not valid UTF-8 at byte N`` (N counted from 0) on line L.
    """
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        problem = Problem("", f"not valid UTF-8 at byte {error.start}", line)
        raise PolicyError(source, [problem]) from error

"""Where TOML text goes wrong, and why: a scanner of the TOML grammar.

tomllib decodes the policy but keeps no positions, and its messages are English
that changed between versions.  This scanner walks the same grammar (TOML 1.0 with
the rules tomllib applies; TOML 1.1 where asked) and stops at the first problem
with its line, column and what to do, in kzguard's words; the decoder's own text
is never read.  On its
way it records the line of every key path (:func:`key_lines`, which the schema's
messages use) and refuses, before the decoder sees them, values that are unsafe to
decode: nesting deeper than :data:`MAX_NESTING` (tomllib recurses once per level),
numbers longer than :data:`MAX_NUMBER_LENGTH` digits (Python refuses to convert
more than 4300, CVE-2020-10735) and keys of more than :data:`MAX_KEY_PARTS` parts
(tomllib's time grows with the square of the parts: 0.6 s for a 16 KB key, so
some 40 minutes for 1 MiB).

Control characters are refused before the scan (:mod:`kzguard.policy.toml`), so
it does not look for them.  Pure: no I/O.
"""

from __future__ import annotations

import dataclasses
import re
import sys

from kzguard.errors import Problem
from kzguard.policy.definitions import Definitions, InlineTable
from kzguard.policy.show import BARE_KEY, KeyPath, format_key
from kzguard.policy.words import word_end, word_problem

# A policy needs three levels at most (zone = { db1 = { after = ["a"] } }).
MAX_NESTING = 32
# The largest policy number (parallel) has three digits.
MAX_NUMBER_LENGTH = 100
# The longest policy key has three parts (zone.NAME.after); the decoder's work
# grows with the square of the parts (tomllib checks every prefix of every key).
MAX_KEY_PARTS = 32

STATEMENT = "expected a key = value line, a [table] header or a # comment"
END_OF_LINE = (
    "expected the end of the line; write one key = value per line and start comments with #"
)
EQUALS = 'expected "=" after the key; write key = value'
KEY = 'expected a key: letters, digits, "-" and "_", or a "quoted key"'
TABLE_END = 'expected "]" at the end of the table header, like [shutdown]'
ARRAY_TABLE_END = 'expected "]]" at the end of the header; a policy table is written [name]'
VALUE = 'expected a value: a "string", a number, true or false, or an [array] of values'
ARRAY_OPEN = 'an array is not closed; end it with "]" and separate its entries with ","'
LAST_COMMA = 'expected a key after ","; an inline table has no "," after its last entry'
INLINE_OPEN = 'an inline table is not closed on its line; end it with "}", or write it as a [table]'
ESCAPE = (
    'a backslash in a "string" starts an escape such as \\n; write \\\\ for a backslash, '
    "or use a 'literal string'"
)
HEX = (
    "expected 4 hex digits after \\u or 8 after \\U; write \\\\ for a backslash, or use a "
    "'literal string'"
)
NOT_A_CHARACTER = "a \\u or \\U escape names no character; fix the code point"
STRING_AT_END = "a string is not closed; end it with the quote it starts with"
STRING_ON_LINE = (
    "a string is not closed on its line; end it with the quote it starts with (a string "
    'over several lines is written """...""")'
)
LITERAL_ON_LINE = (
    "a 'literal string' is not closed on its line; end it with ' (a string over several "
    "lines is written '''...''')"
)
MULTI_LINE_STRING = 'a """multi-line string""" is not closed; end it with """'
MULTI_LINE_LITERAL = "a '''multi-line literal string''' is not closed; end it with '''"
NESTING = (
    f"arrays and inline tables nested more than {MAX_NESTING} deep; no policy value needs "
    "more than 3 levels: remove the extra brackets"
)
KEY_PARTS = (
    f"a key of more than {MAX_KEY_PARTS} dotted parts; no policy key needs more than 3 "
    "(zone.NAME.after): shorten it"
)
NUMBER_LENGTH = (
    f"a number longer than {MAX_NUMBER_LENGTH} digits; no policy value needs one that "
    "long: shorten it"
)

_SPACE = re.compile(r"[ \t]*")
_ARRAY_SPACE = re.compile(r"(?:[ \t\n]|#[^\n]*)*")
_LINE_BREAKS = re.compile(r"[ \t\n]*")
_ESCAPED = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}
_HEX_LENGTH = {"u": 4, "U": 8}
_ESCAPED_1_1 = {**_ESCAPED, "e": "\x1b"}
_HEX_LENGTH_1_1 = {**_HEX_LENGTH, "x": 2}
_HEX = re.compile(r"[0-9A-Fa-f]*")
_LONG_RUN = re.compile(f"[0-9_]{{{MAX_NUMBER_LENGTH + 1},}}")


class _Stop(Exception):
    """The first problem: the scan ends here."""

    def __init__(self, pos: int, message: str, key: str = "", *, unsafe: bool = False) -> None:
        super().__init__(message)
        self.pos = pos
        self.message = message
        self.key = key
        self.unsafe = unsafe


@dataclasses.dataclass(frozen=True)
class Scan:
    """What the scan found: the line of each key path and the first problem."""

    lines: dict[KeyPath, int]
    # None if the text is TOML as far as the scan can tell.
    problem: Problem | None = None
    # The problem is a value too deep or too long to hand to the decoder.
    unsafe: bool = False


def scan_toml(text: str, *, toml_1_1: bool = False) -> Scan:
    """Scan the TOML ``text``; never raises.

    TOML 1.0 by default, what every decoder kzguard may run on reads.  ``toml_1_1``
    also takes what TOML 1.1 adds, which newer tomli reads: newlines, comments and a
    last comma in inline tables, the escapes \\e and \\xHH, times without seconds.
    """
    return _Scanner(text, toml_1_1=toml_1_1).scan()


def key_lines(text: str) -> dict[KeyPath, int]:
    """Map each key path defined in the TOML ``text`` to its 1-based line.

    Table headers (``[zone."kz.1"]``) map to their own line, keys to the line of the
    key; every prefix of a path maps to the first line that implied it, so that a
    table made only of dotted keys still has a line.  Each array entry maps to the
    line it starts on (``("zone", "db1", "after", 1)``) and each key inside an inline
    table to its own, so that a problem in an array written over several lines names
    the entry's line, not the key's.  The scan stops quietly at the first thing that
    is not TOML.  It reads TOML 1.1, so that a policy a newer decoder accepted still
    has a line for every key.
    """
    return scan_toml(text, toml_1_1=True).lines


class _Scanner:
    """One pass over the text: each method takes the offset where its part of the
    grammar starts and returns where it ends, or raises _Stop at the problem."""

    def __init__(self, text: str, *, toml_1_1: bool) -> None:
        # tomllib reads CRLF as LF, and counts columns without the CR.
        self.src = text.replace("\r\n", "\n")
        self.definitions = Definitions()
        self.toml_1_1 = toml_1_1
        self._escaped = _ESCAPED_1_1 if toml_1_1 else _ESCAPED
        self._hex_length = _HEX_LENGTH_1_1 if toml_1_1 else _HEX_LENGTH
        self._inline_space = _ARRAY_SPACE if toml_1_1 else _SPACE
        self._counted_to = 0
        self._lines_to = 0
        # Array entries and keys in inline tables, which Definitions does not list.
        self._inner_lines: dict[KeyPath, int] = {}

    def scan(self) -> Scan:
        try:
            self._document()
        except _Stop as stop:
            line, column = _position(self.src, stop.pos)
            problem = Problem(stop.key, stop.message, line, column)
            return Scan(self._lines(), problem, stop.unsafe)
        return Scan(self._lines())

    def _lines(self) -> dict[KeyPath, int]:
        lines = dict(self._inner_lines)
        for path, line in self.definitions.lines.items():
            lines[path] = line
        return lines

    def _line(self, pos: int) -> int:
        """The line of ``pos``, counted on from the last call (positions only grow)."""
        self._lines_to += self.src.count("\n", self._counted_to, pos)
        self._counted_to = pos
        return self._lines_to + 1

    def _space(self, pos: int) -> int:
        return _skip(_SPACE, self.src, pos)

    def _document(self) -> None:
        src = self.src
        table: tuple[str, ...] = ()
        pos = 0
        while True:
            pos = self._space(pos)
            if pos >= len(src):
                return
            char = src[pos]
            if char == "\n":
                pos += 1
                continue
            line = self._line(pos)
            if char == "[":
                pos, table = self._header(pos, line)
            elif char != "#":
                if not (BARE_KEY.match(char) or char in "\"'"):
                    raise _Stop(pos, STATEMENT)
                pos = self._key_value(pos, table, line)
                pos = self._space(pos)
            if src.startswith("#", pos):
                end = src.find("\n", pos)
                pos = len(src) if end < 0 else end
            if pos < len(src) and src[pos] != "\n":
                raise _Stop(pos, END_OF_LINE)

    def _header(self, start: int, line: int) -> tuple[int, tuple[str, ...]]:
        array = self.src.startswith("[[", start)
        pos, path = self._key(self._space(start + (2 if array else 1)))
        end = "]]" if array else "]"
        if not self.src.startswith(end, pos):
            raise _Stop(pos, ARRAY_TABLE_END if array else TABLE_END)
        if array:
            wrong = self.definitions.array_table(path, line)
        else:
            wrong = self.definitions.table(path, line)
        if wrong:
            raise _Stop(start, wrong, format_key(path))
        return self._space(pos + len(end)), path

    def _key_value(self, start: int, table: tuple[str, ...], line: int) -> int:
        pos, key = self._key(start)
        if not self.src.startswith("=", pos):
            raise _Stop(pos, EQUALS)
        pos, container = self._value(self._space(pos + 1), (*table, *key), 1)
        wrong = self.definitions.key(table, key, container=container, line=line)
        if wrong:
            raise _Stop(start, wrong, format_key((*table, *key)))
        return pos

    def _key(self, start: int) -> tuple[int, tuple[str, ...]]:
        parts = []
        pos = start
        while True:
            pos, part = self._key_part(pos)
            parts.append(part)
            if len(parts) > MAX_KEY_PARTS:
                raise _Stop(start, KEY_PARTS, unsafe=True)
            pos = self._space(pos)
            if not self.src.startswith(".", pos):
                return pos, tuple(parts)
            pos = self._space(pos + 1)

    def _key_part(self, pos: int) -> tuple[int, str]:
        bare = BARE_KEY.match(self.src, pos)
        if bare:
            return bare.end(), bare.group()
        if self.src.startswith('"', pos):
            return self._basic_string(pos)
        if self.src.startswith("'", pos):
            return self._literal_string(pos)
        raise _Stop(pos, KEY)

    # ------------------------------------------------------------------------------
    # Values

    def _value(self, pos: int, path: KeyPath, depth: int) -> tuple[int, bool]:
        """Return the end of the value at ``pos``, and whether it is an array or an
        inline table."""
        src = self.src
        if src.startswith('"""', pos):
            return self._multi_line_string(pos, '"""', MULTI_LINE_STRING), False
        if src.startswith("'''", pos):
            return self._multi_line_string(pos, "'''", MULTI_LINE_LITERAL), False
        if src.startswith('"', pos):
            return self._basic_string(pos)[0], False
        if src.startswith("'", pos):
            return self._literal_string(pos)[0], False
        if src.startswith(("[", "{"), pos):
            if depth > MAX_NESTING:
                raise _Stop(pos, NESTING, unsafe=True)
            if src[pos] == "[":
                return self._array(pos, path, depth), True
            return self._inline_table(pos, path, depth), True
        end = word_end(src, pos)
        if end == pos:
            raise _Stop(pos, VALUE)
        text = src[pos:end]
        if text[0] in "0123456789+-.":
            run = _LONG_RUN.search(text)
            if run:
                raise _Stop(pos + run.start(), NUMBER_LENGTH, unsafe=True)
        wrong = word_problem(text, toml_1_1=self.toml_1_1)
        if wrong:
            raise _Stop(pos, wrong)
        return end, False

    def _array(self, pos: int, path: KeyPath, depth: int) -> int:
        src = self.src
        pos = _skip(_ARRAY_SPACE, src, pos + 1)
        index = 0
        while not src.startswith("]", pos):
            entry = (*path, index)
            self._inner_lines[entry] = self._line(pos)
            pos, _ = self._value(pos, entry, depth + 1)
            pos = _skip(_ARRAY_SPACE, src, pos)
            if src.startswith("]", pos):
                break
            if not src.startswith(",", pos):
                raise _Stop(pos, ARRAY_OPEN)
            pos = _skip(_ARRAY_SPACE, src, pos + 1)
            index += 1
        return pos + 1

    def _inline_table(self, pos: int, path: KeyPath, depth: int) -> int:
        src = self.src
        space = self._inline_space
        pos = _skip(space, src, pos + 1)
        keys = InlineTable()
        while not src.startswith("}", pos):
            if pos >= len(src) or src[pos] == "\n":
                raise _Stop(pos, INLINE_OPEN)
            start = pos
            pos, key = self._key(pos)
            if not src.startswith("=", pos):
                raise _Stop(pos, EQUALS)
            self._inner_lines.setdefault((*path, *key), self._line(start))
            pos, container = self._value(self._space(pos + 1), (*path, *key), depth + 1)
            wrong = keys.key(key, container=container)
            if wrong:
                raise _Stop(start, wrong, format_key((*path, *key)))
            pos = _skip(space, src, pos)
            if src.startswith("}", pos):
                break
            if not src.startswith(",", pos):
                raise _Stop(pos, INLINE_OPEN)
            pos = _skip(space, src, pos + 1)
            if src.startswith("}", pos) and not self.toml_1_1:
                raise _Stop(pos, LAST_COMMA)
        return pos + 1

    # ------------------------------------------------------------------------------
    # Strings

    def _basic_string(self, start: int) -> tuple[int, str]:
        """Return the end of the one-line "string" at ``start`` and its value."""
        src = self.src
        out: list[str] = []
        pos = start + 1
        while pos < len(src):
            char = src[pos]
            if char == '"':
                return pos + 1, "".join(out)
            if char == "\n":
                raise _Stop(pos, STRING_ON_LINE)
            if char == "\\":
                pos, char = self._escape(pos)
                out.append(char)
                continue
            out.append(char)
            pos += 1
        raise _Stop(pos, STRING_AT_END)

    def _escape(self, pos: int) -> tuple[int, str]:
        """Return the end and the character of the escape at ``pos`` (a backslash)."""
        code = self.src[pos + 1 : pos + 2]
        if code in self._escaped:
            return pos + 2, self._escaped[code]
        if code not in self._hex_length:
            raise _Stop(pos, ESCAPE)
        digits = self.src[pos + 2 : pos + 2 + self._hex_length[code]]
        if len(digits) != self._hex_length[code] or not _HEX.fullmatch(digits):
            raise _Stop(pos + 2, HEX)
        point = int(digits, 16)
        if 0xD800 <= point <= 0xDFFF or point > sys.maxunicode:
            raise _Stop(pos + 2, NOT_A_CHARACTER)
        return pos + 2 + len(digits), chr(point)

    def _literal_string(self, start: int) -> tuple[int, str]:
        end = self.src.find("'", start + 1)
        newline = self.src.find("\n", start + 1, None if end < 0 else end)
        if newline >= 0:
            raise _Stop(newline, LITERAL_ON_LINE)
        if end < 0:
            raise _Stop(len(self.src), LITERAL_ON_LINE)
        return end + 1, self.src[start + 1 : end]

    def _multi_line_string(self, start: int, quotes: str, unclosed: str) -> int:
        src = self.src
        pos = start + 3
        end = src.find(quotes, pos)
        while True:
            if end < 0:
                raise _Stop(start, unclosed)
            backslash = src.find("\\", pos, end) if quotes == '"""' else -1
            if backslash < 0:
                pos = end + 3
                break
            pos = self._multi_line_escape(backslash)
            # Only an escaped quote (\") can reach into the quotes found; else they
            # are still the first ahead, and the text is searched once.
            if pos > end:
                end = src.find(quotes, pos)
        # Up to two quotes of the delimiter's kind may end the content: """a"""".
        for _ in range(2):
            if src.startswith(quotes[0], pos):
                pos += 1
        return pos

    def _multi_line_escape(self, pos: int) -> int:
        """Return the end of the escape at ``pos`` in a multi-line "string", where a
        backslash at the end of a line joins it to the next."""
        if self.src[pos + 1 : pos + 2] not in (" ", "\t", "\n"):
            return self._escape(pos)[0]
        # The closing quotes come after this backslash, so the text goes on.
        after = self._space(pos + 1)
        if self.src[after] != "\n":
            raise _Stop(pos, ESCAPE)
        return _skip(_LINE_BREAKS, self.src, after)


def _skip(pattern: re.Pattern[str], text: str, pos: int) -> int:
    """Return the end of what ``pattern`` (which may match nothing) matches at ``pos``."""
    match = pattern.match(text, pos)
    return match.end() if match else pos


def _position(text: str, pos: int) -> tuple[int, int]:
    """Return the 1-based line and column (in characters) of offset ``pos``."""
    return text.count("\n", 0, pos) + 1, pos - (text.rfind("\n", 0, pos) + 1) + 1

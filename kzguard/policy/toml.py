"""TOML text for the policy: decoding with positions, and where each key stands.

tomllib keeps no positions, so problems found later by :mod:`kzguard.policy.schema`
get their line from :func:`key_lines`, a small scanner of the text, and syntax
errors get theirs from the decoder's message (older tomli put line and column only
in the text).  Pure: no I/O.
"""

from __future__ import annotations

import ast
import dataclasses
import datetime
import difflib
import importlib
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Union

from kzguard.errors import PolicyError, Problem, invisible, visible

# tomllib is in the standard library from Python 3.11; setup.cfg installs tomli, its
# forerunner with the same interface, on 3.9 and 3.10.
tomllib = importlib.import_module("tomllib" if sys.version_info >= (3, 11) else "tomli")

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
        elif invisible(char):
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return "".join(out)


def quote(text: str) -> str:
    """Return ``text`` as a TOML basic string, cut after 80 characters for messages."""
    if len(text) > _SHOWN_VALUE_LENGTH:
        return f'"{_escape(text[:_SHOWN_VALUE_LENGTH])}"... ({len(text)} characters)'
    return f'"{_escape(text)}"'


def shown(text: str) -> str:
    """Return ``text`` unquoted, cut after 80 characters: for values already known to
    hold only safe characters (a duration that parsed), which may still be long."""
    if len(text) > _SHOWN_VALUE_LENGTH:
        return f"{text[:_SHOWN_VALUE_LENGTH]}... ({len(text)} characters)"
    return text


def shown_integer(value: int) -> str:
    """Return ``value`` in decimal, or how long it is when that is too long to show.

    str() of an integer of more than 4300 digits raises ValueError on current
    Pythons (CVE-2020-10735), so the length is judged by bits, not by digits.
    """
    if value.bit_length() <= 64:
        return str(value)
    return f"an integer of more than {_SHOWN_INTEGER_DIGITS} digits"


# 2**64 has 20 digits; any integer over 64 bits has at least that many.
_SHOWN_INTEGER_DIGITS = 19


def format_key(path: Iterable[KeyPart]) -> str:
    """Return the key path as the operator would write it: ``zone."kz.1".after[0]``.

    A part longer than 80 characters is cut short as :func:`quote` does, so that a
    10,000-character key does not make a 10,000-character message.
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        if out:
            out += "."
        if len(part) > _SHOWN_VALUE_LENGTH:
            out += quote(part)
        else:
            out += part if _BARE_KEY.fullmatch(part) else f'"{_escape(part)}"'
    return out


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean true" if value else "boolean false"
    if isinstance(value, int):
        return f"integer {value}" if value.bit_length() <= 64 else shown_integer(value)
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


# difflib compares the word with every candidate; past this many (thousands of zone
# tables) the suggestion would cost more than the check it decorates.
_MAX_SUGGESTION_CANDIDATES = 1000


def _did_you_mean(word: str, candidates: Iterable[str]) -> str:
    names = list(candidates)
    if len(names) > _MAX_SUGGESTION_CANDIDATES or len(word) > _SHOWN_VALUE_LENGTH:
        return ""
    close = difflib.get_close_matches(word, names, n=1)
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
# A policy needs three levels at most (zone = { db1 = { after = ["a"] } }); tomllib
# recurses once per level and a few hundred levels end in RecursionError.
MAX_NESTING = 32
# Python refuses to convert integers of more than 4300 digits (CVE-2020-10735) with
# a plain ValueError; the largest policy number (parallel) has three.
MAX_NUMBER_LENGTH = 100
_NUMBER_CHARS = frozenset("0123456789_")
_HEX = re.compile(r"[0-9A-Fa-f]+")


class _KeyScanner:
    """Just enough of a TOML lexer to find where keys and headers are."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.line_start = 0  # offset of the first character of the current line
        self.found: dict[tuple[str, ...], int] = {}
        # Every header and key in file order, with its line: (line, path, is_header).
        self.statements: list[tuple[int, tuple[str, ...], bool]] = []
        # The first value that would be unsafe to hand to the decoder: (line, column,
        # message).  The scan stops there.
        self.hazard: tuple[int, int, str] | None = None

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
                self.statements.append((start_line, table, True))
                self._skip_to_newline()
                continue
            key = self._key()
            if key is None or not self.text.startswith("=", self.pos):
                break
            self.pos += 1
            self._record(table + key, start_line)
            self.statements.append((start_line, table + key, False))
            self._skip_value()
        return self.found

    def _newline_at(self, pos: int) -> None:
        self.line += 1
        self.line_start = pos + 1

    def _found_hazard(self, pos: int, message: str) -> None:
        self.hazard = (self.line, pos - self.line_start + 1, message)
        self.pos = len(self.text)

    def _record(self, path: tuple[str, ...], line: int) -> None:
        for end in range(1, len(path) + 1):
            self.found.setdefault(path[:end], line)

    def _skip_blank(self) -> bool:
        """Skip whitespace, newlines and comments; return False at the end of the text."""
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\n":
                self._newline_at(self.pos)
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
        """Skip a value up to the newline that ends it, counting the newlines inside.

        Also the place where values too deeply nested or numbers too long to decode
        safely are found (see :attr:`hazard`).
        """
        depth = 0
        digits = 0
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char in _NUMBER_CHARS:
                digits += 1
                if digits > MAX_NUMBER_LENGTH:
                    self._found_hazard(
                        self.pos - MAX_NUMBER_LENGTH,
                        f"a number longer than {MAX_NUMBER_LENGTH} digits; no policy value "
                        "needs one that long: shorten it",
                    )
                    return
                self.pos += 1
                continue
            digits = 0
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
                self._newline_at(self.pos)
            elif char in "[{":
                depth += 1
                if depth > MAX_NESTING:
                    self._found_hazard(
                        self.pos,
                        f"arrays and inline tables nested more than {MAX_NESTING} deep; no "
                        "policy value needs more than 3 levels: remove the extra brackets",
                    )
                    return
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
                self._newline_at(self.pos)
            elif char == "\\" and escapes:
                if self.text.startswith("\n", self.pos + 1):
                    self._newline_at(self.pos + 1)
                self.pos += 1
            self.pos += 1


# ----------------------------------------------------------------------------------
# TOML and UTF-8 decoding


_AT_POSITION = re.compile(r"(?P<message>.*) \(at line (?P<line>\d+), column (?P<column>\d+)\)\Z")
_AT_END = re.compile(r"(?P<message>.*) \(at end of document\)\Z")
# tomllib names a key as a Python tuple repr: "Cannot declare ('zone', 'db1') twice".
# repr() quotes a part with ' unless it holds a ' and no ", and escapes what is not
# printable ('db\\n1'), so each part is read back with ast.literal_eval.
_REPR_PART = r"""(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")"""
_TUPLE_KEY = re.compile(rf"\(((?:{_REPR_PART}, )*{_REPR_PART}),?\)")
_TUPLE_PART = re.compile(_REPR_PART)


def _tuple_key(match: re.Match[str]) -> str:
    try:
        parts = [ast.literal_eval(part) for part in _TUPLE_PART.findall(match.group(1))]
    except (ValueError, SyntaxError):
        # tomllib's reprs always read back; anything else is left as it was.
        return match.group()
    return format_key(str(part) for part in parts)


def _show_tuple_keys(message: str) -> str:
    return _TUPLE_KEY.sub(_tuple_key, message)


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


# What to do about each of tomllib's syntax errors (the messages of tomli 2.0 and of
# Python 3.11-3.14, which are the same).  A message not listed keeps its own text
# and gets _GENERIC_HINT.
_UNCLOSED_STRING = (
    "a string is not closed on its line; end it with the quote it starts with "
    '(a string over several lines is written """...""")'
)
_SYNTAX_HINTS = {
    "Invalid statement": "expected a key = value line, a [table] header or a # comment",
    "Expected newline or end of document after a statement": (
        "expected the end of the line; write one key = value per line and start comments with #"
    ),
    "Expected '=' after a key in a key/value pair": 'expected "=" after the key; write key = value',
    "Invalid initial character for a key part": (
        'expected a key: letters, digits, "-" and "_", or a "quoted key"'
    ),
    "Expected ']' at the end of a table declaration": (
        'expected "]" at the end of the table header, like [shutdown]'
    ),
    "Expected ']]' at the end of an array declaration": (
        'expected "]]" at the end of the header; a policy table is written [name]'
    ),
    "Invalid value": (
        'expected a value: a "string", a number, true or false, or an [array] of values'
    ),
    "Unclosed array": 'an array is not closed; end it with "]" and separate its entries with ","',
    "Unclosed inline table": (
        'an inline table is not closed on its line; end it with "}", or write it as a [table]'
    ),
    "Unescaped '\\' in a string": (
        'a backslash in a "string" starts an escape such as \\n; write \\\\ for a '
        "backslash, or use a 'literal string'"
    ),
    "Invalid hex value": (
        "expected 4 hex digits after \\u or 8 after \\U; write \\\\ for a backslash, or "
        "use a 'literal string'"
    ),
    "Escaped character is not a Unicode scalar value": (
        "a \\u or \\U escape names no character; fix the code point"
    ),
    "Unterminated string": "a string is not closed; end it with the quote it starts with",
    "Illegal character '\\n'": _UNCLOSED_STRING,
    "Illegal character '\\r'": _UNCLOSED_STRING,
    "Found invalid character '\\n'": _UNCLOSED_STRING,
    "Found invalid character '\\r'": _UNCLOSED_STRING,
    'Expected "\'"': "a 'literal string' is not closed; end it with '",
    """Expected "'''\"""": "a '''multi-line literal string''' is not closed; end it with '''",
    "Invalid date or datetime": 'not a valid date or time; durations are strings like "15m"',
}
_GENERIC_HINT = "this is not valid TOML; fix the syntax at this line and column"
# The decoder's words for a key or table defined twice, or a value or inline table
# extended later; _duplicate_message says which.
_DUPLICATE = re.compile(
    r"Cannot declare .* twice|Cannot overwrite a value|Cannot (?:mutate immutable|redefine) "
    r"namespace .*"
)
# Characters TOML allows nowhere, not even in comments or strings (TOML 1.0: control
# characters other than tab; CR only as part of CRLF).
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)")
_CONTROL_NAMES = {0x00: "NUL", 0x07: "BEL", 0x08: "BS", 0x1B: "ESC", 0x7F: "DEL"}
_BOM = "\ufeff"


def _position(text: str, pos: int) -> tuple[int, int]:
    """Return the 1-based line and column (in characters) of offset ``pos``."""
    return text.count("\n", 0, pos) + 1, pos - (text.rfind("\n", 0, pos) + 1) + 1


def _forbidden_problem(text: str) -> Problem | None:
    """Return the problem of the first character TOML forbids, None if none.

    Checked before the decoder runs, because the decoder reports a NUL after a
    header as "Expected newline or end of document", which sends the operator
    looking for a syntax error they cannot see.
    """
    if text.startswith(_BOM):
        return Problem(
            "",
            "the file starts with a byte order mark (U+FEFF), which TOML does not allow; "
            "save it as UTF-8 without a BOM",
            1,
            1,
        )
    match = _FORBIDDEN.search(text)
    if match is None:
        return None
    line, column = _position(text, match.start())
    code = ord(match.group())
    if code == 0x0D:
        message = (
            "a carriage return (U+000D) not followed by a newline; save the file with "
            "Unix (LF) line endings"
        )
    else:
        name = _CONTROL_NAMES.get(code)
        shown_name = f" ({name})" if name else ""
        message = (
            f"control character U+{code:04X}{shown_name} is not allowed anywhere in a "
            "TOML file, not even in a string or comment; remove it"
        )
    return Problem("", message, line, column)


def _explain(problem: Problem, text: str, scanner: _KeyScanner) -> Problem:
    """Return ``problem`` (from the decoder) saying what to do, and naming the key of a
    duplicate, which tomllib leaves out ("Cannot overwrite a value")."""
    if _DUPLICATE.fullmatch(problem.message):
        # Without a line (no position in the message) nothing comes before it.
        before = [item for item in scanner.statements if item[0] <= problem.line]
        if before:
            line, path, is_header = before[-1]
            message = _duplicate_message(scanner, line, path, is_header)
            if message:
                return Problem(format_key(path), message, problem.line, problem.column)
    hint = _SYNTAX_HINTS.get(problem.message)
    if hint is None:
        hint = f"{visible(problem.message)}: {_GENERIC_HINT}"
    return dataclasses.replace(problem, message=hint)


def _duplicate_message(
    scanner: _KeyScanner, line: int, path: tuple[str, ...], is_header: bool
) -> str:
    """Return what is wrong with the statement on ``line`` that redefines ``path``,
    or "" if the scan saw nothing earlier that it redefines."""
    first = scanner.found.get(path, line)
    if first < line:
        if is_header:
            return f"the table is defined twice (first on line {first}); merge the two into one"
        return f"set twice (first on line {first}); keep one of them"
    # A shorter path set earlier to a value or an inline table, which TOML does not
    # let a later [header] or dotted key extend.
    for end in range(len(path) - 1, 0, -1):
        earlier = scanner.found.get(path[:end], line)
        if earlier < line:
            return (
                f"{format_key(path[:end])} is already set on line {earlier} to a value or "
                "inline table, which cannot be extended here; merge the two"
            )
    return ""


def decode_toml(text: str, *, source: str) -> dict[str, Any]:
    """Return the tables of the TOML ``text``.

    Raises:
        PolicyError: the text is not TOML, or is TOML that would be unsafe to decode
            (nested too deeply, a number too long): one problem, with line and column.
    """
    forbidden = _forbidden_problem(text)
    if forbidden is not None:
        raise PolicyError(source, [forbidden])
    scanner = _KeyScanner(text)
    scanner.scan()
    if scanner.hazard is not None:
        line, column, message = scanner.hazard
        raise PolicyError(source, [Problem("", message, line, column)])
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except TOMLDecodeError as error:
        problem = _explain(decode_error_problem(error, text), text, scanner)
        raise PolicyError(source, [problem]) from error
    except (ValueError, RecursionError) as error:
        # The scan above should have caught what makes the decoder fail this way
        # (RecursionError, int() over 4300 digits); this is the net under it.
        reason = quote(str(error))
        problem = Problem("", f"cannot be decoded as TOML ({reason}); simplify the file")
        raise PolicyError(source, [problem]) from error
    return data


def decode_utf8(raw: bytes, *, source: str) -> str:
    """Return ``raw`` decoded as UTF-8, the only encoding TOML allows.

    Raises:
        PolicyError: ``not valid UTF-8`` at line L, column C (characters, as the
            TOML decoder counts them) naming the byte and its offset.
    """
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line_start = raw.rfind(b"\n", 0, error.start) + 1
        line = raw.count(b"\n", 0, error.start) + 1
        # Everything before the first bad byte decodes.
        column = len(raw[line_start : error.start].decode("utf-8")) + 1
        problem = Problem(
            "",
            f"not valid UTF-8 (byte 0x{raw[error.start]:02X} at offset {error.start}); "
            "TOML files are UTF-8: convert it, e.g. iconv -f ISO8859-1 -t UTF-8",
            line,
            column,
        )
        raise PolicyError(source, [problem]) from error

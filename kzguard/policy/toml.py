"""Decoding the policy's bytes and TOML text, with a line, a column and what to do
for every way they can be wrong.

tomllib (tomli before Python 3.11) decodes; where the text is not TOML, the problem
comes from kzguard's own scanner, :mod:`kzguard.policy.syntax`, so that no message
depends on the decoder's wording.  Only if the decoder refuses text the scanner
found nothing wrong with is the decoder's own text shown, with its position when
it gives one.  Pure: no I/O.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from kzguard.errors import PolicyError, Problem, excerpt, visible
from kzguard.policy.syntax import scan_toml
from kzguard.text import quote

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - setup.cfg installs tomli, tomllib's forerunner, on 3.9 and 3.10
    import tomli as tomllib

# The decoder (tomllib or tomli), by a name of this module's own: the tests replace
# its loads.
DECODER = tomllib
# What the decoder raises on text that is not TOML.
TOMLDecodeError = DECODER.TOMLDecodeError

# Characters TOML allows nowhere, not even in comments or strings (TOML 1.0: control
# characters other than tab; CR only as part of CRLF).
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)")
_CONTROL_NAMES = {0x00: "NUL", 0x07: "BEL", 0x08: "BS", 0x1B: "ESC", 0x7F: "DEL"}
_BOM = "\ufeff"

GENERIC_HINT = "this is not valid TOML; fix the syntax at this line and column"
# tomli < 2.1 and Python < 3.14 give the position only at the end of the text.
_AT_POSITION = re.compile(r"(?P<message>.*) \(at line (?P<line>\d+), column (?P<column>\d+)\)\Z")
_AT_END = re.compile(r"(?P<message>.*) \(at end of document\)\Z", re.DOTALL)


def decode_toml(text: str, *, source: str) -> dict[str, Any]:
    """Return the tables of the TOML ``text``.

    Raises:
        PolicyError: the text is not TOML, or is TOML that would be unsafe to decode
            (nested too deeply, a number too long): one problem, with line and column.
    """
    forbidden = _forbidden_problem(text)
    if forbidden is not None:
        raise PolicyError(source, [forbidden])
    scan = scan_toml(text)
    if scan.unsafe and scan.problem is not None:
        raise PolicyError(source, [scan.problem])
    try:
        data: dict[str, Any] = DECODER.loads(text)
    except TOMLDecodeError as error:
        problem = scan.problem or decode_error_problem(error, text)
        raise PolicyError(source, [problem]) from error
    except (ValueError, RecursionError) as error:
        # The scan refuses what makes the decoder fail this way (RecursionError,
        # int() over 4300 digits); this is the net under it.
        reason = quote(str(error))
        problem = Problem("", f"cannot be decoded as TOML ({reason}); simplify the file")
        raise PolicyError(source, [problem]) from error
    # Where the scanner and the decoder disagree, the decoder decides: a scanner
    # mistake may cost a message its words, never a valid policy.
    return data


def decode_error_problem(error: ValueError, text: str) -> Problem:
    """Return the problem for a decoder error that kzguard's scanner did not foresee:
    the decoder's own text, shown safely, at the position it gives.

    tomli >= 2.1 and Python 3.14 give ``msg``, ``lineno`` and ``colno``; older
    versions end the message with ``(at line N, column M)`` or ``(at end of
    document)``.  Anything else keeps its whole text and no position.
    """
    line = getattr(error, "lineno", None)
    column = getattr(error, "colno", None)
    message = getattr(error, "msg", None)
    if not (isinstance(line, int) and isinstance(column, int) and isinstance(message, str)):
        message, line, column = str(error), 0, 0
        at_position = _AT_POSITION.match(message)
        at_end = _AT_END.match(message)
        if at_position:
            message = at_position.group("message")
            line, column = int(at_position.group("line")), int(at_position.group("column"))
        elif at_end:
            message = at_end.group("message")
            line, column = _end_position(text)
    return Problem("", f"{visible(excerpt(message))}: {GENERIC_HINT}", line, column)


def _end_position(text: str) -> tuple[int, int]:
    # The same arithmetic as tomli >= 2.1 and Python 3.14 for a position at the end
    # of the document, so that one file gives one message on every Python.
    line = text.count("\n") + 1
    return line, len(text) - text.rfind("\n")


def _forbidden_problem(text: str) -> Problem | None:
    """Return the problem of the first character TOML forbids, None if none.

    Checked first, because a NUL after a header would otherwise read as "expected
    the end of the line", which sends the operator looking for a syntax error they
    cannot see.
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
    pos = match.start()
    line, column = text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos)
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

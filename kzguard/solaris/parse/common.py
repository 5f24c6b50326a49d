"""How the parsers of Solaris command output split it into lines.

Pure: no I/O (see :mod:`kzguard.solaris.parse`).
"""

from __future__ import annotations

from kzguard.errors import ParseError

# The Solaris tools end lines with "\n" only.  str.splitlines() would also break at
# \x0b, \x0c, \x1c-\x1e, \x85, U+2028 and U+2029, and str.strip() would eat them:
# a stray byte of that kind in a zonepath must not turn one line into two.
BLANKS = " \t\r"


def nonblank_lines(text: str) -> list[str]:
    # A line of nothing but (any) white space is blank: every parser splits on it.
    return [line.strip(BLANKS) for line in text.split("\n") if line.strip()]


def single_line(text: str, expected: str) -> str:
    """The one nonblank line of ``text``, where a tool prints one line (``expected``
    says what, for the error)."""
    lines = nonblank_lines(text)
    if not lines:
        raise ParseError("", f"no output, expected {expected}")
    if len(lines) > 1:
        raise ParseError(lines[1], f"more than one line, expected only {expected}")
    return lines[0]

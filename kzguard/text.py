"""Showing text from files and commands in messages: quoted, escaped, cut short.

A bottom-layer module (it imports only :mod:`kzguard.errors`), so that
:mod:`kzguard.zonename` and the policy checks can share it.  Pure: no I/O.
"""

from __future__ import annotations

from kzguard.errors import invisible

_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}
# Enough to recognise a value; a 10,000-character value must not make a
# 10,000-character message.
SHOWN_VALUE_LENGTH = 80


def escape(text: str) -> str:
    """Return ``text`` with the escapes of a TOML basic string.

    Control, format and line-separator characters are shown escaped so that a
    message never carries an invisible character or breaks the one-line format.
    """
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
    if len(text) > SHOWN_VALUE_LENGTH:
        return f'"{escape(text[:SHOWN_VALUE_LENGTH])}"... ({len(text)} characters)'
    return f'"{escape(text)}"'


def shown(text: str) -> str:
    """Return ``text`` unquoted, cut after 80 characters: for values already known to
    hold only safe characters (a duration that parsed), which may still be long."""
    if len(text) > SHOWN_VALUE_LENGTH:
        return f"{text[:SHOWN_VALUE_LENGTH]}... ({len(text)} characters)"
    return text

"""How policy messages show key paths and values: as the operator would write them,
bounded and escaped.  Pure: no I/O."""

from __future__ import annotations

import datetime
import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Union

from kzguard.text import SHOWN_VALUE_LENGTH, escape, quote

KeyPart = Union[str, int]
KeyPath = tuple[KeyPart, ...]

BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def format_key(path: Iterable[KeyPart]) -> str:
    """Return the key path as the operator would write it: ``zone."kz.1".after[0]``.

    A part longer than 80 characters is cut short as :func:`~kzguard.text.quote`
    does, so that a 10,000-character key does not make a 10,000-character message.
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        if out:
            out += "."
        if len(part) > SHOWN_VALUE_LENGTH:
            out += quote(part)
        else:
            out += part if BARE_KEY.fullmatch(part) else f'"{escape(part)}"'
    return out


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


def describe(value: Any) -> str:
    """Return the TOML type of ``value`` and the value, for "got ..." in messages."""
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


def choices(values: Sequence[str]) -> str:
    """``"a", "b", "c"``."""
    return ", ".join(f'"{value}"' for value in values)


# difflib compares the word with every candidate; past this many (thousands of zone
# tables) the suggestion would cost more than the check it decorates.
_MAX_SUGGESTION_CANDIDATES = 1000


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """``; did you mean "x"?`` for the closest candidate, "" if none is close."""
    names = list(candidates)
    if len(names) > _MAX_SUGGESTION_CANDIDATES or len(word) > SHOWN_VALUE_LENGTH:
        return ""
    close = difflib.get_close_matches(word, names, n=1)
    return f'; did you mean "{close[0]}"?' if close else ""

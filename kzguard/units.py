"""Durations ("90s", "10m", "1h30m", "500ms") and sizes ("4G", "512M") for people.  Pure.

Sizes use binary multiples, as zonecfg does for capped-memory (``physical=4G``).
"""

from __future__ import annotations

import math

# Not compiled here: every simulated command imports this module for parse_size,
# and re (with enum behind it) was about a third of such a command's start-up
# (docs/performance.md, "A simulated command's start-up"); re caches the pattern.
_DURATION_PART = r"(\d+(?:\.\d+)?)(ms|h|m|s)"
_DURATION_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_DURATION_ORDER = ("h", "m", "s", "ms")
_SIZE_FACTOR = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40, "P": 1 << 50}


def parse_duration(text: str) -> float:
    """Return the seconds in ``text`` such as ``"1h30m"``; raise ValueError if malformed.

    Units must appear at most once each and from largest to smallest, so that
    ``"30m1h"`` (almost certainly a typo) is rejected rather than guessed at.
    """
    import re  # noqa: PLC0415  (see _DURATION_PART)

    if not text:
        raise ValueError("empty duration")
    position = 0
    total = 0.0
    last_unit = -1
    for match in re.finditer(_DURATION_PART, text):
        if match.start() != position:
            break
        unit = match.group(2)
        rank = _DURATION_ORDER.index(unit)
        if rank <= last_unit:
            raise ValueError(f"units out of order in duration {text!r}")
        last_unit = rank
        total += float(match.group(1)) * _DURATION_SECONDS[unit]
        position = match.end()
    if position != len(text):
        raise ValueError(f'not a duration: {text!r} (write it like "90s", "10m" or "1h30m")')
    return total


def format_duration(seconds: float) -> str:
    """Return ``seconds`` the way an operator writes it: ``"1h30m"``, ``"90s"``, ``"1.5s"``."""
    if seconds < 0:
        return "-" + format_duration(-seconds)
    if seconds < 60 and seconds != int(seconds):
        return f"{seconds:.1f}s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(f"{hours}h")
    if minutes:
        parts.append(f"{minutes}m")
    if secs or not parts:
        parts.append(f"{secs}s")
    return "".join(parts)


class SizeTooLarge(ValueError):
    """A well-formed size whose number does not fit a float (hundreds of digits)."""


def parse_size(text: str) -> int:
    """Return the bytes in ``text`` such as ``"4G"``; raise ValueError if malformed.

    Digits, an optional fraction, an optional K, M, G, T or P and an optional B, in
    either case, spaces around (no regular expression: see ``_DURATION_PART``)."""
    body = text.strip()
    if body[-1:] in ("B", "b"):
        body = body[:-1]
    suffix = body[-1:].upper()
    if suffix in _SIZE_FACTOR:
        body = body[: len(body) - len(suffix)]
    else:
        suffix = ""
    whole, dot, fraction = body.partition(".")
    if not (whole.isdecimal() and (not dot or fraction.isdecimal())):
        raise ValueError(f'not a size: {text!r} (write it like "512M", "4G" or "1T")')
    size = float(body) * _SIZE_FACTOR[suffix]
    # float() of a few hundred digits is inf, which int() cannot take.
    if not math.isfinite(size):
        raise SizeTooLarge(f"size too large: {len(text)} characters")
    return int(size)


def format_size(size: int) -> str:
    """Return ``size`` bytes with the largest binary suffix that keeps it readable: ``"16G"``."""
    for suffix in ("P", "T", "G", "M", "K"):
        factor = _SIZE_FACTOR[suffix]
        if size >= factor:
            value = size / factor
            if value == int(value):
                return f"{int(value)}{suffix}"
            return f"{value:.1f}{suffix}"
    return f"{size}B"


def format_elapsed(seconds: float) -> str:
    """A measured duration: tenths of a second below a minute (``"36.4s"``), else
    as :func:`format_duration` (``"2m5s"``)."""
    return f"{seconds:.1f}s" if seconds < 60 else format_duration(seconds)

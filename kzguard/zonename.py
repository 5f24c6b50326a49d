"""Zone names: the Solaris rule, checked before a name reaches any argv or report.

The rule is libzonecfg's ``zonecfg_validate_zonename()`` (illumos-gate
usr/src/lib/libzonecfg/common/libzonecfg.c, inherited from OpenSolaris): the first
character is an ASCII letter or digit, the others ASCII letters, digits, ``-``, ``_``
or ``.``, and ``strlen(name) < ZONENAME_MAX``.  ``ZONENAME_MAX`` is 64 *including the
terminating NUL* (<sys/zone.h>), so a name has at most 63 characters; <libzonecfg.h>
spells the same rule as ``ZONENAME_REGEXP "[a-zA-Z0-9][-_.a-zA-Z0-9]{0,62}"``.  The
check is ASCII-only on purpose: libzonecfg compares byte ranges, not locale classes.

``global`` and names starting with ``SUNW`` are reserved for *creating* zones, but
they do appear in listings, so they are valid names here.  Pure: no I/O.
"""

from __future__ import annotations

import re

from kzguard.text import quote

# ZONENAME_MAX (64) counts the NUL terminator: 63 visible characters at most.
ZONE_NAME_MAX_LENGTH = 63

_ZONE_NAME = re.compile(f"[A-Za-z0-9][A-Za-z0-9_.-]{{0,{ZONE_NAME_MAX_LENGTH - 1}}}")

RULE = (
    f"a zone name is 1-{ZONE_NAME_MAX_LENGTH} characters, starts with a letter or digit, "
    'then letters, digits, "-", "_" or "."'
)


_FIRST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_OTHERS = _FIRST | frozenset("-_.")


def is_valid_zone_name(name: str) -> bool:
    """Return True if ``name`` obeys the Solaris zone-name rule."""
    return _ZONE_NAME.fullmatch(name) is not None


def name_problem(name: str) -> str | None:
    """Return which part of the rule ``name`` breaks (``it contains ";"``), None if none.

    The offending character is shown quoted and escaped, so that a hostile name
    (a newline, an escape sequence) never reaches a terminal or log raw.
    """
    if not name:
        return "it is empty"
    if len(name) > ZONE_NAME_MAX_LENGTH:
        return f"it is {len(name)} characters long"
    if name[0] not in _FIRST:
        return f"it starts with {quote(name[0])}"
    for char in name:
        if char not in _OTHERS:
            return f"it contains {quote(char)}"
    return None


def validate_zone_name(name: str) -> str:
    """Return ``name`` unchanged if it is a valid zone name.

    Raises:
        ValueError: ``invalid zone name "NAME" (<what is wrong>): <the rule>``, the
            name quoted, escaped and cut short as in policy messages.
    """
    problem = name_problem(name)
    if problem is not None:
        raise ValueError(f"invalid zone name {quote(name)} ({problem}): {RULE}")
    return name

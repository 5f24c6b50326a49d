"""Parser of ``who -r`` (the current run level) and what the run levels of init(8)
mean for kzguard: whether the global zone is going down.

Pure: no I/O (see :mod:`kzguard.solaris.parse` for the contract every parser keeps).
"""

from __future__ import annotations

import re

from kzguard.errors import ParseError
from kzguard.solaris.parse.common import single_line

# init(8) run levels.  0 (power off), 5 (power off), 6 (reboot) take the whole
# system down; S/s and 1 (single user) stop most services too (docs/solaris.md 12).
RUNLEVELS = frozenset({"0", "1", "2", "3", "4", "5", "6", "S", "s"})
RUNLEVELS_GOING_DOWN = frozenset({"0", "1", "5", "6", "S", "s"})
# `who -r`: ".  run-level 3  Nov 25 18:22  3  0  S"; the level follows "run-level"
# (docs/solaris.md 12).
_WHO_RUNLEVEL = re.compile(r"(?:^|\s)run-level\s+(\S+)")


def parse_who_r(text: str) -> str:
    """Return the current run level from ``who -r``: ``"3"``, ``"6"``, ``"S"``...

    Raises:
        ParseError: no output, more than one line, no ``run-level`` field, or a level
            that is not one of 0-6, S, s.
    """
    line = single_line(text, "the run-level line")
    match = _WHO_RUNLEVEL.search(line)
    if match is None:
        raise ParseError(line, "no 'run-level' field")
    level = match.group(1)
    if level not in RUNLEVELS:
        raise ParseError(line, f"unknown run level {level!r}")
    return level


def is_going_down(runlevel: str) -> bool:
    """Return True if ``runlevel`` means the global zone is going down (docs/solaris.md 12).

    2, 3 and 4 mean the service is stopped by ``svcadm disable``/``restart``, a
    dependency or a package update, with the zones not at risk.
    """
    return runlevel.strip() in RUNLEVELS_GOING_DOWN

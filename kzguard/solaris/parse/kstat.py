"""Parser of ``kstat -p unix:0:system_misc:boot_time``: when a kernel booted.

Pure: no I/O (see :mod:`kzguard.solaris.parse` for the contract every parser keeps).
"""

from __future__ import annotations

import re

from kzguard.errors import ParseError
from kzguard.solaris.parse.common import single_line

# `kstat -p unix:0:system_misc:boot_time` prints the statistic's name, a TAB and the
# boot time in epoch seconds (docs/solaris.md 8).
_BOOT_TIME = re.compile(r"unix:0:system_misc:boot_time\s+([0-9]{1,20})")


def parse_kstat_boot_time(text: str) -> int:
    """Return the epoch seconds of ``kstat -p unix:0:system_misc:boot_time``.

    Raises:
        ParseError: no output, more than one line, or a line of another form.
    """
    expected = "'unix:0:system_misc:boot_time<TAB>SECONDS'"
    line = single_line(text, expected)
    match = _BOOT_TIME.fullmatch(line)
    if match is None:
        raise ParseError(line, f"expected {expected}")
    return int(match.group(1))

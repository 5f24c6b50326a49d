"""Parser of ``beadm list -H``: the names of the boot environments.

Pure: no I/O (see :mod:`kzguard.solaris.parse` for the contract every parser keeps).
"""

from __future__ import annotations

from kzguard.errors import ParseError
from kzguard.solaris.parse.common import nonblank_lines

# `beadm list -H`: one BE a line, its fields separated by semicolons, the BE's name
# first (Oracle 11.2 *Creating and Administering Boot Environments*, "Viewing
# Information About Boot Environments in Machine-Parsable Output": name, UUID, active,
# mountpoint, space, policy, created).  11.4's page says only that -H separates the
# fields with semicolons: the order of the others is UNCONFIRMED there, so only the
# first is read (docs/formats.md).
_SEPARATOR = ";"


def parse_beadm_list_parseable(text: str) -> tuple[str, ...]:
    """The boot environments' names, in ``beadm list -H``'s order.

    Raises:
        ParseError: no output (a host runs from one BE at least), a line without a
            semicolon (not -H's format) or with an empty name.
    """
    lines = nonblank_lines(text)
    if not lines:
        raise ParseError("", "no output, expected a line for each boot environment")
    names = []
    for line in lines:
        name, separator, _ = line.partition(_SEPARATOR)
        if not separator:
            raise ParseError(line, "no ';' between fields, expected beadm list -H")
        if not name:
            raise ParseError(line, "no boot environment name before the first ';'")
        names.append(name)
    return tuple(names)

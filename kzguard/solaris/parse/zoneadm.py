"""Parsers of ``zoneadm list`` output: ``-p``/``-cp`` (the zones kzguard acts on),
``-cv`` (a display listing) and ``-s`` (the auxiliary states that tell a suspended
kernel zone from a halted one).

Pure: no I/O (see :mod:`kzguard.solaris.parse` for the contract every parser keeps).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kzguard.errors import ParseError
from kzguard.model import GLOBAL_ZONE, KNOWN_STATES, ZoneListing
from kzguard.solaris.parse.common import nonblank_lines
from kzguard.zonename import is_valid_zone_name

# Zone IDs are zoneid_t (a 32-bit int): ten digits at most.
_ZONE_ID = re.compile(r"[0-9]{1,10}")
# States are lower-case words such as "shutting_down" (docs/solaris.md 1.1).  In the
# -cv and -s listings an unknown but well-formed word is kept (shown, never acted on);
# in -p, which kzguard acts on, it is refused (_parseable_line).  The longest state,
# "shutting_down", has 13 characters: 32 leaves room and keeps a megabyte of letters
# from passing for a state.
_ZONE_STATE = re.compile(r"[a-z][a-z0-9_-]{0,31}")


def _zone_id(field: str, line: str) -> int | None:
    # Zones that are not running (installed, configured...) have no ID: zoneadm
    # prints "-" (docs/solaris.md 1.1 and 1.3).
    if field == "-":
        return None
    if _ZONE_ID.fullmatch(field) is None:
        raise ParseError(line, f"zone ID {field!r} is neither a number nor '-'")
    return int(field)


def _check_zone(name: str, state: str, line: str) -> None:
    if not name:
        raise ParseError(line, "empty zone name")
    if not is_valid_zone_name(name):
        raise ParseError(line, f"invalid zone name {name!r}")
    if not state:
        raise ParseError(line, "empty zone state")
    if _ZONE_STATE.fullmatch(state) is None:
        raise ParseError(line, f"invalid zone state {state!r}")


# ---------------------------------------------------------------------------------
# zoneadm list -p / -cp / -ip / -z Z list -p   (docs/solaris.md 1.3, 10 no. 2)

# A colon inside a zonepath is printed as "\:"; a backslash on its own is *not*
# escaped, so "\\:" is a literal backslash followed by an escaped colon.  This is
# exactly what Oracle's own parser does (IPS src/modules/client/linkedimage/zone.py,
# _zoneadm_list_parse: replace "\:", then split on ":").
_UNESCAPED_COLON = re.compile(r"(?<!\\):")


def _split_parseable(line: str) -> list[str]:
    return [field.replace("\\:", ":") for field in _UNESCAPED_COLON.split(line)]


def _parseable_line(line: str, fields: list[str]) -> ZoneListing:
    if len(fields) < 7:
        raise ParseError(line, f"expected at least 7 colon-separated fields, found {len(fields)}")
    zoneid_field, name, state, zonepath, uuid, brand, ip_type = fields[:7]
    zoneid = _zone_id(zoneid_field, line)
    _check_zone(name, state, line)
    # Defence in depth, like the zone name: the state decides what kzguard does to a
    # zone, so a word that is none of the states zoneadm prints (docs/solaris.md 1.1)
    # is not guessed at -- it is a garbled or shifted line, or a state this version
    # does not know how to treat; the zone is refused with a warning, never acted on.
    if state not in KNOWN_STATES:
        raise ParseError(line, f"{state!r} is not a zone state")
    if not brand:
        raise ParseError(line, "empty brand")
    return ZoneListing(zoneid, name, state, zonepath, uuid, brand, ip_type)


def _global_width(rows: list[tuple[str, list[str]]]) -> int | None:
    """How many fields the global zone's line has, if it is listed."""
    for _, fields in rows:
        if len(fields) >= 7 and fields[1] == GLOBAL_ZONE:
            return len(fields)
    return None


def _read_parseable(text: str) -> tuple[list[ZoneListing], list[ParseError], bool]:
    """Every zone line of ``zoneadm list -p`` output: the non-global zones in order,
    the lines refused (each as its ParseError, in order) and whether the global zone
    was listed.

    One zoneadm prints every line with the same fields (docs/solaris.md 1.3: 9 on
    11.0, 10 on 11.2+, more in future releases, but all lines alike), so a zone line
    whose count differs from the global zone's is refused: an unescaped colon in it
    would shift the state, uuid and brand into each other's places."""
    zones: list[ZoneListing] = []
    refused: list[ParseError] = []
    seen: set[str] = set()
    global_listed = False
    rows = [(line, _split_parseable(line)) for line in nonblank_lines(text)]
    width = _global_width(rows)
    for line, fields in rows:
        try:
            listing = _parseable_line(line, fields)
        except ParseError as error:
            refused.append(error)
            continue
        if listing.name == GLOBAL_ZONE:
            global_listed = True
            continue
        if width is not None and len(fields) != width:
            refused.append(
                ParseError(line, f"{len(fields)} fields, where the global zone's line has {width}")
            )
            continue
        if listing.name in seen:
            refused.append(ParseError(line, f"zone {listing.name!r} is listed twice"))
            continue
        seen.add(listing.name)
        zones.append(listing)
    return zones, refused, global_listed


def parse_zoneadm_list_p(text: str) -> list[ZoneListing]:
    """Return the non-global zones of ``zoneadm list -cp`` output, in output order.

    Only fields 1-7 (zoneid:zonename:state:zonepath:uuid:brand:ip-type) are used:
    Solaris 11.0 prints 9 fields, 11.2+ a 10th, and zoneadm(8) warns that more may be
    added (docs/solaris.md 1.3).  The global zone is skipped.

    Raises:
        ParseError: fewer than 7 fields (or, with the global zone listed, not as
            many as its line), a bad zone ID, an empty or invalid zone name, an empty,
            malformed or unknown state, an empty brand, or a zone listed twice.
    """
    zones, refused, _ = _read_parseable(text)
    if refused:
        raise refused[0]
    return zones


@dataclass(frozen=True)
class ZoneTable:
    """What ``zoneadm list -cp`` in the global zone said: the zones kzguard may act
    on, and the lines it refused (invalid zone names, malformed or repeated lines)."""

    zones: list[ZoneListing]
    refused: tuple[ParseError, ...]


def parse_zone_table(text: str) -> ZoneTable:
    """Read ``zoneadm list -cp`` run in the global zone, refusing bad lines one by one.

    A line that is not a usable zone -- above all one whose zone name breaks the
    Solaris rule (:mod:`kzguard.zonename`), which must never reach an argv -- is
    refused on its own, so that one bad line does not stop kzguard from acting on
    every other zone; the caller reports each refusal.  The output as a whole is
    refused when it lists no global zone: in the global zone, zoneadm always lists
    it first (docs/solaris.md 1.3), so without it this is not zoneadm's answer (empty,
    truncated or garbage output), and "no zones" must not be read from it.

    Raises:
        ParseError: the first refused line when no line could be read at all, or a
            missing global zone line.
    """
    zones, refused, global_listed = _read_parseable(text)
    if not global_listed:
        if refused and not zones:
            raise refused[0]
        raise ParseError("", "no line for the global zone, which zoneadm always lists")
    return ZoneTable(zones, tuple(refused))


# ---------------------------------------------------------------------------------
# zoneadm list -cv / -v   (docs/solaris.md 1.1)


@dataclass(frozen=True)
class VerboseRow:
    """One row of ``zoneadm list -cv``: a display listing, so the global zone is kept."""

    zoneid: int | None  # None when zoneadm prints "-" (zone not running)
    name: str
    state: str
    path: str  # "-" for kernel zones (docs/solaris.md 1.1)
    brand: str
    ip_type: str


_VERBOSE_HEADER = ("ID", "NAME", "STATUS", "PATH", "BRAND", "IP")
# zoneadm prints "%4s %-16s %-11s %-28s %-10s %s" (docs/formats.md), but a name or
# path longer than its column pushes the rest to the right, so columns are found by
# whitespace; the path is everything between STATUS and the last two columns.
_VERBOSE_ROW = re.compile(r"(\S+)\s+(\S+)\s+(\S+)\s+(\S.*?)\s+(\S+)\s+(\S+)")


def parse_zoneadm_list_v(text: str) -> list[VerboseRow]:
    """Return every row of ``zoneadm list -cv`` output (global zone included), in order.

    Raises:
        ParseError: no header or an unexpected one, a row without six columns, a bad
            zone ID, name or state, or a zone listed twice.
    """
    lines = nonblank_lines(text)
    if not lines:
        raise ParseError("", "no output, expected the header 'ID NAME STATUS PATH BRAND IP'")
    header, *rows = lines
    if tuple(header.split()) != _VERBOSE_HEADER:
        raise ParseError(header, "expected the header 'ID NAME STATUS PATH BRAND IP'")
    result: list[VerboseRow] = []
    seen: set[str] = set()
    for line in rows:
        match = _VERBOSE_ROW.fullmatch(line)
        if match is None:
            raise ParseError(line, "expected 6 columns: ID NAME STATUS PATH BRAND IP")
        zoneid_field, name, state, path, brand, ip_type = match.groups()
        zoneid = _zone_id(zoneid_field, line)
        _check_zone(name, state, line)
        if name in seen:
            raise ParseError(line, f"zone {name!r} is listed twice")
        seen.add(name)
        result.append(VerboseRow(zoneid, name, state, path, brand, ip_type))
    return result


# ---------------------------------------------------------------------------------
# zoneadm list -s / -cs   (docs/solaris.md 1.2, 10 no. 1)

_AUX_HEADER = ("NAME", "STATUS", "AUXILIARY", "STATE")
# Auxiliary states are lower-case words: debugging, migrating-in, migrating-out,
# no-config, panicked, suspended (docs/solaris.md 1.2, [KZ114-AUX]).
_AUX_STATE = re.compile(r"[a-z][a-z0-9_-]*")
# How several auxiliary states are separated is UNCONFIRMED (docs/solaris.md 1.2, 11 no. 1):
# commas, commas and spaces, or spaces are all accepted.
_AUX_SEPARATOR = re.compile(r"[\s,]+")


def parse_zoneadm_list_s(text: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Return ``{zone name: (state, auxiliary states)}`` from ``zoneadm list -s``.

    This is the only zoneadm listing that tells a suspended kernel zone (installed +
    "suspended") from a halted one (docs/solaris.md 10 no. 1).  The padding of the columns
    is UNCONFIRMED (the 11.4 doc example is not aligned), so columns are found by
    whitespace and the third may be empty.  The global zone is skipped.

    Raises:
        ParseError: no header or an unexpected one, a row with fewer than two
            columns, a bad zone name, state or auxiliary state, or a zone listed twice.
    """
    zones, refused = parse_aux_table(text)
    if refused:
        raise refused[0]
    return zones


def _aux_line(line: str) -> tuple[str, str, tuple[str, ...]]:
    columns = line.split(None, 2)
    if len(columns) < 2:
        raise ParseError(line, "expected NAME STATUS [AUXILIARY STATE]")
    name, state = columns[0], columns[1]
    _check_zone(name, state, line)
    aux_field = columns[2] if len(columns) == 3 else ""
    aux_states = tuple(part for part in _AUX_SEPARATOR.split(aux_field) if part)
    for aux_state in aux_states:
        if _AUX_STATE.fullmatch(aux_state) is None:
            raise ParseError(line, f"invalid auxiliary state {aux_state!r}")
    return name, state, aux_states


def parse_aux_table(
    text: str,
) -> tuple[dict[str, tuple[str, tuple[str, ...]]], tuple[ParseError, ...]]:
    """Like :func:`parse_zoneadm_list_s`, but a bad row is refused on its own: return
    the zones read and the rows refused (each as its ParseError, in order).  A zone
    whose row is refused is missing from the answer, as it would be from plain
    ``zoneadm list -s``; :func:`parse_zone_table` refuses the same bad names.

    Raises:
        ParseError: no header or an unexpected one.
    """
    lines = nonblank_lines(text)
    if not lines:
        raise ParseError("", "no output, expected the header 'NAME STATUS AUXILIARY STATE'")
    header, *rows = lines
    if tuple(header.split()) != _AUX_HEADER:
        raise ParseError(header, "expected the header 'NAME STATUS AUXILIARY STATE'")
    zones: dict[str, tuple[str, tuple[str, ...]]] = {}
    refused: list[ParseError] = []
    for line in rows:
        try:
            name, state, aux_states = _aux_line(line)
        except ParseError as error:
            refused.append(error)
            continue
        if name == GLOBAL_ZONE:
            continue
        if name in zones:
            refused.append(ParseError(line, f"zone {name!r} is listed twice"))
            continue
        zones[name] = (state, aux_states)
    return zones, tuple(refused)

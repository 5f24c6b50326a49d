"""Parsers of Solaris command output: text in, model values out.

Pure: no I/O, no subprocess.  Every parser either returns a value or raises
:class:`~kzguard.errors.ParseError` naming the offending line (stripped; ``""`` when
the problem is missing output) and the reason; the adapter that ran the command turns
it into an ``OutputParseError`` naming the argv.  No other exception escapes, whatever
the text: numbers are matched with bounded regular expressions before ``int()`` sees
them, so not even Python's 4300-digit limit on ``int()`` can be reached.

The formats are the ones in docs/formats.md; every fact below cites its section of
../shared/reference/solaris.md.  Where that page says UNCONFIRMED, the parser accepts
every likely form.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from kzguard.errors import ParseError, excerpt
from kzguard.model import GLOBAL_ZONE, FileSystemSpace, SuspendResource, ZoneConfig, ZoneListing
from kzguard.units import parse_size
from kzguard.zonename import is_valid_zone_name

# Zone IDs are zoneid_t (a 32-bit int): ten digits at most.
_ZONE_ID = re.compile(r"[0-9]{1,10}")
# States are lower-case words such as "shutting_down" (solaris.md 1.1); an unknown
# but well-formed word is kept, so a state added by a later SRU does not break parsing.
# The longest state, "shutting_down", has 13 characters: 32 leaves room and keeps a
# megabyte of letters from passing for a state.
_ZONE_STATE = re.compile(r"[a-z][a-z0-9_-]{0,31}")
# The Solaris tools end lines with "\n" only.  str.splitlines() would also break at
# \x0b, \x0c, \x1c-\x1e, \x85, U+2028 and U+2029, and str.strip() would eat them:
# a stray byte of that kind in a zonepath must not turn one line into two.
_BLANKS = " \t\r"


def _nonblank_lines(text: str) -> list[str]:
    # A line of nothing but (any) white space is blank: every parser splits on it.
    return [line.strip(_BLANKS) for line in text.split("\n") if line.strip()]


def _zone_id(field: str, line: str) -> int | None:
    # Zones that are not running (installed, configured...) have no ID: zoneadm
    # prints "-" (solaris.md 1.1 and 1.3).
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
# zoneadm list -p / -cp / -ip / -z Z list -p   (solaris.md 1.3, 10 no. 2)

# A colon inside a zonepath is printed as "\:"; a backslash on its own is *not*
# escaped, so "\\:" is a literal backslash followed by an escaped colon.  This is
# exactly what Oracle's own parser does (IPS src/modules/client/linkedimage/zone.py,
# _zoneadm_list_parse: replace "\:", then split on ":").
_UNESCAPED_COLON = re.compile(r"(?<!\\):")


def _split_parseable(line: str) -> list[str]:
    return [field.replace("\\:", ":") for field in _UNESCAPED_COLON.split(line)]


def _parseable_line(line: str) -> ZoneListing:
    fields = _split_parseable(line)
    if len(fields) < 7:
        raise ParseError(line, f"expected at least 7 colon-separated fields, found {len(fields)}")
    zoneid_field, name, state, zonepath, uuid, brand, ip_type = fields[:7]
    zoneid = _zone_id(zoneid_field, line)
    _check_zone(name, state, line)
    if not brand:
        raise ParseError(line, "empty brand")
    return ZoneListing(zoneid, name, state, zonepath, uuid, brand, ip_type)


def _read_parseable(text: str) -> tuple[list[ZoneListing], list[ParseError], bool]:
    """Every zone line of ``zoneadm list -p`` output: the non-global zones in order,
    the lines refused (each as its ParseError, in order) and whether the global zone
    was listed."""
    zones: list[ZoneListing] = []
    refused: list[ParseError] = []
    seen: set[str] = set()
    global_listed = False
    for line in _nonblank_lines(text):
        try:
            listing = _parseable_line(line)
        except ParseError as error:
            refused.append(error)
            continue
        if listing.name == GLOBAL_ZONE:
            global_listed = True
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
    added (solaris.md 1.3).  The global zone is skipped.

    Raises:
        ParseError: fewer than 7 fields, a bad zone ID, an empty or invalid zone
            name, an empty or malformed state, an empty brand, or a zone listed twice.
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
    it first (solaris.md 1.3), so without it this is not zoneadm's answer (empty,
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
# zoneadm list -cv / -v   (solaris.md 1.1)


@dataclass(frozen=True)
class VerboseRow:
    """One row of ``zoneadm list -cv``: a display listing, so the global zone is kept."""

    zoneid: int | None  # None when zoneadm prints "-" (zone not running)
    name: str
    state: str
    path: str  # "-" for kernel zones (solaris.md 1.1)
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
    lines = _nonblank_lines(text)
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
# zoneadm list -s / -cs   (solaris.md 1.2, 10 no. 1)

_AUX_HEADER = ("NAME", "STATUS", "AUXILIARY", "STATE")
# Auxiliary states are lower-case words: debugging, migrating-in, migrating-out,
# no-config, panicked, suspended (solaris.md 1.2, [KZ114-AUX]).
_AUX_STATE = re.compile(r"[a-z][a-z0-9_-]*")
# How several auxiliary states are separated is UNCONFIRMED (solaris.md 1.2, 11 no. 1):
# commas, commas and spaces, or spaces are all accepted.
_AUX_SEPARATOR = re.compile(r"[\s,]+")


def parse_zoneadm_list_s(text: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Return ``{zone name: (state, auxiliary states)}`` from ``zoneadm list -s``.

    This is the only zoneadm listing that tells a suspended kernel zone (installed +
    "suspended") from a halted one (solaris.md 10 no. 1).  The padding of the columns
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
    lines = _nonblank_lines(text)
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


# ---------------------------------------------------------------------------------
# zonecfg export and zonecfg info   (solaris.md 2.1-2.5)

# The resources kzguard reads; zonecfg allows at most one of each.  Every other
# resource (anet, device, virtual-cpu, rctl...) is skipped.
_CAPPED_MEMORY = "capped-memory"
_SUSPEND = "suspend"
_KEPT_RESOURCES = frozenset({_CAPPED_MEMORY, _SUSPEND})
_PROPERTY_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")


def _zone_config(
    name: str,
    global_properties: dict[str, tuple[str, str]],
    resources: dict[str, dict[str, tuple[str, str]]],
) -> ZoneConfig:
    # export_func() leaves out "set brand=" for the native brand (illumos zonecfg.c),
    # and "zonecfg info suspend" prints no brand at all (solaris.md 2.2): brand is then
    # "".  A kernel zone's brand is never the native one, so it is always printed.
    brand = global_properties.get("brand", ("", ""))[0]
    autoboot = False  # the documented default (solaris.md 2.3)
    if "autoboot" in global_properties:
        value, line = global_properties["autoboot"]
        if value.lower() not in ("true", "false"):
            raise ParseError(line, f"autoboot is {value!r}, not true or false")
        autoboot = value.lower() == "true"
    # Whether zonecfg prints autoshutdown when it was never set is UNCONFIRMED
    # (solaris.md 2.4, 11 no. 12): None means "not printed" (default shutdown).
    autoshutdown = global_properties.get("autoshutdown", ("", ""))[0] or None
    physical_memory: int | None = None
    memory = resources.get(_CAPPED_MEMORY, {})
    if "physical" in memory:
        # Printed with a binary suffix as configured, "4G", "12G" (solaris.md 2.4,
        # 2.5); units.parse_size() uses the same multiples.
        value, line = memory["physical"]
        try:
            physical_memory = parse_size(value)
        except (ValueError, OverflowError):
            raise ParseError(line, f"capped-memory physical {value!r} is not a size") from None
    suspend: SuspendResource | None = None
    if _SUSPEND in resources:
        properties = resources[_SUSPEND]
        suspend = SuspendResource(
            path=properties.get("path", ("", ""))[0] or None,
            storage=properties.get("storage", ("", ""))[0] or None,
        )
    return ZoneConfig(
        name=name,
        brand=brand,
        autoboot=autoboot,
        autoshutdown=autoshutdown,
        suspend=suspend,
        physical_memory=physical_memory,
    )


def _unquote_export(value: str, line: str) -> str:
    """Undo the double quotes zonecfg export puts around a value with spaces.

    export_prop() quotes a value that contains a space (quoteit(), illumos zonecfg.c);
    whether Solaris escapes quotes inside is UNCONFIRMED (solaris.md 2.5), so ``\\"``
    and ``\\\\`` are read as escapes and any other backslash is kept as printed.
    """
    if not value.startswith('"'):
        return value
    chars: list[str] = []
    index = 1
    while index < len(value):
        char = value[index]
        if char == "\\" and value[index + 1 : index + 2] in ('"', "\\"):
            chars.append(value[index + 1])
            index += 2
            continue
        if char == '"':
            if index + 1 != len(value):
                raise ParseError(line, "text after the closing quote")
            return "".join(chars)
        chars.append(char)
        index += 1
    raise ParseError(line, "unterminated quoted value")


def _export_assignment(line: str, rest: str) -> tuple[str, str]:
    prop, equals, value = rest.partition("=")
    prop = prop.strip()
    if not equals or _PROPERTY_NAME.fullmatch(prop) is None:
        raise ParseError(line, "expected 'set PROPERTY=VALUE'")
    return prop, _unquote_export(value.strip(), line)


def parse_zonecfg_export(name: str, text: str) -> ZoneConfig:
    """Return the configuration of zone ``name`` from ``zonecfg -z NAME export``.

    The output is a replayable script: ``create -b``, then ``set prop=value``, and
    resources as ``add RES`` ... ``end`` (solaris.md 2.5).  ``add PROP VALUE`` inside a
    resource (fs options, rctl values: illumos export_func()) adds to a list property
    and is skipped; an ``add RES`` inside a resource (a sub-resource, should a release
    print one: UNCONFIRMED) is tracked so that its ``end`` closes only it.
    ``%{zonename}`` tokens are kept as printed; see :func:`expand_zone_tokens`.

    Raises:
        ParseError: a command before ``create`` or a second ``create``, a malformed
            ``set``, ``add`` without a type, ``end`` without ``add``, ``add`` without
            ``end``, an unknown command, a second suspend or capped-memory resource,
            autoboot other than true/false, a physical memory that is not a size.
    """
    created = False
    global_properties: dict[str, tuple[str, str]] = {}
    resources: dict[str, dict[str, tuple[str, str]]] = {}
    open_resources: list[tuple[str, str]] = []  # (type, its "add" line), outermost first
    properties: dict[str, tuple[str, str]] = {}  # of the open top-level resource
    for line in _nonblank_lines(text):
        if line.startswith("#"):
            continue
        verb, *tail = line.split(None, 1)
        rest = tail[0] if tail else ""
        if verb == "create":
            if created:
                raise ParseError(line, "a second 'create' command")
            created = True
        elif not created:
            raise ParseError(line, "a command before 'create'")
        elif verb == "set":
            prop, value = _export_assignment(line, rest)
            if not open_resources:
                global_properties[prop] = (value, line)
            elif len(open_resources) == 1:
                properties[prop] = (value, line)
            # else: a property of a nested resource, which kzguard does not need.
        elif verb == "add":
            if not rest:
                raise ParseError(line, "'add' without a resource type")
            if len(rest.split()) > 1:
                continue  # "add options ro" / "add value (priv=...)": a list property
            if not open_resources:
                properties = {}
            open_resources.append((rest, line))
        elif verb == "end":
            if not open_resources:
                raise ParseError(line, "'end' without 'add'")
            kind, add_line = open_resources.pop()
            if not open_resources and kind in _KEPT_RESOURCES:
                if kind in resources:
                    raise ParseError(add_line, f"more than one {kind} resource")
                resources[kind] = properties
        else:
            raise ParseError(line, f"unexpected zonecfg command {verb!r}")
    if open_resources:
        raise ParseError(open_resources[-1][1], "'add' without 'end'")
    if not created:
        raise ParseError("", "no 'create' command")
    return _zone_config(name, global_properties, resources)


# zonecfg info prints "name: value"; a resource is "name:" then TAB "prop: value"
# lines; an unset property is TAB "prop not specified"; the capped-memory aliases are
# bracketed, TAB "[swap: 2G]" (solaris.md 2.2: info_*/output_prop in illumos zonecfg.c).
_INFO_PROPERTY = re.compile(r"([A-Za-z][A-Za-z0-9_.-]*):\s*(.*)")
_INFO_UNSET = re.compile(r"[A-Za-z][A-Za-z0-9_.-]* not specified")
_INFO_ALIAS = re.compile(r"\[[A-Za-z][A-Za-z0-9_.-]*:.*\]")


def _unquote_info(value: str) -> str:
    # output_prop() wraps a value containing a space in double quotes without
    # escaping anything inside (quoteit(), solaris.md 2.2).
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        return value[1:-1]
    return value


def parse_zonecfg_info(name: str, text: str) -> ZoneConfig:
    """Return the configuration of zone ``name`` from ``zonecfg -z NAME info``.

    Also reads fragments such as ``info suspend`` (solaris.md 2.2), which print no
    brand (brand is then ``""``) and print nothing at all when the zone has no suspend
    resource (suspend is then None).  Global aliases (``[max-swap: 2G]``) and
    ``prop not specified`` lines are skipped; lines of resources other than suspend
    and capped-memory are skipped unread.  ``%{zonename}`` tokens are kept as printed.

    Raises:
        ParseError: an indented line before any resource, a line that is neither
            ``name: value``, ``name not specified``, ``[alias: value]`` nor
            ``resource:``, a zonename line naming another zone, a second suspend or
            capped-memory resource, autoboot other than true/false, a physical
            memory that is not a size.
    """
    global_properties: dict[str, tuple[str, str]] = {}
    resources: dict[str, dict[str, tuple[str, str]]] = {}
    current: str | None = None  # the resource being read; None at the top level
    properties: dict[str, tuple[str, str]] = {}
    for raw in text.split("\n"):
        line = raw.strip(_BLANKS)
        if not line:
            continue
        if raw[0] in " \t":
            if current is None:
                raise ParseError(line, "indented line outside a resource")
            if current not in _KEPT_RESOURCES:
                continue
            if _INFO_UNSET.fullmatch(line) or _INFO_ALIAS.fullmatch(line):
                continue
            match = _INFO_PROPERTY.fullmatch(line)
            if match is None:
                raise ParseError(line, f"unexpected line in the {current} resource")
            properties[match.group(1)] = (_unquote_info(match.group(2)), line)
            continue
        current = None
        if _INFO_UNSET.fullmatch(line) or _INFO_ALIAS.fullmatch(line):
            continue
        match = _INFO_PROPERTY.fullmatch(line)
        if match is None:
            raise ParseError(line, "expected 'property: value' or 'resource:'")
        key, value = match.groups()
        if value:
            global_properties[key] = (_unquote_info(value), line)
            if key == "zonename" and value != name:
                raise ParseError(line, f"this is the configuration of zone {value!r}, not {name!r}")
            continue
        # "name:" alone opens a resource (an empty global property printed without
        # its trailing space reads the same, and is harmless as an empty resource).
        current = key
        if key in _KEPT_RESOURCES:
            if key in resources:
                raise ParseError(line, f"more than one {key} resource")
            properties = {}
            resources[key] = properties
    return _zone_config(name, global_properties, resources)


def expand_zone_tokens(value: str, zone_name: str) -> str:
    """Return ``value`` with every ``%{zonename}`` replaced by ``zone_name``.

    zonecfg accepts tokens in property values (Oracle's Puppet and Nova code set
    ``path=/system/zones/%{zonename}/suspend``) and may print them unexpanded
    (UNCONFIRMED, solaris.md 2.1, 11 no. 12).  Other tokens (``%{global-rootzpool}``,
    ``%{id}``) are left as they are: kzguard has no use for them.
    """
    return value.replace("%{zonename}", zone_name)


# ---------------------------------------------------------------------------------
# kstat, svcs, svcprop, who -r, df -k

# `kstat -p unix:0:system_misc:boot_time` prints the statistic's name, a TAB and the
# boot time in epoch seconds (solaris.md 8).
_BOOT_TIME = re.compile(r"unix:0:system_misc:boot_time\s+([0-9]{1,20})")


def _single_line(text: str, expected: str) -> str:
    lines = _nonblank_lines(text)
    if not lines:
        raise ParseError("", f"no output, expected {expected}")
    if len(lines) > 1:
        raise ParseError(lines[1], f"more than one line, expected only {expected}")
    return lines[0]


def parse_kstat_boot_time(text: str) -> int:
    """Return the epoch seconds of ``kstat -p unix:0:system_misc:boot_time``.

    Raises:
        ParseError: no output, more than one line, or a line of another form.
    """
    expected = "'unix:0:system_misc:boot_time<TAB>SECONDS'"
    line = _single_line(text, expected)
    match = _BOOT_TIME.fullmatch(line)
    if match is None:
        raise ParseError(line, f"expected {expected}")
    return int(match.group(1))


# svcs states are lower-case words (online, offline, disabled, maintenance, degraded,
# uninitialized, legacy_run), with "*" appended while the instance is moving to
# another state (docs/formats.md "zlogin ... svcs"; svcs(1)).
# "uninitialized" is the longest (13); 32 keeps a megabyte of letters out.
_SVC_STATE = re.compile(r"[a-z][a-z_]{0,31}\*?")


def parse_svcs_state(text: str) -> str:
    """Return the state printed by ``svcs -H -o state FMRI``, e.g. ``online``, ``offline*``.

    Raises:
        ParseError: no output, more than one line, or not a state word.
    """
    line = _single_line(text, "one service state")
    if _SVC_STATE.fullmatch(line) is None:
        raise ParseError(line, "expected one service state such as 'online'")
    return line


def _svcprop_words(text: str) -> list[tuple[str, list[str]]]:
    """Split svcprop output into (line as printed, its words), undoing its escapes.

    quote_for_shell() in svcprop.c puts a backslash before each of ``;&()|^<>``,
    newline, space, TAB, backslash, double and single quote and backquote, so only an
    unescaped space, TAB or newline separates values or lines.  A word is kept as
    printed (escapes included) so that ``""`` can be told from ``\\"\\"``.
    """
    # One regular expression pass, not a loop per character: a megabyte of output
    # must not cost seconds of a shutdown.
    lines: list[tuple[str, list[str]]] = []
    words: list[str] = []
    start = 0
    for match in _SVCPROP_TOKEN.finditer(text):
        word, newline, lone_backslash = match.group(1), match.group(2), match.group(3)
        if word is not None:
            words.append(word)
        elif newline is not None:
            lines.append((text[start : match.start()], words))
            words, start = [], match.end()
        elif lone_backslash is not None:
            raise ParseError(text[start:].strip(), "backslash at the end of the output")
    lines.append((text[start:], words))
    return lines


# A word is a run of escaped characters and characters other than blank, newline
# and backslash; a backslash can only be left over at the very end of the text.
_SVCPROP_TOKEN = re.compile(r"((?:\\[\s\S]|[^ \t\n\\])+)|(\n)|[ \t]+|(\\)")
_SVCPROP_UNQUOTED = re.compile(r'(?:\\[\s\S]|[^"\\])*')
_SVCPROP_ESCAPE = re.compile(r"\\([\s\S])")


def parse_svcprop_value(text: str) -> str:
    """Return the one value printed by ``svcprop -p PG/PROP FMRI``, unescaped.

    svcprop backslash-escapes shell metacharacters, space included (``a\\ b`` is
    ``a b``), and prints the empty string as ``""`` (solaris.md 5.5, svcprop(1)).

    Raises:
        ParseError: no value, more than one value or line, an unescaped double quote,
            or a backslash at the very end.
    """
    printed = [(line, words) for line, words in _svcprop_words(text) if words]
    if not printed:
        raise ParseError("", "no output, expected one value")
    if len(printed) > 1:
        raise ParseError(printed[1][0].strip(), "more than one line, expected one value")
    line, words = printed[0]
    if len(words) > 1:
        raise ParseError(line.strip(), "more than one value")
    word = words[0]
    if word == '""':
        return ""
    if _SVCPROP_UNQUOTED.fullmatch(word) is None:
        raise ParseError(line.strip(), "unescaped double quote")
    return _SVCPROP_ESCAPE.sub(r"\1", word)


# init(8) run levels.  0 (power off), 5 (power off), 6 (reboot) take the whole
# system down; S/s and 1 (single user) stop most services too (solaris.md 12).
RUNLEVELS = frozenset({"0", "1", "2", "3", "4", "5", "6", "S", "s"})
RUNLEVELS_GOING_DOWN = frozenset({"0", "1", "5", "6", "S", "s"})
# `who -r`: ".  run-level 3  Nov 25 18:22  3  0  S"; the level follows "run-level"
# (solaris.md 12).
_WHO_RUNLEVEL = re.compile(r"(?:^|\s)run-level\s+(\S+)")


def parse_who_r(text: str) -> str:
    """Return the current run level from ``who -r``: ``"3"``, ``"6"``, ``"S"``...

    Raises:
        ParseError: no output, more than one line, no ``run-level`` field, or a level
            that is not one of 0-6, S, s.
    """
    line = _single_line(text, "the run-level line")
    match = _WHO_RUNLEVEL.search(line)
    if match is None:
        raise ParseError(line, "no 'run-level' field")
    level = match.group(1)
    if level not in RUNLEVELS:
        raise ParseError(line, f"unknown run level {level!r}")
    return level


def parse_svcprop_runlevel(text: str) -> str:
    """Return the run level in the restarter's ``options_ovr/runlevel`` as svcprop
    prints it: one of 0-6, S, s, or ``""`` when the property is empty.

    Raises:
        ParseError: what :func:`parse_svcprop_value` refuses, or a value that is not
            a run level (taken for one, garbage could stand the guard down).
    """
    level = parse_svcprop_value(text)
    if level and level not in RUNLEVELS:
        raise ParseError(text.strip(), f"unknown run level {excerpt(level)!r}")
    return level


def is_going_down(runlevel: str) -> bool:
    """Return True if ``runlevel`` means the global zone is going down (solaris.md 12).

    2, 3 and 4 mean the service is stopped by ``svcadm disable``/``restart``, a
    dependency or a package update, with the zones not at risk.
    """
    return runlevel.strip() in RUNLEVELS_GOING_DOWN


# df -k headers: Solaris "Filesystem kbytes used avail capacity Mounted on" (df(8));
# POSIX -P "Filesystem 1024-blocks Used Available Capacity Mounted on".
_DF_AVAIL_COLUMNS = frozenset({"avail", "available"})
_DF_NUMBER = re.compile(r"-|[0-9]{1,20}%?")
_DF_AVAIL = re.compile(r"[0-9]{1,20}")


def parse_df_k(text: str) -> FileSystemSpace:
    """Return the file system, mount point and free bytes from ``df -k PATH``.

    The header names the columns, so they are found by name; the mount point is the
    rest of the line after the last numeric column (it may contain spaces).  A file
    system name too long for its column is printed on a line of its own, the
    numbers on the next (historical df behaviour), and is joined back.

    Raises:
        ParseError: no or an unexpected header, no avail column, no data line or
            more than one, too few columns, a column that is not a number.
    """
    header, columns, data = _df_header(text)
    if not data:
        raise ParseError(header, "no file system line")
    record, extra = data[0], data[1:]
    if len(record.split()) == 1:
        if not extra:
            raise ParseError(record, "a file system name without its numbers")
        record = f"{record} {extra[0]}"
        extra = extra[1:]
    if extra:
        raise ParseError(extra[0], "more than one file system")
    return _df_record(record, columns)


def parse_df_k_each(text: str, count: int) -> list[FileSystemSpace]:
    """Return one file system per operand from ``df -k PATH1 PATH2 ...``, which
    prints one line per operand, in operand order (wrapped lines joined back as in
    :func:`parse_df_k`).

    Raises:
        ParseError: as :func:`parse_df_k`, or not exactly ``count`` file systems.
    """
    header, columns, data = _df_header(text)
    records = []
    lines = iter(data)
    for line in lines:
        record = line
        if len(line.split()) == 1:
            following = next(lines, None)
            if following is None:
                raise ParseError(line, "a file system name without its numbers")
            record = f"{line} {following}"
        records.append(_df_record(record, columns))
    if len(records) != count:
        raise ParseError(header, f"expected {count} file system lines, found {len(records)}")
    return records


def _df_header(text: str) -> tuple[str, list[str], list[str]]:
    """The header line, its value column names (lower case) and the data lines."""
    lines = _nonblank_lines(text)
    if not lines:
        raise ParseError("", "no output, expected a header 'Filesystem ... Mounted on'")
    header, *data = lines
    names = [name.lower() for name in header.split()]
    if len(names) < 4 or names[0] != "filesystem" or names[-2:] != ["mounted", "on"]:
        raise ParseError(header, "expected a header 'Filesystem ... Mounted on'")
    columns = names[1:-2]
    avail_columns = [index for index, column in enumerate(columns) if column in _DF_AVAIL_COLUMNS]
    if len(avail_columns) != 1:
        raise ParseError(header, "expected one 'avail' or 'Available' column")
    return header, columns, data


def _df_record(record: str, columns: Sequence[str]) -> FileSystemSpace:
    parts = record.split(None, len(columns) + 1)
    if len(parts) < len(columns) + 2:
        raise ParseError(record, f"expected {len(columns) + 2} columns")
    filesystem, values, mount_point = parts[0], parts[1:-1], parts[-1]
    for column, value in zip(columns, values):
        if _DF_NUMBER.fullmatch(value) is None:
            raise ParseError(record, f"{column} {value!r} is not a number")
    avail_column = next(i for i, column in enumerate(columns) if column in _DF_AVAIL_COLUMNS)
    available = values[avail_column]
    if _DF_AVAIL.fullmatch(available) is None:
        raise ParseError(record, f"{columns[avail_column]} {available!r} is not a number")
    return FileSystemSpace(filesystem, mount_point, int(available) * 1024)

"""Parsers of ``zonecfg -z ZONE export`` and ``zonecfg -z ZONE info`` output, and the
expansion of the ``%{zonename}`` token zonecfg may print unexpanded.

Pure: no I/O (see :mod:`kzguard.solaris.parse` for the contract every parser keeps).
"""

from __future__ import annotations

import re

from kzguard.errors import ParseError
from kzguard.model import SmfDependency, SuspendResource, ZoneConfig
from kzguard.solaris.parse.common import BLANKS, nonblank_lines
from kzguard.units import parse_size

# The resources kzguard reads; zonecfg allows at most one of each, except
# smf-dependency, of which a zone may have several (docs/solaris.md 2.3).  Every
# other resource (anet, device, virtual-cpu, rctl...) is skipped.
_CAPPED_MEMORY = "capped-memory"
_SUSPEND = "suspend"
_SMF_DEPENDENCY = "smf-dependency"
_SINGLE_RESOURCES = frozenset({_CAPPED_MEMORY, _SUSPEND})
_KEPT_RESOURCES = _SINGLE_RESOURCES | {_SMF_DEPENDENCY}
_PROPERTY_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")


def _zone_config(
    name: str,
    global_properties: dict[str, tuple[str, str]],
    resources: dict[str, dict[str, tuple[str, str]]],
    dependencies: list[dict[str, tuple[str, str]]],
) -> ZoneConfig:
    # export_func() leaves out "set brand=" for the native brand (illumos zonecfg.c),
    # and "zonecfg info suspend" prints no brand at all (docs/solaris.md 2.2): brand is then
    # "".  A kernel zone's brand is never the native one, so it is always printed.
    brand = global_properties.get("brand", ("", ""))[0]
    autoboot = False  # the documented default (docs/solaris.md 2.3)
    if "autoboot" in global_properties:
        value, line = global_properties["autoboot"]
        if value.lower() not in ("true", "false"):
            raise ParseError(line, f"autoboot is {value!r}, not true or false")
        autoboot = value.lower() == "true"
    # Whether zonecfg prints autoshutdown when it was never set is UNCONFIRMED
    # (docs/solaris.md 2.4, 11 no. 12): None means "not printed" (default shutdown).
    autoshutdown = global_properties.get("autoshutdown", ("", ""))[0] or None
    physical_memory: int | None = None
    memory = resources.get(_CAPPED_MEMORY, {})
    if "physical" in memory:
        # Printed with a binary suffix as configured, "4G", "12G" (docs/solaris.md 2.4,
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
        # Kept as printed: a value a later release adds orders like the default
        # (policy/order.py); whether info prints the default is UNCONFIRMED (2.3).
        boot_priority=global_properties.get("boot-priority", ("", ""))[0] or None,
        smf_dependencies=tuple(
            SmfDependency(
                fmri=properties["fmri"][0],
                name=properties.get("name", ("", ""))[0] or None,
                grouping=properties.get("grouping", ("", ""))[0] or None,
            )
            for properties in dependencies
            # zonecfg requires an fmri; one without says nothing about the order.
            if properties.get("fmri", ("", ""))[0]
        ),
    )


def _unquote_export(value: str, line: str) -> str:
    """Undo the double quotes zonecfg export puts around a value with spaces.

    export_prop() quotes a value that contains a space (quoteit(), illumos zonecfg.c);
    whether Solaris escapes quotes inside is UNCONFIRMED (docs/solaris.md 2.5), so ``\\"``
    and ``\\\\`` are read as escapes and any other backslash is kept as printed.
    illumos escapes nothing: a value with quotes of its own inside (``-m "x" -v``)
    is printed ``"-m "x" -v"``, so a line whose value ends with the closing quote
    is read, when the escapes leave a quote before it, as all between the outer two.
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
            if index + 1 == len(value):
                return "".join(chars)
            if value.endswith('"'):
                return value[1:-1]
            raise ParseError(line, "text after the closing quote")
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
    resources as ``add RES`` ... ``end`` (docs/solaris.md 2.5); ``boot-priority`` and
    every ``smf-dependency`` resource are kept (2.3).  ``add PROP VALUE`` inside a
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
    dependencies: list[dict[str, tuple[str, str]]] = []
    open_resources: list[tuple[str, str]] = []  # (type, its "add" line), outermost first
    properties: dict[str, tuple[str, str]] = {}  # of the open top-level resource
    for line in nonblank_lines(text):
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
            if not open_resources and kind == _SMF_DEPENDENCY:
                dependencies.append(properties)
            elif not open_resources and kind in _SINGLE_RESOURCES:
                if kind in resources:
                    raise ParseError(add_line, f"more than one {kind} resource")
                resources[kind] = properties
        else:
            raise ParseError(line, f"unexpected zonecfg command {verb!r}")
    if open_resources:
        raise ParseError(open_resources[-1][1], "'add' without 'end'")
    if not created:
        raise ParseError("", "no 'create' command")
    return _zone_config(name, global_properties, resources, dependencies)


# zonecfg info prints "name: value"; a resource is "name:" then TAB "prop: value"
# lines; an unset property is TAB "prop not specified"; the capped-memory aliases are
# bracketed, TAB "[swap: 2G]" (docs/solaris.md 2.2: info_*/output_prop in illumos zonecfg.c).
_INFO_PROPERTY = re.compile(r"([A-Za-z][A-Za-z0-9_.-]*):\s*(.*)")
_INFO_UNSET = re.compile(r"[A-Za-z][A-Za-z0-9_.-]* not specified")
_INFO_ALIAS = re.compile(r"\[[A-Za-z][A-Za-z0-9_.-]*:.*\]")


def _unquote_info(value: str) -> str:
    # output_prop() wraps a value containing a space in double quotes without
    # escaping anything inside (quoteit(), docs/solaris.md 2.2).
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        return value[1:-1]
    return value


def parse_zonecfg_info(name: str, text: str) -> ZoneConfig:
    """Return the configuration of zone ``name`` from ``zonecfg -z NAME info``.

    Also reads fragments such as ``info suspend`` (docs/solaris.md 2.2), which print no
    brand (brand is then ``""``) and print nothing at all when the zone has no suspend
    resource (suspend is then None).  Global aliases (``[max-swap: 2G]``) and
    ``prop not specified`` lines are skipped; lines of resources other than suspend,
    capped-memory and smf-dependency are skipped unread.  ``%{zonename}`` tokens are
    kept as printed.

    Raises:
        ParseError: an indented line before any resource, a line that is neither
            ``name: value``, ``name not specified``, ``[alias: value]`` nor
            ``resource:``, a zonename line naming another zone, a second suspend or
            capped-memory resource, autoboot other than true/false, a physical
            memory that is not a size.
    """
    global_properties: dict[str, tuple[str, str]] = {}
    resources: dict[str, dict[str, tuple[str, str]]] = {}
    dependencies: list[dict[str, tuple[str, str]]] = []
    current: str | None = None  # the resource being read; None at the top level
    properties: dict[str, tuple[str, str]] = {}
    for raw in text.split("\n"):
        line = raw.strip(BLANKS)
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
        if key == _SMF_DEPENDENCY:
            properties = {}
            dependencies.append(properties)
        elif key in _SINGLE_RESOURCES:
            if key in resources:
                raise ParseError(line, f"more than one {key} resource")
            properties = {}
            resources[key] = properties
    return _zone_config(name, global_properties, resources, dependencies)


def expand_zone_tokens(value: str, zone_name: str) -> str:
    """Return ``value`` with every ``%{zonename}`` replaced by ``zone_name``.

    zonecfg accepts tokens in property values (Oracle's Puppet and Nova code set
    ``path=/system/zones/%{zonename}/suspend``) and may print them unexpanded
    (UNCONFIRMED, docs/solaris.md 2.1, 11 no. 12).  Other tokens (``%{global-rootzpool}``,
    ``%{id}``) are left as they are: kzguard has no use for them.
    """
    return value.replace("%{zonename}", zone_name)


def image_file(zone_name: str, config: ZoneConfig | None) -> str | None:
    """The global-zone file a zone's suspend image is written to (its suspend
    resource's ``path``, tokens expanded), or None (a ``storage`` URI, or none)."""
    if config is None or config.suspend is None or config.suspend.path is None:
        return None
    return expand_zone_tokens(config.suspend.path, zone_name)

"""Simulated ``/usr/sbin/svccfg``: ``import FILE``, ``validate FILE`` and, on one
instance, ``-s FMRI addpg PG TYPE``, ``setprop PG/PROP = [TYPE:] VALUE``,
``delprop PG[/PROP]`` and ``delpg PG``.

``-s`` changes go to the instance's current properties only: the running
snapshot, which svc.startd's dependency graph and a plain svcprop read, takes
them at ``svcadm refresh`` (svcprop(1), docs/solaris.md 5.5; graph.c header comment).

Both check that the file is well-formed XML whose root is ``service_bundle``
(docs/solaris.md 5.1); the DTD itself is checked by kzguard's own tests.  ``import``
adds the bundle's instances to the repository (general/enabled, property groups,
methods, dependencies) and records the manifest under ``services.manifests``.
The exact wording of svccfg's errors is UNCONFIRMED.
"""

from __future__ import annotations

import re
import shlex
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kzguard.sim import smfrepo
from kzguard.sim.state import SimHost
from kzguard.sim.tools import host_for

EXIT_ERROR = 1
EXIT_USAGE = 2

USAGE = (
    "Usage: svccfg import FILE\n       svccfg validate FILE\n"
    "       svccfg -s FMRI addpg PG TYPE | setprop PG/PROP = [TYPE:] VALUE |"
    " delprop PG[/PROP] | delpg PG\n"
)
# The property types of service_bundle(5) / svccfg(8).
PROPERTY_TYPES = frozenset(
    [
        "count",
        "integer",
        "opaque",
        "host",
        "hostname",
        "net_address",
        "net_address_v4",
        "net_address_v6",
        "time",
        "astring",
        "ustring",
        "boolean",
        "fmri",
        "uri",
    ]
)
PG_TYPES = frozenset({"application", "dependency", "framework", "method"})

Props = dict[str, list[Any]]


class BundleError(Exception):
    """The file is not a usable service bundle."""


def parse_bundle(path: str) -> tuple[str, ET.Element]:
    """Return (text, root element) of the manifest at ``path``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise BundleError(f'failed to open "{path}": {exc.strerror}') from exc
    try:
        # The document is the operator's own manifest on a simulated host, and
        # expat >= 2.4 bounds entity expansion; external DTDs are never fetched.
        root = ET.fromstring(text)  # noqa: S314
    except ET.ParseError as exc:
        raise BundleError(f'couldn\'t parse document "{path}": {exc}') from exc
    if root.tag != "service_bundle":
        raise BundleError(f'"{path}" is not a service bundle (root element <{root.tag}>)')
    return text, root


def _values(element: ET.Element) -> list[str]:
    return [node.get("value", "") for node in element.iter("value_node")]


def _props(owner: ET.Element) -> Props:
    """Property groups, methods and dependencies directly inside ``owner``."""
    props: Props = {}
    for group in owner.findall("property_group"):
        name = group.get("name", "")
        for propval in group.findall("propval"):
            props[f"{name}/{propval.get('name')}"] = [propval.get("type"), propval.get("value", "")]
        for prop in group.findall("property"):
            props[f"{name}/{prop.get('name')}"] = [prop.get("type"), _values(prop)]
    for method in owner.findall("exec_method"):
        name = method.get("name", "")
        props[f"{name}/exec"] = ["astring", method.get("exec", "")]
        props[f"{name}/timeout_seconds"] = ["count", method.get("timeout_seconds", "")]
        props[f"{name}/type"] = ["astring", method.get("type", "method")]
    for dependency in owner.findall("dependency"):
        name = dependency.get("name", "")
        props[f"{name}/grouping"] = ["astring", dependency.get("grouping", "")]
        props[f"{name}/restart_on"] = ["astring", dependency.get("restart_on", "")]
        props[f"{name}/type"] = ["astring", dependency.get("type", "")]
        fmris = [node.get("value", "") for node in dependency.findall("service_fmri")]
        props[f"{name}/entities"] = ["fmri", fmris]
    return props


def instances_of(root: ET.Element) -> dict[str, tuple[bool, Props]]:
    """Return ``{instance FMRI: (enabled, composed properties)}`` of the bundle."""
    found: dict[str, tuple[bool, Props]] = {}
    for service in root.iter("service"):
        name = service.get("name")
        if not name:
            raise BundleError("a <service> element has no name")
        shared = _props(service)
        default = service.find("create_default_instance")
        declared: list[tuple[str, bool, Props]] = []
        if default is not None:
            declared.append(("default", default.get("enabled") == "true", {}))
        for instance in service.findall("instance"):
            enabled = instance.get("enabled") == "true"
            declared.append((instance.get("name", "default"), enabled, _props(instance)))
        for instance_name, enabled, own in declared:
            props = {**shared, **own}
            props["general/enabled"] = ["boolean", "true" if enabled else "false"]
            props["restarter/state"] = smfrepo.settled_state(enabled)
            found[f"svc:/{name}:{instance_name}"] = (enabled, props)
    return found


def _import(host: SimHost, path: str) -> None:
    text, root = parse_bundle(path)
    found = instances_of(root)
    with host.edit() as state:
        for fmri, (enabled, props) in found.items():
            state["smf"][fmri] = props
            entry = state["services"]["instances"].setdefault(
                fmri,
                {
                    "enabled": enabled,
                    "temporary": False,
                    "refresh_count": 0,
                    "restart_count": 0,
                    "clear_count": 0,
                    "history": [],
                },
            )
            entry["enabled"] = enabled
        state["services"]["manifests"].append(
            {
                "path": str(Path(path).resolve()),
                "services": sorted({smfrepo.split_fmri(f)[0] for f in found}),
                "instances": sorted(found),
                "content": text,
                "time": time.time(),
            }
        )


def _value(text: str) -> str | list[str]:
    """A setprop value: one word, or a list in parentheses (svccfg(8))."""
    text = text.strip()
    if text.startswith("(") and text.endswith(")"):
        return shlex.split(text[1:-1])
    words = shlex.split(text)
    if len(words) != 1:
        raise BundleError(f"expected one value, not {text!r} (a list goes in parentheses)")
    return words[0]


def _edit(state: dict[str, Any], fmri: str, command: str, rest: list[str]) -> None:
    changes = smfrepo.pending(state).setdefault(fmri, {})
    current = smfrepo.current_view(state, fmri)
    line = " ".join(rest)
    if command == "addpg":
        if len(rest) < 2 or rest[1] not in PG_TYPES:
            raise BundleError(f"addpg needs a name and a type ({', '.join(sorted(PG_TYPES))})")
    elif command == "setprop":
        types = "|".join(sorted(PROPERTY_TYPES, key=len, reverse=True))
        match = re.fullmatch(rf"(\S+/\S+)\s*=\s*(?:({types}):\s*)?(.*)", line, re.DOTALL)
        if match is None:
            raise BundleError(f"setprop: cannot parse {line!r}")
        name, kind, value = match.groups()
        if kind is None:
            if name not in current:
                raise BundleError(f"setprop: {name} is a new property: give its type")
            kind = current[name][0]
        changes[name] = [kind, _value(value)]
    elif command in ("delprop", "delpg"):
        if len(rest) != 1:
            raise BundleError(f"{command} takes one name")
        target = rest[0]
        for name in current:
            if name == target or name.partition("/")[0] == target:
                changes[name] = None
    else:
        raise BundleError(f"unknown subcommand {command!r}")


def _on_instance(host: SimHost, pattern: str, command: str, rest: list[str]) -> None:
    with host.edit() as state:
        fmris = smfrepo.match_instances(state, pattern)
        if len(fmris) != 1:
            # Wording UNCONFIRMED.
            raise BundleError(f"Pattern '{pattern}' doesn't match exactly one instance")
        _edit(state, fmris[0], command, rest)


def main(argv: Sequence[str], host: SimHost | None = None) -> int:
    host = host_for(argv, host)
    args = list(argv[1:])
    if len(args) >= 3 and args[0] == "-s":
        try:
            _on_instance(host, args[1], args[2], args[3:])
        except (BundleError, ValueError) as exc:
            print(f"svccfg: {exc}", file=sys.stderr)
            return EXIT_ERROR
        return 0
    if len(args) != 2 or args[0] not in ("import", "validate"):
        sys.stderr.write(USAGE)
        return EXIT_USAGE
    try:
        if args[0] == "import":
            _import(host, args[1])
        else:
            instances_of(parse_bundle(args[1])[1])
    except BundleError as exc:
        print(f"svccfg: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return 0

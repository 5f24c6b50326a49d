"""The simulated SMF repository: properties, FMRI patterns, svcprop's quoting."""

from __future__ import annotations

import fnmatch
from typing import Any, Union

State = dict[str, Any]
Value = Union[str, list[str]]

RESTARTER = "svc:/system/svc/restarter:default"
ZONES_SERVICE = "svc:/system/zones:default"
ZONE_INSTANCE_PREFIX = "svc:/system/zones/zone:"
# illumos svcprop.c quote_for_shell(): the Bourne shell metacharacters it escapes.
_SHELL_METACHARACTERS = frozenset(";&()|^<>\n \t\\\"'`")


def quote_for_shell(text: str) -> str:
    """Return ``text`` as svcprop prints a string value (illumos svcprop.c)."""
    if text == "":
        return '""'
    return "".join("\\" + ch if ch in _SHELL_METACHARACTERS else ch for ch in text)


def format_values(value: Value) -> str:
    values = value if isinstance(value, list) else [value]
    return " ".join(quote_for_shell(str(item)) for item in values)


def _zone_instance_state(zone_state: str) -> tuple[str, str]:
    # What svc.zones makes of each zone state (solaris.md 3.1: "online" = running,
    # "disabled" = halted).  How a manual suspend or halt shows up is open
    # question 6 there: UNCONFIRMED, so this is the plain reading.
    if zone_state == "running":
        return "true", "online"
    if zone_state in ("ready", "shutting_down", "down"):
        return "true", "offline"
    return "false", "disabled"


def sync(state: State) -> None:
    """Refresh the repository entries that mirror the run level and the zones."""
    smf: dict[str, dict[str, list[Any]]] = state["smf"]
    # init(8) writes options_ovr/runlevel when the run level changes (solaris.md 12).
    smf.setdefault(RESTARTER, {})["options_ovr/runlevel"] = [
        "astring",
        state["runlevel"]["current"],
    ]
    if state["release"] != "11.4":
        for fmri in [f for f in smf if f.startswith(ZONE_INSTANCE_PREFIX)]:
            del smf[fmri]
        return
    # 11.4's svc.zones gives every installed zone an instance (solaris.md 3.1).
    for name, zone in state["zones"].items():
        if zone["state"] in ("configured", "incomplete"):
            continue
        enabled, restarter_state = _zone_instance_state(zone["state"])
        props = smf.setdefault(ZONE_INSTANCE_PREFIX + name, {})
        props["general/enabled"] = ["boolean", enabled]
        props["restarter/state"] = ["astring", restarter_state]


def split_fmri(fmri: str) -> tuple[str, str]:
    """Split ``svc:/a/b:inst`` into (``a/b``, ``inst``); instance may be empty."""
    body = fmri[len("svc:/") :] if fmri.startswith("svc:/") else fmri
    service, _, instance = body.partition(":")
    return service.strip("/"), instance


def match_instances(state: State, pattern: str) -> list[str]:
    """Return the instance FMRIs ``pattern`` names, the way svcadm and svcprop
    accept full FMRIs, service FMRIs and abbreviations (``site/kzguard``)."""
    instances = list(state["smf"])
    if any(ch in pattern for ch in "*?["):
        full = pattern if pattern.startswith("svc:/") else "svc:/" + pattern.lstrip("/")
        return [fmri for fmri in instances if fnmatch.fnmatchcase(fmri, full)]
    want_service, want_instance = split_fmri(pattern)
    if not want_service:
        return []
    found = []
    for fmri in instances:
        service, instance = split_fmri(fmri)
        if want_instance and instance != want_instance:
            continue
        if pattern.startswith("svc:/"):
            if service == want_service:
                found.append(fmri)
        elif service == want_service or service.endswith("/" + want_service):
            found.append(fmri)
    return found

"""The simulated SMF repository: properties, FMRI patterns, svcprop's quoting."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
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


def settled_state(enabled: bool) -> list[str]:
    """``restarter/state`` of an instance svc.startd has brought to where its
    enablement says, nothing failing: online, or disabled."""
    return ["astring", "online" if enabled else "disabled"]


def _zone_instance_state(zone_state: str) -> tuple[str, str]:
    # What svc.zones makes of each zone state (docs/solaris.md 3.1: "online" = running,
    # "disabled" = halted).  How a manual suspend or halt shows up is open
    # question 6 there: UNCONFIRMED, so this is the plain reading.
    if zone_state == "running":
        return "true", "online"
    if zone_state in ("ready", "shutting_down", "down"):
        return "true", "offline"
    return "false", "disabled"


def _zone_dependencies(zone: dict[str, Any]) -> dict[str, list[Any]]:
    """The dependency groups svc.zones gives a zone's instance from its zonecfg
    smf-dependency resources: type service, restart_on none, grouping default
    require_all (svc.zones(8)).  The group name of an unnamed one is the
    simulator's choice (UNCONFIRMED)."""
    props: dict[str, list[Any]] = {}
    for index, dependency in enumerate(zone["config"].get("smf_dependencies") or []):
        name = dependency.get("name") or f"smf-dependency-{index}"
        props[f"{name}/entities"] = ["fmri", [dependency["fmri"]]]
        props[f"{name}/grouping"] = ["astring", dependency.get("grouping") or "require_all"]
        props[f"{name}/restart_on"] = ["astring", "none"]
        props[f"{name}/type"] = ["astring", "service"]
    return props


def sync(state: State) -> None:
    """Refresh the repository entries that mirror the zones.

    The restarter's options_ovr/runlevel is not among them: init(8) writes it
    and svc.startd deletes it again at once (docs/solaris.md 12), see
    :mod:`kzguard.sim.shutdown`."""
    smf: dict[str, dict[str, list[Any]]] = state["smf"]
    if state["release"] != "11.4":
        for fmri in [f for f in smf if f.startswith(ZONE_INSTANCE_PREFIX)]:
            del smf[fmri]
        return
    # 11.4's svc.zones gives every installed zone an instance (docs/solaris.md 3.1).
    for name, zone in state["zones"].items():
        if zone["state"] in ("configured", "incomplete"):
            continue
        enabled, restarter_state = _zone_instance_state(zone["state"])
        props = {
            "general/enabled": ["boolean", enabled],
            "restarter/state": ["astring", restarter_state],
        }
        props.update(_zone_dependencies(zone))
        smf[ZONE_INSTANCE_PREFIX + name] = props


def pending(state: State) -> dict[str, dict[str, Any]]:
    """Changes made with ``svccfg -s FMRI setprop/delprop`` that the running
    snapshot does not have yet: ``{fmri: {"pg/prop": [type, value] | None}}``
    (None: deleted).  ``svcadm refresh`` applies them (svcprop(1), docs/solaris.md 5.5)."""
    return state.setdefault("smf_pending", {})  # type: ignore[no-any-return]


def current_view(state: State, fmri: str) -> dict[str, list[Any]]:
    """An instance's properties as ``svcprop -c`` sees them: the running snapshot
    with the changes not yet refreshed."""
    props = dict(state["smf"].get(fmri, {}))
    for name, entry in pending(state).get(fmri, {}).items():
        if entry is None:
            props.pop(name, None)
        else:
            props[name] = entry
    return props


def refresh(state: State, fmri: str) -> None:
    """``svcadm refresh``: the running snapshot takes the pending changes."""
    changes = pending(state).pop(fmri, None)
    if changes:
        state["smf"][fmri] = current_view(
            {"smf": state["smf"], "smf_pending": {fmri: changes}}, fmri
        )


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
        # Imported here: fnmatch brings re, which no other simulated command needs
        # (docs/performance.md, "A simulated command's start-up").
        import fnmatch  # noqa: PLC0415

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

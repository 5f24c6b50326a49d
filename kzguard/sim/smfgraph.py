"""Which SMF instances svc.startd stops first at a shutdown.  Pure functions.

illumos usr/src/cmd/svc/startd/graph.c: going to the milestone ``none`` (run
levels 0, 5, 6), dgraph_set_milestone() override-disables every enabled instance
that is up and is_nonsubgraph_leaf(); as each comes down,
vertex_subgraph_dependencies_shutdown() disables the leaves it exposed
(disable_nonsubgraph_leaves()).  is_nonsubgraph_leaf() is true when no dependent
that is "up" -- online, degraded or offline (up_state()) -- is reached from the
instance: it walks every dependency group except ``exclude_all`` (whatever its
restart_on), and service vertices, so a dependency on a service FMRI such as
``svc:/system/zones/zone`` reaches every instance of that service (graph.c: an
instance's vertex has "an edge from the GVT_SVC vertex for the instance's
service").  The dependency groups are those of the instance's *running*
snapshot, which ``svcadm refresh`` updates (graph.c header comment).

A zone's instance ``svc:/system/zones/zone:NAME`` (Solaris 11.4, restarter
svc.zones) has no dependents unless a service declares a dependency on it or
another zone names it in its zonecfg ``smf-dependency`` (svc.zones(8): zone
dependencies are of type service with restart_on none).  So zone instances are
leaves, stopped at the very start of a shutdown, unless held (docs/solaris.md 13).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from kzguard.sim.smfrepo import ZONE_INSTANCE_PREFIX, split_fmri

State = dict[str, Any]
Props = dict[str, list[Any]]

UP_STATES = frozenset({"online", "degraded", "offline"})  # graph.c up_state()
EXCLUDE_ALL = "exclude_all"


class Group(NamedTuple):
    """One dependency property group of an instance."""

    name: str
    grouping: str
    restart_on: str
    entities: tuple[str, ...]


def _value(props: Props, name: str) -> Any:
    entry = props.get(name)
    return entry[1] if entry is not None else None


def dependency_groups(props: Props) -> list[Group]:
    """The dependency groups among an instance's properties: every property group
    with ``grouping`` and ``entities`` (what svccfg import and setprop write)."""
    names = sorted(
        {name.partition("/")[0] for name in props if name.endswith("/grouping")}
        & {name.partition("/")[0] for name in props if name.endswith("/entities")}
    )
    groups = []
    for name in names:
        entities = _value(props, f"{name}/entities")
        listed = entities if isinstance(entities, list) else [entities]
        groups.append(
            Group(
                name,
                str(_value(props, f"{name}/grouping")),
                str(_value(props, f"{name}/restart_on") or "none"),
                tuple(str(entity) for entity in listed),
            )
        )
    return groups


def is_up(props: Props) -> bool:
    return _value(props, "restarter/state") in UP_STATES


def names(entity: str, fmri: str) -> bool:
    """Whether a dependency on ``entity`` is a dependency on instance ``fmri``:
    the instance itself, or its service (every instance of it)."""
    want_service, want_instance = split_fmri(entity)
    service, instance = split_fmri(fmri)
    return want_service == service and want_instance in ("", instance)


def holders(state: State, fmri: str) -> list[str]:
    """The up instances that keep ``fmri`` from being a leaf, with the group:
    ``"svc:/site/kzguard:default (zone-kz1, optional_all)"``."""
    found = []
    for dependent, props in state["smf"].items():
        if dependent == fmri or not is_up(props):
            continue
        for group in dependency_groups(props):
            if group.grouping == EXCLUDE_ALL:
                continue  # is_nonsubgraph_leaf() skips exclude_all groups
            if any(names(entity, fmri) for entity in group.entities):
                found.append(f"{dependent} ({group.name}, {group.grouping})")
    return found


def zone_instances(state: State) -> list[str]:
    return [fmri for fmri in state["smf"] if fmri.startswith(ZONE_INSTANCE_PREFIX)]


def leaf_zone_instances(state: State) -> list[str]:
    """Zone instances svc.startd disables now: up, and held by nobody."""
    return [
        fmri
        for fmri in zone_instances(state)
        if is_up(state["smf"][fmri]) and not holders(state, fmri)
    ]


def held_zone_instances(state: State) -> dict[str, list[str]]:
    """Up zone instances that wait for a dependent, with who holds each."""
    held = {}
    for fmri in zone_instances(state):
        if is_up(state["smf"][fmri]):
            found = holders(state, fmri)
            if found:
                held[fmri] = found
    return held


def milestone_for(level: str) -> str | None:
    """The word svc.startd's dgraph_set_runlevel() (graph.c) writes to
    options_ovr/milestone for an ``init LEVEL``."""
    if level in ("0", "5", "6"):
        return "none"
    if level in ("S", "s", "1"):
        return "svc:/milestone/single-user:default"
    if level == "2":
        return "svc:/milestone/multi-user:default"
    if level in ("3", "4"):
        return "all"
    raise ValueError(f"not a run level: {level!r}")

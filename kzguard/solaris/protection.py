"""Which managed zones kzguard's SMF instance holds at shutdown, and what to change
so that it holds exactly them.  Pure: the shell (:mod:`kzguard.manifest.dependencies`)
reads the dependency groups with svcprop and carries the changes out with svccfg.

Why (docs/solaris.md 13): at a shutdown svc.startd stops the leaves of the graph
first.  Every 11.4 zone instance svc:/system/zones/zone:NAME is a leaf unless an up
instance depends on it, so it is stopped at the very start, while kzguard's stop
method runs, and svc.zones applies the zone's autoshutdown under kzguard's feet.
What holds a zone instance is a dependency of kzguard's instance on it: graph.c's
is_nonsubgraph_leaf() walks every dependency group but exclude_all ones.  kzguard
uses optional_all with restart_on none, so an absent or halted zone neither keeps
kzguard from starting nor restarts it.

Design choice: one group per managed zone with an instance (``zone-NAME``, the name
the manifest template gives it), kept in step by the start and refresh methods --
not one dependency on the service FMRI svc:/system/zones/zone.  That would hold
every zone, managed or not, until kzguard's stop method ends, so the zones kzguard
leaves to the zones service would be shut down only after kzguard's deadline;
and how 11.4's closed svc.startd treats a dependency on a service with delegated
instances is UNCONFIRMED.  Per-zone groups hold exactly the zones kzguard acts on,
at the price of keeping them in step, which the methods do at every start and
refresh.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kzguard.solaris.argv import KZGUARD_INSTANCE, zone_instance
from kzguard.solaris.parse.svcprop import Property

Groups = Mapping[str, Mapping[str, Property]]

# kzguard owns the groups with this prefix: kzguard/manifest/templates/kzguard.xml.j2
# names them zone-{{ zone.name }}.
ZONE_GROUP_PREFIX = "zone-"
# A dependency on the service (no instance) is one on every zone (graph.c).
ZONE_SERVICE = "svc:/system/zones/zone"
EXCLUDE_ALL = "exclude_all"
# What makes the methods, run by svc.startd as root, try again.
FIX_COMMAND = f"run as root: svcadm refresh {KZGUARD_INSTANCE}"
# The order svccfg sets them in; entities last, so that a group is never a complete
# dependency on the zone before its grouping says optional_all.
PROPERTY_ORDER = ("grouping", "restart_on", "type", "entities")


def group_name(zone: str) -> str:
    return ZONE_GROUP_PREFIX + zone


def wanted_properties(zone: str) -> dict[str, Property]:
    """The group ``zone-NAME`` as the manifest template writes it."""
    return {
        "grouping": Property("astring", ("optional_all",)),
        "restart_on": Property("astring", ("none",)),
        "type": Property("astring", ("service",)),
        "entities": Property("fmri", (zone_instance(zone),)),
    }


def holds(group: Mapping[str, Property], zone: str) -> bool:
    """Whether a dependency group keeps the zone's instance from being a leaf: any
    service dependency but exclude_all naming the instance or the zone service."""
    entities = _holding_entities(group)
    return zone_instance(zone) in entities or ZONE_SERVICE in entities


def _holding_entities(group: Mapping[str, Property]) -> tuple[str, ...]:
    """What a dependency group holds (:func:`holds`): its entities, or none."""
    grouping = group.get("grouping")
    entities = group.get("entities")
    kind = group.get("type")
    if grouping is None or entities is None or grouping.values == (EXCLUDE_ALL,):
        return ()
    if kind is not None and kind.values != ("service",):
        return ()
    return entities.values


def held_zones(zones: Sequence[str], running: Groups) -> list[str]:
    """The zones of ``zones`` some group of the running snapshot holds: one pass
    over the groups (a group per managed zone, so not zones x groups)."""
    held: set[str] = set()
    for group in running.values():
        held.update(_holding_entities(group))
    if ZONE_SERVICE in held:
        return list(zones)
    return [zone for zone in zones if zone_instance(zone) in held]


def wrong_properties(group: Mapping[str, Property], zone: str) -> tuple[str, ...]:
    """The properties of the group ``zone-NAME`` whose values are not the template's.
    Values only: svccfg's setprop keeps a property's type."""
    wanted = wanted_properties(zone)
    return tuple(
        name
        for name in PROPERTY_ORDER
        if name not in group or group[name].values != wanted[name].values
    )


@dataclass(frozen=True)
class Protection:
    """What ``kzguard status`` and ``kzguard check`` judge: the managed zones with an
    SMF instance, and those of them the running snapshot of kzguard's instance does
    not hold."""

    wanted: tuple[str, ...]
    unprotected: tuple[str, ...]


@dataclass(frozen=True)
class ProtectionPlan:
    """What the methods change on kzguard's instance, and the state before."""

    wanted: tuple[str, ...]  # managed zones with an SMF instance: each needs its group
    add: tuple[str, ...]  # zones whose group is missing
    fix: tuple[tuple[str, tuple[str, ...]], ...]  # (zone, the properties to set)
    remove: tuple[str, ...]  # groups named zone-* of zones that are not wanted
    refresh: bool  # svcadm refresh is needed for the running snapshot to hold them
    unprotected: tuple[str, ...]  # wanted zones the running snapshot does not hold now

    @property
    def changes(self) -> bool:
        return bool(self.add or self.fix or self.remove or self.refresh)

    def edits(self) -> list[tuple[str, tuple[str, ...]]]:
        """(zone, svccfg subcommand words) in order: every addition, every fix, then
        every removal.  The words become one svccfg command line (svccfg.l): the
        values never contain a blank, a quote, ``=``, ``>`` or parentheses."""
        found: list[tuple[str, tuple[str, ...]]] = []
        for zone in self.add:
            found.append((zone, ("addpg", group_name(zone), "dependency")))
            found.extend((zone, _setprop(zone, name)) for name in PROPERTY_ORDER)
        for zone, names in self.fix:
            found.extend((zone, _setprop(zone, name)) for name in names)
        for group in self.remove:
            found.append((group[len(ZONE_GROUP_PREFIX) :], ("delpg", group)))
        return found

    def describe(self) -> str:
        """One line: what changed, for the method's log."""
        parts = []
        if self.add:
            parts.append("added " + ", ".join(group_name(zone) for zone in self.add))
        if self.fix:
            parts.append(
                "fixed "
                + ", ".join(f"{group_name(zone)} ({', '.join(names)})" for zone, names in self.fix)
            )
        if self.remove:
            parts.append("removed " + ", ".join(self.remove))
        return "; ".join(parts) or "refreshed"


def _setprop(zone: str, name: str) -> tuple[str, ...]:
    wanted = wanted_properties(zone)[name]
    return ("setprop", f"{group_name(zone)}/{name}", "=", f"{wanted.type}:", *wanted.values)


def _in_step(groups: Groups, wanted: Sequence[str]) -> bool:
    ours = {name for name in groups if name.startswith(ZONE_GROUP_PREFIX)}
    if ours != {group_name(zone) for zone in wanted}:
        return False
    return not any(wrong_properties(groups[group_name(zone)], zone) for zone in wanted)


def plan_protection(
    managed: Sequence[str], instances: Mapping[str, bool], current: Groups, running: Groups
) -> ProtectionPlan:
    """Compare the groups of kzguard's instance with the managed zones.

    ``instances`` says which zones have an SMF instance (none on 11.3, where the
    zones service is an ordinary service kzguard depends on, and nothing needs
    holding); ``current`` is the composed current view that svccfg edits,
    ``running`` the running snapshot svc.startd's graph uses (svcprop -c / svcprop).
    """
    wanted = tuple(zone for zone in managed if instances.get(zone, False))
    add = tuple(zone for zone in wanted if group_name(zone) not in current)
    fix = tuple(
        (zone, wrong)
        for zone in wanted
        if group_name(zone) in current
        for wrong in [wrong_properties(current[group_name(zone)], zone)]
        if wrong
    )
    keep = {group_name(zone) for zone in wanted}
    remove = tuple(
        sorted(name for name in current if name.startswith(ZONE_GROUP_PREFIX) and name not in keep)
    )
    held = set(held_zones(wanted, running))
    return ProtectionPlan(
        wanted=wanted,
        add=add,
        fix=fix,
        remove=remove,
        refresh=bool(add or fix or remove) or not _in_step(running, wanted),
        unprotected=tuple(zone for zone in wanted if zone not in held),
    )


def unprotected_text(zones: Sequence[str]) -> str:
    """``kz1, kz2 not held at shutdown (...)``: the consequence, in words."""
    one = len(zones) == 1
    return (
        f"{', '.join(zones)} {'is' if one else 'are'} not held at shutdown: no dependency of "
        f"{KZGUARD_INSTANCE} on {'its instance' if one else 'their instances'}, so the "
        f"zones service may shut {'it' if one else 'them'} down while kzguard suspends "
        f"{'it' if one else 'them'}"
    )

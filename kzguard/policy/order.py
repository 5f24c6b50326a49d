"""Each zone's effective order: the policy's ``after`` where a zone has one, else
Solaris 11.4's own boot ordering from its zonecfg.  Pure: no I/O.

The stop plan walks it in reverse (a zone goes down before the zones it comes up
after), the start plan forwards, and ``kzguard check`` reports where the policy and
zonecfg disagree.  Two zonecfg settings order zone boots (docs/solaris.md 2.3):

- an ``smf-dependency`` resource on another zone's instance
  ``svc:/system/zones/zone:NAME`` (grouping require_all, require_any or
  optional_all; exclude_all keeps two zones apart, it orders nothing) makes the
  zone boot after that zone, and, since SMF stops dependents before what they
  depend on, go down before it.  A dependency on a service that is not a zone
  instance orders no zone.
- ``boot-priority`` (high, normal, low; default normal): svc.zones queues the zones
  whose dependencies are met and boots them highest priority first.  It is a
  preference among zones ready at the same time, not a wait, so it is a rank (three
  levels), never an edge between every high and every low zone: with 500 zones that
  would be up to 62,500 edges.  At a stop the ranks are reversed (low goes first);
  Solaris documents no shutdown order for boot-priority, this is kzguard's choice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from kzguard.model import SmfDependency, ZoneConfig
from kzguard.policy.cycles import cyclic_components

POLICY = "policy"
ZONECFG = "zonecfg"

# svc.zones(8): each zone is the instance NAME of svc:/system/zones/zone; an FMRI
# may name the scope (smf(7): svc://localhost/...).
ZONE_INSTANCE_PREFIXES = ("svc:/system/zones/zone:", "svc://localhost/system/zones/zone:")
# svc.zones(8): the grouping defaults to require_all; exclude_all orders nothing.
_ORDERING_GROUPINGS = frozenset({"require_all", "require_any", "optional_all"})
DEFAULT_BOOT_PRIORITY = "normal"
# Zones Boot Ordering (11.4): "Accepted values are high, normal, and low."  A value a
# later release adds ranks like the default.
_START_RANKS = {"high": 0, "normal": 1, "low": 2}


@dataclass(frozen=True)
class ZoneOrder:
    """Where one zone stands in the order, and why."""

    after: tuple[str, ...] = ()  # planned zones that come up before it (and go down after)
    source: str = ""  # POLICY, ZONECFG, or "" when neither orders the zone
    boot_priority: str = DEFAULT_BOOT_PRIORITY  # zonecfg's; the default under POLICY
    # zonecfg dependencies left out because, with the other zones' order, they close
    # a cycle (nothing in a cycle could ever start).
    dropped: tuple[str, ...] = ()

    @property
    def start_rank(self) -> int:
        """0 boots first (high), 2 last (low)."""
        return _START_RANKS.get(self.boot_priority, _START_RANKS[DEFAULT_BOOT_PRIORITY])

    @property
    def stop_rank(self) -> int:
        """0 goes down first (low), 2 last (high)."""
        return 2 - self.start_rank

    def describe(self) -> str:
        """The order in words for ``kzguard plan stop``: ``after db1 (policy)``."""
        parts = []
        if self.after:
            parts.append(f"after {','.join(self.after)} ({self.source})")
        if self.boot_priority != DEFAULT_BOOT_PRIORITY:
            parts.append(f"boot-priority={self.boot_priority} (zonecfg)")
        return "; ".join(parts)


NO_ORDER = ZoneOrder()


def zone_of_instance(fmri: str) -> str | None:
    """The zone whose SMF instance ``fmri`` names, or None for any other FMRI."""
    for prefix in ZONE_INSTANCE_PREFIXES:
        if fmri.startswith(prefix) and len(fmri) > len(prefix):
            return fmri[len(prefix) :]
    return None


def zone_dependencies(config: ZoneConfig) -> tuple[str, ...]:
    """The zones this zone's smf-dependency resources make it boot after, in order."""
    names: list[str] = []
    for dependency in config.smf_dependencies:
        zone = _ordering_zone(dependency)
        if zone is not None and zone != config.name and zone not in names:
            names.append(zone)
    return tuple(names)


def _ordering_zone(dependency: SmfDependency) -> str | None:
    if (dependency.grouping or "require_all") not in _ORDERING_GROUPINGS:
        return None
    return zone_of_instance(dependency.fmri)


def effective_orders(
    after_of: Mapping[str, tuple[str, ...]], configs: Mapping[str, ZoneConfig | None]
) -> dict[str, ZoneOrder]:
    """Return the order of every zone in ``configs`` (the zones being planned).

    ``after_of`` gives each zone's policy ``after`` (missing or empty: none given);
    ``configs`` its zonecfg, None when unknown.  Relations to zones outside
    ``configs`` impose nothing.  The policy's ``after`` has no cycle (the policy
    validator refuses one), so dropping the zonecfg dependencies inside each cycle
    leaves none: linear in the zones and relations.
    """
    orders = {name: _own_order(after_of.get(name, ()), config) for name, config in configs.items()}
    orders = {
        name: ZoneOrder(
            tuple(zone for zone in order.after if zone in orders),
            order.source,
            order.boot_priority,
        )
        for name, order in orders.items()
    }
    graph = {name: order.after for name, order in orders.items()}
    for component in cyclic_components(graph):
        for name in component:
            order = orders[name]
            if order.source != ZONECFG:
                continue
            orders[name] = ZoneOrder(
                tuple(zone for zone in order.after if zone not in component),
                order.source,
                order.boot_priority,
                tuple(zone for zone in order.after if zone in component),
            )
    return orders


def _own_order(after: tuple[str, ...], config: ZoneConfig | None) -> ZoneOrder:
    if after:
        return ZoneOrder(after, POLICY)
    if config is None:
        return NO_ORDER
    dependencies = zone_dependencies(config)
    priority = config.boot_priority or DEFAULT_BOOT_PRIORITY
    if not dependencies and priority == DEFAULT_BOOT_PRIORITY:
        return NO_ORDER
    return ZoneOrder(dependencies, ZONECFG, priority)


@dataclass(frozen=True)
class Conflict:
    """Where zonecfg's order disagrees with the policy's ``after``."""

    zone: str
    message: str
    contradiction: bool  # opposite orders (a warning), not only a replaced one (a note)


def order_conflicts(
    after_of: Mapping[str, tuple[str, ...]], configs: Mapping[str, ZoneConfig | None]
) -> list[Conflict]:
    """Where the policy's ``after`` and zonecfg's order disagree, for ``kzguard check``.

    ``configs``: the managed zones.  kzguard follows the policy in each case, but
    svc.zones follows zonecfg for the zones it boots itself (autoboot=true), and an
    operator reading zonecfg expects its order.
    """
    conflicts: list[Conflict] = []
    orders = effective_orders(after_of, configs)
    for name in sorted(configs):
        config = configs[name]
        after = after_of.get(name, ())
        if not after:
            dropped = orders[name].dropped
            if dropped:
                conflicts.append(
                    Conflict(
                        name,
                        f"zonecfg smf-dependency on {', '.join(dropped)} closes a cycle with "
                        "the policy's after; kzguard does not use it",
                        True,
                    )
                )
            continue
        conflicts.extend(_against_policy(name, after, config, configs))
    return conflicts


def _against_policy(
    name: str,
    after: tuple[str, ...],
    config: ZoneConfig | None,
    configs: Mapping[str, ZoneConfig | None],
) -> Iterable[Conflict]:
    written = f"after = [{', '.join(after)}]"
    own = zone_dependencies(config) if config is not None else ()
    for first in after:
        other = configs.get(first)
        if other is None:
            continue
        if name in zone_dependencies(other):
            yield Conflict(
                name,
                f"{written}, but zonecfg of {first} has an smf-dependency on "
                f"svc:/system/zones/zone:{name}, so Solaris boots {name} first; "
                "kzguard follows the policy",
                True,
            )
        mine = ZoneOrder(boot_priority=(config.boot_priority if config else None) or "normal")
        theirs = ZoneOrder(boot_priority=other.boot_priority or DEFAULT_BOOT_PRIORITY)
        if mine.start_rank < theirs.start_rank:
            yield Conflict(
                name,
                f"{written}, but its boot-priority={mine.boot_priority} puts it before "
                f"{first} (boot-priority={theirs.boot_priority}); kzguard follows the policy",
                True,
            )
    unused = [zone for zone in own if zone not in after]
    if unused:
        yield Conflict(
            name,
            f"{written} replaces its zonecfg smf-dependency on {', '.join(unused)} in "
            "kzguard's order",
            False,
        )

"""Which live zones the policy manages, and why.  Pure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kzguard.model import KERNEL_ZONE_BRAND, Zone, ZoneListing
from kzguard.policy.model import Action, Policy, ZonePolicy


@dataclass(frozen=True)
class Decision:
    """Whether one zone is managed, with which settings, and the reason in words."""

    zone: Zone
    managed: bool
    settings: ZonePolicy | None
    reason: str

    @property
    def action(self) -> Action | None:
        return self.settings.action if self.managed and self.settings else None


def needs_config(policy: Policy, listing: ZoneListing) -> bool:
    """Whether deciding about this zone needs its zonecfg configuration.

    Kernel zones always do (auto selection looks at the suspend resource, check
    at memory and autoshutdown); other brands only when the policy names them.
    """
    return (
        listing.brand == KERNEL_ZONE_BRAND
        or listing.name in policy.zones
        or policy.select.included_by(listing.name) is not None
    )


def decide(policy: Policy, zones: Iterable[Zone]) -> list[Decision]:
    """Return one Decision per zone, in the order given.

    Precedence: an explicit ``[zone.NAME]`` table, then ``select.exclude``, then
    ``select.include``, then ``select.auto`` (kernel zones with a suspend resource).
    """
    return [_decide_one(policy, zone) for zone in zones]


def _decide_one(policy: Policy, zone: Zone) -> Decision:
    name = zone.name
    if name in policy.zones:
        settings = policy.zones[name]
        if settings.action is Action.IGNORE:
            return Decision(zone, False, settings, f'[zone.{name}] action = "ignore"')
        return Decision(zone, True, settings, f"[zone.{name}]")
    pattern = policy.select.excluded_by(name)
    if pattern is not None:
        return Decision(zone, False, None, f'excluded by select.exclude "{pattern}"')
    pattern = policy.select.included_by(name)
    if pattern is not None:
        return _with_defaults(policy, zone, f'select.include "{pattern}"')
    if zone.brand != KERNEL_ZONE_BRAND:
        return Decision(zone, False, None, f"not a kernel zone (brand {zone.brand})")
    if not policy.select.auto:
        return Decision(zone, False, None, "select.auto = false and not listed")
    if zone.config is None and zone.config_error:
        # The stop path could not read this zone's zonecfg.  Managing it tries a
        # suspend, which zoneadm refuses at once without a suspend resource and the
        # fallbacks follow; leaving it out would cost a running zone its state.
        return _with_defaults(
            policy, zone, f"select.auto: kernel zone, configuration unknown ({zone.config_error})"
        )
    if zone.config is None or not zone.config.has_suspend:
        return Decision(zone, False, None, "no suspend resource (select.auto needs one)")
    return _with_defaults(policy, zone, "select.auto: kernel zone with a suspend resource")


def _with_defaults(policy: Policy, zone: Zone, reason: str) -> Decision:
    settings = policy.defaults
    if settings.action is Action.IGNORE:
        return Decision(zone, False, settings, f'{reason}, but defaults.action = "ignore"')
    return Decision(zone, True, settings, reason)


def missing_zones(policy: Policy, zones: Sequence[Zone]) -> list[str]:
    """Zones that have a ``[zone.NAME]`` table but are not configured on this host."""
    present = {zone.name for zone in zones}
    return sorted(name for name in policy.zones if name not in present)

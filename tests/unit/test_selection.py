from __future__ import annotations

from kzguard.model import ZoneListing
from kzguard.policy.model import Action, Policy, Selection, ZonePolicy
from kzguard.policy.selection import decide, missing_zones, needs_config
from tests.unit.zones import kernel_zone, native_zone


def reasons(policy: Policy, *zones: object) -> list[tuple[str, bool, str | None, str]]:
    return [
        (d.zone.name, d.managed, d.action.value if d.action else None, d.reason)
        for d in decide(policy, zones)  # type: ignore[arg-type]
    ]


def test_zero_config_manages_kernel_zones_with_a_suspend_resource_only() -> None:
    assert reasons(
        Policy(),
        kernel_zone("kz1"),
        kernel_zone("kz2", suspend_path=None),
        native_zone("ngz1"),
    ) == [
        ("kz1", True, "suspend", "select.auto: kernel zone with a suspend resource"),
        ("kz2", False, None, "no suspend resource (select.auto needs one)"),
        ("ngz1", False, None, "not a kernel zone (brand solaris)"),
    ]


def test_explicit_table_wins_over_exclusion_and_brand() -> None:
    policy = Policy(
        select=Selection(exclude=("ngz*",)),
        zones={"ngz1": ZonePolicy(action=Action.SHUTDOWN, fallback=(Action.HALT,))},
    )
    assert reasons(policy, native_zone("ngz1"), native_zone("ngz2")) == [
        ("ngz1", True, "shutdown", "[zone.ngz1]"),
        ("ngz2", False, None, 'excluded by select.exclude "ngz*"'),
    ]


def test_ignore_in_a_zone_table_or_in_defaults_leaves_the_zone_alone() -> None:
    policy = Policy(
        select=Selection(include=("web*",)),
        defaults=ZonePolicy(action=Action.IGNORE, fallback=()),
        zones={"kz1": ZonePolicy(action=Action.IGNORE, fallback=())},
    )
    assert reasons(policy, kernel_zone("kz1"), native_zone("web1"), kernel_zone("kz2")) == [
        ("kz1", False, None, '[zone.kz1] action = "ignore"'),
        ("web1", False, None, 'select.include "web*", but defaults.action = "ignore"'),
        (
            "kz2",
            False,
            None,
            'select.auto: kernel zone with a suspend resource, but defaults.action = "ignore"',
        ),
    ]


def test_include_globs_select_zones_of_any_brand_and_auto_can_be_turned_off() -> None:
    policy = Policy(select=Selection(auto=False, include=("db?",)))
    assert reasons(policy, native_zone("db1"), kernel_zone("db10"), kernel_zone("kz1")) == [
        ("db1", True, "suspend", 'select.include "db?"'),
        ("db10", False, None, "select.auto = false and not listed"),
        ("kz1", False, None, "select.auto = false and not listed"),
    ]


def test_needs_config_for_kernel_zones_and_zones_the_policy_names() -> None:
    policy = Policy(select=Selection(include=("web*",)), zones={"ngz1": ZonePolicy()})

    def listing(name: str, brand: str) -> ZoneListing:
        return ZoneListing(None, name, "installed", "/z", "", brand, "excl")

    assert needs_config(policy, listing("kz1", "solaris-kz"))
    assert needs_config(policy, listing("ngz1", "solaris"))
    assert needs_config(policy, listing("web3", "solaris"))
    assert not needs_config(policy, listing("ngz2", "solaris"))


def test_missing_zones_are_tables_without_a_configured_zone() -> None:
    policy = Policy(zones={"kz9": ZonePolicy(), "kz1": ZonePolicy(), "db0": ZonePolicy()})
    assert missing_zones(policy, [kernel_zone("kz1")]) == ["db0", "kz9"]

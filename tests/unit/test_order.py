"""policy/order.py: the effective order of each zone (policy after, else zonecfg)."""

from __future__ import annotations

import time

from kzguard.model import SmfDependency, ZoneConfig
from kzguard.policy.order import (
    NO_ORDER,
    POLICY,
    ZONECFG,
    Conflict,
    ZoneOrder,
    effective_orders,
    order_conflicts,
    zone_dependencies,
    zone_of_instance,
)


def config(
    name: str, *depends_on: str, priority: str | None = None, grouping: str | None = None
) -> ZoneConfig:
    return ZoneConfig(
        name=name,
        brand="solaris-kz",
        boot_priority=priority,
        smf_dependencies=tuple(
            SmfDependency(f"svc:/system/zones/zone:{zone}", grouping=grouping)
            for zone in depends_on
        ),
    )


def test_only_zone_instances_name_a_zone() -> None:
    assert zone_of_instance("svc:/system/zones/zone:db1") == "db1"
    assert zone_of_instance("svc://localhost/system/zones/zone:db1") == "db1"
    assert zone_of_instance("svc:/system/zones/zone:") is None
    assert zone_of_instance("svc:/system/zones/zone") is None  # every zone: no order
    assert zone_of_instance("svc:/network/nfs/client:default") is None


def test_ordering_groupings_order_and_exclude_all_does_not() -> None:
    zone = ZoneConfig(
        name="app",
        brand="solaris-kz",
        smf_dependencies=(
            SmfDependency("svc:/system/zones/zone:db1"),
            SmfDependency("svc:/system/zones/zone:db2", grouping="require_any"),
            SmfDependency("svc:/system/zones/zone:db3", grouping="optional_all"),
            SmfDependency("svc:/system/zones/zone:db4", grouping="exclude_all"),
            SmfDependency("svc:/network/nfs/client"),
            SmfDependency("svc:/system/zones/zone:db1", name="again"),
            SmfDependency("svc:/system/zones/zone:app"),
        ),
    )
    assert zone_dependencies(zone) == ("db1", "db2", "db3")


def test_policy_after_wins_else_zonecfg_orders() -> None:
    orders = effective_orders(
        {"app": ("db",), "web": ()},
        {
            "db": config("db", priority="high"),
            "app": config("app", "web", priority="low"),
            "web": config("web", "app", "elsewhere"),
            "solo": config("solo"),
            "unknown": None,
        },
    )
    assert orders == {
        "db": ZoneOrder((), ZONECFG, "high"),
        # the policy's after replaces both its smf-dependency and its boot-priority
        "app": ZoneOrder(("db",), POLICY),
        # zones outside the plan impose nothing
        "web": ZoneOrder(("app",), ZONECFG),
        "solo": NO_ORDER,
        "unknown": NO_ORDER,
    }
    assert [orders[name].start_rank for name in ("db", "app", "solo")] == [0, 1, 1]
    assert [orders[name].stop_rank for name in ("db", "app", "solo")] == [2, 1, 1]
    assert ZoneOrder(boot_priority="low").stop_rank == 0
    assert ZoneOrder(boot_priority="urgent").start_rank == 1  # a value 11.4 does not know


def test_zonecfg_dependencies_that_close_a_cycle_are_dropped() -> None:
    orders = effective_orders(
        {"app": ("db",)},
        {
            "db": config("db", "app"),  # contradicts the policy
            "app": config("app"),
            "x": config("x", "y"),
            "y": config("y", "x"),  # a cycle of zonecfg's own
            "z": config("z", "x"),
        },
    )
    assert orders["db"] == ZoneOrder((), ZONECFG, dropped=("app",))
    assert orders["app"] == ZoneOrder(("db",), POLICY)
    assert (orders["x"].after, orders["x"].dropped) == ((), ("y",))
    assert (orders["y"].after, orders["y"].dropped) == ((), ("x",))
    assert orders["z"] == ZoneOrder(("x",), ZONECFG)


def test_describe_says_where_the_order_comes_from() -> None:
    assert ZoneOrder(("db1", "db2"), POLICY).describe() == "after db1,db2 (policy)"
    assert (
        ZoneOrder(("db1",), ZONECFG, "high").describe()
        == "after db1 (zonecfg); boot-priority=high (zonecfg)"
    )
    assert NO_ORDER.describe() == ""


def test_conflicts_between_policy_and_zonecfg() -> None:
    conflicts = order_conflicts(
        {"app": ("db",), "web": ("app",), "gone": ("nowhere",)},
        {
            "db": config("db", "app", priority="low"),
            "app": config("app", "cache", priority="high"),
            "cache": config("cache"),
            "web": None,
            "gone": config("gone"),
            "lone": config("lone", "db"),
        },
    )
    assert conflicts == [
        Conflict(
            "app",
            "after = [db], but zonecfg of db has an smf-dependency on "
            "svc:/system/zones/zone:app, so Solaris boots app first; kzguard follows the policy",
            True,
        ),
        Conflict(
            "app",
            "after = [db], but its boot-priority=high puts it before db "
            "(boot-priority=low); kzguard follows the policy",
            True,
        ),
        Conflict(
            "app",
            "after = [db] replaces its zonecfg smf-dependency on cache in kzguard's order",
            False,
        ),
        Conflict(
            "db",
            "zonecfg smf-dependency on app closes a cycle with the policy's after; "
            "kzguard does not use it",
            True,
        ),
    ]


def test_no_conflict_when_they_agree() -> None:
    assert (
        order_conflicts(
            {"app": ("db",)},
            {"db": config("db", priority="high"), "app": config("app", "db", priority="low")},
        )
        == []
    )


def test_500_zones_in_three_priority_classes_and_a_chain_stay_linear() -> None:
    configs: dict[str, ZoneConfig | None] = {
        f"kz{index}": config(
            f"kz{index}",
            *([f"kz{index - 1}"] if index % 5 else []),
            priority=("high", "normal", "low")[index % 3],
        )
        for index in range(500)
    }
    began = time.perf_counter()
    orders = effective_orders({}, configs)
    elapsed = time.perf_counter() - began
    assert sum(len(order.after) for order in orders.values()) == 400  # no n^2 edges
    assert elapsed < 0.5

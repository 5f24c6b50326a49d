"""kzguard.solaris.protection: the live dependency groups of kzguard's instance and the
managed zones -> what to add, fix and remove, and which zones are not held."""

from __future__ import annotations

import pytest

from kzguard.manifest.render import render_manifest
from kzguard.policy.model import default_policy
from kzguard.solaris.parse.svcprop import Property
from kzguard.solaris.protection import (
    FIX_COMMAND,
    ProtectionPlan,
    group_name,
    held_zones,
    holds,
    plan_protection,
    unprotected_text,
    wanted_properties,
)

OTHER = {  # the manifest's other dependencies, never touched
    "zones": {
        "grouping": Property("astring", ("require_all",)),
        "entities": Property("fmri", ("svc:/system/zones:default",)),
    },
    "config": {"policy": Property("astring", ("/etc/kzguard/policy.toml",))},
}


def group(zone: str, **changes: tuple[str, ...]) -> dict[str, Property]:
    props = wanted_properties(zone)
    for name, values in changes.items():
        props[name] = Property(props[name].type, values)
    return props


def groups(*zones: str) -> dict[str, dict[str, Property]]:
    return {**OTHER, **{group_name(zone): group(zone) for zone in zones}}


def test_nothing_to_do_when_the_groups_are_the_managed_zones() -> None:
    live = groups("kz1", "kz2")
    plan = plan_protection(["kz1", "kz2"], {"kz1": True, "kz2": True}, live, live)
    assert plan == ProtectionPlan(("kz1", "kz2"), (), (), (), False, ())
    assert not plan.changes
    assert plan.edits() == []


def test_a_missing_group_is_added_in_the_template_s_form() -> None:
    live = groups("kz1")
    plan = plan_protection(["kz1", "kz2"], {"kz1": True, "kz2": True}, live, live)
    assert plan == ProtectionPlan(("kz1", "kz2"), ("kz2",), (), (), True, ("kz2",))
    assert plan.edits() == [
        ("kz2", ("addpg", "zone-kz2", "dependency")),
        ("kz2", ("setprop", "zone-kz2/grouping", "=", "astring:", "optional_all")),
        ("kz2", ("setprop", "zone-kz2/restart_on", "=", "astring:", "none")),
        ("kz2", ("setprop", "zone-kz2/type", "=", "astring:", "service")),
        ("kz2", ("setprop", "zone-kz2/entities", "=", "fmri:", "svc:/system/zones/zone:kz2")),
    ]
    assert plan.describe() == "added zone-kz2"


def test_a_stale_group_is_removed() -> None:
    live = groups("kz1", "kz9")
    plan = plan_protection(["kz1"], {"kz1": True}, live, live)
    assert plan == ProtectionPlan(("kz1",), (), (), ("zone-kz9",), True, ())
    assert plan.edits() == [("kz9", ("delpg", "zone-kz9"))]
    assert plan.describe() == "removed zone-kz9"


def test_a_wrong_grouping_or_entity_is_fixed_property_by_property() -> None:
    live = {
        **groups(),
        "zone-kz1": group("kz1", grouping=("require_all",)),
        "zone-kz2": group("kz2", entities=("svc:/system/zones/zone:kz1",)),
        "zone-kz3": {"grouping": Property("astring", ("optional_all",))},
    }
    plan = plan_protection(
        ["kz1", "kz2", "kz3"], dict.fromkeys(["kz1", "kz2", "kz3"], True), live, live
    )
    assert plan.fix == (
        ("kz1", ("grouping",)),
        ("kz2", ("entities",)),
        ("kz3", ("restart_on", "type", "entities")),
    )
    assert (plan.add, plan.remove, plan.refresh) == ((), (), True)
    # require_all still holds kz1 (only exclude_all does not); kz2's group holds kz1,
    # not kz2; kz3's has no entities.
    assert plan.unprotected == ("kz2", "kz3")
    assert plan.edits() == [
        ("kz1", ("setprop", "zone-kz1/grouping", "=", "astring:", "optional_all")),
        ("kz2", ("setprop", "zone-kz2/entities", "=", "fmri:", "svc:/system/zones/zone:kz2")),
        ("kz3", ("setprop", "zone-kz3/restart_on", "=", "astring:", "none")),
        ("kz3", ("setprop", "zone-kz3/type", "=", "astring:", "service")),
        ("kz3", ("setprop", "zone-kz3/entities", "=", "fmri:", "svc:/system/zones/zone:kz3")),
    ]
    assert plan.describe() == (
        "fixed zone-kz1 (grouping), zone-kz2 (entities), zone-kz3 (restart_on, type, entities)"
    )


def test_a_zone_without_an_instance_needs_no_group_on_11_3() -> None:
    plan = plan_protection(["kz1", "kz2"], {"kz1": False, "kz2": False}, OTHER, OTHER)
    assert plan == ProtectionPlan((), (), (), (), False, ())


def test_a_group_of_a_managed_zone_without_an_instance_is_removed() -> None:
    live = groups("kz1")
    plan = plan_protection(["kz1"], {"kz1": False}, live, live)
    assert (plan.wanted, plan.remove, plan.unprotected) == ((), ("zone-kz1",), ())


def test_changes_not_yet_refreshed_need_a_refresh_only() -> None:
    current, running = groups("kz1"), groups()
    plan = plan_protection(["kz1"], {"kz1": True}, current, running)
    assert plan == ProtectionPlan(("kz1",), (), (), (), True, ("kz1",))
    assert plan.changes
    assert plan.edits() == []
    assert plan.describe() == "refreshed"
    running_wrong = {**groups(), "zone-kz1": group("kz1", restart_on=("error",))}
    assert plan_protection(["kz1"], {"kz1": True}, current, running_wrong).refresh
    stale = groups("kz1", "kz2")
    assert plan_protection(["kz1"], {"kz1": True}, current, stale).refresh


@pytest.mark.parametrize(
    ("props", "held"),
    [
        (group("kz1"), True),
        (group("kz1", grouping=("require_any",)), True),
        (group("kz1", grouping=("exclude_all",)), False),
        (group("kz1", entities=("svc:/system/zones/zone",)), True),
        (group("kz1", entities=("svc:/system/zones:default",)), False),
        (group("kz1", type=("path",)), False),
        ({"entities": Property("fmri", ("svc:/system/zones/zone:kz1",))}, False),
        ({"grouping": Property("astring", ("optional_all",))}, False),
        (
            {
                "grouping": Property("astring", ("optional_all",)),
                "entities": Property("fmri", ("svc:/system/zones/zone:kz1",)),
            },
            True,
        ),
    ],
)
def test_what_holds_a_zone_instance(props: dict[str, Property], held: bool) -> None:
    """graph.c is_nonsubgraph_leaf(): every group but exclude_all (docs/solaris.md 13)."""
    assert holds(props, "kz1") is held


def test_any_group_holds_not_only_kzguard_s_own() -> None:
    running = {"operator-dep": group("kz2")}
    assert held_zones(["kz1", "kz2"], running) == ["kz2"]


def test_the_group_names_match_the_manifest_template() -> None:
    text = render_manifest(
        default_policy(),
        zone_instances=["svc:/system/zones/zone:kz1"],
        policy_path="/etc/kzguard/policy.toml",
    )
    assert (
        '<dependency name="zone-kz1" grouping="optional_all" restart_on="none" type="service">\n'
        '      <service_fmri value="svc:/system/zones/zone:kz1"/>'
    ) in text
    assert group_name("kz1") == "zone-kz1"
    assert wanted_properties("kz1")["entities"].values == ("svc:/system/zones/zone:kz1",)


def test_the_consequence_in_words() -> None:
    assert unprotected_text(["kz1"]) == (
        "kz1 is not held at shutdown: no dependency of svc:/site/kzguard:default on its "
        "instance, so the zones service may shut it down while kzguard suspends it"
    )
    assert unprotected_text(["kz1", "kz2"]) == (
        "kz1, kz2 are not held at shutdown: no dependency of svc:/site/kzguard:default on "
        "their instances, so the zones service may shut them down while kzguard suspends them"
    )
    assert FIX_COMMAND == "run as root: svcadm refresh svc:/site/kzguard:default"


def test_a_group_on_the_zone_service_holds_every_zone_and_exclude_all_none() -> None:
    running = {
        "kz1-only": group("kz1", grouping=("exclude_all",)),
        "all": group("kz9", entities=("svc:/system/zones/zone",)),
    }
    assert held_zones(["kz1", "kz2"], running) == ["kz1", "kz2"]
    assert held_zones(["kz1", "kz2"], {"kz1-only": running["kz1-only"]}) == []
    many = {f"zone-kz{n}": group(f"kz{n}") for n in range(0, 500, 2)}
    assert held_zones([f"kz{n}" for n in range(5)], many) == ["kz0", "kz2", "kz4"]

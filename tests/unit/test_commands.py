from __future__ import annotations

import pytest

from kzguard.policy.model import Commands
from kzguard.solaris.argv import Argv, zone_instance

ARGV = Argv(Commands())


def test_listing_and_configuration_commands() -> None:
    assert ARGV.list_parseable() == ["/usr/sbin/zoneadm", "list", "-cp"]
    assert ARGV.list_verbose() == ["/usr/sbin/zoneadm", "list", "-cv"]
    assert ARGV.list_auxiliary(all_zones=True) == ["/usr/sbin/zoneadm", "list", "-cs"]
    assert ARGV.list_auxiliary(all_zones=False) == ["/usr/sbin/zoneadm", "list", "-s"]
    assert ARGV.zone_list_parseable("kz1") == ["/usr/sbin/zoneadm", "-z", "kz1", "list", "-p"]
    assert ARGV.zone_export("kz1") == ["/usr/sbin/zonecfg", "-z", "kz1", "export"]


def test_zone_operations_and_in_zone_probes() -> None:
    assert ARGV.zoneadm("kz1", "boot", "-R") == ["/usr/sbin/zoneadm", "-z", "kz1", "boot", "-R"]
    assert ARGV.boot_time("kz1") == [
        "/usr/sbin/zlogin", "-n", "kz1", "/usr/bin/kstat", "-p", "unix:0:system_misc:boot_time",
    ]  # fmt: skip
    assert ARGV.milestone_state("kz1") == [
        "/usr/sbin/zlogin", "-n", "kz1", "/usr/bin/svcs", "-H", "-o", "state",
        "svc:/milestone/multi-user-server:default",
    ]  # fmt: skip


def test_host_level_commands() -> None:
    assert ARGV.runlevel_property() == [
        "/usr/bin/svcprop", "-c", "-p", "options_ovr/runlevel", "svc:/system/svc/restarter:default",
    ]  # fmt: skip
    assert ARGV.who_runlevel() == ["/usr/bin/who", "-r"]
    assert ARGV.milestone_property() == [
        "/usr/bin/svcprop", "-c", "-p", "options_ovr/milestone", "svc:/system/svc/restarter:default",
    ]  # fmt: skip
    assert ARGV.free_space("/system/zones") == ["/usr/sbin/df", "-k", "/system/zones"]
    assert ARGV.instance_exists(zone_instance("kz1")) == [
        "/usr/bin/svcprop", "-p", "general/enabled", "svc:/system/zones/zone:kz1",
    ]  # fmt: skip


def test_smf_commands_on_kzguard_s_own_instance() -> None:
    fmri = "svc:/site/kzguard:default"
    assert ARGV.instance_properties(fmri, current=False) == ["/usr/bin/svcprop", fmri]
    assert ARGV.instance_properties(fmri, current=True) == ["/usr/bin/svcprop", "-c", fmri]
    assert ARGV.svccfg_on(fmri, "delpg", "zone-kz1") == [
        "/usr/sbin/svccfg", "-s", fmri, "delpg", "zone-kz1",
    ]  # fmt: skip
    assert ARGV.refresh(fmri) == ["/usr/sbin/svcadm", "refresh", fmri]


@pytest.mark.parametrize(
    "name", ["kz1; rm -rf /", "$(reboot)", "-z", "../etc", "a" * 65, "", "global\n"]
)
def test_dangerous_zone_names_never_reach_an_argv(name: str) -> None:
    with pytest.raises(ValueError, match="invalid zone name"):
        ARGV.zoneadm(name, "suspend")
    with pytest.raises(ValueError, match="invalid zone name"):
        ARGV.in_zone(name, "/usr/bin/true")


@pytest.mark.parametrize("name", ["-x", "", "new be", "a/b", "x" * 256])
def test_a_boot_environment_name_beadm_would_misread_never_reaches_an_argv(name: str) -> None:
    with pytest.raises(ValueError, match="is not a boot environment name") as raised:
        Argv(Commands()).activate_boot_environment(name)
    assert str(raised.value) == (
        f"{name!r} is not a boot environment name (letters, digits and _-.:+, "
        "beginning with a letter or digit, at most 255)"
    )


def test_a_boot_environment_is_activated_by_name() -> None:
    assert Argv(Commands()).activate_boot_environment("s11.4-sru42") == [
        "/usr/sbin/beadm",
        "activate",
        "s11.4-sru42",
    ]

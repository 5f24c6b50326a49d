"""kzguard.solaris.parse.zonecfg: ``zonecfg export`` and ``info``, and ``%{zonename}``.

Fixtures in tests/data/solaris/ are one command output per file; each test names the
exact values it expects.  Every error path asserts the exact reason and line.
"""

from __future__ import annotations

import pytest

from kzguard.model import SmfDependency, SuspendResource, ZoneConfig
from kzguard.solaris.parse.zonecfg import (
    expand_zone_tokens,
    parse_zonecfg_export,
    parse_zonecfg_info,
)
from tests.unit.solaris_output import fixture, parse_error


def export(text: str) -> ZoneConfig:
    return parse_zonecfg_export("kz1", text)


def info(text: str) -> ZoneConfig:
    return parse_zonecfg_info("kz1", text)


# ---------------------------------------------------------------------------------
# zonecfg export


def test_export_kernel_zone_from_solaris_md_2_5() -> None:
    assert parse_zonecfg_export("kzone1", fixture("zonecfg-export-kz.txt")) == ZoneConfig(
        name="kzone1",
        brand="solaris-kz",
        autoboot=True,
        autoshutdown="shutdown",
        suspend=SuspendResource(path="/system/zones/%{zonename}/suspend"),
        physical_memory=4 << 30,
    )


def test_export_full_kernel_zone_skips_other_resources() -> None:
    assert export(fixture("zonecfg-export-kz-full.txt")) == ZoneConfig(
        name="kz1",
        brand="solaris-kz",
        autoboot=False,
        autoshutdown="suspend",
        suspend=SuspendResource(storage="iscsi://system/luname.naa.501337600144f0dbf8af1900"),
        physical_memory=12 << 30,
    )


def test_export_kernel_zone_without_suspend() -> None:
    config = export(fixture("zonecfg-export-kz-no-suspend.txt"))
    assert config == ZoneConfig(name="kz1", brand="solaris-kz", autoboot=True)
    assert not config.has_suspend


def test_export_native_zone_without_brand_line() -> None:
    assert parse_zonecfg_export("web1", fixture("zonecfg-export-native.txt")) == ZoneConfig(
        name="web1", brand="", autoboot=False
    )


def test_export_minimal_defaults() -> None:
    assert export("create -b\n") == ZoneConfig(name="kz1", brand="")


def test_export_as_illumos_prints_it_quotes_inside_a_quoted_value_unescaped() -> None:
    # quoteit() (illumos zonecfg.c) wraps a value with a space in quotes and
    # escapes nothing: the value is all between the outer two.
    text = 'create -b\nset brand=solaris-kz\nadd suspend\nset path="/zones/"kz 1".img"\nend\n'
    assert export(text).suspend == SuspendResource(path='/zones/"kz 1".img')


def test_export_quoted_values_comments_and_nested_resources() -> None:
    text = (
        "# comment\n"
        "create -b\n"
        'set brand="solaris-kz"\n'
        "set autoboot=TRUE\n"
        "set autoshutdown=\n"
        "add anet\n"
        "set id=0\n"
        "add mac\n"
        "set mac-address=auto\n"
        "set physical=1G\n"
        "end\n"
        "set lower-link=auto\n"
        "end\n"
        "add suspend\n"
        'set path="/zones/with space/\\"q\\"/b\\\\s/\\x"\n'
        "set storage=\n"
        "end\n"
        "add capped-memory\n"
        "set locked=1G\n"
        "end\n"
    )
    assert export(text) == ZoneConfig(
        name="kz1",
        brand="solaris-kz",
        autoboot=True,
        autoshutdown=None,
        suspend=SuspendResource(path='/zones/with space/"q"/b\\s/\\x'),
        physical_memory=None,
    )


def test_export_set_with_spaces_around_equals_and_unquoted_spaces() -> None:
    text = "create -b\nset  brand = solaris-kz\nset bootargs=-m verbose\nset\tautoboot=false\n"
    assert export(text) == ZoneConfig(name="kz1", brand="solaris-kz", autoboot=False)


def test_export_keeps_tokens_as_printed() -> None:
    config = export(fixture("zonecfg-export-kz.txt"))
    assert config.suspend is not None
    assert config.suspend.path == "/system/zones/%{zonename}/suspend"


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("", "", "no 'create' command"),
        ("\n\n", "", "no 'create' command"),
        ("set brand=solaris-kz\ncreate -b\n", "set brand=solaris-kz", "a command before 'create'"),
        ("add suspend\n", "add suspend", "a command before 'create'"),
        ("create -b\ncreate -b\n", "create -b", "a second 'create' command"),
        ("create -b\nset brand\n", "set brand", "expected 'set PROPERTY=VALUE'"),
        ("create -b\nset =x\n", "set =x", "expected 'set PROPERTY=VALUE'"),
        ("create -b\nset\n", "set", "expected 'set PROPERTY=VALUE'"),
        ("create -b\nset a b=c\n", "set a b=c", "expected 'set PROPERTY=VALUE'"),
        ('create -b\nset bootargs="a b\n', 'set bootargs="a b', "unterminated quoted value"),
        ('create -b\nset bootargs="a b\\"\n', 'set bootargs="a b\\"', "unterminated quoted value"),
        ('create -b\nset bootargs="a" b\n', 'set bootargs="a" b', "text after the closing quote"),
        ("create -b\nadd\n", "add", "'add' without a resource type"),
        ("create -b\nend\n", "end", "'end' without 'add'"),
        ("create -b\nadd anet\nend\nend\n", "end", "'end' without 'add'"),
        ("create -b\nadd suspend\nset path=/p\n", "add suspend", "'add' without 'end'"),
        (
            "create -b\nadd anet\nadd mac\nend\n",
            "add anet",
            "'add' without 'end'",
        ),
        ("create -b\nadd anet\nadd mac\n", "add mac", "'add' without 'end'"),
        ("create -b\nselect suspend\n", "select suspend", "unexpected zonecfg command 'select'"),
        ("create -b\ngarbage\n", "garbage", "unexpected zonecfg command 'garbage'"),
        (
            "create -b\nadd suspend\nend\nadd suspend\nend\n",
            "add suspend",
            "more than one suspend resource",
        ),
        (
            "create -b\nadd capped-memory\nend\nadd capped-memory\nend\n",
            "add capped-memory",
            "more than one capped-memory resource",
        ),
        (
            "create -b\nset autoboot=yes\n",
            "set autoboot=yes",
            "autoboot is 'yes', not true or false",
        ),
        (
            "create -b\nadd capped-memory\nset physical=lots\nend\n",
            "set physical=lots",
            "capped-memory physical 'lots' is not a size",
        ),
        (
            "create -b\nadd capped-memory\nset physical=" + "9" * 400 + "G\nend\n",
            "set physical=" + "9" * 400 + "G",
            "capped-memory physical '" + "9" * 400 + "G' is not a size",
        ),
    ],
)
def test_export_errors(text: str, line: str, reason: str) -> None:
    assert parse_error(export, text) == (line, reason)


# ---------------------------------------------------------------------------------
# zonecfg info


def test_info_suspend_11_2_path_and_unset_storage() -> None:
    assert parse_zonecfg_info("kzone1", fixture("zonecfg-info-suspend-11.2.txt")) == ZoneConfig(
        name="kzone1", brand="", suspend=SuspendResource(path="/system/zones/kzone1/suspend")
    )


def test_info_suspend_11_4_path_only() -> None:
    assert info(fixture("zonecfg-info-suspend-11.4.txt")) == ZoneConfig(
        name="kz1", brand="", suspend=SuspendResource(path="/system/zones/kz1/suspend")
    )


def test_info_suspend_11_4_storage() -> None:
    assert info(fixture("zonecfg-info-suspend-storage-11.4.txt")) == ZoneConfig(
        name="kz1",
        brand="",
        suspend=SuspendResource(storage="iscsi://system/luname.naa.501337600144f0dbf8af1900"),
    )


def test_info_suspend_none_prints_nothing() -> None:
    config = info(fixture("zonecfg-info-suspend-none.txt"))
    assert config == ZoneConfig(name="kz1", brand="")
    assert config.suspend is None


def test_info_full_kernel_zone() -> None:
    assert info(fixture("zonecfg-info-kz.txt")) == ZoneConfig(
        name="kz1",
        brand="solaris-kz",
        autoboot=True,
        autoshutdown="suspend",
        suspend=SuspendResource(path="/system/zones/%{zonename}/suspend"),
        physical_memory=4 << 30,
    )


def test_info_quoted_values_spaces_for_tabs_and_empty_properties() -> None:
    text = (
        "brand: solaris-kz\n"
        "autoboot: false\n"
        "autoshutdown: halt\n"
        "suspend:\n"
        '        path: "/zones/with space/suspend"\n'
        "        storage:\n"
        "capped-memory:\n"
        "\t[locked: 1G]\n"
        "\tphysical not specified\n"
        "bootargs:\n"
        "limitpriv not specified\n"
    )
    assert info(text) == ZoneConfig(
        name="kz1",
        brand="solaris-kz",
        autoboot=False,
        autoshutdown="halt",
        suspend=SuspendResource(path="/zones/with space/suspend"),
    )


def test_info_quote_without_partner_is_kept() -> None:
    config = info('suspend:\n\tpath: "/odd\n')
    assert config.suspend == SuspendResource(path='"/odd')


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("\tpath: /x\n", "path: /x", "indented line outside a resource"),
        ("brand: solaris-kz\n\tpath: /x\n", "path: /x", "indented line outside a resource"),
        ("suspend:\n\tpath /x\n", "path /x", "unexpected line in the suspend resource"),
        (
            "capped-memory:\n\tphysical=4G\n",
            "physical=4G",
            "unexpected line in the capped-memory resource",
        ),
        ("hello world\n", "hello world", "expected 'property: value' or 'resource:'"),
        ("-brand: x\n", "-brand: x", "expected 'property: value' or 'resource:'"),
        ("zonename: kz2\n", "zonename: kz2", "this is the configuration of zone 'kz2', not 'kz1'"),
        ("suspend:\nsuspend:\n", "suspend:", "more than one suspend resource"),
        (
            "capped-memory:\n\tphysical: 1G\ncapped-memory:\n",
            "capped-memory:",
            "more than one capped-memory resource",
        ),
        ("autoboot: maybe\n", "autoboot: maybe", "autoboot is 'maybe', not true or false"),
        (
            "capped-memory:\n\tphysical: 4 gigs\n",
            "physical: 4 gigs",
            "capped-memory physical '4 gigs' is not a size",
        ),
    ],
)
def test_info_errors(text: str, line: str, reason: str) -> None:
    assert parse_error(info, text) == (line, reason)


# ---------------------------------------------------------------------------------
# %{zonename} tokens


@pytest.mark.parametrize(
    ("value", "expanded"),
    [
        ("/system/zones/%{zonename}/suspend", "/system/zones/kz1/suspend"),
        ("/var/share/zones/SYSsuspend/%{zonename}", "/var/share/zones/SYSsuspend/kz1"),
        ("%{zonename}-%{zonename}", "kz1-kz1"),
        (
            "dev:/dev/zvol/dsk/%{global-rootzpool}/zones/%{zonename}/disk%{id}",
            "dev:/dev/zvol/dsk/%{global-rootzpool}/zones/kz1/disk%{id}",
        ),
        ("/plain/path", "/plain/path"),
        ("%{zonenam}", "%{zonenam}"),
    ],
)
def test_expand_zone_tokens(value: str, expanded: str) -> None:
    assert expand_zone_tokens(value, "kz1") == expanded


# ---------------------------------------------------------------------------------
# 11.4 boot ordering: boot-priority and smf-dependency (docs/solaris.md 2.3)

ORDERING_EXPORT = """create -b
set brand=solaris-kz
set boot-priority=high
add smf-dependency
set name=firewall
set fmri=svc:/system/zones/zone:appfirewall
set grouping=require_any
end
add anet
set id=0
end
add smf-dependency
set fmri=svc:/3rdparty/my-firewall:default
end
add smf-dependency
set name=no-fmri
end
"""

ORDERING_INFO = """zonename: kz1
brand: solaris-kz
boot-priority: low
smf-dependency:
\tname: firewall
\tfmri: svc:/system/zones/zone:appfirewall
\tgrouping: require_any
anet:
\tid: 0
smf-dependency:
\tfmri: svc:/system/zones/zone:dataload
\tgrouping: exclude_all
"""


def test_export_keeps_boot_priority_and_every_smf_dependency_in_order() -> None:
    config = export(ORDERING_EXPORT)
    assert config.boot_priority == "high"
    # A resource without an fmri (zonecfg requires one) orders nothing and is dropped.
    assert config.smf_dependencies == (
        SmfDependency("svc:/system/zones/zone:appfirewall", "firewall", "require_any"),
        SmfDependency("svc:/3rdparty/my-firewall:default"),
    )


def test_info_keeps_boot_priority_and_every_smf_dependency_in_order() -> None:
    config = info(ORDERING_INFO)
    assert config.boot_priority == "low"
    assert config.smf_dependencies == (
        SmfDependency("svc:/system/zones/zone:appfirewall", "firewall", "require_any"),
        SmfDependency("svc:/system/zones/zone:dataload", None, "exclude_all"),
    )


def test_no_boot_ordering_printed_means_the_defaults() -> None:
    config = export("create -b\nset brand=solaris-kz\n")
    assert (config.boot_priority, config.smf_dependencies) == (None, ())

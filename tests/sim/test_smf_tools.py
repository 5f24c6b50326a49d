"""svcprop, svcadm, svccfg, who -r and df -k."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from kzguard.sim import control
from kzguard.sim.state import SimHost
from tests.sim.helpers import run

RESTARTER = "svc:/system/svc/restarter:default"

MANIFEST = """<?xml version="1.0"?>
<!DOCTYPE service_bundle SYSTEM "/usr/share/lib/xml/dtd/service_bundle.dtd.1">
<service_bundle type="manifest" name="kzguard">
  <service name="site/kzguard" type="service" version="1">
    <create_default_instance enabled="true"/>
    <dependency name="zones" grouping="require_all" restart_on="none" type="service">
      <service_fmri value="svc:/system/zones:default"/>
    </dependency>
    <exec_method type="method" name="start" exec="/lib/svc/method/kzguard start"
                 timeout_seconds="3600"/>
    <exec_method type="method" name="stop" exec="/lib/svc/method/kzguard stop"
                 timeout_seconds="1800"/>
    <property_group name="startd" type="framework">
      <propval name="duration" type="astring" value="transient"/>
    </property_group>
    <property_group name="config" type="application">
      <propval name="policy" type="astring" value="/etc/kzguard/policy file.toml"/>
      <property name="zones" type="astring">
        <astring_list><value_node value="kz1"/><value_node value="kz 2"/></astring_list>
      </property>
    </property_group>
    <stability value="Unstable"/>
  </service>
</service_bundle>
"""


def test_svcprop_runlevel_follows_init(host: SimHost) -> None:
    args = ("-c", "-p", "options_ovr/runlevel", RESTARTER)
    # A running host: svc.startd deleted the property at the last run-level change.
    assert (run(host, "svcprop", *args).status, run(host, "svcprop", *args).stderr) == (
        1,
        f"svcprop: Couldn't find property group `options_ovr' for instance `{RESTARTER}'.\n",
    )
    host.set_runlevel("6")
    result = run(host, "svcprop", *args)
    assert (result.status, result.stdout, result.stderr) == (0, "6\n", "")
    assert run(host, "svcprop", "-p", "options_ovr/runlevel", RESTARTER).stdout == "6\n"


def test_svcprop_missing_property_group_and_instance(host: SimHost) -> None:
    result = run(host, "svcprop", "-p", "general/nosuch", RESTARTER)
    assert (result.status, result.stdout, result.stderr) == (
        1,
        "",
        f"svcprop: Couldn't find property `general/nosuch' for instance `{RESTARTER}'.\n",
    )
    result = run(host, "svcprop", "-p", "nosuch/x", RESTARTER)
    assert result.stderr == (
        f"svcprop: Couldn't find property group `nosuch' for instance `{RESTARTER}'.\n"
    )
    result = run(host, "svcprop", "-p", "general/enabled", "svc:/site/nosuch:default")
    assert (result.status, result.stderr) == (
        1,
        "svcprop: Pattern 'svc:/site/nosuch:default' doesn't match any entities\n",
    )


def test_svcprop_whole_instance_and_property_group(host: SimHost) -> None:
    result = run(host, "svcprop", "svc:/system/zones/zone:kz1")
    assert result.stdout == "general/enabled boolean true\nrestarter/state astring online\n"
    assert run(host, "svcprop", "-p", "general", "svc:/system/zones/zone:kz1").stdout == (
        "general/enabled boolean true\n"
    )


def test_svcprop_escapes_shell_metacharacters(host: SimHost) -> None:
    with host.edit() as state:
        state["smf"][RESTARTER]["config/odd"] = ["astring", "a b;c\\d"]
        state["smf"][RESTARTER]["config/empty"] = ["astring", ""]
        state["smf"][RESTARTER]["config/list"] = ["astring", ["x y", "z"]]
    assert run(host, "svcprop", "-p", "config/odd", RESTARTER).stdout == "a\\ b\\;c\\\\d\n"
    assert run(host, "svcprop", "-p", "config/empty", RESTARTER).stdout == '""\n'
    assert run(host, "svcprop", "-p", "config/list", RESTARTER).stdout == "x\\ y z\n"


def test_zone_instances_follow_the_zones(host: SimHost) -> None:
    fmri = "svc:/system/zones/zone:kz2"
    assert run(host, "zoneadm", "-z", "kz2", "suspend").status == 0
    assert run(host, "svcprop", "-p", "restarter/state", fmri).stdout == "disabled\n"
    assert run(host, "zoneadm", "-z", "kz2", "boot").status == 0
    assert run(host, "svcprop", "-p", "restarter/state", fmri).stdout == "online\n"


def test_svcprop_usage(host: SimHost) -> None:
    for args in ([], ["-x", RESTARTER], ["-p", "a/b/c", RESTARTER]):
        result = run(host, "svcprop", *args)
        assert result.status == 2, args
        assert result.stderr.startswith("Usage: svcprop [-fqtv]")


def test_svccfg_import_then_svcadm_and_svcprop(host: SimHost, tmp_path: Path) -> None:
    manifest = tmp_path / "kzguard.xml"
    manifest.write_text(MANIFEST)
    assert run(host, "svccfg", "validate", str(manifest)).status == 0
    result = run(host, "svccfg", "import", str(manifest))
    assert (result.status, result.stdout, result.stderr) == (0, "", "")
    fmri = "svc:/site/kzguard:default"
    recorded = host.read()["services"]["manifests"]
    assert [(m["path"], m["services"], m["instances"]) for m in recorded] == [
        (str(manifest), ["site/kzguard"], [fmri])
    ]
    assert recorded[0]["content"] == MANIFEST
    assert run(host, "svcprop", "-p", "stop/timeout_seconds", fmri).stdout == "1800\n"
    assert run(host, "svcprop", "-p", "config/policy", "site/kzguard").stdout == (
        "/etc/kzguard/policy\\ file.toml\n"
    )
    assert run(host, "svcprop", "-p", "config/zones", fmri).stdout == "kz1 kz\\ 2\n"
    assert run(host, "svcprop", "-p", "zones/entities", fmri).stdout == (
        "svc:/system/zones:default\n"
    )
    for args in (
        ["disable", "-t", fmri],
        ["enable", "-rs", "site/kzguard"],
        ["refresh", fmri],
        ["refresh", "kzguard"],
        ["restart", fmri],
        ["clear", fmri],
    ):
        result = run(host, "svcadm", *args)
        assert (result.status, result.stderr) == (0, ""), args
    entry = host.read()["services"]["instances"][fmri]
    assert (entry["enabled"], entry["temporary"]) == (True, False)
    assert (entry["refresh_count"], entry["restart_count"], entry["clear_count"]) == (2, 1, 1)
    assert [(h["action"], h["flags"]) for h in entry["history"]] == [
        ("disable", "t"),
        ("enable", "rs"),
        ("refresh", ""),
        ("refresh", ""),
        ("restart", ""),
        ("clear", ""),
    ]


def test_svcadm_unknown_and_ambiguous_patterns(host: SimHost) -> None:
    result = run(host, "svcadm", "enable", "svc:/site/nosuch:default")
    assert (result.status, result.stderr) == (
        1,
        "svcadm: Pattern 'svc:/site/nosuch:default' doesn't match any instances\n",
    )
    result = run(host, "svcadm", "refresh", "svc:/system/zones/zone")
    assert result.status == 1
    assert result.stderr.startswith(
        "svcadm: Pattern 'svc:/system/zones/zone' matches multiple instances:\n"
        "    svc:/system/zones/zone:kz1\n"
    )
    for args in ([], ["frob", "x"], ["enable"], ["disable", "-r", "x"]):
        result = run(host, "svcadm", *args)
        assert result.status == 2, args
        assert result.stderr.startswith("Usage: svcadm")


MILESTONE_USAGE = (
    "Usage: svcadm milestone [-d] <milestone>\n\n"
    "\t-d\tmake the specified milestone the default for system boot\n\n"
    "\tMilestones can be specified using an FMRI or abbreviation.\n"
    "\tThe major milestones are as follows:\n\n"
    "\tall\n\tnone\n"
    "\tsvc:/milestone/single-user:default\n"
    "\tsvc:/milestone/multi-user:default\n"
    "\tsvc:/milestone/multi-user-server:default\n"
)


@pytest.mark.parametrize(
    ("name", "written"),
    [
        ("none", "none"),
        ("all", "all"),
        ("single-user", "svc:/milestone/single-user:default"),
        ("milestone/multi-user", "svc:/milestone/multi-user:default"),
        ("multi-user:default", "svc:/milestone/multi-user:default"),
        ("svc:/milestone/multi-user-server:default", "svc:/milestone/multi-user-server:default"),
    ],
)
def test_svcadm_milestone_writes_the_override_svc_startd_acts_on(
    host: SimHost, name: str, written: str
) -> None:
    """svcadm.c set_milestone(): the non-persistent override, and no run level."""
    host.set_runlevel("3", "3")
    level = run(host, "who", "-r").stdout
    result = run(host, "svcadm", "milestone", name)
    assert (result.status, result.stdout, result.stderr) == (0, "", "")
    assert run(host, "svcprop", "-c", "-p", "options_ovr/milestone", RESTARTER).stdout == (
        f"{written}\n"
    )
    assert run(host, "svcprop", "-c", "-p", "options_ovr/runlevel", RESTARTER).stdout == "3\n"
    assert run(host, "who", "-r").stdout == level
    assert "   run-level 3 " in level


def test_svcadm_milestone_d_sets_the_boot_default_and_drops_the_override(host: SimHost) -> None:
    assert run(host, "svcadm", "milestone", "none").status == 0
    result = run(host, "svcadm", "milestone", "-d", "multi-user")
    assert (result.status, result.stderr) == (0, "")
    restarter = host.read()["smf"][RESTARTER]
    assert restarter["options/milestone"] == ["astring", "svc:/milestone/multi-user:default"]
    assert "options_ovr/milestone" not in restarter


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["user"], '"user" is not a valid major milestone.\n'),
        (["default"], '"default" is not a valid major milestone.\n'),
        (
            ["svc:/milestone/network:default"],
            '"svc:/milestone/network:default" is not a valid major milestone.\n',
        ),
        (["-x", "none"], "svcadm: illegal option -- x\n"),
        ([], ""),
    ],
)
def test_svcadm_milestone_refuses_what_is_not_a_major_milestone(
    host: SimHost, args: list[str], said: str
) -> None:
    before = host.read()["smf"].get(RESTARTER, {})
    result = run(host, "svcadm", "milestone", *args)
    assert (result.status, result.stderr) == (2, said + MILESTONE_USAGE)
    assert host.read()["smf"].get(RESTARTER, {}) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("<service_bundle><service", "couldn't parse document"),
        ("<other/>", "is not a service bundle (root element <other>)"),
        ("<service_bundle><service/></service_bundle>", "a <service> element has no name"),
    ],
)
def test_svccfg_rejects_bad_manifests(
    host: SimHost, tmp_path: Path, content: str, message: str
) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text(content)
    for subcommand in ("validate", "import"):
        result = run(host, "svccfg", subcommand, str(bad))
        assert result.status == 1
        assert result.stderr.startswith("svccfg: ")
        assert message in result.stderr
    assert host.read()["services"]["manifests"] == []


def test_svccfg_missing_file_and_usage(host: SimHost, tmp_path: Path) -> None:
    result = run(host, "svccfg", "import", str(tmp_path / "none.xml"))
    assert (result.status, result.stderr) == (
        1,
        f'svccfg: failed to open "{tmp_path / "none.xml"}": No such file or directory\n',
    )
    assert run(host, "svccfg", "-s", "x").status == 2
    result = run(host, "svccfg", "-s", "svc:/site/nosuch:default", "setprop", "a/b", "=", "x")
    assert (result.status, result.stderr) == (
        1,
        "svccfg: Pattern 'svc:/site/nosuch:default' doesn't match exactly one instance\n",
    )


def test_who_r(host: SimHost) -> None:
    result = run(host, "who", "-r")
    assert result.status == 0
    pattern = r"   \.       run-level 3  [A-Z][a-z]{2} [ \d]\d \d\d:\d\d     3      0  S\n"
    assert re.fullmatch(pattern, result.stdout)
    host.set_runlevel("6")
    stamp = time.strftime("%b %e %H:%M", time.localtime(host.read()["runlevel"]["time"]))
    assert run(host, "who", "-r").stdout == f"   .       run-level 6  {stamp}     6      0  3\n"
    assert run(host, "who").status == 2


def test_df_k_reports_the_file_system_holding_the_path(host: SimHost) -> None:
    with host.edit() as state:
        state["filesystems"][1].update(size=105555197952, available=84080361472)
    result = run(host, "df", "-k", "/system/zones/kz1/suspend")
    assert (result.status, result.stderr) == (0, "")
    assert result.stdout == (
        "Filesystem            kbytes    used   avail capacity  Mounted on\n"
        "rpool/VARSHARE/zones 103081248 20971520 82109728    21%    /system/zones\n"
    )
    lines = run(host, "df", "-k", "/var/tmp").stdout.splitlines()
    assert lines[1] == "rpool/ROOT/solaris 104857600 41943040 62914560    40%    /"
    assert len(run(host, "df", "-k").stdout.splitlines()) == 3


def test_df_unknown_path_and_usage(host: SimHost) -> None:
    result = run(host, "df", "-k", "relative/path")
    assert (result.status, result.stdout) == (1, "")
    assert (
        result.stderr == "df: (relative/path) not a block device, directory or mounted resource\n"
    )
    # illumos df.c: the operand padded to 10 columns, the status the count of them.
    result = run(host, "df", "-k", "a", "b", "/")
    assert (result.status, result.stderr) == (
        2,
        "df: (a         ) not a block device, directory or mounted resource\n"
        "df: (b         ) not a block device, directory or mounted resource\n",
    )
    assert result.stdout.splitlines()[1].endswith("/")
    assert run(host, "df", "/").status == 2
    assert run(host, "df", "-h", "/").status == 2


def test_zone_instances_exist_only_on_11_4(host: SimHost) -> None:
    with host.edit() as state:
        state["release"] = "11.3"
    result = run(host, "svcprop", "-p", "restarter/state", "svc:/system/zones/zone:kz1")
    assert result.status == 1
    assert "doesn't match any entities" in result.stderr
    with host.edit() as state:
        state["release"] = "11.4"
    assert run(host, "svcprop", "-p", "restarter/state", "svc:/system/zones/zone:kz1").status == 0


def test_kstat_prints_the_global_zone_boot_time_and_boot_host_moves_it(host: SimHost) -> None:
    before = host.read()["host_boot_time"]
    result = run(host, "kstat", "-p", "unix:0:system_misc:boot_time")
    assert (result.status, result.stdout) == (0, f"unix:0:system_misc:boot_time\t{before}\n")
    assert run(host, "kstat", "-p", "unix:0:system_misc").status == 2
    control.boot_host(host)
    control.boot_host(host)
    after = host.read()
    assert after["host_boot_time"] > before
    assert after["runlevel"]["current"] == "3"
    assert (
        run(host, "kstat", "-p", "unix:0:system_misc:boot_time").stdout
        == f"unix:0:system_misc:boot_time\t{after['host_boot_time']}\n"
    )

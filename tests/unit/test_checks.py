from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import pytest

from kzguard.journal.configs import ConfigRecord, RecordedConfig
from kzguard.journal.history import PastRun
from kzguard.model import FileSystemSpace, SmfDependency, Zone
from kzguard.policy.model import Action, Commands, Policy, ZonePolicy
from kzguard.policy.selection import decide
from kzguard.solaris.protection import Protection
from kzguard.status.checks import (
    COMMAND_ROLES,
    Finding,
    Level,
    check,
    exit_status,
)
from kzguard.stop.image import space_query_path, suspend_image_path
from kzguard.stop.plan import plan_stop
from tests.unit.zones import kernel_zone, native_zone, suspended_zone

G = 1 << 30


def rendered(
    policy: Policy,
    zones: list[Zone],
    space: Mapping[str, FileSystemSpace | str] | None = None,
    missing: tuple[str, ...] = (),
) -> list[str]:
    return [f.render() for f in check(decide(policy, zones), list(missing), space or {})]


def test_a_clean_host_has_no_findings_and_exits_0() -> None:
    space = {"kz1": FileSystemSpace("rpool/zones", "/system/zones", 10 * G)}
    assert rendered(Policy(), [kernel_zone("kz1")], space) == []
    assert exit_status([]) == 0


def test_missing_zone_is_a_warning() -> None:
    assert rendered(Policy(zones={"kz9": ZonePolicy()}), [], missing=("kz9",)) == [
        "warning: kz9: [zone.kz9] names a zone that is not configured on this host; kzguard will skip it"
    ]


def test_a_panicked_managed_zone_is_a_warning_that_the_shutdown_halts_it() -> None:
    space = {"kz1": FileSystemSpace("rpool/zones", "/system/zones", 10 * G)}
    zones = [kernel_zone("kz1", aux=("panicked",)), kernel_zone("kz2")]
    assert rendered(Policy(), zones, space) == [
        "warning: kz1: has panicked: its running state is already lost, and the next "
        "shutdown halts it; see its console (zlogin -C kz1)"
    ]


def test_suspending_a_native_zone_is_an_error() -> None:
    policy = Policy(zones={"ngz1": ZonePolicy()})
    assert rendered(policy, [native_zone("ngz1")]) == [
        'error: ngz1: cannot be suspended: brand solaris (only solaris-kz zones can); set action = "shutdown" in [zone.ngz1]'
    ]


def test_missing_suspend_resource_on_a_managed_zone_is_an_error_naming_the_fallback() -> None:
    policy = Policy(zones={"kz2": ZonePolicy()})
    assert rendered(policy, [kernel_zone("kz2", suspend_path=None)]) == [
        "error: kz2: has no suspend resource, so its suspend will fail and it falls back to "
        "shutdown then halt; add one with zonecfg -z kz2 (add suspend; set path=/system/zones/kz2/suspend; end)"
    ]
    no_fallback = Policy(zones={"kz2": ZonePolicy(fallback=())})
    assert (
        "falls back to nothing (the zone is left running)"
        in rendered(no_fallback, [kernel_zone("kz2", suspend_path=None)])[0]
    )


def test_shutdown_only_zones_need_no_suspend_resource() -> None:
    policy = Policy(zones={"ngz1": ZonePolicy(action=Action.SHUTDOWN, fallback=(Action.HALT,))})
    assert rendered(policy, [native_zone("ngz1")]) == []


def test_images_sharing_a_file_system_must_fit_together() -> None:
    fs = FileSystemSpace("rpool/zones", "/system/zones", 20 * G)
    zones = [
        kernel_zone("kz1", memory="16G"),
        kernel_zone("kz2", memory="8G"),
        suspended_zone("kz3", memory="32G"),
    ]
    assert rendered(Policy(), zones, {"kz1": fs, "kz2": fs, "kz3": fs}) == [
        "warning: kz1, kz2: suspend images may need up to 24G on /system/zones (rpool/zones) "
        "but only 20G is free; a suspend that does not fit falls back"
    ]
    assert exit_status(check(decide(Policy(), zones), [], {"kz1": fs, "kz2": fs})) == 1


def test_single_zone_space_shortage_and_df_failure() -> None:
    small = FileSystemSpace("rpool/zones", "/system/zones", 2 * G)
    assert rendered(Policy(), [kernel_zone("kz1")], {"kz1": small}) == [
        "warning: kz1: suspend image may need up to 4G on /system/zones (rpool/zones) "
        "but only 2G is free; a suspend that does not fit falls back"
    ]
    assert rendered(Policy(), [kernel_zone("kz1")], {"kz1": "df -k /x: exited with status 2"}) == [
        "warning: kz1: cannot check free space for the suspend image: df -k /x: exited with status 2"
    ]


def test_unknown_memory_and_storage_uris_are_noted() -> None:
    zones = [
        kernel_zone("kz1", memory=None),
        kernel_zone("kz2", suspend_path=None, storage="iscsi://host/luname.naa.600144f0"),
    ]
    fs = FileSystemSpace("rpool/zones", "/system/zones", 20 * G)
    assert rendered(Policy(), zones, {"kz1": fs}) == [
        "note: kz1: no capped-memory physical in its configuration; the suspend image size cannot be predicted",
        "note: kz2: suspend image goes to storage iscsi://host/luname.naa.600144f0; free space there is not checked",
    ]


def test_autoshutdown_and_autoboot_interplay_is_explained() -> None:
    fs = FileSystemSpace("rpool/zones", "/system/zones", 100 * G)
    policy = Policy(
        zones={
            "kz1": ZonePolicy(),
            "kz2": ZonePolicy(resume=False),
            "kz3": ZonePolicy(after=("kz1",)),
        }
    )
    zones = [
        kernel_zone("kz1", autoshutdown="suspend", autoboot=True),
        kernel_zone("kz2", autoboot=True),
        kernel_zone("kz3", autoboot=True),
    ]
    assert rendered(policy, zones, dict.fromkeys(("kz1", "kz2", "kz3"), fs)) == [
        "note: kz1: autoshutdown=suspend: the zones service would suspend it too; while kzguard's "
        "instance holds the zone's, it acts only after kzguard's stop method and finds the zone "
        "already down",
        "note: kz1: autoboot=true: the zones service boots (resumes) it before kzguard starts; kzguard then only verifies it",
        "warning: kz2: resume = false, but autoboot=true makes the zones service boot it anyway; "
        "run zonecfg -z kz2 set autoboot=false if it must stay down",
        "warning: kz3: autoboot=true: the zones service boots it before kzguard starts, so after = [kz1] "
        "cannot be honoured; run zonecfg -z kz3 set autoboot=false",
    ]


def test_unmanaged_running_kernel_zones_are_noted_as_losing_state() -> None:
    zones = [
        kernel_zone("kz5", suspend_path=None),
        kernel_zone("kz6", suspend_path=None, autoshutdown="suspend"),
    ]
    assert rendered(Policy(), zones) == [
        "note: kz5: not managed (no suspend resource (select.auto needs one)); at shutdown the zones "
        "service applies autoshutdown=shutdown and its running state is lost"
    ]


def test_exit_status_by_worst_level() -> None:
    note = Finding(Level.NOTE, "a", "n")
    warning = Finding(Level.WARNING, "a", "w")
    error = Finding(Level.ERROR, "a", "e")
    assert (exit_status([note]), exit_status([note, warning]), exit_status([warning, error])) == (
        0,
        1,
        2,
    )


def test_image_path_expands_the_zonename_token_and_df_asks_about_its_directory() -> None:
    (decision,) = decide(Policy(), [kernel_zone("kz1")])
    assert suspend_image_path(decision) == "/system/zones/kz1/suspend"
    assert space_query_path("/system/zones/kz1/suspend") == "/system/zones/kz1"
    assert space_query_path("suspend") == "/"
    (storage,) = decide(
        Policy(zones={"kz2": ZonePolicy()}),
        [kernel_zone("kz2", suspend_path=None, storage="dev:/x")],
    )
    assert suspend_image_path(storage) is None


def test_per_zone_smf_instances_are_reported() -> None:
    decisions = decide(Policy(), [kernel_zone("kz1"), kernel_zone("kz2"), kernel_zone("kz3")])
    fs = FileSystemSpace("rpool/zones", "/system/zones", 100 * G)
    space = {"kz1": fs, "kz2": fs, "kz3": fs}
    none = dict.fromkeys(("kz1", "kz2", "kz3"), False)
    assert [f.render() for f in check(decisions, [], space, none, Protection((), ()))] == [
        "note: host: no per-zone SMF instances (svc:/system/zones/zone:NAME; Solaris 11.3 or earlier?): "
        "kzguard depends on svc:/system/zones:default, whose stop method shuts the zones down, so "
        "kzguard stops first"
    ]
    some = {"kz1": True, "kz2": False, "kz3": True}
    assert [f.render() for f in check(decisions, [], space, some, None)] == [
        "note: host: svc:/site/kzguard:default is not in the SMF repository (the package is not "
        "installed?): nothing holds the zones' instances at shutdown",
        "warning: kz2: no SMF instance svc:/system/zones/zone:kz2, so nothing orders kzguard before "
        "the zones service's own shutdown of it",
    ]
    held = Protection(("kz1", "kz3"), ())
    assert [f.render() for f in check(decisions, [], space, some, held)] == [
        "note: host: svc:/site/kzguard:default depends (optional_all) on the instance of every "
        "managed zone, so they stop after kzguard (kept by its start and refresh methods; this "
        "ordering is not yet confirmed on a real 11.4 host)",
        "warning: kz2: no SMF instance svc:/system/zones/zone:kz2, so nothing orders kzguard before "
        "the zones service's own shutdown of it",
    ]
    not_held = Protection(("kz1", "kz3"), ("kz1", "kz3"))
    assert [f.render() for f in check(decisions, [], space, some, not_held)] == [
        "warning: kz1: svc:/system/zones/zone:kz1 is not held by svc:/site/kzguard:default: at "
        "shutdown the zones service may shut it down while kzguard suspends it; run as root: "
        "svcadm refresh svc:/site/kzguard:default",
        "warning: kz2: no SMF instance svc:/system/zones/zone:kz2, so nothing orders kzguard before "
        "the zones service's own shutdown of it",
        "warning: kz3: svc:/system/zones/zone:kz3 is not held by svc:/site/kzguard:default: at "
        "shutdown the zones service may shut it down while kzguard suspends it; run as root: "
        "svcadm refresh svc:/site/kzguard:default",
    ]


def test_zonecfg_boot_ordering_that_contradicts_after_is_a_warning() -> None:
    def ordered(name: str, *depends_on: str, priority: str | None = None) -> Zone:
        zone = kernel_zone(name)
        assert zone.config is not None
        config = dataclasses.replace(
            zone.config,
            boot_priority=priority,
            smf_dependencies=tuple(
                SmfDependency(f"svc:/system/zones/zone:{other}") for other in depends_on
            ),
        )
        return dataclasses.replace(zone, config=config)

    fs = FileSystemSpace("rpool/zones", "/system/zones", 100 * G)
    policy = Policy(zones={"app": ZonePolicy(after=("db",)), "db": ZonePolicy()})
    zones = [ordered("db", "app", priority="low"), ordered("app", "cache"), kernel_zone("cache")]
    assert rendered(policy, zones, dict.fromkeys(("app", "db", "cache"), fs)) == [
        "warning: app: after = [db], but zonecfg of db has an smf-dependency on "
        "svc:/system/zones/zone:app, so Solaris boots app first; kzguard follows the policy",
        "warning: app: after = [db], but its boot-priority=normal puts it before db "
        "(boot-priority=low); kzguard follows the policy",
        "note: app: after = [db] replaces its zonecfg smf-dependency on cache in kzguard's order",
        "warning: db: zonecfg smf-dependency on app closes a cycle with the policy's after; "
        "kzguard does not use it",
    ]


def test_suspends_the_assumed_rate_says_cannot_fit_their_timeout_are_a_warning() -> None:
    """With nothing measured on the host, the plan tries such a zone's suspend within
    its timeout: where the storage is no faster, the first shutdown waits that long
    and then shuts the zone down, its state lost."""
    policy = Policy(defaults=ZonePolicy(suspend_timeout=30.0))
    zones = [kernel_zone("kz1", memory="16G"), kernel_zone("kz2", memory="4G")]
    space = {
        name: FileSystemSpace("rpool/zones", "/system/zones", 100 * G) for name in ("kz1", "kz2")
    }
    findings = check(decide(policy, zones), [], space, assumed_rate=256 << 20)
    assert [f.render() for f in findings] == [
        "warning: kz1: with no suspend measured on this host yet, 16G at the assumed 256M/s "
        "would take 1m4s, more than its suspend_timeout of 30s: if its suspend storage is no "
        "faster, the first shutdown tries its suspend for 30s, then takes its shutdown, and "
        "its running state is lost; raise suspend_timeout, or set shutdown.assumed_rate to "
        "the write rate of its suspend storage if that is at least 547M/s",
    ]
    # A suspend measured on the host, of the zone or another, plans it (stop/plan.py);
    # one that timed out measured nothing.
    for name in "kz1", "kz2":
        history = {name: [PastRun(seconds=16.0, memory=4 * G)]}
        decisions = decide(policy, zones)
        assert check(decisions, [], space, assumed_rate=256 << 20, history=history) == []
    timed_out = {"kz2": [PastRun(seconds=10.0, memory=4 * G, timed_out=True)]}
    found = check(decide(policy, zones), [], space, assumed_rate=256 << 20, history=timed_out)
    assert [f.render() for f in found] == [f.render() for f in findings]
    # Nor does a suspend whose memory is not recorded (an older kzguard's) give a
    # rate: the plan predicts kz1 at the assumed one, and so does the check.
    unscaled = {"kz2": [PastRun(seconds=16.0)]}
    found = check(decide(policy, zones), [], space, assumed_rate=256 << 20, history=unscaled)
    assert [f.render() for f in found] == [f.render() for f in findings]
    plan = plan_stop(policy, decide(policy, zones), unscaled, space)
    assert [zone.name for zone in plan.zones if zone.at_risk] == ["kz1"]


def test_a_zone_whose_last_suspend_timed_out_is_a_warning_until_its_timeout_is_longer() -> None:
    policy = Policy(defaults=ZonePolicy(suspend_timeout=60.0))
    zones = [kernel_zone("kz1", memory="16G"), kernel_zone("kz2", memory="4G")]
    space = {
        name: FileSystemSpace("rpool/zones", "/system/zones", 100 * G) for name in ("kz1", "kz2")
    }
    history = {
        "kz1": [PastRun(seconds=60.0, memory=16 * G, timed_out=True)],
        # Cut short by the deadline's end, not its own timeout: tried again.
        "kz2": [PastRun(seconds=30.0, memory=4 * G, timed_out=True)],
    }
    findings = check(decide(policy, zones), [], space, history=history)
    assert [f.render() for f in findings] == [
        "warning: kz1: its last suspend timed out after 1m: the next shutdown starts it with "
        "shutdown, and its running state is lost; raise suspend_timeout above 1m to try its "
        "suspend again",
    ]
    longer = Policy(defaults=ZonePolicy(suspend_timeout=120.0))
    assert check(decide(longer, zones), [], space, history=history) == []


@pytest.mark.parametrize(
    "settings",
    [
        ZonePolicy(action=Action.SHUTDOWN, suspend_timeout=30.0),  # no suspend to judge
        ZonePolicy(fallback=(), suspend_timeout=30.0),  # no fallback: the plan suspends
    ],
)
def test_the_assumed_rate_is_judged_only_where_the_plan_would_fall_back(
    settings: ZonePolicy,
) -> None:
    policy = Policy(defaults=settings)
    zones = [kernel_zone("kz1", memory="16G"), native_zone("ngz1")]  # ngz1: not managed
    space = {"kz1": FileSystemSpace("rpool/zones", "/system/zones", 100 * G)}
    found = check(decide(policy, zones), [], space, assumed_rate=256 << 20)
    assert [f.render() for f in found if "assumed" in f.render()] == []


def test_a_command_that_cannot_be_run_is_named_with_what_kzguard_runs_it_for() -> None:
    unusable = {
        "zpool": ("/opt/zfs/zpool", "no such file"),
        "zoneadm": ("/usr/sbin/zoneadm", "not executable"),
    }
    findings = check([], [], {}, unusable_commands=unusable)
    assert [finding.render() for finding in findings] == [
        'error: host: [commands] zoneadm = "/usr/sbin/zoneadm": not executable; kzguard runs '
        "it to list, suspend, shut down, halt and boot the zones; set it to zoneadm's path on "
        "this host (default /usr/sbin/zoneadm)",
        'warning: host: [commands] zpool = "/opt/zfs/zpool": no such file; kzguard runs it to '
        'read the pools\' bandwidth while suspends run ([shutdown] parallel = "auto"); set it '
        "to zpool's path on this host (default /usr/sbin/zpool)",
    ]
    assert exit_status(findings) == 2


def test_every_command_kzguard_runs_has_its_role_said() -> None:
    # [commands] shutdown is accepted (a simulated host has one) but never run.
    fields = {field.name for field in dataclasses.fields(Commands)}
    assert set(COMMAND_ROLES) == fields - {"shutdown"}


def test_configurations_changed_behind_unchanged_zone_files_are_found_and_said() -> None:
    zone = dataclasses.replace(kernel_zone("kz1", memory="8G"), config_stamp="s1")
    recorded_config = kernel_zone("kz1").config
    assert recorded_config is not None
    recorded = ConfigRecord({"kz1": RecordedConfig("s1", recorded_config)})
    decisions = decide(Policy(), [zone])
    findings = check(decisions, [], {}, recorded=recorded)
    assert [finding.render() for finding in findings] == [
        "warning: host: kz1: its configuration changed while its zone file (kz1.xml) did not: "
        "the zone files do not follow zonecfg on this host; the next stop plans from the "
        "configurations configs.json records, finds this beside its first suspends and plans "
        "the rest again"
    ]
    untrusted = dataclasses.replace(recorded, untrusted="kz2: why")
    assert [finding.render() for finding in check(decisions, [], {}, recorded=untrusted)] == [
        "note: host: configs.json: kz2: why: the zone files do not follow zonecfg on this host, "
        "so every stop reads every configuration before its first suspend"
    ]
    as_read = dataclasses.replace(zone, config_stamp="s1b")  # its file changed with it
    assert check(decide(Policy(), [as_read]), [], {}, recorded=recorded) == []

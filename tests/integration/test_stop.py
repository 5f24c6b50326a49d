"""The stop path against simulated hosts: plan, run-level gate, faults, deadline,
ordering, parallelism and the journal, through real subprocesses."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from kzguard.sim import shutdown
from kzguard.sim.state import SimHost
from kzguard.solaris.argv import RESTARTER
from tests import support
from tests.conftest import MakeHost
from tests.integration.conftest import kzguard, stop_hung_on_kz1, wait_for
from tests.support import FAST_RATES, set_rates, write_policy


def configure(host: SimHost, policy: str = "", *, runlevel: str = "6", **rates: float) -> None:
    set_rates(host, **{**FAST_RATES, **rates})
    host.set_runlevel(runlevel, "3")
    write_policy(host, policy, stagger=None)


def journal(host: SimHost) -> dict[str, Any]:
    return support.journal(host)


def zone_states(host: SimHost) -> dict[str, tuple[str, tuple[str, ...]]]:
    state = host.read()
    return {name: (zone["state"], tuple(zone["aux"])) for name, zone in state["zones"].items()}


def operations(host: SimHost, verb: str) -> list[tuple[str, float, float]]:
    """(zone, start, end) of every `zoneadm -z ZONE verb`, from the command log."""
    starts: dict[int, tuple[str, float]] = {}
    spans = []
    for entry in host.commands():
        argv = entry.get("argv", [])
        if entry["event"] == "start" and argv[1:2] == ["-z"] and argv[3:4] == [verb]:
            starts[entry["pid"]] = (argv[2], entry["time"])
        elif entry["event"] == "end" and entry["pid"] in starts:
            zone, began = starts.pop(entry["pid"])
            spans.append((zone, began, entry["time"]))
    return spans


def stop_method(host: SimHost) -> Any:
    return kzguard("-c", str(host.policy_path), "method", "stop")


def test_clean_shutdown_suspends_every_managed_zone(host: SimHost) -> None:
    configure(host)
    result = stop_method(host)
    assert result.status == 0, result.stderr
    assert result.stdout == ""
    assert zone_states(host) == {
        "kz1": ("installed", ("suspended",)),
        "kz2": ("installed", ("suspended",)),
        "kz3": ("installed", ("suspended",)),
        "kz4": ("installed", ("suspended",)),
        "ngz1": ("running", ()),
    }
    lines = result.stderr.splitlines()
    assert lines[-1].startswith("kzguard: stop done in ")
    assert lines[-1].endswith(": 4 suspended, 0 shut down, 0 halted, 0 lost, 0 failed")
    announced = [line for line in lines if line.startswith("kzguard: suspending ")]
    assert len(announced) == 4
    assert all("/4, " in line and ", expected " in line for line in announced)
    record = journal(host)["cycle"]
    assert (record["kind"], record["trigger"], record["runlevel"], record["runlevel_source"]) == (
        "stop",
        "method",
        "6",
        "who -r",
    )
    for name in ("kz1", "kz2", "kz3", "kz4"):
        zone = record["zones"][name]
        assert zone["state"] == "suspended"
        assert [t["state"] for t in zone["transitions"]] == ["planned", "suspending", "suspended"]
        assert isinstance(zone["boot_time"], int)
        assert zone["boot_time"] == host.zone(name)["boot_time"]
    assert record["skipped"] == {}
    assert "ngz1" not in record["zones"]


def test_at_run_level_3_the_stop_method_touches_no_zone(host: SimHost) -> None:
    configure(host, runlevel="3")
    before = len(host.commands())
    result = stop_method(host)
    assert result.status == 0
    assert result.stderr == (
        "kzguard: run level 3: the host is not going down (svcadm disable, restart or a "
        "package update?); leaving every zone running\n"
    )
    calls = [entry["argv"][1:] for entry in host.commands()[before:] if entry["event"] == "start"]
    # who -r: the run level svc.startd wrote to utmpx; then the milestone override,
    # which `svcadm milestone none` would have set (here none: svcprop finds nothing).
    assert calls == [["-r"], ["-c", "-p", "options_ovr/milestone", RESTARTER]]
    assert all(state == ("running", ()) for state in zone_states(host).values())


def test_act_on_service_stop_overrides_the_run_level_rule(host: SimHost) -> None:
    configure(host, "[shutdown]\nact_on_service_stop = true\n", runlevel="3")
    result = stop_method(host)
    assert result.status == 0
    assert (
        "kzguard: run level 3: not a shutdown, but shutdown.act_on_service_stop = true"
        in result.stderr
    )
    assert zone_states(host)["kz1"] == ("installed", ("suspended",))


def test_an_unreadable_run_level_means_act(host: SimHost) -> None:
    configure(host)
    for tool in ("svcprop", "who"):
        (host.bin_dir / tool).write_text(f"#!{sys.executable}\nimport sys\nsys.exit(1)\n")
    result = stop_method(host)
    assert result.status == 0
    first = result.stderr.splitlines()[0]
    assert first.startswith("kzguard: run level unknown (")
    assert first.endswith("); acting as for a shutdown")
    assert zone_states(host)["kz2"] == ("installed", ("suspended",))


def test_who_r_is_read_first_and_the_deleted_runlevel_property_is_no_warning(
    host: SimHost,
) -> None:
    """`init 2` as Solaris carries it out: svc.startd writes utmpx, sets the milestone
    and deletes options_ovr/runlevel before any stop method runs (docs/solaris.md 12).
    The stop method reads `who -r`, then the milestone override (which `svcadm
    milestone` alone could have made a going down), and a missing property is not a
    problem."""
    configure(host, runlevel="3")
    assert shutdown.begin(host, "2") == "svc:/milestone/multi-user:default"
    before = len(host.commands())
    result = stop_method(host)
    assert result.status == 0
    assert result.stderr == (
        "kzguard: run level 2: the host is not going down (svcadm disable, restart or a "
        "package update?); leaving every zone running\n"
    )
    calls = [entry["argv"][1:] for entry in host.commands()[before:] if entry["event"] == "start"]
    assert calls == [["-r"], ["-c", "-p", "options_ovr/milestone", RESTARTER]]


def decided_by_the_milestone(host: SimHost, milestone: str, suspended: bool, said: str) -> None:
    """Run the stop method: kz1 suspended, the journal naming the milestone, or
    every zone left running and ``said`` the reason."""
    result = stop_method(host)
    assert result.status == 0, result.stderr
    assert zone_states(host)["kz1"] == (
        ("installed", ("suspended",)) if suspended else ("running", ())
    )
    if suspended:
        record = journal(host)["cycle"]
        assert (record["runlevel"], record["runlevel_source"]) == (
            milestone,
            "options_ovr/milestone",
        )
    else:
        assert result.stderr == (
            f"kzguard: {said}: the host is not going down (svcadm disable, restart or a "
            "package update?); leaving every zone running\n"
        )


@pytest.mark.parametrize(
    ("milestone", "suspended"),
    [("none", True), ("svc:/milestone/single-user:default", True), ("all", False)],
)
def test_svcadm_milestone_none_at_run_level_3_is_a_going_down(
    host: SimHost, milestone: str, suspended: bool
) -> None:
    """`svcadm milestone none` stops every service, the zones' instances with them,
    and leaves the run level at 3: svcadm.c set_milestone() writes only the override."""
    configure(host, runlevel="3")
    word = milestone.removeprefix("svc:/milestone/").removesuffix(":default")
    subprocess.run([host.bin_dir / "svcadm", "milestone", word], check=True)
    decided_by_the_milestone(host, milestone, suspended, "run level 3")


def test_at_init_6_who_r_decides_without_a_word_about_the_deleted_property(
    host: SimHost,
) -> None:
    configure(host, runlevel="3")
    assert shutdown.begin(host, "6") == "none"
    result = stop_method(host)
    assert result.status == 0, result.stderr
    # Only the run's own lines: no warning, nothing about options_ovr.  (The auto
    # pace's changes of level, timed by this quick clock, are tests/integration/
    # test_pace.py's.)
    own = [line for line in result.stderr.splitlines() if "suspend pace: " not in line]
    lines = [re.sub(r"\d+(\.\d+)?s\b", "T", line) for line in own]
    lines = [re.sub(r"\(\d/4, [^)]*\)", "(...)", line) for line in lines]
    assert sorted(lines) == [
        *[f"kzguard: kz{n} suspended in T" for n in range(1, 5)],
        "kzguard: stop done in T: 4 suspended, 0 shut down, 0 halted, 0 lost, 0 failed",
        *[f"kzguard: suspending kz{n} (...)" for n in range(1, 5)],
    ]
    record = journal(host)["cycle"]
    assert (record["runlevel"], record["runlevel_source"]) == ("6", "who -r")


@pytest.mark.parametrize(
    ("level", "milestone", "suspended"),
    [("6", "none", True), ("S", "svc:/milestone/single-user:default", True), ("3", "all", False)],
)
def test_without_who_r_the_milestone_svc_startd_set_decides(
    host: SimHost, level: str, milestone: str, suspended: bool
) -> None:
    configure(host, runlevel="2")
    assert shutdown.begin(host, level) == milestone
    (host.bin_dir / "who").write_text(f"#!{sys.executable}\nimport sys\nsys.exit(1)\n")
    decided_by_the_milestone(host, milestone, suspended, "milestone all")


def test_the_runlevel_property_is_the_last_resort(host: SimHost) -> None:
    """Only the instant between init's write and svc.startd's reaction has it."""
    configure(host)  # who -r and options_ovr/runlevel both say 6, no milestone yet
    (host.bin_dir / "who").write_text(f"#!{sys.executable}\nimport sys\nsys.exit(1)\n")
    assert stop_method(host).status == 0
    record = journal(host)["cycle"]
    assert (record["runlevel"], record["runlevel_source"]) == ("6", "options_ovr/runlevel")


@pytest.mark.parametrize(
    ("chain", "fallback"),
    [("", "shutdown"), ('halt_timeout = "10s"\nfallback = ["halt"]\n', "halt")],
)
def test_a_suspend_that_zoneadmd_finished_behind_its_fallback_is_journalled_suspended(
    make_host: MakeHost, chain: str, fallback: str
) -> None:
    """illumos' zoneadmd goes on with a suspend whose zoneadm kzguard killed at its
    timeout (door DOOR_NO_CANCEL): the shutdown kzguard falls back to waits for it,
    and so does a halt, for zoneadmd holds its lock through the suspend
    (zoneadmd.c server()); either is answered "zone is already halted", exit 0.
    kzguard looks once more and journals the zone suspended, with its image
    (docs/solaris.md 14; halt_discards_image is off)."""
    host = make_host(zones=2, time_scale=1.0)
    configure(host, f'[zone.kz1]\nsuspend_timeout = "2s"\n{chain}', suspend_rate=float(1 << 30))
    with host.edit() as state:
        state["zoneadmd"] = "illumos"
        for name, memory in (("kz1", "8G"), ("kz2", "1G")):
            state["zones"][name]["config"]["physical"] = memory
            state["zones"][name]["image_ratio"] = 0.5  # kz1: 4 s at 1G/s
    result = stop_method(host)
    assert result.status == 0, result.stderr
    assert zone_states(host)["kz1"] == ("installed", ("suspended",))
    record = journal(host)["cycle"]["zones"]["kz1"]
    assert [t["state"] for t in record["transitions"]] == [
        "planned",
        "suspending",
        "shutting-down" if fallback == "shutdown" else "halting",
        "suspended",
    ]
    assert record["reason"] == (
        f"suspend timed out after 2s; but the suspend ended behind the {fallback}: the zone "
        "is suspended"
    )


def test_fallbacks_for_every_suspend_fault(host: SimHost) -> None:
    configure(host, '[defaults]\nsuspend_timeout = "3s"\nshutdown_timeout = "3s"\n')
    host.set_fault("kz1", "suspend", "enospc")
    host.set_fault("kz2", "suspend", "hang")
    host.set_fault("kz3", "suspend", "lose-image")
    host.set_fault("kz4", "suspend", "enospc")
    host.set_fault("kz4", "shutdown", "hang")
    result = stop_method(host)
    assert result.status == 0, result.stderr
    states = zone_states(host)
    assert states["kz1"] == ("installed", ())
    assert states["kz2"] == ("installed", ())
    assert states["kz3"] == ("installed", ())
    assert states["kz4"] == ("installed", ())
    zones = journal(host)["cycle"]["zones"]
    assert [t["state"] for t in zones["kz1"]["transitions"]] == [
        "planned",
        "suspending",
        "shutting-down",
        "shut-down",
    ]
    assert zones["kz1"]["reason"].startswith("suspend failed: zoneadm: zone 'kz1': ")
    assert [t["state"] for t in zones["kz2"]["transitions"]] == [
        "planned",
        "suspending",
        "shutting-down",
        "shut-down",
    ]
    assert zones["kz2"]["reason"] == "suspend timed out after 3s"
    assert "kzguard: kz2: suspend timed out after 3s; zone is running\n" in result.stderr
    assert zones["kz3"]["state"] == "lost"
    assert zones["kz3"]["reason"].endswith("down without a suspend image")
    assert [t["state"] for t in zones["kz4"]["transitions"]] == [
        "planned",
        "suspending",
        "shutting-down",
        "halting",
        "halted",
    ]
    assert zones["kz4"]["reason"].endswith("; shutdown timed out after 3s")
    assert "kzguard: kz3: state lost: suspend failed: " in result.stderr
    assert result.stderr.splitlines()[-1].endswith(
        ": 0 suspended, 2 shut down, 1 halted, 1 lost, 0 failed"
    )
    # kz2's suspend timed out: remembered, and its next stop shuts it down at once.
    history = json.loads((host.state_dir / "history.json").read_text())["zones"]
    assert {
        name: [(run["seconds"], run.get("timed_out")) for run in runs]
        for name, runs in history.items()
    } == {"kz2": [(3.0, True)]}
    host.clear_faults("kz2")
    subprocess.run([str(host.bin_dir / "zoneadm"), "-z", "kz2", "boot"], check=True)
    plan = json.loads(kzguard("-c", str(host.policy_path), "plan", "stop", "--json").stdout)
    (kz2,) = plan["zones"]
    assert (kz2["steps"], kz2["note"]) == (
        ["shutdown", "halt"],
        "its last suspend timed out after 3s: starting with shutdown (a longer suspend_timeout "
        "tries it again)",
    )
    check = kzguard("-c", str(host.policy_path), "check")
    assert (
        "warning: kz2: its last suspend timed out after 3s: the next shutdown starts it with "
        "shutdown, and its running state is lost; raise suspend_timeout above 3s to try its "
        "suspend again"
    ) in check.stdout.splitlines()


def test_dependencies_order_the_suspends_and_the_parallel_limit_holds(make_host: MakeHost) -> None:
    big = make_host("big", zones=12, seed=3)
    configure(
        big,
        '[shutdown]\nparallel = 3\n[zone.kz1]\nafter = ["kz2"]\n[zone.kz2]\n[zone.kz3]\nafter = ["kz1"]\n',
        suspend_rate=float(1 << 30),
        storage_bandwidth=float(2 << 30),
    )
    assert stop_method(big).status == 0
    spans = {zone: (began, ended) for zone, began, ended in operations(big, "suspend")}
    assert len(spans) == 12
    # kz3 runs after kz1, which runs after kz2: suspended kz3, then kz1, then kz2.
    assert spans["kz3"][1] <= spans["kz1"][0]
    assert spans["kz1"][1] <= spans["kz2"][0]
    # Never more than the limit.  That the limit is reached, and when, depends on how
    # fast these processes start on a loaded machine: tests/unit/test_stop_run.py
    # proves it to the fake second.
    events = sorted(
        [(began, 1) for began, _ in spans.values()] + [(ended, -1) for _, ended in spans.values()]
    )
    running = peak = 0
    for _, change in events:
        running += change
        peak = max(peak, running)
    assert 1 <= peak <= 3


def test_the_deadline_halts_what_is_left_and_is_never_overrun(make_host: MakeHost) -> None:
    many = make_host("many", zones=6, seed=5, time_scale=0.1)
    configure(
        many,
        '[shutdown]\ndeadline = "12s"\nparallel = 1\n'
        '[defaults]\nsuspend_timeout = "8s"\nshutdown_timeout = "1s"\nhalt_timeout = "2s"\n',
        suspend_rate=float(256 << 20),
        storage_bandwidth=float(256 << 20),
        shutdown_seconds=30.0,
    )
    started = time.monotonic()
    result = stop_method(many)
    elapsed = time.monotonic() - started
    assert result.status == 0, result.stderr
    assert elapsed < 12 + 3  # the deadline plus Python's start-up and the survey
    zones = journal(many)["cycle"]["zones"]
    assert {zone["state"] for zone in zones.values()} <= {"suspended", "halted", "shut-down"}
    assert any(zone["state"] == "halted" for zone in zones.values())
    assert all(
        state != ("running", ()) for name, state in zone_states(many).items() if name != "ngz1"
    )


def test_zones_planned_down_on_the_assumed_rate_are_suspended_once_the_stop_measures_its_own(
    host: SimHost,
) -> None:
    # At the assumed 256M/s, one at a time, kz2's 16G and kz1's 2G suspends fit the
    # 1m50s budget once kz3 shuts down and kz4, whose suspend the plan gave up too,
    # halts (kz1's own shutdown would be no quicker than its suspend).  The
    # simulated storage writes 4G/s: once kz2's suspend has shown it, kz3 and kz4
    # are suspended after all, kz4 (first in the plan) having waited.
    configure(
        host,
        '[shutdown]\ndeadline = "2m"\nparallel = 1\nassumed_rate = "256M"\n'
        '[defaults]\nsuspend_timeout = "80s"\nshutdown_timeout = "20s"\nhalt_timeout = "10s"\n',
    )
    plan = kzguard("-c", str(host.policy_path), "plan", "stop", "--json")
    assert plan.status == 0, plan.stderr
    planned = {zone["zone"]: zone for zone in json.loads(plan.stdout)["zones"]}
    assert [(name, zone["steps"][0]) for name, zone in planned.items()] == [
        ("kz4", "halt"),
        ("kz2", "suspend"),
        ("kz3", "shutdown"),
        ("kz1", "suspend"),
    ]
    assert {name: zone["suspend_if_fits"] for name, zone in planned.items()} == {
        "kz4": True,
        "kz2": False,
        "kz3": True,
        "kz1": False,
    }
    assert planned["kz3"]["note"] == (
        "expected to end at 2m8s, after the 1m50s budget: starting with shutdown, unless this "
        "stop's first suspends show it fits"
    )
    result = stop_method(host)
    assert result.status == 0, result.stderr
    assert {
        name: state for name, state in zone_states(host).items() if name != "ngz1"
    } == dict.fromkeys(("kz1", "kz2", "kz3", "kz4"), ("installed", ("suspended",)))
    promoted = [
        line.split(":")[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("kzguard: kz") and ": suspending after all: " in line
    ]
    assert sorted(promoted) == ["kz3", "kz4"]
    assert [zone for zone, _, _ in operations(host, "suspend")][:2] == ["kz2", "kz4"]
    assert operations(host, "shutdown") == []
    assert operations(host, "halt") == []
    record = journal(host)["cycle"]["zones"]["kz4"]
    assert record["intent"] == ["suspend", "shutdown", "halt"]
    assert record["note"].startswith("suspended after all: 1 suspend(s) of this stop ran at ")
    assert [t["state"] for t in record["transitions"]] == ["planned", "suspending", "suspended"]


def test_plan_stop_and_dry_run_touch_nothing(host: SimHost) -> None:
    configure(host)
    before = len(host.commands())
    plan = kzguard("-c", str(host.policy_path), "plan", "stop", "--json")
    assert plan.status == 0, plan.stderr
    document = json.loads(plan.stdout)
    assert document["format"] == 1
    assert sorted(zone["zone"] for zone in document["zones"]) == ["kz1", "kz2", "kz3", "kz4"]
    dry = kzguard("-c", str(host.policy_path), "stop", "--dry-run")
    assert dry.status == 0
    assert dry.stdout.splitlines()[0].startswith(
        "stop plan: 4 zones, 8 at a time; deadline 15m with 1m kept for halts; expected "
    )
    assert dry.stdout.splitlines()[-1] == "(dry run; not making any changes)"
    verbs = {
        entry["argv"][3]
        for entry in host.commands()[before:]
        if entry["event"] == "start" and entry["tool"] == "zoneadm" and entry["argv"][1:2] == ["-z"]
    }
    assert verbs <= {"list"}
    assert all(state == ("running", ()) for state in zone_states(host).values())
    assert not (host.state_dir / "journal.json").exists()


def test_manual_stop_reports_each_zone_and_exits_1_when_one_is_lost(host: SimHost) -> None:
    configure(host)
    host.set_fault("kz2", "suspend", "lose-image")
    result = kzguard("-c", str(host.policy_path), "stop")
    assert result.status == 1
    lines = result.stdout.splitlines()
    assert sorted(line.split(":")[0] for line in lines[:-1]) == ["kz1", "kz2", "kz3", "kz4"]
    assert next(line for line in lines if line.startswith("kz2:")).startswith("kz2: lost in ")
    assert journal(host)["cycle"]["trigger"] == "manual"


def test_history_feeds_the_next_plan(host: SimHost) -> None:
    configure(host)
    assert stop_method(host).status == 0
    history = json.loads((host.state_dir / "history.json").read_text())["zones"]
    assert sorted(history) == ["kz1", "kz2", "kz3", "kz4"]
    # Each suspend's image size, read from its file (the suspend resource's path).
    zones = host.read()["zones"]
    assert {name: runs[-1]["image_bytes"] for name, runs in history.items()} == {
        name: zones[name]["image"]["bytes"] for name in history
    }
    subprocess.run([str(host.bin_dir / "zoneadm"), "-z", "kz1", "boot"], check=True)
    plan = json.loads(kzguard("-c", str(host.policy_path), "plan", "stop", "--json").stdout)
    (kz1,) = plan["zones"]
    assert kz1["basis"].startswith("1 past suspend(s) at ")


def test_a_second_kzguard_is_refused_while_one_holds_the_lock(host: SimHost) -> None:
    configure(host, '[defaults]\nsuspend_timeout = "20s"\n')
    with stop_hung_on_kz1(host) as first:
        second = kzguard("-c", str(host.policy_path), "stop")
    assert second.status == 4
    assert second.stderr.startswith(
        f"kzguard: another kzguard operation holds {host.state_dir}/lock: pid {first.pid} (kzguard stop) since "
    )


def test_kill_9_in_the_middle_of_a_stop_leaves_a_truthful_journal_and_a_fresh_stop_works(
    host: SimHost,
) -> None:
    configure(host, '[defaults]\nsuspend_timeout = "30s"\n')
    host.set_fault("kz3", "suspend", "hang")
    victim = subprocess.Popen(
        [sys.executable, "-m", "kzguard", "-c", str(host.policy_path), "method", "stop"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for(
        lambda: (
            _journal_state(host, "kz3") == "suspending"
            and sum(_journal_state(host, z) == "suspended" for z in ("kz1", "kz2", "kz4")) == 3
        )
    )
    os.kill(victim.pid, signal.SIGKILL)
    victim.communicate()
    record = journal(host)["cycle"]
    assert record["finished"] is None
    assert {name: zone["state"] for name, zone in record["zones"].items()} == {
        "kz1": "suspended",
        "kz2": "suspended",
        "kz3": "suspending",
        "kz4": "suspended",
    }
    # The hung zoneadm outlived kzguard; the zone is still running.  End it, as its
    # operation eventually would, and clear the fault.
    assert zone_states(host)["kz3"] == ("running", ())
    for pid in _unfinished(host, "kz3"):
        os.kill(pid, signal.SIGKILL)
    host.clear_faults("kz3")
    again = stop_method(host)
    assert again.status == 0, again.stderr
    record = journal(host)["cycle"]
    assert record["zones"]["kz3"]["state"] == "suspended"
    assert record["skipped"] == {
        "kz1": "already suspended",
        "kz2": "already suspended",
        "kz4": "already suspended",
    }


def _unfinished(host: SimHost, zone: str) -> list[int]:
    ended = {entry["pid"] for entry in host.commands() if entry["event"] == "end"}
    return [
        entry["pid"]
        for entry in host.commands()
        if entry["event"] == "start"
        and entry["argv"][1:3] == ["-z", zone]
        and entry["pid"] not in ended
    ]


def _journal_state(host: SimHost, zone: str) -> str | None:
    try:
        return str(journal(host)["cycle"]["zones"][zone]["state"])
    except (FileNotFoundError, KeyError, json.JSONDecodeError):
        return None


def _started(host: SimHost, verb: str) -> list[tuple[str, float]]:
    return [
        (entry["argv"][2], entry["time"])
        for entry in host.commands()
        if entry["event"] == "start"
        and entry["argv"][1:2] == ["-z"]
        and entry["argv"][3:4] == [verb]
    ]


def test_an_unwritable_state_directory_does_not_stop_the_suspends(
    tmp_path: Path, host: SimHost
) -> None:
    configure(host)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    text = host.policy_path.read_text().replace(str(host.state_dir), str(blocker / "state"))
    host.policy_path.write_text(text)
    result = stop_method(host)
    assert result.status == 95
    assert result.stderr.splitlines()[:2] == [
        f"kzguard: {blocker / 'state'}: cannot create the state directory: Not a directory",
        "kzguard: suspending without a journal",
    ]
    assert zone_states(host)["kz1"] == ("installed", ("suspended",))
    assert result.stderr.splitlines()[-1].endswith(
        ": 4 suspended, 0 shut down, 0 halted, 0 lost, 0 failed"
    )


def test_a_zone_whose_state_cannot_be_read_after_a_failed_suspend_gets_its_next_step(
    host: SimHost,
) -> None:
    configure(host)
    host.set_fault("kz1", "suspend", "enospc")
    host.set_output_fault("zoneadm -z kz1 list -p", "garbage")
    result = stop_method(host)
    assert result.status == 0, result.stderr
    record = journal(host)["cycle"]["zones"]["kz1"]
    assert [t["state"] for t in record["transitions"]] == [
        "planned",
        "suspending",
        "shutting-down",
        "shut-down",
    ]
    first, second = record["reason"].split("; ", 1)
    assert first.startswith("suspend failed: zoneadm: zone 'kz1': ")
    assert second.startswith(
        f"state unknown: {host.bin_dir}/zoneadm -z kz1 list -p: unexpected output: "
    )
    assert zone_states(host)["kz1"] == ("installed", ())
    assert any(
        line.startswith("kzguard: kz1: suspend failed: ") and "; its state cannot be read: " in line
        for line in result.stderr.splitlines()
    )


def test_a_zone_gone_from_zoneadm_after_a_failed_suspend_is_a_failure(host: SimHost) -> None:
    configure(host)
    host.set_fault("kz1", "suspend", "enospc")
    host.set_output_fault("zoneadm -z kz1 list -p", "empty")
    result = stop_method(host)
    assert result.status == 0, result.stderr
    record = journal(host)["cycle"]["zones"]["kz1"]
    assert record["state"] == "failed"
    assert record["reason"].endswith("; zone no longer configured")
    assert [t["state"] for t in record["transitions"]] == ["planned", "suspending", "failed"]
    # The other zones are not held up.
    assert [zone_states(host)[name] for name in ("kz2", "kz3", "kz4")] == [
        ("installed", ("suspended",))
    ] * 3


def test_a_step_zoneadm_reports_as_failed_but_that_happened_counts_as_done(
    host: SimHost, tmp_path: Path
) -> None:
    """zoneadm can lose contact with zoneadmd after the work is done: kzguard looks
    at the zone before choosing the next step (docs/solaris.md 1.4)."""
    configure(host)
    wrapper = tmp_path / "zoneadm"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'{host.bin_dir}/zoneadm "$@"\n'
        'case "$3" in suspend|shutdown)\n'
        "  echo \"zoneadm: zone '$2': lost contact with zoneadmd\" >&2; exit 1;;\n"
        "esac\n",
        encoding="utf-8",
    )
    wrapper.chmod(0o755)
    text = host.policy_path.read_text(encoding="utf-8")
    host.policy_path.write_text(
        text.replace(f'zoneadm = "{host.bin_dir}/zoneadm"', f'zoneadm = "{wrapper}"'),
        encoding="utf-8",
    )
    host.set_fault("kz2", "suspend", "enospc")
    result = stop_method(host)
    assert result.status == 0, result.stderr
    zones = journal(host)["cycle"]["zones"]
    lost_contact = "zoneadm: zone '{}': lost contact with zoneadmd"
    assert zones["kz1"]["state"] == "suspended"
    assert zones["kz1"]["reason"] == (
        f"suspend failed: {lost_contact.format('kz1')}; but the zone is suspended"
    )
    assert zones["kz2"]["state"] == "shut-down"
    # The line that says why the suspend failed is kept, not only zoneadm's last one.
    image = host.zone("kz1")["image"]["path"].replace("kz1", "kz2")
    assert zones["kz2"]["reason"] == (
        f"suspend failed: zoneadm: zone 'kz2': unable to write suspend image to {image}: "
        f"No space left on device; {lost_contact.format('kz2')}; "
        f"shutdown failed: {lost_contact.format('kz2')}; but the zone is down"
    )
    assert zone_states(host)["kz1"] == ("installed", ("suspended",))
    assert zone_states(host)["kz2"] == ("installed", ())
    assert "kzguard: kz1 suspended in " in result.stderr


def test_zoneadm_that_cannot_be_run_mid_stop_is_kzguards_own_failure(
    host: SimHost, tmp_path: Path
) -> None:
    """The first suspend makes zoneadm unexecutable (a broken package update, say):
    every zone is recorded failed with the reason, and the method exits 95."""
    configure(host, "[shutdown]\nparallel = 1\n")
    wrapper = tmp_path / "zoneadm"
    wrapper.write_text(
        "#!/bin/sh\n"
        'case "$3" in suspend) chmod -x "$0"; exit 1;; esac\n'
        f'exec {host.bin_dir}/zoneadm "$@"\n',
        encoding="utf-8",
    )
    wrapper.chmod(0o755)
    text = host.policy_path.read_text(encoding="utf-8")
    host.policy_path.write_text(
        text.replace(f'zoneadm = "{host.bin_dir}/zoneadm"', f'zoneadm = "{wrapper}"'),
        encoding="utf-8",
    )
    result = stop_method(host)
    assert result.status == 95
    cannot = f"cannot run {wrapper}: permission denied (not executable?)"
    zones = journal(host)["cycle"]["zones"]
    walks = {name: [t["state"] for t in zones[name]["transitions"]] for name in zones}
    assert sorted(walks.values()) == [
        ["planned", "suspending", "failed"],
        ["planned", "suspending", "failed"],
        ["planned", "suspending", "failed"],
        ["planned", "suspending", "shutting-down", "failed"],
    ]
    for name, record in zones.items():
        step = "shutdown" if "shutting-down" in walks[name] else "suspend"
        assert (record["state"], record["reason"]) == (
            "failed",
            f"{wrapper} -z {name} {step}: {cannot}",
        )
    assert all(state == ("running", ()) for state in zone_states(host).values())
    assert result.stderr.splitlines()[-1].endswith(
        ": 0 suspended, 0 shut down, 0 halted, 0 lost, 4 failed"
    )


def test_a_corrupt_history_is_reported_by_plan_and_set_aside_by_the_stop(host: SimHost) -> None:
    configure(host)
    host.state_dir.mkdir(parents=True, exist_ok=True)
    history = host.state_dir / "history.json"
    history.write_text("{not json", encoding="utf-8")
    corrupt = (
        f"{history} is not valid JSON (Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1))"
    )
    # `plan stop` changes nothing in the state directory (nor do status, check, wait).
    result = kzguard("-c", str(host.policy_path), "plan", "stop", "--json")
    assert result.status == 0
    assert result.stderr == f"kzguard: {corrupt}\n"
    assert sorted(os.listdir(host.state_dir)) == ["history.json"]
    plan = json.loads(result.stdout)
    assert len(plan["zones"]) == 4
    assert all(zone["basis"].endswith(" at assumed 64G/s") for zone in plan["zones"])
    status = kzguard("-c", str(host.policy_path), "status")
    assert f"kzguard: {corrupt}\n" in status.stderr
    assert sorted(os.listdir(host.state_dir)) == ["history.json"]
    # The stop method, which owns the directory, moves it aside.
    stopped = stop_method(host)
    assert stopped.status == 0, stopped.stderr
    (aside,) = [name for name in os.listdir(host.state_dir) if name.startswith("history.json.")]
    assert aside.startswith("history.json.bad-")
    assert f"kzguard: {corrupt}; moved aside to {host.state_dir}/{aside}" in stopped.stderr


def test_a_stop_without_the_hosts_boot_time_still_suspends(host: SimHost) -> None:
    configure(host)
    host.set_output_fault("kstat -p unix:0:system_misc:boot_time", "empty")
    result = stop_method(host)
    assert result.status == 0, result.stderr
    assert result.stderr.splitlines()[0] == (
        f"kzguard: global zone boot time unknown: {host.bin_dir}/kstat -p "
        "unix:0:system_misc:boot_time: unexpected output: no output, expected "
        "'unix:0:system_misc:boot_time<TAB>SECONDS': ''"
    )
    cycle = journal(host)["cycle"]
    assert cycle["host_boot_time"] is None
    assert {cycle["zones"][name]["state"] for name in ("kz1", "kz2", "kz3", "kz4")} == {"suspended"}

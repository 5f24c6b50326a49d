"""parallel = "auto" end to end (issue 13): a stop and a start on the simulated host
journal how many ran at once and why, keep what they measured in history.json, and
the next plan and status begin from it."""

from __future__ import annotations

import json
import re
import time

from kzguard.sim import control
from kzguard.sim.state import SimHost
from tests import support
from tests.conftest import MakeHost
from tests.integration.conftest import apply_manifest, init_shutdown, kzguard
from tests.integration.test_start import arm, boot, clean_shutdown, configure, method

AUTO_BEGIN = "8 at once to begin: no {} measured yet, then by measurement"
RAMP_BEGIN = (
    "3 at once to begin: more while the pools' bandwidth grows (zpool iostat), then by measurement"
)


def test_a_cycle_journals_its_pace_and_the_next_plan_begins_from_what_it_learned(
    host: SimHost,
) -> None:
    # Transfers of 0.1-1 s of real time, with no fixed overhead: long beside a
    # simulated command's own start-up, so that what the pace measures is the storage.
    configure(
        host,
        suspend_rate=float(128 << 20),
        storage_bandwidth=float(512 << 20),
        resume_rate=float(128 << 20),
        read_bandwidth=float(512 << 20),
        op_overhead=0.0,
    )
    # Images of one size: the next plan begins where the history says, none held
    # back to keep pace with a larger one (pace/auto.py).
    with host.edit() as state:
        for zone in state["zones"].values():
            zone["image_ratio"] = 0.5
    arm(host)
    clean_shutdown(host)
    stop = support.journal(host)["cycle"]["pace"]
    assert stop["parallel"] == "auto"
    # A first stop reads the pools and ramps up from three (pace/auto.py).
    assert (stop["start"], stop["why"]) == (3, RAMP_BEGIN)
    # Four zones: more than one at once (a quick suspend may end before the last
    # begins), never more than there are.
    assert 2 <= stop["peak"] <= 4
    boot(host)
    assert method(host, "start").status == 0
    resume = support.journal(host)["resume"]["pace"]
    assert (resume["parallel"], resume["start"]) == ("auto", 8)
    assert 2 <= resume["peak"] <= 4
    assert resume["why"] == AUTO_BEGIN.format("resume")

    learned = json.loads((host.state_dir / "history.json").read_text())["pace"]
    assert sorted(learned) == ["resume", "suspend"]
    for path in ("suspend", "resume"):
        levels = [entry["concurrency"] for entry in learned[path]]
        assert levels, path
        assert all(1 <= level <= 4 for level in levels)
        assert all(entry["bytes_per_second"] > 0 for entry in learned[path])

    plan = json.loads(kzguard("-c", str(host.policy_path), "plan", "stop", "--json").stdout)
    assert plan["pace"]["suspend"]["parallel"] == "auto"
    assert plan["pace"]["suspend"]["why"] != AUTO_BEGIN.format("suspend")
    assert " gave " in plan["pace"]["suspend"]["why"]
    assert plan["pace"]["suspend"]["start"] == plan["parallel"]

    status = kzguard("-c", str(host.policy_path), "status")
    lines = status.stdout.splitlines()
    assert [line.split(": ")[0] for line in lines if "at once" in line] == [
        "last shutdown's suspends",
        "last shutdown's suspends over time",
        "last boot's resumes",
        "next suspends",
        "next resumes",
    ]
    last = next(line for line in lines if line.startswith("last shutdown's suspends: "))
    assert last.startswith(
        'last shutdown\'s suspends: parallel = "auto": began 3 at once '
        f"({RAMP_BEGIN}); at most {stop['peak']} at once; then "
    )


def test_with_one_large_zone_the_stop_begins_with_as_many_as_keep_pace_with_it(
    host: SimHost,
) -> None:
    # kz2's 64G of the 98G the four zones hold: two at once suspend the other three
    # while kz2's suspend runs at a stream's full speed.
    configure(host)
    with host.edit() as state:
        state["zones"]["kz2"]["config"]["physical"] = "64G"
        # Room for every image: none starts with its fallback.
        state["filesystems"][1]["available"] = 200 << 30
    why = (
        "2 at once: 2 keep pace with the largest suspend (64G of 98G) while it runs, "
        "then by measurement"
    )
    plan = json.loads(kzguard("-c", str(host.policy_path), "plan", "stop", "--json").stdout)
    assert (plan["parallel"], plan["pace"]["suspend"]) == (
        2,
        {"parallel": "auto", "start": 2, "why": why},
    )
    arm(host)
    clean_shutdown(host)
    stop = support.journal(host)["cycle"]["pace"]
    assert (stop["start"], stop["why"]) == (2, why)
    # The first two begin together (each from its own thread: either may log
    # first); the third only once one of them has ended.
    log = host.commands()
    zone_of = {
        entry["pid"]: entry["argv"][2]
        for entry in log
        if entry["event"] == "start" and entry["argv"][3:] == ["suspend"]
    }
    events = [(entry["event"], zone_of[entry["pid"]]) for entry in log if entry["pid"] in zone_of]
    starts = [zone for event, zone in events if event == "start"]
    assert sorted(starts[:2]) == ["kz2", "kz3"]
    assert events.index(("start", starts[2])) > min(
        events.index(("end", starts[0])), events.index(("end", starts[1]))
    )


def ten_equal_zones(make_host: MakeHost, storage: str | None = None) -> SimHost:
    """Ten zones of one size, suspends of about a second of real time; ``storage``:
    each image on that suspend storage URI instead of its path."""
    host = make_host(zones=10)
    configure(
        host,
        suspend_rate=float(128 << 20),
        storage_bandwidth=float(512 << 20),
        op_overhead=0.0,
    )
    with host.edit() as state:
        for name, zone in state["zones"].items():
            zone["config"]["physical"] = "16G"
            zone["image_ratio"] = 0.5
            if storage is not None:
                zone["config"]["suspend"] = {"path": None, "storage": f"{storage}/{name}"}
        state["filesystems"][1]["available"] = 400 << 30
    return host


def test_a_change_of_level_is_logged_journalled_from_the_methods_start_and_shown(
    make_host: MakeHost,
) -> None:
    # Ten zones of one size: none is held back to keep pace with a larger one, so
    # a first stop begins at three and ramps up once the pools' windows measured
    # three (pace/auto.py).  Transfers of about a second of real time.
    host = ten_equal_zones(make_host)
    arm(host)
    began = time.monotonic()
    result = clean_shutdown(host)
    elapsed = time.monotonic() - began
    stop = support.journal(host)["cycle"]["pace"]
    first = stop["levels"][0]
    assert first["level"] == 4
    assert re.fullmatch(
        r"ramping up: 4 at once, nothing above 3 measured \(3 gave \S+/s by the pools\)",
        first["why"],
    )
    # Timed from the method's start (not the host's clock): within the run.
    assert 0 < first["at"] < elapsed
    assert f"kzguard: suspend pace: {first['why']}" in result.stderr.splitlines()
    status = kzguard("-c", str(host.policy_path), "status").stdout.splitlines()
    timeline = next(line for line in status if line.startswith("last shutdown's suspends over"))
    assert timeline.startswith(
        f"last shutdown's suspends over time: 3 at once, 4 from {first['at']:.1f}s"
    )


def verbose_shutdown(host: SimHost) -> str:
    """clean_shutdown, the stop method run with -v: its debug lines too (the pace's
    verdict on the pools' bandwidth is one); its stderr."""
    apply_manifest(host)
    result, _ = init_shutdown(
        host, lambda: kzguard("-c", str(host.policy_path), "-v", "method", "stop")
    )
    assert result.status == 0, result.stderr
    control.zones_service_stop(host)
    control.power_off(host)
    return result.stderr


VERDICT = re.compile(
    r"kzguard: suspend pace: the pools' bandwidth gave (\d+)% of what the suspends' ends "
    r"measured at (\d+) at once: measuring by (both|the ends alone)"
)


def test_the_stop_measures_by_the_pools_bandwidth_once_they_carry_the_suspends(
    make_host: MakeHost,
) -> None:
    # The images are files on rpool (the simulator counts their bytes there,
    # docs/solaris.md 14.1): zpool iostat, window after window, ramps the stop up,
    # and is kept beside the ends: never dropped for them.
    host = ten_equal_zones(make_host)
    arm(host)
    stderr = verbose_shutdown(host)
    first = support.journal(host)["cycle"]["pace"]["levels"][0]
    assert (first["level"], first["why"].endswith("by the pools)")) == (4, True)
    assert "measuring by the ends alone" not in stderr
    # Judged once the ends measured a number the pools did, which on this quick
    # clock they may not before the stop ends: then believed, from half of the
    # ends' figure up (AutoPace.POOL_SEEN; the ends' first figures read low, so the
    # share is measured, not fixed).
    verdicts = [found for line in stderr.splitlines() if (found := VERDICT.fullmatch(line))]
    assert len(verdicts) <= 1
    for share, level, by in (verdict.groups() for verdict in verdicts):
        assert (by, int(share) >= 50, 3 <= int(level) <= 10) == ("both", True, True)
    windows = [
        entry["argv"][1:]
        for entry in host.commands()
        if entry["event"] == "start" and entry["tool"] == "zpool"
    ]
    assert windows
    assert {tuple(argv) for argv in windows} == {("iostat", "5", "2")}


def test_pools_that_do_not_carry_the_images_leave_the_stop_to_the_ends(
    make_host: MakeHost,
) -> None:
    # iSCSI suspend storage: on no pool of the host, whose pools then see nothing
    # move while the suspends run; at its first window the pace says so, stops
    # reading them and goes where it begins without them (START).
    host = ten_equal_zones(make_host, "iscsi://target/luname.naa.600144F035FF8500000050C884E5")
    arm(host)
    stderr = verbose_shutdown(host)
    said = [line for line in stderr.splitlines() if "suspend pace: the pools" in line]
    assert said == [
        "kzguard: suspend pace: the pools moved 0B/s with 3 suspends at once: "
        "measuring by the ends alone"
    ]
    first = support.journal(host)["cycle"]["pace"]["levels"][0]
    assert (first["level"], first["why"]) == (8, AUTO_BEGIN.format("suspend"))

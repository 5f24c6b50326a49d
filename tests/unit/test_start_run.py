"""StartRun on a fake clock and a fake host (tests/unit/fakes.py): dependency order,
slots, stagger, readiness, the deadline, failed resumes and the boot-time proof, to
the fake second, in milliseconds.

The end-to-end runs through the simulator are tests/integration/test_start.py."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from kzguard.errors import CommandFailed
from kzguard.journal.pace_record import LevelChange
from kzguard.journal.records import Severity
from kzguard.journal.store import Journal, read_journal
from kzguard.model import INSTALLED
from kzguard.policy.model import (
    Policy,
    Readiness,
    ResumeFailure,
    ResumePolicy,
    ZonePolicy,
)
from kzguard.solaris.survey import clear_of_survey
from kzguard.start.outcome import StartReport
from kzguard.start.plan import Item, Kind, Left, StartPlan
from kzguard.start.run import (
    COLD_BOOTED,
    PRESERVED,
    STILL_BOOTING,
    UNVERIFIED,
    StartRun,
)
from tests.unit.fakes import (
    RUNNING_ZONE,
    SUSPENDED_ZONE,
    ZLOGIN,
    FakeClock,
    FakeHost,
    NoPoolSamples,
    ScriptedSurvey,
    Step,
)

T0 = 1000.0  # the fake clock's start
HOST_BOOT = 1_700_000_000  # this boot of the global zone
ZONE_BOOT = 1_690_000_000  # a zone's own boot time, recorded before its suspend
LOGGER = "kzguard.start.run"
CORRUPT = "zoneadm: zone 'kz1': resume failed: image corrupt"
REFUSED = CommandFailed((ZLOGIN, "kz1", "/usr/bin/kstat"), 1, "zlogin: login refused")


@pytest.fixture
def clock() -> Iterator[FakeClock]:
    fake = FakeClock(T0)
    yield fake
    fake.close()  # a hung boot returns, so its thread ends


@pytest.fixture(autouse=True)
def info_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)


def item(
    name: str,
    kind: Kind = Kind.RESUME,
    *,
    after: tuple[str, ...] = (),
    boot_time: int | None = ZONE_BOOT,
    reason: str = "suspended at shutdown",
) -> Item:
    return Item(name, kind, reason, boot_time, 4 << 30, after)


def policy(
    *,
    zones: dict[str, ZonePolicy] | None = None,
    **resume: object,
) -> Policy:
    settings = {"parallel": 2, "stagger": 0.0, "deadline": 600.0, **resume}
    return Policy(resume=ResumePolicy(**settings), zones=zones or {})  # type: ignore[arg-type]


def fake_host(clock: FakeClock, *suspended: str, running: tuple[str, ...] = ()) -> FakeHost:
    """Suspended zones (and running ones) whose in-zone boot time is ZONE_BOOT."""
    zones = {**dict.fromkeys(suspended, SUSPENDED_ZONE), **dict.fromkeys(running, RUNNING_ZONE)}
    host = FakeHost(clock, zones)  # type: ignore[arg-type]
    host.boot_times = {name: [ZONE_BOOT] for name in zones}
    return host


def run(
    tmp_path: Path,
    items: tuple[Item, ...],
    the_policy: Policy,
    host: FakeHost,
    *,
    host_boot_time: int | None = HOST_BOOT,
    left: tuple[Left, ...] = (),
) -> StartReport:
    plan = StartPlan(items=items, left=left)
    return make_run(tmp_path, plan, the_policy, host, host_boot_time=host_boot_time).run()


def make_run(
    tmp_path: Path,
    plan: StartPlan,
    the_policy: Policy,
    host: FakeHost,
    *,
    host_boot_time: int | None = HOST_BOOT,
    survey: ScriptedSurvey | None = None,
    pace: ScriptedPace | None = None,
) -> StartRun:
    clock = host.clock
    return StartRun(
        plan,
        the_policy,
        host,  # type: ignore[arg-type]
        Journal(str(tmp_path)),
        started=clock(),
        host_boot_time=host_boot_time,
        clock=clock,
        sleep=clock.sleep,
        event_queue=clock.queue,
        survey=survey,  # type: ignore[arg-type]
        pace=pace,
    )


def by_zone(report: StartReport) -> dict[str, tuple[str, Severity, float, str]]:
    return {o.name: (o.result, o.severity, o.seconds, o.detail) for o in report.outcomes}


def journalled(tmp_path: Path) -> dict[str, tuple[str, Severity | None, float, str]]:
    """The start record's outcomes as flushed to journal.json."""
    document, problem = read_journal(str(tmp_path))
    assert problem is None
    assert document is not None
    assert document.start is not None
    zones = document.start.zones or {}
    return {name: (z.result, z.severity, z.seconds, z.detail) for name, z in zones.items()}


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == LOGGER]


def boots(host: FakeHost) -> list[tuple[float, str, tuple[str, ...]]]:
    return sorted((op.began, op.zone, op.args) for op in host.operations if op.action == "boot")


# -- order, slots and stagger ---------------------------------------------------------


def test_dependencies_order_the_boots_and_the_parallel_limit_holds(
    tmp_path: Path, clock: FakeClock
) -> None:
    # As plan_start orders them: the zones waited on first.  kz1 runs after kz2,
    # kz3 after kz1.
    host = fake_host(clock, "kz1", "kz2", "kz3", "kz4", "kz5")
    for name, seconds in {"kz2": 10, "kz1": 4, "kz3": 2, "kz4": 6, "kz5": 8}.items():
        host.script(name, "boot", Step(seconds))
    items = (
        item("kz2"),
        item("kz1", after=("kz2",)),
        item("kz3", after=("kz1",)),
        item("kz4"),
        item("kz5"),
    )
    report = run(tmp_path, items, policy(parallel=2), host)
    assert host.started("boot") == [
        (T0, "kz2"),
        (T0, "kz4"),
        (T0 + 6, "kz5"),  # kz4's slot; kz1 still waits for kz2
        (T0 + 10, "kz1"),
        (T0 + 14, "kz3"),
    ]
    assert host.peak == 2
    assert by_zone(report) == {
        "kz2": (PRESERVED, Severity.OK, 10.0, ""),
        "kz1": (PRESERVED, Severity.OK, 4.0, ""),
        "kz3": (PRESERVED, Severity.OK, 2.0, ""),
        "kz4": (PRESERVED, Severity.OK, 6.0, ""),
        "kz5": (PRESERVED, Severity.OK, 8.0, ""),
    }
    assert journalled(tmp_path) == by_zone(report)
    assert report.elapsed == 16.0
    assert report.summary() == "start done in 16s: 5 preserved, 0 lost, 0 failed, 0 left alone"


def test_fresh_boots_are_staggered_resumes_and_a_zone_found_running_are_not(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    host = fake_host(clock, "kz2", "kz6", running=("kz5",))
    host.zones.update(dict.fromkeys(("kz1", "kz3", "kz4"), (INSTALLED, ())))
    lost = "running state lost: power loss"
    items = (
        item("kz1", Kind.COLD_BOOT, boot_time=None, reason=lost),
        item("kz2"),
        item("kz3", Kind.BOOT, boot_time=None, reason="shutdown at shutdown as its policy asks"),
        item("kz4", Kind.COLD_BOOT, boot_time=None, reason=lost),
        item("kz5", Kind.VERIFY, reason="already running (resumed by the zones service)"),
        item("kz6"),
    )
    report = run(tmp_path, items, policy(parallel=4, stagger=5.0), host)
    # 5s between two fresh boots, though slots are free; the resumes of kz2 and kz6
    # go at once, and so does the check of kz5, found running (no boot, no slot).
    assert boots(host) == [
        (T0, "kz1", ()),
        (T0, "kz2", ()),
        (T0, "kz6", ()),
        (T0 + 5, "kz3", ()),
        (T0 + 10, "kz4", ()),
    ]
    assert host.peak == 3
    assert sorted((at, name) for at, name, _ in host.boot_time_reads) == [
        (T0, "kz5"),
        (T0 + 3, "kz2"),
        (T0 + 3, "kz6"),
    ]
    assert by_zone(report)["kz5"] == (
        "resumed by the zones service (running state preserved)",
        Severity.OK,
        0.0,
        "",
    )
    assert by_zone(report)["kz3"] == (
        "booted",
        Severity.OK,
        3.0,
        "shutdown at shutdown as its policy asks",
    )
    assert report.elapsed == 13.0
    assert "kz1 booted cold in 3.0s: running state lost: power loss" in lines(caplog)


class ScriptedPace(NoPoolSamples):
    """A pace whose limit, after N boots have returned, is ``limits[N]`` (the last
    one repeats); it records every call with its arguments."""

    def __init__(
        self, *limits: int, opens: float | None = None, orders: tuple[int, ...] = ()
    ) -> None:
        self.limits = limits
        self.orders = orders  # order_for after N boots returned, as limits
        self.calls: list[tuple[object, ...]] = []
        self.returned = 0
        self.opens = opens  # from then on, one slot more (woken for it)
        self.asked: list[float | None] = []
        self.unmeasured: list[str] = []  # ended, reported not measured
        self.changes: list[LevelChange] = []

    def limit(self, at: float | None = None) -> int:
        self.asked.append(at)
        extra = self.opens is not None and at is not None and at >= self.opens
        return self.level() + extra

    def level(self) -> int:
        return self.limits[min(self.returned, len(self.limits) - 1)]

    def wake(self, at: float) -> float | None:
        return self.opens if self.opens is not None and at < self.opens else None

    def began(self, zone: str, nbytes: int, at: float) -> None:
        self.calls.append(("began", zone, nbytes, at))

    def ended(
        self, zone: str, at: float, *, ok: bool, nbytes: int | None = None, measured: bool = True
    ) -> None:
        before = self.level()
        self.returned += 1
        if self.level() != before:
            self.changes.append(LevelChange(at, self.level(), f"{self.level()} at once (scripted)"))
        if not measured:
            self.unmeasured.append(zone)
        self.calls.append(
            ("ended", zone, at, ok) if nbytes is None else ("ended", zone, at, ok, nbytes)
        )

    def why(self) -> str:
        return f"{self.limits[0]} at once (scripted)"

    def level_changes(self) -> list[LevelChange]:
        return self.changes

    def order_for(self) -> int:
        orders = self.orders or self.limits
        return orders[min(self.returned, len(orders) - 1)]


def run_paced(
    tmp_path: Path, items: tuple[Item, ...], the_policy: Policy, host: FakeHost, pace: ScriptedPace
) -> StartReport:
    clock = host.clock
    return StartRun(
        StartPlan(items=items, left=()),
        the_policy,
        host,  # type: ignore[arg-type]
        Journal(str(tmp_path)),
        started=clock(),
        host_boot_time=HOST_BOOT,
        clock=clock,
        sleep=clock.sleep,
        event_queue=clock.queue,
        pace=pace,
    ).run()


def test_the_loop_wakes_when_the_pace_allows_one_more_and_asks_it_with_the_time(
    tmp_path: Path, clock: FakeClock
) -> None:
    # One at a time, and one more from T0+1 on (an auto pace's transfer due to end
    # within its fixed time): nothing else happens at T0+1, the loop wakes for it.
    host = fake_host(clock, "kz1", "kz2", "kz3")
    for name in ("kz1", "kz2", "kz3"):
        host.script(name, "boot", Step(3))
    pace = ScriptedPace(1, opens=T0 + 1)
    items = tuple(item(f"kz{n}") for n in range(1, 4))
    run_paced(tmp_path, items, policy(parallel=3), host, pace)
    assert host.started("boot") == [(T0, "kz1"), (T0 + 1, "kz2"), (T0 + 3, "kz3")]
    assert T0 + 1 in pace.asked
    assert None not in pace.asked


def test_the_slot_is_freed_when_the_boot_returns_and_dependants_still_wait_for_readiness(
    tmp_path: Path, clock: FakeClock
) -> None:
    host = fake_host(clock, "kz1", "kz2", "kz3", "kz4")
    host.ready_at = {"kz1": T0 + 20}
    host.script("kz3", "boot", Step(5))
    zones = {"kz1": ZonePolicy(readiness=Readiness.MILESTONE)}
    items = (item("kz1"), item("kz2", after=("kz1",)), item("kz3"), item("kz4"))
    report = run(tmp_path, items, policy(parallel=1, zones=zones), host)
    # kz1's boot returns at 3 and frees the one slot for kz3 while kz1 is verified
    # and waited for (ready at 20); kz4 takes it at kz3's return; kz2, which runs
    # after kz1, only once kz1 is ready.
    assert boots(host) == [
        (T0, "kz1", ()),
        (T0 + 3, "kz3", ()),
        (T0 + 8, "kz4", ()),
        (T0 + 20, "kz2", ()),
    ]
    assert host.peak == 1
    # Each verified once ready (kz1 at 20), off-slot.
    assert [(at, name) for at, name, _ in host.boot_time_reads] == [
        (T0 + 8, "kz3"),
        (T0 + 11, "kz4"),
        (T0 + 20, "kz1"),
        (T0 + 23, "kz2"),
    ]
    assert by_zone(report)["kz1"] == (PRESERVED, Severity.OK, 20.0, "")
    assert report.elapsed == 23.0


def test_a_pace_is_told_of_each_resume_and_its_changing_limit_is_obeyed(
    tmp_path: Path, clock: FakeClock
) -> None:
    host = fake_host(clock, "kz1", "kz2", "kz3", "kz4", "kz5", "kz6")
    for name, seconds in {"kz1": 4, "kz2": 2, "kz3": 6, "kz4": 3, "kz5": 5, "kz6": 2}.items():
        host.script(name, "boot", Step(seconds))
    pace = ScriptedPace(1, 3, 3, 1, 2)
    items = tuple(item(f"kz{n}") for n in range(1, 7))
    # kz2's and kz5's images are files whose size the pace is told at the end, in
    # place of the memory it began with; kz5's path has no file (its memory stands).
    images = {"kz2": "/system/zones/kz2/suspend", "kz5": "/system/zones/kz5/suspend"}
    items = tuple(replace(entry, image_path=images.get(entry.name)) for entry in items)
    host.images["/system/zones/kz2/suspend"] = 3 << 30
    report = run_paced(tmp_path, items, policy(parallel=6), host, pace)
    # 1 at once until kz1 returns (4), then 3; at 7 (kz4 back, 3 returned) only 1,
    # so kz6 waits with two in flight until kz3's return (10) lets 2 run.
    assert host.started("boot") == [
        (T0, "kz1"),
        (T0 + 4, "kz2"),
        (T0 + 4, "kz3"),
        (T0 + 4, "kz4"),
        (T0 + 6, "kz5"),
        (T0 + 10, "kz6"),
    ]
    assert host.peak == 3
    gib4 = 4 << 30
    began = [("began", name, gib4, at) for at, name in host.started("boot")]
    assert sorted(call for call in pace.calls if call[0] == "began") == sorted(began)
    assert [call for call in pace.calls if call[0] == "ended"] == [
        ("ended", "kz1", T0 + 4, True),
        ("ended", "kz2", T0 + 6, True, 3 << 30),
        ("ended", "kz4", T0 + 7, True),
        ("ended", "kz3", T0 + 10, True),
        ("ended", "kz5", T0 + 11, True),
        ("ended", "kz6", T0 + 12, True),
    ]
    # Each resume is begun right before its boot and ended when it returns.
    assert pace.calls[:2] == [("began", "kz1", gib4, T0), ("ended", "kz1", T0 + 4, True)]
    assert sorted(host.image_reads) == sorted(images.values())
    assert report.count(Severity.OK) == 6
    assert report.elapsed == 12.0


def test_fresh_boots_hold_a_slot_unreported_and_a_check_takes_none(
    tmp_path: Path, clock: FakeClock
) -> None:
    host = fake_host(clock, "kz3", running=("kz2",))
    host.zones["kz1"] = (INSTALLED, ())
    host.script("kz3", "boot", Step(2, error=CORRUPT))
    pace = ScriptedPace(1)
    items = (
        item("kz1", Kind.COLD_BOOT, boot_time=None, reason="running state lost: power loss"),
        item("kz2", Kind.VERIFY, reason="already running (booted by hand)"),
        item("kz3"),
    )
    report = run_paced(tmp_path, items, policy(), host, pace)
    # The cold boot of kz1 holds the one slot for its 3s; kz2, found running, is
    # checked at once; kz3's resume waits for the slot, fails, and is told as such.
    assert boots(host) == [(T0, "kz1", ()), (T0 + 3, "kz3", ())]
    assert [(at, name) for at, name, _ in host.boot_time_reads] == [(T0, "kz2")]
    assert pace.calls == [
        ("began", "kz3", 4 << 30, T0 + 3),
        ("ended", "kz3", T0 + 5, False),
    ]
    assert {name: result for name, (result, *_) in by_zone(report).items()} == {
        "kz1": "booted cold (running state was lost)",
        "kz2": "resumed by the zones service (running state preserved)",
        "kz3": "resume failed; left down (image kept)",
    }


def test_the_slot_is_freed_when_the_boot_ends_in_an_unexpected_error(
    tmp_path: Path, clock: FakeClock
) -> None:
    host = fake_host(clock, "kz1", "kz2")
    host.script("kz1", "boot", Step(2, missing=True))
    pace = ScriptedPace(1)
    report = run_paced(tmp_path, (item("kz1"), item("kz2")), policy(), host, pace)
    assert boots(host) == [(T0, "kz1", ()), (T0 + 2, "kz2", ())]
    assert pace.calls == [
        ("began", "kz1", 4 << 30, T0),
        ("ended", "kz1", T0 + 2, False),
        ("began", "kz2", 4 << 30, T0 + 2),
        ("ended", "kz2", T0 + 5, True),
    ]
    assert by_zone(report)["kz1"][:2] == ("failed", Severity.ERROR)


def test_a_defect_of_kzguard_s_own_fails_the_zone_at_once_and_asks_for_a_report(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    # Raised around kz1's boot (an adapter's parse): its worker reports it, so the
    # run neither waits for it to the deadline nor holds its slot.
    host = fake_host(clock, "kz1", "kz2")
    defect = ValueError("unexpected output")
    host.script("kz1", "boot", Step(2, defect=defect))
    report = run(tmp_path, (item("kz1"), item("kz2")), policy(parallel=1), host)
    detail = "its start failed inside kzguard (ValueError: unexpected output)"
    assert by_zone(report)["kz1"] == ("failed", Severity.ERROR, 0.0, detail)
    assert by_zone(report)["kz2"][:2] == (PRESERVED, Severity.OK)
    assert boots(host) == [(T0, "kz1", ()), (T0 + 2, "kz2", ())]
    assert report.own_failures == [f"kz1: {detail}"]
    assert [line for line in lines(caplog) if "kz1" in line] == [
        "resuming kz1 (suspended at shutdown)",
        f"kz1: {detail}; please report it",
    ]
    assert [record.exc_info[1] for record in caplog.records if record.exc_info] == [defect]


def test_readiness_gates_the_dependants_and_its_timeout_releases_them(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    host = fake_host(clock, "kz1", "kz2", "kz3", "kz4")
    host.ready_at = {"kz2": T0 + 20, "kz4": math.inf}
    zones = {
        "kz2": ZonePolicy(readiness=Readiness.MILESTONE),
        "kz4": ZonePolicy(
            readiness=Readiness.COMMAND, readiness_command="/opt/ready", readiness_timeout=10.0
        ),
    }
    items = (
        item("kz2"),
        item("kz4"),
        item("kz1", after=("kz2",)),
        item("kz3", after=("kz4",)),
    )
    report = run(tmp_path, items, policy(parallel=4, zones=zones), host)
    # Booted at 3; the milestone polled every 0.5s until online at 20.
    assert [at for at, name, _ in host.probes if name == "kz2"] == [
        T0 + 3 + 0.5 * n for n in range(35)
    ]
    assert {what for _, name, what in host.probes if name == "kz2"} == {"milestone"}
    # kz4's command never succeeds: the last probe is at the limit, 10s after its boot.
    assert [at for at, name, _ in host.probes if name == "kz4"][-1] == T0 + 13
    assert boots(host) == [
        (T0, "kz2", ()),
        (T0, "kz4", ()),
        (T0 + 13, "kz3", ()),
        (T0 + 20, "kz1", ()),
    ]
    assert by_zone(report)["kz2"] == (PRESERVED, Severity.OK, 20.0, "")
    assert by_zone(report)["kz4"] == (PRESERVED, Severity.OK, 13.0, "not ready after 10s")
    assert "kz4: not ready after 10s; releasing the zones that wait on it" in lines(caplog)


def test_the_last_readiness_probe_is_made_at_the_deadline_not_past_it(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    host = fake_host(clock, "kz1")
    host.ready_at = {"kz1": math.inf}
    zones = {"kz1": ZonePolicy(readiness=Readiness.COMMAND, readiness_command="/opt/ready")}
    report = run(tmp_path, (item("kz1"),), policy(deadline=12.25, zones=zones), host)
    # Booted at 3, probed every 0.5s, then once more at the deadline (12.25).
    assert [at for at, _, _ in host.probes] == [T0 + 3 + 0.5 * n for n in range(19)] + [T0 + 12.25]
    assert by_zone(report) == {"kz1": (PRESERVED, Severity.OK, 12.25, "not ready after 5m")}
    assert "kz1: not ready after 5m; releasing the zones that wait on it" in lines(caplog)
    assert report.elapsed == 12.25


# -- the deadline -------------------------------------------------------------------


def test_the_start_deadline_cuts_the_boots_short_and_starts_nothing_more(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    host = fake_host(clock, "kz1", "kz2", "kz3")
    for name in ("kz1", "kz2", "kz3"):
        host.script(name, "boot", Step(15))
    the_policy = policy(deadline=10.0, on_failure=ResumeFailure.FRESH_BOOT)
    report = run(tmp_path, (item("kz1"), item("kz2"), item("kz3")), the_policy, host)
    # The boots end at the deadline; none is booted fresh (its image is probably
    # sound), and kz3 never starts.
    assert sorted((op.zone, op.args, op.timeout, op.ended) for op in host.operations) == [
        ("kz1", (), 10.0, T0 + 10),
        ("kz2", (), 10.0, T0 + 10),
    ]
    expected = {
        "kz1": (STILL_BOOTING, Severity.ERROR, 10.0, "start deadline reached"),
        "kz2": (STILL_BOOTING, Severity.ERROR, 10.0, "start deadline reached"),
        "kz3": ("not started", Severity.ERROR, 0.0, "start deadline reached"),
    }
    assert by_zone(report) == expected
    assert journalled(tmp_path) == expected
    assert report.elapsed == 10.0
    assert sorted(lines(caplog)) == [
        "kz1: still booting when the start deadline was reached",
        "kz2: still booting when the start deadline was reached",
        "kz3: not started: the start deadline was reached",
        "resuming kz1 (suspended at shutdown)",
        "resuming kz2 (suspended at shutdown)",
    ]
    assert host.zones == dict.fromkeys(("kz1", "kz2", "kz3"), SUSPENDED_ZONE)


def test_a_boot_that_hangs_past_the_deadline_is_not_waited_for(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    host = fake_host(clock, "kz1", "kz2")
    host.script("kz1", "boot", Step(hang=True))
    report = run(tmp_path, (item("kz1"), item("kz2")), policy(deadline=600.0), host)
    assert report.elapsed == 600.0
    assert clock.elapsed == 600.0
    assert by_zone(report) == {
        "kz2": (PRESERVED, Severity.OK, 3.0, ""),
        "kz1": (STILL_BOOTING, Severity.ERROR, 0.0, "start deadline reached"),
    }
    assert [outcome.name for outcome in report.outcomes] == ["kz2", "kz1"]
    assert lines(caplog)[-1] == "kz1: still booting when the start deadline was reached"
    assert clock.wall < clock.elapsed / 10  # fake seconds, real milliseconds


# -- a resume that fails -------------------------------------------------------------


def test_a_failed_resume_is_left_down_with_its_image_by_default(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    host = fake_host(clock, "kz1")
    host.script("kz1", "boot", Step(2, error=CORRUPT))
    report = run(tmp_path, (item("kz1"),), policy(), host)
    failure = f"boot failed: {CORRUPT}"
    assert by_zone(report) == {
        "kz1": ("resume failed; left down (image kept)", Severity.ERROR, 2.0, failure)
    }
    assert boots(host) == [(T0, "kz1", ())]
    assert host.state_reads == [(T0 + 2, "kz1")]
    assert host.zones["kz1"] == SUSPENDED_ZONE
    assert lines(caplog)[-1] == f"kz1: resume failed, left down with its image: {failure}"


def test_a_failed_resume_is_booted_fresh_once_when_the_policy_says_so(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    host = fake_host(clock, "kz1")
    host.script("kz1", "boot", Step(2, error=CORRUPT), Step(3))
    the_policy = policy(on_failure=ResumeFailure.FRESH_BOOT)
    report = run(tmp_path, (item("kz1"),), the_policy, host)
    failure = f"boot failed: {CORRUPT}"
    assert by_zone(report) == {
        "kz1": (
            "booted fresh after a failed resume (running state LOST)",
            Severity.LOST,
            5.0,
            failure,
        )
    }
    assert boots(host) == [(T0, "kz1", ()), (T0 + 2, "kz1", ("-R",))]
    assert host.boot_time_reads == []  # nothing to verify: a fresh boot
    assert lines(caplog)[-1] == f"kz1: resume failed ({failure}); booting it fresh (boot -R)"


def test_a_fresh_boot_that_fails_too_is_a_failure_and_not_retried(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    host = fake_host(clock, "kz1")
    host.script("kz1", "boot", Step(2, error=CORRUPT), Step(3, error="zoneadm: no luck"))
    the_policy = policy(on_failure=ResumeFailure.FRESH_BOOT, fresh_boot_args=("-R", "-x"))
    report = run(tmp_path, (item("kz1"),), the_policy, host)
    detail = f"boot failed: {CORRUPT}; boot failed: zoneadm: no luck"
    assert by_zone(report) == {"kz1": ("failed", Severity.ERROR, 5.0, detail)}
    assert boots(host) == [(T0, "kz1", ()), (T0 + 2, "kz1", ("-R", "-x"))]
    assert lines(caplog)[-1] == "kz1: fresh boot failed too: boot failed: zoneadm: no luck"


def test_a_failed_boot_that_left_the_zone_running_is_verified(
    tmp_path: Path, clock: FakeClock
) -> None:
    host = fake_host(clock, "kz1")
    host.script("kz1", "boot", Step(2, error="zoneadm: exit 1 after all", leaves=RUNNING_ZONE))
    report = run(tmp_path, (item("kz1"),), policy(on_failure=ResumeFailure.FRESH_BOOT), host)
    assert by_zone(report) == {"kz1": (PRESERVED, Severity.OK, 2.0, "")}
    assert boots(host) == [(T0, "kz1", ())]


# (kind, result, severity, the log line, {detail} standing for the outcome's detail)
FreshBoot = tuple[Kind, str, Severity, str]


@pytest.mark.parametrize(
    "case",
    [
        (
            Kind.COLD_BOOT,
            "booted cold (running state was lost)",
            Severity.LOST,
            "kz1 booted cold by another in 2.0s: {detail}",
        ),
        (Kind.BOOT, "booted", Severity.OK, "kz1 booted by another in 2.0s ({detail})"),
    ],
)
def test_a_fresh_boot_refused_because_another_booted_the_zone_is_not_called_resumed(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture, case: FreshBoot
) -> None:
    kind, result, severity, said = case
    # The zones service's autoboot won the race: zoneadm boot fails, the zone runs.
    host = fake_host(clock, "kz1")
    host.zones["kz1"] = ("installed", ())
    host.script("kz1", "boot", Step(2, error="zone 'kz1': already running", leaves=RUNNING_ZONE))
    items = (item("kz1", kind, boot_time=None, reason="why"),)
    report = run(tmp_path, items, policy(on_failure=ResumeFailure.FRESH_BOOT), host)
    detail = "why; boot failed: zone 'kz1': already running, and the zone runs: booted by another"
    assert by_zone(report) == {"kz1": (result, severity, 2.0, detail)}
    assert len(boots(host)) == 1
    assert said.format(detail=detail) in lines(caplog)


def test_no_fresh_boot_takes_a_zone_a_migration_owns_after_its_failed_resume(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    host = fake_host(clock, "kz1")
    migrating = ("installed", ("suspended", "migrating-out"))
    host.script("kz1", "boot", Step(2, error="zoneadm: busy", leaves=migrating))
    report = run(tmp_path, (item("kz1"),), policy(on_failure=ResumeFailure.FRESH_BOOT), host)
    owned = "migrating-out: a migration owns the zone"
    detail = f"boot failed: zoneadm: busy; left alone: {owned}"
    assert by_zone(report) == {"kz1": ("failed; left alone", Severity.ERROR, 2.0, detail)}
    assert boots(host) == [(T0, "kz1", ())]
    assert f"kz1: boot failed: zoneadm: busy; left alone: {owned}" in lines(caplog)


def test_a_failed_cold_boot_is_a_failure_without_a_fresh_boot(
    tmp_path: Path, clock: FakeClock
) -> None:
    host = fake_host(clock, "kz1")
    host.zones["kz1"] = ("installed", ())
    host.script("kz1", "boot", Step(2, error="zoneadm: no"))
    items = (item("kz1", Kind.COLD_BOOT, boot_time=None, reason="running state lost: x"),)
    report = run(tmp_path, items, policy(on_failure=ResumeFailure.FRESH_BOOT), host)
    assert by_zone(report) == {"kz1": ("failed", Severity.ERROR, 2.0, "boot failed: zoneadm: no")}
    assert len(boots(host)) == 1


# -- the proof: the in-zone boot time ----------------------------------------------


# (kind, boot time recorded before the suspend, boot time read now, the host's boot)
Evidence = tuple[Kind, "int | None", int, "int | None"]


@pytest.mark.parametrize(
    ("evidence", "outcome"),
    [
        ((Kind.RESUME, ZONE_BOOT, ZONE_BOOT, HOST_BOOT), (PRESERVED, Severity.OK, "")),
        (
            (Kind.RESUME, ZONE_BOOT, HOST_BOOT + 100, HOST_BOOT),
            (
                COLD_BOOTED,
                Severity.LOST,
                f"boot time {ZONE_BOOT} before the suspend, {HOST_BOOT + 100} now",
            ),
        ),
        (
            (Kind.RESUME, None, HOST_BOOT - 301, HOST_BOOT),
            (f"{PRESERVED}, booted before the global zone", Severity.OK, ""),
        ),
        (
            (Kind.RESUME, None, HOST_BOOT + 301, HOST_BOOT),
            (
                COLD_BOOTED,
                Severity.LOST,
                f"no boot time recorded; booted at {HOST_BOOT + 301}, "
                f"after the global zone ({HOST_BOOT})",
            ),
        ),
        (
            (Kind.RESUME, None, HOST_BOOT - 300, HOST_BOOT),
            ("resumed (not verified: no boot time was recorded)", Severity.OK, ""),
        ),
        (
            (Kind.RESUME, None, ZONE_BOOT, None),
            ("resumed (not verified: no boot time was recorded)", Severity.OK, ""),
        ),
        (
            (Kind.VERIFY, ZONE_BOOT, ZONE_BOOT, HOST_BOOT),
            ("resumed by the zones service (running state preserved)", Severity.OK, ""),
        ),
        (
            (Kind.VERIFY, ZONE_BOOT, ZONE_BOOT + 1, HOST_BOOT),
            (
                COLD_BOOTED,
                Severity.LOST,
                f"boot time {ZONE_BOOT} before the suspend, {ZONE_BOOT + 1} now",
            ),
        ),
        (
            (Kind.VERIFY, None, HOST_BOOT, HOST_BOOT),
            (UNVERIFIED, Severity.LEFT, "no boot time was recorded"),
        ),
    ],
    ids=[
        "same-boot-time",
        "new-boot-time",
        "unrecorded-booted-before-host",
        "unrecorded-booted-after-host",
        "unrecorded-within-clock-slack",
        "unrecorded-host-unknown",
        "found-running-same-boot-time",
        "found-running-new-boot-time",
        "found-running-unrecorded",
    ],
)
def test_verification_judges_by_the_boot_time_evidence(
    tmp_path: Path, clock: FakeClock, evidence: Evidence, outcome: tuple[str, Severity, str]
) -> None:
    kind, recorded, now, host_boot = evidence
    host = fake_host(clock, "kz1") if kind is Kind.RESUME else fake_host(clock, running=("kz1",))
    host.boot_times["kz1"] = [now]
    items = (item("kz1", kind, boot_time=recorded),)
    report = run(tmp_path, items, policy(), host, host_boot_time=host_boot)
    result, severity, detail = outcome
    seconds = 3.0 if kind is Kind.RESUME else 0.0  # a zone found running takes no boot
    assert by_zone(report) == {"kz1": (result, severity, seconds, detail)}
    assert journalled(tmp_path) == by_zone(report)
    assert [(at, name) for at, name, _ in host.boot_time_reads] == [(T0 + seconds, "kz1")]


def test_a_boot_time_read_refused_at_first_is_retried(tmp_path: Path, clock: FakeClock) -> None:
    host = fake_host(clock, "kz1")
    host.boot_times["kz1"] = [REFUSED, ZONE_BOOT]
    report = run(tmp_path, (item("kz1"),), policy(), host)
    assert [at for at, _, _ in host.boot_time_reads] == [T0 + 3, T0 + 3.5]
    assert by_zone(report) == {"kz1": (PRESERVED, Severity.OK, 3.0, "")}


def test_a_boot_time_never_readable_leaves_the_resume_unverified_after_a_minute(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    host = fake_host(clock, "kz1")
    host.boot_times["kz1"] = [REFUSED]
    report = run(tmp_path, (item("kz1"),), policy(), host)
    # Every 0.5s from the boot's end (3s) until the next try would pass 60s.
    assert [at for at, _, _ in host.boot_time_reads] == [T0 + 3 + 0.5 * n for n in range(120)]
    why = f"boot time unreadable: {REFUSED}"
    assert by_zone(report) == {"kz1": (f"resumed (not verified: {why})", Severity.OK, 3.0, "")}
    assert lines(caplog)[-1] == f"kz1: resumed, but not verified: {why}"
    assert report.elapsed == 62.5


def test_verify_false_reads_no_boot_time(tmp_path: Path, clock: FakeClock) -> None:
    host = fake_host(clock, "kz1")
    report = run(tmp_path, (item("kz1"),), policy(verify=False), host)
    assert by_zone(report) == {
        "kz1": ("resumed (not verified: resume.verify = false)", Severity.OK, 3.0, "")
    }
    assert host.boot_time_reads == []


def test_boot_and_cold_boot_items_are_not_verified(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    host = fake_host(clock, "kz1", "kz2")
    host.zones = {"kz1": ("installed", ()), "kz2": ("installed", ())}
    items = (
        item("kz1", Kind.BOOT, boot_time=None, reason="shut-down at shutdown as its policy asks"),
        item("kz2", Kind.COLD_BOOT, boot_time=None, reason="running state lost: halted"),
    )
    report = run(tmp_path, items, policy(), host)
    assert by_zone(report) == {
        "kz1": ("booted", Severity.OK, 3.0, "shut-down at shutdown as its policy asks"),
        "kz2": (
            "booted cold (running state was lost)",
            Severity.LOST,
            3.0,
            "running state lost: halted",
        ),
    }
    assert host.boot_time_reads == []
    assert "kz2 booted cold in 3.0s: running state lost: halted" in lines(caplog)
    assert "booting kz1 (shut-down at shutdown as its policy asks)" in lines(caplog)


def test_zones_left_alone_are_recorded_first_and_never_touched(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    host = fake_host(clock, "kz1")
    left = (Left("kz9", "no longer configured", lost=True), Left("kz8", "resume = false"))
    report = run(tmp_path, (), policy(), host, left=left)
    assert by_zone(report) == {
        "kz9": ("left alone", Severity.LOST, 0.0, "no longer configured"),
        "kz8": ("left alone", Severity.LEFT, 0.0, "resume = false"),
    }
    assert host.operations == []
    assert lines(caplog) == [
        "kz9: left alone: no longer configured",
        "kz8: left alone: resume = false",
    ]


# -- downtime -----------------------------------------------------------------------

EPOCH = 1_800_000_000.0  # the wall clock when the fake clock reads 0


def test_each_zone_up_again_records_its_downtime_from_the_suspend_start(
    tmp_path: Path, clock: FakeClock
) -> None:
    host = fake_host(clock, "kz1", "kz2", "kz4", running=("kz3",))
    host.script("kz1", "boot", Step(4))
    host.script("kz2", "boot", Step(2, error=CORRUPT))
    host.boot_times["kz4"] = [ZONE_BOOT + 77]  # booted cold behind a resume
    host.ready_at = {"kz1": T0 + 30}
    zones = {"kz1": ZonePolicy(readiness=Readiness.MILESTONE)}
    down = EPOCH + T0 - 600  # ten minutes before this start
    host.zones["kz5"] = SUSPENDED_ZONE
    host.boot_times["kz5"] = [ZONE_BOOT]
    items = (
        replace(item("kz1"), down_since=down),
        replace(item("kz2"), down_since=down),
        replace(item("kz4"), down_since=down),
        item("kz5"),
        replace(item("kz3", Kind.VERIFY), down_since=down),
    )
    start_run = StartRun(
        StartPlan(items=items, left=()),
        policy(parallel=4, zones=zones),
        host,  # type: ignore[arg-type]
        Journal(str(tmp_path)),
        started=clock(),
        host_boot_time=HOST_BOOT,
        clock=clock,
        wall=lambda: EPOCH + clock(),
        sleep=clock.sleep,
        event_queue=clock.queue,
    )
    report = start_run.run()
    # kz1 is up when its boot returns (4s), not when it is ready (30s); kz4 too,
    # though cold; kz2 never came up, kz3 was found running (when, unknown), kz5's
    # suspend start is not recorded.
    assert {o.name: o.downtime for o in report.outcomes} == {
        "kz1": 604.0,
        "kz2": None,
        "kz3": None,
        "kz4": 603.0,
        "kz5": None,
    }
    document, _ = read_journal(str(tmp_path))
    assert document is not None
    assert document.start is not None
    zones_journalled = document.start.zones or {}
    assert {name: zone.downtime for name, zone in zones_journalled.items()} == {
        "kz1": 604.0,
        "kz2": None,
        "kz3": None,
        "kz4": 603.0,
        "kz5": None,
    }
    assert by_zone(report)["kz4"][0] == COLD_BOOTED


# -- planned from the recorded configurations, the live ones read meanwhile -----------


def run_surveyed(
    tmp_path: Path,
    plan: StartPlan,
    the_policy: Policy,
    host: FakeHost,
    survey: ScriptedSurvey,
) -> StartRun:
    start_run = make_run(tmp_path, plan, the_policy, host, survey=survey)
    start_run.run()
    return start_run


def test_each_boot_waits_for_its_own_configuration_and_none_passes_one_unread(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    host = fake_host(clock, "kz1", "kz2", "kz3", running=("kz4",))
    # kz2's and kz3's are read before kz1's: they still wait for it, the plan's first.
    survey = ScriptedSurvey(
        clock,
        {"kz2": (0.5, True), "kz3": (1.0, True), "kz1": (2.0, True), "kz9": (4.0, True)},
    )
    plan = StartPlan(
        items=(item("kz1"), item("kz2"), item("kz4", Kind.VERIFY), item("kz3")),
        left=(Left("kz9", "resume = false"),),
    )
    start_run = run_surveyed(tmp_path, plan, policy(parallel=2), host, survey)
    assert not start_run.replan
    # Two slots: kz1 and kz2 when kz1's arrives, the check of kz4 (no slot) at once
    # too, kz3 when the first boot ends (3 s each).
    assert boots(host) == [(T0 + 2, "kz1", ()), (T0 + 2, "kz2", ()), (T0 + 5, "kz3", ())]
    assert by_zone(start_run.report)["kz9"] == ("left alone", Severity.LEFT, 0.0, "resume = false")
    assert lines(caplog)[0] == "resuming kz1 (suspended at shutdown)"
    assert "kz9: left alone: resume = false" in lines(caplog)
    assert sorted(by_zone(start_run.report)) == ["kz1", "kz2", "kz3", "kz4", "kz9"]


def test_a_changed_configuration_begins_nothing_more_and_leaves_the_rest_to_a_new_plan(
    tmp_path: Path, clock: FakeClock
) -> None:
    host = fake_host(clock, "kz1", "kz2", "kz3")
    host.script("kz1", "boot", Step(10))
    survey = ScriptedSurvey(
        clock, {"kz1": (0.0, True), "kz3": (1.0, False), "kz2": (2.0, True), "kz9": (3.0, True)}
    )
    plan = StartPlan(
        items=(item("kz1"), item("kz2"), item("kz3")), left=(Left("kz9", "resume = false"),)
    )
    start_run = run_surveyed(tmp_path, plan, policy(parallel=3), host, survey)
    # kz1 began before kz3's was found changed; nothing after; kz1's resume was
    # waited for, and the zone left alone recorded when its own was read (its
    # decision is its own); kz2 and kz3 are for the next plan.
    assert start_run.replan
    assert boots(host) == [(T0, "kz1", ())]
    assert [(o.name, o.result) for o in start_run.report.outcomes] == [
        ("kz9", "left alone"),
        ("kz1", PRESERVED),
    ]
    assert clock() == T0 + 10


@pytest.mark.parametrize(
    ("survey_ends", "unmeasured"),
    [(2.5, ["kz1", "kz2"]), (0.75, []), (0.76, ["kz1", "kz2"])],
)
def test_a_resume_that_ran_mostly_beside_the_survey_is_not_measured(
    tmp_path: Path, clock: FakeClock, survey_ends: float, unmeasured: list[str]
) -> None:
    # kz1 and kz2 resume from T0 to T0+3 while the survey reads until kz9's
    # configuration arrives; kz3 from T0+3, after it.  Beside the survey for more
    # than a quarter of their 3 s (SURVEY_SHARE), their time measures the survey's
    # load as much as the storage: the pace counts them in flight, learns nothing.
    host = fake_host(clock, "kz1", "kz2", "kz3")
    arrivals = {"kz1": (0.0, True), "kz2": (0.0, True), "kz3": (0.0, True)}
    survey = ScriptedSurvey(clock, {**arrivals, "kz9": (survey_ends, True)})
    plan = StartPlan(
        items=(item("kz1"), item("kz2"), item("kz3")), left=(Left("kz9", "resume = false"),)
    )
    pace = ScriptedPace(2)
    make_run(tmp_path, plan, policy(), host, survey=survey, pace=pace).run()
    assert boots(host) == [(T0, "kz1", ()), (T0, "kz2", ()), (T0 + 3, "kz3", ())]
    assert sorted(call[:3] for call in pace.calls if call[0] == "ended") == [
        ("ended", "kz1", T0 + 3),
        ("ended", "kz2", T0 + 3),
        ("ended", "kz3", T0 + 6),
    ]
    assert sorted(pace.unmeasured) == unmeasured


def test_clear_of_the_survey_is_at_most_a_quarter_of_a_resume_s_life_beside_it() -> None:
    assert clear_of_survey(10.0, 14.0, None) is False  # still reading: its whole life
    assert clear_of_survey(10.0, 14.0, 11.0) is True  # a quarter
    assert clear_of_survey(10.0, 14.0, 11.5) is False
    assert clear_of_survey(10.0, 14.0, 9.0) is True  # begun after it ended
    assert clear_of_survey(10.0, 14.0, float("-inf")) is True  # no survey beside
    assert clear_of_survey(10.0, 10.0, None) is True  # no life to speak of


def test_at_the_deadline_a_zone_left_alone_is_recorded_as_decided_unread(
    tmp_path: Path, clock: FakeClock
) -> None:
    host = fake_host(clock, "kz1")
    survey = ScriptedSurvey(clock, {"kz1": (700.0, True), "kz9": (700.0, True)})
    plan = StartPlan(items=(item("kz1"),), left=(Left("kz9", "resume = false"),))
    start_run = run_surveyed(tmp_path, plan, policy(deadline=600.0), host, survey)
    assert not start_run.replan
    assert host.operations == []
    assert by_zone(start_run.report) == {
        "kz9": ("left alone", Severity.LEFT, 0.0, "resume = false"),
        "kz1": ("not started", Severity.ERROR, 0.0, "start deadline reached"),
    }


def test_each_change_of_the_pace_s_level_is_logged_as_its_boot_returns(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    # One at a time, then two once kz1's boot has returned (T0+3), then one again
    # after kz2's (T0+6): each change is logged when the pace hears of that end.
    host = fake_host(clock, "kz1", "kz2", "kz3", "kz4")
    for name in ("kz1", "kz2", "kz3", "kz4"):
        host.script(name, "boot", Step(3))
    pace = ScriptedPace(1, 2, 1)
    items = tuple(item(f"kz{n}") for n in range(1, 5))
    run_paced(tmp_path, items, policy(parallel=3), host, pace)
    assert host.started("boot") == [(T0, "kz1"), (T0 + 3, "kz2"), (T0 + 3, "kz3"), (T0 + 6, "kz4")]
    assert [line for line in lines(caplog) if "pace" in line] == [
        "resume pace: 2 at once (scripted)",
        "resume pace: 1 at once (scripted)",
    ]
    assert pace.changes == [
        LevelChange(T0 + 3, 2, "2 at once (scripted)"),
        LevelChange(T0 + 6, 1, "1 at once (scripted)"),
    ]


def test_when_the_pace_orders_for_another_number_the_boots_not_begun_are_ordered_again(
    tmp_path: Path, clock: FakeClock
) -> None:
    # Planned for one at a time (the 8G kz2 set second by hand); two run.  When kz1
    # returns the pace orders for 2: of kz3-kz6, two of the 2G images go first, then
    # the 6G kz6, all on the slot kz2's 8G image does not hold (start/order.py,
    # counting it in flight); counted as two free slots, kz6 would go second, at 3 s.
    sizes = {"kz1": 1, "kz2": 8, "kz3": 2, "kz4": 2, "kz5": 2, "kz6": 6}
    host = fake_host(clock, *sizes)
    seconds = {"kz1": 1, "kz2": 10, "kz3": 2, "kz4": 2, "kz5": 2, "kz6": 6}
    for name, boot in seconds.items():
        host.script(name, "boot", Step(boot))
    items = tuple(replace(item(name), image_bytes=size << 30) for name, size in sizes.items())
    pace = ScriptedPace(2, orders=(1, 2))
    run_paced(tmp_path, items, policy(parallel=2), host, pace)
    assert host.started("boot") == [
        (T0, "kz1"),
        (T0, "kz2"),
        (T0 + 1, "kz3"),
        (T0 + 3, "kz4"),
        (T0 + 5, "kz6"),
        (T0 + 10, "kz5"),
    ]
    # A pace whose order does not change leaves the plan's order.
    host = fake_host(clock, *sizes)
    for name, boot in seconds.items():
        host.script(name, "boot", Step(boot))
    run_paced(tmp_path / "same", items, policy(parallel=2), host, ScriptedPace(2))
    assert [name for _, name in host.started("boot")] == list(sizes)

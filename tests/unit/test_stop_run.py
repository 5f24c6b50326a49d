"""StopRun on a fake clock and a fake host (tests/unit/fakes.py): slots, fallbacks,
timeouts, the budget and the deadline, to the fake second, in milliseconds.

The end-to-end runs through the simulator are tests/integration/test_stop.py."""

from __future__ import annotations

import logging
import re
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from kzguard.errors import CommandFailed
from kzguard.journal.document import StopCycle
from kzguard.journal.history import PaceSample
from kzguard.journal.pace_record import LevelChange
from kzguard.journal.records import (
    BootTimeEvidence,
    StopOutcome,
    Transition,
    UnknownState,
    ZoneRecord,
    ZoneState,
)
from kzguard.journal.store import Journal, read_journal
from kzguard.pace.auto import AutoPace
from kzguard.pace.choose import pace_for
from kzguard.pace.limit import Pace
from kzguard.policy.model import Action
from kzguard.stop.outcome import StopReport
from kzguard.stop.plan import StopPlan, ZonePlan
from kzguard.stop.run import StopRun
from tests.unit.fakes import (
    HALTED_ZONE,
    RUNNING_ZONE,
    SUSPENDED_ZONE,
    ZLOGIN,
    FailingPools,
    FakeClock,
    FakeHost,
    FakePools,
    NoPoolSamples,
    OneSample,
    ScriptedSurvey,
    Step,
)
from tests.unit.plans import CHAIN, HALT, SHUTDOWN, SUSPEND, G, taken, zone_plan

T0 = 1000.0  # the fake clock's start
ENOSPC = "zoneadm: zone 'kz1': suspend failed: No space left on device"
LOGGER = "kzguard.stop.run"


@pytest.fixture
def clock() -> Iterator[FakeClock]:
    fake = FakeClock(T0)
    yield fake
    fake.close()  # a hung step returns, so its thread ends


@pytest.fixture(autouse=True)
def info_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)


def stop_plan(
    *zones: ZonePlan, deadline: float = 300.0, reserve: float = 10.0, parallel: int = 2
) -> StopPlan:
    return StopPlan(deadline=deadline, reserve=reserve, parallel=parallel, zones=zones, skipped=())


def running(*names: str) -> dict[str, tuple[str, tuple[str, ...]] | None]:
    return dict.fromkeys(names, RUNNING_ZONE)


def zones_taking(
    clock: FakeClock, count: int, step: str, seconds: float
) -> tuple[list[str], FakeHost]:
    """kz1 ... kzCOUNT running, each one's ``step`` taking ``seconds``."""
    names = [f"kz{index}" for index in range(1, count + 1)]
    host = FakeHost(clock, running(*names))
    for name in names:
        host.script(name, step, Step(seconds))
    return names, host


def make_run(
    tmp_path: Path,
    plan: StopPlan,
    host: FakeHost,
    *,
    record_boot_time: bool = False,
    pace: Pace | None = None,
    journal: Journal | None = None,
    pools: FakePools | FailingPools | None = None,
    survey: ScriptedSurvey | None = None,
) -> StopRun:
    """A StopRun on ``host``'s fake clock, its journal's cycle begun."""
    journal = journal or Journal(str(tmp_path))
    journal.begin_cycle(StopCycle(started=1.0))
    return StopRun(
        plan,
        host,  # type: ignore[arg-type]
        journal,
        record_boot_time=record_boot_time,
        clock=host.clock,
        event_queue=host.clock.queue,
        pace=pace,
        pools=pools,  # type: ignore[arg-type]
        survey=survey,  # type: ignore[arg-type]
    )


def run(tmp_path: Path, plan: StopPlan, host: FakeHost, **options: Any) -> StopReport:
    """:func:`make_run` (``options``: its keywords), run to its end."""
    return make_run(tmp_path, plan, host, **options).run()


def transitions(tmp_path: Path, name: str) -> list[Transition]:
    """The zone's transitions as flushed to journal.json."""
    document, problem = read_journal(str(tmp_path))
    assert problem is None
    assert document is not None
    assert document.cycle is not None
    return list(document.cycle.zones[name].transitions)


def states(tmp_path: Path, name: str) -> list[str]:
    return [
        transition.state.value if isinstance(transition.state, ZoneState) else str(transition.state)
        for transition in transitions(tmp_path, name)
    ]


def lines(caplog: pytest.LogCaptureFixture, zone: str | None = None) -> list[str]:
    """The executor's log lines (about ``zone``), in the order they were logged."""
    found = [record.getMessage() for record in caplog.records if record.name == LOGGER]
    if zone is None:
        return found
    return [line for line in found if re.search(rf"\b{zone}\b", line)]


# -- slots and order ------------------------------------------------------------


def test_parallel_slots_never_exceed_parallel_and_are_refilled_in_plan_order(
    tmp_path: Path, clock: FakeClock
) -> None:
    host = FakeHost(clock, running("kz1", "kz2", "kz3", "kz4", "kz5"))
    for name, seconds in {"kz3": 30, "kz1": 10, "kz5": 10, "kz2": 5, "kz4": 5}.items():
        host.script(name, "suspend", Step(seconds))
    plan = stop_plan(*(zone_plan(name) for name in ("kz3", "kz1", "kz5", "kz2", "kz4")))
    report = run(tmp_path, plan, host)
    # kz1's slot frees first (t=10) and goes to kz5, next in the plan, not to kz2.
    assert host.started() == [
        (T0, "kz1"),
        (T0, "kz3"),
        (T0 + 10, "kz5"),
        (T0 + 20, "kz2"),
        (T0 + 25, "kz4"),
    ]
    assert host.peak == 2
    assert report.outcomes == [
        StopOutcome("kz3", ZoneState.SUSPENDED, 30.0),
        StopOutcome("kz1", ZoneState.SUSPENDED, 10.0),
        StopOutcome("kz5", ZoneState.SUSPENDED, 10.0),
        StopOutcome("kz2", ZoneState.SUSPENDED, 5.0),
        StopOutcome("kz4", ZoneState.SUSPENDED, 5.0),
    ]
    assert report.elapsed == 30.0
    assert report.own_failures == []
    for name in ("kz1", "kz2", "kz3", "kz4", "kz5"):
        assert states(tmp_path, name) == ["suspending", "suspended"]
        assert host.zones[name] == SUSPENDED_ZONE
    assert transitions(tmp_path, "kz3")[0].timeout == 60.0
    assert transitions(tmp_path, "kz3")[1].seconds == 30.0
    assert clock.elapsed == 30.0


class ScriptedPace(NoPoolSamples):
    """A pace whose limit is ``limits[n]`` once n suspends have ended (the last
    repeats), and which records what it is told."""

    def __init__(self, *limits: int, opens: float | None = None) -> None:
        self.limits = limits
        self.began_calls: list[tuple[str, int, float]] = []
        self.ended_calls: list[tuple[str, float, bool, int | None]] = []
        self.measured: dict[str, bool] = {}
        self.opens = opens  # from then on, one slot more (woken for it)
        self.asked: list[float | None] = []
        self.changes: list[LevelChange] = []

    def limit(self, at: float | None = None) -> int:
        self.asked.append(at)
        extra = self.opens is not None and at is not None and at >= self.opens
        return self.level() + extra

    def wake(self, at: float) -> float | None:
        return self.opens if self.opens is not None and at < self.opens else None

    def began(self, zone: str, nbytes: int, at: float) -> None:
        self.began_calls.append((zone, nbytes, at))

    def ended(
        self, zone: str, at: float, *, ok: bool, nbytes: int | None = None, measured: bool = True
    ) -> None:
        before = self.level()
        self.ended_calls.append((zone, at, ok, nbytes))
        self.measured[zone] = measured
        if self.level() != before:
            self.changes.append(LevelChange(at, self.level(), f"scripted: {self.level()} at once"))

    def level(self) -> int:
        return self.limits[min(len(self.ended_calls), len(self.limits) - 1)]

    def why(self) -> str:
        return f"scripted: {self.limits[0]}"

    def level_changes(self) -> list[LevelChange]:
        return self.changes

    def order_for(self) -> int:
        return self.limits[0]


class SampledPace(ScriptedPace):
    """A scripted pace that wants the pools' bandwidth until its first window."""

    def __init__(self, *limits: int) -> None:
        super().__init__(*limits)
        self.pools = OneSample()

    def wants_samples(self) -> bool:
        return self.pools.wants_samples()

    def sampled(self, start: float, stop: float, nbytes: float) -> None:
        self.pools.sampled(start, stop, nbytes)

    def verdict(self) -> str | None:
        return self.pools.verdict()


def test_the_pace_is_asked_before_each_start_and_told_of_each_suspend(
    tmp_path: Path, clock: FakeClock
) -> None:
    # Limit 1, then 3 once kz1 has ended, then 1 once three suspends have ended.
    # kz5's suspend fails and it falls back to a shutdown, which keeps its slot:
    # kz6 waits for both kz4 and kz5's shutdown (T0+30), and the pace hears of
    # suspends alone.
    host = FakeHost(clock, running("kz1", "kz2", "kz3", "kz4", "kz5", "kz6"))
    for name, seconds in {"kz2": 5, "kz4": 20}.items():
        host.script(name, "suspend", Step(seconds))
    host.script("kz5", "suspend", Step(10, error=ENOSPC))
    pace = ScriptedPace(1, 3, 3, 1)
    # The pace hears the size of the image a suspend wrote, when its file can be
    # read (kz2's); kz4's path has no file, kz5's suspend failed (not read).
    images = {name: f"/system/zones/{name}/suspend" for name in ("kz2", "kz4", "kz5")}
    host.images[images["kz2"]] = 3 << 30
    host.images[images["kz5"]] = 1 << 30
    plans = [zone_plan(f"kz{n}") for n in range(1, 7)]
    plans = [replace(entry, image_path=images.get(entry.name)) for entry in plans]
    plan = stop_plan(*plans, parallel=2)
    report = run(tmp_path, plan, host, pace=pace)
    assert host.started() == [
        (T0, "kz1"),
        (T0 + 10, "kz2"),
        (T0 + 10, "kz3"),
        (T0 + 10, "kz4"),
        (T0 + 15, "kz5"),
        (T0 + 25, "kz5"),  # its fallback shutdown
        (T0 + 30, "kz6"),
    ]
    assert host.peak == 3
    assert sorted(pace.began_calls, key=lambda call: (call[2], call[0])) == [
        ("kz1", 4 << 30, T0),
        ("kz2", 4 << 30, T0 + 10),
        ("kz3", 4 << 30, T0 + 10),
        ("kz4", 4 << 30, T0 + 10),
        ("kz5", 4 << 30, T0 + 15),
        ("kz6", 4 << 30, T0 + 30),
    ]
    assert pace.ended_calls == [
        ("kz1", T0 + 10, True, None),
        ("kz2", T0 + 15, True, 3 << 30),
        ("kz3", T0 + 20, True, None),
        ("kz5", T0 + 25, False, None),
        ("kz4", T0 + 30, True, None),
        ("kz6", T0 + 40, True, None),
    ]
    assert sorted(host.image_reads) == [images["kz2"], images["kz4"]]
    assert [(outcome.name, outcome.result, outcome.image_bytes) for outcome in report.outcomes] == [
        ("kz1", ZoneState.SUSPENDED, None),
        ("kz2", ZoneState.SUSPENDED, 3 << 30),
        ("kz3", ZoneState.SUSPENDED, None),
        ("kz4", ZoneState.SUSPENDED, None),
        ("kz5", ZoneState.SHUT_DOWN, None),
        ("kz6", ZoneState.SUSPENDED, None),
    ]
    assert report.elapsed == 40.0


def test_the_scheduler_wakes_when_the_pace_allows_one_more_and_asks_it_with_the_time(
    tmp_path: Path, clock: FakeClock
) -> None:
    # One at a time, and one more from T0+4 on (an auto pace's suspend due to end
    # within its fixed time): nothing else happens at T0+4, the scheduler wakes
    # for it; kz3 waits for kz1's end, when two are allowed and one is in flight.
    # The pace is asked only when something can change what starts.
    host = FakeHost(clock, running("kz1", "kz2", "kz3"))
    pace = ScriptedPace(1, opens=T0 + 4)
    plan = stop_plan(*(zone_plan(f"kz{n}") for n in range(1, 4)), parallel=3)
    run(tmp_path, plan, host, pace=pace)
    assert host.started() == [(T0, "kz1"), (T0 + 4, "kz2"), (T0 + 10, "kz3")]
    assert pace.asked == [T0, T0 + 4, T0 + 10]


def test_the_pace_hears_of_a_suspends_end_and_image_before_its_slot_is_freed(
    tmp_path: Path, clock: FakeClock
) -> None:
    # The pace is asked before the next start: it must have heard of this end, with
    # the image's size, before the zone's slot is freed (and its result journalled).
    host = FakeHost(clock, running("kz1", "kz2"))
    path = "/system/zones/kz1/suspend"
    host.images[path] = 3 << 30
    journal = Journal(str(tmp_path))
    seen: list[tuple[str, list[ZoneState | UnknownState], list[tuple[float, str]]]] = []

    class Watching(ScriptedPace):
        def ended(
            self,
            zone: str,
            at: float,
            *,
            ok: bool,
            nbytes: int | None = None,
            measured: bool = True,
        ) -> None:
            cycle = journal.cycle
            assert cycle is not None
            states = [transition.state for transition in cycle.zones[zone].transitions]
            seen.append((zone, states, host.started()))
            super().ended(zone, at, ok=ok, nbytes=nbytes)

    pace = Watching(1)
    plan = stop_plan(replace(zone_plan("kz1"), image_path=path), zone_plan("kz2"))
    run(tmp_path, plan, host, pace=pace, journal=journal)
    assert seen == [
        ("kz1", [ZoneState.SUSPENDING], [(T0, "kz1")]),
        ("kz2", [ZoneState.SUSPENDING], [(T0, "kz1"), (T0 + 10, "kz2")]),
    ]
    assert pace.ended_calls == [
        ("kz1", T0 + 10, True, 3 << 30),
        ("kz2", T0 + 20, True, None),
    ]
    assert host.image_reads == [path]


def test_a_planned_halt_takes_no_slot_whatever_the_pace(tmp_path: Path, clock: FakeClock) -> None:
    host = FakeHost(clock, running("kz1", "kz2", "kz3"))
    pace = ScriptedPace(1)
    plan = stop_plan(
        zone_plan("kz1"),
        zone_plan("kz2", HALT, note="zone is shutting_down: only halt applies"),
        zone_plan("kz3", SHUTDOWN, HALT),
        parallel=3,
    )
    run(tmp_path, plan, host, pace=pace)
    # The planned shutdown holds a slot like a suspend: kz3 waits for kz1.
    assert host.started() == [(T0, "kz1"), (T0, "kz2"), (T0 + 10, "kz3")]
    assert pace.began_calls == [("kz1", 4 << 30, T0)]
    assert pace.ended_calls == [("kz1", T0 + 10, True, None)]


def test_the_log_names_each_step_its_position_and_its_prediction(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    host = FakeHost(clock, running("kz1", "kz2"))
    host.script("kz2", "shutdown", Step(7))
    plan = stop_plan(zone_plan("kz1"), zone_plan("kz2", SHUTDOWN, HALT), parallel=1)
    run(tmp_path, plan, host)
    assert lines(caplog) == [
        "suspending kz1 (1/2, 4G, expected 10.0s)",
        "kz1 suspended in 10.0s",
        "shutting down kz2 (2/2, timeout 30s)",
        "kz2 shut down in 7.0s",
    ]


def test_after_makes_a_zone_wait_for_the_zones_it_must_stop_before(
    tmp_path: Path, clock: FakeClock
) -> None:
    # kz1 waits for kz2 and kz3 for kz1, though slots are free: kz4 does not wait.
    host = FakeHost(clock, running("kz1", "kz2", "kz3", "kz4"))
    host.script("kz4", "suspend", Step(5))
    plan = stop_plan(
        zone_plan("kz2"),
        zone_plan("kz1", waits_for=("kz2",)),
        zone_plan("kz3", waits_for=("kz1",)),
        zone_plan("kz4"),
        parallel=3,
    )
    report = run(tmp_path, plan, host)
    assert host.started() == [(T0, "kz2"), (T0, "kz4"), (T0 + 10, "kz1"), (T0 + 20, "kz3")]
    assert report.elapsed == 30.0
    assert [outcome.name for outcome in report.outcomes] == ["kz2", "kz1", "kz3", "kz4"]


def test_a_zone_waited_for_releases_its_dependants_however_it_ends(
    tmp_path: Path, clock: FakeClock
) -> None:
    host = FakeHost(clock, running("kz1", "kz2"))
    host.script("kz2", "suspend", Step(4, error=ENOSPC, leaves=HALTED_ZONE))
    plan = stop_plan(zone_plan("kz2"), zone_plan("kz1", waits_for=("kz2",)))
    report = run(tmp_path, plan, host)
    assert host.started() == [(T0, "kz2"), (T0 + 4, "kz1")]
    assert [(outcome.name, outcome.result) for outcome in report.outcomes] == [
        ("kz2", ZoneState.LOST),
        ("kz1", ZoneState.SUSPENDED),
    ]


# -- fallbacks after a fresh look at the zone ------------------------------------------


def test_a_failed_suspend_of_a_zone_still_running_falls_back_to_shutdown(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    host = FakeHost(clock, running("kz1"))
    host.script("kz1", "suspend", Step(2, error=ENOSPC))
    report = run(tmp_path, stop_plan(zone_plan("kz1")), host)
    failure = f"suspend failed: {ENOSPC}"
    assert report.outcomes == [StopOutcome("kz1", ZoneState.SHUT_DOWN, 5.0, failure)]
    assert host.state_reads == [(T0 + 2, "kz1")]
    assert [(op.action, op.timeout, op.result) for op in host.operations] == [
        ("suspend", 60.0, "failed"),
        ("shutdown", 30.0, "ok"),
    ]
    assert states(tmp_path, "kz1") == ["suspending", "shutting-down", "shut-down"]
    done = transitions(tmp_path, "kz1")[-1]
    assert (done.seconds, done.reason) == (5.0, failure)
    assert lines(caplog) == [
        "suspending kz1 (1/1, 4G, expected 10.0s)",
        f"kz1: {failure} after 2.0s; zone is running",
        "shutting down kz1 (1/1, timeout 30s, fallback)",
        "kz1 shut down in 5.0s",
    ]


def test_a_failed_shutdown_of_a_zone_still_running_falls_back_to_halt(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    host = FakeHost(clock, running("kz1"))
    host.script("kz1", "suspend", Step(2, error=ENOSPC))
    host.script("kz1", "shutdown", Step(3, error="zoneadm: zone 'kz1': shutdown refused"))
    report = run(tmp_path, stop_plan(zone_plan("kz1")), host)
    reason = f"suspend failed: {ENOSPC}; shutdown failed: zoneadm: zone 'kz1': shutdown refused"
    assert report.outcomes == [StopOutcome("kz1", ZoneState.HALTED, 1.0, reason)]
    assert host.state_reads == [(T0 + 2, "kz1"), (T0 + 5, "kz1")]
    assert states(tmp_path, "kz1") == [
        "suspending",
        "shutting-down",
        "halting",
        "halted",
    ]
    assert [transition.timeout for transition in transitions(tmp_path, "kz1")[:3]] == [
        60.0,
        30.0,
        10.0,
    ]
    assert lines(caplog)[-3:] == [
        "kz1: shutdown failed: zoneadm: zone 'kz1': shutdown refused after 3.0s; zone is running",
        "halting kz1 (1/1, timeout 10s, fallback)",
        "kz1 halted in 1.0s",
    ]
    assert host.zones["kz1"] == HALTED_ZONE


def test_a_zone_found_suspended_after_a_failed_suspend_is_done(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    host = FakeHost(clock, running("kz1"))
    host.script("kz1", "suspend", Step(3, error=ENOSPC, leaves=SUSPENDED_ZONE))
    report = run(tmp_path, stop_plan(zone_plan("kz1")), host)
    reason = f"suspend failed: {ENOSPC}; but the zone is suspended"
    assert report.outcomes == [StopOutcome("kz1", ZoneState.SUSPENDED, 3.0, reason)]
    assert [op.action for op in host.operations] == ["suspend"]
    assert states(tmp_path, "kz1") == ["suspending", "suspended"]
    assert transitions(tmp_path, "kz1")[-1].reason == reason
    assert lines(caplog)[-1] == f"kz1 suspended in 3.0s ({reason})"


def test_a_zone_halted_without_an_image_after_a_failed_suspend_is_lost(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    host = FakeHost(clock, running("kz1"))
    host.script("kz1", "suspend", Step(4, error=ENOSPC, leaves=HALTED_ZONE))
    report = run(tmp_path, stop_plan(zone_plan("kz1")), host)
    reason = f"suspend failed: {ENOSPC}; down without a suspend image"
    assert report.outcomes == [StopOutcome("kz1", ZoneState.LOST, 4.0, reason)]
    assert [op.action for op in host.operations] == ["suspend"]  # nothing left to stop
    assert states(tmp_path, "kz1") == ["suspending", "lost"]
    assert lines(caplog)[-1] == f"kz1: state lost: {reason}"
    assert report.errors == 1


def test_a_zone_found_down_after_a_failed_shutdown_is_shut_down(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    host = FakeHost(clock, running("kz1"))
    host.script(
        "kz1", "shutdown", Step(6, error="zoneadm: zone 'kz1': timed out", leaves=HALTED_ZONE)
    )
    report = run(tmp_path, stop_plan(zone_plan("kz1", SHUTDOWN, HALT)), host)
    reason = "shutdown failed: zoneadm: zone 'kz1': timed out; but the zone is down"
    assert report.outcomes == [StopOutcome("kz1", ZoneState.SHUT_DOWN, 6.0, reason)]
    assert states(tmp_path, "kz1") == ["shutting-down", "shut-down"]
    assert lines(caplog)[-1] == f"kz1 shut down in 6.0s ({reason})"


def test_a_zone_gone_after_a_failed_step_is_a_failure(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    host = FakeHost(clock, running("kz1"))
    host.script("kz1", "suspend", Step(2, error=ENOSPC, gone=True))
    report = run(tmp_path, stop_plan(zone_plan("kz1")), host)
    reason = f"suspend failed: {ENOSPC}; zone no longer configured"
    assert report.outcomes == [StopOutcome("kz1", ZoneState.FAILED, 2.0, reason)]
    assert states(tmp_path, "kz1") == ["suspending", "failed"]
    assert lines(caplog)[-1] == f"kz1: {reason}"


def test_a_zone_whose_state_cannot_be_read_gets_its_next_step(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    host = FakeHost(clock, running("kz1"))
    host.script("kz1", "suspend", Step(2, error=ENOSPC))
    unreadable = CommandFailed(("/usr/sbin/zoneadm", "list", "-p"), 1, "zoneadm: busy")
    host.unreadable["kz1"] = unreadable
    report = run(tmp_path, stop_plan(zone_plan("kz1")), host)
    reason = f"suspend failed: {ENOSPC}; state unknown: {unreadable}"
    assert report.outcomes == [StopOutcome("kz1", ZoneState.SHUT_DOWN, 5.0, reason)]
    assert states(tmp_path, "kz1") == ["suspending", "shutting-down", "shut-down"]
    assert f"kz1: suspend failed: {ENOSPC}; its state cannot be read: {unreadable}" in lines(caplog)


def test_a_step_that_times_out_counts_as_failed_and_the_next_step_is_chosen(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    host = FakeHost(clock, running("kz1"))
    host.script("kz1", "suspend", Step(100))  # longer than its 60s timeout
    report = run(tmp_path, stop_plan(zone_plan("kz1")), host)
    reason = "suspend timed out after 1m"
    assert report.outcomes == [StopOutcome("kz1", ZoneState.SHUT_DOWN, 5.0, reason)]
    assert report.suspends_timed_out == {"kz1": 60.0}  # for history.json (stop/path.py)
    assert [(op.action, op.began, op.ended, op.result) for op in host.operations] == [
        ("suspend", T0, T0 + 60, "timed out"),
        ("shutdown", T0 + 60, T0 + 65, "ok"),
    ]
    # Looked at after the timeout, and after the shutdown: the killed suspend may
    # have ended behind it (test_a_suspend_that_ended_behind_its_fallback_...).
    assert host.state_reads == [(T0 + 60, "kz1"), (T0 + 65, "kz1")]
    assert states(tmp_path, "kz1") == ["suspending", "shutting-down", "shut-down"]
    # A timeout's reason already says how long: no "after 1m" a second time.
    assert "kz1: suspend timed out after 1m; zone is running" in lines(caplog)


def test_a_missing_zoneadm_is_kzguards_own_failure_and_leaves_the_zone(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    host = FakeHost(clock, running("kz1"))
    host.script("kz1", "suspend", Step(0, missing=True))
    report = run(tmp_path, stop_plan(zone_plan("kz1")), host)
    message = (
        "/usr/sbin/zoneadm -z kz1 suspend: cannot run /usr/sbin/zoneadm: No such file or directory"
    )
    assert report.own_failures == [message]
    assert report.outcomes == [StopOutcome("kz1", ZoneState.FAILED, 0.0, message)]
    assert [op.action for op in host.operations] == ["suspend"]
    assert states(tmp_path, "kz1") == ["suspending", "failed"]
    assert transitions(tmp_path, "kz1")[-1].reason == message
    assert lines(caplog)[-1] == message


# -- the budget and the deadline ---------------------------------------------------


def test_after_the_budget_only_halts_start(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    # Budget 90s of a 100s deadline; one slot.  kz1's suspend is cut at the budget,
    # its shutdown has no time left, and it is halted in the reserve; kz2 is only
    # halted; kz3, whose chain has no halt, is left running.
    host = FakeHost(clock, running("kz1", "kz2", "kz3"))
    host.script("kz1", "suspend", Step(200))
    plan = stop_plan(
        zone_plan("kz1", timeouts=(120.0, 30.0, 10.0)),
        zone_plan("kz2"),
        zone_plan("kz3", SUSPEND),
        deadline=100.0,
        reserve=10.0,
        parallel=1,
    )
    report = run(tmp_path, plan, host)
    assert sorted((op.began, op.zone, op.action, op.timeout) for op in host.operations) == [
        (T0, "kz1", "suspend", 90.0),  # the budget, not its own 120s
        (T0 + 90, "kz1", "halt", 10.0),
        (T0 + 90, "kz2", "halt", 10.0),
    ]
    assert report.outcomes == [
        StopOutcome(
            "kz1", ZoneState.HALTED, 1.0, "suspend timed out after 1m30s; no time left to shutdown"
        ),
        StopOutcome("kz2", ZoneState.HALTED, 1.0, "no time left to suspend or shut down"),
        StopOutcome("kz3", ZoneState.FAILED, 0.0, "no time left to suspend"),
    ]
    # Cut at the budget's end, not its own timeout: the next plan tries it again.
    assert report.suspends_timed_out == {"kz1": 90.0}
    assert states(tmp_path, "kz1") == ["suspending", "halting", "halted"]
    assert states(tmp_path, "kz2") == ["halting", "halted"]
    assert states(tmp_path, "kz3") == ["failed"]
    assert "halting kz2 (2/3, timeout 10s, fallback)" in lines(caplog)
    assert "kz3: left running: no time left to suspend" in lines(caplog)
    assert report.elapsed == 91.0


def test_a_suspend_reached_too_late_to_end_in_the_budget_gives_way_to_its_shutdown(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    # Budget 90s, one slot, each suspend expected to take 10s.  kz1's takes 85s:
    # kz2 is reached with 5s left and shut down instead of suspended (begun, its
    # suspend would be cut at the budget and the zone halted in the reserve).  kz3,
    # reached with 4s left, has no shutdown to give way to: its halt runs in the
    # reserve whatever, so its suspend is tried, and ends in time.
    host = FakeHost(clock, running("kz1", "kz2", "kz3"))
    host.script("kz1", "suspend", Step(85))
    host.script("kz2", "shutdown", Step(1))
    host.script("kz3", "suspend", Step(3))
    plan = stop_plan(
        zone_plan("kz1", timeouts=(120.0, 30.0, 10.0)),
        zone_plan("kz2"),
        zone_plan("kz3", SUSPEND, HALT),
        deadline=100.0,
        reserve=10.0,
        parallel=1,
    )
    report = run(tmp_path, plan, host)
    assert [(op.began, op.zone, op.action, op.timeout) for op in host.operations] == [
        (T0, "kz1", "suspend", 90.0),
        (T0 + 85, "kz2", "shutdown", 5.0),
        (T0 + 86, "kz3", "suspend", 4.0),
    ]
    doomed = "expected suspend 10.0s exceeds the 5.0s left of the budget"
    assert report.outcomes == [
        StopOutcome("kz1", ZoneState.SUSPENDED, 85.0),
        StopOutcome("kz2", ZoneState.SHUT_DOWN, 1.0, doomed),
        StopOutcome("kz3", ZoneState.SUSPENDED, 3.0),
    ]
    assert states(tmp_path, "kz2") == ["shutting-down", "shut-down"]
    assert transitions(tmp_path, "kz2")[-1].reason == doomed
    assert lines(caplog, "kz2") == [
        f"kz2: {doomed}: shutting down instead",
        "shutting down kz2 (2/3, timeout 5s, fallback)",
        "kz2 shut down in 1.0s",
    ]


def scripted(clock: FakeClock, *steps: tuple[str, str, float]) -> FakeHost:
    """A host whose running zones' steps take the seconds given: (zone, step, seconds)."""
    host = FakeHost(clock, running(*dict.fromkeys(zone for zone, _, _ in steps)))
    for zone, step, seconds in steps:
        host.script(zone, step, Step(seconds))
    return host


def began(host: FakeHost) -> list[tuple[float, str, str, float | None]]:
    """The steps the host ran, in the order they began: when, zone, step, timeout."""
    return sorted((op.began, op.zone, op.action, op.timeout) for op in host.operations)


def test_a_guessed_suspend_reached_late_is_judged_at_the_rate_this_stop_measured(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    # One slot, budget 90s.  kz2 and kz3 were predicted on the assumed rate alone
    # (60s, their timeout).  kz1 writes its 4G in 40s (102.4M/s): kz2's 4G takes
    # 40s of the 50s left, so it is suspended, not shut down on the guess; kz3's
    # 8G would take 1m20s of the 10s left then, and is shut down instead.
    host = scripted(clock, ("kz1", "suspend", 40), ("kz2", "suspend", 40), ("kz3", "shutdown", 2))
    plan = stop_plan(
        zone_plan("kz1"),
        replace(zone_plan("kz2"), expected=60.0, guessed=True),
        replace(zone_plan("kz3"), memory=8 * G, expected=60.0, guessed=True),
        deadline=100.0,
        parallel=1,
    )
    report = run(tmp_path, plan, host)
    assert began(host) == [
        (T0, "kz1", "suspend", 60.0),
        (T0 + 40, "kz2", "suspend", 50.0),
        (T0 + 80, "kz3", "shutdown", 10.0),
    ]
    doomed = (
        "expected suspend 1m20s (8G at this stop's 102.4M/s of 2 suspend(s)) exceeds the 10.0s "
        "left of the budget"
    )
    assert report.outcomes[1:] == [
        StopOutcome("kz2", ZoneState.SUSPENDED, 40.0),
        StopOutcome("kz3", ZoneState.SHUT_DOWN, 2.0, doomed),
    ]
    assert lines(caplog, "kz3")[0] == f"kz3: {doomed}: shutting down instead"


PROMOTABLE_NOTE = (
    "expected to end at 1m40s, after the 1m30s budget: starting with shutdown, unless this "
    "stop's first suspends show it fits"
)


def promotable(name: str, *steps: Action) -> ZonePlan:
    """A zone the plan's budget fit took the suspend from, planned to ``steps``."""
    return taken(name, *steps, note=PROMOTABLE_NOTE)


def test_a_zone_the_budget_took_the_suspend_from_is_suspended_once_this_stop_shows_it_fits(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    # Budget 90s, two slots.  kz3, planned to halt, comes first in the plan (a halt
    # takes no slot), but waits until this stop's suspends are measured: kz1 and kz2
    # write 4G each in 4s, 1G/s, so kz3's 16G takes 16s, which leaves its shutdown's
    # 30s inside the 86s left.  Its suspend is given until then: 56s.
    host = scripted(clock, ("kz1", "suspend", 4), ("kz2", "suspend", 4), ("kz3", "suspend", 16))
    plan = stop_plan(
        promotable("kz3", HALT), zone_plan("kz1"), zone_plan("kz2"), deadline=100.0, parallel=2
    )
    journal = Journal(str(tmp_path))
    stop = make_run(tmp_path, plan, host, journal=journal)
    planned = ZoneRecord(action=SUSPEND, intent=(HALT,), note=PROMOTABLE_NOTE)
    journal.begin_cycle(StopCycle(started=1.0, zones={"kz3": planned}))
    report = stop.run()
    assert began(host) == [
        (T0, "kz1", "suspend", 60.0),
        (T0, "kz2", "suspend", 60.0),
        (T0 + 4, "kz3", "suspend", 56.0),
    ]
    assert report.outcomes == [
        StopOutcome("kz3", ZoneState.SUSPENDED, 16.0),
        StopOutcome("kz1", ZoneState.SUSPENDED, 4.0),
        StopOutcome("kz2", ZoneState.SUSPENDED, 4.0),
    ]
    why = (
        "2 suspend(s) of this stop ran at 1G/s: expected 16.0s, all left done within 16.0s of "
        "the 1m26s left"
    )
    assert lines(caplog, "kz3") == [
        f"kz3: suspending after all: {why}",
        "suspending kz3 (1/3, 16G, expected 16.0s)",
        "kz3 suspended in 16.0s",
    ]
    assert states(tmp_path, "kz3") == ["suspending", "suspended"]
    document, _ = read_journal(str(tmp_path))
    assert document is not None
    assert document.cycle is not None
    record = document.cycle.zones["kz3"]
    assert (record.intent, record.note) == (CHAIN, f"suspended after all: {why}")


def test_a_zone_the_budget_took_the_suspend_from_keeps_its_plan_when_this_stop_is_slow(
    tmp_path: Path, clock: FakeClock
) -> None:
    # kz1 and kz2 write 4G each in 40s, 100M/s: kz3's 16G would take 2m40s of the
    # 50s left, which only shrinks.  kz3, planned to halt, halts then, in no slot.
    host = scripted(clock, ("kz1", "suspend", 40), ("kz2", "suspend", 40), ("kz3", "halt", 1))
    plan = stop_plan(
        promotable("kz3", HALT), zone_plan("kz1"), zone_plan("kz2"), deadline=100.0, parallel=2
    )
    report = run(tmp_path, plan, host)
    assert began(host) == [
        (T0, "kz1", "suspend", 60.0),
        (T0, "kz2", "suspend", 60.0),
        (T0 + 40, "kz3", "halt", 10.0),
    ]
    assert report.outcomes == [
        StopOutcome("kz3", ZoneState.HALTED, 1.0, PROMOTABLE_NOTE),
        StopOutcome("kz1", ZoneState.SUSPENDED, 40.0),
        StopOutcome("kz2", ZoneState.SUSPENDED, 40.0),
    ]
    assert states(tmp_path, "kz3") == ["halting", "halted"]


def beside_two_large(kz3: ZonePlan) -> StopPlan:
    """kz1 and kz2 (4G each), ``kz3``, then kz4 and kz5 (64G each): a budget of 90s
    on two slots."""
    large = [zone_plan(name, memory=64 * G) for name in ("kz4", "kz5")]
    return stop_plan(zone_plan("kz1"), zone_plan("kz2"), kz3, *large, deadline=100.0, parallel=2)


def test_a_zone_planned_to_halt_waits_while_its_suspend_could_still_fit(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    # At 4s, kz1 and kz2 measured 1G/s: kz3's 16G and its shutdown's 30s fit the
    # 86s left, but not beside kz4's and kz5's 64G (64s each on two slots).  kz3
    # keeps running, and at 24s, those having written at 3.2G/s, it fits.
    host = scripted(
        clock,
        *(("kz1", "suspend", 4), ("kz2", "suspend", 4), ("kz3", "suspend", 5)),
        *(("kz4", "suspend", 20), ("kz5", "suspend", 20)),
    )
    run(tmp_path, beside_two_large(promotable("kz3", HALT)), host)
    assert began(host) == [
        (T0, "kz1", "suspend", 60.0),
        (T0, "kz2", "suspend", 60.0),
        (T0 + 4, "kz4", "suspend", 60.0),
        (T0 + 4, "kz5", "suspend", 60.0),
        (T0 + 24, "kz3", "suspend", 36.0),
    ]
    assert lines(caplog, "kz3")[0] == (
        "kz3: suspending after all: 4 suspend(s) of this stop ran at 3.2G/s: expected 5.0s, "
        "all left done within 5.0s of the 1m6s left"
    )


def test_a_zone_the_budget_took_the_suspend_from_does_not_crowd_out_the_planned_suspends(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    # As above, 1G/s, and kz3, planned to shut down, has its turn as kz1 and kz2
    # end; but kz4 and kz5 (64G each, 1m4s at that rate) are still to be suspended:
    # 16s + 2 x 64s over two slots, plus the longest's other half, is 1m44s, more
    # than the 86s left.  kz3 is shut down, as planned.
    host = scripted(clock, ("kz1", "suspend", 4), ("kz2", "suspend", 4), ("kz3", "shutdown", 2))
    host.zones.update(running("kz4", "kz5"))
    report = run(tmp_path, beside_two_large(promotable("kz3")), host)
    assert sorted((op.began, op.zone, op.action) for op in host.operations) == [
        (T0, "kz1", "suspend"),
        (T0, "kz2", "suspend"),
        (T0 + 4, "kz3", "shutdown"),
        (T0 + 4, "kz4", "suspend"),
        (T0 + 6, "kz5", "suspend"),
    ]
    assert report.outcomes[2] == StopOutcome("kz3", ZoneState.SHUT_DOWN, 2.0, PROMOTABLE_NOTE)
    assert lines(caplog, "kz3") == [
        "shutting down kz3 (3/5, timeout 30s, fallback)",
        "kz3 shut down in 2.0s",
    ]


@pytest.mark.parametrize(
    ("slots", "kz1_begins"),
    [
        # Two slots: kz1 begins once kz3 has halted.
        (2, T0 + 1),
        # One slot, which kz2 holds: kz3's halt takes none, and begins; kz1 waits for
        # the slot.
        (1, T0 + 4),
    ],
)
def test_a_zone_the_budget_took_the_suspend_from_holds_up_no_zone_that_waits_for_it(
    tmp_path: Path, clock: FakeClock, slots: int, kz1_begins: float
) -> None:
    # kz1 is to be suspended after kz3 is down (its dependant).  Held for kz2's
    # suspend to be measured, or for a slot, kz3 would hold kz1 up with it: it walks
    # its plan at once, and halts.
    host = scripted(clock, ("kz3", "halt", 1), ("kz1", "suspend", 4), ("kz2", "suspend", 4))
    kz1 = zone_plan("kz1", waits_for=("kz3",))
    plan = stop_plan(zone_plan("kz2"), promotable("kz3", HALT), kz1, deadline=100.0, parallel=slots)
    run(tmp_path, plan, host)
    assert began(host) == [
        (T0, "kz2", "suspend", 60.0),
        (T0, "kz3", "halt", 10.0),
        (kz1_begins, "kz1", "suspend", 60.0),
    ]


def test_a_zone_the_budget_took_the_suspend_from_is_held_for_a_measure_while_its_shutdown_fits(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    # kz3, planned to shut down, has a free slot at once, but nothing is measured
    # yet: it waits for kz1's suspend, as long as its whole 30s shutdown timeout is
    # left of the 90s budget.  kz1 takes 4s: kz3's 16G at 1G/s fits, and is suspended.
    host = scripted(clock, ("kz1", "suspend", 4), ("kz3", "suspend", 16))
    plan = stop_plan(promotable("kz3"), zone_plan("kz1"), deadline=100.0)
    run(tmp_path, plan, host)
    assert began(host) == [
        (T0, "kz1", "suspend", 60.0),
        (T0 + 4, "kz3", "suspend", 56.0),
    ]
    assert lines(caplog, "kz3")[0] == (
        "kz3: suspending after all: 1 suspend(s) of this stop ran at 1G/s: expected 16.0s, all "
        "left done within 16.0s of the 1m26s left"
    )


def test_a_zone_the_budget_took_the_suspend_from_shuts_down_when_its_shutdown_would_not_fit(
    tmp_path: Path, clock: FakeClock
) -> None:
    # kz1's suspend takes 70s: at 60s kz3 would no longer have its 30s shutdown
    # timeout inside the budget after waiting any longer, and shuts down then.
    host = scripted(clock, ("kz1", "suspend", 70), ("kz3", "shutdown", 5))
    kz1 = zone_plan("kz1", timeouts=(120.0, 30.0, 10.0))
    plan = stop_plan(promotable("kz3"), replace(kz1, expected=70.0), deadline=100.0)
    run(tmp_path, plan, host)
    assert began(host) == [
        (T0, "kz1", "suspend", 90.0),
        (T0 + 60, "kz3", "shutdown", 30.0),
    ]


def test_nothing_waits_past_the_deadline_and_a_hung_step_is_abandoned(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    # kz1's halt never returns (its timeout is not honoured: a kill that hangs).
    host = FakeHost(clock, running("kz1", "kz2"))
    host.script("kz1", "halt", Step(hang=True))
    host.script("kz2", "suspend", Step(20))
    plan = stop_plan(
        zone_plan("kz1", HALT, note="zone is shutting_down: only halt applies"),
        zone_plan("kz2"),
        deadline=100.0,
        reserve=10.0,
    )
    report = run(tmp_path, plan, host)
    assert report.elapsed == 100.0
    assert clock.elapsed == 100.0
    assert report.outcomes == [
        StopOutcome("kz1", ZoneState.FAILED, 0.0, "still running at the deadline"),
        StopOutcome("kz2", ZoneState.SUSPENDED, 20.0),
    ]
    assert sorted((op.zone, op.action, op.result) for op in host.operations) == [
        ("kz1", "halt", "hung"),
        ("kz2", "suspend", "ok"),
    ]
    # The journal keeps what was last true: the halt was under way.
    assert states(tmp_path, "kz1") == ["halting"]
    assert lines(caplog, "kz1") == ["halting kz1 (1/2, timeout 10s, fallback)"]
    assert clock.wall < clock.elapsed / 10  # fake seconds, real milliseconds


# -- boot times, read ahead of the suspends ----------------------------------------


def test_boot_times_are_recorded_ahead_of_the_suspends_and_a_failure_only_logged(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    host = FakeHost(clock, running("kz1", "kz2", "kz3"))
    refused = CommandFailed((ZLOGIN, "kz2", "kstat"), 1, "zlogin: login refused")
    host.boot_times = {"kz1": [1_690_000_000], "kz2": [refused]}
    plan = stop_plan(zone_plan("kz1"), zone_plan("kz2"), zone_plan("kz3", SHUTDOWN, HALT))
    report = run(tmp_path, plan, host, record_boot_time=True)
    assert sorted((at, name, timeout) for at, name, timeout in host.boot_time_reads) == [
        (T0, "kz1", 5.0),
        (T0, "kz2", 5.0),
    ]
    document, _ = read_journal(str(tmp_path))
    assert document is not None
    assert document.cycle is not None
    zones = document.cycle.zones
    assert zones["kz1"].boot_time == BootTimeEvidence(1_690_000_000)
    assert zones["kz2"].boot_time == BootTimeEvidence(None, str(refused))
    assert zones["kz3"].boot_time is None
    assert (
        f"kz2: boot time not recorded ({refused.brief()}); its resume cannot be verified"
        in lines(caplog)
    )
    assert [outcome.result for outcome in report.outcomes] == [
        ZoneState.SUSPENDED,
        ZoneState.SUSPENDED,
        ZoneState.SHUT_DOWN,
    ]


def test_a_zone_that_refused_its_zlogin_is_looked_at_and_one_found_down_not_suspended(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    # Planned running; by their turn kz2 was halted and kz3 suspended by another,
    # and kz4 still runs (its zlogin failed for its own reasons).
    host = FakeHost(clock, {**running("kz1", "kz4"), "kz2": HALTED_ZONE, "kz3": SUSPENDED_ZONE})
    refused = CommandFailed((ZLOGIN, "kz2", "kstat"), 1, "zlogin: login refused")
    host.boot_times = {"kz1": [1_690_000_000], "kz2": [refused], "kz3": [refused], "kz4": [refused]}
    plan = stop_plan(*(zone_plan(name, SUSPEND) for name in ("kz1", "kz2", "kz3", "kz4")))
    report = run(tmp_path, plan, host, record_boot_time=True)
    since = "since the survey, by an operator, the zones service or a crash"
    assert {o.name: (o.result, o.detail) for o in report.outcomes} == {
        "kz1": (ZoneState.SUSPENDED, ""),
        "kz2": (ZoneState.LOST, f"found halted before its suspend began ({since})"),
        "kz3": (ZoneState.SUSPENDED, f"found suspended before its suspend began ({since})"),
        "kz4": (ZoneState.SUSPENDED, ""),
    }
    assert host.started("suspend") == [(T0, "kz1"), (T0, "kz4")]
    assert sorted(name for _, name in host.state_reads) == ["kz2", "kz3", "kz4"]
    assert f"kz2: state lost: found halted before its suspend began ({since})" in lines(caplog)
    assert states(tmp_path, "kz2") == ["lost"]
    assert states(tmp_path, "kz3") == ["suspended"]


@pytest.mark.parametrize("steps", [(HALT,), (SHUTDOWN, HALT)])
def test_a_zone_found_suspended_before_a_halt_or_shutdown_keeps_its_image(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture, steps: tuple[Action, ...]
) -> None:
    # Planned running; by its turn the zones service (autoshutdown=suspend) or an
    # operator had suspended it: halting it now would cost the image.
    host = FakeHost(clock, {"kz1": SUSPENDED_ZONE})
    note = "zone is shutting_down: only halt applies"
    report = run(tmp_path, stop_plan(zone_plan("kz1", *steps, note=note)), host)
    since = "since the survey, by an operator, the zones service or a crash"
    step = steps[0].value
    found = f"found suspended before its {step} began ({since})"
    assert report.outcomes == [StopOutcome("kz1", ZoneState.SUSPENDED, 0.0, f"{note}; {found}")]
    assert host.operations == []
    assert states(tmp_path, "kz1") == ["suspended"]
    assert f"kz1: {note}; {found}" in lines(caplog)


def test_a_zone_down_after_its_timed_out_suspend_with_no_answer_from_list_s_is_suspended(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    # The suspend outlived its timeout and completed; zoneadm list -s left the zone
    # out: recorded suspended, so that the start method boots (resumes) it.
    host = FakeHost(clock, running("kz1"), aux_unknown={"kz1"})
    host.script("kz1", "suspend", Step(200, leaves=HALTED_ZONE))
    plan = stop_plan(zone_plan("kz1", timeouts=(60.0, 30.0, 10.0)))
    report = run(tmp_path, plan, host)
    detail = (
        "suspend timed out after 1m; but the zone is down, suspended or not: zoneadm list "
        "-s did not say"
    )
    assert report.outcomes == [StopOutcome("kz1", ZoneState.SUSPENDED, 60.0, detail)]
    assert [op.action for op in host.operations] == ["suspend"]
    assert states(tmp_path, "kz1") == ["suspending", "suspended"]
    assert f"kz1: {detail}" in lines(caplog)


def test_a_suspend_that_ended_behind_its_fallback_is_recorded_suspended(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """zoneadmd may go on with a suspend whose zoneadm was killed at its timeout, and
    answer the shutdown behind it "zone is already halted", exit 0 (illumos' door is
    DOOR_NO_CANCEL): the zone is suspended, with its image, not shut down."""
    host = FakeHost(clock, running("kz1"))
    host.script("kz1", "suspend", Step(200))
    host.script("kz1", "shutdown", Step(5, leaves=SUSPENDED_ZONE))
    plan = stop_plan(zone_plan("kz1", timeouts=(60.0, 30.0, 10.0)))
    report = run(tmp_path, plan, host)
    detail = "suspend timed out after 1m; but the suspend ended behind the shutdown: the zone is suspended"
    assert report.outcomes == [StopOutcome("kz1", ZoneState.SUSPENDED, 5.0, detail)]
    assert report.suspends_timed_out == {"kz1": 60.0}  # suspended: not kept as timed out
    assert host.state_reads == [(T0 + 60, "kz1"), (T0 + 65, "kz1")]
    assert states(tmp_path, "kz1") == ["suspending", "shutting-down", "suspended"]
    assert lines(caplog)[-1] == f"kz1: {detail}"


def test_a_shutdown_after_a_failed_suspend_is_not_looked_at_again(
    tmp_path: Path, clock: FakeClock
) -> None:
    """A suspend that failed ended: only one killed at its timeout may go on."""
    host = FakeHost(clock, running("kz1"))
    host.script("kz1", "suspend", Step(2, error=ENOSPC))
    report = run(tmp_path, stop_plan(zone_plan("kz1")), host)
    assert [outcome.result for outcome in report.outcomes] == [ZoneState.SHUT_DOWN]
    assert host.state_reads == [(T0 + 2, "kz1")]


def test_a_zone_found_down_before_its_suspend_with_no_answer_from_list_s_is_lost(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    host = FakeHost(clock, {"kz1": HALTED_ZONE}, aux_unknown={"kz1"})
    note = "configuration unknown: its suspend is a guess"
    report = run(tmp_path, stop_plan(zone_plan("kz1", SUSPEND, note=note)), host)
    since = "since the survey, by an operator, the zones service or a crash"
    detail = (
        f"{note}; found down before its suspend began ({since}); suspended or halted: "
        "zoneadm list -s did not say"
    )
    assert report.outcomes == [StopOutcome("kz1", ZoneState.LOST, 0.0, detail)]
    assert host.operations == []
    assert states(tmp_path, "kz1") == ["lost"]
    assert f"kz1: state lost: {detail}" in lines(caplog)


def test_a_step_after_a_slow_look_gets_only_the_time_left_after_it(
    tmp_path: Path, clock: FakeClock
) -> None:
    # The look before kz1's halt takes 95 of the deadline's 100 seconds: the halt
    # gets the 5 left, not the 10 of its timeout; kz2's look leaves it none.
    host = FakeHost(clock, running("kz1"), state_seconds=95.0)
    note = "zone is shutting_down: only halt applies"
    plan = stop_plan(zone_plan("kz1", HALT, note=note), deadline=100.0, reserve=10.0)
    report = run(tmp_path, plan, host)
    assert [(op.began, op.action, op.timeout) for op in host.operations] == [(T0 + 95, "halt", 5.0)]
    assert report.outcomes == [StopOutcome("kz1", ZoneState.HALTED, 1.0, note)]


def test_a_look_that_outlasts_the_budget_leaves_no_time_for_the_suspend(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    # Budget 90 s: the look before the suspend ends at 92 s.
    host = FakeHost(clock, running("kz1"), state_seconds=92.0)
    note = "configuration unknown: its suspend is a guess"
    plan = stop_plan(zone_plan("kz1", SUSPEND, note=note), deadline=100.0, reserve=10.0)
    report = run(tmp_path, plan, host)
    assert host.operations == []
    assert report.outcomes == [
        StopOutcome("kz1", ZoneState.FAILED, 92.0, f"{note}; no time left to suspend")
    ]
    assert f"kz1: left running: {note}; no time left to suspend" in lines(caplog)


def test_a_worker_abandoned_at_the_deadline_that_ends_later_is_not_counted_twice(
    tmp_path: Path, clock: FakeClock
) -> None:
    host = FakeHost(clock, running("kz1"))
    host.script("kz1", "halt", Step(hang=True))
    plan = stop_plan(
        zone_plan("kz1", HALT, note="zone is shutting_down: only halt applies"),
        deadline=100.0,
        reserve=10.0,
    )
    report = run(tmp_path, plan, host)
    late = StopOutcome("kz1", ZoneState.FAILED, 0.0, "still running at the deadline")
    assert report.outcomes == [late]
    # The hung halt returns now (timed out); its worker looks at the zone, journals
    # what it finds and ends, after the run.
    worker = next(thread for thread in threading.enumerate() if thread.name == "kzguard-kz1")
    clock.close()
    worker.join(10)
    assert not worker.is_alive()
    assert report.outcomes == [late]
    assert [(op.zone, op.action, op.result) for op in host.operations] == [("kz1", "halt", "hung")]
    assert host.state_reads == [(T0, "kz1"), (T0 + 100, "kz1")]
    assert states(tmp_path, "kz1") == ["halting", "failed"]
    assert transitions(tmp_path, "kz1")[-1].reason == (
        "zone is shutting_down: only halt applies; halt timed out after 10s"
    )


def test_the_parallel_limit_and_the_dependency_order_hold_to_the_fake_second(
    tmp_path: Path, clock: FakeClock
) -> None:
    # What tests/integration/test_stop.py checks with real processes, exactly: kz3
    # before kz1 before kz2 (kz1 after kz2, kz3 after kz1), three at a time.
    names = [f"kz{n}" for n in range(1, 13)]
    host = FakeHost(clock, running(*names))
    waits = {"kz1": ("kz3",), "kz2": ("kz1",)}
    plan = stop_plan(
        *(
            zone_plan(name, waits_for=waits.get(name, ()))
            for name in ["kz3", "kz1", "kz2", *names[3:]]
        ),
        parallel=3,
    )
    report = run(tmp_path, plan, host)
    assert host.started() == [
        (T0, "kz3"),
        (T0, "kz4"),
        (T0, "kz5"),
        (T0 + 10, "kz1"),
        (T0 + 10, "kz6"),
        (T0 + 10, "kz7"),
        (T0 + 20, "kz2"),
        (T0 + 20, "kz8"),
        (T0 + 20, "kz9"),
        (T0 + 30, "kz10"),
        (T0 + 30, "kz11"),
        (T0 + 30, "kz12"),
    ]
    overlapping = [
        sum(1 for other in host.operations if other.began <= op.began < (other.ended or 0))
        for op in host.operations
    ]
    assert max(overlapping) == 3 == host.peak
    assert report.elapsed == 40.0
    assert report.count(ZoneState.SUSPENDED) == 12


class SlowJournal(Journal):
    """A journal whose write of ``slow``'s suspended transition takes five seconds
    of the fake clock (a loaded disk's fsync)."""

    def __init__(self, directory: str, clock: FakeClock, slow: str) -> None:
        super().__init__(directory)
        self.clock, self.slow = clock, slow

    def transition(self, name: str, state: ZoneState, **details: Any) -> None:
        if name == self.slow and state is ZoneState.SUSPENDED:
            self.clock.sleep(5.0)
        super().transition(name, state, **details)


def test_a_returned_suspend_frees_its_slot_and_its_dependants_before_its_journal_write(
    tmp_path: Path, clock: FakeClock
) -> None:
    # One slot; kz2 waits for kz1.  kz2's suspend begins as kz1's returns, while
    # kz1's suspended transition is still being written: the zone was down when
    # zoneadm returned.  Its record and outcome still follow (at T0 + 15).
    host = FakeHost(clock, running("kz1", "kz2"))
    journal = SlowJournal(str(tmp_path), clock, slow="kz1")
    plan = stop_plan(zone_plan("kz1"), zone_plan("kz2", waits_for=("kz1",)), parallel=1)
    report = run(tmp_path, plan, host, journal=journal)
    assert host.started() == [(T0, "kz1"), (T0 + 10, "kz2")]
    assert report.elapsed == 20.0
    assert [(outcome.name, outcome.result) for outcome in report.outcomes] == [
        ("kz1", ZoneState.SUSPENDED),
        ("kz2", ZoneState.SUSPENDED),
    ]
    assert states(tmp_path, "kz1") == ["suspending", "suspended"]


def test_each_change_of_the_pace_s_level_is_logged_as_it_happens(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    # One at a time, two once kz1 has ended (T0+10): the change is logged when the
    # pace hears of that end, before the zone's own line; no end after it changes
    # the level, so nothing more is logged of the pace.
    host = FakeHost(clock, running("kz1", "kz2", "kz3"))
    host.script("kz3", "suspend", Step(5))
    pace = ScriptedPace(1, 2)
    plan = stop_plan(zone_plan("kz1"), zone_plan("kz2"), zone_plan("kz3"))
    run(tmp_path, plan, host, pace=pace)
    assert lines(caplog) == [
        "suspending kz1 (1/3, 4G, expected 10.0s)",
        "suspend pace: scripted: 2 at once",
        "kz1 suspended in 10.0s",
        "suspending kz2 (2/3, 4G, expected 10.0s)",
        "suspending kz3 (3/3, 4G, expected 10.0s)",
        "kz3 suspended in 5.0s",
        "kz2 suspended in 10.0s",
    ]
    assert pace.changes == [LevelChange(T0 + 10, 2, "scripted: 2 at once")]


def test_a_defect_inside_the_auto_pace_costs_no_zone_and_is_logged_once(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    # The auto pace runs in the suspends' workers; an exception inside it would end
    # a worker before it reported its zone (pace/auto.py AutoPace._guarded).  Here
    # it divides by zero at the first end: the stop goes on at the level it had.
    host = FakeHost(clock, running("kz1", "kz2", "kz3"))
    host.script("kz3", "suspend", Step(5))
    history = [PaceSample(2, 2.0 * G, 100.0, 0.0), PaceSample(3, 2.0 * G, 100.0, 0.0)]
    pace = AutoPace("suspend", history)

    def divide(*args: object, **kwargs: object) -> bool:
        raise ZeroDivisionError("float division by zero")

    pace.meter.ended = divide  # type: ignore[method-assign]
    plan = stop_plan(zone_plan("kz1"), zone_plan("kz2"), zone_plan("kz3"))
    report = run(tmp_path, plan, host, pace=pace)
    assert sorted((outcome.name, outcome.result) for outcome in report.outcomes) == [
        ("kz1", ZoneState.SUSPENDED),
        ("kz2", ZoneState.SUSPENDED),
        ("kz3", ZoneState.SUSPENDED),
    ]
    assert report.own_failures == []
    assert host.started() == [(T0, "kz1"), (T0, "kz2"), (T0 + 10, "kz3")]
    failed = (
        "suspend pace: 2 at once from now on: the pace's measurement failed "
        "(ZeroDivisionError: float division by zero); please report it"
    )
    assert [line for line in lines(caplog) if "pace" in line] == [failed]


def test_a_defect_after_a_suspend_costs_the_step_and_the_zone_is_looked_at(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    # kz1's suspend succeeds, then kzguard fails around it (an adapter's parse): the
    # step counts failed, the look finds the zone suspended, and it is recorded so
    # at once, not after the budget (stop/run.py StopRun._walk).
    host = FakeHost(clock, running("kz1", "kz2"))
    defect_raised = ValueError("unexpected output")
    host.script("kz1", "suspend", Step(10, defect=defect_raised))
    plan = stop_plan(zone_plan("kz1"), zone_plan("kz2"))
    report = run(tmp_path, plan, host)
    defect = "suspend failed inside kzguard (ValueError: unexpected output)"
    assert [(o.name, o.result, o.detail) for o in report.outcomes] == [
        ("kz1", ZoneState.SUSPENDED, f"{defect}; but the zone is suspended"),
        ("kz2", ZoneState.SUSPENDED, ""),
    ]
    assert report.own_failures == [f"kz1: {defect}"]
    assert report.elapsed == 10.0
    assert lines(caplog, "kz1") == [
        "suspending kz1 (1/2, 4G, expected 10.0s)",
        f"kz1: {defect}; please report it",
        f"kz1 suspended in 10.0s ({defect}; but the zone is suspended)",
    ]
    assert [record.exc_info[1] for record in caplog.records if record.exc_info] == [defect_raised]


def test_a_defect_before_a_suspend_took_effect_leaves_the_chain_to_go_on(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    # The zone still runs after the failed step, so its shutdown follows, as after
    # a suspend that failed.
    host = FakeHost(clock, running("kz1"))
    defect = KeyError("memory")
    host.script("kz1", "suspend", Step(2, defect=defect, leaves=RUNNING_ZONE))
    report = run(tmp_path, stop_plan(zone_plan("kz1")), host)
    reason = "suspend failed inside kzguard (KeyError: 'memory')"
    assert [(o.result, o.detail) for o in report.outcomes] == [(ZoneState.SHUT_DOWN, reason)]
    assert host.started() == [(T0, "kz1"), (T0 + 2, "kz1")]
    assert [op.action for op in host.operations] == ["suspend", "shutdown"]
    assert lines(caplog) == [
        "suspending kz1 (1/1, 4G, expected 10.0s)",
        f"kz1: {reason}; please report it",
        f"kz1: {reason} after 2.0s; zone is running",
        "shutting down kz1 (1/1, timeout 30s, fallback)",
        "kz1 shut down in 5.0s",
    ]
    assert report.own_failures == [f"kz1: {reason}"]


def test_a_defect_outside_a_step_is_reported_at_once_with_the_zone_as_found(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    # Without the worker's catch-all (StopRun._after_defect) each such zone's
    # thread would end unreported: the stop would wait out its 290 s budget.
    #  kz1: the journal's record of its suspend fails once, after the suspend: the
    #       look finds it suspended, and records it so;
    #  kz2: fails before any step, and the look at it fails too: left running;
    #  kz3: untouched, suspended.
    host = FakeHost(clock, running("kz1", "kz2", "kz3"))
    stop_run = make_run(
        tmp_path, stop_plan(zone_plan("kz1"), zone_plan("kz2"), zone_plan("kz3"), parallel=3), host
    )
    record_transition = stop_run.record.transition
    failed_once: list[str] = []

    def transition(name: str, state: ZoneState, **details: Any) -> None:
        if (name, state) == ("kz1", ZoneState.SUSPENDED) and not failed_once:
            failed_once.append(name)
            raise OSError("journal gone")
        record_transition(name, state, **details)

    read_ahead_wait = stop_run.read_ahead.wait

    def wait(name: str) -> None:
        if name == "kz2":
            raise RuntimeError("read-ahead lost")
        read_ahead_wait(name)

    host_zone_state = host.zone_state

    def zone_state(name: str) -> Any:
        if name == "kz2":
            raise AttributeError("no zone")
        return host_zone_state(name)

    stop_run.record.transition = transition  # type: ignore[method-assign]
    stop_run.read_ahead.wait = wait  # type: ignore[method-assign]
    host.zone_state = zone_state  # type: ignore[method-assign,assignment]
    report = stop_run.run()
    kz1 = "its stop failed inside kzguard (OSError: journal gone)"
    kz2 = (
        "its stop failed inside kzguard (RuntimeError: read-ahead lost); "
        "the look at it failed inside kzguard (AttributeError: no zone)"
    )
    assert [(o.name, o.result, o.detail) for o in report.outcomes] == [
        ("kz1", ZoneState.SUSPENDED, f"{kz1}; but the zone is suspended"),
        ("kz2", ZoneState.FAILED, kz2),
        ("kz3", ZoneState.SUSPENDED, ""),
    ]
    assert report.elapsed == 10.0
    assert [op.action for op in host.operations if op.zone == "kz2"] == []
    assert report.own_failures == [
        "kz2: its stop failed inside kzguard (RuntimeError: read-ahead lost)",
        "kz2: the look at it failed inside kzguard (AttributeError: no zone)",
        f"kz1: {kz1}",
    ]
    assert lines(caplog, "kz2") == [
        "kz2: its stop failed inside kzguard (RuntimeError: read-ahead lost); please report it",
        "kz2: the look at it failed inside kzguard (AttributeError: no zone); please report it",
        f"kz2: left running: {kz2}",
    ]
    assert [t.state for t in transitions(tmp_path, "kz1")] == [
        ZoneState.SUSPENDING,
        ZoneState.SUSPENDED,
    ]
    assert transitions(tmp_path, "kz2")[-1].state is ZoneState.FAILED


def test_a_zone_whose_every_record_fails_is_still_reported(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    # kz1 fails before any step, is found running, and the journal's record of it
    # fails too: it is reported failed all the same, the defects as own failures.
    host = FakeHost(clock, running("kz1"))
    stop_run = make_run(tmp_path, stop_plan(zone_plan("kz1")), host)

    def wait(name: str) -> None:
        raise RuntimeError("read-ahead lost")

    def transition(name: str, state: ZoneState, **details: Any) -> None:
        raise TypeError("not serializable")

    stop_run.read_ahead.wait = wait  # type: ignore[method-assign]
    stop_run.record.transition = transition  # type: ignore[method-assign]
    report = stop_run.run()
    reason = "its stop failed inside kzguard (RuntimeError: read-ahead lost)"
    assert [(o.name, o.result, o.detail) for o in report.outcomes] == [
        ("kz1", ZoneState.FAILED, reason)
    ]
    assert report.elapsed == 0.0
    assert report.own_failures == [
        f"kz1: {reason}",
        "kz1: its record failed inside kzguard (TypeError: not serializable)",
    ]
    assert host.operations == []


def test_the_pools_windows_reach_the_pace_until_it_wants_no_more(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    # Two suspends of 10 s; zpool's windows of 5 s: the first reaches the pace, which
    # then wants no more, so the watch is closed (its zpool killed) and the second
    # window never comes.  The pace's verdict is logged once, for debugging.
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    host = FakeHost(clock, running("kz1", "kz2"))
    pools = FakePools(clock, (0.0, 2.0 * G), (0.0, 9.0 * G))
    pace = SampledPace(2)
    journal = Journal(str(tmp_path))
    journal.begin_cycle(StopCycle(started=1.0))
    plan = stop_plan(zone_plan("kz1"), zone_plan("kz2"), parallel=2)
    report = StopRun(
        plan,
        host,  # type: ignore[arg-type]
        journal,
        record_boot_time=False,
        clock=clock,
        event_queue=clock.queue,
        pace=pace,
        pools=pools,  # type: ignore[arg-type]
    ).run()
    assert [outcome.result for outcome in report.outcomes] == [ZoneState.SUSPENDED] * 2
    assert pace.pools.samples == [(T0, T0 + 5, 10.0 * G)]
    assert (pools.windows, pools.killed) == ([5, 5], 2)  # closed, and at the end
    assert [
        (record.levelname, record.getMessage()) for record in caplog.records if "pace" in record.msg
    ] == [("DEBUG", f"suspend pace: {OneSample.VERDICT}")]


def test_a_ramp_that_reads_no_pools_goes_where_it_begins_without_them_and_says_so(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    # A first stop's pace ramps up from three on the pools' windows; none comes (a
    # stop whose watch failed): 20 s after the first suspend it goes to eight, and
    # the fourth suspend begins then, not when one of the first three ends.
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    names, host = zones_taking(clock, 4, "suspend", 60)
    plan = stop_plan(*(zone_plan(name) for name in names), parallel=3)
    run(tmp_path, plan, host, pace=AutoPace("suspend", pools=True))
    assert host.started("suspend") == [(T0, "kz1"), (T0, "kz2"), (T0, "kz3"), (T0 + 20, "kz4")]
    assert [
        (record.levelname, record.getMessage()) for record in caplog.records if "pace" in record.msg
    ] == [
        ("DEBUG", "suspend pace: no pools' bandwidth in 20s: measuring by the ends alone"),
        ("INFO", "suspend pace: 8 at once to begin: no suspend measured yet, then by measurement"),
    ]


def test_a_ramp_whose_watch_fails_goes_where_it_begins_without_the_pools_at_once(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    # zpool fails at the first window: the watch says so, and the pace leaves its
    # ramp then, not after its 20 s of patience: the fourth suspend begins at once.
    caplog.set_level(logging.DEBUG)
    names, host = zones_taking(clock, 4, "suspend", 60)
    plan = stop_plan(*(zone_plan(name) for name in names), parallel=3)
    pools = FailingPools()
    run(tmp_path, plan, host, pace=AutoPace("suspend", pools=True), pools=pools)
    assert host.started("suspend") == [(T0, name) for name in names]
    assert pools.calls == 1
    assert [
        (record.name, record.levelname, record.getMessage())
        for record in caplog.records
        if "pace" in record.msg
    ] == [
        (
            "kzguard.pace.watch",
            "INFO",
            "suspend pace: /usr/sbin/zpool iostat 5 2: exited with status 1: internal error: "
            "failed to initialize ZFS library; measuring by the ends alone",
        ),
        (
            LOGGER,
            "INFO",
            "suspend pace: 8 at once to begin: no suspend measured yet, then by measurement",
        ),
    ]


def test_a_pace_that_wants_no_samples_starts_no_watch(tmp_path: Path, clock: FakeClock) -> None:
    host = FakeHost(clock, running("kz1"))
    pools = FakePools(clock, (0.0, G))
    run(tmp_path, stop_plan(zone_plan("kz1"), parallel=1), host, pace=ScriptedPace(1), pools=pools)
    assert (pools.windows, pools.killed) == ([], 0)


def test_a_stop_with_no_suspend_planned_is_not_paced_by_a_ramp(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    # Every zone shuts down ([defaults] action = "shutdown", or no image fits): the
    # plan's pace has no suspend to measure, so no ramp holds the shutdowns to three
    # at once for its 20 s of patience, and nothing is said of the pools.
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    names, host = zones_taking(clock, 5, "shutdown", 30)
    pace = pace_for("auto", {}, "suspend", [])
    plan = stop_plan(*(zone_plan(name, SHUTDOWN, HALT) for name in names), parallel=pace.limit())
    run(tmp_path, plan, host, pace=pace, pools=FakePools(clock))
    assert host.started("shutdown") == [(T0, name) for name in names]
    assert [record.getMessage() for record in caplog.records if "pace" in record.msg] == []
    assert pace.why() == "8 at once: no suspend planned, nothing to measure"


# -- planned from recorded configurations, the live ones read meanwhile ------------


def surveyed_run(
    tmp_path: Path, plan: StopPlan, host: FakeHost, survey: ScriptedSurvey
) -> tuple[StopRun, StopReport]:
    stop_run = make_run(tmp_path, plan, host, survey=survey)
    return stop_run, stop_run.run()


def test_each_suspend_waits_for_its_own_configuration_and_none_passes_one_unread(
    tmp_path: Path, clock: FakeClock
) -> None:
    names, host = zones_taking(clock, 4, "suspend", 5)
    # kz2's arrives first, but kz1 is the plan's first: both begin when kz1's does;
    # kz3 and kz4 wait for slots, and kz4 also for its own configuration.
    survey = ScriptedSurvey(
        clock, {"kz2": (0.5, True), "kz1": (2.0, True), "kz3": (3.0, True), "kz4": (9.0, True)}
    )
    stop_run, report = surveyed_run(tmp_path, stop_plan(*map(zone_plan, names)), host, survey)
    assert host.started() == [
        (T0 + 2, "kz1"),
        (T0 + 2, "kz2"),
        (T0 + 7, "kz3"),
        (T0 + 9, "kz4"),
    ]
    assert not stop_run.replan
    assert stop_run.unstarted == []
    assert [outcome.name for outcome in report.outcomes] == names


def test_a_changed_configuration_begins_nothing_more_and_leaves_the_rest_to_a_new_plan(
    tmp_path: Path, clock: FakeClock
) -> None:
    names, host = zones_taking(clock, 4, "suspend", 10)
    # kz1 begins; kz3's is found changed at 1 s: kz2, read and unchanged, does not
    # begin after it, nor anything else; kz1's suspend is waited for.
    survey = ScriptedSurvey(
        clock, {"kz1": (0.0, True), "kz3": (1.0, False), "kz2": (2.0, True), "kz4": (3.0, True)}
    )
    plan = stop_plan(*map(zone_plan, names), parallel=1)
    stop_run, report = surveyed_run(tmp_path, plan, host, survey)
    assert host.started() == [(T0, "kz1")]
    assert stop_run.replan
    assert stop_run.unstarted == ["kz2", "kz3", "kz4"]
    assert report.outcomes == [StopOutcome("kz1", ZoneState.SUSPENDED, 10.0)]
    assert clock() == T0 + 10


def test_an_interruption_while_the_plan_is_to_be_made_again_winds_down_the_rest(
    tmp_path: Path, clock: FakeClock
) -> None:
    names, host = zones_taking(clock, 3, "suspend", 0.5)
    survey = ScriptedSurvey(clock, {"kz1": (0.0, True), "kz2": (1.0, False), "kz3": (2.0, True)})
    stop_run = make_run(
        tmp_path, stop_plan(*map(zone_plan, names), parallel=1), host, survey=survey
    )
    notify_first = survey.start

    def start(notify: Callable[[str], None]) -> None:
        def then_interrupt(name: str) -> None:
            notify(name)
            if name == "kz2":  # found changed, kz1 done: SIGTERM before the new plan
                stop_run.interrupt(signal.SIGTERM, wake=True)

        notify_first(then_interrupt)

    survey.start = start  # type: ignore[method-assign]
    report = stop_run.run()
    not_started = "not started: kzguard stop was interrupted by SIGTERM"
    assert report.outcomes == [
        StopOutcome("kz1", ZoneState.SUSPENDED, 0.5),
        StopOutcome("kz2", ZoneState.FAILED, 0.0, not_started),
        StopOutcome("kz3", ZoneState.FAILED, 0.0, not_started),
    ]
    assert (stop_run.replan, stop_run.unstarted) == (True, [])
    assert report.interrupted == signal.SIGTERM


def test_a_suspend_that_ran_mostly_beside_the_survey_is_not_measured(
    tmp_path: Path, clock: FakeClock
) -> None:
    # The survey reads until kz3's configuration arrives at 6 s.  kz1 (0-4 s) ran
    # beside it all its life, kz2 (0-30 s) a fifth of it, kz3 (6-10 s) none: only
    # kz1's time is left unmeasured (solaris/survey.py SURVEY_SHARE, a quarter).
    host = FakeHost(clock, running("kz1", "kz2", "kz3"))
    for name, seconds in {"kz1": 4, "kz2": 30, "kz3": 4}.items():
        host.script(name, "suspend", Step(seconds))
    pace = ScriptedPace(3)
    survey = ScriptedSurvey(clock, {"kz1": (0.0, True), "kz2": (0.0, True), "kz3": (6.0, True)})
    plan = stop_plan(*map(zone_plan, ("kz1", "kz2", "kz3")), parallel=3)
    make_run(tmp_path, plan, host, pace=pace, survey=survey).run()
    assert host.started() == [(T0, "kz1"), (T0, "kz2"), (T0 + 6, "kz3")]
    assert pace.measured == {"kz1": False, "kz3": True, "kz2": True}

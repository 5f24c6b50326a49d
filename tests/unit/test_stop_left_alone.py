"""StopRun leaves a zone alone that began migrating, or entered the debugger, after
the plan was made: the halt of a straggler at the budget's end looks at the zone's
auxiliary state first (issue 11, section 4).  A fake host, no subprocess."""

from __future__ import annotations

import logging
import time

import pytest

from kzguard.errors import CommandFailed
from kzguard.journal.document import StopCycle
from kzguard.journal.records import ZoneState
from kzguard.journal.store import Journal
from kzguard.model import RUNNING
from kzguard.policy.model import Action
from kzguard.stop.plan import StopPlan, ZonePlan
from kzguard.stop.run import StopRun


class FakeHost:
    """Answers zone_state from a table; records every zoneadm operation."""

    def __init__(self, states: dict[str, tuple[str, tuple[str, ...]] | Exception]) -> None:
        self.states = states
        self.operated: list[tuple[str, str]] = []

    def zone_state(self, name: str) -> tuple[str, tuple[str, ...]] | None:
        answer = self.states[name]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def operate(self, name: str, subcommand: str, *args: str, timeout: float) -> None:
        self.operated.append((name, subcommand))


def zone_plan(name: str) -> ZonePlan:
    return ZonePlan(
        name=name,
        steps=(Action.SUSPEND, Action.SHUTDOWN, Action.HALT),
        timeouts=(60.0, 30.0, 10.0),
        memory=None,
        expected=10.0,
        basis="test",
        waits_for=(),
    )


def test_stragglers_halted_at_the_budget_end_are_looked_at_first(
    caplog: pytest.LogCaptureFixture,
) -> None:
    plan = StopPlan(
        deadline=100.0,
        reserve=10.0,
        parallel=1,
        zones=(zone_plan("kz1"), zone_plan("kz2"), zone_plan("kz3")),
        skipped=(),
    )
    unreadable = CommandFailed(["zoneadm", "-z", "kz3", "list", "-p"], 1, "zoneadm: wedged\n")
    host = FakeHost(
        {
            "kz1": (RUNNING, ("migrating-in",)),
            "kz2": (RUNNING, ()),
            "kz3": unreadable,
        }
    )
    # Started 95 s ago: the 90 s budget is over, 5 s of the deadline are left.
    journal = Journal(None)
    journal.begin_cycle(StopCycle())
    run = StopRun(
        plan,
        host,  # type: ignore[arg-type]
        journal,
        record_boot_time=False,
        started=time.monotonic() - 95.0,
    )
    with caplog.at_level(logging.INFO, logger="kzguard"):
        report = run.run()
    assert sorted(host.operated) == [("kz2", "halt"), ("kz3", "halt")]
    note = "no time left to suspend or shut down"
    by_name = {outcome.name: outcome for outcome in report.outcomes}
    assert by_name["kz1"].result is ZoneState.LEFT_ALONE
    assert by_name["kz1"].detail == f"{note}; left alone: migrating-in: a migration owns the zone"
    assert [by_name[name].result for name in ("kz2", "kz3")] == [ZoneState.HALTED] * 2
    messages = [record.getMessage() for record in caplog.records]
    assert "kz1: left alone, not halted: migrating-in: a migration owns the zone" in messages
    # An unreadable state is no proof of a migration: the halt goes ahead, and says so.
    assert f"kz3: auxiliary state unknown before its halt: {unreadable}" in messages
    cycle = journal.cycle
    assert cycle is not None
    kz1 = cycle.zones["kz1"]
    assert [transition.state for transition in kz1.transitions] == [ZoneState.LEFT_ALONE]
    assert (kz1.state, kz1.reason) == (ZoneState.LEFT_ALONE, by_name["kz1"].detail)
    assert report.own_failures == []

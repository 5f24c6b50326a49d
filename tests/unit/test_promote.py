"""stop/promote.py: a suspend the budget's fit took, given back on what the stop
measured.  The scheduler's use of it, on a fake clock: tests/unit/test_stop_run.py."""

from __future__ import annotations

from dataclasses import replace

from kzguard.stop.plan import HostRate
from kzguard.stop.promote import (
    Backlog,
    backlog,
    fits_alone,
    predicted,
    promoted,
    waiting_work,
)
from tests.unit.plans import HALT, SHUTDOWN, SUSPEND, G, taken, zone_plan


def test_a_step_is_predicted_at_the_measured_rate_or_as_planned() -> None:
    plan = zone_plan("kz1", memory=8 * G, expected=33.0)
    assert predicted(plan, SUSPEND, 2 * G) == 4.0
    assert predicted(zone_plan("kz2", memory=None, expected=33.0), SUSPEND, 2 * G) == 33.0
    # A fallback: the typical shutdown (30s) or halt (5s), bounded by its timeout.
    assert predicted(plan, SHUTDOWN, 2 * G) == 30.0
    assert predicted(plan, HALT, 2 * G) == 5.0
    assert predicted(zone_plan("kz3", SHUTDOWN, HALT, expected=12.0), SHUTDOWN, 2 * G) == 12.0


def test_the_work_waiting_counts_no_halt_and_a_taken_suspend_at_its_quicker() -> None:
    assert waiting_work(zone_plan("kz1", HALT), G) == 0.0
    assert waiting_work(taken("kz2", HALT), G) == 0.0
    assert waiting_work(zone_plan("kz3", memory=8 * G), G) == 8.0
    assert waiting_work(zone_plan("kz4", SHUTDOWN, HALT, expected=20.0), G) == 20.0
    # Its shutdown planned at 30s, its suspend at 8s on this storage: the quicker.
    assert waiting_work(taken("kz5", memory=8 * G), G) == 8.0
    assert waiting_work(taken("kz6", memory=8 * G), G // 4) == 30.0


def test_the_backlog_is_what_the_zones_in_flight_have_left_and_the_rest() -> None:
    work = backlog(
        HostRate(G, 3),
        [
            (zone_plan("kz1", memory=8 * G), SUSPEND, 3.0),
            (zone_plan("kz2", memory=8 * G), SHUTDOWN, 25.0),
        ],
        [zone_plan("kz3", memory=16 * G), zone_plan("kz4", HALT), taken("kz5", memory=8 * G)],
    )
    # kz1: 8s - 3s; kz2: its fallback shutdown, 30s - 25s; kz3: 16s; kz4 halts in no
    # slot; kz5 suspended (8s) where that is quicker than its shutdown.
    assert work == Backlog(G, 3, total=34.0, longest=16.0)
    assert work.bound(1) == 34.0
    assert work.bound(2) == 34.0 / 2 + 8.0
    assert work.plus(20.0) == Backlog(G, 3, total=54.0, longest=20.0)
    assert work.without(40.0) == Backlog(G, 3, total=0.0, longest=16.0)


def test_a_taken_suspend_is_given_back_when_it_and_the_rest_fit() -> None:
    work = Backlog(G, 4, total=30.0, longest=10.0)
    found = promoted(taken("kz1", HALT, memory=8 * G), work, left=60.0, slots=2)
    assert found is not None
    given, why = found
    # Its 8G at 1G/s: 8s, and its shutdown's 30s after it, inside the 60s left;
    # all: (30 + 8) / 2 + 10 / 2 = 24s.  Its suspend is given 60 - 30 = 30s.
    assert why == (
        "4 suspend(s) of this stop ran at 1G/s: expected 8.0s, all left done within 24.0s of "
        "the 1m left"
    )
    assert (given.steps, given.timeouts, given.expected, given.basis, given.note) == (
        (SUSPEND, SHUTDOWN, HALT),
        (30.0, 30.0, 10.0),
        8.0,
        "8G at 1G/s, 4 suspend(s) of this stop",
        "",
    )
    assert given.chain_if_fits == ()


def test_a_taken_suspend_waiting_as_a_shutdown_is_not_counted_twice() -> None:
    # kz1 waits to begin: the backlog counts it at 8s; judged, that 8s is its own.
    plan = taken("kz1", memory=8 * G)
    found = promoted(plan, backlog(HostRate(G, 1), [], [plan]), left=8.0 + 30.0, slots=1)
    assert found is not None
    assert found[1] == (
        "1 suspend(s) of this stop ran at 1G/s: expected 8.0s, all left done within 8.0s of "
        "the 38.0s left"
    )


def test_a_taken_suspend_stays_taken_when_it_or_the_rest_would_not_fit() -> None:
    plan = taken("kz1", HALT, memory=8 * G)
    work = Backlog(G, 4, total=40.0, longest=10.0)
    # Its suspend and its shutdown's 30s: 38s of 37s.
    assert promoted(plan, work.without(40.0), left=37.0, slots=2) is None
    # Its own fits (38s of 38s), and all on two slots: (40 + 8) / 2 + 10 / 2 = 29s;
    # not on one: 48s.
    assert promoted(plan, work, left=38.0, slots=2) is not None
    assert promoted(plan, work, left=38.0, slots=1) is None
    # Before a halt, no shutdown's time is kept: 8s of 9s fits.
    halting = replace(plan, chain_if_fits=((SUSPEND, 60.0), (HALT, 10.0)))
    given = promoted(halting, Backlog(G, 1), left=9.0, slots=1)
    assert given is not None
    assert given[0].timeouts == (9.0, 10.0)
    # Without its memory, or not taken by the fit: nothing to judge it by.
    assert promoted(replace(plan, memory=None), work, left=600.0, slots=2) is None
    assert promoted(zone_plan("kz4", SHUTDOWN, HALT), work, left=600.0, slots=2) is None


def test_a_taken_suspend_that_would_not_fit_alone_never_will() -> None:
    # 8G at 1G/s and its shutdown's 30s: 38s.
    plan = taken("kz1", memory=8 * G)
    assert fits_alone(plan, G, 38.0)
    assert not fits_alone(plan, G, 37.9)
    assert not fits_alone(replace(plan, memory=None), G, 600.0)
    assert not fits_alone(zone_plan("kz3", SHUTDOWN, HALT), G, 600.0)

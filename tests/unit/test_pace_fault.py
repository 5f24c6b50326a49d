"""A defect inside the auto pace (kzguard/pace/auto.py AutoPace._guarded) costs the
measurement, never the stop: the pace keeps its level as a fixed number would,
says why once, and learns nothing.  Pure, no clock but the numbers handed in."""

from __future__ import annotations

from typing import NoReturn

import pytest

from kzguard.journal.history import PaceSample
from kzguard.journal.pace_record import LevelChange
from kzguard.pace.auto import AutoPace

G = 1 << 30
HISTORY = [PaceSample(3, 3.0 * G, 100.0, 0.0), PaceSample(4, 3.0 * G, 100.0, 0.0)]
FAILED = (
    "3 at once from now on: the pace's measurement failed "
    "(ZeroDivisionError: float division by zero); please report it"
)


def divide(*args: object, **kwargs: object) -> NoReturn:
    raise ZeroDivisionError("float division by zero")


def test_a_fault_in_an_end_keeps_the_level_and_says_why_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pace = AutoPace("suspend", HISTORY, work=[10 * G] * 6)
    assert pace.limit() == 3
    for index in range(3):
        pace.began(f"kz{index}", 10 * G, 0.0)
    monkeypatch.setattr(pace.meter, "ended", divide)
    pace.ended("kz0", 12.5, ok=True, nbytes=5 * G)  # raises nothing
    monkeypatch.undo()
    assert pace.level_changes() == [LevelChange(12.5, 3, FAILED)]
    # From then on a fixed number: no count-out, no wake-up, nothing measured.
    pace.began("kz3", 10 * G, 12.5)
    pace.ended("kz1", 20.0, ok=True, nbytes=5 * G)
    assert (pace.limit(30.0), pace.wake(30.0), pace.wants_samples()) == (3, None, False)
    assert (pace.why(), pace.last_word(), pace.table()) == (FAILED, FAILED, {})
    assert pace.level_changes() == [LevelChange(12.5, 3, FAILED)]
    # The history stays as it was: a run the pace stopped measuring teaches nothing.
    assert pace.learned(100.0) == HISTORY


def test_a_fault_in_the_limit_or_a_window_is_contained_the_same_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pace = AutoPace("suspend", HISTORY)
    monkeypatch.setattr(pace, "_left", divide)
    monkeypatch.setattr(pace, "_fit", object())  # a fit: the limit asks _left
    assert pace.limit(7.0) == 3
    assert pace.level_changes() == [LevelChange(7.0, 3, FAILED)]

    ramping = AutoPace("suspend", pools=True)
    monkeypatch.setattr(ramping.meter, "sampled", divide)
    ramping.sampled(0.0, 5.0, 3.0 * G)
    assert (ramping.limit(), ramping.wants_samples()) == (3, False)
    assert ramping.level_changes() == [LevelChange(5.0, 3, FAILED)]

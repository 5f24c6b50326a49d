"""kzguard.stop.progress: when the one watcher thread is woken."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest

from kzguard.stop import progress
from tests.unit.fakes import CountingCondition


def step(zone: str, every: float) -> Any:
    return progress._Step(zone, "suspend", every * 10, every, time.monotonic())


def test_only_a_step_due_before_all_others_wakes_the_watcher() -> None:
    # Each wake-up is a thread switch: a step due later than one already watched,
    # and a step's end, leave the watcher asleep until its earliest line.
    watch = progress._Watch()
    condition = CountingCondition()
    watch._changed = condition
    first, later, sooner = step("kz1", 60.0), step("kz2", 90.0), step("kz3", 30.0)
    watch.add(first)
    assert condition.notified == 1  # nothing was watched: it may be lingering
    watch.add(later)
    assert condition.notified == 1
    watch.add(sooner)
    assert condition.notified == 2
    for each in (first, later, sooner):
        watch.remove(each)
    assert condition.notified == 2


def test_a_step_due_sooner_than_a_running_one_has_its_lines_on_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="kzguard")
    with progress.reported("kz1", "suspend", 600.0):  # a line every 30 s
        time.sleep(0.05)  # the watcher is asleep until kz1's first line
        with progress.reported("kz2", "suspend", 1.0):  # every 0.1 s
            time.sleep(0.5)
    lines = [record.getMessage() for record in caplog.records]
    assert lines[:2] == [
        "kz2: suspend still running after 0.1s (timeout 1s)",
        "kz2: suspend still running after 0.2s (timeout 1s)",
    ]
    assert all(text.startswith("kz2: ") for text in lines)


def test_no_line_says_a_step_is_still_running_once_its_end_has_come() -> None:
    """The watcher logs holding the lock that a step's end takes: a step that ends
    while its line is being written waits for the line, and gets no later one."""
    entered, release = threading.Event(), threading.Event()
    order: list[str] = []

    class SlowHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            order.append(record.getMessage())
            entered.set()
            release.wait(5.0)

    handler = SlowHandler(logging.INFO)
    logger = logging.getLogger(progress.__name__)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        watched = progress._Step("kz1", "suspend", 1.0, 0.1, time.monotonic())
        progress._WATCH.add(watched)
        assert entered.wait(5.0)

        def end() -> None:
            progress._WATCH.remove(watched)
            order.append("ended")

        ended = threading.Thread(target=end)
        ended.start()
        ended.join(0.2)
        assert ended.is_alive()  # waiting for the line being written
        release.set()
        ended.join(5.0)
        time.sleep(0.3)  # a line due every 0.1 s would have come by now
        # The watcher may take the lock again before the step's end does (a lock is
        # not fair), for the lines that fell due meanwhile: they come before the end,
        # never after it.
        assert order[-1] == "ended"
        assert order[:-1] == [
            f"kz1: suspend still running after 0.{tenth}s (timeout 1s)"
            for tenth in range(1, len(order))
        ]
    finally:
        release.set()
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)

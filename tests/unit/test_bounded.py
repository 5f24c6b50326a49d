"""BoundedCalls: a blocking call in a helper thread, given up after its timeout; a
helper whose call returned serves the next one, an idle one ends after its linger."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from kzguard.solaris.bounded import BoundedCalls, CallTimedOut

NAME = "test-bounded"


def helpers_alive() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == NAME]


def wait_until(condition: Callable[[], bool], limit: float = 5.0) -> None:
    ends = time.monotonic() + limit
    while not condition() and time.monotonic() < ends:
        time.sleep(0.005)


def test_a_call_returns_its_value_and_its_helper_serves_the_next_call() -> None:
    calls: BoundedCalls[int] = BoundedCalls(NAME, linger=5.0)
    first = calls.call(threading.get_ident, 1.0)
    assert calls.idle == 1
    assert (calls.call(threading.get_ident, 1.0), calls.idle) == (first, 1)
    assert first != threading.get_ident()


def test_a_calls_exception_is_raised_in_the_caller() -> None:
    calls: BoundedCalls[int] = BoundedCalls(NAME)

    def fails() -> int:
        raise FileNotFoundError(2, "No such file or directory")

    with pytest.raises(FileNotFoundError, match="No such file or directory"):
        calls.call(fails, 1.0)


def test_a_call_that_does_not_return_is_given_up_and_the_next_gets_another_helper() -> None:
    calls: BoundedCalls[int] = BoundedCalls(NAME, linger=5.0)
    release = threading.Event()
    stuck: list[int] = []

    def hangs() -> int:
        stuck.append(threading.get_ident())
        release.wait(10)
        return 1

    try:
        began = time.monotonic()
        with pytest.raises(CallTimedOut):
            calls.call(hangs, 0.05)
        assert 0.05 <= time.monotonic() - began < 2.0
        assert calls.call(threading.get_ident, 1.0) not in stuck
    finally:
        release.set()
    wait_until(lambda: calls.idle == 2)  # the stuck helper came back once released
    assert calls.idle == 2


def test_an_idle_helper_ends_after_its_linger() -> None:
    before = len(helpers_alive())
    calls: BoundedCalls[int] = BoundedCalls(NAME, linger=0.05)
    assert calls.call(lambda: 7, 1.0) == 7
    wait_until(lambda: len(helpers_alive()) == before)
    assert (len(helpers_alive()), calls.idle) == (before, 0)

"""kzguard.stop.interrupt: which signals interrupt a stop, and when they do not."""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

from kzguard.stop.interrupt import POLL, interruptible, signal_name


class Recorder:
    """Stands in for a StopRun: what the handlers do to it."""

    def __init__(self) -> None:
        self.interrupted: int | None = None
        self.poll: float | None = None

    def interrupt(self, number: int) -> None:
        self.interrupted = number


def test_sigint_and_sigterm_interrupt_the_run_and_the_handlers_are_restored() -> None:
    before = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    run: Any = Recorder()
    with interruptible(run):
        assert run.poll == POLL
        os.kill(os.getpid(), signal.SIGTERM)
        assert run.interrupted == signal.SIGTERM
        os.kill(os.getpid(), signal.SIGINT)
        assert run.interrupted == signal.SIGINT
    assert {number: signal.getsignal(number) for number in before} == before


def test_a_signal_ignored_at_start_stays_ignored() -> None:
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        run: Any = Recorder()
        with interruptible(run):
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    finally:
        signal.signal(signal.SIGINT, previous)


def test_outside_the_main_thread_nothing_is_installed() -> None:
    run: Any = Recorder()
    seen: list[object] = []

    def body() -> None:
        with interruptible(run):
            seen.append(run.poll)

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    assert seen == [None]


def test_signal_names() -> None:
    assert (signal_name(2), signal_name(15), signal_name(200)) == (
        "SIGINT",
        "SIGTERM",
        "signal 200",
    )

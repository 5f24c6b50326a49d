"""kzguard.stop.interrupt: which signals interrupt a stop, and when they do not."""

from __future__ import annotations

import os
import queue
import signal
import threading
from typing import Any

from kzguard.stop.interrupt import interruptible, signal_name


class Recorder:
    """Stands in for a StopRun: what the handlers and the relay do to it."""

    def __init__(self) -> None:
        self.interrupted: int | None = None
        self.wakes: queue.Queue[int] = queue.Queue()

    def interrupt(self, number: int, *, wake: bool = False) -> None:
        self.interrupted = number
        if wake:
            self.wakes.put(number)


def relays() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "signal relay"]


def wakeup_fd() -> int:
    fd = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(fd)
    return fd


def test_sigint_and_sigterm_interrupt_the_run_and_wake_it_and_all_is_restored() -> None:
    before = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    fd_before = wakeup_fd()
    run: Any = Recorder()
    with interruptible(run):
        os.kill(os.getpid(), signal.SIGTERM)
        assert run.interrupted == signal.SIGTERM  # the handler, in this thread
        assert run.wakes.get(timeout=5) == signal.SIGTERM  # the relay's wake-up
        os.kill(os.getpid(), signal.SIGINT)
        assert run.wakes.get(timeout=5) == signal.SIGINT
        assert run.interrupted == signal.SIGINT
    assert {number: signal.getsignal(number) for number in before} == before
    assert wakeup_fd() == fd_before
    assert relays() == []


def test_a_signal_delivered_to_another_thread_wakes_the_main_threads_wait() -> None:
    # POSIX may deliver a process's signal to any thread that does not block it;
    # there, Python's handler cannot run, and the main thread's wait on the queue
    # (here the Recorder's) would last to its timeout without the relay.
    run: Any = Recorder()
    with interruptible(run):
        target = threading.Event()
        done = threading.Event()

        def other() -> None:
            target.set()
            done.wait(10)

        thread = threading.Thread(target=other)
        thread.start()
        target.wait(5)
        assert thread.ident is not None
        signal.pthread_kill(thread.ident, signal.SIGTERM)
        try:
            assert run.wakes.get(timeout=5) == signal.SIGTERM
            assert run.interrupted == signal.SIGTERM
        finally:
            done.set()
            thread.join()


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
    before = signal.getsignal(signal.SIGTERM)
    seen: list[object] = []

    def body() -> None:
        with interruptible(run):
            seen.append((signal.getsignal(signal.SIGTERM), relays()))

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    assert seen == [(before, [])]


def test_signal_names() -> None:
    assert (signal_name(2), signal_name(15), signal_name(200)) == (
        "SIGINT",
        "SIGTERM",
        "signal 200",
    )

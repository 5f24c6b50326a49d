"""Ctrl-C or SIGTERM during a stop: start no new step, wait a short bounded time for
(or end) the steps in flight, journal every zone, and say what was left in which state.

kzguard runs each zoneadm in its own session and process group (runner.py), where
the terminal's Ctrl-C does not reach it: without this, an interrupted ``kzguard stop``
left its zoneadm suspend running unseen, and the next stop started a second one on
the same zone.  svc.startd ends a stop method that overruns its timeout the same way
(SIGTERM, then SIGKILL), so the method gets only GRACE + SETTLE seconds.

The scheduler waits for its workers' events on a queue, and a signal must wake that
wait.  Python runs a handler in the main thread, between two bytecodes: it cannot
put on the queue (the code it interrupted may hold the queue's lock), and a signal
delivered to another thread (POSIX lets the kernel pick any thread that does not
block it; zoneadm's workers do not) interrupts no wait of the main thread at all.
So the handler only sets the flag, and :func:`signal.set_wakeup_fd` has the C-level
handler, in whichever thread, write the signal's number to a pipe that a relay
thread reads: the relay sets the flag too and puts the wake-up on the queue.  Idle,
the relay is blocked in read(2): nothing polls (the scheduler looked five times a
second before, 0.12 ms of CPU a look on the bench's machine).
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from kzguard.journal.records import StopOutcome, ZoneState
from kzguard.stop.outcome import Event

if TYPE_CHECKING:
    from kzguard.stop.plan import ZonePlan
    from kzguard.stop.run import StopRun

log = logging.getLogger(__name__)

SIGNALS = (signal.SIGINT, signal.SIGTERM)
# Seconds the steps in flight get to finish on their own once interrupted...
GRACE = 3.0
# ...and, once ended, for their workers to look at the zone and journal what it is.
SETTLE = 3.0
# Seconds closing waits for the relay thread to see its pipe closed.
RELAY_JOIN = 1.0


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


@contextlib.contextmanager
def interruptible(stop_run: StopRun) -> Iterator[None]:
    """While the stop runs, SIGINT and SIGTERM interrupt it (StopRun.interrupt)
    instead of killing kzguard; a signal ignored when kzguard started stays ignored
    (nohup, a background job).  Signal handlers exist only in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(number: int, _frame: object) -> None:
        stop_run.interrupt(number)

    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)  # set_wakeup_fd's condition: a full pipe drops
    relay = threading.Thread(
        target=_relay, args=(read_end, stop_run), name="signal relay", daemon=True
    )
    relay.start()
    previous = {}
    try:
        for number in SIGNALS:
            if signal.getsignal(number) is not signal.SIG_IGN:
                previous[number] = signal.signal(number, handle)
        previous_fd = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
        try:
            yield
        finally:
            signal.set_wakeup_fd(previous_fd)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        os.close(write_end)  # the relay reads the end of the file, and ends
        relay.join(RELAY_JOIN)


def _relay(read_end: int, stop_run: StopRun) -> None:
    """Until the pipe's write end is closed: each SIGINT or SIGTERM's number the
    C-level handler wrote interrupts ``stop_run`` and wakes its scheduler."""
    try:
        while data := os.read(read_end, 64):
            for number in data:
                if number in SIGNALS:
                    stop_run.interrupt(number, wake=True)
    finally:
        os.close(read_end)


def wind_down(
    stop_run: StopRun,
    not_started: Sequence[ZonePlan],
    running: set[str],
    events: queue.Queue[Event],
) -> None:
    """After an interruption: journal the zones not started, wait GRACE seconds for
    the steps in flight, end those still running (their workers then look at the zone,
    journal it and start no further step), and give up on any that do not settle."""
    number = stop_run.interrupted or signal.SIGINT
    name = signal_name(number)
    stop_run.report.interrupted = number
    reason = f"not started: kzguard stop was interrupted by {name}"
    for zone_plan in not_started:
        stop_run.settle(zone_plan.name, ZoneState.FAILED, reason)
    in_flight = sorted(running)
    _collect(running, events, GRACE)
    if running:
        ended = stop_run.host.runner.end_running()
        log.warning(
            "interrupted by %s: ending %d command(s) of %s, still running after %gs",
            name,
            ended,
            ", ".join(sorted(running)),
            GRACE,
        )
        _collect(running, events, SETTLE)
    for zone in stop_run.close(running):
        stop_run.settle(zone, ZoneState.FAILED, f"interrupted by {name}; state unknown")
    running.clear()
    parts = [f"in flight: {', '.join(in_flight) or 'none'}"]
    if not_started:
        parts.append(f"not started: {', '.join(sorted(z.name for z in not_started))}")
    log.error("interrupted by %s: started nothing more; %s", name, "; ".join(parts))


def _collect(running: set[str], events: queue.Queue[Event], seconds: float) -> None:
    end = time.monotonic() + seconds
    while running:
        left = end - time.monotonic()
        if left <= 0:
            return
        try:
            outcome = events.get(timeout=left)
        except queue.Empty:
            return
        if isinstance(outcome, StopOutcome):
            running.discard(outcome.name)

"""Progress lines on the system console while the stop and start methods run.

svc.startd sends a method's output to the service's log, not to the console, so a
stop method that suspends zones for minutes looks like a hung shutdown to whoever
watches the console.  Solaris methods write to /dev/msglog (msglog(7D): output of
startup scripts and background applications, dispatched to the console;
docs/solaris.md 14); the path is ``[paths] console``, "" for none.

What goes there: the executors' line for each zone started and finished (the same
short lines as in the SMF log: which zone, what, how long, why), the method's own
warnings and its summary, and every :data:`COUNTDOWN_INTERVAL` seconds the time left
of the deadline with the zones done so far, e.g.
``kzguard: stop: 12 of 40 zones done, 8m30s left of 15m``.

Writing must never block or fail the method.  The lines go through a bounded queue
to one writer thread (a full queue drops the line), which opens the path itself
with O_NONBLOCK (a FIFO without a reader fails at once instead of hanging) and
O_NOCTTY (a terminal never becomes the method's controlling terminal), cuts each
line to :data:`MAX_LINE` bytes and writes it with one write(2).  The first failure
is logged once; after it the console is given up.  The countdown counts from the
record, in memory, of the journal the method's path opened (the path hands it over
through what :func:`progress` yields); until then it gives the time alone.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator

from kzguard.journal.document import JournalDocument
from kzguard.journal.records import ZoneState
from kzguard.journal.store import Journal
from kzguard.policy.model import Policy
from kzguard.units import format_duration

log = logging.getLogger(__name__)

COUNTDOWN_INTERVAL = 30.0  # seconds between two countdown lines
MAX_LINE = 240  # bytes of one console line, newline included
QUEUE_LINES = 256  # lines waiting for the writer; more are dropped
CLOSE_WAIT = 2.0  # seconds the method waits for the last lines at its end
# The loggers whose lines go to the console: per-zone progress and the method's
# own verdicts, not the details of every command.
FORWARDED = (
    "kzguard.method",
    "kzguard.stop.path",
    "kzguard.stop.run",
    "kzguard.start.path",
    "kzguard.start.run",
)
# A stop or start record older than the method is a previous run's.
_CLOCK_SLACK = 5.0

Counter = Callable[[], "tuple[int, int] | None"]
Watch = Callable[[Journal], None]  # told of the journal a method's path opened


class Console:
    """Lines written to one console path by a writer thread, never blocking the caller."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lines: queue.Queue[bytes | None] = queue.Queue(QUEUE_LINES)
        self._writer = threading.Thread(target=self._write_all, name="kzguard-console")
        self._writer.daemon = True
        self._writer.start()

    def write(self, line: str) -> None:
        """Queue ``line`` (one line, no newline) for the console; drop it if the
        writer is that far behind."""
        cut = line.replace("\n", " ").encode("utf-8", "replace")[: MAX_LINE - 1]
        # Cut at a character's end: a console shows half a UTF-8 character as garbage.
        data = cut.decode("utf-8", "ignore").encode("utf-8") + b"\n"
        with contextlib.suppress(queue.Full):
            self._lines.put_nowait(data)

    def close(self) -> None:
        """Let the writer finish the queued lines, for :data:`CLOSE_WAIT` at most."""
        with contextlib.suppress(queue.Full):
            self._lines.put_nowait(None)
        self._writer.join(CLOSE_WAIT)

    def _write_all(self) -> None:
        descriptor: int | None = None
        failed = False
        while True:
            data = self._lines.get()
            if data is None:
                break
            if failed:
                continue
            try:
                if descriptor is None:
                    flags = os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK | os.O_NOCTTY
                    descriptor = os.open(self.path, flags)
                os.write(descriptor, data)
            except OSError as error:
                failed = True
                log.warning(
                    "console %s: %s; no more progress lines there",
                    self.path,
                    error.strerror or error,
                )
        if descriptor is not None:
            os.close(descriptor)


class ConsoleHandler(logging.Handler):
    """Copies the records of :data:`FORWARDED` loggers to the console as
    ``kzguard: METHOD: message``."""

    def __init__(self, console: Console, method: str) -> None:
        super().__init__(logging.INFO)
        self.console = console
        self.method = method

    def emit(self, record: logging.LogRecord) -> None:
        if record.name not in FORWARDED:
            return
        try:
            message = record.getMessage()
        except Exception:  # a malformed record must not fail the method
            return
        self.console.write(f"kzguard: {self.method}: {message}")


def countdown_line(
    method: str, deadline: float, elapsed: float, counts: tuple[int, int] | None
) -> str:
    """``kzguard: stop: 12 of 40 zones done, 8m30s left of 15m``."""
    left = format_duration(max(round(deadline - elapsed), 0))
    done = f"{counts[0]} of {counts[1]} zones done, " if counts is not None else ""
    return f"kzguard: {method}: {done}{left} left of {format_duration(deadline)}"


def journal_counts(journal: Journal | None, method: str, since: float) -> tuple[int, int] | None:
    """(zones done, zones in all) of the run that began at ``since`` (wall clock),
    from ``journal``'s record; None when unknown."""
    if journal is None:
        return None
    return _counts(journal.document, method, since - _CLOCK_SLACK)


def _counts(document: JournalDocument, method: str, since: float) -> tuple[int, int] | None:
    cycle = document.cycle
    if method == "stop":
        if cycle is None or (cycle.started or 0.0) < since:
            return None
        done = sum(
            1
            for record in cycle.zones.values()
            if isinstance(record.state, ZoneState) and not record.state.unfinished
        )
        return done, len(cycle.zones)
    start = document.start
    if start is None or (start.started or 0.0) < since or start.zones is None:
        return None
    if start.bypassed and document.armed is not None:
        total = len(set(document.armed.running))
    elif cycle is not None:
        total = len(cycle.zones)
    else:
        return None
    return len(start.zones), total


def _count_down(
    console: Console,
    method: str,
    *,
    deadline: float,
    started: float,
    clock: Callable[[], float],
    interval: float,
    count: Counter,
    done: threading.Event,
) -> None:
    while not done.wait(interval):
        try:
            counts = count()
        except Exception:  # the journal is the method's business, not the console's
            counts = None
        console.write(countdown_line(method, deadline, clock() - started, counts))


def _ignore(journal: Journal) -> None:
    pass


@contextlib.contextmanager
def progress(
    policy: Policy,
    method: str,
    *,
    deadline: float,
    started: float,
    clock: Callable[[], float] = time.monotonic,
    interval: float | None = None,
) -> Iterator[Watch]:
    """Write ``method``'s progress to the policy's console while the block runs.

    ``started``: when the method started, on ``clock``; ``deadline``: its seconds;
    ``interval``: between two countdown lines (None: COUNTDOWN_INTERVAL).  Yields
    a :data:`Watch`, to which the method's path hands the journal it opened: the
    countdown counts from that journal's record in memory instead of reading
    journal.json back (19 ms of CPU a line at 500 zones, and nothing to read where
    the state directory is unusable).  The countdown thread ends with the block."""
    if not policy.paths.console:
        yield _ignore
        return
    console = Console(policy.paths.console)
    handler = ConsoleHandler(console, method)
    root = logging.getLogger("kzguard")
    root.addHandler(handler)
    since = time.time()
    watched: list[Journal] = []  # the path's journal, once open
    done = threading.Event()
    ticker = threading.Thread(
        target=_count_down,
        name="kzguard-countdown",
        args=(console, method),
        kwargs={
            "deadline": deadline,
            "started": started,
            "clock": clock,
            "interval": COUNTDOWN_INTERVAL if interval is None else interval,
            "count": lambda: journal_counts(watched[-1] if watched else None, method, since),
            "done": done,
        },
        daemon=True,
    )
    ticker.start()
    try:
        yield watched.append
    finally:
        done.set()
        ticker.join(CLOSE_WAIT)
        root.removeHandler(handler)
        console.close()

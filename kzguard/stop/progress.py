"""A step of the stop method that is still running says so, so that a hung suspend
is not a silent wait of its whole timeout (10 minutes by default).

Every PROGRESS_EVERY seconds, or every tenth of the step's timeout when that is
shorter (a simulated host's fast clock, a short ``halt_timeout``), one line:
``kz3: suspend still running after 30s (timeout 10m)``.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator

from kzguard.units import format_duration

log = logging.getLogger(__name__)

PROGRESS_EVERY = 30.0
# Seconds the watcher waits for another step before its thread ends: longer than the
# gap between one transfer's end and the next one's start.
LINGER = 1.0


def interval(timeout: float) -> float:
    """Seconds between two progress lines of a step with ``timeout``."""
    return min(PROGRESS_EVERY, timeout / 10)


def line(zone: str, step: str, waited: float, timeout: float) -> str:
    return (
        f"{zone}: {step} still running after {format_duration(waited)} "
        f"(timeout {format_duration(timeout)})"
    )


@contextlib.contextmanager
def reported(zone: str, step: str, timeout: float) -> Iterator[None]:
    """Log a progress line at every :func:`interval` until the block ends."""
    watched = _Step(zone, step, timeout, interval(timeout), time.monotonic())
    _WATCH.add(watched)
    try:
        yield
    finally:
        _WATCH.remove(watched)


class _Step:
    """One step being watched (a plain class: a dataclass costs its import 0.5 ms)."""

    def __init__(self, zone: str, step: str, timeout: float, every: float, started: float):
        self.zone, self.step, self.timeout, self.every = zone, step, timeout, every
        self.started = started  # time.monotonic()
        self.lines = 0

    @property
    def due(self) -> float:
        return self.started + (self.lines + 1) * self.every


class _Watch:
    """One thread for every step being watched, not one for each (a stop of
    hundreds of zones would start hundreds; about 0.1 ms of CPU apiece).  It ends
    after LINGER seconds with no step to watch and is started again by the next."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._steps: list[_Step] = []
        self._watching = False

    def add(self, watched: _Step) -> None:
        with self._changed:
            # The watcher sleeps until the earliest line due when it last looked, no
            # later than any step's (a removed step's only leaves it waking early):
            # only a step due before all the others must wake it.  Each wake-up is a
            # thread switch, about 0.1 ms of CPU (docs/performance.md).
            if not self._steps or watched.due < min(step.due for step in self._steps):
                self._changed.notify()
            self._steps.append(watched)
            if self._watching:
                return
            self._watching = True
        # Not named kzguard-ZONE like the executors' workers: it only watches them,
        # and the executors' fake-clock tests wait for the workers alone
        # (tests/unit/fakes.py).
        threading.Thread(target=self._watch, name="progress", daemon=True).start()

    def remove(self, watched: _Step) -> None:
        with self._changed:
            self._steps = [step for step in self._steps if step is not watched]

    def _watch(self) -> None:
        while self._log_next_lines():
            pass

    def _log_next_lines(self) -> bool:
        """Log the lines due next, once due; False when no step came for LINGER
        seconds.  They are logged holding the lock that :meth:`remove` takes, so that
        no line says a step is still running after its end was logged."""
        with self._changed:
            idle_since: float | None = None
            while True:
                now = time.monotonic()
                if not self._steps:
                    idle_since = now if idle_since is None else idle_since
                    if now - idle_since >= LINGER:
                        self._watching = False
                        return False
                    self._changed.wait(LINGER - (now - idle_since))
                    continue
                idle_since = None
                due = [step for step in self._steps if step.due <= now]
                if due:
                    for step in due:
                        step.lines += 1
                        log.info(
                            "%s", line(step.zone, step.step, step.lines * step.every, step.timeout)
                        )
                    return True
                self._changed.wait(min(step.due for step in self._steps) - now)


_WATCH = _Watch()

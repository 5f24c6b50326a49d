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
from collections.abc import Iterator

from kzguard.units import format_duration

log = logging.getLogger(__name__)

PROGRESS_EVERY = 30.0


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
    every = interval(timeout)
    done = threading.Event()

    def report() -> None:
        count = 0
        while not done.wait(every):
            count += 1
            log.info("%s", line(zone, step, count * every, timeout))

    # Not named kzguard-ZONE like the executors' workers: it only watches one, and the
    # executors' fake-clock tests wait for the workers alone (tests/unit/fakes.py).
    threading.Thread(target=report, name=f"progress of {zone} {step}", daemon=True).start()
    try:
        yield
    finally:
        done.set()

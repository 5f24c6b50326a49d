"""Ahead of the suspends: write each zone's resume marker and read its in-zone boot
time, in plan order, a few zones at a time, so that these zlogin round trips do not
sit inside a suspend slot (bench/shutdown.py showed them stretching every slot).

A zone's suspend waits for its reading at most BOOT_TIME_TIMEOUT, and gives up a
marker write not yet begun (stop/marker.py, MarkerGate).  What is read is journalled
in memory only: the zone's intent, written before its suspend, carries it to disk
(stop/record.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from kzguard.errors import CommandError
from kzguard.journal.records import BootTimeEvidence, MarkerEvidence
from kzguard.solaris.host import Host
from kzguard.stop import marker
from kzguard.stop.record import StopRecord

# The executor's lines: the console forwards this logger (console.py).
log = logging.getLogger("kzguard.stop.run")

# Reading the in-zone boot time must never hold up a suspend for long.
BOOT_TIME_TIMEOUT = 5.0
# zlogin sessions opened at once to read boot times ahead of the suspends.
BOOT_TIME_READERS = 4


class ReadAhead:
    """The markers and boot times of the zones to suspend, read by a thread pool."""

    def __init__(
        self,
        host: Host,
        record: StopRecord,
        *,
        record_boot_time: bool,
        write_marker: bool,
        budget_end: float,
        clock: Callable[[], float],
    ) -> None:
        self.host = host
        self.record = record
        self.record_boot_time = record_boot_time
        self.write_marker = write_marker
        self.budget_end = budget_end
        self.clock = clock
        self._readings: dict[str, Future[None]] = {}
        self._gates: dict[str, marker.MarkerGate] = {}
        self._readers: ThreadPoolExecutor | None = None

    def start(self, names: Sequence[str]) -> None:
        """Begin reading for ``names``, in that order."""
        if not (self.record_boot_time or self.write_marker) or not names:
            return
        # Named kzguard-boot-time_N: the fake-clock tests count these as idle
        # between host calls (tests/unit/fakes.py).
        self._readers = ThreadPoolExecutor(
            BOOT_TIME_READERS, thread_name_prefix="kzguard-boot-time"
        )
        for name in names:
            if self.write_marker:
                self._gates[name] = marker.MarkerGate()
            self._readings[name] = self._readers.submit(self._read, name)

    def shutdown(self) -> None:
        if self._readers is not None:
            self._readers.shutdown(wait=False)

    def wait(self, name: str) -> None:
        """Before ``name``'s first step: wait (bounded) for its reading, and give up
        its marker if the write has not begun."""
        reading = self._readings.get(name)
        if reading is not None:
            limit = min(BOOT_TIME_TIMEOUT, max(self.budget_end - self.clock(), 0.0))
            try:
                reading.result(timeout=limit)  # never holds a suspend up for longer
            except FutureTimeout:
                pass
            except Exception as error:  # a bug there must not cost the zone its suspend
                log.error("%s: reading ahead failed: %r", name, error)
        gate = self._gates.get(name)
        if gate is not None and gate.close():
            why = "the suspend could not wait for it"
            log.warning(
                "%s: resume marker not written (%s); %s", name, why, marker.JUDGED_BY_BOOT_TIME
            )
            self.record.marker(name, MarkerEvidence(None, why))

    def _read(self, name: str) -> None:
        gate = self._gates.get(name)
        if gate is not None and gate.begin():
            try:
                timeout = min(marker.MARKER_TIMEOUT, max(self.budget_end - self.clock(), 0.1))
                self.record.marker(name, marker.write(self.host, name, timeout=timeout))
            finally:
                gate.end()
        if self.record_boot_time:
            self._read_boot_time(name)

    def _read_boot_time(self, name: str) -> None:
        timeout = min(BOOT_TIME_TIMEOUT, max(self.budget_end - self.clock(), 0.1))
        try:
            boot_time = self.host.boot_time(name, timeout=timeout)
        except CommandError as error:
            # Never block a suspend on this: the resume then cannot be verified.
            log.info("%s: boot time not recorded (%s); its resume cannot be verified", name, error)
            evidence = BootTimeEvidence(None, str(error))
        else:
            evidence = BootTimeEvidence(boot_time)
        self.record.boot_time(name, evidence)

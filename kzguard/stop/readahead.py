"""Ahead of the suspends: write each zone's resume marker and read its in-zone boot
time, a few zones at a time, so that these zlogin round trips sit neither inside a
suspend slot (bench/shutdown.py showed them stretching every slot) nor between the
survey and the first suspend.

The reading can begin before the plan exists, while the survey still reads the
zones' configurations (stop/path.py): :meth:`ReadAhead.want` gives the order to read
in, first a guess from the zone listing and the history, then the plan's own order,
which replaces it for every zone not yet begun.  What is read is kept until the
executor :meth:`attaches <ReadAhead.attach>` the journal (the cycle's records exist
only once the plan is made), and journalled in memory for the zone's intent,
written before its suspend, to carry to disk (stop/record.py); a zone the plan does
not suspend keeps nothing (a marker written into it is harmless: /system/volatile is
emptied at its next boot, docs/solaris.md 8).

A zone's suspend waits for its reading at most BOOT_TIME_TIMEOUT, and gives up a
marker write not yet begun (stop/marker.py, MarkerGate).  With both wanted (the
policy's ``verify``), one zlogin reads the boot time and then writes the marker
(Argv.boot_time_and_marker_writing).
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Collection, Sequence

from kzguard.errors import CommandError, CommandFailed, CommandTimedOut
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
# The readers' thread names: the fake-clock tests count these as idle between
# host calls (tests/unit/fakes.py).
READER_PREFIX = "kzguard-boot-time"


class ReadAhead:
    """The markers and boot times of the zones to suspend, read by a few threads in
    the order last asked for."""

    def __init__(
        self,
        host: Host,
        *,
        record_boot_time: bool,
        write_marker: bool,
        clock: Callable[[], float],
        budget_end: float = math.inf,
    ) -> None:
        self.host = host
        self.record_boot_time = record_boot_time
        self.write_marker = write_marker
        self.clock = clock
        self.budget_end = budget_end
        self._condition = threading.Condition()
        self._order: list[str] = []
        self._next = 0  # index in _order before which every zone is taken
        self._wanted: set[str] = set()
        self._taken: set[str] = set()
        self._done: set[str] = set()
        self._gates: dict[str, marker.MarkerGate] = {}
        self._kept: list[tuple[str, BootTimeEvidence | MarkerEvidence]] = []
        self._record: StopRecord | None = None
        self._journalled: Collection[str] = ()
        self._readers: list[threading.Thread] = []
        self._closed = False
        self._refused: set[str] = set()  # zlogin exited with an error (failed())

    @property
    def active(self) -> bool:
        return self.record_boot_time or self.write_marker

    def want(self, names: Sequence[str]) -> None:
        """Read ``names`` in this order, before any zone asked for earlier and not yet
        begun; start the readers on the first call."""
        if not self.active:
            return
        with self._condition:
            self._order = list(names)
            self._next = 0
            self._wanted.update(names)
            for name in names:
                if self.write_marker and name not in self._gates:
                    self._gates[name] = marker.MarkerGate()
            self._condition.notify_all()
            start = not self._readers and bool(names)
            if start:
                self._readers = [
                    threading.Thread(target=self._read_all, name=f"{READER_PREFIX}_{index}")
                    for index in range(BOOT_TIME_READERS)
                ]
        if start:
            for reader in self._readers:
                reader.daemon = True
                reader.start()

    def attach(self, record: StopRecord, names: Collection[str], budget_end: float) -> None:
        """From now on journal what is read for ``names`` (the zones the plan
        suspends), and what was kept for them so far."""
        with self._condition:
            self._record = record
            self._journalled = frozenset(names)
            self.budget_end = budget_end
            kept, self._kept = self._kept, []
            for name, evidence in kept:
                self._journal(name, evidence)

    def close(self) -> None:
        """Begin no further reading (those under way end on their own)."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()

    def wait(self, name: str) -> None:
        """Before ``name``'s first step: wait (bounded) for its reading, and give up
        its marker if the write has not begun."""
        if not self.active:
            return
        limit = min(BOOT_TIME_TIMEOUT, max(self.budget_end - self.clock(), 0.0))
        with self._condition:
            if name in self._wanted:
                # Real time: the reading runs real commands (never holds a suspend up
                # for longer than the limit).
                self._condition.wait_for(lambda: name in self._done or self._closed, limit)
            gate = self._gates.get(name)
        if gate is not None and gate.close():
            why = "the suspend could not wait for it"
            log.warning(
                "%s: resume marker not written (%s); %s", name, why, marker.JUDGED_BY_BOOT_TIME
            )
            self._keep(name, MarkerEvidence(None, why))

    def failed(self, name: str) -> bool:
        """Whether a zlogin into ``name`` exited with an error (not a timeout): zlogin
        refuses a zone that is not running (zlogin.c main(), docs/solaris.md 14), so
        the zone may have gone down since the survey, and the executor looks before
        suspending it."""
        with self._condition:
            return name in self._refused

    # -- the readers --------------------------------------------------------------

    def _read_all(self) -> None:
        while True:
            with self._condition:
                name = self._take()
                while name is None and not self._closed:
                    self._condition.wait()
                    name = self._take()
                if name is None:
                    return
            try:
                self._read(name)
            except Exception as error:  # a bug here must not cost the zone its suspend
                log.error("%s: reading ahead failed: %r", name, error)
            finally:
                with self._condition:
                    self._done.add(name)
                    self._condition.notify_all()

    def _take(self) -> str | None:
        """The first zone of the order not yet taken, now taken (caller holds the
        condition)."""
        if self._closed:
            return None
        while self._next < len(self._order):
            name = self._order[self._next]
            self._next += 1
            if name not in self._taken:
                self._taken.add(name)
                return name
        return None

    def _read(self, name: str) -> None:
        gate = self._gates.get(name)
        if gate is not None and gate.begin():
            try:
                if self.record_boot_time:
                    self._read_both(name)
                    return
                self._keep(name, self._write_marker(name, marker.new_nonce()))
            finally:
                gate.end()
        if self.record_boot_time:
            self._keep(name, self._boot_time(name))

    def _read_both(self, name: str) -> None:
        """The boot time and the marker by one zlogin (a zone connection fewer per
        zone at the busiest moment of the shutdown).  When the boot time cannot be
        read the list stopped before the marker, which is then written alone with
        the same nonce; not after a timeout: a zlogin that hung once would hold the
        suspend up a second time (and the marker, perhaps written, is not counted)."""
        nonce = marker.new_nonce()
        try:
            boot_time, failure = self.host.boot_time_and_new_marker(
                name, nonce, timeout=self._timeout()
            )
        except CommandError as error:
            if isinstance(error, CommandTimedOut):
                self._keep(name, marker.not_written(name, error))
            else:
                self._refused_by(name, error)
                self._keep(name, self._write_marker(name, nonce))
            self._keep(name, self._boot_time_unread(name, error))
            return
        evidence = MarkerEvidence(nonce) if failure is None else marker.not_written(name, failure)
        self._keep(name, evidence)
        self._keep(name, BootTimeEvidence(boot_time))

    def _write_marker(self, name: str, nonce: str) -> MarkerEvidence:
        return marker.write(
            self.host,
            name,
            timeout=self._timeout(),
            nonce=nonce,
            failed=lambda error: self._refused_by(name, error),
        )

    def _refused_by(self, name: str, error: CommandError) -> None:
        if isinstance(error, CommandFailed):
            with self._condition:
                self._refused.add(name)

    def _timeout(self) -> float:
        # One bound for every zlogin here, the marker's included: a suspend waits
        # for its reading at most BOOT_TIME_TIMEOUT.
        return min(
            marker.MARKER_TIMEOUT, BOOT_TIME_TIMEOUT, max(self.budget_end - self.clock(), 0.1)
        )

    def _boot_time(self, name: str) -> BootTimeEvidence:
        try:
            boot_time = self.host.boot_time(name, timeout=self._timeout())
        except CommandError as error:
            self._refused_by(name, error)
            return self._boot_time_unread(name, error)
        return BootTimeEvidence(boot_time)

    @staticmethod
    def _boot_time_unread(name: str, error: CommandError) -> BootTimeEvidence:
        # Never block a suspend on this: the resume then cannot be verified.
        log.info(
            "%s: boot time not recorded (%s); its resume cannot be verified", name, error.brief()
        )
        return BootTimeEvidence(None, str(error))

    # -- what was read ------------------------------------------------------------

    def _keep(self, name: str, evidence: BootTimeEvidence | MarkerEvidence) -> None:
        with self._condition:
            if self._record is None:
                self._kept.append((name, evidence))
            else:
                self._journal(name, evidence)

    def _journal(self, name: str, evidence: BootTimeEvidence | MarkerEvidence) -> None:
        """(caller holds the condition)"""
        if self._record is None or name not in self._journalled:
            return
        if isinstance(evidence, BootTimeEvidence):
            self._record.boot_time(name, evidence)
        else:
            self._record.marker(name, evidence)

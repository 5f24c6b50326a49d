"""The stop executor's journal writes, and which of them wait for the disk.

Only an intent (suspending, shutting down, halting) waits: it is written before its
zoneadm call, so that after a crash or a power loss the journal is never behind
what was done to a zone.  What the executor learns after the fact -- a step's
result, a zone's boot time, its resume marker -- is changed in memory only; the next
intent's flush carries it (every flush writes the whole document), and so does the
flusher, at most FLUSH_DELAY after it was made when no intent came first.

Why: each durable write is a whole-document rewrite with two fsyncs (journal/
store.py), and writing the result of one suspend before freeing its slot, then the
intent of the next, put two of them between every suspend's end and the next one's
start, most of the 28 ms median handoff measured at 100 simulated zones (8 ms
since; docs/reliability.md).  Now the slot is free as soon as the suspend returns,
and one write stands between the two.

What a crash in the window costs (docs/reliability.md, "What the journal
promises"): the journal still says suspending, shutting down or halting for a zone
whose step had ended.  A zone found suspended then is resumed all the same
("suspend completed", start/plan.py); one found down is reported lost because the
stop did not finish, which it had not.  A boot time or a resume marker is never
missing from a suspend it belongs to: the zone's own intent carries it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from kzguard.journal.records import BootTimeEvidence, MarkerEvidence, ZoneState
from kzguard.journal.store import Journal
from kzguard.policy.model import Action

# Seconds a change learnt after the fact may stay in memory when no intent carries it
# sooner (the last zones of a stop, a long suspend): short against any step, long
# against a handoff, in which the next zone's intent carries it.
FLUSH_DELAY = 0.1
_INTENTS = frozenset({ZoneState.SUSPENDING, ZoneState.SHUTTING_DOWN, ZoneState.HALTING})


class StopRecord:
    """The journal as the executor writes it: tolerant of a broken state directory,
    durable for intents, lazy (with a flusher thread) for everything else."""

    def __init__(self, journal: Journal, own_failure: Callable[[str], None]) -> None:
        self.journal = journal
        self._own_failure = own_failure
        self._broken = False
        self._condition = threading.Condition()
        self._dirty = False
        self._idle = False  # the flusher waits for a change (not in its delay)
        self._closed = False
        self._flusher: threading.Thread | None = None

    def write(self, write: Callable[[], None]) -> None:
        """A journal that cannot be written must not stop the suspends: losing the
        record costs a manual resume; not suspending loses the zones' state."""
        try:
            write()
        except Exception as error:  # StateError or OSError alike
            with self._condition:
                first = not self._broken
                self._broken = True
            if first:
                self._own_failure(f"journal not written: {error}")

    def transition(self, name: str, state: ZoneState, **details: Any) -> None:
        with self._condition:
            # After the run, nothing would flush it (an abandoned step ending late).
            durable = state in _INTENTS or self._closed
        self.write(lambda: self.journal.transition(name, state, durable=durable, **details))
        if not durable:
            self._wake_flusher()

    def settle(self, name: str, state: ZoneState, reason: str) -> None:
        """A zone no worker will settle (an interrupted or ended stop): at once."""
        self.write(lambda: self.journal.transition(name, state, reason=reason))

    def marker(self, name: str, evidence: MarkerEvidence) -> None:
        self.write(
            lambda: self.journal.change_zone(
                name, lambda zone: replace(zone, marker=evidence), durable=False
            )
        )

    def promoted(self, name: str, intent: tuple[Action, ...], note: str) -> None:
        """The zone's steps given back by the run (stop/promote.py), carried to
        disk by its next step's intent."""
        self.write(
            lambda: self.journal.change_zone(
                name, lambda zone: replace(zone, intent=intent, note=note), durable=False
            )
        )

    def boot_time(self, name: str, evidence: BootTimeEvidence) -> None:
        self.write(lambda: self.journal.record_boot_time(name, evidence, durable=False))

    # -- the flusher --------------------------------------------------------------

    def start(self) -> None:
        # Not named kzguard-...: the executors' fake-clock tests wait for those alone,
        # and this one waits in real time (tests/unit/fakes.py).
        self._flusher = threading.Thread(target=self._flush_soon, name="journal flusher")
        self._flusher.daemon = True
        self._flusher.start()

    def close(self) -> None:
        """Stop the flusher and make everything so far durable."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()
        self.write(self.journal.flush)

    def _wake_flusher(self) -> None:
        with self._condition:
            self._dirty = True
            # In its delay the flusher writes whatever is pending at the delay's end:
            # waking it there would only cost a thread switch (docs/performance.md).
            if self._idle:
                self._idle = False  # one wake-up is enough
                self._condition.notify_all()

    def _flush_soon(self) -> None:
        while True:
            with self._condition:
                while not self._dirty and not self._closed:
                    self._idle = True
                    self._condition.wait()
                    self._idle = False
                if self._closed:
                    return
                # Give the next intent the chance to carry the change first.
                end = time.monotonic() + FLUSH_DELAY
                while not self._closed and time.monotonic() < end:
                    self._condition.wait(end - time.monotonic())
                if self._closed:
                    return
                # Changes made from here on wait for the next round: this flush may
                # or may not carry them.
                self._dirty = False
            if self.journal.pending:
                self.write(self.journal.flush)

"""The journal and the history in the policy's ``state_dir``: reading, atomic writes,
and setting a corrupt file aside.

Files:
  journal.json   the current (or last) cycle: per zone, the intent and every
                 transition with times, durations and reasons
                 (:mod:`kzguard.journal.document`).  Written before each action and
                 after each transition, atomically (temporary file, fsync, rename,
                 fsync of the directory), so after a crash or a power loss at any
                 instant it parses and is never behind what was done to a zone.
  history.json   past suspend durations per zone, and the aggregate throughput per
                 concurrency that ``parallel = "auto"`` measured per path, bounded
                 (:mod:`kzguard.journal.history`).
  lock           held (flock) by the one kzguard operation allowed at a time
                 (:mod:`kzguard.journal.lock`).

Concurrent transitions from the executor's worker threads are group-committed: a
writer that finds its change already flushed by another thread returns at once.
A change made with ``durable=False`` is kept in memory until the next flush (the
next durable change, or :meth:`Journal.flush`) carries it: the stop executor uses
this for what it learns after the fact (a step's result, a boot time), so that only
the intent written before each zoneadm call waits for the disk
(docs/reliability.md, "What the journal promises").
"""

from __future__ import annotations

import errno
import json
import logging
import os
import stat
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Generic, TypeVar

from kzguard.atomic import write_atomically
from kzguard.errors import StateError
from kzguard.journal.document import JournalDocument, ResumedZone, StartRecord, StopCycle
from kzguard.journal.history import (
    Learned,
    PaceSample,
    PastRun,
    history_from_json,
    history_to_json,
    learned_from_json,
)
from kzguard.journal.pace_record import PaceRecord
from kzguard.journal.records import (
    BootTimeEvidence,
    StartOutcome,
    Transition,
    ZoneRecord,
    ZoneState,
)
from kzguard.policy.model import Action

log = logging.getLogger(__name__)

JOURNAL_NAME = "journal.json"
HISTORY_NAME = "history.json"
NOT_WRITABLE = "the state directory is not writable"


def state_dir_problem(path: str) -> str | None:
    """Why ``path`` cannot serve as the state directory, without changing anything
    (for ``kzguard status`` and ``kzguard plan stop``); None when it can, or when it
    does not exist yet (the methods create it)."""
    if os.path.islink(path):
        return f"{path}: the state directory is a symbolic link; refusing to use it"
    if not os.path.lexists(path):
        return None
    if not os.path.isdir(path):
        return f"{path}: the state directory is not a directory"
    # access(2) also reports a read-only file system (EROFS) to root.
    if not os.access(path, os.W_OK | os.X_OK):
        return f"{path}: {NOT_WRITABLE}"
    return None


def ensure_state_dir(path: str) -> str:
    """Create the state directory (0700) if needed; refuse anything else in its place.

    A symbolic link is refused too: kzguard runs as root, and a link planted there
    would redirect its writes.
    """
    if os.path.islink(path):
        raise StateError(f"{path}: the state directory is a symbolic link; refusing to use it")
    if os.path.lexists(path) and not os.path.isdir(path):
        raise StateError(f"{path}: the state directory is not a directory")
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
    except OSError as error:
        raise StateError(f"{path}: cannot create the state directory: {error.strerror}") from None
    return path


def read_json(path: str, *, move_aside: bool = True) -> tuple[dict[str, Any] | None, str | None]:
    """Read a JSON document kzguard wrote.

    Returns (document, None), (None, None) when the file does not exist, or
    (None, problem) after moving an unusable file aside, so that a corrupt journal
    is reported and kept for inspection but never stops the guard.  Readers that
    must change nothing (``kzguard status``) pass ``move_aside=False``.
    """

    def unusable(what: str) -> str:
        return _move_aside(path, what) if move_aside else f"{path} {what}"

    try:
        # O_NONBLOCK: a FIFO planted here must not hang the guard in open(2).
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None, None
    except OSError as error:
        if error.errno == errno.ELOOP:
            return None, unusable("is a symbolic link")
        return None, f"{path}: cannot read: {error.strerror}"
    mode = 0
    chunks = []
    try:
        mode = os.fstat(descriptor).st_mode
        # A directory, FIFO or device planted here is set aside like a corrupt file.
        while stat.S_ISREG(mode):
            chunk = os.read(descriptor, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    except OSError as error:
        return None, f"{path}: cannot read: {error.strerror}"
    finally:
        os.close(descriptor)
    if not stat.S_ISREG(mode):
        return None, unusable("is a directory" if stat.S_ISDIR(mode) else "is not a regular file")
    try:
        document = json.loads(b"".join(chunks).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return None, unusable(f"is not valid JSON ({error})")
    if not isinstance(document, dict):
        return None, unusable("is not a JSON object")
    return document, None


def _move_aside(path: str, what: str) -> str:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = f"{path}.bad-{stamp}"
    try:
        os.rename(path, target)
    except OSError as error:
        return f"{path} {what} and could not be moved aside: {error.strerror}"
    return f"{path} {what}; moved aside to {target}"


def read_journal(state_dir: str) -> tuple[JournalDocument | None, str | None]:
    """The journal's records without changing anything (``kzguard status``): None
    when there is no journal, and the problem text when it cannot be used."""
    raw, problem = read_json(os.path.join(state_dir, JOURNAL_NAME), move_aside=False)
    return (JournalDocument.from_json(raw) if raw is not None else None), problem


def write_file(path: str, data: bytes) -> None:
    """:func:`kzguard.atomic.write_atomically` for a file of the state directory (or
    the last known good policy): a failure is kzguard's own, a StateError."""
    try:
        write_atomically(path, data)
    except OSError as error:
        raise StateError(f"{path}: cannot write: {error.strerror}") from None


class Journal:
    """The current cycle's record, shared by the executor's threads.  Every change is
    a new :class:`JournalDocument`, flushed before the call returns."""

    def __init__(self, state_dir: str | None, document: JournalDocument | None = None) -> None:
        # None: the state directory is unusable; the record is kept in memory only,
        # so that the suspends still happen (the caller reports the failure).
        self.path = os.path.join(state_dir, JOURNAL_NAME) if state_dir is not None else None
        self._document = document or JournalDocument()
        self._memory = threading.Lock()
        self._disk = threading.Lock()
        self._version = 0
        self._flushed = 0
        # Encoded zone records, reused while their zone's record is the same value:
        # re-encoding every zone at every transition made a 500-zone stop quadratic
        # (bench/shutdown.py).  The same for the start record's zones: every
        # resume's outcome rewrote them all.
        self._encoded_zones: _ZonesText[ZoneRecord] = _ZonesText()
        self._encoded_resumed: _ZonesText[ResumedZone] = _ZonesText()

    @classmethod
    def load(cls, state_dir: str) -> tuple[Journal, str | None]:
        """Open the journal in ``state_dir``; the problem text is set when the old
        file could not be used (it has then been moved aside)."""
        raw, problem = read_json(os.path.join(state_dir, JOURNAL_NAME))
        document = JournalDocument.from_json(raw) if raw is not None else None
        return cls(state_dir, document), problem

    @property
    def document(self) -> JournalDocument:
        with self._memory:
            return self._document

    @property
    def cycle(self) -> StopCycle | None:
        return self.document.cycle

    @property
    def durable(self) -> bool:
        """Whether every change so far is on disk (never without a state directory)."""
        with self._memory:
            return self.path is not None and self._flushed >= self._version

    # -- the changes ------------------------------------------------------------

    def begin_cycle(self, cycle: StopCycle) -> None:
        """Start a new cycle record (the previous one is replaced) and flush it."""
        self.commit(lambda document: replace(document, cycle=cycle))

    def transition(
        self,
        name: str,
        state: ZoneState,
        *,
        step: Action | None = None,
        timeout: float | None = None,
        seconds: float | None = None,
        reason: str | None = None,
        durable: bool = True,
    ) -> None:
        """Record that zone ``name`` entered ``state`` now, and flush before returning
        (``durable``; else with the next flush)."""
        entry = Transition(state, round(time.time(), 3), step, timeout, seconds, reason)
        self.commit(lambda document: document.with_transition(name, entry), durable=durable)

    def record_boot_time(
        self, name: str, evidence: BootTimeEvidence, *, durable: bool = True
    ) -> None:
        self.commit(
            lambda document: document.with_zone(
                name, lambda zone: replace(zone, boot_time=evidence)
            ),
            durable=durable,
        )

    def finish_cycle(self, summary: str) -> None:
        finished = round(time.time(), 3)
        self.commit(lambda document: document.with_cycle_finished(finished, summary))

    def record_pace(self, kind: str, record: PaceRecord) -> None:
        """How many transfers ran at once: the stop cycle's ("suspend") or this boot's
        start record's ("resume"); nothing when there is no such record."""

        def change(document: JournalDocument) -> JournalDocument:
            if kind == "suspend" and document.cycle is not None:
                return replace(document, cycle=replace(document.cycle, pace=record))
            if kind == "resume" and document.start is not None:
                return replace(document, start=replace(document.start, pace=record))
            return document

        self.commit(change)

    def begin_start(self, record: StartRecord) -> None:
        """Start this boot's start record (the previous one is replaced)."""
        self.commit(lambda document: replace(document, start=record))

    def record_start_outcome(self, outcome: StartOutcome) -> None:
        entry = ResumedZone.of(outcome, round(time.time(), 3))
        self.commit(lambda document: document.with_resumed_zone(outcome.name, entry))

    @property
    def pending(self) -> bool:
        """Whether a change is still only in memory (made with ``durable=False``)."""
        with self._memory:
            return self._flushed < self._version

    def commit(
        self, change: Callable[[JournalDocument], JournalDocument], *, durable: bool = True
    ) -> None:
        """Apply ``change`` to the document and make the result durable (with
        ``durable=False``: leave it to the next flush)."""
        with self._memory:
            try:
                self._document = change(self._document)
            except StateError as error:
                raise StateError(f"{self.path}: {error}") from None
            self._version += 1
            mine = self._version
        if durable:
            self._flush(mine)

    def flush(self) -> None:
        """Make every change made so far durable."""
        with self._memory:
            mine = self._version
        self._flush(mine)

    def _flush(self, mine: int) -> None:
        with self._disk:
            if self._flushed >= mine:
                return  # another thread's flush already carried this change
            with self._memory:
                # Compact: the whole document is rewritten at every transition, and
                # indenting it tripled the cost for hundreds of zones (bench/).
                data = self._encode().encode("utf-8")
                version = self._version
            if self.path is not None:
                write_file(self.path, data)
            self._flushed = version

    def _encode(self) -> str:
        """The document as compact JSON, the cycle last, each zone record (the
        cycle's and the start record's) encoded once per change (callers hold
        ``_memory``)."""
        document = self._document
        data = document.to_json(records=False)
        if document.start is not None:
            resume = data["resume"]
            resume["zones"] = self._encoded_resumed.encoded(document.start.zones or {})
            data["resume"] = _Encoded(_members(resume))
        if document.cycle is not None:
            cycle = document.cycle.to_json(zones=False)
            cycle["zones"] = self._encoded_zones.encoded(document.cycle.zones)
            data["cycle"] = _Encoded(_members(cycle))
        return _members(data)


class _Encoded(str):
    """JSON text already encoded, put into its object as it is."""


def _members(members: Mapping[str, Any]) -> str:
    """``members`` as a compact JSON object, in their order; an :class:`_Encoded`
    value goes in as it is."""
    texts = (
        value if isinstance(value, _Encoded) else json.dumps(value, separators=(",", ":"))
        for value in members.values()
    )
    return "{" + ",".join(f"{json.dumps(key)}:{text}" for key, text in zip(members, texts)) + "}"


_Record = TypeVar("_Record", ZoneRecord, ResumedZone)


class _ZonesText(Generic[_Record]):
    """Zone records as one JSON object, each member's text (name and record) kept
    while the record is the same value, and the whole text while the mapping is the
    same object: a document's mappings are never changed in place (every change
    makes a new one, journal/document.py), and the half a method does not touch (a
    stop's resume record, a start's cycle) cost 1 ms a write at 500 zones."""

    def __init__(self) -> None:
        self._members: dict[str, tuple[_Record, str]] = {}
        self._last: tuple[Mapping[str, _Record], _Encoded] | None = None

    def encoded(self, zones: Mapping[str, _Record]) -> _Encoded:
        if self._last is not None and self._last[0] is zones:
            return self._last[1]
        parts = []
        for name, record in zones.items():
            entry = self._members.get(name)
            if entry is None or entry[0] is not record:
                text = json.dumps(record.to_json(), separators=(",", ":"))
                entry = self._members[name] = (record, f"{json.dumps(name)}:{text}")
            parts.append(entry[1])
        whole = _Encoded("{" + ",".join(parts) + "}")
        self._last = (zones, whole)
        return whole


def load_history(state_dir: str) -> tuple[dict[str, list[PastRun]], str | None]:
    """Past suspends per zone, oldest first; unreadable history is moved aside."""
    document, problem = read_json(os.path.join(state_dir, HISTORY_NAME))
    return history_from_json(document), problem


def load_learned(state_dir: str) -> tuple[dict[str, list[PaceSample]], str | None]:
    """What ``parallel = "auto"`` measured, per path; unreadable history is moved aside."""
    document, problem = read_json(os.path.join(state_dir, HISTORY_NAME))
    return learned_from_json(document), problem


def save_history(
    state_dir: str,
    history: Mapping[str, Sequence[PastRun]],
    *,
    now: float,
    learned: Learned | None = None,
) -> None:
    """Write history.json, bounded (:func:`kzguard.journal.history.history_to_json`);
    ``learned`` None keeps what the file holds."""
    if learned is None:
        learned, _ = load_learned(state_dir)
    document = history_to_json(history, now=now, learned=learned)
    write_file(
        os.path.join(state_dir, HISTORY_NAME),
        json.dumps(document, indent=1, sort_keys=True).encode("utf-8"),
    )


def save_learned(state_dir: str, kind: str, samples: Sequence[PaceSample], *, now: float) -> None:
    """Replace what history.json holds for the path ``kind`` ("suspend", "resume")."""
    document, _ = read_json(os.path.join(state_dir, HISTORY_NAME))
    learned: dict[str, Sequence[PaceSample]] = dict(learned_from_json(document))
    learned[kind] = samples
    save_history(state_dir, history_from_json(document), now=now, learned=learned)

"""The journal and the history in the policy's ``state_dir``: reading, atomic writes,
and setting a corrupt file aside.

Files:
  journal.json   the current (or last) cycle: per zone, the intent and every
                 transition with times, durations and reasons
                 (:mod:`kzguard.journal.document`), as of its last rewrite: atomic
                 (temporary file, fsync, rename, fsync of the directory), at every
                 change that is not one zone's, so at a run's beginning and end.
  journal.changes
                 the zone records changed since, a line each (appended, fsync'd):
                 each zone's transitions, written before each action and after
                 each step.  Read together (:func:`read_journal_json`), the two are
                 never behind what was done to a zone, after a crash or a power
                 loss at any instant.  Rewriting the whole document at every
                 transition cost 2-3 ms of CPU a zone at 500 zones (bench/cycle.py).
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
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Generic, TypeVar

from kzguard.atomic import write_atomically
from kzguard.errors import StateError
from kzguard.journal.configs import ConfigRecord
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
    JOURNAL_FORMAT,
    BootTimeEvidence,
    StartOutcome,
    Transition,
    ZoneRecord,
    ZoneState,
)
from kzguard.model import Zone
from kzguard.policy.model import Action

log = logging.getLogger(__name__)

JOURNAL_NAME = "journal.json"
CHANGES_NAME = "journal.changes"
HISTORY_NAME = "history.json"
# The configurations last read, with their zone files' stamps (journal/configs.py).
CONFIGS_NAME = "configs.json"
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
    document, problem, _ = _read_document(path, move_aside=move_aside)
    return document, problem


def _read_document(
    path: str, *, move_aside: bool
) -> tuple[dict[str, Any] | None, str | None, bytes]:
    """:func:`read_json`, and the bytes the document was read from."""

    def unusable(what: str) -> str:
        return _move_aside(path, what) if move_aside else f"{path} {what}"

    try:
        # O_NONBLOCK: a FIFO planted here must not hang the guard in open(2).
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None, None, b""
    except OSError as error:
        if error.errno == errno.ELOOP:
            return None, unusable("is a symbolic link"), b""
        return None, f"{path}: cannot read: {error.strerror}", b""
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
        return None, f"{path}: cannot read: {error.strerror}", b""
    finally:
        os.close(descriptor)
    if not stat.S_ISREG(mode):
        what = "is a directory" if stat.S_ISDIR(mode) else "is not a regular file"
        return None, unusable(what), b""
    data = b"".join(chunks)
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return None, unusable(f"is not valid JSON ({error})"), data
    if not isinstance(document, dict):
        return None, unusable("is not a JSON object"), data
    written = document.get("format")
    if type(written) is int and written > JOURNAL_FORMAT:
        # The state directory is shared by every boot environment (/var/share): a
        # newer kzguard's file read after booting an older one.  The format number
        # is raised only for changes an older reader would misread (docs/formats.md).
        what = (
            f"has format {written}, which this kzguard (format {JOURNAL_FORMAT}) cannot "
            "read: written by a newer kzguard, in another boot environment?"
        )
        return None, unusable(what), data
    return document, None, data


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
    raw, problem = read_journal_json(state_dir, move_aside=False)
    return (JournalDocument.from_json(raw) if raw is not None else None), problem


def read_journal_json(
    state_dir: str, *, move_aside: bool = True
) -> tuple[dict[str, Any] | None, str | None]:
    """journal.json with the zone records of journal.changes written after it
    applied, as :func:`read_json` returns it."""
    raw, problem, data = _read_document(
        os.path.join(state_dir, JOURNAL_NAME), move_aside=move_aside
    )
    if raw is None:
        return raw, problem
    for part, name, record in _read_changes(os.path.join(state_dir, CHANGES_NAME), data):
        section = raw.get(part)
        zones = section.get("zones") if isinstance(section, dict) else None
        if isinstance(zones, dict):
            zones[name] = record
    return raw, problem


def _changes_header(journal: bytes) -> bytes:
    """journal.changes' first line: the journal.json its lines follow, by size and
    CRC-32 (a new journal.json every run differs from the last in its times)."""
    return b'{"journal":[%d,%d]}\n' % (len(journal), zlib.crc32(journal))


def _read_changes(path: str, journal: bytes) -> list[tuple[str, str, dict[str, Any]]]:
    """(part, zone, record) of every line of ``path`` written after ``journal``
    (journal.json's bytes), oldest first.  A line cut short by a crash can only be
    the last (each write is whole lines, and none is made before the previous
    one's fsync): the reading stops at the first line that does not parse."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return []
    chunks = []
    try:
        while stat.S_ISREG(os.fstat(descriptor).st_mode):
            chunk = os.read(descriptor, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    except OSError:
        return []
    finally:
        os.close(descriptor)
    header = _changes_header(journal)
    text = b"".join(chunks)
    if not text.startswith(header):
        return []  # the lines of an earlier journal.json, which holds them already
    changes = []
    for line in text[len(header) :].split(b"\n"):
        try:
            entry = json.loads(line)
        except ValueError:
            break
        for part in _CHANGE_PARTS:
            change = entry.get(part) if isinstance(entry, dict) else None
            if (
                isinstance(change, list)
                and len(change) == 2
                and isinstance(change[0], str)
                and isinstance(change[1], dict)
            ):
                changes.append((part, change[0], change[1]))
    return changes


def write_file(path: str, data: bytes) -> None:
    """:func:`kzguard.atomic.write_atomically` for a file of the state directory (or
    the last known good policy): a failure is kzguard's own, a StateError."""
    try:
        write_atomically(path, data)
    except OSError as error:
        raise StateError(f"{path}: cannot write: {error.strerror}") from None


# The parts of the document whose zone records journal.changes carries, as the
# document's JSON names them: the stop cycle's zones, and the start record's.
CYCLE = "cycle"
RESUME = "resume"
_CHANGE_PARTS = (CYCLE, RESUME)


class Journal:
    """The current cycle's record, shared by the executor's threads.  Every change is
    a new :class:`JournalDocument`, flushed before the call returns."""

    def __init__(self, state_dir: str | None, document: JournalDocument | None = None) -> None:
        # None: the state directory is unusable; the record is kept in memory only,
        # so that the suspends still happen (the caller reports the failure).
        self.path = os.path.join(state_dir, JOURNAL_NAME) if state_dir is not None else None
        self._changes_path = (
            os.path.join(state_dir, CHANGES_NAME) if state_dir is not None else None
        )
        self._document = document or JournalDocument()
        self._memory = threading.Lock()
        self._disk = threading.Lock()
        self._version = 0
        self._flushed = 0
        # What the next flush must write: the zone records changed since the last
        # (part, zone), or the whole document (``_rewrite``) after any other change.
        # Until this journal has rewritten journal.json once, it does not know what
        # belongs to it: the first flush rewrites it.
        self._changed: dict[tuple[str, str], None] = {}
        self._rewrite = True
        self._parts_written: frozenset[str] = frozenset()
        self._changes_ready = False  # journal.changes begins with the last rewrite's header
        self._changes_unusable: str | None = None  # why, once said
        # Encoded zone records, reused while their zone's record is the same value:
        # re-encoding every zone at every rewrite made a 500-zone stop quadratic
        # (bench/shutdown.py).  The same for the start record's zones.
        self._encoded_zones: _ZonesText[ZoneRecord] = _ZonesText()
        self._encoded_resumed: _ZonesText[ResumedZone] = _ZonesText()

    @classmethod
    def load(cls, state_dir: str) -> tuple[Journal, str | None]:
        """Open the journal in ``state_dir``; the problem text is set when the old
        file could not be used (it has then been moved aside)."""
        raw, problem = read_journal_json(state_dir)
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
        self.commit(lambda document: document.with_cycle(cycle))

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
        self.change_zone(name, lambda zone: zone.entered(entry), durable=durable)

    def record_boot_time(
        self, name: str, evidence: BootTimeEvidence, *, durable: bool = True
    ) -> None:
        self.change_zone(name, lambda zone: replace(zone, boot_time=evidence), durable=durable)

    def change_zone(
        self, name: str, change: Callable[[ZoneRecord], ZoneRecord], *, durable: bool = True
    ) -> None:
        """``change`` applied to the cycle's record of zone ``name``."""
        self.commit(
            lambda document: document.with_zone(name, change),
            durable=durable,
            zone=(CYCLE, name),
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
        self.commit(lambda document: document.with_start(record))

    def record_start_outcome(self, outcome: StartOutcome) -> None:
        entry = ResumedZone.of(outcome, round(time.time(), 3))
        self.commit(
            lambda document: document.with_resumed_zone(outcome.name, entry),
            zone=(RESUME, outcome.name),
        )

    @property
    def pending(self) -> bool:
        """Whether a change is still only in memory (made with ``durable=False``)."""
        with self._memory:
            return self._flushed < self._version

    def commit(
        self,
        change: Callable[[JournalDocument], JournalDocument],
        *,
        durable: bool = True,
        zone: tuple[str, str] | None = None,
    ) -> None:
        """Apply ``change`` to the document and make the result durable (with
        ``durable=False``: leave it to the next flush).  ``zone`` (part, name): the
        change is to that zone's record alone, which journal.changes can carry."""
        with self._memory:
            try:
                self._document = change(self._document)
            except StateError as error:
                raise StateError(f"{self.path}: {error}") from None
            self._version += 1
            mine = self._version
            if zone is None:
                self._rewrite = True
            else:
                self._changed[zone] = None
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
                version = self._version
                changed, self._changed = self._changed, {}
                document = self._document
                parts = frozenset(
                    part
                    for part, present in ((CYCLE, document.cycle), (RESUME, document.start))
                    if present is not None
                )
                rewrite = (
                    self._rewrite
                    or not self._changes_ready
                    or any(part not in self._parts_written for part, _ in changed)
                )
                self._rewrite = False
                data = self._encode().encode("utf-8") if rewrite else self._encode_changes(changed)
            if self.path is not None:
                try:
                    if rewrite:
                        self._write_whole(self.path, data, parts)
                    else:
                        self._append(data)
                except BaseException:
                    with self._memory:
                        self._rewrite = True  # what is on disk is unknown: all again
                    raise
            self._flushed = version

    def _write_whole(self, path: str, data: bytes, parts: frozenset[str]) -> None:
        """Rewrite journal.json, then start journal.changes afresh (callers hold
        ``_disk``).

        journal.changes is created before journal.json is renamed into place, so
        the rename's directory fsync makes its name durable too; it is emptied only
        after, so a crash between the two leaves the old lines, whose header names
        the old journal.json, to be ignored, never the new journal.json without the
        changes it took in.  The header needs no fsync of its own: the first line
        appended after it is fsync'd with it, and until then no line depends on it."""
        self._changes_ready = False
        changes, why = self._open_changes(os.O_CREAT)
        try:
            write_file(path, data)
            self._parts_written = parts
            if changes is None:
                # Said only now: where journal.json cannot be written either (a
                # read-only state directory), that is the failure to report.
                self._unusable(why)
                return
            os.ftruncate(changes, 0)
            os.write(changes, _changes_header(data))
            self._changes_ready = True
        except OSError as error:
            # journal.json is written: the next change rewrites it again.
            self._unusable(f"cannot write: {error.strerror}")
        finally:
            if changes is not None:
                os.close(changes)

    def _append(self, data: bytes) -> None:
        """Append whole lines to journal.changes and fsync (callers hold ``_disk``)."""
        changes, why = self._open_changes(0)
        if changes is None:
            self._unusable(why)
            raise StateError(f"{self._changes_path}: {why}")
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(changes, view) :]
            os.fsync(changes)
        except OSError as error:
            raise StateError(f"{self._changes_path}: cannot write: {error.strerror}") from None
        finally:
            os.close(changes)

    def _open_changes(self, create: int) -> tuple[int | None, str]:
        """journal.changes open for appending (``create``: os.O_CREAT, or 0), or None
        and why it cannot be used (then every change rewrites journal.json)."""
        if self._changes_path is None:
            return None, "no state directory"  # pragma: no cover (path is None too)
        try:
            # O_NONBLOCK: a FIFO planted here must not hang the guard.
            descriptor = os.open(
                self._changes_path,
                os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_NONBLOCK | create,
                0o600,
            )
        except OSError as error:
            return None, f"cannot open: {error.strerror}"
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            os.close(descriptor)
            return None, "not a regular file"
        return descriptor, ""

    def _unusable(self, why: str) -> None:
        """Say once, and again only for another reason, why journal.changes is not
        used: the journal is as safe without it, every change rewriting journal.json."""
        if why != self._changes_unusable:
            self._changes_unusable = why
            log.warning("%s: %s; every change rewrites %s", self._changes_path, why, JOURNAL_NAME)

    def _encode_changes(self, changed: Mapping[tuple[str, str], None]) -> bytes:
        """A line of journal.changes for each changed zone record (callers hold
        ``_memory``)."""
        document = self._document
        lines = []
        for part, name in changed:
            if part == CYCLE and document.cycle is not None:
                record: ZoneRecord | ResumedZone | None = document.cycle.zones.get(name)
            else:
                record = (document.start.zones or {}).get(name) if document.start else None
            if record is not None:
                member = json.dumps([name, record.to_json()], separators=(",", ":"))
                lines.append(f'{{"{part}":{member}}}\n')
        return "".join(lines).encode("utf-8")

    def _encode(self) -> str:
        """The document as compact JSON, the cycle last, each zone record (the
        cycle's and the start record's) encoded once per change (callers hold
        ``_memory``)."""
        document = self._document
        data = document.to_json(records=False)
        if document.start is not None:
            resume = data[RESUME]
            resume["zones"] = self._encoded_resumed.encoded(document.start.zones or {})
            data[RESUME] = _Encoded(_members(resume))
        if document.cycle is not None:
            cycle = document.cycle.to_json(zones=False)
            cycle["zones"] = self._encoded_zones.encoded(document.cycle.zones)
            data[CYCLE] = _Encoded(_members(cycle))
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


def load_history_and_learned(
    state_dir: str, *, move_aside: bool = True
) -> tuple[dict[str, list[PastRun]], dict[str, list[PaceSample]], str | None]:
    """Both of history.json's parts, from one read; unreadable history is moved
    aside (``move_aside``: readers that must change nothing pass False, read_json)."""
    document, problem = read_json(os.path.join(state_dir, HISTORY_NAME), move_aside=move_aside)
    return history_from_json(document), learned_from_json(document), problem


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


def load_config_record(
    state_dir: str, *, move_aside: bool = True
) -> tuple[ConfigRecord, str | None]:
    """The configurations last read (an empty record without the file); an
    unreadable file is moved aside (unless not ``move_aside``: ``kzguard check``),
    and every configuration is then read."""
    document, problem = read_json(os.path.join(state_dir, CONFIGS_NAME), move_aside=move_aside)
    return ConfigRecord.from_json(document), problem


def save_config_record(state_dir: str, record: ConfigRecord) -> None:
    """Write configs.json (atomically, as every state file)."""
    write_file(
        os.path.join(state_dir, CONFIGS_NAME),
        json.dumps(record.to_json(), indent=1, sort_keys=True).encode("utf-8"),
    )


def record_configs(
    state_dir: str, zones: Sequence[Zone], recorded: ConfigRecord | None = None
) -> None:
    """Keep the configurations ``zones`` (every zone listed) were read with in
    configs.json, ``recorded`` (else the file's) updated (journal/configs.py).  The
    first proof that the zone files do not follow the configurations is said once.
    A file that cannot be written costs the next stop only its shortcut."""
    if recorded is None:
        recorded, problem = load_config_record(state_dir)
        if problem:
            log.warning("%s", problem)
    updated = recorded.updated(zones)
    if updated.untrusted is not None and recorded.untrusted is None:
        log.warning(
            "%s: the zone files do not follow zonecfg on this host; every stop will "
            "read every configuration before its first suspend",
            updated.untrusted,
        )
    if updated == recorded:
        return
    try:
        save_config_record(state_dir, updated)
    except StateError as error:
        log.warning("configurations not recorded: %s", error)

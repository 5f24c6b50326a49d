"""The crash-safe record of what kzguard did, under the policy's ``state_dir``.

Files:
  journal.json   the current (or last) cycle: per zone, the intent and every
                 transition with times, durations and reasons.  Written before each
                 action and after each transition, atomically (temporary file, fsync,
                 rename, fsync of the directory), so after a crash or a power loss at
                 any instant it parses and is never behind what was done to a zone.
  history.json   past suspend durations per zone, bounded, for predictions.
  lock           held (flock) by the one kzguard operation allowed at a time.

Concurrent transitions from the executor's worker threads are group-committed: a
writer that finds its change already flushed by another thread returns at once.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

from kzguard.errors import StateError
from kzguard.plan import PastRun

JOURNAL_FORMAT = 1
JOURNAL_NAME = "journal.json"
HISTORY_NAME = "history.json"
LOCK_NAME = "lock"
# Bounds of history.json: enough runs per zone for a median, and a cap on zones so
# that a host that churned through thousands of zone names cannot grow it forever.
HISTORY_RUNS = 10
HISTORY_ZONES = 2000


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


def write_atomically(path: str, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves the old or the new file,
    never a mixture: temporary file, fsync, rename, fsync of the directory."""
    directory = os.path.dirname(path) or "."
    temporary = f"{path}.tmp.{os.getpid()}.{threading.get_ident()}"
    try:
        descriptor = os.open(
            temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600
        )
        try:
            view = memoryview(data)
            while view:
                written = os.write(descriptor, view)
                view = view[written:]
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.rename(temporary, path)
        directory_descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(directory_descriptor)
        finally:
            os.close(directory_descriptor)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise StateError(f"{path}: cannot write: {error.strerror}") from None


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
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None, None
    except OSError as error:
        if error.errno == errno.ELOOP:
            return None, unusable("is a symbolic link")
        return None, f"{path}: cannot read: {error.strerror}"
    try:
        with os.fdopen(descriptor, "rb") as stream:
            raw = stream.read()
    except OSError as error:
        return None, f"{path}: cannot read: {error.strerror}"
    try:
        document = json.loads(raw.decode("utf-8"))
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


class Journal:
    """The current cycle's record, shared by the executor's threads."""

    def __init__(self, state_dir: str | None) -> None:
        # None: the state directory is unusable; the record is kept in memory only,
        # so that the suspends still happen (the caller reports the failure).
        self.path = os.path.join(state_dir, JOURNAL_NAME) if state_dir is not None else None
        self.document: dict[str, Any] = {"format": JOURNAL_FORMAT}
        self._memory = threading.Lock()
        self._disk = threading.Lock()
        self._version = 0
        self._flushed = 0
        # Encoded zone records, reused until their zone changes: re-encoding every
        # zone at every transition made a 500-zone stop quadratic (bench/shutdown.py).
        self._encoded_zones: dict[str, str] = {}

    @classmethod
    def load(cls, state_dir: str) -> tuple[Journal, str | None]:
        """Open the journal in ``state_dir``; the problem text is set when the old
        file could not be used (it has then been moved aside)."""
        journal = cls(state_dir)
        document, problem = read_json(os.path.join(state_dir, JOURNAL_NAME))
        if document is not None:
            journal.document = document
        return journal, problem

    @property
    def cycle(self) -> dict[str, Any] | None:
        cycle = self.document.get("cycle")
        return cycle if isinstance(cycle, dict) else None

    def update(self, change: Mapping[str, Any] | None = None, **fields: Any) -> None:
        """Merge top-level ``fields`` into the document and flush."""

        def apply(document: dict[str, Any]) -> None:
            document.update(change or {}, **fields)

        self.commit(apply)

    def begin_cycle(self, cycle: dict[str, Any]) -> None:
        """Start a new cycle record (the previous one is replaced) and flush it."""
        self.commit(lambda document: document.__setitem__("cycle", cycle))

    def zone(self, name: str) -> dict[str, Any]:
        cycle = self.cycle
        if cycle is None:
            raise StateError(f"{self.path}: no cycle has begun")
        zones: dict[str, Any] = cycle.setdefault("zones", {})
        zone: dict[str, Any] = zones.setdefault(name, {"transitions": []})
        return zone

    def transition(self, name: str, state: str, **fields: Any) -> None:
        """Record that zone ``name`` entered ``state`` now, with extra ``fields``
        (seconds, reason, step...), and flush before returning."""

        def apply(_: dict[str, Any]) -> None:
            zone = self.zone(name)
            entry = {"state": state, "time": round(time.time(), 3), **fields}
            zone["transitions"].append(entry)
            zone["state"] = state
            for key in ("reason", "seconds", "step"):
                if key in fields:
                    zone[key] = fields[key]

        self.commit(apply, zone=name)

    def set_zone(self, name: str, **fields: Any) -> None:
        self.commit(lambda _: self.zone(name).update(fields), zone=name)

    def set_cycle(self, **fields: Any) -> None:
        def apply(_: dict[str, Any]) -> None:
            cycle = self.cycle
            if cycle is None:
                raise StateError(f"{self.path}: no cycle has begun")
            cycle.update(fields)

        self.commit(apply)

    def commit(self, change: Any, *, zone: str | None = None) -> None:
        """Apply ``change`` to the in-memory document and make it durable.  ``zone``
        names the only zone record the change touches; None means anything."""
        with self._memory:
            change(self.document)
            if zone is None:
                self._encoded_zones.clear()
            else:
                self._encoded_zones.pop(zone, None)
            self._version += 1
            mine = self._version
        with self._disk:
            if self._flushed >= mine:
                return  # another thread's flush already carried this change
            with self._memory:
                # Compact: the whole document is rewritten at every transition, and
                # indenting it tripled the cost for hundreds of zones (bench/).
                data = self._encode().encode("utf-8")
                version = self._version
            if self.path is not None:
                write_atomically(self.path, data)
            self._flushed = version

    def _encode(self) -> str:
        """The document as compact JSON, the cycle's zone records last, each zone
        encoded once per change (callers hold ``_memory``)."""
        cycle = self.document.get("cycle")
        zones = cycle.get("zones") if isinstance(cycle, dict) else None
        if not isinstance(cycle, dict) or not isinstance(zones, dict):
            return json.dumps(self.document, separators=(",", ":"))
        encoded = self._encoded_zones
        parts = []
        for name, record in zones.items():
            text = encoded.get(name)
            if text is None:
                text = encoded[name] = json.dumps(record, separators=(",", ":"))
            parts.append(f"{json.dumps(name)}:{text}")
        rest = {key: value for key, value in self.document.items() if key != "cycle"}
        head = {key: value for key, value in cycle.items() if key != "zones"}
        return "".join(
            (
                _open_object(json.dumps(rest, separators=(",", ":"))),
                '"cycle":',
                _open_object(json.dumps(head, separators=(",", ":"))),
                '"zones":{',
                ",".join(parts),
                "}}}",
            )
        )


def _open_object(text: str) -> str:
    """A JSON object's text without its closing brace, ready for one more member."""
    return text[:-1] if text == "{}" else f"{text[:-1]},"


def load_history(state_dir: str) -> tuple[dict[str, list[PastRun]], str | None]:
    """Past suspends per zone, oldest first; unreadable history is moved aside."""
    document, problem = read_json(os.path.join(state_dir, HISTORY_NAME))
    history: dict[str, list[PastRun]] = {}
    zones = (document or {}).get("zones", {})
    if not isinstance(zones, dict):
        return history, problem
    for name, runs in zones.items():
        if not isinstance(runs, list):
            continue
        history[name] = [
            PastRun(
                seconds=float(run["seconds"]),
                memory=_optional_int(run.get("memory")),
                image_bytes=_optional_int(run.get("image_bytes")),
                when=float(run.get("when", 0.0))
                if isinstance(run.get("when"), (int, float))
                else 0.0,
            )
            for run in runs
            if isinstance(run, dict) and isinstance(run.get("seconds"), (int, float))
        ]
    return history, problem


def _optional_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def save_history(state_dir: str, history: Mapping[str, list[PastRun]], *, now: float) -> None:
    """Write history.json, keeping the last HISTORY_RUNS runs of the HISTORY_ZONES
    most recently seen zones."""

    def last_seen(item: tuple[str, list[PastRun]]) -> float:
        return max((run.when for run in item[1]), default=0.0)

    recent = sorted(history.items(), key=last_seen, reverse=True)[:HISTORY_ZONES]
    document = {
        "format": JOURNAL_FORMAT,
        "updated": round(now, 3),
        "zones": {
            name: [
                {
                    "seconds": round(run.seconds, 3),
                    "memory": run.memory,
                    "image_bytes": run.image_bytes,
                    "when": round(run.when, 3),
                }
                for run in runs[-HISTORY_RUNS:]
            ]
            for name, runs in recent
        },
    }
    write_atomically(
        os.path.join(state_dir, HISTORY_NAME),
        json.dumps(document, indent=1, sort_keys=True).encode("utf-8"),
    )


@contextlib.contextmanager
def exclusive_lock(state_dir: str, holder: str) -> Iterator[None]:
    """Hold the state directory's lock for the duration of one kzguard operation.

    flock(2) is released by the kernel when its holder dies, so a lock left by a
    process that was killed is taken over without any stale-file cleanup.
    """
    path = os.path.join(state_dir, LOCK_NAME)
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError as error:
        raise StateError(f"{path}: cannot open the lock: {error.strerror}") from None
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            current = ""
            with contextlib.suppress(OSError):
                current = os.pread(descriptor, 512, 0).decode("utf-8", "replace").strip()
            raise StateError(
                f"another kzguard operation holds {path}: {current or 'unknown holder'}"
            ) from None
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime())
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"pid {os.getpid()} ({holder}) since {stamp}\n".encode(), 0)
        yield
    finally:
        os.close(descriptor)

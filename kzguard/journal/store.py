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
import logging
import os
import re
import stat
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from kzguard.errors import StateError
from kzguard.stop.plan import PastRun
from kzguard.units import format_duration

log = logging.getLogger(__name__)

JOURNAL_FORMAT = 1
JOURNAL_NAME = "journal.json"
HISTORY_NAME = "history.json"
LOCK_NAME = "lock"
NOT_WRITABLE = "the state directory is not writable"
# Bounds of history.json: enough runs per zone for a median, and a cap on zones so
# that a host that churned through thousands of zone names cannot grow it forever.
HISTORY_RUNS = 10
HISTORY_ZONES = 2000


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


def write_atomically(path: str, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves the old or the new file,
    never a mixture: temporary file, fsync, rename, fsync of the directory.

    A failure at any step leaves the previous file as it was and removes the
    temporary file.  Nothing is written through a symbolic link: the temporary file
    is created afresh (O_EXCL, O_NOFOLLOW), and rename(2) replaces a link planted at
    ``path`` instead of following it.
    """
    directory = os.path.dirname(path) or "."
    temporary = f"{path}.tmp.{os.getpid()}.{threading.get_ident()}"
    created = False
    try:
        # Left by a process that died mid-write with this pid (pids are reused).
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        created = True
        try:
            view = memoryview(data)
            while view:
                written = os.write(descriptor, view)
                view = view[written:]
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.rename(temporary, path)
        created = False
        directory_descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(directory_descriptor)
        finally:
            os.close(directory_descriptor)
    except OSError as error:
        if created:
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
    def durable(self) -> bool:
        """Whether every change so far is on disk (never without a state directory)."""
        with self._memory:
            return self.path is not None and self._flushed >= self._version

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


class LockHeld(StateError):
    """Another live kzguard process holds the lock; ``holder`` is what it wrote there
    ("pid N (what) since TIME"), and ``pid`` its pid when that could be read."""

    def __init__(self, path: str, holder: str, waited: float) -> None:
        self.path = path
        self.holder = holder or "unknown holder"
        match = re.match(r"pid (\d+) ", holder)
        self.pid = int(match.group(1)) if match else None
        self.waited = waited
        end = f"kill {self.pid}" if self.pid is not None else "kill it"
        after = f" after {format_duration(waited)}" if waited > 0 else ""
        super().__init__(
            f"another kzguard operation holds {path}{after}: {self.holder}; wait for it to "
            f"finish, or if it is stuck, end it ({end}) and run this again"
        )

    def still_held(self) -> str:
        """What a method that waited and now goes on without the lock says first."""
        return (
            f"another kzguard operation still holds {self.path} after "
            f"{format_duration(self.waited)}: {self.holder}"
        )


# How often a waiting kzguard tries the lock again.
LOCK_POLL = 0.1


# write_atomically's temporary files: NAME.tmp.PID.THREAD.
_TEMPORARY = re.compile(r"(?:journal|history)\.json\.tmp\.[0-9]+\.[0-9]+")


def _remove_stale_temporaries(state_dir: str) -> None:
    """Remove the temporary files of writers that died mid-write.  Called as soon as
    the lock is taken: writers hold it (the stop method writes without it only after
    giving up on a stuck holder), so none of these is still being written."""
    with contextlib.suppress(OSError):
        for name in os.listdir(state_dir):
            if _TEMPORARY.fullmatch(name):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(state_dir, name))


@contextlib.contextmanager
def exclusive_lock(
    state_dir: str,
    holder: str,
    *,
    wait: float = 0.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[None]:
    """Hold the state directory's lock for the duration of one kzguard operation.

    flock(2) is released by the kernel when its holder dies, so a lock left by a
    process that was killed is taken over without any stale-file cleanup.  A lock
    held by a live process is waited for up to ``wait`` seconds (never forever: the
    holder may be stuck), then :class:`LockHeld` names it.
    """
    path = os.path.join(state_dir, LOCK_NAME)
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK, 0o600)
    except OSError as error:
        reason = (
            "it is a symbolic link; refusing to follow it"
            if error.errno == errno.ELOOP
            else error.strerror
        )
        raise StateError(f"{path}: cannot open the lock: {reason}") from None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise StateError(f"{path}: cannot open the lock: it is not a regular file")
        started = clock()
        announced = False
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                current = ""
                with contextlib.suppress(OSError):
                    current = os.pread(descriptor, 512, 0).decode("utf-8", "replace").strip()
                waited = clock() - started
                if waited >= wait:
                    raise LockHeld(path, current, wait) from None
                if not announced:
                    log.info(
                        "waiting up to %s for another kzguard operation: %s",
                        format_duration(wait),
                        current or "unknown holder",
                    )
                    announced = True
                sleep(min(LOCK_POLL, wait - waited))
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime())
        # The label only tells a waiting kzguard who holds the lock; a full disk that
        # refuses it must not stop the operation, which holds the lock all the same.
        with contextlib.suppress(OSError):
            os.ftruncate(descriptor, 0)
            os.pwrite(descriptor, f"pid {os.getpid()} ({holder}) since {stamp}\n".encode(), 0)
        _remove_stale_temporaries(state_dir)
        yield
    finally:
        os.close(descriptor)

"""The state directory's lock: one kzguard operation at a time.

flock(2) on ``STATE_DIR/lock``, labelled with who holds it, so that a waiting kzguard
can name its holder.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import re
import stat
import time
from collections.abc import Callable, Iterator

from kzguard.atomic import TEMPORARY_SUFFIX
from kzguard.errors import StateError
from kzguard.units import format_duration

log = logging.getLogger(__name__)

LOCK_NAME = "lock"


class LockHeld(StateError):
    """Another live kzguard process holds the lock; ``holder`` is what it wrote there
    ("pid N (what) since TIME"), and ``pid`` its pid when that could be read."""

    def __init__(self, path: str, holder: str, waited: float) -> None:
        self.path = path
        self.holder = holder or "unknown holder"
        self.pid = _label_pid(holder)
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


# write_atomically's temporary files of the state directory's documents.
_TEMPORARY = re.compile(r"(?:journal|history)\.json" + TEMPORARY_SUFFIX.pattern)


def _remove_stale_temporaries(state_dir: str) -> None:
    """Remove the temporary files of writers that died mid-write.  Called as soon as
    the lock is taken: writers hold it (the stop method writes without it only after
    giving up on a stuck holder), so none of these is still being written."""
    with contextlib.suppress(OSError):
        for name in os.listdir(state_dir):
            if _TEMPORARY.fullmatch(name):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(state_dir, name))


def holder_now(state_dir: str) -> str | None:
    """The label of the live kzguard operation that holds the lock now ("pid N
    (what) since TIME"), or None when none does: no lock file, a label naming a
    process that is gone, or a lock free for the taking.  Nothing is written: a
    shared lock is tried and let go at once, and only when the label's process is
    alive, which then most likely holds the lock, so that the probe hardly ever
    meets a kzguard beginning to take it (one that does not wait would be refused
    for that instant)."""
    path = os.path.join(state_dir, LOCK_NAME)
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        label = ""
        with contextlib.suppress(OSError):
            label = os.pread(descriptor, 512, 0).decode("utf-8", "replace").strip()
        pid = _label_pid(label)
        if pid is not None and not _alive(pid):
            return None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return label or "unknown holder"
        except OSError:
            return None
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        return None
    finally:
        os.close(descriptor)


def _label_pid(label: str) -> int | None:
    """The pid of a lock's label ("pid N (what) since TIME"), when it has one."""
    match = re.match(r"pid (\d+) ", label)
    return int(match.group(1)) if match else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's: alive
    return True


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

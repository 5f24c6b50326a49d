"""Replace a file so that a crash leaves the old or the new one, never a mixture: the
one way kzguard writes the files it keeps (journal, history, last known good policy)
and the SMF manifest it installs."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import threading

# The temporary files: NAME.tmp.PID.THREAD, beside NAME.  Never *.xml, so that
# manifest-import, which may scan the manifest directory at any moment (docs/solaris.md
# 5.2), never reads half a manifest.
TEMPORARY_SUFFIX = re.compile(r"\.tmp\.[0-9]+\.[0-9]+")
# A file system that cannot fsync a directory says so with these; the rename is done
# and that must not turn into a reported failure.
_NO_DIRECTORY_SYNC = (errno.EINVAL, errno.ENOTSUP, errno.EBADF)


def write_atomically(
    path: str, data: bytes, *, mode: int | None = None, like: str | None = None
) -> None:
    """Replace ``path`` with ``data``: temporary file, fsync, rename, fsync of the
    directory.

    The new file gets the mode of ``like`` (and, as root, its owner and group) when
    that file exists, else ``mode``, else 0600.  A failure at any step (OSError)
    leaves the previous file as it was and removes the temporary file.  Nothing is
    written through a symbolic link: the temporary file is created afresh (O_EXCL,
    O_NOFOLLOW), and rename(2) replaces a link planted at ``path`` instead of
    following it.
    """
    directory = os.path.dirname(path) or "."
    temporary = f"{path}.tmp.{os.getpid()}.{threading.get_ident()}"
    created = False
    try:
        model = _stat(like)
        # Left by a process that died mid-write with this pid (pids are reused).
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        created = True
        try:
            if model is not None or mode is not None:
                os.fchmod(descriptor, stat.S_IMODE(model.st_mode) if model else mode or 0)
            if model is not None and os.geteuid() == 0:
                os.fchown(descriptor, model.st_uid, model.st_gid)
            view = memoryview(data)
            while view:
                written = os.write(descriptor, view)
                view = view[written:]
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.rename(temporary, path)
        created = False
        _sync_directory(directory)
    except OSError:
        if created:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        raise


def _stat(path: str | None) -> os.stat_result | None:
    if path is None:
        return None
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None


def _sync_directory(directory: str) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    except OSError as error:
        if error.errno not in _NO_DIRECTORY_SYNC:
            raise
    finally:
        os.close(descriptor)

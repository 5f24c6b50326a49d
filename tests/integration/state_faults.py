"""Run ``kzguard`` with the file system under one directory failing, in-process.

    python state_faults.py FAULT DIR KZGUARD-ARGS...

FAULT is what the directory does to kzguard's writes:

  erofs    read-only file system: opening for writing, creating, renaming, removing
           and making directories fail with EROFS; reading works.
  eacces   the same with EACCES, as a directory without write permission does to a
           process that is not root (root passes chmod, so the tests inject this).
  enospc   a full disk: every write(2) to a file under DIR fails with ENOSPC;
           opening, renaming and reading work.

Only paths under DIR are affected (a descriptor's path is read from /proc/self/fd),
so the Solaris commands kzguard runs, its log and the policy are untouched.
"""

from __future__ import annotations

import errno
import os
import sys
from typing import Any

from kzguard.cli import main as kzguard_main

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def _under(root: str, path: Any) -> bool:
    if isinstance(path, int):
        try:
            path = os.readlink(f"/proc/self/fd/{path}")
        except OSError:
            return False
    text = os.path.abspath(os.fsdecode(path))
    return text == root or text.startswith(root + os.sep)


def install(fault: str, root: str) -> None:
    root = os.path.abspath(root)
    code = {"erofs": errno.EROFS, "eacces": errno.EACCES, "enospc": errno.ENOSPC}[fault]
    real = {name: getattr(os, name) for name in ("open", "rename", "replace", "unlink", "mkdir")}
    real_write, real_pwrite = os.write, os.pwrite

    def fail(path: Any) -> None:
        raise OSError(
            code, os.strerror(code), os.fsdecode(path) if not isinstance(path, int) else None
        )

    if fault in ("erofs", "eacces"):

        def open_(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
            if flags & WRITE_FLAGS and _under(root, path):
                fail(path)
            return real["open"](path, flags, *args, **kwargs)  # type: ignore[no-any-return]

        def changing(name: str) -> Any:
            def wrapper(path: Any, *args: Any, **kwargs: Any) -> Any:
                if _under(root, path) or (args and _under(root, args[0])):
                    fail(path)
                return real[name](path, *args, **kwargs)

            return wrapper

        real_access = os.access

        def access(path: Any, mode: int, **kwargs: Any) -> bool:
            if mode & os.W_OK and _under(root, path):
                return False
            return real_access(path, mode, **kwargs)

        os.open = open_
        os.access = access
        for name in ("rename", "replace", "unlink", "mkdir"):
            setattr(os, name, changing(name))
    else:

        def write(descriptor: int, data: Any) -> int:
            if _under(root, descriptor):
                fail(descriptor)
            return real_write(descriptor, data)

        def pwrite(descriptor: int, data: Any, offset: int) -> int:
            if _under(root, descriptor):
                fail(descriptor)
            return real_pwrite(descriptor, data, offset)

        os.write = write
        os.pwrite = pwrite


def main() -> int:
    fault, root, *args = sys.argv[1:]
    install(fault, root)
    return kzguard_main(args)


if __name__ == "__main__":
    sys.exit(main())

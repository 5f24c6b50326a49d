"""Reading /etc/kzguard/policy.toml: the I/O around :mod:`kzguard.policy.schema`.

The file steers what a root service does to every kernel zone at shutdown, so it is
checked the way sshd's StrictModes checks authorized_keys: a file that someone other
than root (or the user running ``kzguard``) could have written is refused.
"""

from __future__ import annotations

import os
import shlex
import stat

from kzguard.errors import PolicyError, Problem
from kzguard.policy.model import DEFAULT_POLICY_PATH, Policy, default_policy
from kzguard.policy.schema import policy_from_text
from kzguard.policy.toml import decode_utf8

# A policy is a few kilobytes; a bigger file is a mistake (or an attack), not a policy.
MAX_POLICY_BYTES = 1 << 20
LAST_GOOD_SUFFIX = ".last-good"

_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
}


def last_good_path(policy_path: str) -> str:
    """Where the last valid policy is kept: beside the policy itself, so that it can
    be found even when the edited file names another state directory or none."""
    return policy_path + LAST_GOOD_SUFFIX


def load_policy(path: str | None, *, explicit: bool, euid: int | None = None) -> Policy:
    """:func:`read_policy` without the bytes."""
    return read_policy(path, explicit=explicit, euid=euid)[0]


def read_policy(
    path: str | None, *, explicit: bool, euid: int | None = None
) -> tuple[Policy, bytes | None]:
    """Return the policy in ``path`` and the very bytes it was parsed from (None for
    the built-in defaults), so that a copy of a valid policy is made from what was
    validated, not from a second read; ``None`` stands for the default path.

    A missing file means the built-in defaults, unless the path was given explicitly
    (``explicit``): the default policy file may be absent, a named one must exist.
    Nor does a missing file mean the defaults where a last known good copy of it is
    kept (kzguard.method): a policy was in force, and its file deleted by mistake
    must not change what the guard does, so the copy stays in force as for any bad
    edit.  ``euid`` is the effective uid the ownership rule applies to; tests pass one.

    Raises:
        PolicyError: the file cannot be read, may have been written by someone who
            should not, or is not a valid policy.
    """
    if path is None:
        path, explicit = DEFAULT_POLICY_PATH, False
    raw = _read(path, explicit=explicit, euid=os.geteuid() if euid is None else euid)
    if raw is None:
        kept = last_good_path(path)
        if os.path.exists(kept):
            raise _refuse(
                path,
                f"no such file, where a policy was in force: its last known good copy {kept} "
                "stays in force; restore the file, or for the built-in defaults write one "
                'holding only a comment such as "# defaults"',
            )
        return default_policy(), None
    return policy_from_text(decode_utf8(raw, source=path), source=path), raw


def _refuse(path: str, message: str) -> PolicyError:
    return PolicyError(path, [Problem("", message)])


def _read(path: str, *, explicit: bool, euid: int) -> bytes | None:
    """Return the bytes of ``path``, None if it is missing and may be."""
    try:
        # O_NONBLOCK: a FIFO planted at the path must be refused, not hang the stop
        # method in open(); it changes nothing for the regular file that is read.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except FileNotFoundError:
        if explicit:
            raise _refuse(path, "no such file") from None
        return None
    except OSError as error:
        raise _refuse(path, f"cannot open: {error.strerror or error}") from error
    try:
        # fstat on the open descriptor, not stat on the path: the file checked is
        # the file read, even if the path is replaced in between.
        _check_file(path, os.fstat(fd), euid)
        chunks = []
        size = 0
        while size <= MAX_POLICY_BYTES:
            chunk = os.read(fd, MAX_POLICY_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as error:
        raise _refuse(path, f"cannot read: {error.strerror or error}") from error
    finally:
        os.close(fd)
    if size > MAX_POLICY_BYTES:
        raise _refuse(path, f"refusing a policy larger than {MAX_POLICY_BYTES} bytes")
    return b"".join(chunks)


def _check_file(path: str, info: os.stat_result, euid: int) -> None:
    if not stat.S_ISREG(info.st_mode):
        kind = _KINDS.get(stat.S_IFMT(info.st_mode), "a special file")
        raise _refuse(
            path,
            f"refusing a policy that is not a regular file (it is {kind}); give the path of the "
            "policy file itself",
        )
    shown = shlex.quote(path)
    problems = []
    mode = stat.S_IMODE(info.st_mode)
    if mode & (stat.S_IWGRP | stat.S_IWOTH):
        problems.append(
            Problem(
                "",
                f"refusing a policy that is group- or world-writable (mode {mode:04o}); "
                f"run: chmod go-w {shown}",
            )
        )
    if euid == 0 and info.st_uid != 0:
        problems.append(
            Problem(
                "",
                f"refusing a policy owned by uid {info.st_uid}, not root; run: chown root {shown}",
            )
        )
    elif info.st_uid not in (0, euid):
        problems.append(
            Problem(
                "",
                f"refusing a policy owned by uid {info.st_uid}, "
                f"neither root nor you (uid {euid}); run as root: chown root {shown}",
            )
        )
    if problems:
        raise PolicyError(path, problems)

"""/system/volatile inside a simulated kernel zone, and the commands that use it.

Solaris keeps /system/volatile in memory (tmpfs, "memory based file system ...
files and directories are not preserved across reboot", tmpfs(7FS); Solaris 11
moved utmpx there, [S11SRC] usr/src/cmd/zlogin/zlogin.c setup_utmpx()).  A
kernel zone's memory is its own, so the directory's contents travel with the
zone: a suspend writes them into the suspend image and a resume brings them back,
while every fresh boot (after halt, shutdown, reboot, ``boot -R``, power loss)
starts with it empty.  :func:`kzguard.sim.transitions.retire_boot_time` empties
it exactly when the zone's running state is gone.

The zone holds ``zone["volatile"] = {"dirs": [path...], "files": {path: text}}``;
/system/volatile itself always exists.  Only paths below it exist in the
simulated zone: any other path is refused with the simulator's own message.

The commands (mkdir, cat, mv, rm, echo) answer as the Solaris utilities do as far
as known: ``mkdir: Failed to make directory "P"; <strerror>`` with status 2 is
illumos mkdir.c (MSGFAILED); the cat, mv and rm wordings are UNCONFIRMED (status 2
as the Solaris utilities return for any failure).  The fault ``volatile readonly``
(:data:`kzguard.sim.state.FAULTS`) makes every write fail with EROFS.  Pure
functions on the zone dict; no I/O.
"""

from __future__ import annotations

import posixpath

from kzguard.sim.record import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    Zone = dict[str, Any]


ROOT = "/system/volatile"
EROFS = "Read-only file system"
ENOENT = "No such file or directory"
EEXIST = "File exists"
EISDIR = "Is a directory"
ENOTDIR = "Not a directory"
EXIT_FAILED = 2  # the Solaris utilities' status for a failed operand
EXIT_OUTSIDE = 2


class Result(Record):
    status: int
    stdout: str = ""
    stderr: str = ""


def empty() -> dict[str, Any]:
    """The contents of a freshly booted zone's /system/volatile."""
    return {"dirs": [], "files": {}}


def _tree(zone: Zone) -> dict[str, Any]:
    tree = zone.get("volatile")
    if tree is None:
        tree = zone["volatile"] = empty()
    return tree


def clear(zone: Zone) -> None:
    """A fresh boot: the memory-backed file system starts empty."""
    zone["volatile"] = empty()


def read_only(zone: Zone) -> bool:
    return bool(zone["faults"].get("volatile") == "readonly")


def normal(path: str) -> str | None:
    """The absolute, normalised ``path`` if it lies in /system/volatile."""
    if not path.startswith("/"):
        return None
    clean = posixpath.normpath(path)
    if clean.startswith("//"):
        clean = clean[1:]
    return clean if clean == ROOT or clean.startswith(ROOT + "/") else None


def _outside(program: str, path: str) -> Result:
    # The simulator's own wording: a real zone has a whole file system.
    return Result(EXIT_OUTSIDE, stderr=f"{program}: the simulated zone has only {ROOT}: {path}\n")


def is_dir(zone: Zone, path: str) -> bool:
    return path == ROOT or path in _tree(zone)["dirs"]


def is_file(zone: Zone, path: str) -> bool:
    return path in _tree(zone)["files"]


def files(zone: Zone) -> dict[str, str]:
    """Every file in the zone's /system/volatile with its contents."""
    return dict(_tree(zone)["files"])


def write(zone: Zone, path: str, text: str) -> str | None:
    """Create or replace the file ``path`` (already normalised); return the
    strerror text on failure."""
    if read_only(zone):
        return EROFS
    if is_dir(zone, path):
        return EISDIR
    parent = posixpath.dirname(path)
    if is_file(zone, parent):
        return ENOTDIR
    if not is_dir(zone, parent):
        return ENOENT
    _tree(zone)["files"][path] = text
    return None


def _make(zone: Zone, path: str) -> str | None:
    """Make one directory whose parent must exist; return strerror on failure."""
    if is_dir(zone, path) or is_file(zone, path):
        return EEXIST
    if read_only(zone):
        return EROFS
    if not is_dir(zone, posixpath.dirname(path)):
        return ENOENT
    _tree(zone)["dirs"] = sorted({*_tree(zone)["dirs"], path})
    return None


def mkdir(zone: Zone, args: list[str]) -> Result:
    parents = bool(args) and args[0] == "-p"
    operands = args[1:] if parents else args
    if not operands or any(arg.startswith("-") for arg in operands):
        return Result(EXIT_FAILED, stderr="usage: mkdir [-m mode] [-p] dirname ...\n")
    errors = []
    for operand in operands:
        path = normal(operand)
        if path is None:
            return _outside("mkdir", operand)
        failure = None
        if not parents:
            failure = _make(zone, path)
        else:
            # -p: every missing directory from the top down; existing ones are fine.
            chain = [path]
            while chain[-1] != ROOT:
                chain.append(posixpath.dirname(chain[-1]))
            for step in reversed(chain):
                if not is_dir(zone, step):
                    failure = _make(zone, step)
                    if failure is not None:
                        break
        if failure is not None:
            errors.append(f'mkdir: Failed to make directory "{operand}"; {failure}\n')
    return Result(EXIT_FAILED if errors else 0, stderr="".join(errors))


def cat(zone: Zone, args: list[str]) -> Result:
    out, errors = [], []
    for operand in args:
        path = normal(operand)
        if path is None:
            return _outside("cat", operand)
        if is_file(zone, path):
            out.append(_tree(zone)["files"][path])
        elif is_dir(zone, path):
            errors.append(f"cat: input error on {operand}: {EISDIR}\n")
        else:
            errors.append(f"cat: cannot open {operand}: {ENOENT}\n")
    return Result(EXIT_FAILED if errors else 0, "".join(out), "".join(errors))


def rm(zone: Zone, args: list[str]) -> Result:
    force = bool(args) and args[0] == "-f"
    operands = args[1:] if force else args
    errors = []
    for operand in operands:
        path = normal(operand)
        if path is None:
            return _outside("rm", operand)
        if is_file(zone, path):
            if read_only(zone):
                errors.append(f"rm: {operand} not removed: {EROFS}\n")
            else:
                del _tree(zone)["files"][path]
        elif is_dir(zone, path):
            errors.append(f"rm: {operand} is a directory\n")
        elif not force:
            errors.append(f"rm: {operand}: {ENOENT}\n")
    return Result(EXIT_FAILED if errors else 0, stderr="".join(errors))


def mv(zone: Zone, args: list[str]) -> Result:
    operands = args[1:] if args and args[0] == "-f" else args
    if len(operands) != 2:
        return Result(EXIT_FAILED, stderr="Usage: mv [-f] [-i] f1 f2\n")
    source, target = (normal(operand) for operand in operands)
    if source is None or target is None:
        return _outside("mv", operands[0] if source is None else operands[1])
    if not is_file(zone, source):
        return Result(EXIT_FAILED, stderr=f"mv: cannot access {operands[0]}\n")
    if is_dir(zone, target):
        target = posixpath.join(target, posixpath.basename(source))
    failure = write(zone, target, _tree(zone)["files"][source])
    if failure is not None:
        return Result(
            EXIT_FAILED, stderr=f"mv: cannot rename {operands[0]} to {operands[1]}: {failure}\n"
        )
    if target != source:
        del _tree(zone)["files"][source]
    return Result(0)


def echo(args: list[str]) -> Result:
    """/usr/bin/echo: its arguments and a newline."""
    return Result(0, " ".join(args) + "\n")


COMMANDS = {"mkdir": mkdir, "cat": cat, "rm": rm, "mv": mv}

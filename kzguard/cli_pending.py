"""The reboot ``kzguard reboot`` has asked for and that has not happened yet, kept in
the state directory as ``reboot-pending.json`` (docs/formats.md).

init 6 returns as soon as it has told svc.startd (docs/solaris.md 4): for a while the
host is still up in the boot that is going down, the stop method has not begun, and
the journal's start record of this boot -- the previous cycle's -- is finished.  A
``kzguard wait`` started then must not answer from it.  ``kzguard reboot`` records the
boot it is taking down before it runs init 6; ``kzguard wait`` does not answer while
the host is still in that boot.  A record of an older boot means nothing any more:
the reboot it asked for has happened, and it is left in place (the next ``kzguard
reboot`` replaces it) so that ``kzguard wait`` never writes.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from dataclasses import dataclass

from kzguard.atomic import write_atomically
from kzguard.errors import StateError

log = logging.getLogger("kzguard")

FILE_NAME = "reboot-pending.json"
FORMAT = 1
_WARNED: set[str] = set()


@dataclass(frozen=True)
class PendingReboot:
    """A reboot asked for by ``kzguard reboot``: the global zone boot it takes down
    (None when that boot time could not be read) and when it was asked for."""

    host_boot_time: int | None
    requested: float

    def of_boot(self, host_boot_time: int | None) -> bool:
        """Whether ``host_boot_time`` is the boot this reboot takes down: the host
        has not gone down yet."""
        return host_boot_time is not None and self.host_boot_time == host_boot_time


def path_in(state_dir: str) -> str:
    return os.path.join(state_dir, FILE_NAME)


def record(state_dir: str, pending: PendingReboot) -> None:
    """Write the record atomically (kzguard.atomic); StateError when it cannot be."""
    path = path_in(state_dir)
    document = {
        "format": FORMAT,
        "host_boot_time": pending.host_boot_time,
        "requested": round(pending.requested, 3),
    }
    try:
        write_atomically(path, (json.dumps(document) + "\n").encode(), mode=0o644)
    except OSError as error:
        raise StateError(
            f"cannot record the pending reboot in {path}: {error.strerror or error}; "
            "not rebooting (kzguard wait could not tell this boot from the next)"
        ) from None


def clear(state_dir: str) -> str | None:
    """Remove the record after init failed: None when it is gone, else why not."""
    path = path_in(state_dir)
    try:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
    except OSError as error:
        return f"cannot remove {path}: {error.strerror or error}"
    return None


def read(state_dir: str) -> PendingReboot | None:
    """The record, or None without one.  A record that cannot be read or is not
    kzguard's is ignored with a warning naming the file: waiting for a reboot that
    may never come would be worse than the stale verdict it guards against."""
    path = path_in(state_dir)
    try:
        with open(path, encoding="utf-8") as stream:
            return _parse(json.load(stream))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        # kzguard wait reads it every second: say it once.
        if path not in _WARNED:
            _WARNED.add(path)
            log.warning("%s ignored: not a pending reboot record (%s); remove it", path, error)
        return None


def _parse(document: dict[str, object]) -> PendingReboot:
    boot_time, requested = document["host_boot_time"], document["requested"]
    if document["format"] != FORMAT or not isinstance(requested, (int, float)):
        raise ValueError(f"format {document['format']!r}, requested {requested!r}")
    if boot_time is not None and (not isinstance(boot_time, int) or isinstance(boot_time, bool)):
        raise ValueError(f"host_boot_time {boot_time!r}")
    return PendingReboot(boot_time, float(requested))

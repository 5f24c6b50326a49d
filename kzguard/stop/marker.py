"""The resume marker, the stop path's half (issue 11): just before a zone is
suspended, a fresh nonce is written into a memory-backed file system inside it,
/system/volatile, which the suspend image carries and every boot empties
(docs/solaris.md 8).  The start path reads it back (start/proof.py).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

from kzguard.errors import CommandError
from kzguard.journal.records import MarkerEvidence
from kzguard.solaris.host import Host

log = logging.getLogger(__name__)

# The marker's zlogin (mkdir, write, rename as one AND list): a hung zlogin must not
# hold a suspend up for longer.
MARKER_TIMEOUT = 5.0


def new_nonce() -> str:
    """A fresh marker: lowercase hex, safe for the zone's shell (argv.py); what
    secrets.token_hex(16) returns, without importing hmac, hashlib and random into
    every method's start."""
    return os.urandom(16).hex()


def write(
    host: Host,
    name: str,
    *,
    timeout: float,
    nonce: str | None = None,
    failed: Callable[[CommandError], None] | None = None,
) -> MarkerEvidence:
    """Write ``nonce`` (a fresh one by default) as ``name``'s resume marker; what to
    journal.  ``failed`` hears why the write failed, before it is said."""
    nonce = nonce or new_nonce()
    try:
        host.write_resume_marker(name, nonce, timeout=timeout)
    except CommandError as error:
        if failed is not None:
            failed(error)
        return not_written(name, error)
    return MarkerEvidence(nonce)


def not_written(name: str, error: CommandError) -> MarkerEvidence:
    """What to journal for a marker whose write failed, said to the operator."""
    log.warning("%s: resume marker not written (%s); %s", name, error.brief(), JUDGED_BY_BOOT_TIME)
    return MarkerEvidence(None, str(error))


JUDGED_BY_BOOT_TIME = "its resume will be judged by its boot time"
_PENDING, _WRITING, _DONE = range(3)


class MarkerGate:
    """Keeps a zone's marker write and its suspend apart.  When the suspend is due, a
    write under way is waited for (its zlogins are bounded by MARKER_TIMEOUT) and one
    not yet begun never begins: a marker written into a zone being suspended might or
    might not reach the image, and one journalled but missing would read as a fresh
    boot."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._state = _PENDING

    def begin(self) -> bool:
        """The writer's turn: False when the suspend has already given the write up."""
        with self._condition:
            if self._state != _PENDING:
                return False
            self._state = _WRITING
            return True

    def end(self) -> None:
        with self._condition:
            self._state = _DONE
            self._condition.notify_all()

    def close(self) -> bool:
        """The suspend's turn: True when the write never began (it never will)."""
        with self._condition:
            if self._state == _PENDING:
                self._state = _DONE
                return True
            while self._state == _WRITING:
                self._condition.wait()
            return False

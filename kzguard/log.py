"""Logging for an operator reading the console or the SMF log during a shutdown.

svc.startd copies method stderr into /var/svc/log/site-kzguard:default.log with its
own timestamps, so lines are short: ``kzguard: <zone>: <what>``.  Answers go to
stdout, behind :class:`StdoutGuard`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from typing import Any, TextIO, cast

VERBOSITY_LEVELS = {-1: logging.WARNING, 0: logging.INFO, 1: logging.DEBUG}


def configure(verbosity: int) -> None:
    """Send kzguard's log records to stderr at the level for ``verbosity`` (-1, 0, 1)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("kzguard: %(message)s"))
    root = logging.getLogger("kzguard")
    root.handlers[:] = [handler]
    root.setLevel(VERBOSITY_LEVELS[max(-1, min(1, verbosity))])
    root.propagate = False


def error_lines(logger: logging.Logger, error: BaseException) -> None:
    """Log each line of a (possibly multi-line) error message as its own record, so
    that every line in the SMF log carries the ``kzguard:`` prefix."""
    for line in str(error).splitlines():
        logger.error("%s", line)


class StdoutGuard:
    """Stands in for ``sys.stdout`` while a command runs, so that a reader that went
    away (``kzguard status | head -1``) costs the rest of the answer, nothing else.

    Once a write or a flush meets a closed pipe (EPIPE: Python ignores SIGPIPE), the
    rest of the output is discarded and the command carries on: it still does all
    its work (a ``kzguard stop`` or ``apply`` that gave up at its first line of output
    would leave zones running or a manifest half applied) and exits with its own,
    documented status.  Neither a 141-style status nor a traceback: with
    ``set -o pipefail`` the pipeline still says whether ``kzguard check`` found errors.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.reader_gone = False

    def write(self, text: str) -> int:
        if not self.reader_gone:
            try:
                return self.stream.write(text)
            except BrokenPipeError:
                self._discard()
        return len(text)

    def flush(self) -> None:
        if not self.reader_gone:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self._discard()

    def _discard(self) -> None:
        """Point the stream's file descriptor at /dev/null: what it still holds in its
        buffer then goes nowhere when Python flushes it at exit, instead of failing
        there with "Exception ignored ... BrokenPipeError"."""
        self.reader_gone = True
        with contextlib.suppress(OSError, ValueError):
            descriptor = self.stream.fileno()
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, descriptor)
            os.close(devnull)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


@contextlib.contextmanager
def guarded_stdout() -> Iterator[StdoutGuard]:
    """Run the block with ``sys.stdout`` behind a :class:`StdoutGuard`, flushed at
    its end (a closed pipe usually shows only then, as answers are short)."""
    original = sys.stdout
    guard = StdoutGuard(original)
    sys.stdout = cast(TextIO, guard)
    try:
        yield guard
    finally:
        guard.flush()
        sys.stdout = original

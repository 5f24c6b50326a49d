"""Logging for an operator reading the console or the SMF log during a shutdown.

svc.startd copies method stderr into /var/svc/log/site-kzguard:default.log with its
own timestamps, so lines are short: ``kzguard: <zone>: <what>``.
"""

from __future__ import annotations

import logging
import sys

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

"""The SMF methods: ``kzguard method stop`` (and, later, start and refresh).

Exit statuses follow smf_method(7) as delivered in /lib/svc/share/smf_include.sh:
0 for success, and SMF_EXIT_ERR_FATAL (95) only for kzguard's own failures, never
for a zone's.  95 puts the service into maintenance, and a service in maintenance
runs no stop method at the next shutdown, so it is reserved for cases where kzguard
itself could not work (solaris.md 5.4).
"""

from __future__ import annotations

import logging
import time

from kzguard import guard
from kzguard.errors import KzguardError, PolicyError
from kzguard.host import Host
from kzguard.parse import is_going_down
from kzguard.policy import Policy, default_policy
from kzguard.policy_file import load_policy

log = logging.getLogger(__name__)

SMF_EXIT_OK = 0
SMF_EXIT_ERR_FATAL = 95


def load_for_method(path: str, *, explicit: bool) -> Policy:
    """The policy a method acts on.  An invalid file must not disarm the guard: the
    method falls back to the built-in defaults and says so."""
    try:
        return load_policy(path, explicit=explicit)
    except PolicyError as error:
        for line in str(error).splitlines():
            log.error("%s", line)
        log.error("policy unusable; acting on the built-in defaults")
        return default_policy()


def stop(policy: Policy, *, started: float) -> int:
    """The stop method: act only when the global zone is really going down."""
    host = Host(policy.commands)
    runlevel = host.runlevel()
    if runlevel.level is None:
        # A missed suspend loses the zones' state; an extra one costs a resume.
        log.warning(
            "run level unknown (%s); acting as for a shutdown", "; ".join(runlevel.problems)
        )
    elif not is_going_down(runlevel.level):
        if not policy.shutdown.act_on_service_stop:
            log.info(
                "run level %s: the host is not going down (svcadm disable, restart or a "
                "package update?); leaving every zone running",
                runlevel.level,
            )
            return SMF_EXIT_OK
        log.info(
            "run level %s: not a shutdown, but shutdown.act_on_service_stop = true", runlevel.level
        )
    try:
        _, report = guard.execute_stop(
            policy,
            host,
            holder="method stop",
            trigger={
                "trigger": "method",
                "runlevel": runlevel.level,
                "runlevel_source": runlevel.source,
            },
            started=started,
        )
    except KzguardError as error:
        for line in str(error).splitlines():
            log.error("%s", line)
        return SMF_EXIT_ERR_FATAL
    log.info("%s", report.summary())
    return SMF_EXIT_ERR_FATAL if report.own_failures else SMF_EXIT_OK


def monotonic_start() -> float:
    return time.monotonic()

"""The SMF methods: ``kzguard method start|stop|refresh``.

Exit statuses follow smf_method(7) as delivered in /lib/svc/share/smf_include.sh:
0 for success, and SMF_EXIT_ERR_FATAL (95) only for kzguard's own failures, never
for a zone's.  95 puts the service into maintenance, and a service in maintenance
runs no stop method at the next shutdown, so it is reserved for cases where kzguard
itself could not work (docs/solaris.md 5.4), and the start and refresh methods never
exit with it.  A stop method's 95 at a shutdown lasts only the rest of it:
svc.startd's record of an instance is not kept across a boot, so the next boot
starts the service again and its start method runs (illumos; docs/solaris.md 5.4,
open question 17).  An invalid policy is never one of them:
the methods fall back to the last known good copy, then to the built-in defaults.

Each method imports only its own path (kzguard.stop or kzguard.start), when it
runs: a method pays for every module it loads inside its timeout, and the stop
method runs while the global zone goes down (docs/performance.md).
"""

from __future__ import annotations

import logging
import os
import time

from kzguard import console
from kzguard import log as kzlog
from kzguard.errors import KzguardError, PolicyError, StateError
from kzguard.journal.lock import LockHeld, exclusive_lock
from kzguard.journal.store import Journal, ensure_state_dir, write_file
from kzguard.manifest import dependencies
from kzguard.policy.file import last_good_path, load_policy, read_policy
from kzguard.policy.model import Policy, default_policy
from kzguard.solaris.host import Host

log = logging.getLogger(__name__)

SMF_EXIT_OK = 0
SMF_EXIT_ERR_FATAL = 95
# How long a method waits for a live holder of the state directory's lock: a
# `kzguard stop` run by hand just before `init 6` is usually done by then.  Never
# long, for the holder may be stuck, and the wait comes out of the method's deadline.
LOCK_WAIT = 60.0
LOCK_WAIT_SHARE = 0.05


def lock_wait(deadline: float) -> float:
    """The wait for the lock: 5% of the method's deadline, at most a minute."""
    return min(LOCK_WAIT, deadline * LOCK_WAIT_SHARE)


def load_for_method(
    path: str, *, explicit: bool, remember: bool = False
) -> tuple[Policy, list[str]]:
    """The policy a method acts on, and the problems of the file if it is invalid.

    A bad edit must never disarm the guard: an invalid file gives way to the last
    known good copy, and with none, to the built-in defaults.  ``remember``: a
    valid file becomes the last known good copy, from the bytes just validated
    (the file is read once).
    """
    try:
        policy, data = read_policy(path, explicit=explicit)
    except PolicyError as error:
        problems = str(error).splitlines()
    else:
        if remember:
            remember_good(policy, data)
        return policy, []
    for line in problems:
        log.error("%s", line)
    policy = policy_in_force(path, say=True)
    log.error("policy unusable; acting on %s", stands_in(policy))
    return policy, problems


def stands_in(policy: Policy) -> str:
    """What ``policy``, returned by :func:`policy_in_force`, is, in words."""
    if policy.source is None:
        return "the built-in defaults"
    return f"the last known good copy {policy.source}"


def policy_in_force(path: str, *, say: bool = False) -> Policy:
    """What the methods act on while ``path`` is invalid: the last known good copy,
    else the built-in defaults.  ``say``: log why a copy there was refused (a
    kzguard upgrade may have tightened the schema it was valid under)."""
    kept = last_good_path(path)
    try:
        return load_policy(kept, explicit=True)
    except PolicyError as error:
        if say and os.path.exists(kept):
            for line in str(error).splitlines():
                log.error("last known good copy refused: %s", line)
        return default_policy()


def remember_good(policy: Policy, data: bytes | None) -> None:
    """Keep a copy of a policy that just validated (``data``: the bytes it was
    parsed from), for when a later edit does not."""
    if policy.source is None or data is None:
        return
    try:
        write_file(last_good_path(policy.source), data)
    except (OSError, StateError) as error:
        log.warning("could not keep a last known good copy: %s", error)


def stop(policy: Policy, *, started: float) -> int:
    """The stop method, with its progress on the console (:mod:`kzguard.console`)."""
    with console.progress(
        policy, "stop", deadline=policy.shutdown.deadline, started=started
    ) as watch:
        return _stop(policy, started=started, watch=watch)


def _stop(policy: Policy, *, started: float, watch: console.Watch) -> int:
    """The stop method: act only when the global zone is really going down."""
    host = Host(policy.commands)
    runlevel = host.runlevel()
    if runlevel.level is None:
        # A missed suspend loses the zones' state; an extra one costs a resume.
        log.warning(
            "run level unknown (%s); acting as for a shutdown", "; ".join(runlevel.problems)
        )
    elif not runlevel.going_down:
        if not policy.shutdown.act_on_service_stop:
            log.info(
                "%s: the host is not going down (svcadm disable, restart or a "
                "package update?); leaving every zone running",
                runlevel.describe(),
            )
            _disarm(policy, runlevel.level)
            return SMF_EXIT_OK
        log.info("%s: not a shutdown, but shutdown.act_on_service_stop = true", runlevel.describe())
    from kzguard.stop import path as stop_path  # noqa: PLC0415 (see the module docstring)

    try:
        _, report = stop_path.execute_stop(
            policy,
            host,
            holder="method stop",
            trigger="method",
            runlevel=runlevel,
            started=started,
            lock_wait=lock_wait(policy.shutdown.deadline),
            watch=watch,
        )
    except KzguardError as error:
        kzlog.error_lines(log, error)
        return SMF_EXIT_ERR_FATAL
    log.info("%s", report.summary())
    if report.interrupted:
        # svc.startd ends a method that overruns its timeout (SIGTERM, then SIGKILL)
        # and counts it failed whatever it exits with: the method did not finish, and
        # SMF_EXIT_ERR_FATAL says so in the log (smf_method(7)).
        return SMF_EXIT_ERR_FATAL
    return SMF_EXIT_ERR_FATAL if report.own_failures else SMF_EXIT_OK


def _disarm(policy: Policy, runlevel: str) -> None:
    """Record that the guard stood down without a shutdown (svcadm disable/restart),
    so that the next boot does not mistake it for a bypassed shutdown."""
    try:
        state_dir = ensure_state_dir(policy.paths.state_dir)
        with exclusive_lock(state_dir, "method stop"):
            journal, _ = Journal.load(state_dir)
            if journal.document.armed is not None:
                now = round(time.time(), 3)
                journal.commit(lambda document: document.disarmed(time=now, runlevel=runlevel))
    except StateError as error:
        log.warning("%s", error)


def start(policy: Policy, *, started: float) -> int:
    """The start method, with its progress on the console (:mod:`kzguard.console`)."""
    with console.progress(
        policy, "start", deadline=policy.resume.deadline, started=started
    ) as watch:
        return _start(policy, started=started, watch=watch)


def _start(policy: Policy, *, started: float, watch: console.Watch) -> int:
    """The start method: resume what the last stop suspended, arm the guard, and
    make kzguard's instance hold the managed zones' instances at the next shutdown
    (:mod:`kzguard.manifest.dependencies`; after the resumes, which the operator
    waits for, and whatever became of them).

    It exits 0 even when kzguard itself failed (journal unwritable, zoneadm
    missing): a start method that fails sends the service to maintenance, and a
    service in maintenance runs no stop method at the next shutdown, which would
    cost every zone its state.  The failure is logged, and ``kzguard status``
    reports the guard as degraded.
    """
    host = Host(policy.commands)
    managed: tuple[str, ...] | None = None
    try:
        managed = _resume(policy, host, started=started, watch=watch)
    finally:
        # The configurations read for the resumes decide which zones to hold; read
        # again only if the start path never got that far.
        dependencies.keep_in_step(policy, host, managed=managed)
    return SMF_EXIT_OK


def _resume(
    policy: Policy, host: Host, *, started: float, watch: console.Watch
) -> tuple[str, ...] | None:
    """Run the start path; the zones it found managed (None: it failed first)."""
    from kzguard.start import path as start_path  # noqa: PLC0415 (see the module docstring)

    try:
        report = start_path.execute_start(
            policy,
            host,
            started=started,
            lock_wait=lock_wait(policy.resume.deadline),
            watch=watch,
        )
    except LockHeld as error:
        log.error("%s; nothing was resumed", error.still_held())
        log.error(
            "when it has finished (or is ended: kill %s), resume with svcadm restart kzguard",
            error.pid if error.pid is not None else "PID",
        )
        return None
    except KzguardError as error:
        kzlog.error_lines(log, error)
        log.error(
            "start method failed: nothing was resumed; the guard stays enabled for the next "
            "shutdown"
        )
        return None
    log.info("%s", report.summary())
    return report.managed


def refresh(path: str, *, explicit: bool) -> int:
    """The refresh method (``svcadm refresh`` after an edit): validate the policy.

    Valid: it becomes the last known good copy.  Invalid: every problem is logged
    with file, line and key, the last known good copy stays in force, and the method
    still succeeds, because a service in maintenance runs no stop method.  A valid
    policy then brings the zone dependencies in step with it; an invalid one leaves
    them as they are.
    """
    try:
        policy, data = read_policy(path, explicit=explicit)
    except PolicyError as error:
        kzlog.error_lines(log, error)
        # Said as the methods will find it: a saved copy that no longer validates
        # gives way to the defaults there too (load_for_method).
        in_force = policy_in_force(path, say=True)
        if in_force.source is not None:
            log.error(
                "the last known good policy %s stays in force until this is fixed",
                in_force.source,
            )
        else:
            log.error("no last known good policy: the built-in defaults apply until this is fixed")
        # A bad edit changes nothing, the zone dependencies included.
        return SMF_EXIT_OK
    remember_good(policy, data)
    log.info("policy %s is valid", policy.source or "(built-in defaults)")
    dependencies.keep_in_step(policy, Host(policy.commands))
    return SMF_EXIT_OK


def monotonic_start() -> float:
    return time.monotonic()

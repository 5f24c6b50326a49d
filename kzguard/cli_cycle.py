"""``kzguard reboot`` and ``kzguard wait``: a global-zone reboot that keeps the kernel
zones, from the command line or a script (issue 14).

``reboot`` is what administrators type, and reboot(8) runs no SMF stop method: the
zones are halted and lose their running state (docs/solaris.md 4).  ``kzguard
reboot`` first checks that the guard would do its work -- armed, policy valid, every
managed zone's instance held at shutdown, the stop plan within its deadline --
refuses with the reasons otherwise, and reboots with ``init 6``, whose stop methods
suspend the zones.  ``kzguard wait`` then blocks until the start method of the new
boot has finished and exits with its verdict.

The health of the guard is read as ``kzguard status`` reads it (:func:`read_guard`).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from kzguard import cli_pending as pending
from kzguard import log as kzlog
from kzguard import method
from kzguard.errors import EXIT_OK, EXIT_TIMED_OUT, EXIT_USAGE, CommandError, PolicyError
from kzguard.journal.document import JournalDocument
from kzguard.journal.lock import holder_now
from kzguard.journal.store import NOT_WRITABLE, read_journal, state_dir_problem
from kzguard.manifest import dependencies
from kzguard.manifest.timeouts import short_timeouts
from kzguard.policy.file import load_policy
from kzguard.policy.model import DEFAULT_POLICY_PATH, Policy
from kzguard.policy.selection import Decision
from kzguard.solaris.argv import KZGUARD_INSTANCE, boot_environment_problem
from kzguard.solaris.host import Host
from kzguard.status import cycle, report
from kzguard.status.health import Health, assess
from kzguard.stop import path as stop_path
from kzguard.stop.plan import StopPlan, plan_stop
from kzguard.units import format_duration

log = logging.getLogger("kzguard")

# How often `kzguard wait` reads the journal: a start method takes minutes.
POLL_INTERVAL = 1.0


@dataclass(frozen=True)
class Guard:
    """What ``kzguard status`` reads: the policy in force, the zones, the plan of the
    next shutdown, the journal and the health judged from them."""

    policy: Policy
    decisions: tuple[Decision, ...]
    plan: StopPlan
    document: JournalDocument | None
    host_boot_time: int | None
    health: Health
    in_smf: bool = True  # kzguard's instance is in the SMF repository


def read_guard(policy_path: str | None) -> Guard:
    """Read everything the health of the guard depends on.  An invalid policy file
    is a degradation, not an error: its problems are logged and the policy the
    methods act on instead is used."""
    path = policy_path or DEFAULT_POLICY_PATH
    try:
        policy, problems = load_policy(path, explicit=policy_path is not None), []
    except PolicyError as error:
        problems = str(error).splitlines()
        for line in problems:
            log.error("%s", line)
        policy = method.policy_in_force(path)
    host = Host(policy.commands)
    found = stop_path.survey(policy, host)
    history, learned = stop_path.past_for_planning(policy, read_only=True)
    plan = plan_stop(
        policy,
        found.decisions,
        history,
        found.space,
        learned=learned,
    )
    document, journal_problem = None, state_dir_warning(policy)
    if journal_problem is None or NOT_WRITABLE in journal_problem:
        # Read-only: still readable, and the methods still read it.
        document, unreadable = read_journal(policy.paths.state_dir)
        journal_problem = "; ".join(filter(None, [journal_problem, unreadable])) or None
    boot_time = host.host_boot_time_or_none()
    instances = host.zone_instances([d.zone.name for d in found.decisions if d.managed])
    running = host.instance_properties(KZGUARD_INSTANCE, current=False)
    if running is None:
        service_problems = [
            f"{KZGUARD_INSTANCE} is not in the SMF repository, so no stop method will "
            "run at shutdown: import its manifest (kzguard apply)"
        ]
        not_held: tuple[str, ...] = ()
    else:
        service_problems = short_timeouts(policy, running)
        not_held = dependencies.protection_of(running, instances).unprotected
    health = assess(
        document,
        policy_problems=problems,
        policy_in_force=policy.source or "the built-in defaults",
        journal_problem=journal_problem,
        service_problems=service_problems,
        host_boot_time=boot_time,
        not_held=not_held,
        lock_holder=holder_now(policy.paths.state_dir),
    )
    return Guard(
        policy, tuple(found.decisions), plan, document, boot_time, health, running is not None
    )


def state_dir_warning(policy: Policy) -> str | None:
    """What is wrong with the state directory, as the stop method would find it."""
    problem = state_dir_problem(policy.paths.state_dir)
    if problem is None:
        return None
    return (
        f"{problem}; a stop would suspend the zones without a journal, and the next boot "
        "would not resume them"
    )


def run_reboot(args: argparse.Namespace) -> int:
    guard = read_guard(args.policy)
    host = Host(guard.policy.commands)
    reasons = cycle.reboot_refusals(guard.health, guard.plan)
    if args.be is not None:
        problem = boot_environment_problem(args.be) or missing_boot_environment(
            host, args.be, timeout=args.timeout
        )
        if problem:
            reasons.append(problem)
    if reasons:
        for reason in reasons:
            log.error("not rebooting: %s", reason)
        return EXIT_USAGE
    steps = [host.argv.init_reboot()]
    if args.be is not None:
        steps.insert(0, host.argv.activate_boot_environment(args.be))
    print(report.plan_text(guard.plan))
    for argv in steps:
        print(f"{'would run' if args.dry_run else 'then'}: {' '.join(argv)}")
    sys.stdout.flush()
    if args.dry_run:
        print("(dry run; not rebooting)")
        return EXIT_OK
    if not args.yes and not confirmed():
        return EXIT_USAGE
    state_dir = guard.policy.paths.state_dir
    # Before anything changes: until the host is down, kzguard wait must know that
    # this boot's finished start record is the previous cycle's (kzguard.cli_pending).
    pending.record(state_dir, pending.PendingReboot(guard.host_boot_time, time.time()))
    try:
        if args.be is not None:
            host.activate_boot_environment(args.be, timeout=args.timeout)
            log.info("boot environment %s activated for the next boot", args.be)
        host.reboot_cleanly(timeout=args.timeout)
    except BaseException:
        problem = pending.clear(state_dir)
        if problem is not None:
            log.error("%s: kzguard wait would wait for a reboot that is not coming", problem)
        raise
    log.info(
        "init 6 started: the stop method suspends the zones; after the boot, "
        "kzguard wait says whether they came back"
    )
    return EXIT_OK


def missing_boot_environment(host: Host, name: str, *, timeout: float) -> str | None:
    """Why ``name`` is no boot environment of this host, or None.  Asked before
    anything changes, with --dry-run too: ``beadm activate`` would refuse an unknown
    BE only after the plan was shown and confirmed."""
    try:
        names = host.boot_environment_names(timeout=timeout)
    except CommandError as error:
        return f"cannot list the boot environments to find {name}: {error}"
    if name in names:
        return None
    return f"no boot environment {name} (beadm list -H: {', '.join(names) or 'none'})"


def confirmed(stdin: TextIO | None = None) -> bool:
    """Ask on the terminal; without one, refuse and say to add --yes."""
    stream = stdin or sys.stdin
    if stream is None or not stream.isatty():
        log.error("not rebooting: no terminal to confirm on; add --yes")
        return False
    print("reboot the global zone now with init 6? [y/N] ", end="", flush=True)
    answer = stream.readline().strip().lower()
    if answer in ("y", "yes"):
        return True
    log.error("not rebooting: not confirmed")
    return False


def run_wait(args: argparse.Namespace) -> int:
    path = args.policy or DEFAULT_POLICY_PATH
    try:
        policy = load_policy(path, explicit=args.policy is not None)
    except PolicyError as error:
        # Said now, for the wait may be long; read_guard says it again with the answer.
        kzlog.error_lines(log, error)
        policy = method.policy_in_force(path)
    host = Host(policy.commands)

    state_dir = policy.paths.state_dir
    answered: list[Guard] = []
    said: set[str] = set()
    # Why the last look could not tell the boot, for the timeout's message.
    boot_unknown: list[str] = []

    def once(problem: str | None) -> None:
        # Every poll reads again: a problem that lasts is said once, not every second.
        if problem and problem not in said:
            said.add(problem)
            log.warning("%s", problem)

    def look() -> cycle.WaitVerdict | None:
        document, problem = read_journal(state_dir)
        once(problem)
        reboot = pending.read(state_dir)
        if not _may_answer(reboot, document):
            return None
        try:
            boot_time: int | None = host.host_boot_time()
            boot_unknown.clear()
        except CommandError as error:
            boot_time = None
            boot_unknown[:] = [str(error)]
            once(f"global zone boot time unknown: {error}")
        if reboot is not None and reboot.of_boot(boot_time):
            return None
        if cycle.wait_verdict(document, boot_time, _ARMED) is None:
            return None
        guard = read_guard(args.policy)
        answered[:] = [guard]
        return cycle.wait_verdict(guard.document, guard.host_boot_time, guard.health)

    verdict = poll(look, timeout=args.timeout)
    if verdict is None:
        reboot = pending.read(state_dir)
        if reboot is not None and reboot.of_boot(host.host_boot_time_or_none()):
            log.error(
                "the reboot kzguard reboot asked for at %s has not happened after %s: "
                "the host is still up in the boot it was to take down",
                time.strftime("%H:%M:%S", time.localtime(reboot.requested)),
                format_duration(args.timeout),
            )
        elif boot_unknown:
            log.error(
                "no answer after %s: which boot the journal's records are of is unknown "
                "without the global zone boot time (%s)",
                format_duration(args.timeout),
                boot_unknown[0],
            )
        else:
            log.error(
                "the start method of this boot has not finished after %s",
                format_duration(args.timeout),
            )
        return EXIT_TIMED_OUT
    if args.json:
        print(wait_json(answered[0], verdict))
    else:
        print(verdict.line)
    return verdict.status


def _may_answer(reboot: pending.PendingReboot | None, document: JournalDocument | None) -> bool:
    """Whether the journal may hold the answer, before the boot time is read (a
    command, every poll): after ``kzguard reboot``, only a finished start record of
    another boot than the one it takes down can be the next boot's."""
    if reboot is None:
        return True
    start = document.start if document is not None else None
    return (
        start is not None
        and start.finished is not None
        and start.host_boot_time != reboot.host_boot_time
    )


def status_json(guard: Guard) -> str:
    """``kzguard status --json`` as of ``guard`` (docs/formats.md)."""
    return report.status_json(
        guard.decisions,
        guard.policy.source,
        guard.health,
        guard.plan,
        last_cycle=cycle.last_cycle(guard.document, guard.host_boot_time),
    )


def wait_json(guard: Guard, verdict: cycle.WaitVerdict) -> str:
    """``kzguard wait --json``: the document of ``kzguard status --json`` as of
    ``guard``, with ``wait``: the exit status and the summary line (docs/formats.md)."""
    document = json.loads(status_json(guard))
    document["wait"] = {"exit_status": verdict.status, "summary": verdict.line}
    return report.to_json(document)


# A health that lets wait_verdict say whether the start method has finished at all.
_ARMED = Health(armed=True, reasons=(), errors=())


def poll(
    look: Callable[[], cycle.WaitVerdict | None],
    *,
    timeout: float,
    interval: float = POLL_INTERVAL,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> cycle.WaitVerdict | None:
    """``look()`` every ``interval`` seconds until it answers or ``timeout`` passes
    (then None); never sleeps past the deadline."""
    deadline = clock() + timeout
    while True:
        verdict = look()
        if verdict is not None:
            return verdict
        remaining = deadline - clock()
        if remaining <= 0:
            return None
        sleep(min(interval, remaining))

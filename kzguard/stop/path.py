"""The stop path end to end: survey the host, plan, and carry the plan out.

Shared by ``kzguard plan stop``, ``kzguard stop [--dry-run]`` and the SMF stop
method, so that all three see the same plan for the same host.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kzguard.errors import CommandError, StateError
from kzguard.journal.store import (
    Journal,
    LockHeld,
    ensure_state_dir,
    exclusive_lock,
    load_history,
    save_history,
)
from kzguard.model import FileSystemSpace
from kzguard.policy.model import Policy
from kzguard.policy.selection import Decision, decide, needs_config
from kzguard.solaris.host import Host
from kzguard.start.plan import fingerprint
from kzguard.status import checks
from kzguard.stop.plan import PastRun, Plan, plan_stop
from kzguard.stop.run import SUSPENDED, Executor, StopReport

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Survey:
    """The host as the plan sees it."""

    decisions: list[Decision]
    space: dict[str, FileSystemSpace | str]


def survey(policy: Policy, host: Host, *, tolerant: bool = False) -> Survey:
    """``tolerant``: go on without what cannot be read (see :meth:`Host.zones`)."""
    zones = host.zones(configure=lambda listing: needs_config(policy, listing), tolerant=tolerant)
    # zoneadm lists running zones before the others; people look zones up by name,
    # and expect kz2 before kz10.
    decisions = decide(policy, sorted(zones, key=lambda zone: natural_key(zone.name)))
    return Survey(decisions, free_space(host, decisions))


def natural_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that orders the digit runs of a name by value: kz2 < kz10."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", name) if part
    )


def free_space(host: Host, decisions: Sequence[Decision]) -> dict[str, FileSystemSpace | str]:
    """Ask df once per directory that will receive a suspend image (concurrently:
    with `%{zonename}` in the suspend path every zone has its own directory)."""
    directories: dict[str, str] = {}
    for decision in decisions:
        image = checks.suspend_image_path(decision)
        if image is not None:
            directories[decision.zone.name] = checks.space_query_path(image)
    by_directory = host.free_spaces(sorted(set(directories.values())))
    return {name: by_directory[directory] for name, directory in directories.items()}


def history_for_planning(policy: Policy) -> dict[str, list[PastRun]]:
    """Past suspends; a missing state directory simply means no history yet."""
    if os.path.islink(policy.paths.state_dir) or not os.path.isdir(policy.paths.state_dir):
        return {}
    history, problem = load_history(policy.paths.state_dir)
    if problem:
        log.warning("%s", problem)
    return history


def build_stop_plan(policy: Policy, host: Host) -> Plan:
    return _plan(policy, host)[0]


def _plan(policy: Policy, host: Host, *, tolerant: bool = False) -> tuple[Plan, Survey]:
    found = survey(policy, host, tolerant=tolerant)
    return plan_stop(policy, found.decisions, history_for_planning(policy), found.space), found


def execute_stop(
    policy: Policy,
    host: Host,
    *,
    holder: str,
    trigger: dict[str, object],
    started: float,
    lock_wait: float | None = None,
) -> tuple[Plan, StopReport]:
    """Lock the state directory, plan, journal and carry out the stop.

    A state directory that cannot be used is kzguard's own failure, reported in the
    result, but it does not stop the suspends: without them the zones lose their
    running state; without the journal the operator loses only the record.

    ``lock_wait``: how long the stop method waits for a live holder of the lock
    before suspending without it; None (``kzguard stop``) refuses at once instead
    (:class:`LockHeld`).
    """
    try:
        state_dir: str | None = ensure_state_dir(policy.paths.state_dir)
    except StateError as error:
        log.error("%s", error)
        log.error("suspending without a journal")
        state_dir = None
    with contextlib.ExitStack() as stack:
        problems = []
        if state_dir is not None:
            problem = _lock(stack, state_dir, holder, lock_wait)
            if problem:
                problems.append(problem)
            journal, problem = Journal.load(state_dir)
            if problem:
                log.warning("%s", problem)
        else:
            journal = Journal(None)
            problems.append(f"{policy.paths.state_dir}: state directory unusable")
        # Tolerant: a zonecfg that fails for one zone must not cost the others their
        # suspend (Host.zones).
        plan, found = _plan(policy, host, tolerant=True)
        executor = Executor(
            plan, host, journal, record_boot_time=policy.resume.verify, started=started
        )
        trigger = {**trigger, "host_boot_time": _host_boot_time(host)}
        record = _cycle_record(policy, plan, found, trigger)
        _carry_over(journal.cycle, record)
        # Through the executor, so that a broken journal is reported once, however
        # many of the writes that follow fail too.
        executor.write_journal(lambda: journal.begin_cycle(record))
        report = executor.run()
        report.own_failures[:0] = problems
        if state_dir is not None:
            summary = report.summary()
            executor.write_journal(
                lambda: journal.set_cycle(finished=round(time.time(), 3), summary=summary)
            )
            try:
                _remember_durations(plan, report, state_dir)
            except StateError as error:
                # Only the predictions suffer; the journal is what the boot needs.
                log.warning("history not written: %s", error)
        if not journal.durable:
            suspended = sorted(
                (outcome.zone for outcome in report.outcomes if outcome.state == SUSPENDED),
                key=natural_key,
            )
            if suspended:
                # The start method boots only what the journal says it put down.
                log.error(
                    "this stop is not in the journal: the next boot will not resume %s; "
                    "boot them by hand (zoneadm -z ZONE boot)",
                    ", ".join(suspended),
                )
        return plan, report


def _lock(
    stack: contextlib.ExitStack[bool | None], state_dir: str, holder: str, wait: float | None
) -> str | None:
    """Take the lock for the stop; the problem text when kzguard goes on without it.

    At shutdown a stuck holder (a hung `kzguard stop`, say) must not cost the zones
    their state: after ``wait`` the stop goes on without the lock."""
    try:
        stack.enter_context(exclusive_lock(state_dir, holder, wait=wait or 0.0))
    except LockHeld as error:
        if wait is None:
            raise
        log.error("%s; suspending without the lock", error.still_held())
        return None
    except StateError as error:
        log.error("%s; suspending without the lock", error)
        return str(error)
    return None


def _carry_over(previous: dict[str, Any] | None, record: dict[str, Any]) -> None:
    """Keep what an earlier stop did that no boot has resumed yet.

    `kzguard stop` followed by `init 6`, or a stop run again after a crash, finds
    zones already suspended and plans nothing for them; their records (intent, boot
    time, fingerprint) must survive into the new cycle, or the next boot would not
    resume them."""
    if not previous or previous.get("kind") != "stop" or previous.get("resumed_at"):
        return
    zones = record["zones"]
    for name, zone in dict(previous.get("zones") or {}).items():
        if name not in zones and isinstance(zone, dict):
            zones[name] = {**zone, "carried_over_from": previous.get("started")}


def _host_boot_time(host: Host) -> int | None:
    """Which boot this stop belongs to; the next start resumes only a stop made
    before it booted."""
    try:
        return host.host_boot_time()
    except CommandError as error:
        log.warning("global zone boot time unknown: %s", error)
        return None


def _cycle_record(
    policy: Policy, plan: Plan, found: Survey, trigger: dict[str, object]
) -> dict[str, Any]:
    now = round(time.time(), 3)
    zones = {decision.zone.name: decision.zone for decision in found.decisions}
    return {
        "kind": "stop",
        "started": now,
        "finished": None,
        "policy": policy.source,
        "deadline": plan.deadline,
        **trigger,
        "zones": {
            zone.zone: {
                "action": policy.zone_policy(zone.zone).action.value,
                "intent": [step.value for step in zone.steps],
                "memory": zone.memory,
                "expected": round(zone.expected, 3),
                "note": zone.note,
                "fingerprint": fingerprint(zones[zone.zone]),
                "state": "planned",
                "transitions": [{"state": "planned", "time": now}],
            }
            for zone in plan.zones
        },
        "skipped": {item.zone: item.reason for item in plan.skipped},
    }


def _remember_durations(plan: Plan, report: StopReport, state_dir: str) -> None:
    memory = {zone.zone: zone.memory for zone in plan.zones}
    history, _ = load_history(state_dir)
    now = time.time()
    for outcome in report.outcomes:
        if outcome.state == SUSPENDED and outcome.seconds > 0:
            history.setdefault(outcome.zone, []).append(
                PastRun(seconds=outcome.seconds, memory=memory.get(outcome.zone), when=now)
            )
    save_history(state_dir, history, now=now)

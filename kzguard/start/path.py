"""The start path end to end: read the journal and the zones, resume, verify, arm."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace

from kzguard.errors import CommandError, StateError
from kzguard.journal.document import ArmedRecord, JournalDocument, StartRecord
from kzguard.journal.history import last_images
from kzguard.journal.lock import LockHeld, exclusive_lock
from kzguard.journal.store import (
    Journal,
    ensure_state_dir,
    load_history_and_learned,
    record_configs,
    save_learned,
)
from kzguard.model import RUNNING, Zone
from kzguard.pace.auto import AutoPace
from kzguard.pace.choose import RESUME, PaceDecision, pace_for
from kzguard.pace.limit import Pace
from kzguard.policy.model import Policy
from kzguard.policy.selection import decide, needs_config
from kzguard.solaris.host import Host
from kzguard.solaris.survey import ConfigSurvey
from kzguard.start.outcome import StartReport
from kzguard.start.plan import StartPlan, plan_start, recorded_configs, with_recorded
from kzguard.start.run import StartRun

log = logging.getLogger(__name__)


def execute_start(
    policy: Policy,
    host: Host,
    *,
    started: float,
    lock_wait: float = 0.0,
    pace: Pace | None = None,
    streams: int | None = None,
    watch: Callable[[Journal], None] | None = None,
) -> StartReport:
    """Resume what the last stop put down, record every outcome, and arm the guard.

    The plan is decided before anything is booted, and each zone's outcome is
    journalled as it settles, so a start method killed half-way and run again in
    the same boot only takes up the zones it had not reached.  It is made from the
    configurations the last stop recorded when it kept every one (solaris/survey.py:
    the live ones are read meanwhile, each zone's before its boot, and one that
    differs sends the rest to a plan made from the live ones), else from the live
    ones, read first.

    A lock held by a live process (waited for up to ``lock_wait``) stops the start
    (:class:`LockHeld`): booting zones while another kzguard suspends them would
    undo its work, and a zone left suspended loses nothing.  A lock that cannot be
    opened (read-only state directory) does not: the journal is still readable, and
    the zones it records are resumed; the record of the boot is what is lost.

    ``pace`` decides how many boots run at once (None: ``[resume] parallel``, and
    for "auto" what earlier boots learned, history.json); what an auto pace learns
    is saved for the next boot.  ``streams``, how many resumes the storage serves at
    once, orders them (start/plan.py plan_start; None: the pace's starting limit).
    ``watch`` is handed the journal once it is open (the console's countdown counts
    from it).
    """
    boot_time = host.host_boot_time_or_none(without_it="a bypassed shutdown cannot be told")
    state_dir = ensure_state_dir(policy.paths.state_dir)
    with contextlib.ExitStack() as stack:
        failures = []
        try:
            stack.enter_context(exclusive_lock(state_dir, "method start", wait=lock_wait))
        except LockHeld:
            raise
        except StateError as error:
            log.error("%s; resuming without the lock", error)
            failures.append(str(error))
        journal, problem = Journal.load(state_dir)
        if problem:
            log.warning("%s", problem)
        if watch is not None:
            watch(journal)
        history, learned, problem = load_history_and_learned(state_dir)
        if problem:
            log.warning("%s", problem)
        if pace is None:
            pace = pace_for(policy.resume.parallel, learned, RESUME)
        decision = PaceDecision(RESUME, policy.resume.parallel, pace.limit(), pace.why())
        log.debug("resumes: %s", decision.line())
        # Tolerant: one zone whose configuration cannot be read must not keep the
        # others suspended (its own resume is tried; zoneadm says if it cannot).
        listed = host.zones(configure=lambda listing: False, tolerant=True)
        needed = [zone.name for zone in listed if needs_config(policy, zone.listing)]
        recorded = recorded_configs(journal.document, needed)

        def plan_from(zones: Sequence[Zone]) -> StartPlan:
            plan = plan_start(
                policy,
                journal.document,
                zones,
                host_boot_time=boot_time,
                streams=streams if streams is not None else pace.limit(),
                images=last_images(history),
            )
            return _not_yet_done(plan, journal.document, boot_time)

        live: list[Zone] | None = None  # every live configuration, once read
        if recorded is None:
            # Nothing recorded to plan from (a shutdown without the stop method, a
            # journal from before the configurations were kept): read them first.
            survey = ConfigSurvey(host, needed, {})
            survey.start(lambda name: None)
            live = survey.zones(listed)
            plan = plan_from(live)
        else:
            # Planned from what the stop recorded; the live configurations are read
            # while it runs, the plan's zones first, in its order (solaris/survey.py).
            plan = plan_from(with_recorded(listed, recorded))
            first = [entry.name for entry in plan.left] + [item.name for item in plan.items]
            survey = ConfigSurvey(host, [*(n for n in first if n in recorded), *needed], recorded)
        if plan.bypassed:
            # Every zone that lost its state, booted again by policy or not.
            lost = (
                ", ".join(
                    sorted(
                        [item.name for item in plan.items]
                        + [entry.name for entry in plan.left if entry.lost]
                    )
                )
                or "no managed zone"
            )
            log.error("%s; running state lost: %s", plan.note, lost)
        elif plan.note:
            log.info("%s", plan.note)

        # The first run checks each zone's live configuration before it; a second,
        # after a change, runs a plan made from them.
        gate = survey if live is None else None

        def run(plan: StartPlan, report: StartReport | None = None) -> StartRun:
            return StartRun(
                plan,
                policy,
                host,
                journal,
                started=started,
                host_boot_time=boot_time,
                pace=pace,
                survey=gate if report is None else None,
                report=report,
            )

        start_run = run(plan)
        start_run.report.own_failures.extend(failures)
        if not _same_boot(journal.document, boot_time):
            record = StartRecord(
                host_boot_time=boot_time,
                started=round(time.time(), 3),
                bypassed=plan.bypassed,
                note=plan.note,
                pace=decision.record() if plan.boots else None,
            )
            try:
                journal.begin_start(record)
            except StateError as error:
                # The boots go on: a zone left suspended is what the record is for.
                log.error("journal not written: %s", error)
                start_run.report.own_failures.append(f"journal not written: {error}")
        report = start_run.run()
        boots = plan.boots
        if start_run.replan:
            log.info(
                "configuration not as the stop recorded it (changed or unreadable): %s; "
                "planning the rest from the live ones",
                ", ".join(survey.changed()),
            )
            done = {outcome.name for outcome in report.outcomes}
            live = survey.zones(listed)
            rest = _without(plan_from(live), done)
            report = run(rest, report).run()
            boots = boots or rest.boots
        if live is None:
            live = survey.zones(listed)
        report.managed = tuple(
            decision.zone.name for decision in decide(policy, live) if decision.managed
        )
        # For the next stop, which plans from them while their zone files stay as
        # they are now (journal/configs.py).
        record_configs(state_dir, live)
        if boots:
            _remember_pace(journal, state_dir, decision, pace, started)
        try:
            _arm(policy, host, journal, report.managed, boot_time=boot_time, report=report)
        except (CommandError, StateError) as error:
            report.own_failures.append(f"not armed: {error}")
            log.error("not armed: %s", error)
        return report


def _remember_pace(
    journal: Journal, state_dir: str, decision: PaceDecision, pace: Pace, started: float
) -> None:
    """Journal how many boots ran at once (and when it changed, from ``started``,
    the method's start), and keep what an auto pace measured (status shows no pace
    for a run that began none; kzguard.status.cycle)."""
    record = decision.record(pace, began=started)
    try:
        journal.record_pace(RESUME, record)
    except StateError as error:
        # Only status's pace line misses it; the journal's own failure was reported
        # where it mattered (a zone's record, the start record).
        log.debug("pace not journalled: %s", error)
    if isinstance(pace, AutoPace) and record.peak:
        now = time.time()
        try:
            save_learned(state_dir, RESUME, pace.learned(now), now=now)
        except StateError as error:
            # Only the next boot's first guess suffers.
            log.warning("history not written: %s", error)


def _same_boot(document: JournalDocument, boot_time: int | None) -> bool:
    """Whether the journal's start record is this boot's, made by an earlier run of
    the start method (killed, or restarted with svcadm), usable, and not older than
    the last stop: a stop method that ran after it in this boot (`svcadm restart`
    with act_on_service_stop, or with the run level unknown) put zones down again,
    and what the earlier run resumed says nothing about them."""
    start = document.start
    return start is not None and start.of_boot(boot_time) and not document.stopped_since_start


def _not_yet_done(plan: StartPlan, document: JournalDocument, boot_time: int | None) -> StartPlan:
    if document.start is None or not _same_boot(document, boot_time):
        return plan
    return _without(plan, set(document.start.zones or ()))


def _without(plan: StartPlan, done: Collection[str]) -> StartPlan:
    items = tuple(item for item in plan.items if item.name not in done)
    left = tuple(entry for entry in plan.left if entry.name not in done)
    return replace(plan, items=items, left=left)


def _arm(
    policy: Policy,
    host: Host,
    journal: Journal,
    managed: Sequence[str],
    *,
    boot_time: int | None,
    report: StartReport,
) -> None:
    """Close the resume record and remember which managed zones run now: if the host
    next goes down without the stop method, those are the zones that lose state.

    Which zones are managed depends on their configuration, already read for the
    plan (``managed``); only their states are read again, one ``zoneadm list``."""
    now_running = {listing.name for listing in host.list_zones() if listing.state == RUNNING}
    running = tuple(sorted(name for name in managed if name in now_running))
    now = round(time.time(), 3)
    armed = ArmedRecord(host_boot_time=boot_time, time=now, running=running, policy=policy.source)
    summary = report.summary()
    journal.commit(
        lambda document: document.closed(
            now=now, host_boot_time=boot_time, summary=summary, armed=armed
        )
    )

"""Carry out a start plan: boot (resume) zones in dependency order, as many at once
as the pace allows, each released to its dependants once up (and ready, when
asked), and prove per zone whether its running state survived.

A slot is what a pace limits: a `zoneadm boot` in flight.  It is taken right before
the boot and freed as soon as the boot returns; the verification (marker, boot
time) and the readiness wait that follow go on off-slot, since they move no image,
while the zone's dependants still wait for them.  A resume (a suspended zone) is
reported to the pace (began/ended, with its image's size as the bytes moved); a
fresh boot (Kind.COLD_BOOT, Kind.BOOT) holds a slot too, since it loads the host
as well (its boot disk is often on the same storage; how much a kernel zone's
fresh boot costs next to a resume is UNCONFIRMED), but is not reported: it moves
no image, and its time would mislead a pace that measures image throughput.  A zone found running
(Kind.VERIFY) is only read, and takes no slot.  The one fresh boot after a failed
resume (on_failure = "fresh-boot") runs in that zone's worker, off-slot.  The pace
is asked with the time, and the loop waits no longer than its next wake-up (an
auto pace lets the next resume begin a transfer's fixed time before one is due to
end: pace/auto.py).  Every call to the pace is made from the run's own thread, so
a pace needs no lock.  The
``[resume] stagger`` spaces fresh boots only (FRESH_BOOTS), never resumes.

A resume that spent more than SURVEY_SHARE of its life while the survey of the live
configurations was still reading (solaris/survey.py) is reported unmeasured: it counts
in flight, but the pace learns nothing from its time.  The survey's commands compete
with the first resumes for the host, and those are the order's smallest images,
whose time is mostly the commands' own; measured, they made more resumes at once
look faster, and on the simulator at 500 zones the pace climbed to 14 at once on
storage that two saturate within the survey's first seconds and stayed there (1.405
of the resume bound, where a fixed 5 took 1.140; docs/performance.md, "The 500-zone
resume: what holds it at 14 at once").  Where the survey ends early in the first
resumes' lives (a few zones; on Solaris zonecfg is a C program, its cost
UNCONFIRMED, docs/solaris.md 14) nothing changes.

The proof (issue 4, "was it really resumed?"): the in-zone boot time read after the
boot equals the one recorded before the suspend.  A resumed kernel zone restores its
whole kernel memory, boot time included; a cold boot resets it (docs/solaris.md 8).
Guest wall-clock time is no proof: it resumes from the pre-suspend second.  Since
issue 11 the resume marker written before the suspend (a nonce in /system/volatile,
which a suspend keeps and every boot empties) is read too, and decides where it was
written and can be read (start/proof.py); it is removed once the outcome is journalled.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Union

from kzguard.errors import CommandError, CommandFailed, CommandTimedOut, failed_inside
from kzguard.journal.records import LEFT_ALONE_RESULT, Severity, StartOutcome
from kzguard.journal.store import Journal
from kzguard.model import RUNNING, hands_off
from kzguard.pace.choose import RESUME, pace_for
from kzguard.pace.limit import Pace
from kzguard.policy.model import Policy, Readiness, ResumeFailure
from kzguard.solaris.host import Host
from kzguard.solaris.survey import ConfigRead, ConfigSurvey, SurveyEnd
from kzguard.start.order import boot_order
from kzguard.start.outcome import StartReport
from kzguard.start.plan import Item, Kind, Left, StartPlan
from kzguard.start.verify import (
    CLOCK_SLACK,
    COLD_BOOTED,
    POLL_INTERVAL,
    PRESERVED,
    PROBE_TIMEOUT,
    STILL_BOOTING,
    UNVERIFIED,
    Verifier,
)
from kzguard.units import format_duration, format_elapsed

log = logging.getLogger(__name__)

# What the tests and callers name from here: the results in words, and the slack.
__all__ = ["CLOCK_SLACK", "COLD_BOOTED", "PRESERVED", "STILL_BOOTING", "UNVERIFIED", "StartRun"]


@dataclass(frozen=True)
class BootReturned:
    """A worker's word to the run: ``zoneadm boot`` of ``name`` returned at ``at``
    (``ok``: exit status 0), so its slot is free; ``image_bytes``: the size of the
    image a resume read, when its file could be read before the boot."""

    name: str
    at: float
    ok: bool
    image_bytes: int | None = None


# Boots that start a zone afresh: spaced by [resume] stagger against boot storms (many
# operating systems booting at once on the host's CPUs).  A resume restores a running
# kernel instead; resumes are paced by the storage (the pace) and never staggered.
FRESH_BOOTS = (Kind.COLD_BOOT, Kind.BOOT)

# Outcomes whose zone is up again, so that its downtime has an end.
UP = (Severity.OK, Severity.LOST)

# What the workers and the survey put on the run's queue: a boot that returned, an
# outcome, a configuration read.
Event = Union[StartOutcome, BootReturned, ConfigRead]


class StartRun(Verifier):
    """Runs one StartPlan against the host, recording outcomes in the journal."""

    def __init__(
        self,
        plan: StartPlan,
        policy: Policy,
        host: Host,
        journal: Journal,
        *,
        started: float,
        host_boot_time: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        event_queue: Callable[[], queue.Queue[Event]] = queue.Queue,
        pace: Pace | None = None,
        survey: ConfigSurvey | None = None,
        report: StartReport | None = None,
    ) -> None:
        self.plan = plan
        self.pace: Pace = pace if pace is not None else pace_for(policy.resume.parallel, {}, RESUME)
        self.host_boot_time = host_boot_time
        self.policy = policy
        self.host = host
        self.journal = journal
        self.clock = clock
        # Epoch time, for downtimes: they begin at the stop, before the reboot.
        self.wall = wall
        self.sleep = sleep
        # Where the workers report each zone's outcome; the unit tests pass a queue
        # whose get() waits on their fake clock instead of real time.
        self.event_queue = event_queue
        self.deadline_end = started + policy.resume.deadline
        self.started = started
        # A run that goes on from one whose plan was made again adds to its report.
        self.report = report if report is not None else StartReport()
        self._lock = threading.Lock()
        # Set once the deadline ends the run: what a worker settles later is not
        # counted twice (the run has already called it "still booting").
        self._closed = False
        self._settled: set[str] = set()
        self._events: queue.Queue[Event] = event_queue()
        # Each zone's `zoneadm boot` that returned with it running: when (wall).
        self._up_at: dict[str, float] = {}
        # The live configurations being read while the plan, made from the ones the
        # stop recorded, runs (solaris/survey.py); None: the plan was made from them.
        self.survey = survey
        # Set when a live configuration differs from the one planned from: nothing
        # more is begun, and the run ends once what it began has settled, for the
        # rest to be planned again from every live configuration (start/path.py).
        self.replan = False

    def run(self) -> StartReport:
        events = self._events
        survey = self.survey
        if survey is not None:
            survey.start(lambda name: events.put(ConfigRead(name)))
        # A zone left alone is recorded once its own configuration is found the one
        # its decision was made from (at once without a survey).
        to_leave = [left for left in self.plan.left if not self._leave(left)]
        # Only what this run brings up can release a zone: a dependency settled by
        # an earlier, interrupted run in this boot is not waited for again.
        names = {item.name for item in self.plan.items}
        waiting = {item.name: set(item.after) & names for item in self.plan.items}
        dependants: dict[str, list[str]] = {}
        for name, waits in waiting.items():
            for dependency in waits:
                dependants.setdefault(dependency, []).append(name)
        pending = list(self.plan.items)
        checks = sum(1 for item in pending if item.kind is Kind.VERIFY)
        unsettled: set[str] = set()  # started, no outcome yet
        in_slot: set[str] = set()  # their `zoneadm boot` not returned yet
        reported: dict[str, float] = {}  # resumes the pace was told of: when they began
        survey_end = SurveyEnd(survey)  # a resume mostly beside it is not measured
        last_fresh_boot = float("-inf")
        ordered_for = self.pace.order_for()
        while ((pending or to_leave) and not self.replan) or unsettled:
            now = self.clock()
            if now >= self.deadline_end:
                break
            timeout = self.deadline_end - now
            chosen = None
            slot_free = bool(pending) and len(in_slot) < self.pace.limit(now)
            due = self.pace.wake(now) if pending else None
            if due is not None:
                timeout = min(timeout, due - now)
            # The first ready item, in the plan's order, that may start now: a check
            # of a running zone always may; a boot needs a free slot, and a fresh boot
            # the stagger too.  With every slot taken and no check left, none may;
            # none once the plan is to be made again.
            # One whose configuration is not yet read (and found the one planned
            # from) is waited for, not passed: the order stays the plan's.
            for item in pending if (slot_free or checks) and not self.replan else ():
                if waiting[item.name]:
                    continue
                if item.kind is not Kind.VERIFY:
                    if not slot_free:
                        continue
                    gap = self.policy.resume.stagger - (now - last_fresh_boot)
                    if item.kind is not Kind.RESUME and gap > 0:
                        timeout = min(timeout, gap)
                        continue
                if self._unchanged(item.name):
                    chosen = item
                break
            if chosen is not None:
                pending.remove(chosen)
                unsettled.add(chosen.name)
                if chosen.kind is Kind.VERIFY:
                    checks -= 1
                else:
                    in_slot.add(chosen.name)
                if chosen.kind in FRESH_BOOTS:
                    last_fresh_boot = now
                if chosen.kind is Kind.RESUME:
                    # The image's size the stop recorded (else the memory) estimates
                    # what the resume reads; the worker reads the size now
                    # (BootReturned), off this loop: a file on a stalled NFS mount
                    # must not hold up every other zone.
                    reported[chosen.name] = self.clock()
                    self.pace.began(chosen.name, chosen.size, reported[chosen.name])
                self._start(chosen)
                continue
            try:
                event = events.get(timeout=max(timeout, 0.0))
            except queue.Empty:
                continue
            if isinstance(event, ConfigRead):
                survey_end.heard(self.clock)
                self._unchanged(event.name)
                to_leave = [left for left in to_leave if not self._leave(left)]
                continue
            if isinstance(event, BootReturned):
                in_slot.discard(event.name)
                if event.name in reported:
                    began = reported.pop(event.name)
                    seen = len(self.pace.level_changes())
                    self.pace.ended(
                        event.name,
                        event.at,
                        ok=event.ok,
                        nbytes=event.image_bytes,
                        measured=survey_end.clear(began, event.at),
                    )
                    for change in self.pace.level_changes()[seen:]:
                        log.info("resume pace: %s", change.why)
                    if self.pace.order_for() != ordered_for:
                        ordered_for = self.pace.order_for()
                        pending = self._reordered(pending, in_slot, ordered_for)
                continue
            unsettled.discard(event.name)
            for name in dependants.get(event.name, ()):
                waiting[name].discard(event.name)
        with self._lock:
            if self.replan and not unsettled:
                # The rest is planned again (start/path.py), none of it recorded here.
                self.report.elapsed = self.clock() - self.started
                return self.report
            self.replan = False
            self._closed = True
            still_booting = sorted(unsettled - self._settled)
        for left in to_leave:
            # The deadline came before its configuration was read: the decision
            # made from the recorded one stands.
            self._leave(left, read=False)
        for item in pending:
            self._record(
                StartOutcome(
                    item.name, "not started", Severity.ERROR, detail="start deadline reached"
                )
            )
            log.warning("%s: not started: the start deadline was reached", item.name)
        for name in still_booting:
            self._record(
                StartOutcome(name, STILL_BOOTING, Severity.ERROR, detail="start deadline reached")
            )
            log.warning("%s: still booting when the start deadline was reached", name)
        self.report.elapsed = self.clock() - self.started
        return self.report

    def _reordered(self, pending: list[Item], in_slot: set[str], streams: int) -> list[Item]:
        """``pending`` in the start order made again for ``streams`` at once (the
        pace's order_for), the boots in flight each holding a slot with its image:
        an order made for another number than runs leaves a large image too late
        (start/order.py; docs/performance.md, "A first resume after suspends that
        went further")."""
        sizes = {item.name: item.size for item in self.plan.items}
        waited_on = {name for item in self.plan.items for name in item.after}
        busy = [sizes[name] for name in in_slot]
        return boot_order(pending, sizes, waited_on, streams, busy)

    def _unchanged(self, name: str) -> bool:
        """Whether ``name``'s live configuration is read and the one planned from;
        one that is not sets ``replan``."""
        found = True if self.survey is None else self.survey.unchanged(name)
        if found is False:
            self.replan = True
        return found is True

    def _leave(self, left: Left, *, read: bool = True) -> bool:
        """Record ``left`` if its configuration is read and unchanged (or ``read``
        is False); whether it was."""
        if read and not self._unchanged(left.name):
            return False
        severity = Severity.LOST if left.lost else Severity.LEFT
        self._record(StartOutcome(left.name, LEFT_ALONE_RESULT, severity, detail=left.reason))
        log.info("%s: left alone: %s", left.name, left.reason)
        return True

    def _start(self, item: Item) -> None:
        def work() -> None:
            try:
                outcome = self._bring_up(item)
            except CommandError as error:  # a probe that failed in a way not handled
                outcome = StartOutcome(item.name, "failed", Severity.ERROR, detail=str(error))
            except Exception as error:  # a bug must not keep the run waiting for it
                # Said as the stop says it (stop/run.py StopRun._defect): the zone
                # may be up or down, kzguard cannot tell, and the report is asked for.
                detail = failed_inside("its start", error)
                log.error("%s: %s; please report it", item.name, detail, exc_info=error)
                with self._lock:
                    self.report.own_failures.append(f"{item.name}: {detail}")
                outcome = StartOutcome(item.name, "failed", Severity.ERROR, detail=detail)
            up_at = self._up_at.get(item.name)
            if up_at is not None and item.down_since is not None and outcome.severity in UP:
                outcome = replace(outcome, downtime=up_at - item.down_since)
            recorded = self._record(outcome, worker=True)
            if recorded and outcome.result == STILL_BOOTING:
                log.warning("%s: still booting when the start deadline was reached", item.name)
            self._events.put(outcome)

        threading.Thread(target=work, name=f"kzguard-{item.name}", daemon=True).start()

    # -- one zone -------------------------------------------------------------

    def _bring_up(self, item: Item) -> StartOutcome:
        name = item.name
        began = self.clock()
        if item.kind is Kind.VERIFY:
            log.info("%s: %s", name, item.reason)
        else:
            verb = "resuming" if item.kind is Kind.RESUME else "booting"
            log.info("%s %s (%s)", verb, name, item.reason)
            failure = self._boot_in_slot(item)
            if failure is not None:
                return self._after_failed_boot(item, failure, began)
        ready_problem = self._wait_ready(name)
        seconds = self.clock() - began
        if item.kind is Kind.COLD_BOOT:
            log.warning("%s booted cold in %s: %s", name, format_elapsed(seconds), item.reason)
            return StartOutcome(
                name, "booted cold (running state was lost)", Severity.LOST, seconds, item.reason
            )
        if item.kind is Kind.BOOT:
            log.info("%s booted in %s (%s)", name, format_elapsed(seconds), item.reason)
            return StartOutcome(name, "booted", Severity.OK, seconds, item.reason)
        outcome = self._verify(item, seconds)
        if ready_problem:
            outcome = StartOutcome(outcome.name, outcome.result, outcome.severity, seconds,
                              "; ".join(filter(None, [outcome.detail, ready_problem])))  # fmt: skip
        return outcome

    def _boot_in_slot(self, item: Item) -> str | None:
        """The boot that holds the zone's slot; the slot is freed the moment it
        returns, however it ends (an unexpected error included).  A resume's image
        is measured first, for the pace: the resume reads it (pace/measure.py)."""
        name = item.name
        failure: str | None = "boot did not return"
        image = None
        try:
            if item.kind is Kind.RESUME and item.image_path is not None:
                image = self.host.image_size(item.image_path)
            failure = self._boot(name)
            if failure is None:
                self._up_at[name] = self.wall()
        finally:
            returned = BootReturned(name, self.clock(), ok=failure is None, image_bytes=image)
            self._events.put(returned)
        return failure

    def _boot(self, name: str, *args: str) -> str | None:
        remaining = self.deadline_end - self.clock()
        try:
            self.host.operate(name, "boot", *args, timeout=max(remaining, 0.1))
        except CommandTimedOut:
            return f"boot timed out after {format_duration(remaining)}"
        except CommandFailed as error:
            return f"boot failed: {error.detail}"
        return None

    def _after_failed_boot(self, item: Item, failure: str, began: float) -> StartOutcome:
        name = item.name
        try:
            observed = self.host.zone_state(name)
        except CommandError as error:
            observed = None
            failure += f"; state unknown: {error}"
        owned = hands_off(observed[1] or ()) if observed is not None else ""
        if owned:
            # Migrating or in the debugger now (docs/solaris.md 1.2): no fresh boot.
            log.error("%s: %s; left alone: %s", name, failure, owned)
            return StartOutcome(name, "failed; left alone", Severity.ERROR,
                           self.clock() - began, f"{failure}; left alone: {owned}")  # fmt: skip
        if observed is not None and observed[0] == RUNNING:
            if item.kind in FRESH_BOOTS:
                return self._booted_by_another(item, failure, began)
            return self._verify(item, self.clock() - began)
        if self.clock() >= self.deadline_end:
            # The boot was cut short by the start deadline, not refused: no fresh
            # boot, which would throw away an image that is probably sound.
            return StartOutcome(name, STILL_BOOTING, Severity.ERROR, self.clock() - began,
                           "start deadline reached")  # fmt: skip
        if item.kind is not Kind.RESUME:
            log.error("%s: %s", name, failure)
            return StartOutcome(name, "failed", Severity.ERROR, self.clock() - began, failure)
        if self.policy.resume.on_failure is ResumeFailure.LEAVE:
            log.error("%s: resume failed, left down with its image: %s", name, failure)
            return StartOutcome(name, "resume failed; left down (image kept)", Severity.ERROR,
                           self.clock() - began, failure)  # fmt: skip
        # One fresh boot, never a loop (peers.md complaint 9).
        args = self.policy.resume.fresh_boot_args
        log.error(
            "%s: resume failed (%s); booting it fresh (boot %s)", name, failure, " ".join(args)
        )
        second = self._boot(name, *args)
        if second is not None:
            log.error("%s: fresh boot failed too: %s", name, second)
            return StartOutcome(
                name, "failed", Severity.ERROR, self.clock() - began, f"{failure}; {second}"
            )
        self._wait_ready(name)
        result = "booted fresh after a failed resume (running state LOST)"
        return StartOutcome(name, result, Severity.LOST, self.clock() - began, failure)

    def _booted_by_another(self, item: Item, failure: str, began: float) -> StartOutcome:
        """A fresh boot refused because the zone was booted meanwhile (the zones
        service's autoboot, an operator): up, and fresh all the same.  Not a resume
        to verify: nothing it had survived (start/proof.py)."""
        name = item.name
        seconds = self.clock() - began
        detail = f"{item.reason}; {failure}, and the zone runs: booted by another"
        if item.kind is Kind.COLD_BOOT:
            log.warning(
                "%s booted cold by another in %s: %s", name, format_elapsed(seconds), detail
            )
            return StartOutcome(
                name, "booted cold (running state was lost)", Severity.LOST, seconds, detail
            )
        log.info("%s booted by another in %s (%s)", name, format_elapsed(seconds), detail)
        return StartOutcome(name, "booted", Severity.OK, seconds, detail)

    def _wait_ready(self, name: str) -> str:
        settings = self.policy.zone_policy(name)
        if settings.readiness is Readiness.NONE:
            return ""
        limit = min(self.clock() + settings.readiness_timeout, self.deadline_end)
        while True:
            timeout = max(min(PROBE_TIMEOUT, limit - self.clock()), 0.1)
            try:
                if settings.readiness is Readiness.MILESTONE:
                    ready = self.host.milestone_state(name, timeout=timeout) == "online"
                else:
                    command = settings.readiness_command or ""
                    ready = self.host.in_zone_succeeds(name, command, timeout=timeout)
            except CommandError:
                ready = False
            if ready:
                return ""
            now = self.clock()
            if now >= limit:
                problem = f"not ready after {format_duration(settings.readiness_timeout)}"
                log.warning("%s: %s; releasing the zones that wait on it", name, problem)
                return problem
            # The last probe is made at the limit, not up to a poll interval before it.
            self.sleep(min(POLL_INTERVAL, limit - now))

    def _record(self, outcome: StartOutcome, *, worker: bool = False) -> bool:
        """Count and journal ``outcome``; False (and nothing done) for a worker's
        outcome that arrives after the run was closed at the deadline."""
        with self._lock:
            if worker and self._closed:
                return False
            self._settled.add(outcome.name)
            self.report.outcomes.append(outcome)
        try:
            self.journal.record_start_outcome(outcome)
        except Exception as error:  # the journal must not stop the boots
            with self._lock:
                first = not self.report.own_failures
                self.report.own_failures.append(f"journal not written: {error}")
            if first:
                log.error("journal not written: %s", error)
        return True

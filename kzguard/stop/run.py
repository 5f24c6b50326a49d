"""Carry out a stop plan: bounded parallelism, per-step timeouts, one hard deadline.

Every zone walks its chain (suspend -> shutdown -> halt).  A step that fails or
times out is followed by a fresh look at the zone (docs/solaris.md 1.4: a failed suspend
may leave the zone running, halted without an image, or suspended after all) before
the next step is chosen.  Suspends and shutdowns must end by the plan's budget; the
tail of the deadline after it is kept for halting stragglers, and nothing waits past
the deadline itself.

Slots: a zone holds one from its start to the end of its walk, unless its plan
starts with a halt (halts are quick and run side by side, as stop/plan.py plans
them); a step that succeeds frees the slot, and lets the zones that wait for its
zone go, as it returns, before its journal write, which moves no image (issue 13:
the slot's handoff).  How many slots there are is the pace's answer
(pace/limit.py), asked with the time before each start, and the scheduler waits
for the next event no longer than the pace's next wake-up (an auto pace lets the
next suspend begin a transfer's fixed time before one is due to end: pace/auto.py);
the pace is told when each suspend, the one transfer step, begins and ends.  A
shutdown, planned or a fallback after a failed suspend, moves no image but keeps
the zone's slot until it returns: stop/plan.py's schedule (which fits the plan to
the deadline) counts a slot until the zone's walk ends, and a fallback follows a
failed suspend (no space, a timeout: often the storage's trouble), when starting
another suspend sooner would only pile more onto that storage.
"""

from __future__ import annotations

import contextlib
import logging
import math
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from kzguard.errors import (
    CommandError,
    CommandFailed,
    CommandMissing,
    CommandTimedOut,
    failed_inside,
)
from kzguard.journal.records import StopOutcome, ZoneState
from kzguard.journal.store import Journal
from kzguard.model import AUX_SUSPENDED, INSTALLED, hands_off
from kzguard.pace.limit import FixedPace, Pace, PoolSample, PoolsLost
from kzguard.pace.watch import PoolWatch
from kzguard.policy.model import Action
from kzguard.solaris.host import Host
from kzguard.solaris.survey import ConfigRead, ConfigSurvey, SurveyEnd
from kzguard.stop import interrupt, progress, promote
from kzguard.stop.outcome import Event, Interrupted, StopReport, WentDown
from kzguard.stop.plan import HostRate, StopPlan, ZonePlan
from kzguard.stop.readahead import ReadAhead
from kzguard.stop.record import StopRecord
from kzguard.units import format_duration, format_elapsed, format_size

log = logging.getLogger(__name__)

_VERB = {Action.SUSPEND: "suspending", Action.SHUTDOWN: "shutting down", Action.HALT: "halting"}
# Who may have put a zone down between the survey and its turn.
_SINCE = "since the survey, by an operator, the zones service or a crash"
_PAST = {Action.SUSPEND: "suspended", Action.SHUTDOWN: "shut down", Action.HALT: "halted"}


class StopRun:
    """Runs one StopPlan against the host, recording every transition in the journal."""

    def __init__(
        self,
        plan: StopPlan,
        host: Host,
        journal: Journal,
        *,
        record_boot_time: bool,
        write_marker: bool = False,
        started: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        event_queue: Callable[[], queue.Queue[Event]] = queue.Queue,
        pace: Pace | None = None,
        read_ahead: ReadAhead | None = None,
        pools: Host | None = None,
        survey: ConfigSurvey | None = None,
    ) -> None:
        self.plan = plan
        # How many zones may hold a slot at once, asked afresh before each start.
        self.pace: Pace = pace if pace is not None else FixedPace(plan.parallel)
        # The pace is asked by the scheduler and told by the workers: one at a time.
        self._pace_lock = threading.Lock()
        self.host = host
        self.journal = journal
        self.record_boot_time = record_boot_time
        self.write_marker = write_marker
        self.clock = clock
        # Where the workers report each zone's outcome; the unit tests pass a queue
        # whose get() waits on their fake clock instead of real time.
        self.event_queue = event_queue
        self.started = clock() if started is None else started
        self.budget_end = self.started + plan.budget
        self.deadline_end = self.started + plan.deadline
        self.report = StopReport()
        self._report_lock = threading.Lock()
        # Set once the run is over (its deadline, an interruption): a worker's outcome
        # that arrives later is not counted a second time.
        self._closed = False
        self._settled: set[str] = set()
        # Each zone's step begun last and when, by its worker (before any, its first
        # and the walk's start): what a defect outside a step's command is judged
        # after (_after_defect).
        self._stepping: dict[str, tuple[Action, float]] = {}
        self.record = StopRecord(journal, self._own_failure)
        self._positions = {zone_plan.name: index for index, zone_plan in enumerate(plan.zones, 1)}
        # Set from a signal handler (stop/interrupt.py): start no further step.
        self.interrupted: int | None = None
        self._events: queue.Queue[Event] | None = None  # the scheduler's, while it runs
        # Where the pools' bandwidth is read while the suspends run, for the pace
        # (kzguard/pace/watch.py), with a runner of its own; None: not read.
        self.pools = pools
        self._watch: PoolWatch | None = None
        # Begun during the survey by the stop path (stop/path.py), or here.
        self.read_ahead = read_ahead or ReadAhead(
            host, record_boot_time=record_boot_time, write_marker=write_marker, clock=clock
        )
        # The live configurations, read beside the run when the plan was made from
        # recorded ones (solaris/survey.py, stop/path.py): a zone begins only once its
        # own is read and found the one planned from.  One that is not sets
        # ``replan``: nothing more begins, and the zones not begun (``unstarted``)
        # are left to a plan made from the live ones.
        self.survey = survey
        self.replan = False
        self.unstarted: list[str] = []
        # A suspend mostly beside the survey is not measured (solaris/survey.py
        # SURVEY_SHARE).
        self._survey_end = SurveyEnd(survey)
        self._plans = {zone_plan.name: zone_plan for zone_plan in plan.zones}
        # The memory rate of each of this stop's suspends that succeeded (bytes of
        # memory a second, as stop/plan.py predicts from history): what a zone the
        # budget's fit took the suspend from is judged by (_judged).
        self._rates: list[float] = []
        # Until when a zone planned to shut down, whose suspend the budget's fit
        # took, is held for this stop's first measured suspend (_judged).
        self._held_until = math.inf
        # The work left, as one pass of the scheduler first judged such a zone.
        self._backlog: promote.Backlog | None = None
        self._awaited: set[str] = set()

    # -- scheduling -----------------------------------------------------------

    def run(self) -> StopReport:
        """Carry out the plan and return what happened to each zone."""
        for skipped in self.plan.skipped:
            if skipped.left_alone:
                log.warning("%s: left alone: %s", skipped.name, skipped.reason)
        self.record.start()
        # The zones that may be suspended: planned so, then (read after them: their
        # suspends come later, if at all) those that this stop's own suspends may
        # show to fit (stop/promote.py).
        suspends = [zone.name for zone in self.plan.zones if zone.steps[0] is Action.SUSPEND]
        suspends += [zone.name for zone in self.plan.zones if zone.chain_if_fits]
        self.read_ahead.attach(self.record, suspends, self.budget_end)
        self.read_ahead.want(suspends)
        events = self._events = self.event_queue()
        if self.survey is not None:
            self.survey.start(lambda name: events.put(ConfigRead(name)))
        try:
            self._watch_pools(events, suspends)
            return self._run(events)
        finally:
            if self._watch is not None:
                self._watch.close()
            self.read_ahead.close()
            self.record.close()

    def _watch_pools(self, events: queue.Queue[Event], suspends: list[str]) -> None:
        if self.pools is None or not suspends:
            return
        with self._pace_lock:
            wanted = self.pace.wants_samples()
        if wanted:
            # Its windows are timed by time.monotonic, the clock of a real run.
            self._watch = PoolWatch(self.pools, events.put)
            self._watch.start()

    def _run(self, events: queue.Queue[Event]) -> StopReport:
        not_started = list(self.plan.zones)
        waiting = {zone_plan.name: set(zone_plan.waits_for) for zone_plan in not_started}
        dependants: dict[str, list[str]] = {}
        for name, waits in waiting.items():
            for dependency in waits:
                dependants.setdefault(dependency, []).append(name)
        # A zone others wait for is never held for a judgment (_judged).
        self._awaited = set(dependants)
        halts_left = sum(1 for zone_plan in not_started if _slotless(zone_plan))
        running: set[str] = set()
        halting: set[str] = set()  # running zones planned to halt: they take no slot
        down: set[str] = set()  # running zones whose step succeeded: no slot
        # Once the plan is to be made again, the loop only waits for the zones in
        # flight, unless an interruption asks it to wind down the rest.
        while (not_started and (not self.replan or self.interrupted is not None)) or running:
            if self.interrupted is not None:
                interrupt.wind_down(self, not_started, running, events)
                break
            now = self.clock()
            if not_started and now >= self.budget_end:
                # No time for suspends or shutdowns: halt what is left, all at once
                # (halts are cheap, and the deadline is near).
                for zone_plan in not_started:
                    self._start(_halt_only(zone_plan), events)
                    running.add(zone_plan.name)
                not_started = []
            # Each event looks at the zones not started, in the plan's order, only
            # until every slot is taken and no planned halt is left: a scan of them
            # all at every event made the loop quadratic (500 zones: bench/cycle.py).
            limit: int | None = None
            busy = 0
            started: set[str] = set()
            self._held_until = math.inf
            self._backlog = None
            for zone_plan in not_started:
                if self.replan:
                    break  # none begins once the plan is to be made again
                if waiting[zone_plan.name]:
                    continue
                if not self._unchanged(zone_plan.name):
                    # Its configuration not yet read (the readers follow the plan's
                    # order, so it is next), or changed: waited for, not passed.
                    break
                chosen = zone_plan
                if zone_plan.chain_if_fits:
                    if limit is None:
                        limit = self._limit()
                        busy = len(running - halting - down)
                    judged = self._judged(
                        zone_plan,
                        not_started,
                        started,
                        waiting,
                        in_flight=running - halting - down,
                        slots=limit,
                        busy=busy,
                    )
                    if judged is None:
                        if busy >= limit and not halts_left:
                            break
                        continue
                    chosen = judged
                # A planned halt takes no slot: halts are quick and run side by side
                # (stop/plan.py plans them so when even the shutdowns do not fit).
                if chosen.steps[0] is Action.HALT:
                    if _slotless(zone_plan):
                        halts_left -= 1
                    halting.add(zone_plan.name)
                else:
                    if limit is None:
                        limit = self._limit()
                        busy = len(running - halting - down)
                    if busy >= limit:
                        if not halts_left:
                            break
                        continue
                    busy += 1
                started.add(zone_plan.name)
                running.add(zone_plan.name)
                self._start(chosen, events)
            if started:
                not_started = [zone for zone in not_started if zone.name not in started]
            horizon = self.budget_end if not_started else self.deadline_end
            if not_started:
                horizon = min(horizon, self._wake(horizon), self._held_until)
            outcome = self._next_event(events, horizon)
            if outcome is None:
                if self.clock() >= self.deadline_end:
                    break
                continue
            if isinstance(outcome, WentDown):
                down.add(outcome.name)
            else:
                running.discard(outcome.name)
                down.discard(outcome.name)
            for name in dependants.get(outcome.name, ()):
                waiting[name].discard(outcome.name)
        for name in self.close(running):
            self._finish(StopOutcome(name, ZoneState.FAILED, 0.0, "still running at the deadline"))
        if self.replan and self.interrupted is None:
            self.unstarted = [zone_plan.name for zone_plan in not_started]
        self.report.elapsed = self.clock() - self.started
        order = {zone_plan.name: index for index, zone_plan in enumerate(self.plan.zones)}
        self.report.outcomes.sort(key=lambda outcome: order.get(outcome.name, len(order)))
        return self.report

    def _next_event(
        self, events: queue.Queue[Event], horizon: float
    ) -> StopOutcome | WentDown | None:
        """The next outcome, or None at ``horizon`` or on an interruption.  Only
        these can change what the loop would start, and each wakes the wait (an
        interruption through :meth:`interrupt`), so nothing polls: a look five times
        a second cost 0.12 ms of CPU each, 0.6 ms a zone at 100 zones
        (docs/performance.md, "Nothing polls on the stop path")."""
        wait = max(horizon - self.clock(), 0.0)
        try:
            event = events.get(timeout=wait)
        except queue.Empty:
            return None
        if isinstance(event, PoolSample):
            self._sampled(event)
            return None
        if isinstance(event, PoolsLost):
            with self._heard_pace() as pace:
                pace.pools_lost(self.clock())
            return None
        if isinstance(event, ConfigRead):
            self._unchanged(event.name)
            self._survey_end.heard(self.clock)
            return None
        return None if isinstance(event, Interrupted) else event

    def _unchanged(self, name: str) -> bool:
        """Whether ``name``'s live configuration is read and the one planned from
        (always without a survey); one that is not sets ``replan``."""
        found = True if self.survey is None else self.survey.unchanged(name)
        if found is False:
            self.replan = True
        return found is True

    def _sampled(self, sample: PoolSample) -> None:
        """Hand the pace a window of the pools' bandwidth; close the watch once the
        pace has no use for it."""
        with self._heard_pace() as pace:
            pace.sampled(sample.start, sample.stop, sample.nbytes)
            wanted = pace.wants_samples()
        if not wanted and self._watch is not None:
            self._watch.close()

    @contextlib.contextmanager
    def _heard_pace(self) -> Iterator[Pace]:
        """The pace, under its lock, to be told or asked something; what it decided
        meanwhile is logged as the block ends."""
        with self._pace_lock:
            seen = len(self.pace.level_changes())
            yield self.pace
            self._pace_said(seen)

    def _pace_said(self, seen: int) -> None:
        """Log what the pace decided since it had made ``seen`` changes.  Called
        with the pace's lock held."""
        verdict = self.pace.verdict()
        if verdict is not None:
            # Debug: once a stop, timing-dependent, and what follows from it is in
            # the level changes' own reasons.
            log.debug("suspend pace: %s", verdict)
        for change in self.pace.level_changes()[seen:]:
            log.info("suspend pace: %s", change.why)

    def _start(self, zone_plan: ZonePlan, events: queue.Queue[Event]) -> None:
        def work() -> None:
            try:
                outcome = self._walk(zone_plan, lambda: events.put(WentDown(zone_plan.name)))
            except CommandMissing as error:
                self._own_failure(str(error))
                # The journal must not go on saying "suspending": the zone was left
                # as it was, and status and the next boot read the reason here.
                self._transition(zone_plan.name, ZoneState.FAILED, reason=str(error))
                outcome = StopOutcome(zone_plan.name, ZoneState.FAILED, 0.0, str(error))
            except Exception as error:  # a defect of kzguard's own, outside a step's command
                outcome = self._after_defect(zone_plan, error)
            if self._finish(outcome, worker=True):
                events.put(outcome)

        threading.Thread(target=work, name=f"kzguard-{zone_plan.name}", daemon=True).start()

    def _limit(self) -> int:
        # Asked with the time, the pace may change its level (a ramp that read no
        # pools' window in time, pace/auto.py RAMP_PATIENCE): said as it is.
        with self._heard_pace() as pace:
            return max(pace.limit(self.clock()), 1)

    def _wake(self, horizon: float) -> float:
        """When the pace may next allow another start, if before ``horizon``."""
        with self._pace_lock:
            due = self.pace.wake(self.clock())
        return horizon if due is None else min(due, horizon)

    def interrupt(self, number: int, *, wake: bool = False) -> None:
        """SIGINT or SIGTERM arrived: the run winds down (stop/interrupt.py).
        ``wake``: wake the scheduler's wait too; never from a signal handler, which
        may have interrupted the very code that holds the queue's lock (the
        interruption is relayed from a thread for that)."""
        self.interrupted = number
        events = self._events
        if wake and events is not None:
            events.put(Interrupted())

    def settle(self, name: str, state: ZoneState, reason: str) -> None:
        """Journal and report a zone no worker will settle (an interrupted stop)."""
        self.record.settle(name, state, reason)
        self._finish(StopOutcome(name, state, 0.0, reason))

    def close(self, running: set[str]) -> list[str]:
        """End the run: no worker's outcome counts from now on.  Returns the zones
        of ``running`` whose workers have not settled them (to be settled so)."""
        with self._report_lock:
            self._closed = True
            return sorted(running - self._settled)

    def _finish(self, outcome: StopOutcome, *, worker: bool = False) -> bool:
        """Count ``outcome``; False (and nothing counted) for a worker's outcome that
        arrives after the run was closed (an abandoned step that ended late: its
        zone was already reported, and its journal entry says what became of it)."""
        with self._report_lock:
            if worker and self._closed:
                return False
            self._settled.add(outcome.name)
            self.report.outcomes.append(outcome)
            return True

    # -- one zone -------------------------------------------------------------

    def _walk(self, zone_plan: ZonePlan, went_down: Callable[[], None]) -> StopOutcome:
        """Walk the zone's chain; ``went_down`` is called when a step has succeeded
        (the zone is down), before the journal hears of it."""
        name = zone_plan.name
        zone_started = self.clock()
        self._stepping[name] = (zone_plan.steps[0], zone_started)
        reasons: list[str] = []
        if zone_plan.note:
            reasons.append(zone_plan.note)
        self.read_ahead.wait(name)
        ran = False  # a step has run: the look after its failure is the next one's
        suspend_cut = False  # its zoneadm suspend was killed at its timeout
        for step, step_timeout in zip(zone_plan.steps, zone_plan.timeouts):
            if self.interrupted is not None:
                reasons.append(
                    f"interrupted by {interrupt.signal_name(self.interrupted)}: no further step"
                )
                break
            end = self.deadline_end if step is Action.HALT else self.budget_end
            remaining = end - self.clock()
            if remaining <= 0:
                reasons.append(f"no time left to {step.value}")
                continue
            # A fallback or a halt must not kill a migration begun since the survey
            # (once a step has run, the look after its failure is the next one's,
            # _settled_after_failure); a zone that refused the read-ahead's zlogin
            # may have gone down since the survey.
            first_look = not ran and (
                step is Action.HALT or bool(zone_plan.note) or self.read_ahead.failed(name)
            )
            if first_look:
                found = self._look_before(name, step, reasons)
                if found is not None:
                    return StopOutcome(name, found, self.clock() - zone_started, "; ".join(reasons))
                # The look took its time (QUERY_TIMEOUT each, on a loaded host):
                # the step gets what is left after it, not before.
                remaining = end - self.clock()
                if remaining <= 0:
                    reasons.append(f"no time left to {step.value}")
                    continue
            if self._doomed(zone_plan, step, remaining, reasons):
                continue
            ran = True
            timeout = min(step_timeout, remaining)
            self._transition(name, ZoneState.doing(step), step=step, timeout=round(timeout, 3))
            log.info("%s", self._announce(zone_plan, step, timeout, fallback=bool(reasons)))
            step_started = self.clock()
            self._stepping[name] = (step, step_started)
            transfer = step is Action.SUSPEND
            if transfer:
                with self._pace_lock:
                    self.pace.began(name, zone_plan.size, step_started)
            ok, image, step_ended = False, None, step_started
            try:
                try:
                    with progress.reported(name, step.value, timeout):
                        self.host.operate(name, step.value, timeout=timeout)
                    step_ended, ok = self.clock(), True
                    if transfer and zone_plan.image_path is not None:
                        # What the suspend wrote, for the pace: the zone's memory was
                        # only its estimate (pace/measure.py).  Read before the slot
                        # is freed, so that the pace has heard of this end before it
                        # is asked for the next start; Host.image_size bounds the
                        # stat (an image on NFS).
                        image = self.host.image_size(zone_plan.image_path)
                finally:
                    if transfer:
                        with self._heard_pace() as pace:
                            at = step_ended if ok else self.clock()
                            measured = self._survey_end.clear(step_started, at)
                            pace.ended(name, at, ok=ok, nbytes=image, measured=measured)
            except CommandMissing:
                raise
            except CommandTimedOut:
                failure = f"{step.value} timed out after {format_duration(timeout)}"
                suspend_cut = suspend_cut or transfer
                if transfer:
                    with self._report_lock:
                        self.report.suspends_timed_out[name] = timeout
            except CommandFailed as error:
                failure = f"{step.value} failed: {error.detail}"
            except CommandError as error:
                failure = f"{step.value} failed: {error}"
            except Exception as error:
                # A defect of kzguard's own around the command (an adapter's parse, a
                # log line): it costs the step, as a failed command does, and the
                # zone is looked at as after one, so the chain goes on.
                failure = self._defect(name, step.value, error)
            else:
                seconds = step_ended - step_started
                if transfer and zone_plan.memory and seconds > 0:
                    # Before the slot is freed: the scheduler judges by it next.
                    with self._report_lock:
                        self._rates.append(zone_plan.memory / seconds)
                went_down()
                if suspend_cut and self._suspended_behind(name, step, seconds, reasons):
                    return StopOutcome(name, ZoneState.SUSPENDED, seconds, "; ".join(reasons))
                state = ZoneState.done(step)
                reason = "; ".join(reasons) or None
                self._transition(name, state, seconds=round(seconds, 3), reason=reason)
                log.info("%s %s in %s", name, _PAST[step], format_elapsed(seconds))
                return StopOutcome(name, state, seconds, "; ".join(reasons), image)
            seconds = self.clock() - step_started
            reasons.append(failure)
            settled = self._settled_after_failure(name, step, seconds, reasons)
            if settled is not None:
                return StopOutcome(name, settled, seconds, "; ".join(reasons))
        reason = "; ".join(reasons) or "no step could run"
        self._transition(name, ZoneState.FAILED, reason=reason)
        log.warning("%s: left running: %s", name, reason)
        return StopOutcome(name, ZoneState.FAILED, self.clock() - zone_started, reason)

    def _defect(self, name: str, where: str, error: Exception) -> str:
        """Report a defect of kzguard's own met in ``where`` for zone ``name`` (an
        own failure, its traceback logged for the report asked for); returns the
        reason the zone's record gives."""
        reason = failed_inside(where, error)
        log.error("%s: %s; please report it", name, reason, exc_info=error)
        with self._report_lock:
            self.report.own_failures.append(f"{name}: {reason}")
        return reason

    def _after_defect(self, zone_plan: ZonePlan, error: Exception) -> StopOutcome:
        """The outcome of a zone whose walk a defect of kzguard's own ended outside
        a step's command (a step's own is its failure, :meth:`_walk`).  Without it
        the worker's thread would end unreported: the stop would wait out its budget
        and report the zone failed whatever became of it.  The zone is looked at as
        after its last step failed (before any step: as after its first), and left
        as found: kzguard's own state is in doubt, so no further step is tried."""
        name = zone_plan.name
        reasons = [self._defect(name, "its stop", error)]
        step, since = self._stepping.get(name, (zone_plan.steps[0], self.clock()))
        seconds = self.clock() - since
        try:
            settled = self._settled_after_failure(name, step, seconds, reasons)
        except Exception as again:  # the same defect again: the worker must still report
            reasons.append(self._defect(name, "the look at it", again))
            settled = None
        if settled is not None:
            return StopOutcome(name, settled, seconds, "; ".join(reasons))
        reason = "; ".join(reasons)
        log.warning("%s: left running: %s", name, reason)
        try:
            self._transition(name, ZoneState.FAILED, reason=reason)
        except Exception as again:  # the journal's record of it: reported, not recorded
            self._defect(name, "its record", again)
        return StopOutcome(name, ZoneState.FAILED, seconds, reason)

    def _doomed(
        self, zone_plan: ZonePlan, step: Action, remaining: float, reasons: list[str]
    ) -> bool:
        """Whether a suspend followed by a shutdown cannot end in the ``remaining``
        seconds of the budget (the run fell behind the plan).  Begun, it would be
        killed at the budget's end, leaving its shutdown no time and the zone to the
        reserve's halt: the plan demotes such suspends (plan._fit_budget), and so
        does the run when it gets there late.  The prediction is the plan's for one
        suspend, at the rate past suspends had beside others; where the plan had
        none to go by (plan.ZonePlan.guessed), at the median rate of this stop's own
        suspends once one has ended.  The suspend may still be cut short if more
        streams share the storage now."""
        if step is not Action.SUSPEND or zone_plan.steps[1:2] != (Action.SHUTDOWN,):
            return False  # alone, or before a halt, which the reserve keeps time for
        expected, basis = zone_plan.expected, ""
        measured = self._measured_rate() if zone_plan.guessed else None
        if measured is not None and zone_plan.memory:
            expected = zone_plan.memory / measured.rate
            rate = f"{format_size(int(measured.rate))}/s of {measured.suspends} suspend(s)"
            basis = f" ({format_size(zone_plan.memory)} at this stop's {rate})"
        if expected <= remaining:
            return False
        reason = (
            f"expected suspend {format_elapsed(expected)}{basis} exceeds the "
            f"{format_elapsed(remaining)} left of the budget"
        )
        reasons.append(reason)
        log.warning("%s: %s: shutting down instead", zone_plan.name, reason)
        return True

    def _judged(
        self,
        zone_plan: ZonePlan,
        not_started: list[ZonePlan],
        started: set[str],
        waiting: dict[str, set[str]],
        *,
        in_flight: set[str],
        slots: int,
        busy: int,
    ) -> ZonePlan | None:
        """What a zone the budget's fit took the suspend from walks now: its suspend
        given back (stop/promote.py), or its plan's chain; or None: it waits.  For a
        slot to suspend in, always; for this stop's first suspend to end, a zone
        planned to halt as long as it must, one planned to shut down only while its
        whole shutdown timeout is still left in the budget after the wait.  Not
        given its suspend, a zone planned to shut down does; one planned to halt
        waits on while its own suspend would still fit (its halt takes no slot, and
        the budget's end halts what is left), and halts once it would not.  A zone
        other zones wait for (``after``, smf-dependency) waits for nothing but its
        slot: held, it would hold them (and planned to halt, which takes no slot,
        not even for that)."""
        halt = zone_plan.steps[0] is Action.HALT
        awaited = zone_plan.name in self._awaited
        if busy >= slots:
            return zone_plan if halt and awaited else None
        measured = self._measured_rate()
        if measured is None and awaited:
            return zone_plan
        if measured is None:
            free = (
                zone
                for zone in not_started
                if zone.name not in started and zone is not zone_plan and not waiting[zone.name]
            )
            if not self._to_be_measured(in_flight, free):
                return zone_plan
            if halt:
                return None
            hold = self.budget_end - zone_plan.timeouts[0]
            if self.clock() < hold:
                self._held_until = min(self._held_until, hold)
                return None
            return zone_plan
        now = self.clock()
        if self._backlog is None:
            flying = [(self._plans[name], *self._stepped(name, now)) for name in in_flight]
            rest = (zone for zone in not_started if zone.name not in started)
            self._backlog = promote.backlog(measured, flying, rest)
        left = self.budget_end - now
        found = promote.promoted(zone_plan, self._backlog, left=left, slots=slots)
        if found is None:
            # Judged again at the next free slot only while it could still fit.
            waits = halt and not awaited and promote.fits_alone(zone_plan, self._backlog.rate, left)
            return None if waits else zone_plan
        given, why = found
        rate = self._backlog.rate
        self._backlog = self._backlog.without(promote.waiting_work(zone_plan, rate)).plus(
            given.expected
        )
        log.info("%s: suspending after all: %s", zone_plan.name, why)
        self.record.promoted(zone_plan.name, given.steps, f"suspended after all: {why}")
        self._plans[zone_plan.name] = given
        return given

    def _stepped(self, name: str, now: float) -> tuple[Action, float]:
        """The step ``name`` runs and how long it has run (a zone begun in this
        pass: its plan's first, none)."""
        step, since = self._stepping.get(name, (self._plans[name].steps[0], now))
        return step, now - since

    def _to_be_measured(self, in_flight: set[str], rest: Iterable[ZonePlan]) -> bool:
        """Whether a suspend of this stop may yet be measured: one is in flight, or
        planned among ``rest``, free to begin."""
        now = self.clock()
        flying = (self._stepped(name, now)[0] for name in in_flight)
        return any(step is Action.SUSPEND for step in flying) or any(
            zone.steps[0] is Action.SUSPEND for zone in rest
        )

    def _measured_rate(self) -> HostRate | None:
        """The median memory rate of this stop's suspends that succeeded, and how
        many; None before the first."""
        with self._report_lock:
            rates = sorted(self._rates)
        return HostRate(rates[len(rates) // 2], len(rates)) if rates else None

    def _suspended_behind(
        self, name: str, step: Action, seconds: float, reasons: list[str]
    ) -> bool:
        """Whether a zone whose suspend was killed at its timeout is found suspended
        after the fallback ``step`` succeeded (then recorded so, ``seconds`` the
        step's).  zoneadmd may go on with the suspend
        after its zoneadm is killed (illumos zoneadmd.c serves zoneadm through a
        door made DOOR_NO_CANCEL; 11.4 UNCONFIRMED, docs/solaris.md 14), and then
        answer the shutdown or halt behind it "zone is already halted", exit 0: the
        zone holds its image, and the start method resumes it."""
        try:
            observed = self.host.zone_state(name)
        except CommandError as error:
            log.warning("%s: auxiliary state unknown after its %s: %s", name, step.value, error)
            return False
        if observed is None or observed[0] != INSTALLED:
            return False
        if AUX_SUSPENDED not in (observed[1] or ()):
            return False
        reasons.append(f"but the suspend ended behind the {step.value}: the zone is suspended")
        reason = "; ".join(reasons)
        self._transition(name, ZoneState.SUSPENDED, seconds=round(seconds, 3), reason=reason)
        log.info("%s: %s", name, reason)
        return True

    def _settled_after_failure(
        self, name: str, step: Action, seconds: float, reasons: list[str]
    ) -> ZoneState | None:
        """Look at the zone after a failed step: return its final state if it is
        down, or None if it still runs and the next step should be tried."""
        try:
            observed = self.host.zone_state(name)
        except CommandError as error:
            reasons.append(f"state unknown: {error}")
            log.warning("%s: %s; its state cannot be read: %s", name, reasons[-2], error)
            return None
        if observed is None:
            reasons.append("zone no longer configured")
            self._transition(name, ZoneState.FAILED, reason="; ".join(reasons))
            log.warning("%s: %s", name, "; ".join(reasons))
            return ZoneState.FAILED
        state, aux = observed
        owned = hands_off(aux or ())
        if owned and state != INSTALLED:
            # Migrating or in the debugger now: the next step (a shutdown or a halt)
            # would kill the migration or the debugging session.
            reasons.append(f"left alone: {owned}")
            self._transition(name, ZoneState.LEFT_ALONE, reason="; ".join(reasons))
            log.warning("%s: %s", name, "; ".join(reasons))
            return ZoneState.LEFT_ALONE
        if state == INSTALLED and aux is None and step is Action.SUSPEND:
            # Down after its suspend, and zoneadm list -s did not say whether
            # suspended (docs/solaris.md 1.2): recorded suspended, so that the start
            # method boots it, which resumes it if the image is there; the proof
            # after that boot says whether it was.  Recorded lost, a zone its own
            # suspend had put down would be left suspended at boot.
            reasons.append("but the zone is down, suspended or not: zoneadm list -s did not say")
            self._transition(
                name, ZoneState.SUSPENDED, seconds=round(seconds, 3), reason="; ".join(reasons)
            )
            log.warning("%s: %s", name, "; ".join(reasons))
            return ZoneState.SUSPENDED
        if state == INSTALLED and AUX_SUSPENDED in (aux or ()):
            reasons.append("but the zone is suspended")
            self._transition(
                name, ZoneState.SUSPENDED, seconds=round(seconds, 3), reason="; ".join(reasons)
            )
            log.info("%s suspended in %s (%s)", name, format_elapsed(seconds), "; ".join(reasons))
            return ZoneState.SUSPENDED
        if state == INSTALLED:
            if step is Action.SUSPEND:
                reasons.append("down without a suspend image")
                self._transition(name, ZoneState.LOST, reason="; ".join(reasons))
                log.warning("%s: state lost: %s", name, "; ".join(reasons))
                return ZoneState.LOST
            reasons.append("but the zone is down")
            final = ZoneState.done(step)
            self._transition(name, final, seconds=round(seconds, 3), reason="; ".join(reasons))
            log.info(
                "%s %s in %s (%s)", name, _PAST[step], format_elapsed(seconds), "; ".join(reasons)
            )
            return final
        # A timeout's reason already says how long ("timed out after 4s").
        took = "" if " timed out after " in reasons[-1] else f" after {format_elapsed(seconds)}"
        log.warning("%s: %s%s; zone is %s", name, reasons[-1], took, state)
        return None

    def _look_before(self, name: str, step: Action, reasons: list[str]) -> ZoneState | None:
        """Look at the zone before ``step``; its final state (recorded) when the step
        must not run: left alone while migrating or in the debugger; found suspended
        by another since the survey (suspended: a shutdown or a halt now would cost
        its image, the start method resumes it); before a suspend, found halted since
        the survey (lost).  None: the step goes ahead."""
        try:
            observed = self.host.zone_state(name)
        except CommandError as error:
            # Unknown is no proof of a migration: the step goes ahead, as after a
            # failed step whose look at the zone failed.
            log.warning("%s: auxiliary state unknown before its %s: %s", name, step.value, error)
            return None
        if observed is None:
            return None  # the step says what became of the zone
        state, aux = observed
        owned = hands_off(aux or ())
        if owned:
            reasons.append(f"left alone: {owned}")
            self._transition(name, ZoneState.LEFT_ALONE, reason="; ".join(reasons))
            log.warning("%s: left alone, not %s: %s", name, _PAST[step], owned)
            return ZoneState.LEFT_ALONE
        if state != INSTALLED:
            return None
        if AUX_SUSPENDED in (aux or ()):
            reasons.append(f"found suspended before its {step.value} began ({_SINCE})")
            self._transition(name, ZoneState.SUSPENDED, reason="; ".join(reasons))
            log.info("%s: %s", name, "; ".join(reasons))
            return ZoneState.SUSPENDED
        if step is not Action.SUSPEND:
            return None  # a shutdown or a halt of a halted zone: its end says so
        # Suspended or halted when list -s did not say (docs/solaris.md 1.2): not
        # kzguard's image either way; recorded lost, the start method boots a halted
        # zone and names a suspended one with its zoneadm boot.
        found = (
            f"found halted before its suspend began ({_SINCE})"
            if aux is not None
            else f"found down before its suspend began ({_SINCE}); suspended or halted: "
            "zoneadm list -s did not say"
        )
        reasons.append(found)
        self._transition(name, ZoneState.LOST, reason="; ".join(reasons))
        log.warning("%s: state lost: %s", name, "; ".join(reasons))
        return ZoneState.LOST

    def _announce(
        self, zone_plan: ZonePlan, step: Action, timeout: float, *, fallback: bool
    ) -> str:
        position = f"{self._positions.get(zone_plan.name, 0)}/{len(self.plan.zones)}"
        details = [position]
        if step is Action.SUSPEND:
            if zone_plan.memory:
                details.append(format_size(zone_plan.memory))
            details.append(f"expected {format_elapsed(zone_plan.expected)}")
        else:
            details.append(f"timeout {format_duration(timeout)}")
        if fallback:
            details.append("fallback")
        return f"{_VERB[step]} {zone_plan.name} ({', '.join(details)})"

    # -- journal, tolerant of a broken state directory -------------------------

    def _transition(self, name: str, state: ZoneState, **details: Any) -> None:
        self.record.transition(name, state, **details)

    def write_journal(self, write: Callable[[], None]) -> None:
        """Write the journal, tolerant of a broken state directory (StopRecord.write)."""
        self.record.write(write)

    def _own_failure(self, message: str) -> None:
        log.error("%s", message)
        with self._report_lock:
            self.report.own_failures.append(message)


def _slotless(zone_plan: ZonePlan) -> bool:
    """Whether the zone takes no slot: a planned halt (quick, run side by side),
    unless the budget's fit took a suspend from it, which waits for a slot to be
    judged again (stop/promote.py)."""
    return zone_plan.steps[0] is Action.HALT and not zone_plan.chain_if_fits


def _halt_only(zone_plan: ZonePlan) -> ZonePlan:
    if Action.HALT not in zone_plan.steps:
        return zone_plan
    index = zone_plan.steps.index(Action.HALT)
    note = "; ".join(filter(None, [zone_plan.note, "no time left to suspend or shut down"]))
    return ZonePlan(
        name=zone_plan.name,
        steps=(Action.HALT,),
        timeouts=(zone_plan.timeouts[index],),
        memory=zone_plan.memory,
        expected=zone_plan.expected,
        basis=zone_plan.basis,
        waits_for=(),
        note=note,
        start=zone_plan.start,
        image_path=zone_plan.image_path,
    )

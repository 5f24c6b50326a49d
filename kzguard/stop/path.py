"""The stop path end to end: survey the host, plan, and carry the plan out.

Shared by ``kzguard plan stop``, ``kzguard stop [--dry-run]`` and the SMF stop
method, so that all three see the same plan for the same host.

What overlaps what, before the first suspend (the stop method and ``kzguard stop``;
``plan stop`` and ``--dry-run`` read every configuration and read nothing ahead):

- A zone's place in the order is declared in the *other* zones' configurations (an
  smf-dependency on its instance makes the dependant go down first, docs/solaris.md
  2.3; policy/order.py), and, under ``select.auto``, whether a kernel zone is
  managed at all is its suspend resource: the plan needs every configuration.  A
  `zonecfg export` per zone is what it costs (on the simulator, 1 s of a 100-zone
  stop and 6 s of a 500-zone one, docs/performance.md).  So the configurations are
  recorded with their zone files' stamps (journal/configs.py: by the start method
  at every boot, and by every stop), and a zone whose file still has its stamp is
  planned from its recorded configuration: zonecfg replaces the file at every
  commit (docs/solaris.md 2.6).  Only the zones whose files changed, or that have
  no record, are read before the plan (concurrently, Host.zones).  The recorded
  ones are read beside the suspends, in the plan's order (solaris/survey.py), and
  each zone's suspend waits for its own (stop/run.py).  One found different while
  its file was not (11.4's files are UNCONFIRMED) begins nothing more: the zones
  not begun are planned again from the live configurations (:func:`_plan_again`),
  and the record is untrusted from then on, every later stop reading every
  configuration first.
- The rest of each zone's work before its suspend overlaps the survey too: two of
  its three commands (the resume marker's zlogin and the boot time's,
  stop/readahead.py; the third is its zonecfg).  As soon as ``zoneadm list`` has
  answered, the read-ahead begins for the zones the stop will most likely suspend
  (:func:`likely_suspends`: running kernel zones the policy names, or that earlier
  stops suspended, longest past suspend first, as the plan orders them), and once
  the plan is made its own order replaces the guess for every zone not yet begun.
  Only the first EARLY_READS zones of the guess are read during the survey: the
  zonecfg readers need the CPU more.  So when the plan is ready the first zones to
  start have their evidence, and their suspends begin at once.  A wrong guess costs
  two zlogins and leaves a marker in /system/volatile, which the zone's next boot
  empties; nothing is journalled for a zone the plan does not suspend.  The global
  zone's boot time (one kstat, for the cycle record) is read during the survey too.
- The plan, the journal's cycle record (every planned zone, "planned") and the
  deadline planning are unchanged: the time spent surveying still counts against
  the deadline (StopPlan.elapsed).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from kzguard.errors import CommandError, StateError
from kzguard.journal.configs import ConfigRecord
from kzguard.journal.document import StopCycle
from kzguard.journal.history import PaceSample, PastRun
from kzguard.journal.lock import LockHeld, exclusive_lock
from kzguard.journal.records import Fingerprint, Transition, ZoneRecord, ZoneState
from kzguard.journal.store import (
    Journal,
    ensure_state_dir,
    load_config_record,
    load_history_and_learned,
    record_configs,
    save_history,
)
from kzguard.model import (
    DOWN,
    INSTALLED,
    KERNEL_ZONE_BRAND,
    RUNNING,
    SHUTTING_DOWN,
    FileSystemSpace,
    ZoneConfig,
    ZoneListing,
)
from kzguard.pace.auto import AutoPace
from kzguard.pace.choose import SUSPEND, AnyPace, pace_for
from kzguard.policy.model import Action, Policy
from kzguard.policy.selection import Decision, decide, needs_config
from kzguard.solaris.argv import KZGUARD_INSTANCE, zone_instance
from kzguard.solaris.host import Host, RunLevel
from kzguard.solaris.protection import held_zones
from kzguard.solaris.runner import Runner
from kzguard.solaris.survey import ConfigSurvey
from kzguard.stop.image import space_query_path, suspend_image_path
from kzguard.stop.interrupt import interruptible
from kzguard.stop.outcome import StopReport
from kzguard.stop.plan import StopPlan, plan_stop
from kzguard.stop.readahead import BOOT_TIME_READERS, ReadAhead
from kzguard.stop.run import StopRun

log = logging.getLogger(__name__)

# Zones read ahead while the survey still runs: the first to start (two rounds of
# the readers).  More would only take CPU from the zonecfg readers, and so delay the
# plan, on a host with few CPUs (bench/handoff.py on two); the rest are read once
# the plan is made, ahead of their turn.
EARLY_READS = 2 * BOOT_TIME_READERS


@dataclass(frozen=True)
class Survey:
    """The host as the plan sees it."""

    decisions: list[Decision]
    space: dict[str, FileSystemSpace | str]


def survey(
    policy: Policy,
    host: Host,
    *,
    tolerant: bool = False,
    listed: Callable[[Sequence[ZoneListing]], None] | None = None,
    reuse: Callable[[str, str | None], ZoneConfig | None] | None = None,
) -> Survey:
    """``tolerant``: go on without what cannot be read (see :meth:`Host.zones`);
    ``listed``: told the zone listing before the configurations are read;
    ``reuse``: the recorded configurations to take instead (:meth:`Host.zones`)."""
    zones = host.zones(
        configure=lambda listing: needs_config(policy, listing),
        tolerant=tolerant,
        listed=listed,
        reuse=reuse,
    )
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
        image_path = suspend_image_path(decision)
        if image_path is not None:
            directories[decision.zone.name] = space_query_path(image_path)
    by_directory = host.free_spaces(sorted(set(directories.values())))
    return {name: by_directory[directory] for name, directory in directories.items()}


def likely_suspends(
    policy: Policy, listings: Sequence[ZoneListing], history: Mapping[str, Sequence[PastRun]]
) -> list[str]:
    """The zones the stop will most likely suspend, before their configurations are
    read: running kernel zones whose policy chain begins with a suspend and that
    the policy names ([zone.NAME], select.include) or an earlier stop suspended
    (under select.auto only the configuration says; the history is the best guess,
    and a zone kzguard never suspended is not entered on a guess).  Longest past
    suspend first, as the plan starts them (LPT), then by name."""
    names = []
    for listing in listings:
        name = listing.name
        if listing.state != RUNNING or listing.brand != KERNEL_ZONE_BRAND:
            continue
        if policy.zone_policy(name).steps[:1] != (Action.SUSPEND,):
            continue
        excluded = policy.select.excluded_by(name) is not None
        named = name in policy.zones or (
            not excluded and policy.select.included_by(name) is not None
        )
        if named or (not excluded and policy.select.auto and name in history):
            names.append(name)

    def longest_past(name: str) -> float:
        return max((run.seconds for run in history.get(name, ())), default=0.0)

    return sorted(names, key=lambda name: (-longest_past(name), natural_key(name)))


def past_for_planning(
    policy: Policy, *, read_only: bool = False
) -> tuple[dict[str, list[PastRun]], dict[str, list[PaceSample]]]:
    """Past suspends, and what ``parallel = "auto"`` measured in earlier cycles, from
    one read of history.json (a problem with it said once); a missing state
    directory simply means no history yet.  ``read_only``: for `kzguard status`,
    `plan`, `check` and `wait`, which change nothing, an unreadable history.json is
    reported but not moved aside."""
    if os.path.islink(policy.paths.state_dir) or not os.path.isdir(policy.paths.state_dir):
        return {}, {}
    history, learned, problem = load_history_and_learned(
        policy.paths.state_dir, move_aside=not read_only
    )
    if problem:
        log.warning("%s", problem)
    return history, learned


def history_for_planning(policy: Policy, *, read_only: bool = False) -> dict[str, list[PastRun]]:
    """Past suspends (:func:`past_for_planning`)."""
    return past_for_planning(policy, read_only=read_only)[0]


def build_stop_plan(policy: Policy, host: Host) -> StopPlan:
    """The plan as `kzguard plan stop` and `stop --dry-run` show it: nothing in the
    state directory changes."""
    return _plan(policy, host, read_only=True)[0]


def _plan(
    policy: Policy,
    host: Host,
    *,
    tolerant: bool = False,
    started: float | None = None,
    read_ahead: ReadAhead | None = None,
    reuse: Callable[[str, str | None], ZoneConfig | None] | None = None,
    read_only: bool = False,
) -> tuple[StopPlan, Survey, AnyPace]:
    """The plan, the survey it was made from and the pace of its suspends (from the
    same history).  ``started``: when the stop began (time.monotonic()); the time
    spent since (the lock, the survey) counts against the deadline, so the plan
    starts after it.  ``read_ahead`` begins on the zones :func:`likely_suspends`
    guesses as soon as they are listed.  ``reuse``: see :func:`survey`."""
    history, learned = past_for_planning(policy, read_only=read_only)

    def listed(listings: Sequence[ZoneListing]) -> None:
        if read_ahead is not None:
            read_ahead.want(likely_suspends(policy, listings, history)[:EARLY_READS])

    found = survey(policy, host, tolerant=tolerant, listed=listed, reuse=reuse)
    elapsed = 0.0 if started is None else max(time.monotonic() - started, 0.0)
    plan = plan_stop(
        policy, found.decisions, history, found.space, elapsed=elapsed, learned=learned
    )
    work = plan.pace.work if plan.pace is not None else None
    return plan, found, pace_for(policy.shutdown.parallel, learned, SUSPEND, work)


def execute_stop(
    policy: Policy,
    host: Host,
    *,
    holder: str,
    trigger: str,
    runlevel: RunLevel | None = None,
    started: float,
    lock_wait: float | None = None,
    watch: Callable[[Journal], None] | None = None,
) -> tuple[StopPlan, StopReport]:
    """Lock the state directory, plan, journal and carry out the stop.

    ``trigger``: "method" (with the ``runlevel`` it read) or "manual".

    A state directory that cannot be used is kzguard's own failure, reported in the
    result, but it does not stop the suspends: without them the zones lose their
    running state; without the journal the operator loses only the record.

    ``lock_wait``: how long the stop method waits for a live holder of the lock
    before suspending without it; None (``kzguard stop``) refuses at once instead
    (:class:`LockHeld`).  ``watch`` is handed the journal once it is open (the
    console's countdown counts from it).
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
        if watch is not None:
            watch(journal)
        read_ahead = ReadAhead(
            host,
            record_boot_time=policy.resume.verify,
            write_marker=policy.resume.verify,
            clock=time.monotonic,
        )
        stack.callback(read_ahead.close)
        # Which boot this stop belongs to (one kstat), read while the survey runs.
        asking = ThreadPoolExecutor(1, thread_name_prefix="host-boot-time")
        stack.callback(asking.shutdown, wait=False)
        host_boot_time = asking.submit(host.host_boot_time_or_none)
        recorded = _recorded_configs(state_dir)
        reused: dict[str, ZoneConfig] = {}

        def reuse(name: str, stamp: str | None) -> ZoneConfig | None:
            config = recorded.reusable(name, stamp)
            if config is not None:
                reused[name] = config
            return config

        # Tolerant: a zonecfg that fails for one zone must not cost the others their
        # suspend (Host.zones).  Without a usable record, no zone file is looked at
        # for it.
        usable = bool(recorded.zones) and recorded.untrusted is None
        plan, found, pace = _plan(
            policy,
            host,
            tolerant=True,
            started=started,
            read_ahead=read_ahead,
            reuse=reuse if usable else None,
        )
        checking = _checking(plan, reused, host)

        def run_of(
            plan: StopPlan, read_ahead: ReadAhead | None = None, survey: ConfigSurvey | None = None
        ) -> StopRun:
            return StopRun(
                plan,
                host,
                journal,
                record_boot_time=policy.resume.verify,
                write_marker=policy.resume.verify,
                started=started,
                read_ahead=read_ahead,
                pace=pace,
                pools=Host(policy.commands, Runner()),
                survey=survey,
            )

        stop_run = run_of(plan, read_ahead=read_ahead, survey=checking)
        taken = taken_by_another(host, found.decisions) if trigger == "method" else {}
        cycle_of = functools.partial(
            _cycle, policy, trigger=trigger, runlevel=runlevel, taken=taken
        )
        boot_time = host_boot_time.result()
        cycle = cycle_of(plan, found, host_boot_time=boot_time).carrying_over(journal.cycle)
        # Through the run, so that a broken journal is reported once, however many of
        # the writes that follow fail too.
        stop_run.write_journal(lambda: journal.begin_cycle(cycle))
        with interruptible(stop_run):
            report = stop_run.run()
        memory = {zone_plan.name: zone_plan.memory for zone_plan in plan.zones}
        if checking is not None and stop_run.replan and stop_run.unstarted:
            # A configuration not as recorded: the zones not begun, planned again.
            log.warning(
                "configuration not as recorded (changed or unreadable): %s; "
                "planning the %s not begun from the live ones",
                ", ".join(checking.changed()) or "none",
                _zones(len(stop_run.unstarted)),
            )
            rest, live = _plan_again(policy, host, found, checking, report, started=started)
            later = cycle_of(rest, live, host_boot_time=boot_time)
            begun = {outcome.name for outcome in report.outcomes}
            stop_run.write_journal(
                lambda: journal.commit(
                    lambda document: replace(
                        document, cycle=_replanned(document.cycle, later, begun)
                    )
                )
            )
            rest_run = run_of(rest)
            with interruptible(rest_run):
                report = _joined(report, rest_run.run())
            memory.update((zone_plan.name, zone_plan.memory) for zone_plan in rest.zones)
        report.own_failures[:0] = problems
        if state_dir is not None:
            summary = report.summary()
            stop_run.write_journal(lambda: journal.finish_cycle(summary))
            if plan.pace is not None:
                ran = plan.pace.record(pace, began=started)
                stop_run.write_journal(lambda: journal.record_pace(SUSPEND, ran))
            try:
                _remember_durations(memory, report, state_dir, pace)
            except StateError as error:
                # Only the predictions suffer; the journal is what the boot needs.
                log.warning("history not written: %s", error)
            _remember_configs(state_dir, recorded, found, checking)
        if not journal.durable:
            suspended = sorted(report.names(ZoneState.SUSPENDED), key=natural_key)
            if suspended:
                # The start method boots only what the journal says it put down.
                log.error(
                    "this stop is not in the journal: the next boot will not resume %s; "
                    "boot them by hand (zoneadm -z ZONE boot)",
                    ", ".join(suspended),
                )
        return plan, report


def _recorded_configs(state_dir: str | None) -> ConfigRecord:
    """The configurations recorded with their zone files' stamps (journal/
    configs.py); none without a state directory."""
    if state_dir is None:
        return ConfigRecord()
    recorded, problem = load_config_record(state_dir)
    if problem:
        log.warning("%s", problem)
    return recorded


def _checking(plan: StopPlan, reused: Mapping[str, ZoneConfig], host: Host) -> ConfigSurvey | None:
    """The reading of the live configurations of the zones planned from recorded
    ones, the plan's zones first, in its order; None when every one was read."""
    if not reused:
        return None
    first = [zone_plan.name for zone_plan in plan.zones if zone_plan.name in reused]
    log.debug(
        "planned from %s recorded configurations (zone files unchanged); "
        "reading them beside the suspends",
        len(reused),
    )
    return ConfigSurvey(host, [*first, *sorted(reused, key=natural_key)], reused)


def _plan_again(
    policy: Policy,
    host: Host,
    found: Survey,
    checking: ConfigSurvey,
    report: StopReport,
    *,
    started: float,
) -> tuple[StopPlan, Survey]:
    """A plan, made from the live configurations, for the zones the first plan's
    run did not begin (every zone it began has settled: StopRun.replan)."""
    listed = [decision.zone for decision in found.decisions]
    recorded = [zone for zone in listed if zone.name in checking.expected]
    live = {zone.name: zone for zone in checking.zones(recorded)}
    zones = [live.get(zone.name, zone) for zone in listed]
    begun = {outcome.name for outcome in report.outcomes}
    decisions = [
        decision
        for decision in decide(policy, sorted(zones, key=lambda zone: natural_key(zone.name)))
        if decision.zone.name not in begun
    ]
    space = free_space(host, decisions)
    history, learned = past_for_planning(policy)
    plan = plan_stop(
        policy,
        decisions,
        history,
        space,
        elapsed=max(time.monotonic() - started, 0.0),
        learned=learned,
    )
    return plan, Survey(decisions, space)


def _replanned(cycle: StopCycle | None, later: StopCycle, begun: Collection[str]) -> StopCycle:
    """The journal's cycle once the zones not begun were planned again (``later``);
    without a cycle (never begun), ``later`` itself."""
    return later if cycle is None else cycle.replanned(later, begun)


def _joined(first: StopReport, more: StopReport) -> StopReport:
    """One report of a stop whose plan was made again half-way."""
    return StopReport(
        outcomes=[*first.outcomes, *more.outcomes],
        elapsed=more.elapsed,
        own_failures=[*first.own_failures, *more.own_failures],
        interrupted=more.interrupted if more.interrupted is not None else first.interrupted,
    )


def _zones(count: int) -> str:
    return f"{count} zone" if count == 1 else f"{count} zones"


def _remember_configs(
    state_dir: str, recorded: ConfigRecord, found: Survey, checking: ConfigSurvey | None
) -> None:
    """configs.json after this stop: what the survey read, and what the check beside
    the run has read of the recorded ones (which proves, or disproves, the zone
    files: journal/configs.py)."""
    zones = [decision.zone for decision in found.decisions]
    if checking is not None:
        read = {zone.name: zone for zone in checking.zones_read(zones)}
        zones = [read.get(zone.name, zone) for zone in zones]
    record_configs(state_dir, zones, recorded)


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


def taken_by_another(host: Host, decisions: Sequence[Decision]) -> dict[str, str]:
    """The managed zones found going down, or down without an image, as the stop
    method begins, whose SMF instance kzguard's instance does not hold: zone name ->
    what happened, in words, each also logged.

    svc.startd stops every zone instance no running service depends on at the very
    start of a shutdown, together with kzguard's stop method, and svc.zones applies
    the zone's autoshutdown to it (docs/solaris.md 13): such a zone's running state
    is gone before kzguard could suspend it.  A zone that kzguard holds, or on a host
    whose kzguard instance cannot be read, is not judged: nothing is said then
    rather than something false.
    """
    gone = {
        decision.zone.name: decision.zone.state
        for decision in decisions
        if decision.managed
        and decision.zone.state in (SHUTTING_DOWN, DOWN, INSTALLED)
        and not decision.zone.suspended
    }
    if not gone:
        return {}
    try:
        running = host.instance_properties(KZGUARD_INSTANCE, current=False)
    except CommandError as error:
        log.debug("zone dependencies of %s not read: %s", KZGUARD_INSTANCE, error)
        return {}
    if running is None:
        return {}
    held = set(held_zones(sorted(gone), running))
    taken = {}
    for name in sorted(gone, key=natural_key):
        if name in held:
            continue
        what = (
            "shut down by another as the stop began"
            if gone[name] != INSTALLED
            else "already down as the stop began"
        )
        taken[name] = (
            f"{what}: {zone_instance(name)} is not held by kzguard, so the zones service "
            "applies its autoshutdown first; running state lost"
        )
        log.warning("%s: %s", name, taken[name])
    return taken


def _cycle(
    policy: Policy,
    plan: StopPlan,
    found: Survey,
    trigger: str,
    runlevel: RunLevel | None,
    *,
    host_boot_time: int | None,
    taken: dict[str, str] | None = None,
) -> StopCycle:
    """The journal's record of this stop, every planned zone in state planned.
    ``host_boot_time``: which boot this stop belongs to; the next start resumes only
    a stop made before it booted.  ``taken``: zones the zones service took down
    first (:func:`taken_by_another`), said in their note or skip reason."""
    taken = taken or {}
    now = round(time.time(), 3)
    zones = {decision.zone.name: decision.zone for decision in found.decisions}
    planned = Transition(ZoneState.PLANNED, now)
    return StopCycle(
        started=now,
        policy=policy.source,
        deadline=plan.deadline,
        trigger=trigger,
        runlevel=runlevel.level if runlevel else None,
        runlevel_source=runlevel.source if runlevel else None,
        host_boot_time=host_boot_time,
        pace=plan.pace.record() if plan.pace is not None else None,
        zones={
            zone_plan.name: ZoneRecord(
                action=policy.zone_policy(zone_plan.name).action,
                intent=zone_plan.steps,
                memory=zone_plan.memory,
                expected=round(zone_plan.expected, 3),
                note="; ".join(
                    part for part in (taken.get(zone_plan.name, ""), zone_plan.note) if part
                ),
                fingerprint=Fingerprint.of(zones[zone_plan.name]),
                config=zones[zone_plan.name].config,
                state=ZoneState.PLANNED,
                transitions=(planned,),
            )
            for zone_plan in plan.zones
        },
        skipped={
            item.name: "; ".join(part for part in (item.reason, taken.get(item.name, "")) if part)
            for item in plan.skipped
        },
    )


def _remember_durations(
    memory: Mapping[str, int | None], report: StopReport, state_dir: str, pace: AnyPace
) -> None:
    """Each suspend's duration (``memory``: each planned zone's), and what an auto
    pace measured, in history.json."""
    history, found, _ = load_history_and_learned(state_dir)
    learned: dict[str, Sequence[PaceSample]] = dict(found)
    now = time.time()
    if isinstance(pace, AutoPace):
        learned[SUSPEND] = pace.learned(now)
    for outcome in report.outcomes:
        if outcome.result is ZoneState.SUSPENDED and outcome.seconds > 0:
            history.setdefault(outcome.name, []).append(
                PastRun(
                    seconds=outcome.seconds,
                    memory=memory.get(outcome.name),
                    when=now,
                    image_bytes=outcome.image_bytes,
                )
            )
        elif outcome.name in report.suspends_timed_out:
            # Not suspended after all: the next plan knows its suspend takes longer.
            seconds = report.suspends_timed_out[outcome.name]
            run = PastRun(
                seconds=seconds, memory=memory.get(outcome.name), when=now, timed_out=True
            )
            history.setdefault(outcome.name, []).append(run)
    save_history(state_dir, history, now=now, learned=learned)

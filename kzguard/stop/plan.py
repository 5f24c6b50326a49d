"""The stop plan: which zones, which steps, in which order, predicted how long.  Pure.

``kzguard plan stop``, ``kzguard stop --dry-run`` and the SMF stop method all build
this same value and differ only in what they do with it.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from itertools import accumulate

from kzguard.journal.history import Learned, PastRun
from kzguard.model import (
    AUX_PANICKED,
    DOWN,
    KERNEL_ZONE_BRAND,
    READY,
    RUNNING,
    SHUTTING_DOWN,
    FileSystemSpace,
    hands_off,
)
from kzguard.pace.choose import RESUME, SUSPEND, PaceDecision, decide_pace
from kzguard.policy.model import Action, Policy, ZonePolicy
from kzguard.policy.order import effective_orders
from kzguard.policy.selection import Decision
from kzguard.stop.image import suspend_image_path
from kzguard.units import format_duration, format_size

PLAN_FORMAT = 1
# With no history, a clean shutdown is predicted to take this long (bounded by its
# timeout); it only shapes the predicted schedule, never a timeout.
SHUTDOWN_GUESS = 30.0
HALT_GUESS = 5.0
HALT_AFTER_SHUTDOWN = (Action.SHUTDOWN, Action.HALT)
# Said of a suspend the budget's fit took on predictions (_fit_budget).
PROMOTABLE = ", unless this stop's first suspends show it fits"
# Past suspends used for a prediction: recent ones reflect today's storage.
HISTORY_WINDOW = 3


@dataclass(frozen=True)
class ZonePlan:
    """What the stop method will do to one zone."""

    name: str  # the zone's
    steps: tuple[Action, ...]  # the chain to walk; may start at a fallback
    timeouts: tuple[float, ...]  # one per step
    memory: int | None
    expected: float  # predicted seconds of the first step
    basis: str  # where ``expected`` comes from, in words
    waits_for: tuple[str, ...]  # zones that must be down before this one starts
    note: str = ""  # why the chain does not start with the policy's action
    start: float = 0.0  # predicted start, seconds after the method starts
    image_path: str | None = None
    # Among zones ready at once, the lower rank starts first: zonecfg boot-priority
    # reversed, low 0, normal 1, high 2 (policy/order.py).
    rank: int = 1
    order: str = ""  # where waits_for and rank come from, in words
    # The image its suspend should write: its memory at the ratio of its past images
    # to their memory (images compress each zone's memory differently); None: no
    # past image recorded.
    expected_image: int | None = None
    # Why its suspend, tried, may not end inside its timeout: only the assumed rate
    # says so, which no measurement corrects unless it is tried (_initial).
    at_risk: str = ""
    # The chain, each step with its timeout, that the budget's fit took its suspend
    # from (_fit_budget): on predictions, which this stop's own suspends may prove
    # wrong; the run walks it after all when they show it fits (stop/promote.py).
    # Empty: not so.
    chain_if_fits: tuple[tuple[Action, float], ...] = ()
    # Its suspend's ``expected`` rests on no measurement of this host (the assumed
    # rate, or no memory): the run predicts it from its own suspends once it has
    # measured one (StopRun._doomed).
    guessed: bool = False

    @property
    def end(self) -> float:
        return self.start + self.expected

    @property
    def size(self) -> int:
        """The bytes its suspend is expected to write (0: unknown), for the pace."""
        return self.expected_image or self.memory or 0


@dataclass(frozen=True)
class Skipped:
    name: str  # the zone's
    reason: str
    # Running, but owned by a migration or the debugger (model.HANDS_OFF_AUX): the
    # stop method says so in its log, unlike a zone that is simply not running.
    left_alone: bool = False


@dataclass(frozen=True)
class StopPlan:
    """The whole stop plan.  ``zones`` are in the order they will be started."""

    deadline: float
    reserve: float  # tail of the deadline kept for halting stragglers
    parallel: int  # the schedule's slots: steps at once, as the pace is planned
    zones: tuple[ZonePlan, ...]
    skipped: tuple[Skipped, ...]
    # Seconds the stop had spent before the plan was made (the lock, reading the
    # zones): the schedule starts after them, and they count against the deadline.
    elapsed: float = 0.0
    # How many suspends at once and why ([shutdown] parallel); and the same for the
    # resumes of the next boot ([resume] parallel), from the same history.
    pace: PaceDecision | None = None
    resume_pace: PaceDecision | None = None

    @property
    def budget(self) -> float:
        """Seconds after the start by which every suspend and shutdown must end."""
        return self.deadline - self.reserve

    @property
    def predicted_makespan(self) -> float:
        return max((zone.end for zone in self.zones), default=0.0)

    @property
    def fits(self) -> bool:
        return self.predicted_makespan <= self.budget


def plan_stop(
    policy: Policy,
    decisions: Sequence[Decision],
    history: Mapping[str, Sequence[PastRun]],
    space: Mapping[str, FileSystemSpace | str],
    *,
    elapsed: float = 0.0,
    learned: Learned | None = None,
) -> StopPlan:
    """Build the stop plan for the zones as they are now.

    ``space`` maps a zone to the df answer for its suspend image directory (or the
    error text), as gathered for ``kzguard check``; ``elapsed``: seconds the stop
    has already spent (see :attr:`StopPlan.elapsed`); ``learned``: what
    ``parallel = "auto"`` measured in earlier cycles (history.json).  The schedule
    runs as many at once as the pace is planned at (PaceDecision.planned): the
    number it starts with, or, for a first stop's ramp on the pools, the number it
    would start with without them.
    """
    candidates: list[ZonePlan] = []
    skipped: list[Skipped] = []
    rate = host_rate(history)
    for decision in decisions:
        if not decision.managed or decision.settings is None:
            continue
        zone_plan = _initial(policy, decision, history, rate)
        if isinstance(zone_plan, Skipped):
            skipped.append(zone_plan)
        else:
            candidates.append(zone_plan)
    candidates = _with_dependencies(policy, decisions, candidates)
    reserve = max(
        (
            timeout
            for zone in candidates
            for step, timeout in zip(zone.steps, zone.timeouts)
            if step is Action.HALT
        ),
        default=0.0,
    )
    budget = policy.shutdown.deadline - reserve

    def fitted(slots: int) -> list[ZonePlan]:
        ordered = _schedule(candidates, slots)
        ordered = _fit_space(policy, ordered, space, slots)
        return _fit_budget(policy, ordered, budget, elapsed, slots)

    # An auto pace begins by the suspends' sizes (pace/auto.py), and which zones
    # suspend depends on the schedule: a zone whose image does not fit, or that
    # would end after the budget, starts with its fallback.  So the pace is decided
    # again from the suspends the first schedule kept, and the schedule made again
    # when that changes its first number.
    pace = decide_pace(policy.shutdown.parallel, learned or {}, SUSPEND, _suspends(candidates))
    ordered = fitted(pace.planned)
    kept = decide_pace(policy.shutdown.parallel, learned or {}, SUSPEND, _suspends(ordered))
    if kept.planned != pace.planned:
        ordered = fitted(kept.planned)
    pace = kept
    resume_pace = decide_pace(policy.resume.parallel, learned or {}, RESUME)
    return StopPlan(
        deadline=policy.shutdown.deadline,
        reserve=reserve,
        parallel=pace.planned,
        zones=tuple(ordered),
        skipped=tuple(sorted(skipped, key=lambda item: item.name)),
        elapsed=elapsed,
        pace=pace,
        resume_pace=resume_pace,
    )


def _suspends(zones: Iterable[ZonePlan]) -> list[int]:
    """The bytes each zone that begins with its suspend is expected to write."""
    return [zone.size for zone in zones if zone.steps[0] is Action.SUSPEND]


def _initial(
    policy: Policy,
    decision: Decision,
    history: Mapping[str, Sequence[PastRun]],
    host: HostRate | None,
) -> ZonePlan | Skipped:
    settings = decision.settings or policy.defaults
    zone = decision.zone
    steps = settings.steps
    note = ""
    owned = hands_off(zone.aux_states)
    if owned:
        return Skipped(zone.name, owned, left_alone=True)
    if zone.state in (READY, SHUTTING_DOWN, DOWN):
        # Nothing runs in a ready zone, and a zone stuck shutting down only halts
        # (docs/solaris.md 1.1: zones can get stuck in shutting_down/down).
        steps = (Action.HALT,)
        note = f"zone is {zone.state}: only halt applies"
    elif zone.state != RUNNING:
        reason = "already suspended" if zone.suspended else f"not running ({zone.state})"
        return Skipped(zone.name, reason)
    elif AUX_PANICKED in zone.aux_states:
        # Running, its kernel stopped at a panic ([KZ114-AUX], docs/solaris.md 1.2):
        # no shutdown can run in it, and a suspend would only keep the panic.
        steps = (Action.HALT,)
        note = f"{AUX_PANICKED}: its running state is already lost and only halt applies"
    elif Action.SUSPEND in steps:
        cannot = _cannot_suspend(decision)
        if cannot and len(steps) > 1:
            steps = steps[1:]
            note = f"{cannot}: starting with {steps[0].value}"
    memory = zone.config.physical_memory if zone.config else None
    past = history.get(zone.name, ())
    given_up = suspend_given_up(past, memory, settings)
    if steps[0] is Action.SUSPEND and given_up is not None and len(steps) > 1:
        steps = steps[1:]
        tries = "a longer suspend_timeout tries it again"
        note = f"{given_up.said}: starting with {steps[0].value} ({tries})"
    expected, basis, measured = _predict(policy, steps[0], memory, past, settings, host=host)
    at_risk = ""
    if steps[0] is Action.SUSPEND and not measured and expected > settings.suspend_timeout:
        # Nothing this host measured says so, only shutdown.assumed_rate: demoted on
        # it, the zone would never suspend, and nothing would ever correct the guess
        # (a 256G zone at the default 256M/s: 17m4s, over the default 10m).  Tried,
        # the suspend is bounded by its timeout, its fallback follows, and its time,
        # or its timeout, is remembered (history.json).
        timeout = format_duration(settings.suspend_timeout)
        at_risk = (
            f"expected suspend {format_duration(expected)} ({basis}) exceeds its timeout "
            f"{timeout}, which bounds the try"
        )
        basis = f"{basis}: {format_duration(expected)}, more than its {timeout} timeout"
        expected = settings.suspend_timeout
    return ZonePlan(
        name=zone.name,
        steps=steps,
        timeouts=tuple(settings.timeout(step) for step in steps),
        memory=memory,
        expected=expected,
        basis=basis,
        waits_for=(),
        note=note,
        image_path=suspend_image_path(decision),
        expected_image=_expected_image(memory, past),
        at_risk=at_risk,
        guessed=steps[0] is Action.SUSPEND and not measured,
    )


def _expected_image(memory: int | None, past: Sequence[PastRun]) -> int | None:
    """``memory`` at the median ratio of the recent past images to their memory."""
    ratios = sorted(
        run.image_bytes / run.memory
        for run in past[-HISTORY_WINDOW:]
        if run.image_bytes and run.memory
    )
    if not memory or not ratios:
        return None
    return int(memory * ratios[len(ratios) // 2])


def _cannot_suspend(decision: Decision) -> str:
    zone = decision.zone
    if zone.brand != KERNEL_ZONE_BRAND:
        return f"brand {zone.brand} cannot suspend"
    if zone.config is None and zone.config_error:
        return ""  # unknown: let zoneadm say (see selection._decide_one)
    if zone.config is None or not zone.config.has_suspend:
        return "no suspend resource"
    return ""


@dataclass(frozen=True)
class HostRate:
    """The memory a second that this host's zones suspended at: the median over the
    recent suspends of every zone (HISTORY_WINDOW each), and how many."""

    rate: float
    suspends: int


def host_rate(history: Mapping[str, Sequence[PastRun]]) -> HostRate | None:
    """What :class:`HostRate` says of ``history`` (history.json's past suspends, per
    zone); None where no suspend that ended says what memory it moved."""
    runs = [run for past in history.values() for run in _suspended(past) if run.memory]
    rate = _median_rate(runs)
    return None if rate is None else HostRate(rate, len(runs))


def _median_rate(runs: Sequence[PastRun]) -> float | None:
    """The median memory a second of the ``runs`` that say their memory."""
    rates = sorted(run.memory / run.seconds for run in runs if run.memory)
    return rates[len(rates) // 2] if rates else None


def _suspended(past: Sequence[PastRun]) -> list[PastRun]:
    """The recent suspends that ended (not timed out)."""
    return [run for run in past if run.seconds > 0 and not run.timed_out][-HISTORY_WINDOW:]


@dataclass(frozen=True)
class TimedOut:
    """The least a zone's suspend is known to take: its last one was killed at its
    timeout, scaled to the zone's memory today (suspend time follows memory,
    docs/solaris.md 1.4); and that in words."""

    seconds: float  # 0.0: no bound (its last suspend did not time out)
    said: str


def suspend_given_up(
    past: Sequence[PastRun], memory: int | None, settings: ZonePolicy
) -> TimedOut | None:
    """Why a zone's suspend is not tried (its fallback is): begun again it would
    time out again, its last one having timed out at ``settings``' suspend_timeout
    or a longer one, at its memory today.  None: it is tried (a suspend cut short
    by the deadline's end rather than its own timeout, or a longer timeout since)."""
    bound = _timed_out_bound(past, memory)
    return bound if bound.seconds >= settings.suspend_timeout - 0.001 else None


def _timed_out_bound(past: Sequence[PastRun], memory: int | None) -> TimedOut:
    last = past[-1] if past else None
    if last is None or not last.timed_out:
        return TimedOut(0.0, "")
    said = f"its last suspend timed out after {format_duration(last.seconds)}"
    if not memory or not last.memory or memory == last.memory:
        return TimedOut(last.seconds, said)
    scaled = last.seconds * memory / last.memory
    return TimedOut(
        scaled, f"{said} with {format_size(last.memory)} of memory, now {format_size(memory)}"
    )


def _predict(
    policy: Policy,
    step: Action,
    memory: int | None,
    past: Sequence[PastRun],
    settings: ZonePolicy,
    *,
    host: HostRate | None = None,
) -> tuple[float, str, bool]:
    """The step's expected seconds, their basis in words, and whether this host
    measured them (the zone's own suspends, or its other zones')."""
    if step is not Action.SUSPEND:
        return typical_seconds(step, settings.timeout(step)), f"typical {step.value}", False
    return predict_suspend(policy.shutdown.assumed_rate, memory, past, settings, host)


def typical_seconds(step: Action, timeout: float) -> float:
    """A shutdown's or a halt's expected seconds, nothing measured: the typical
    one, bounded by its ``timeout``."""
    return min(SHUTDOWN_GUESS if step is Action.SHUTDOWN else HALT_GUESS, timeout)


def predict_suspend(
    assumed_rate: int,
    memory: int | None,
    past: Sequence[PastRun],
    settings: ZonePolicy,
    host: HostRate | None,
) -> tuple[float, str, bool]:
    """A suspend's expected seconds, their basis in words, and whether this host
    measured them: from the zone's recent suspends, else from the rate the host's
    other zones suspended at (``host``), else from ``assumed_rate`` (without memory,
    half its timeout); no less than its last suspend ran if that one timed out."""
    expected, basis, measured = _predict_from(assumed_rate, memory, _suspended(past), host)
    if not expected:
        expected, basis = settings.suspend_timeout / 2, "memory unknown: half the suspend timeout"
    # A suspend that timed out since its last success took at least that long.
    bound = _timed_out_bound(past, memory)
    if bound.seconds > expected:
        expected, basis, measured = bound.seconds, bound.said, True
    return expected, basis, measured


def _predict_from(
    assumed_rate: int, memory: int | None, recent: Sequence[PastRun], host: HostRate | None
) -> tuple[float, str, bool]:
    """:func:`predict_suspend` before its last suspend's bound; 0.0 where neither
    memory nor a past suspend says."""
    own = _median_rate(recent)
    if recent and memory and own is not None:
        # Suspend time follows the memory the image is made from (docs/solaris.md 1.4).
        basis = f"{len(recent)} past suspend(s) at {format_size(int(own))}/s"
        return memory / own, basis, True
    if recent:
        seconds = sorted(run.seconds for run in recent)
        return seconds[len(seconds) // 2], f"{len(recent)} past suspend(s)", True
    if memory and host is not None:
        # Never suspended, on a host whose other zones were: their rate, not the
        # assumed one, is this host's storage and CPUs.
        shown = format_size(int(host.rate))
        basis = f"{format_size(memory)} at {shown}/s, this host's {host.suspends} suspend(s)"
        return memory / host.rate, basis, True
    if memory:
        shown = format_size(assumed_rate)
        return memory / assumed_rate, f"{format_size(memory)} at assumed {shown}/s", False
    return 0.0, "", False


def _with_dependencies(
    policy: Policy, decisions: Sequence[Decision], candidates: Sequence[ZonePlan]
) -> list[ZonePlan]:
    """A zone is suspended before the zones it runs after: ``app1 after db1`` makes
    db1 wait for app1.  The order is the policy's ``after`` where a zone has one, else
    its zonecfg's smf-dependency and boot-priority, reversed (policy/order.py).
    Relations to zones outside the plan impose nothing."""
    configs = {decision.zone.name: decision.zone.config for decision in decisions}
    orders = effective_orders(
        {zone.name: policy.zone_policy(zone.name).after for zone in candidates},
        {zone.name: configs.get(zone.name) for zone in candidates},
    )
    waits: dict[str, dict[str, str]] = {name: {} for name in orders}
    for name, order in orders.items():
        for dependency in order.after:
            waits[dependency][name] = order.source
    result = []
    for zone in candidates:
        waited = waits[zone.name]
        sources: dict[str, list[str]] = {}
        for name in sorted(waited):
            sources.setdefault(waited[name], []).append(name)
        words = [f"{','.join(names)} ({source})" for source, names in sorted(sources.items())]
        own = orders[zone.name]
        if own.start_rank != 1:
            words.append(f"boot-priority={own.boot_priority} (zonecfg)")
        result.append(
            replace(
                zone,
                waits_for=tuple(sorted(waited)),
                rank=own.stop_rank,
                order="; ".join(words),
            )
        )
    return result


def _schedule(candidates: Iterable[ZonePlan], parallel: int, offset: float = 0.0) -> list[ZonePlan]:
    """List-schedule on ``parallel`` slots: among the zones whose waits are over,
    the lowest rank (boot-priority, reversed), then the longest expected first (LPT),
    so the long suspends overlap the short ones.  A zone that starts with a halt
    takes no slot: halts are quick and run side by side (the stop method starts
    them at once, as it halts the stragglers at the end of the budget).
    Returns the zones in start order with predicted start times, ``offset`` later."""
    pending = {zone.name: zone for zone in candidates}
    return [
        replace(pending[name], start=offset + start)
        for name, start in _start_times(pending.values(), parallel).items()
    ]


def _start_times(zones: Iterable[ZonePlan], parallel: int) -> dict[str, float]:
    """The predicted start of each zone, in start order (see :func:`_schedule`).

    Plain numbers, no ZonePlan copies, and each zone's dependants looked up
    directly: :func:`_fit_budget` schedules again after each zone it demotes, up to
    once per zone, and with 500 zones a quadratic schedule made ``kzguard status``
    and the stop method spend tens of seconds of CPU here (bench/status.py).
    """
    expected: dict[str, float] = {}
    rank: dict[str, int] = {}
    blockers: dict[str, set[str]] = {}
    dependants: dict[str, list[str]] = {}
    halts = {zone.name for zone in zones if zone.steps[0] is Action.HALT}
    for zone in zones:
        expected[zone.name] = zone.expected
        rank[zone.name] = zone.rank
        blockers[zone.name] = set(zone.waits_for)
        for waited in zone.waits_for:
            dependants.setdefault(waited, []).append(zone.name)
    ready: list[tuple[int, float, str]] = []  # zones waiting for a slot
    running: list[tuple[float, str]] = []  # (end, zone)
    now = 0.0
    starts: dict[str, float] = {}

    def become_ready(name: str) -> None:
        if name in halts:  # no slot to wait for
            starts[name] = now
            heapq.heappush(running, (now + expected[name], name))
        else:
            heapq.heappush(ready, (rank[name], -expected[name], name))

    for name, waits in blockers.items():
        if not waits:
            become_ready(name)
    # The policy requires parallel >= 1; at least one slot keeps the loop finite.
    # Whenever the loop runs, a slot takes a ready zone or one is running, so there
    # is always one to finish.  A zone in an `after` cycle (the policy validator
    # forbids them) never becomes ready and is left out.
    slots = max(parallel, 1)
    busy = 0  # slots taken: running zones that are not halts
    while ready or running:
        while ready and busy < slots:
            _, _, name = heapq.heappop(ready)
            starts[name] = now
            busy += 1
            heapq.heappush(running, (now + expected[name], name))
        now, finished = heapq.heappop(running)
        busy -= finished not in halts
        for name in dependants.get(finished, ()):
            waits = blockers[name]
            waits.discard(finished)
            if not waits:
                become_ready(name)
    return starts


def _fit_space(
    policy: Policy,
    ordered: Sequence[ZonePlan],
    space: Mapping[str, FileSystemSpace | str],
    slots: int,
) -> list[ZonePlan]:
    """Give the suspend images on each file system the space it has free; the zones
    whose images cannot all fit keep as many suspends as fit (:func:`_images_kept`),
    and the others start with their fallback."""
    sharing: dict[str, list[ZonePlan]] = {}
    free: dict[str, int] = {}
    for zone in ordered:
        answer = space.get(zone.name)
        if zone.steps[0] is Action.SUSPEND and isinstance(answer, FileSystemSpace):
            sharing.setdefault(answer.mount_point, []).append(zone)
            free.setdefault(answer.mount_point, answer.available)
    demoted: dict[str, ZonePlan] = {}
    for mount_point, zones in sharing.items():
        kept = _images_kept(zones, free[mount_point])
        left = free[mount_point] - sum(_image_bound(zone) for zone in zones if zone.name in kept)
        for zone in zones:
            if zone.name in kept:
                continue
            note = (
                f"suspend image up to {format_size(_image_bound(zone))} does not fit in the "
                f"{format_size(max(left, 0))} left on {mount_point}: starting with "
                f"{zone.steps[1].value}"
            )
            demoted[zone.name] = _demote(policy, zone, note)
    return _schedule([demoted.get(zone.name, zone) for zone in ordered], slots)


def _image_bound(zone: ZonePlan) -> int:
    # The image can be as large as capped-memory physical (docs/solaris.md 1.4);
    # unknown memory: nothing to hold it to.
    return zone.memory or 0


def _images_kept(zones: Sequence[ZonePlan], free: int) -> set[str]:
    """The zones whose suspend images, at their bound, share ``free`` bytes: those
    with no fallback; then as many others as fit, which the smallest do; and of
    that many, the largest each time that still leaves the smallest of the rest room
    (as much of the zones' memory kept as the count allows)."""
    kept = {zone.name for zone in zones if len(zone.steps) == 1}
    room = free - sum(_image_bound(zone) for zone in zones if zone.name in kept)
    ascending = sorted(
        (zone for zone in zones if zone.name not in kept),
        key=lambda zone: (_image_bound(zone), zone.name),
    )
    needs = [_image_bound(zone) for zone in ascending]
    # smallest[n]: the bytes of the n smallest.
    smallest = [0, *accumulate(needs)]
    count = sum(1 for total in smallest[1:] if total <= room)
    chosen = 0
    for index in range(len(ascending) - 1, -1, -1):
        if chosen == count:
            break
        # Those after index (larger) are decided; the rest to choose come from the
        # `index` smaller ones, at least their smallest.
        rest = count - chosen - 1
        if rest <= index and needs[index] + smallest[rest] <= room:
            kept.add(ascending[index].name)
            room -= needs[index]
            chosen += 1
    return kept


def _fit_budget(
    policy: Policy, ordered: Sequence[ZonePlan], budget: float, elapsed: float, slots: int
) -> list[ZonePlan]:
    """Demote suspends expected to outlast their own timeout, then, one step at a
    time (:func:`_next_demotion`), the zones that keep the schedule from ending
    inside the budget, so that the stop ends inside its deadline with no managed
    zone running.  The schedule starts ``elapsed`` seconds in."""
    # Zones this fit may take a suspend from; once taken, each may halt to make room.
    given_up = {zone.name for zone in ordered if zone.steps[0] is Action.SUSPEND}
    zones = [
        _demote(
            policy,
            zone,
            f"expected suspend {format_duration(zone.expected)} exceeds its timeout "
            f"{format_duration(zone.timeouts[0])}: starting with {zone.steps[1].value}",
        )
        if _demotable(zone) and zone.expected > zone.timeouts[0]
        else zone
        for zone in ordered
    ]
    # A suspend given up past its shutdown to its halt: the plan at its shutdown,
    # tried again once the schedule fits (_fewer_halts).
    shutdown_instead: dict[str, ZonePlan] = {}
    while True:
        starts = _start_times(zones, slots)
        ends = {zone.name: elapsed + starts[zone.name] + zone.expected for zone in zones}
        demotion = _next_demotion(zones, starts, ends, budget, given_up=given_up, slots=slots)
        if demotion is None:
            if max(ends.values(), default=0.0) <= budget:
                zones = _fewer_halts(zones, shutdown_instead, budget - elapsed, slots)
            return _schedule(zones, slots, elapsed)
        worst, why, skipped = demotion
        even = worst.steps[0] is Action.SHUTDOWN
        # Predictions, not measurements of this stop: its own suspends may show the
        # zone fits after all (stop/promote.py), where its memory says how long.
        chain = worst.chain_if_fits
        if not even and worst.memory:
            chain = tuple(zip(worst.steps, worst.timeouts))
        promotable = PROMOTABLE if chain else ""
        if skipped == 2:
            note = f"{why}: starting with shutdown{promotable}"
            shutdown_instead[worst.name] = _demote(policy, worst, note, chain)
            why += ", and its shutdown would too"
        note = f"{why}: starting with {worst.steps[skipped].value}"
        if even and worst.note:  # and why it was not to be suspended
            note = f"{worst.note.removesuffix(PROMOTABLE)}; {note}"
        note += promotable
        zones = [
            _demote(policy, zone, note, chain, skipped) if zone is worst else zone for zone in zones
        ]


def _fewer_halts(
    zones: Sequence[ZonePlan],
    shutdown_instead: Mapping[str, ZonePlan],
    budget: float,
    slots: int,
) -> list[ZonePlan]:
    """``zones``, whose schedule ends inside ``budget`` seconds, with each zone the
    fit sent past its shutdown to its halt shut down instead where the schedule
    still ends inside it: the halt was chosen while other zones were still to give
    their steps up, and a clean shutdown loses no more than a halt."""
    result = list(zones)
    room = max(slots, 1) * budget - sum(zone.expected for zone in zones if not _halts(zone))
    for index, zone in enumerate(result):
        instead = shutdown_instead.get(zone.name)
        # Without slot time for its shutdown, no schedule fits: not worth a try.
        if instead is None or not _halts(zone) or instead.expected > room:
            continue
        tried = [*result[:index], instead, *result[index + 1 :]]
        starts = _start_times(tried, slots)
        if all(starts[plan.name] + plan.expected <= budget for plan in tried):
            result = tried
            room -= instead.expected
    return result


def _halts(zone: ZonePlan) -> bool:
    return zone.steps[0] is Action.HALT


def _next_demotion(
    zones: Sequence[ZonePlan],
    starts: Mapping[str, float],
    ends: Mapping[str, float],
    budget: float,
    *,
    given_up: AbstractSet[str],
    slots: int,
) -> tuple[ZonePlan, str, int] | None:
    """The zone whose first steps the budget's fit gives up next, why, and how many
    steps; None when every zone ends inside the budget, or no step given up would
    help.  It loses as few zones' running state as it can, then halts as few as it
    can.  The zones it halts are those whose shutdown would end after the budget,
    and those whose suspend it gives up (``given_up``: their state is lost either
    way), to make room for another's suspend; a zone the policy or its brand shuts
    down is never halted while its shutdown ends inside the budget.

    1. A zone that would end after the budget even begun at once gives up its own
       step (a suspend, or a shutdown to its halt).
    2. Else, for the latest-ending zone after the budget that a step given up could
       bring in: a shutdown goes to its halt.  For a suspend, a zone begun before
       it whose suspend was given up halts, which loses no more state; else a
       suspend, begun before it or its own, gives way to its shutdown, or past it
       to its halt (a small zone's shutdown can take longer than its suspend:
       with one slot the zone that ends last is often the smallest).  Each time
       the step that frees the least slot time that covers the overrun over the
       slots, a shutdown before a halt, else the one that frees the most.
    """
    late = [zone for zone in zones if ends[zone.name] > budget]
    if not late:
        return None
    after = f"after the {format_duration(budget)} budget"

    def by_end(zone: ZonePlan) -> tuple[float, str]:
        return ends[zone.name], zone.name

    def ending(zone: ZonePlan) -> str:
        even = " even as a shutdown" if _halt_next(zone) else ""
        return f"expected to end at {format_duration(ends[zone.name])}, {after}{even}"

    # Begun at once, a zone ends `elapsed` plus its own step after the method starts.
    alone = [zone for zone in late if ends[zone.name] - starts[zone.name] > budget]
    for zone in sorted(alone, key=by_end, reverse=True):
        if _demotable(zone) or _halt_next(zone):
            return zone, ending(zone), 1
    halting = [
        _Giving(zone, 1, zone.expected)
        for zone in zones
        if _halt_next(zone) and zone.name in given_up
    ]
    suspending = [giving for zone in zones if _demotable(zone) for giving in _givings(zone)]
    alone_names = {zone.name for zone in alone}
    targets = [zone for zone in late if zone.name not in alone_names]
    for target in sorted(targets, key=by_end, reverse=True):
        if _halt_next(target):
            return target, ending(target), 1
        # Slot time freed before a zone brings it forward by about that over the
        # slots (exactly, with one).
        overrun = (ends[target.name] - budget) * max(slots, 1)
        begun = starts[target.name]
        chosen = _least_covering(
            [giving for giving in halting if starts[giving.zone.name] < begun], overrun, ends
        ) or _least_covering(
            [
                giving
                for giving in suspending
                if giving.zone is target or starts[giving.zone.name] < begun
            ],
            overrun,
            ends,
        )
        if chosen is None:
            continue
        helper = chosen.zone
        if ends[helper.name] > budget:
            return helper, ending(helper), chosen.steps
        why = (
            f"expected {helper.steps[0].value} {format_duration(helper.expected)} would leave "
            f"{target.name} to end at {format_duration(ends[target.name])}, {after}"
        )
        return helper, why, chosen.steps
    return None


@dataclass(frozen=True)
class _Giving:
    """Giving up the first ``steps`` of a zone's chain, which frees ``gain`` slot
    seconds."""

    zone: ZonePlan
    steps: int
    gain: float


def _givings(zone: ZonePlan) -> list[_Giving]:
    """What giving up a suspend can free: its fallback's gain, where positive, and
    its whole slot where its shutdown has a halt after it (a halt takes no slot)."""
    options = []
    fallback = zone.steps[1]
    if fallback is Action.HALT:
        return [_Giving(zone, 1, zone.expected)]
    gain = zone.expected - typical_seconds(fallback, zone.timeouts[1])
    if gain > 0:
        options.append(_Giving(zone, 1, gain))
    if zone.steps[1:3] == HALT_AFTER_SHUTDOWN:
        options.append(_Giving(zone, 2, zone.expected))
    return options


def _least_covering(
    options: Sequence[_Giving], overrun: float, ends: Mapping[str, float]
) -> _Giving | None:
    """Of ``options``, the one freeing the least slot time that covers ``overrun``,
    fewer steps first; else the one freeing the most; the later-ending zone of two
    alike; None: no option."""
    enough = [giving for giving in options if giving.gain >= overrun]
    if enough:
        return min(enough, key=lambda giving: (giving.steps, giving.gain, -ends[giving.zone.name]))
    return max(
        options,
        key=lambda giving: (giving.gain, -giving.steps, ends[giving.zone.name]),
        default=None,
    )


def _demotable(zone: ZonePlan) -> bool:
    return zone.steps[0] is Action.SUSPEND and len(zone.steps) > 1


def _halt_next(zone: ZonePlan) -> bool:
    return zone.steps[:2] == HALT_AFTER_SHUTDOWN


def _demote(
    policy: Policy,
    zone: ZonePlan,
    note: str,
    chain_if_fits: tuple[tuple[Action, float], ...] = (),
    skipped: int = 1,
) -> ZonePlan:
    steps = zone.steps[skipped:]
    settings = policy.zone_policy(zone.name)
    expected, basis, _ = _predict(policy, steps[0], zone.memory, (), settings)
    return replace(
        zone,
        steps=steps,
        timeouts=zone.timeouts[skipped:],
        expected=expected,
        basis=basis,
        note=note,
        chain_if_fits=chain_if_fits,
    )

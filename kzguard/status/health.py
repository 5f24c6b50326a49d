"""Is the guard armed, and what happened to each zone at the last shutdown and boot?
Pure: judges the journal's records and what the shell read from the host.

``kzguard status`` exits 0 healthy, 1 when an error is recorded (a zone lost its
running state or failed), 2 when the guard is degraded (it might not act as
configured at the next shutdown).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from kzguard.journal.document import JournalDocument, StartRecord, StopCycle
from kzguard.journal.records import Proof, Severity, UnknownState, ZoneState
from kzguard.solaris.protection import FIX_COMMAND, unprotected_text
from kzguard.units import format_elapsed

HEALTHY = 0
ERROR = 1
DEGRADED = 2


@dataclass(frozen=True)
class ZoneSummary:
    """A zone's last shutdown and last boot, in words."""

    last_shutdown: str = "-"
    last_boot: str = "-"
    # How the last boot told a resume from a fresh boot (issue 11), when it had to.
    last_boot_proof: Proof | None = None


@dataclass(frozen=True)
class Health:
    armed: bool
    reasons: tuple[str, ...]  # why degraded; empty when armed and well
    errors: tuple[str, ...]  # recorded failures and lost states
    zones: Mapping[str, ZoneSummary] = field(default_factory=dict)
    pending: tuple[str, ...] = ()  # suspended by kzguard, resume still to come
    not_held: tuple[str, ...] = ()  # managed zones kzguard's instance does not hold
    last_stop: str = ""
    last_start: str = ""
    stop_unfinished: bool = False  # the last stop has no end and nothing took it up
    stop_running: str = ""  # the live stop that holds the lock now (its label)

    @property
    def exit_status(self) -> int:
        if self.reasons:
            return DEGRADED
        if self.errors:
            return ERROR
        return HEALTHY

    @property
    def headline(self) -> str:
        if self.reasons:
            return "guard: DEGRADED: " + "; ".join(self.reasons)
        unfinished = "; the last stop did not finish" if self.stop_unfinished else ""
        recorded = f"; {len(self.errors)} error(s) recorded" if self.errors else ""
        return "guard: armed" + unfinished + recorded


_TRUSTED_WORDS = {
    "marker": "resume marker",
    "boot time": "boot time",
    "host boot time": "global zone's boot time",
    "none": "none",
}


def proof_words(proof: Proof) -> str:
    """Which signal decided, and why not the marker when it could not: ``resume
    marker``, ``boot time (marker unreadable)``; the whole reason is in the journal
    and in ``kzguard status --json``."""
    words = _TRUSTED_WORDS.get(proof.trusted, proof.trusted)
    if proof.marker in ("unreadable", "not written"):
        words += f" (marker {proof.marker})"
    return words


def assess(
    document: JournalDocument | None,
    *,
    policy_problems: Sequence[str],
    policy_in_force: str,
    journal_problem: str | None,
    host_boot_time: int | None,
    service_problems: Sequence[str] = (),
    not_held: Sequence[str] = (),
    lock_holder: str | None = None,
) -> Health:
    """Judge the guard from the journal's records (None when there is no journal),
    ``not_held``, the managed zones whose SMF instance kzguard's does not hold, so
    that the zones service may shut them down during the stop method
    (kzguard.solaris.protection), ``service_problems``, why kzguard's SMF instance
    would not run its stop method to its end (missing, a timeout shorter than the
    deadline), and ``lock_holder``, the live kzguard operation
    that holds the state directory's lock now (journal.lock.holder_now): a stop
    cycle with no end is one still running when a stop holds it, not one killed."""
    document = document or JournalDocument()
    reasons: list[str] = []
    if policy_problems:
        reasons.append(
            f"the policy file is invalid ({len(policy_problems)} problem(s)); acting on "
            f"{policy_in_force} until it is fixed and refreshed"
        )
    if journal_problem:
        reasons.append(journal_problem)
    reasons.extend(service_problems)
    if not_held:
        reasons.append(f"{unprotected_text(not_held)}; {FIX_COMMAND}")
    armed = document.armed
    is_armed = armed is not None and not armed.disarmed
    if armed is None:
        reasons.append("never armed: the start method has not run (svcs -xv site/kzguard)")
    elif armed.disarmed:
        reasons.append("disarmed: the service was stopped without a shutdown (svcadm enable it)")
    elif host_boot_time is not None and armed.host_boot_time != host_boot_time:
        is_armed = False
        reasons.append("not armed since this boot: the start method has not run yet")
    cycle = document.cycle or StopCycle()
    start = document.start or StartRecord()
    records: dict[str, ZoneSummary] = {}
    errors: list[str] = []
    pending: list[str] = []
    for name, zone in sorted(cycle.zones.items()):
        state = zone.state
        text = str(state) if isinstance(state, UnknownState) else state.value
        if zone.seconds is not None:
            text += f" in {format_elapsed(zone.seconds)}"
        if zone.reason:
            text += f" ({zone.reason})"
        records[name] = ZoneSummary(last_shutdown=text)
        if isinstance(state, ZoneState) and state.is_error:
            errors.append(f"{name}: {state.value} at the last shutdown")
        if state is ZoneState.SUSPENDED and not cycle.resumed_at:
            pending.append(name)
    for name, reason in cycle.skipped.items():
        if name not in records:
            records[name] = ZoneSummary(last_shutdown=f"not touched: {reason}")
    stop_unfinished = cycle.pending and cycle.started is not None and cycle.finished is None
    # A stop's label: "pid N (method stop) since ...", "pid N (kzguard stop) since ...".
    running = ""
    if stop_unfinished and lock_holder is not None and " stop) " in lock_holder:
        running, stop_unfinished = lock_holder, False
    if stop_unfinished:
        # A suspend in flight when the stop was killed may have finished (zoneadmd
        # goes on without the zoneadm that asked, docs/solaris.md 1.4).
        pending = sorted(
            {*pending, *(n for n, z in cycle.zones.items() if z.state is ZoneState.SUSPENDING)}
        )
        errors.insert(0, _unfinished_stop(cycle, pending))
    for name, outcome in sorted((start.zones or {}).items()):
        text = outcome.result
        if outcome.seconds:
            text += f" in {format_elapsed(outcome.seconds)}"
        if outcome.detail:
            text += f" ({outcome.detail})"
        if outcome.proof is not None:
            text += f" [proof: {proof_words(outcome.proof)}]"
        shutdown = records.get(name, ZoneSummary()).last_shutdown
        records[name] = ZoneSummary(shutdown, text, outcome.proof)
        if outcome.severity in (Severity.LOST, Severity.ERROR):
            errors.append(f"{name}: {outcome.result} at the last boot")
    if start.bypassed:
        errors.append(start.note or "the last shutdown bypassed kzguard")
    return Health(
        armed=is_armed,
        reasons=tuple(reasons),
        errors=tuple(errors),
        zones=records,
        pending=tuple(pending),
        not_held=tuple(not_held),
        last_stop=cycle.summary or "",
        last_start=start.summary or "",
        stop_unfinished=stop_unfinished,
        stop_running=running,
    )


def _unfinished_stop(cycle: StopCycle, may_hold_image: Sequence[str]) -> str:
    """The error for a stop cycle that has no end: the stop was killed (svc.startd's
    timeout, kill -9) or cut short by a power loss, and nothing has taken it up."""
    unsettled = sorted(
        name
        for name, zone in cycle.zones.items()
        if isinstance(zone.state, ZoneState)
        and zone.state.unfinished
        and zone.state is not ZoneState.SUSPENDING
    )
    parts = []
    if may_hold_image:
        parts.append(f"{', '.join(may_hold_image)} may hold a suspend image")
    if unsettled:
        parts.append(f"{', '.join(unsettled)} were not settled")
    return "the last stop did not finish (killed or cut short)" + (
        ": " + "; ".join(parts) if parts else ""
    )

"""The reboot cycle as a caller sees it: may ``kzguard reboot`` go ahead, and how did
the last cycle (the stop method's suspends, the reboot, the start method's resumes)
end.  Pure: judges the journal's records and what the shell read from the host.

``kzguard status --json`` carries :func:`last_cycle` as ``last_cycle`` and ``kzguard
wait`` exits with :func:`wait_verdict`'s status; docs/formats.md documents both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kzguard.journal.document import JournalDocument, ResumedZone, StartRecord, StopCycle
from kzguard.journal.records import LEFT_ALONE_RESULT, Severity, ZoneRecord, ZoneState
from kzguard.status.health import DEGRADED, ERROR, HEALTHY, Health
from kzguard.stop.plan import StopPlan
from kzguard.units import format_duration

PRESERVED = "preserved"  # suspended by the stop, resumed, the running state proven
BOOTED = "booted"  # down as its policy asks (shutdown, halt), booted again
LOST = "lost"
FAILED = "failed"
LEFT_ALONE = "left-alone"
PENDING = "pending"  # the start method has not settled it (yet)
_VERDICTS = {Severity.LOST: LOST, Severity.ERROR: FAILED, Severity.LEFT: LEFT_ALONE}


def reboot_refusals(health: Health, plan: StopPlan) -> list[str]:
    """Why ``kzguard reboot`` must not reboot now, one reason a line: the guard is
    degraded (its reasons: an invalid policy, a zone not held at shutdown, not
    armed, no SMF instance...), a ``kzguard stop`` is running, or the stop plan
    would not suspend every zone it should, or expects a suspend to outlast its
    timeout on the assumed rate alone."""
    reasons = list(health.reasons)
    if health.stop_running:
        # Its suspends would race init's shutdown, and its journal end with it.
        reasons.append(f"a stop is running now: {health.stop_running}; wait for it to end")
    if not plan.fits:
        reasons.append(
            f"the stop plan does not fit the deadline: expected "
            f"{format_duration(plan.predicted_makespan)} of the "
            f"{format_duration(plan.budget)} budget (kzguard plan stop)"
        )
    reasons.extend(
        # A suspend the budget's fit took on predictions may be given back during the
        # stop (stop/promote.py): a deliberate reboot should not bet on it.
        f"{zone.name} {'may' if zone.chain_if_fits else 'would'} not be suspended: {zone.note}"
        for zone in plan.zones
        if zone.note
    )
    reasons.extend(
        f"{zone.name} may not be suspended: {zone.at_risk}" for zone in plan.zones if zone.at_risk
    )
    return reasons


def cycle_id(cycle: StopCycle | None, boot_time: int | None) -> str | None:
    """``STOP@BOOT``: when the stop began (epoch seconds, milliseconds) and the global
    zone boot its start method ran in; None when there is neither."""
    if cycle is None and boot_time is None:
        return None
    stop = f"{cycle.started:.3f}" if cycle is not None and cycle.started is not None else "-"
    return f"{stop}@{boot_time if boot_time is not None else '-'}"


def _first_time(record: ZoneRecord) -> float | None:
    return next((t.time for t in record.transitions if t.time is not None), None)


def _zone(name: str, record: ZoneRecord | None, resumed: ResumedZone | None) -> dict[str, Any]:
    stop_state = record.state.value if record and isinstance(record.state, ZoneState) else None
    suspended = record is not None and record.state is ZoneState.SUSPENDED
    if resumed is None or resumed.severity is None:
        verdict = PENDING
    elif resumed.severity is Severity.OK:
        verdict = PRESERVED if suspended else BOOTED
    else:
        verdict = _VERDICTS[resumed.severity]
    if resumed is not None and resumed.downtime is not None and verdict in (PRESERVED, BOOTED):
        downtime: float | None = resumed.downtime
    else:
        # Journals from before issue 13: from the step that took it down (else its
        # first recorded transition) to its outcome being journalled.
        began = (record.went_down_at or _first_time(record)) if record else None
        up_again = resumed.time if resumed and verdict in (PRESERVED, BOOTED) else None
        downtime = (
            round(up_again - began, 3) if up_again is not None and began is not None else None
        )
    return {
        "verdict": verdict,
        "proof": resumed.proof.trusted if resumed and resumed.proof else None,
        "stop_state": stop_state,
        "result": resumed.result if resumed else None,
        "detail": resumed.detail if resumed else None,
        "suspend_seconds": record.seconds if suspended and record else None,
        # A zone left alone was not booted, one pending not yet settled: no time.
        "resume_seconds": resumed.seconds
        if resumed and verdict != PENDING and resumed.result != LEFT_ALONE_RESULT
        else None,
        "downtime_seconds": downtime,
    }


def last_cycle(document: JournalDocument | None, host_boot_time: int | None) -> dict[str, Any]:
    """The last cycle for ``kzguard status --json``: its id, whether it is complete
    (every zone the stop put down is back, its running state proven, in this boot),
    why not, and per zone the verdict, the proof, the durations and the downtime."""
    document = document or JournalDocument()
    cycle, start = document.cycle, document.start
    this_boot = start is not None and start.of_boot(host_boot_time) and host_boot_time is not None
    finished = this_boot and start is not None and start.finished is not None
    resumed = (start.zones or {}) if start is not None and this_boot else {}
    records: Mapping[str, ZoneRecord] = cycle.zones if cycle is not None else {}
    names = sorted(set(records) | set(resumed))
    zones = {name: _zone(name, records.get(name), resumed.get(name)) for name in names}
    reasons = _incomplete(
        cycle, start, host_boot_time, zones, this_boot=this_boot, finished=finished
    )
    downtimes = [zone["downtime_seconds"] for zone in zones.values()]
    known = [seconds for seconds in downtimes if seconds is not None]
    return {
        "id": cycle_id(cycle, start.host_boot_time if start and this_boot else None),
        "stop_started": cycle.started if cycle else None,
        "stop_finished": cycle.finished if cycle else None,
        "stop_trigger": cycle.trigger if cycle else None,
        "stop_host_boot_time": cycle.host_boot_time if cycle else None,
        "host_boot_time": host_boot_time,
        "start_host_boot_time": start.host_boot_time if start else None,
        "start_finished": start.finished if start and this_boot else None,
        "this_boot": this_boot,
        "finished": finished,
        "complete": not reasons,
        "reasons": reasons,
        "downtime_total_seconds": round(sum(known), 3) if known else None,
        "zones": zones,
        "pace": {
            "suspend": cycle.pace.to_json() if cycle and cycle.pace else None,
            "resume": start.pace.to_json() if start and this_boot and start.pace else None,
        },
    }


def pace_lines(document: JournalDocument | None) -> list[str]:
    """How many suspends and resume boots ran at once in the last shutdown and boot,
    and when an auto pace changed that number (since its method began)."""
    document = document or JournalDocument()
    paces = (
        ("last shutdown's suspends", document.cycle.pace if document.cycle else None),
        ("last boot's resumes", document.start.pace if document.start else None),
    )
    lines = []
    for label, pace in paces:
        # A run that began no transfer (peak 0) has no pace worth a line.
        if pace and pace.peak != 0:
            lines.append(f"{label}: {pace.line()}")
            if pace.levels:
                lines.append(f"{label} over time: {pace.timeline()}")
    return lines


def _incomplete(
    cycle: StopCycle | None,
    start: StartRecord | None,
    host_boot_time: int | None,
    zones: Mapping[str, Mapping[str, Any]],
    *,
    this_boot: bool,
    finished: bool,
) -> list[str]:
    if cycle is None:
        return ["no shutdown is recorded"]
    if host_boot_time is not None and cycle.host_boot_time == host_boot_time:
        return ["the last stop ran in this boot: no reboot has followed it yet"]
    if not this_boot or start is None:
        return ["the start method has not run in this boot"]
    if not finished:
        return ["the start method of this boot has not finished"]
    reasons = []
    if start.bypassed:
        reasons.append(start.note or "the last shutdown bypassed kzguard")
    for name, zone in zones.items():
        if zone["verdict"] not in (PRESERVED, BOOTED):
            what = zone["result"] or "not resumed"
            reasons.append(f"{name}: {zone['verdict']}: {what}")
    return reasons


@dataclass(frozen=True)
class WaitVerdict:
    """What ``kzguard wait`` ends with: its exit status and one line to print."""

    status: int
    line: str


def wait_verdict(
    document: JournalDocument | None, host_boot_time: int | None, health: Health
) -> WaitVerdict | None:
    """None while the start method of the boot ``host_boot_time`` has not finished
    (its record in the journal carries that boot time and an end); then 0 when every
    zone came back as it should, 1 when one was lost or failed, 2 when the guard is
    degraded."""
    document = document or JournalDocument()
    start, cycle = document.start, document.cycle
    if host_boot_time is None or start is None or not start.of_boot(host_boot_time):
        return None
    if (
        cycle is not None
        and cycle.pending
        and cycle.trigger == "method"
        and cycle.host_boot_time == host_boot_time
    ):
        return None  # the stop method ran in this boot: it is going down
    if start.finished is None:
        return None
    summary = start.summary or "start method finished"
    if health.exit_status == DEGRADED:
        return WaitVerdict(DEGRADED, f"{summary}; {health.headline}")
    zones = last_cycle(document, host_boot_time)["zones"]
    troubles = [name for name, zone in zones.items() if zone["verdict"] in (LOST, FAILED)]
    if troubles or start.bypassed:
        return WaitVerdict(ERROR, f"{summary}; not preserved: {', '.join(troubles) or '-'}")
    return WaitVerdict(HEALTHY, summary)

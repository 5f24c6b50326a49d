"""Turn values into what people and programs read.  Pure.

JSON documents carry ``"format"`` so consumers can tell versions apart.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from kzguard.errors import PolicyError
from kzguard.journal.records import ZoneState
from kzguard.policy.selection import Decision
from kzguard.status.checks import Finding, Level
from kzguard.status.health import Health, ZoneSummary
from kzguard.stop.outcome import StopReport
from kzguard.stop.plan import StopPlan
from kzguard.units import format_duration, format_elapsed, format_size

JSON_FORMAT = 1


def to_json(document: dict[str, Any]) -> str:
    return json.dumps({"format": JSON_FORMAT, **document}, indent=2, sort_keys=False)


def _zone_document(decision: Decision, health: Health | None = None) -> dict[str, Any]:
    zone = decision.zone
    record = health.zones.get(zone.name, ZoneSummary()) if health else ZoneSummary()
    return {
        "name": zone.name,
        "brand": zone.brand,
        "state": zone.state,
        "auxiliary_states": list(zone.aux_states),
        "managed": decision.managed,
        "action": decision.action.value if decision.action else None,
        "reason": decision.reason,
        "last_shutdown": record.last_shutdown,
        "last_boot": record.last_boot,
        "last_boot_proof": record.last_boot_proof.to_json() if record.last_boot_proof else None,
    }


def status_json(
    decisions: Sequence[Decision],
    policy_source: str | None,
    health: Health,
    plan: StopPlan,
    *,
    last_cycle: Mapping[str, Any] | None = None,
) -> str:
    """``kzguard status --json`` (docs/formats.md); ``last_cycle``:
    :func:`kzguard.status.cycle.last_cycle`."""
    return to_json(
        {
            "policy": policy_source,
            "guard": {
                "armed": health.armed,
                "degraded": list(health.reasons),
                "errors": list(health.errors),
                "pending_resume": list(health.pending),
                "not_held": list(health.not_held),
                "last_shutdown": health.last_stop,
                "last_boot": health.last_start,
                "stop_running": health.stop_running or None,
                "exit_status": health.exit_status,
            },
            "next_shutdown": plan_document(plan),
            "zones": [_zone_document(decision, health) for decision in decisions],
            **({"last_cycle": dict(last_cycle)} if last_cycle is not None else {}),
        }
    )


def status_text(
    decisions: Sequence[Decision],
    policy_source: str | None,
    health: Health,
    plan: StopPlan,
    pace: Sequence[str] = (),
    *,
    last_cycle: Mapping[str, Any] | None = None,
) -> str:
    """The guard, its last shutdown and boot (``pace``: how many ran at once,
    :func:`kzguard.status.cycle.pace_lines`), the last cycle's downtime
    (``last_cycle``: :func:`kzguard.status.cycle.last_cycle`), the next shutdown, and
    every zone."""
    lines = [health.headline, f"policy: {policy_source or '(built-in defaults)'}"]
    if health.stop_running:
        lines.append(f"stop running now: {health.stop_running}")
    if health.last_stop:
        lines.append(f"last shutdown: {health.last_stop}")
    if health.last_start:
        lines.append(f"last boot: {health.last_start}")
    downtimes = cycle_downtimes(last_cycle)
    if downtimes:
        lines.append(downtime_line(downtimes))
    lines.extend(f"error: {error}" for error in health.errors)
    lines.extend(pace)
    if health.pending:
        lines.append(f"pending resume: {', '.join(health.pending)}")
    verdict = "fits" if plan.fits else "DOES NOT FIT"
    expected = format_duration(plan.predicted_makespan)
    lines.append(
        f"next shutdown: {len(plan.zones)} zone(s), expected {expected} "
        f"of the {format_duration(plan.budget)} budget ({verdict})"
    )
    for label, decision in (("suspends", plan.pace), ("resumes", plan.resume_pace)):
        if decision is not None:
            lines.append(f"next {label}: {decision.line()}")
    lines.append(status_table(decisions, health, downtimes, plan))
    return "\n".join(lines)


def cycle_downtimes(last_cycle: Mapping[str, Any] | None) -> dict[str, float]:
    """Each zone's downtime in the last cycle, for those that have one."""
    zones: Mapping[str, Any] = (last_cycle or {}).get("zones") or {}
    return {
        name: zone["downtime_seconds"]
        for name, zone in zones.items()
        if zone.get("downtime_seconds") is not None
    }


def downtime_line(downtimes: Mapping[str, float]) -> str:
    """The last cycle's downtime in all, its mean and its longest, in one line."""
    total = sum(downtimes.values())
    longest = max(sorted(downtimes), key=lambda name: downtimes[name])
    count = len(downtimes)
    return (
        f"last cycle downtime: {format_elapsed(total)} in all over {count} "
        f"zone{'' if count == 1 else 's'}, mean {format_elapsed(total / count)}, "
        f"longest {format_elapsed(downtimes[longest])} ({longest})"
    )


def status_table(
    decisions: Sequence[Decision],
    health: Health | None = None,
    downtimes: Mapping[str, float] | None = None,
    plan: StopPlan | None = None,
) -> str:
    """One line per zone: ``zoneadm list -cv``'s columns plus what kzguard will do
    and, with ``health``, what it did at the last shutdown and boot, and with
    ``downtimes`` (any), how long each zone was gone in the last cycle.  With the
    stop ``plan``, a zone it starts with another step than the policy's action (a
    fallback, or only a halt) shows that step and the plan's reason: what the next
    shutdown will do, not what the policy asks."""
    noted = {zone.name: zone for zone in plan.zones if zone.note} if plan else {}
    header: tuple[str, ...] = ("NAME", "STATUS", "AUXILIARY", "BRAND", "ACTION")
    if health is not None:
        header += ("LAST SHUTDOWN", "LAST BOOT")
    if downtimes:
        header += ("DOWNTIME",)
    header += ("WHY",)
    rows = []
    for decision in decisions:
        planned = noted.get(decision.zone.name)
        action = decision.action.value if decision.action else "-"
        row: tuple[str, ...] = (
            decision.zone.name,
            decision.zone.state,
            ",".join(decision.zone.aux_states) or "-",
            decision.zone.brand,
            planned.steps[0].value if planned else action,
        )
        if health is not None:
            record = health.zones.get(decision.zone.name, ZoneSummary())
            row += (record.last_shutdown, record.last_boot)
        if downtimes:
            seconds = downtimes.get(decision.zone.name)
            row += (format_elapsed(seconds) if seconds is not None else "-",)
        rows.append((*row, planned.note if planned else decision.reason))
    return _table(header, rows)


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(row[column]) for row in (header, *rows)) for column in range(len(header))]
    lines = []
    for row in (header, *rows):
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


def check_summary(decisions: Sequence[Decision], findings: Sequence[Finding]) -> str:
    managed = [decision.zone.name for decision in decisions if decision.managed]
    counts = {level: sum(1 for f in findings if f.level is level) for level in Level}
    parts = [
        f"{len(managed)} zone{'' if len(managed) == 1 else 's'} managed"
        + (f" ({', '.join(managed)})" if managed else ""),
        _count(counts[Level.ERROR], "error"),
        _count(counts[Level.WARNING], "warning"),
        _count(counts[Level.NOTE], "note"),
    ]
    return "; ".join(parts)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def check_json(
    decisions: Sequence[Decision], findings: Sequence[Finding], policy_source: str | None
) -> str:
    return _check_document(
        policy_source,
        [decision.zone.name for decision in decisions if decision.managed],
        [(finding.level.value, finding.zone, finding.message) for finding in findings],
    )


def check_json_invalid(error: PolicyError) -> str:
    """``kzguard check --json`` of a policy file that does not validate: one error
    finding a problem, about no zone."""
    return _check_document(
        error.source,
        [],
        [("error", None, problem.render(error.source)) for problem in error.problems],
    )


def _check_document(
    policy_source: str | None,
    managed: Sequence[str],
    findings: Sequence[tuple[str, str | None, str]],
) -> str:
    """The one shape of ``kzguard check --json``: findings as (level, zone, message)."""
    return to_json(
        {
            "policy": policy_source,
            "managed": list(managed),
            "findings": [
                {"level": level, "zone": zone, "message": message}
                for level, zone, message in findings
            ],
        }
    )


def plan_document(plan: StopPlan) -> dict[str, Any]:
    return {
        "kind": "stop",
        "deadline": plan.deadline,
        "reserve": plan.reserve,
        "budget": plan.budget,
        "parallel": plan.parallel,
        "pace": {
            decision.kind: decision.to_json()
            for decision in (plan.pace, plan.resume_pace)
            if decision is not None
        },
        "predicted_makespan": round(plan.predicted_makespan, 3),
        "fits": plan.fits,
        "zones": [
            {
                "zone": zone.name,
                "steps": [step.value for step in zone.steps],
                "timeouts": list(zone.timeouts),
                "memory": zone.memory,
                "expected": round(zone.expected, 3),
                "basis": zone.basis,
                "start": round(zone.start, 3),
                "waits_for": list(zone.waits_for),
                "order": zone.order,
                "note": zone.note,
                "at_risk": zone.at_risk,
                "suspend_if_fits": bool(zone.chain_if_fits),
            }
            for zone in plan.zones
        ],
        "skipped": [{"zone": item.name, "reason": item.reason} for item in plan.skipped],
    }


def plan_json(plan: StopPlan) -> str:
    return to_json(plan_document(plan))


def plan_text(plan: StopPlan) -> str:
    """The plan as an operator reads it before a maintenance window."""
    count = len(plan.zones)
    verdict = "fits" if plan.fits else "DOES NOT FIT"
    lines = [
        f"stop plan: {count} zone{'' if count == 1 else 's'}, {plan.parallel} at a time; "
        f"deadline {format_duration(plan.deadline)} with {format_duration(plan.reserve)} kept "
        f"for halts; expected {format_duration(plan.predicted_makespan)} ({verdict})"
    ]
    for label, decision in (("suspends", plan.pace), ("resumes", plan.resume_pace)):
        if decision is not None:
            lines.append(f"{label}: {decision.line()}")
    if plan.zones:
        header = ("#", "ZONE", "STEPS", "MEMORY", "EXPECTED", "START", "AFTER", "WHY")
        rows = [
            (
                str(index),
                zone.name,
                ">".join(
                    f"{step.value}:{format_duration(timeout)}"
                    for step, timeout in zip(zone.steps, zone.timeouts)
                ),
                format_size(zone.memory) if zone.memory else "-",
                format_duration(zone.expected),
                format_duration(zone.start),
                zone.order or ",".join(zone.waits_for) or "-",
                zone.note or zone.basis,
            )
            for index, zone in enumerate(plan.zones, 1)
        ]
        lines.append(_table(header, rows))
    for item in plan.skipped:
        lines.append(f"not touched: {item.name}: {item.reason}")
    return "\n".join(lines)


def stop_text(report: StopReport) -> str:
    lines = [
        f"{outcome.name}: {outcome.result.value}"
        + (
            f" in {format_duration(outcome.seconds)}"
            if outcome.result is not ZoneState.FAILED
            else ""
        )
        + (f" ({outcome.detail})" if outcome.detail else "")
        for outcome in report.outcomes
    ]
    lines.append(report.summary())
    return "\n".join(lines)

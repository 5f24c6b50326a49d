"""Is the guard armed, and what happened to each zone at the last shutdown and boot?
Pure: judges the journal document and what the shell read from the host.

``kzguard status`` exits 0 healthy, 1 when an error is recorded (a zone lost its
running state or failed), 2 when the guard is degraded (it might not act as
configured at the next shutdown).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kzguard.units import format_elapsed

HEALTHY = 0
ERROR = 1
DEGRADED = 2


@dataclass(frozen=True)
class ZoneRecord:
    last_shutdown: str = "-"
    last_boot: str = "-"


@dataclass(frozen=True)
class Health:
    armed: bool
    reasons: tuple[str, ...]  # why degraded; empty when armed and well
    errors: tuple[str, ...]  # recorded failures and lost states
    zones: Mapping[str, ZoneRecord] = field(default_factory=dict)
    pending: tuple[str, ...] = ()  # suspended by kzguard, resume still to come
    last_stop: str = ""
    last_start: str = ""

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
        return "guard: armed" + (f"; {len(self.errors)} error(s) recorded" if self.errors else "")


def assess(
    document: Mapping[str, Any] | None,
    *,
    policy_problems: Sequence[str],
    policy_in_force: str,
    journal_problem: str | None,
    host_boot_time: int | None,
) -> Health:
    """Judge the guard from the journal ``document`` (None when there is none)."""
    document = document or {}
    reasons: list[str] = []
    if policy_problems:
        reasons.append(
            f"the policy file is invalid ({len(policy_problems)} problem(s)); acting on "
            f"{policy_in_force} until it is fixed and refreshed"
        )
    if journal_problem:
        reasons.append(journal_problem)
    armed = _dict(document.get("armed"))
    is_armed = bool(armed) and not armed.get("disarmed")
    if not armed:
        reasons.append("never armed: the start method has not run (svcs -xv site/kzguard)")
    elif armed.get("disarmed"):
        reasons.append("disarmed: the service was stopped without a shutdown (svcadm enable it)")
    elif host_boot_time is not None and armed.get("host_boot_time") != host_boot_time:
        is_armed = False
        reasons.append("not armed since this boot: the start method has not run yet")
    cycle = _dict(document.get("cycle"))
    resume = _dict(document.get("resume"))
    records: dict[str, ZoneRecord] = {}
    errors: list[str] = []
    pending: list[str] = []
    for name, raw_zone in sorted(_dict(cycle.get("zones")).items()):
        zone = _dict(raw_zone)
        state = str(zone.get("state", "?"))
        text = state
        if isinstance(zone.get("seconds"), (int, float)):
            text += f" in {format_elapsed(float(zone['seconds']))}"
        if zone.get("reason"):
            text += f" ({zone['reason']})"
        records[name] = ZoneRecord(last_shutdown=text)
        if state in ("lost", "failed"):
            errors.append(f"{name}: {state} at the last shutdown")
        if state == "suspended" and not cycle.get("resumed_at"):
            pending.append(name)
    for name, raw_outcome in sorted(_dict(resume.get("zones")).items()):
        outcome = _dict(raw_outcome)
        text = str(outcome.get("result", "?"))
        if outcome.get("seconds"):
            text += f" in {format_elapsed(float(outcome['seconds']))}"
        if outcome.get("detail"):
            text += f" ({outcome['detail']})"
        records[name] = ZoneRecord(records.get(name, ZoneRecord()).last_shutdown, text)
        if outcome.get("severity") in ("lost", "error"):
            errors.append(f"{name}: {outcome.get('result')} at the last boot")
    if resume.get("bypassed"):
        errors.append(str(resume.get("note") or "the last shutdown bypassed kzguard"))
    return Health(
        armed=is_armed,
        reasons=tuple(reasons),
        errors=tuple(errors),
        zones=records,
        pending=tuple(pending),
        last_stop=str(cycle.get("summary", "")),
        last_start=str(resume.get("summary", "")),
    )


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}

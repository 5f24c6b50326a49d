# Copyright: kzguard contributors
# License: CDDL-1.0
"""Filters of kzguard.fleet: the fleet report of the rolling reboot.

``kzguard_fleet_report`` turns what the playbook recorded per host (the fact
``kzguard_rolling_result``: how far the host got, the problems found, and the
``last_cycle`` of ``kzguard status --json`` after its reboot) into one document;
``kzguard_fleet_table`` prints it as a table.  Pure: they run on the controller,
read nothing and run nothing.
"""

from __future__ import annotations

from typing import Any

REPORT_FORMAT = 1

PRESERVED = "preserved"
BOOTED = "booted"
LOST = "lost"
FAILED = "failed"
REFUSED = "refused"
NOT_REBOOTED = "not rebooted"
NOT_REACHED = "not reached"
# The verdicts of kzguard status --json's last_cycle that count as a zone kept as
# its policy asks; every other verdict (lost, failed, left-alone, pending) does not.
KEPT = (PRESERVED, BOOTED)
COUNTED = (PRESERVED, BOOTED, LOST, FAILED)


def _seconds(value: Any) -> float | None:
    return round(float(value), 3) if isinstance(value, (int, float)) else None


def format_seconds(value: float | None) -> str:
    """``3.5s``, ``2m05s``, ``1h02m``; ``-`` for none."""
    if value is None:
        return "-"
    if round(value, 1) < 60:
        return f"{value:.1f}s"
    minutes, seconds = divmod(round(value), 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def _zones(cycle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    zones = cycle.get("zones") or {}
    return {
        name: {
            "verdict": zone.get("verdict"),
            "result": zone.get("result"),
            "proof": zone.get("proof"),
            "suspend_seconds": _seconds(zone.get("suspend_seconds")),
            "resume_seconds": _seconds(zone.get("resume_seconds")),
            "downtime_seconds": _seconds(zone.get("downtime_seconds")),
        }
        for name, zone in sorted(zones.items())
    }


def _outcome(result: dict[str, Any], zones: dict[str, dict[str, Any]]) -> str:
    stage = result.get("stage")
    problems = result.get("problems") or []
    if stage == "pre-flight":
        return REFUSED if problems else NOT_REBOOTED
    verdicts = [zone["verdict"] for zone in zones.values()]
    if LOST in verdicts:
        return LOST
    if problems or any(verdict not in KEPT for verdict in verdicts):
        return FAILED
    return PRESERVED


def host_report(host: str, result: dict[str, Any] | None) -> dict[str, Any]:
    """One host's line of the report: its outcome, the zones by verdict, the
    downtimes, and the problems that stopped it."""
    if not result:
        return {
            "host": host,
            "outcome": NOT_REACHED,
            "stage": None,
            "rebooted": False,
            "problems": [],
            "zones": {},
        }
    cycle = result.get("cycle") or {}
    zones = _zones(cycle) if result.get("stage") != "pre-flight" else {}
    downtimes = [z["downtime_seconds"] for z in zones.values() if z["downtime_seconds"] is not None]
    started, finished = cycle.get("stop_started"), cycle.get("start_finished")
    report = {
        "host": host,
        "outcome": _outcome(result, zones),
        "stage": result.get("stage"),
        # kzguard reboot ran (the role's rebooted; a report from before it: the stage).
        "rebooted": bool(result.get("rebooted", result.get("stage") == "reboot")),
        "problems": list(result.get("problems") or []),
        "cycle_id": cycle.get("id") if zones else None,
        "cycle_seconds": _seconds(finished - started)
        if zones and isinstance(started, (int, float)) and isinstance(finished, (int, float))
        else None,
        "downtime_total_seconds": _seconds(sum(downtimes)) if downtimes else None,
        "downtime_max_seconds": _seconds(max(downtimes)) if downtimes else None,
        "orchestration_seconds": _seconds(result.get("orchestration_seconds")),
        "zones": zones,
    }
    verdicts = [zone["verdict"] for zone in zones.values()]
    for verdict in COUNTED:
        report[verdict] = sorted(name for name, z in zones.items() if z["verdict"] == verdict)
    report["other"] = sorted(name for name, z in zones.items() if z["verdict"] not in COUNTED)
    report["zone_count"] = len(verdicts)
    return report


def _result(hostvars: Any, host: str) -> dict[str, Any] | None:
    """``hostvars[host].kzguard_rolling_result``, or None when the host has none."""
    variables = hostvars.get(host) if hasattr(hostvars, "get") else None
    if variables is None or "kzguard_rolling_result" not in variables:
        return None
    return dict(variables["kzguard_rolling_result"])


def kzguard_fleet_report(hostvars: Any, hosts: list[str]) -> dict[str, Any]:
    """The fleet report: ``hosts`` in play order, each from its
    ``kzguard_rolling_result`` in ``hostvars`` (or nothing when the rollout never
    reached it)."""
    lines = [host_report(host, _result(hostvars, host)) for host in hosts]
    troubled = [line["host"] for line in lines if line["outcome"] in (LOST, FAILED, REFUSED)]
    # They stopped the rollout only where it left hosts behind: a max_fail_percentage
    # above 0 lets the batches go on past them.
    stopped = any(line["outcome"] in (NOT_REACHED, NOT_REBOOTED) for line in lines)
    return {
        "format": REPORT_FORMAT,
        "complete": all(line["outcome"] == PRESERVED for line in lines),
        "stopped_by": troubled if stopped else [],
        "problem_hosts": troubled,
        "totals": {
            "hosts": len(lines),
            "rebooted": sum(1 for line in lines if line["rebooted"]),
            "not_reached": sum(1 for line in lines if line["outcome"] == NOT_REACHED),
            "zones_preserved": sum(len(line.get(PRESERVED, [])) for line in lines),
            "zones_booted": sum(len(line.get(BOOTED, [])) for line in lines),
            "zones_lost": sum(len(line.get(LOST, [])) for line in lines),
            "zones_failed": sum(len(line.get(FAILED, [])) for line in lines),
        },
        "hosts": lines,
    }


def _zone_cell(name: str, zone: dict[str, Any]) -> str:
    if zone["verdict"] in KEPT:
        return "{} {}".format(name, format_seconds(zone["downtime_seconds"]))
    return "{} {}".format(name, zone["verdict"].upper())


def kzguard_fleet_table(report: dict[str, Any]) -> str:
    """The report as a table, one line per host, then the problems per host and a
    closing line: the rollout complete, or which host stopped it."""
    header = (
        "HOST",
        "OUTCOME",
        "PRESERVED",
        "LOST",
        "FAILED",
        "CYCLE",
        "DOWNTIME",
        "ZONE DOWNTIME",
    )
    rows = [header]
    for line in report["hosts"]:
        counted = line["outcome"] not in (NOT_REACHED, REFUSED, NOT_REBOOTED)
        rows.append(
            (
                line["host"],
                line["outcome"],
                str(len(line.get(PRESERVED, []))) if counted else "-",
                str(len(line.get(LOST, []))) if counted else "-",
                str(len(line.get(FAILED, []))) if counted else "-",
                format_seconds(line.get("cycle_seconds")),
                format_seconds(line.get("downtime_total_seconds")),
                ", ".join(_zone_cell(n, z) for n, z in line["zones"].items()) or "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    text = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    for line in report["hosts"]:
        text += ["{}: {}".format(line["host"], problem) for problem in line["problems"]]
    totals = report["totals"]
    summary = (
        f"{totals['hosts']} host(s): {totals['rebooted']} rebooted, "
        f"{totals['not_reached']} not reached; zones: {totals['zones_preserved']} preserved, "
        f"{totals['zones_lost']} lost, {totals['zones_failed']} failed"
    )
    if report["stopped_by"]:
        summary += "; rollout stopped by {}".format(", ".join(report["stopped_by"]))
    elif report.get("problem_hosts"):
        summary += "; rollout went on past {}".format(", ".join(report["problem_hosts"]))
    elif report["complete"]:
        summary += "; rollout complete"
    text.append(summary)
    return "\n".join(text)


class FilterModule:
    """kzguard.fleet's filters."""

    def filters(self) -> dict[str, Any]:
        return {
            "kzguard_fleet_report": kzguard_fleet_report,
            "kzguard_fleet_table": kzguard_fleet_table,
        }

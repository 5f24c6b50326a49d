"""Rules between settings of different tables: the step timeouts of every zone must
fit in shutdown.deadline, readiness timeouts in resume.deadline; ``after`` names
other zone tables without a cycle; a zone with a table is not also excluded.
Pure: no I/O.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any

from kzguard.policy.cycles import dependency_cycles
from kzguard.policy.inheritance import Setting, from_defaults
from kzguard.policy.model import Action, Readiness
from kzguard.policy.report import Report
from kzguard.policy.show import KeyPath, did_you_mean
from kzguard.policy.tables import Table
from kzguard.policy.values import zone_name_problem
from kzguard.text import quote
from kzguard.units import format_duration

# Enough to show what is wrong; a pathological graph can hold thousands of cycles.
MAX_CYCLES_REPORTED = 20
# A cycle longer than this is shown by its first zones, its length and its start.
MAX_CYCLE_ZONES_SHOWN = 8


def timeout_terms(settings: Mapping[str, Setting]) -> tuple[tuple[str, float], ...] | None:
    """Return the steps' (timeout name, seconds), None if not checkable or ignored."""
    action = settings["action"]
    fallback = settings["fallback"]
    if not (action.sound and fallback.sound) or action.value is Action.IGNORE:
        return None
    terms = []
    for step in (action.value, *fallback.value):
        name = f"{step.value}_timeout"
        if not settings[name].sound:
            return None
        terms.append((name, float(settings[name].value)))
    return tuple(terms)


def check_budget(
    report: Report,
    path: KeyPath,
    terms: tuple[tuple[str, float], ...],
    deadline: float,
    *,
    built_in: bool = False,
) -> None:
    """Check that the step timeouts ``terms`` fit in the shutdown deadline.

    ``built_in``: the terms are the built-in [defaults], which the file does not
    have; ``path`` is then shutdown.deadline, the setting that made them not fit.
    """
    total = sum(seconds for _, seconds in terms)
    # A millisecond of slack absorbs float sums such as 0.1 + 0.2.
    if total <= deadline + 0.001:
        return
    steps = " + ".join(f"{name} {format_duration(seconds)}" for name, seconds in terms)
    if len(terms) > 1:
        steps += f" = {format_duration(total)}"
    plural = "s" if len(terms) > 1 else ""
    if built_in:
        report.add(
            path,
            f"the built-in [defaults] {steps} does not fit in {format_duration(deadline)}; "
            f"raise the deadline or set shorter timeout{plural} in [defaults]",
        )
        return
    report.add(
        path,
        f"{steps} does not fit in shutdown.deadline {format_duration(deadline)}; "
        f"raise the deadline or shorten the timeout{plural}",
    )


def check_readiness_timeout(
    report: Report, path: KeyPath, setting: Setting, deadline: float
) -> None:
    if setting.value > deadline:
        report.add(
            (*path, "readiness_timeout"),
            f"{format_duration(setting.value)}{from_defaults(setting)} is longer than "
            f"resume.deadline {format_duration(deadline)}; shorten readiness_timeout or "
            "raise resume.deadline",
        )


def _valid_entries(value: Any) -> list[tuple[int, str]]:
    """Return the (index, name) of the ``after`` entries that passed their own checks.

    Checked here again because one bad entry makes the whole array invalid, while
    the good entries still deserve their cross-checks in the same run.
    """
    entries: list[tuple[int, str]] = []
    if not isinstance(value, (list, tuple)):
        return entries
    seen = set()
    for index, entry in enumerate(value):
        if isinstance(entry, str) and zone_name_problem(entry) is None and entry not in seen:
            seen.add(entry)
            entries.append((index, entry))
    return entries


def check_after(report: Report, zones: Mapping[str, Table]) -> None:
    """Check that ``after`` entries name other zone tables, without cycles."""
    graph: dict[str, list[str]] = {}
    for name, zone in zones.items():
        graph[name] = []
        for index, other in _valid_entries(zone.raw.get("after")):
            path = ("zone", name, "after", index)
            if other == name:
                report.add(path, "a zone cannot come after itself")
            elif other not in zones:
                report.add(path, f'unknown zone "{other}"{did_you_mean(other, zones)}')
            else:
                graph[name].append(other)
    cycles = dependency_cycles(graph, MAX_CYCLES_REPORTED + 1)
    for cycle in cycles[:MAX_CYCLES_REPORTED]:
        if len(cycle) > MAX_CYCLE_ZONES_SHOWN:
            hidden = len(cycle) - MAX_CYCLE_ZONES_SHOWN
            members = (*cycle[:MAX_CYCLE_ZONES_SHOWN], f"... ({hidden} more zones)", cycle[0])
        else:
            members = (*cycle, cycle[0])
        report.add(("zone", cycle[0], "after"), f"dependency cycle {' -> '.join(members)}")
    if len(cycles) > MAX_CYCLES_REPORTED:
        report.add(
            ("zone",),
            f"more than {MAX_CYCLES_REPORTED} dependency cycles; only the first "
            f"{MAX_CYCLES_REPORTED} are listed",
        )


def check_excluded(report: Report, select: Table, zones: Mapping[str, Table]) -> None:
    patterns: tuple[str, ...] = select.values.get("exclude", ())
    for name in zones:
        for index, pattern in enumerate(patterns):
            if fnmatch.fnmatchcase(name, pattern):
                report.add(
                    ("zone", name),
                    f"also excluded by select.exclude[{index}] {quote(pattern)}; "
                    "remove one of them",
                )
                break


def check_budgets(
    report: Report,
    deadline: float,
    defaults: Mapping[str, Setting],
    zones: Mapping[str, Mapping[str, Setting]],
    *,
    defaults_written: bool,
) -> None:
    """Check that each zone's step timeouts fit in shutdown.deadline: [defaults] once,
    then every zone whose steps differ from it.  ``defaults_written``: the file has
    a [defaults] table (else the built-in defaults are meant)."""
    defaults_budget = timeout_terms(defaults)
    if defaults_budget is not None and defaults_written:
        check_budget(report, ("defaults",), defaults_budget, deadline)
    elif defaults_budget is not None:
        # No [defaults] line to point at: point at the deadline that was set.
        path = ("shutdown", "deadline")
        check_budget(report, path, defaults_budget, deadline, built_in=True)
    for name, settings in zones.items():
        terms = timeout_terms(settings)
        if terms is not None and terms != defaults_budget:
            check_budget(report, ("zone", name), terms, deadline)


def check_readiness_timeouts(
    report: Report,
    deadline: float,
    defaults: Mapping[str, Setting],
    zones: Mapping[str, Mapping[str, Setting]],
    *,
    defaults_table: Table,
    zone_tables: Mapping[str, Table],
) -> None:
    """Check that readiness timeouts fit in resume.deadline."""
    timeout = defaults["readiness_timeout"]
    # readiness_timeout matters where readiness is used; an explicit one is
    # checked anyway, since zones that turn readiness on inherit it.
    defaults_checked = timeout.sound and (
        "readiness_timeout" in defaults_table.values
        or defaults["readiness"].value is not Readiness.NONE
    )
    if defaults_checked:
        check_readiness_timeout(report, ("defaults",), timeout, deadline)
    for name, settings in zones.items():
        timeout = settings["readiness_timeout"]
        given = "readiness_timeout" in zone_tables[name].values
        used = settings["readiness"].value is not Readiness.NONE
        if timeout.sound and (given or (used and not defaults_checked)):
            check_readiness_timeout(report, ("zone", name), timeout, deadline)

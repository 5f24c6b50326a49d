"""Policy text and TOML tables -> :class:`~kzguard.policy.model.Policy`, or every problem found.

The entry point of the policy checks.  :mod:`kzguard.policy.file` reads the bytes,
then calls :func:`~kzguard.policy.toml.decode_utf8` and :func:`policy_from_text`,
which is :func:`~kzguard.policy.toml.decode_toml` then :func:`parse_policy`.

Validation never stops at the first problem: every table is read
(:mod:`~kzguard.policy.tables`), every value checked (:mod:`~kzguard.policy.values`),
zone settings inherited (:mod:`~kzguard.policy.inheritance`), then the rules between
tables run on the values that were valid (:mod:`~kzguard.policy.rules`), and one
:class:`~kzguard.errors.PolicyError` lists everything, sorted by line then key path.
A problem is addressed by its dotted key path (``zone.db1.fallback[1]``); the line
comes from :func:`kzguard.policy.syntax.key_lines`, because tomllib keeps no
positions.  Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kzguard.errors import PolicyError, Problem
from kzguard.policy.inheritance import defaults_settings, policy_of, zone_settings
from kzguard.policy.model import (
    Commands,
    Paths,
    Policy,
    ResumePolicy,
    Selection,
    ShutdownPolicy,
)
from kzguard.policy.report import Report
from kzguard.policy.rules import (
    check_after,
    check_budgets,
    check_excluded,
    check_readiness_timeouts,
)
from kzguard.policy.syntax import key_lines
from kzguard.policy.tables import TABLES, Table, read_table, read_zones, unknown_key_message
from kzguard.policy.toml import decode_toml


def policy_from_text(text: str, *, source: str) -> Policy:
    """Return the policy written in the TOML ``text``; raise PolicyError if it is invalid.

    An empty file (or one of only blank lines) is refused rather than taken as the
    built-in defaults: it is what an interrupted save or a full file system leaves,
    and the methods then keep the last known good policy instead of managing every
    kernel zone by default.  A file of comments is the way to ask for the defaults.
    """
    if not text.strip():
        what = "is empty" if not text else "holds only white space"
        raise PolicyError(
            source,
            [
                Problem(
                    "",
                    f"the policy file {what}, as an interrupted save may leave it; restore "
                    'it, or to use the built-in defaults write a comment such as "# defaults"',
                )
            ],
        )
    return parse_policy(decode_toml(text, source=source), source=source, text=text)


def parse_policy(data: Mapping[str, Any], *, source: str, text: str = "") -> Policy:
    """Return the policy described by the decoded TOML tables ``data``.

    ``text`` is the TOML text ``data`` came from; it is only used to give each
    problem its line.

    Raises:
        PolicyError: every problem found, sorted by line then key path.
    """
    report = Report(key_lines(text))
    for key in data:
        if key not in TABLES:
            report.add((key,), unknown_key_message(key, list(TABLES), "the top level"))

    def table(name: str) -> Table:
        return read_table(report, (name,), data.get(name), TABLES[name], f"[{name}]")

    shutdown = table("shutdown")
    resume = table("resume")
    select = table("select")
    commands = table("commands")
    paths = table("paths")
    defaults_table = table("defaults")
    defaults = defaults_settings(report, defaults_table)
    zone_tables = read_zones(report, data.get("zone"))
    zones = {
        name: zone_settings(report, zone_table, defaults)
        for name, zone_table in zone_tables.items()
    }
    check_after(report, zone_tables)
    check_excluded(report, select, zone_tables)

    if shutdown.sound("deadline"):
        deadline = shutdown.values.get("deadline", ShutdownPolicy.deadline)
        check_budgets(report, deadline, defaults, zones, defaults_written="defaults" in data)
    if resume.sound("deadline"):
        deadline = resume.values.get("deadline", ResumePolicy.deadline)
        check_readiness_timeouts(
            report,
            deadline,
            defaults,
            zones,
            defaults_table=defaults_table,
            zone_tables=zone_tables,
        )

    problems = report.problems()
    if problems:
        raise PolicyError(source, problems)
    return Policy(
        source=source,
        shutdown=ShutdownPolicy(**shutdown.values),
        resume=ResumePolicy(**resume.values),
        select=Selection(**select.values),
        defaults=policy_of(defaults),
        zones={
            name: policy_of(settings, zone_tables[name].values.get("after", ()))
            for name, settings in zones.items()
        },
        commands=Commands(**commands.values),
        paths=Paths(**paths.values),
    )

"""The policy's tables and their keys: one reader per TOML table ([shutdown],
[resume], [select], [defaults], [zone.NAME], [commands], [paths]), each key with the
check of its value, and the "unknown key" messages.  Pure: no I/O.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from kzguard.policy.model import Action, Commands, Readiness, ResumeFailure
from kzguard.policy.report import Report
from kzguard.policy.show import KeyPath, describe, did_you_mean, format_key
from kzguard.policy.values import (
    Check,
    absolute_path,
    array,
    boolean,
    boot_arg,
    choice,
    concurrency,
    console_path,
    duration,
    fallback_step,
    rate,
    readiness_command,
    zone_glob,
    zone_name_problem,
    zone_ref,
)
from kzguard.text import quote

MIN_DEADLINE = 10.0
MAX_DEADLINE = 24 * 3600.0
MAX_STAGGER = 600.0
MAX_PARALLEL = 256

# The schema: one table of checks per TOML table.  A test keeps these keys equal to
# the dataclass fields of kzguard.policy.model.

SHUTDOWN_KEYS: Mapping[str, Check] = {
    "deadline": duration(MIN_DEADLINE, MAX_DEADLINE),
    "parallel": concurrency(MAX_PARALLEL),
    "assumed_rate": rate,
    "act_on_service_stop": boolean,
}
RESUME_KEYS: Mapping[str, Check] = {
    "deadline": duration(MIN_DEADLINE, MAX_DEADLINE),
    "parallel": concurrency(MAX_PARALLEL),
    "stagger": duration(0.0, MAX_STAGGER),
    "verify": boolean,
    "on_failure": choice(ResumeFailure, list(ResumeFailure)),
    "fresh_boot_args": array(boot_arg),
    "boot_lost": boolean,
}
SELECT_KEYS: Mapping[str, Check] = {
    "auto": boolean,
    "include": array(zone_glob, unique=True),
    "exclude": array(zone_glob, unique=True),
}
DEFAULTS_KEYS: Mapping[str, Check] = {
    "action": choice(Action, list(Action)),
    "fallback": array(fallback_step),
    "suspend_timeout": duration(0.0, MAX_DEADLINE, above=True),
    "shutdown_timeout": duration(0.0, MAX_DEADLINE, above=True),
    "halt_timeout": duration(0.0, MAX_DEADLINE, above=True),
    "resume": boolean,
    "readiness": choice(Readiness, list(Readiness)),
    "readiness_command": readiness_command,
    "readiness_timeout": duration(0.0, MAX_DEADLINE, above=True),
}
ZONE_KEYS: Mapping[str, Check] = {**DEFAULTS_KEYS, "after": array(zone_ref, unique=True)}
COMMANDS_KEYS: Mapping[str, Check] = {
    field.name: absolute_path for field in dataclasses.fields(Commands)
}
PATHS_KEYS: Mapping[str, Check] = {"state_dir": absolute_path, "console": console_path}

TABLES: Mapping[str, Mapping[str, Check]] = {
    "shutdown": SHUTDOWN_KEYS,
    "resume": RESUME_KEYS,
    "select": SELECT_KEYS,
    "defaults": DEFAULTS_KEYS,
    "zone": {},  # a table of zone tables, checked on its own
    "commands": COMMANDS_KEYS,
    "paths": PATHS_KEYS,
}
# Where a key belongs, for "unknown key" messages: `stagger` in [shutdown] is a
# misplaced key, not a misspelled one.
_HOMES: Sequence[tuple[str, Mapping[str, Check]]] = (
    ("[shutdown]", SHUTDOWN_KEYS),
    ("[resume]", RESUME_KEYS),
    ("[select]", SELECT_KEYS),
    ("[defaults]", DEFAULTS_KEYS),
    ("[zone.NAME]", ZONE_KEYS),
    ("[commands]", COMMANDS_KEYS),
    ("[paths]", PATHS_KEYS),
)


def unknown_key_message(key: str, valid: Sequence[str], label: str) -> str:
    homes = [home for home, keys in _HOMES if key in keys and home != label]
    if homes:
        return f"unknown key; {quote(key)} belongs in {' or '.join(homes)}"
    suggestion = did_you_mean(key, valid)
    if suggestion:
        return f"unknown key{suggestion}"
    return f"unknown key; valid keys are {', '.join(sorted(valid))}"


@dataclasses.dataclass
class Table:
    """The checked values of one TOML table."""

    path: KeyPath
    is_table: bool = True
    values: dict[str, Any] = dataclasses.field(default_factory=dict)
    invalid: set[str] = dataclasses.field(default_factory=set)
    raw: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def sound(self, key: str) -> bool:
        """Return True unless the table is broken or sets ``key`` to an invalid value."""
        return self.is_table and key not in self.invalid


def read_table(
    report: Report, path: KeyPath, value: Any, keys: Mapping[str, Check], label: str
) -> Table:
    if value is None:
        return Table(path)
    if not isinstance(value, Mapping):
        if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            header = format_key(path)
            message = (
                f"expected a table, got an array of tables; write [{header}], not [[{header}]]"
            )
        else:
            message = f"expected a table, got {describe(value)}"
        report.add(path, message)
        return Table(path, is_table=False)
    table = Table(path, raw=value)
    for key, raw in value.items():
        check = keys.get(key)
        if check is None:
            report.add((*path, key), unknown_key_message(key, list(keys), label))
            continue
        checked = check(report, (*path, key), raw)
        if checked is None:
            table.invalid.add(key)
        else:
            table.values[key] = checked
    return table


def read_zones(report: Report, value: Any) -> dict[str, Table]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        report.add(("zone",), f"expected a table of [zone.NAME] tables, got {describe(value)}")
        return {}
    zones = {}
    for name, table in value.items():
        path = ("zone", name)
        problem = zone_name_problem(name)
        if problem is not None:
            report.add(path, problem)
        zone = read_table(report, path, table, ZONE_KEYS, "[zone.NAME]")
        if problem is None and zone.is_table:
            zones[name] = zone
    return zones

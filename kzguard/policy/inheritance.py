"""Zone settings: each [zone.NAME] key taken from the zone's table or inherited from
[defaults] (or the built-in defaults), and the rules between a table's own keys:
the fallback chain after the action, readiness and its command.

A setting remembers whether an invalid value stands behind it (``sound``), so that
a rule comparing settings never reports a second problem about one already
reported.  Pure: no I/O.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kzguard.policy.model import STEP_ORDER, Action, Readiness, ZonePolicy
from kzguard.policy.report import Report
from kzguard.policy.show import KeyPath
from kzguard.policy.tables import DEFAULTS_KEYS, Table

_BASE = ZonePolicy()


@dataclasses.dataclass(frozen=True)
class Setting:
    value: Any
    sound: bool = True  # False when an invalid value (reported) stands behind it
    inherited: bool = False  # taken from [defaults]


def _rank(action: Action) -> int:
    return STEP_ORDER.index(action)


def later_steps(chain: Iterable[Action], action: Action) -> tuple[Action, ...]:
    """Return the steps of ``chain`` that may follow ``action`` (all if it is ignore)."""
    if action not in STEP_ORDER:
        return tuple(chain)
    return tuple(step for step in chain if _rank(step) > _rank(action))


def from_defaults(setting: Setting) -> str:
    return " (from [defaults])" if setting.inherited else ""


def check_chain(report: Report, path: KeyPath, action: Setting, chain: Sequence[Action]) -> bool:
    """Check that each fallback step is new and weaker than the step before it."""
    previous: Action | None = None
    shown_previous = ""
    if action.sound and action.value in STEP_ORDER:
        previous = action.value
        shown_previous = f'action "{action.value.value}"{from_defaults(action)}'
    sound = True
    seen: set[Action] = set()
    for index, step in enumerate(chain):
        if step in seen:
            problem = f'duplicate "{step.value}"'
        elif previous is not None and _rank(step) <= _rank(previous):
            problem = (
                f'"{step.value}" cannot follow {shown_previous}; '
                "a fallback must be weaker (suspend > shutdown > halt)"
            )
        else:
            problem = ""
            previous, shown_previous = step, f'"{step.value}"'
        seen.add(step)
        if problem:
            report.add((*path, index), problem)
            sound = False
    return sound


def defaults_settings(report: Report, table: Table) -> dict[str, Setting]:
    settings = {}
    for key in DEFAULTS_KEYS:
        if key in table.values:
            settings[key] = Setting(table.values[key])
        else:
            settings[key] = Setting(getattr(_BASE, key), sound=table.sound(key))
    action = settings["action"]
    fallback_path = (*table.path, "fallback")
    if "fallback" in table.values:
        chain = table.values["fallback"]
        # With action "ignore", [defaults] fallback is still the chain that zones
        # setting their own action inherit, so it is checked on its own order.
        sound = check_chain(report, fallback_path, action, chain)
        settings["fallback"] = Setting(chain, sound=sound and action.sound)
    elif table.sound("fallback"):
        chain = later_steps(_BASE.fallback, action.value)
        settings["fallback"] = Setting(chain, sound=action.sound)
    check_readiness(report, table, settings)
    return settings


def zone_settings(
    report: Report, table: Table, defaults: Mapping[str, Setting]
) -> dict[str, Setting]:
    settings = {}
    for key in DEFAULTS_KEYS:
        if key in table.values:
            settings[key] = Setting(table.values[key])
        elif key in table.invalid:
            settings[key] = Setting(defaults[key].value, sound=False)
        else:
            settings[key] = dataclasses.replace(defaults[key], inherited=True)
    action = settings["action"]
    fallback_path = (*table.path, "fallback")
    if "fallback" in table.values:
        chain = table.values["fallback"]
        if action.value is Action.IGNORE:
            report.add(
                fallback_path,
                f'has no effect with action "ignore"{from_defaults(action)}; remove it',
            )
            sound = False
        else:
            sound = check_chain(report, fallback_path, action, chain)
        settings["fallback"] = Setting(chain, sound=sound and action.sound)
    elif "action" in table.values:
        inherited = defaults["fallback"]
        chain = later_steps(inherited.value, action.value)
        settings["fallback"] = Setting(chain, sound=inherited.sound and table.sound("fallback"))
    if action.value is Action.IGNORE:
        settings["fallback"] = dataclasses.replace(settings["fallback"], value=())
    check_readiness(report, table, settings)
    return settings


def check_readiness(report: Report, table: Table, settings: dict[str, Setting]) -> None:
    readiness = settings["readiness"]
    command = settings["readiness_command"]
    if (
        "readiness_command" in table.values
        and readiness.value is not Readiness.COMMAND
        and readiness.sound
    ):
        report.add(
            (*table.path, "readiness_command"),
            f'only used with readiness = "command", but readiness is '
            f'"{readiness.value.value}"{from_defaults(readiness)}',
        )
    if (
        readiness.value is Readiness.COMMAND
        and "readiness" in table.values
        and command.value is None
        and command.sound
    ):
        report.add((*table.path, "readiness"), 'readiness = "command" needs a readiness_command')
    if readiness.value is not Readiness.COMMAND:
        # An inherited command goes with an inherited readiness = "command" only.
        settings["readiness_command"] = dataclasses.replace(command, value=None)


def policy_of(settings: Mapping[str, Setting], after: tuple[str, ...] = ()) -> ZonePolicy:
    return ZonePolicy(**{key: setting.value for key, setting in settings.items()}, after=after)

"""``kzguard check``: the policy cross-checked against the live host.  Pure.

The shell gathers the facts (zones, configurations, free space); this module only
judges them, so every finding and its exact wording is unit-tested.
"""

from __future__ import annotations

import enum
import math
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from kzguard.errors import EXIT_OK, EXIT_USAGE, EXIT_WARNINGS
from kzguard.journal.configs import ConfigRecord
from kzguard.journal.history import PastRun
from kzguard.model import (
    AUX_PANICKED,
    KERNEL_ZONE_BRAND,
    RUNNING,
    FileSystemSpace,
    SuspendResource,
    Zone,
    ZoneConfig,
)
from kzguard.policy.model import Action, Commands, ZonePolicy
from kzguard.policy.order import order_conflicts
from kzguard.policy.selection import Decision
from kzguard.solaris.argv import KZGUARD_INSTANCE, zone_instance
from kzguard.solaris.protection import FIX_COMMAND, Protection
from kzguard.stop.plan import host_rate, predict_suspend, suspend_given_up
from kzguard.units import format_duration, format_size

MIB = 1 << 20


class Level(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True)
class Finding:
    level: Level
    zone: str
    message: str

    def render(self) -> str:
        return f"{self.level.value}: {self.zone}: {self.message}"


def exit_status(findings: Sequence[Finding]) -> int:
    """0 clean (notes allowed), 1 warnings only, 2 errors."""
    levels = {finding.level for finding in findings}
    if Level.ERROR in levels:
        return EXIT_USAGE
    if Level.WARNING in levels:
        return EXIT_WARNINGS
    return EXIT_OK


def check(
    decisions: Sequence[Decision],
    missing: Sequence[str],
    space: Mapping[str, FileSystemSpace | str],
    instances: Mapping[str, bool] | None = None,
    protection: Protection | None = None,
    *,
    assumed_rate: int | None = None,
    history: Mapping[str, Sequence[PastRun]] | None = None,
    unusable_commands: Mapping[str, tuple[str, str]] | None = None,
    recorded: ConfigRecord | None = None,
) -> list[Finding]:
    """Judge the host.  ``space`` maps a zone name to the df answer for its suspend
    path, or to the error text when df failed; ``instances`` says whether each
    managed zone has its SMF instance svc:/system/zones/zone:NAME; ``protection``
    which of them kzguard's instance holds at shutdown (None: kzguard's instance is
    not in the SMF repository); ``assumed_rate``: shutdown.assumed_rate, by which the
    plan predicts the suspends that ``history`` (history.json's past suspends, per
    zone) says nothing of;
    ``unusable_commands``: per key of [commands] (COMMAND_ROLES), its path and why
    it cannot be run; ``recorded``: configs.json, which the stop plans from while
    the zone files keep their stamps (journal/configs.py)."""
    findings = [
        Finding(
            Level.WARNING,
            name,
            f"[zone.{name}] names a zone that is not configured on this host; kzguard will skip it",
        )
        for name in missing
    ]
    for decision in decisions:
        findings.extend(_check_zone(decision, space))
    findings.extend(_check_shared_space(decisions, space))
    if assumed_rate:
        findings.extend(_check_assumed_rate(decisions, assumed_rate, history or {}))
    findings.extend(_check_given_up(decisions, history or {}))
    findings.extend(_check_order(decisions))
    findings.extend(_check_instances(instances or {}, protection))
    findings.extend(_check_commands(unusable_commands or {}))
    if recorded is not None:
        findings.extend(_check_recorded(recorded, [decision.zone for decision in decisions]))
    order = {Level.ERROR: 0, Level.WARNING: 1, Level.NOTE: 2}
    return sorted(findings, key=lambda finding: (finding.zone, order[finding.level]))


def _check_zone(decision: Decision, space: Mapping[str, FileSystemSpace | str]) -> list[Finding]:
    zone = decision.zone
    name = zone.name
    config = zone.config
    findings: list[Finding] = []
    settings = decision.settings
    # A managed decision always carries its settings (selection.Decision).
    if not decision.managed or settings is None:
        if zone.brand == KERNEL_ZONE_BRAND and zone.state == RUNNING:
            autoshutdown = (config.autoshutdown if config else None) or "shutdown"
            if autoshutdown != "suspend":
                findings.append(
                    Finding(
                        Level.NOTE,
                        name,
                        f"not managed ({decision.reason}); at shutdown the zones service "
                        f"applies autoshutdown={autoshutdown} and its running state is lost",
                    )
                )
        return findings
    if zone.state == RUNNING and AUX_PANICKED in zone.aux_states:
        # stop/plan.py gives it only a halt (docs/solaris.md 1.2).
        findings.append(
            Finding(
                Level.WARNING,
                name,
                "has panicked: its running state is already lost, and the next shutdown "
                f"halts it; see its console (zlogin -C {name})",
            )
        )
    if Action.SUSPEND in settings.steps:
        if zone.brand != KERNEL_ZONE_BRAND:
            findings.append(
                Finding(
                    Level.ERROR,
                    name,
                    f"cannot be suspended: brand {zone.brand} (only solaris-kz zones can); "
                    f'set action = "shutdown" in [zone.{name}]',
                )
            )
            return findings
        # not config.has_suspend, spelled out so that the type checker sees the resource
        if config is None or config.suspend is None or not config.suspend.configured:
            findings.append(
                Finding(
                    Level.ERROR,
                    name,
                    "has no suspend resource, so its suspend will fail and it falls back to "
                    f"{_describe_fallback(settings.fallback)}; add one with "
                    f"zonecfg -z {name} (add suspend; set path=/system/zones/{name}/suspend; end)",
                )
            )
        else:
            findings.extend(_check_image_target(name, config, config.suspend, space))
    if config is not None:
        findings.extend(_check_zonecfg_interplay(name, config, settings))
    return findings


def _check_order(decisions: Sequence[Decision]) -> list[Finding]:
    """Where the policy's ``after`` and the zones' own 11.4 boot ordering (zonecfg
    smf-dependency, boot-priority; docs/solaris.md 2.3) disagree: kzguard follows
    the policy, svc.zones and the operator reading zonecfg expect zonecfg's order."""
    after_of: dict[str, tuple[str, ...]] = {}
    configs: dict[str, ZoneConfig | None] = {}
    for decision in decisions:
        if decision.managed and decision.settings is not None:
            after_of[decision.zone.name] = decision.settings.after
            configs[decision.zone.name] = decision.zone.config
    return [
        Finding(
            Level.WARNING if conflict.contradiction else Level.NOTE, conflict.zone, conflict.message
        )
        for conflict in order_conflicts(after_of, configs)
    ]


def _suspends_first(
    decisions: Sequence[Decision],
) -> Iterator[tuple[Decision, ZonePolicy, int | None]]:
    """The managed zones whose chain begins with a suspend and falls back after it,
    with their settings and memory (None: not configured)."""
    for decision in decisions:
        settings, config = decision.settings, decision.zone.config
        if not decision.managed or settings is None or len(settings.steps) == 1:
            continue
        if settings.steps[0] is Action.SUSPEND:
            yield decision, settings, config.physical_memory if config else None


def _check_assumed_rate(
    decisions: Sequence[Decision], rate: int, history: Mapping[str, Sequence[PastRun]]
) -> list[Finding]:
    """Suspends that shutdown.assumed_rate alone says cannot end inside their
    timeout, the stop plan's own prediction (stop/plan.py predict_suspend: nothing
    measured on the host says otherwise): the plan tries them within their timeout,
    and where the storage is no faster the first shutdown waits that long, then
    takes their fallback, and their running state is lost."""
    findings: list[Finding] = []
    host = host_rate(history)
    for decision, settings, memory in _suspends_first(decisions):
        past = history.get(decision.zone.name, ())
        expected, _, measured = predict_suspend(rate, memory, past, settings, host)
        if memory is None or measured or expected <= settings.suspend_timeout:
            continue
        # The least rate that fits, rounded up to a whole M so that it can be written
        # as it is shown.
        needed = math.ceil(memory / settings.suspend_timeout / MIB) * MIB
        timeout = format_duration(settings.suspend_timeout)
        findings.append(
            Finding(
                Level.WARNING,
                decision.zone.name,
                f"with no suspend measured on this host yet, {format_size(memory)} at the "
                f"assumed {format_size(rate)}/s would take {format_duration(expected)}, more "
                f"than its suspend_timeout of {timeout}: if its suspend storage is no faster, "
                f"the first shutdown tries its suspend for {timeout}, then takes its "
                f"{settings.steps[1].value}, and its running state is lost; raise "
                "suspend_timeout, or set shutdown.assumed_rate to the write rate of its "
                f"suspend storage if that is at least {format_size(needed)}/s",
            )
        )
    return findings


def _check_given_up(
    decisions: Sequence[Decision], history: Mapping[str, Sequence[PastRun]]
) -> list[Finding]:
    """Zones whose last suspend timed out: the stop plan starts them with their
    fallback until suspend_timeout is longer (stop/plan.py suspend_given_up)."""
    findings = []
    for decision, settings, memory in _suspends_first(decisions):
        given_up = suspend_given_up(history.get(decision.zone.name, ()), memory, settings)
        if given_up is None:
            continue
        findings.append(
            Finding(
                Level.WARNING,
                decision.zone.name,
                f"{given_up.said}: the next shutdown starts it with "
                f"{settings.steps[1].value}, and its running state is lost; raise "
                f"suspend_timeout above {format_duration(given_up.seconds)} to try its "
                "suspend again",
            )
        )
    return findings


def _describe_fallback(fallback: Sequence[Action]) -> str:
    if not fallback:
        return "nothing (the zone is left running)"
    return " then ".join(step.value for step in fallback)


def _check_image_target(
    name: str,
    config: ZoneConfig,
    suspend: SuspendResource,
    space: Mapping[str, FileSystemSpace | str],
) -> list[Finding]:
    findings = []
    if config.physical_memory is None:
        findings.append(
            Finding(
                Level.NOTE,
                name,
                "no capped-memory physical in its configuration; the suspend image size "
                "cannot be predicted",
            )
        )
    if suspend.path is None:
        findings.append(
            Finding(
                Level.NOTE,
                name,
                f"suspend image goes to storage {suspend.storage}; free space there is not checked",
            )
        )
        return findings
    answer = space.get(name)
    if isinstance(answer, str):
        findings.append(
            Finding(Level.WARNING, name, f"cannot check free space for the suspend image: {answer}")
        )
    return findings


def _check_shared_space(
    decisions: Sequence[Decision], space: Mapping[str, FileSystemSpace | str]
) -> list[Finding]:
    """Zones whose images share a file system must fit together: the stop method
    suspends them in the same few minutes."""
    needs: dict[tuple[str, str], list[tuple[str, int]]] = defaultdict(list)
    available: dict[tuple[str, str], int] = {}
    for decision in decisions:
        answer = space.get(decision.zone.name)
        config = decision.zone.config
        if not isinstance(answer, FileSystemSpace) or config is None:
            continue
        if decision.zone.suspended or config.physical_memory is None:
            continue  # an existing image already holds its space; unknown size: noted
        key = (answer.mount_point, answer.filesystem)
        needs[key].append((decision.zone.name, config.physical_memory))
        available[key] = answer.available
    findings = []
    for (mount_point, filesystem), zones in sorted(needs.items()):
        total = sum(size for _, size in zones)
        free = available[(mount_point, filesystem)]
        if total <= free:
            continue
        names = ", ".join(name for name, _ in zones)
        # The image can be as large as capped-memory physical (docs/solaris.md 1.4).
        findings.append(
            Finding(
                Level.WARNING,
                names,
                f"suspend image{'s' if len(zones) > 1 else ''} may need up to "
                f"{format_size(total)} on {mount_point} ({filesystem}) but only "
                f"{format_size(free)} is free; a suspend that does not fit falls back",
            )
        )
    return findings


def _check_zonecfg_interplay(name: str, config: ZoneConfig, settings: ZonePolicy) -> list[Finding]:
    """What the zones service itself will do to a zone kzguard manages (docs/solaris.md 10.4)."""
    findings = []
    if config.autoshutdown == "suspend":
        findings.append(
            Finding(
                Level.NOTE,
                name,
                "autoshutdown=suspend: the zones service would suspend it too; while "
                "kzguard's instance holds the zone's, it acts only after kzguard's stop "
                "method and finds the zone already down",
            )
        )
    if config.autoboot:
        if not settings.resume:
            findings.append(
                Finding(
                    Level.WARNING,
                    name,
                    "resume = false, but autoboot=true makes the zones service boot it anyway; "
                    f"run zonecfg -z {name} set autoboot=false if it must stay down",
                )
            )
        elif settings.after:
            findings.append(
                Finding(
                    Level.WARNING,
                    name,
                    "autoboot=true: the zones service boots it before kzguard starts, so "
                    f"after = [{', '.join(settings.after)}] cannot be honoured; "
                    f"run zonecfg -z {name} set autoboot=false",
                )
            )
        else:
            findings.append(
                Finding(
                    Level.NOTE,
                    name,
                    "autoboot=true: the zones service boots (resumes) it before kzguard starts; "
                    "kzguard then only verifies it",
                )
            )
    return findings


HOST = "host"

# What kzguard runs each command of [commands] for (kzguard.toml(5)), said where its
# path cannot be run: a typo there shows only when the global zone goes down.
# ``shutdown`` is not here: kzguard never runs it.
COMMAND_ROLES = {
    "zoneadm": "to list, suspend, shut down, halt and boot the zones",
    "zonecfg": "to read the zones' configurations",
    "zlogin": (
        "to leave each zone's resume marker and read its boot time, the proof that its "
        "running state survived"
    ),
    "svcprop": (
        "to read whether the global zone is going down (svc.startd's milestone and run "
        "level) and which zones have SMF instances"
    ),
    "svcadm": "to refresh kzguard's instance after changing its dependencies",
    "svccfg": "to make kzguard's instance depend on each managed zone's",
    "who": "to read the run level the global zone is going to (who -r)",
    "df": "to check the free space for the suspend images",
    "kstat": "to read the global zone's boot time, which tells a new boot from a restart",
    "zpool": 'to read the pools\' bandwidth while suspends run ([shutdown] parallel = "auto")',
    "init": "for kzguard reboot (init 6)",
    "beadm": "for kzguard reboot --be (beadm activate)",
}
# Without these kzguard can neither see nor stop a zone.
ESSENTIAL_COMMANDS = frozenset({"zoneadm", "zonecfg"})


def _check_recorded(recorded: ConfigRecord, zones: Sequence[Zone]) -> list[Finding]:
    """Whether the stop may plan from the recorded configurations: not once a
    configuration was found changed behind an unchanged zone file (docs/solaris.md
    2.6, UNCONFIRMED for 11.4); and whether one is so now, which the next stop will
    find beside its first suspends."""
    if recorded.untrusted is not None:
        return [
            Finding(
                Level.NOTE,
                HOST,
                f"configs.json: {recorded.untrusted}: the zone files do not follow zonecfg "
                "on this host, so every stop reads every configuration before its first "
                "suspend",
            )
        ]
    found = recorded.updated(zones).untrusted
    if found is None:
        return []
    return [
        Finding(
            Level.WARNING,
            HOST,
            f"{found}: the zone files do not follow zonecfg on this host; the next stop "
            "plans from the configurations configs.json records, finds this beside its "
            "first suspends and plans the rest again",
        )
    ]


def _check_commands(unusable: Mapping[str, tuple[str, str]]) -> list[Finding]:
    defaults = Commands()
    return [
        Finding(
            Level.ERROR if key in ESSENTIAL_COMMANDS else Level.WARNING,
            HOST,
            f'[commands] {key} = "{path}": {problem}; kzguard runs it {COMMAND_ROLES[key]}; '
            f"set it to {key}'s path on this host (default {getattr(defaults, key)})",
        )
        for key, (path, problem) in sorted(unusable.items())
    ]


def _check_instances(instances: Mapping[str, bool], protection: Protection | None) -> list[Finding]:
    """On 11.4 every zone is an SMF instance (svc.zones(8)) and a leaf of the SMF
    graph, stopped at the very start of a shutdown unless an up instance depends on
    it (docs/solaris.md 13); the start and refresh methods make kzguard's instance
    depend on each managed zone's (kzguard.solaris.protection).  Say which zones are
    not held, and which case this host is in."""
    if not instances:
        return []
    if not any(instances.values()):
        return [
            Finding(
                Level.NOTE,
                HOST,
                "no per-zone SMF instances (svc:/system/zones/zone:NAME; Solaris 11.3 or "
                "earlier?): kzguard depends on svc:/system/zones:default, whose stop "
                "method shuts the zones down, so kzguard stops first",
            )
        ]
    findings = [
        Finding(
            Level.WARNING,
            name,
            f"no SMF instance svc:/system/zones/zone:{name}, so nothing orders kzguard "
            "before the zones service's own shutdown of it",
        )
        for name, present in sorted(instances.items())
        if not present
    ]
    if protection is None:
        findings.append(
            Finding(
                Level.NOTE,
                HOST,
                f"{KZGUARD_INSTANCE} is not in the SMF repository (the package is not "
                "installed?): nothing holds the zones' instances at shutdown",
            )
        )
        return findings
    findings.extend(
        Finding(
            Level.WARNING,
            name,
            f"{zone_instance(name)} is not held by {KZGUARD_INSTANCE}: at shutdown the zones "
            f"service may shut it down while kzguard suspends it; {FIX_COMMAND}",
        )
        for name in protection.unprotected
    )
    if not protection.unprotected:
        findings.append(
            Finding(
                Level.NOTE,
                HOST,
                f"{KZGUARD_INSTANCE} depends (optional_all) on the instance of every managed "
                "zone, so they stop after kzguard (kept by its start and refresh methods; "
                "this ordering is not yet confirmed on a real 11.4 host)",
            )
        )
    return findings

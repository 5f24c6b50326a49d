"""The journal's records, typed: the contract between the stop path, which writes
them, and the start path and ``kzguard status``, which read them.  Pure.

journal.json (format 1) is ``JournalDocument.to_json()``; ``from_json`` reads it
back and tolerates whatever a crash, a hand edit or another version left: a value
of the wrong type reads as unknown, a zone state this version does not know is kept
(:class:`UnknownState`) so that it is shown and its zone left alone, never guessed
at, and keys a record does not know are kept as they were (``extra``).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from kzguard.model import SmfDependency, SuspendResource, Zone, ZoneConfig
from kzguard.policy.model import Action
from kzguard.units import format_elapsed

JOURNAL_FORMAT = 1


class ZoneState(enum.Enum):
    """Every state the stop path records for a zone, as journal.json spells it."""

    PLANNED = "planned"
    SUSPENDING = "suspending"
    SHUTTING_DOWN = "shutting-down"
    HALTING = "halting"
    SUSPENDED = "suspended"
    SHUT_DOWN = "shut-down"
    HALTED = "halted"
    LOST = "lost"  # down, its running state gone without a planned step
    FAILED = "failed"  # left running, or no longer configured
    # Found migrating or in the debugger before a step (model.HANDS_OFF_AUX): not
    # touched, so that no fallback kills a live migration.
    LEFT_ALONE = "left-alone"

    @staticmethod
    def doing(step: Action) -> ZoneState:
        """The state a zone is in while ``step`` runs."""
        return _DOING[step]

    @staticmethod
    def done(step: Action) -> ZoneState:
        """The state ``step`` leaves a zone in when it succeeds."""
        return _DONE[step]

    @property
    def unfinished(self) -> bool:
        """The stop never settled the zone (a crash, a power loss, a kill)."""
        return self in (ZoneState.PLANNED, *_DOING.values())

    @property
    def running_state_lost(self) -> bool:
        """The zone went down, or was left, without a suspend image."""
        return self in (ZoneState.SHUT_DOWN, ZoneState.HALTED, ZoneState.LOST, ZoneState.FAILED)

    @property
    def is_error(self) -> bool:
        """A state ``kzguard status`` and ``kzguard stop`` report as an error."""
        return self in (ZoneState.LOST, ZoneState.FAILED)


_DOING = {
    Action.SUSPEND: ZoneState.SUSPENDING,
    Action.SHUTDOWN: ZoneState.SHUTTING_DOWN,
    Action.HALT: ZoneState.HALTING,
}
_DONE = {
    Action.SUSPEND: ZoneState.SUSPENDED,
    Action.SHUTDOWN: ZoneState.SHUT_DOWN,
    Action.HALT: ZoneState.HALTED,
}


@dataclass(frozen=True)
class UnknownState:
    """A zone state this version does not know; ``raw`` as the file has it."""

    raw: object = None

    def __str__(self) -> str:
        return "?" if self.raw is None else str(self.raw)


class Severity(enum.Enum):
    """How the start method's outcome for a zone counts."""

    OK = "ok"  # up, its running state preserved (or booted as its policy asks)
    LOST = "lost"  # up, but its running state is gone
    ERROR = "error"  # not brought up
    LEFT = "left"  # left alone


@dataclass(frozen=True)
class StopOutcome:
    """Where the stop path left one zone; ``seconds``: the step that settled it (for
    failed: the whole walk)."""

    name: str
    result: ZoneState
    seconds: float
    detail: str = ""
    image_bytes: int | None = None  # the suspend image's size, when it could be read


# StartOutcome.result of a zone the start method left alone: nothing was booted.
LEFT_ALONE_RESULT = "left alone"


@dataclass(frozen=True)
class StartOutcome:
    """Where the start path left one zone; ``result`` in words."""

    name: str
    result: str
    severity: Severity
    seconds: float = 0.0
    detail: str = ""
    proof: Proof | None = None  # how a resume was told from a fresh boot
    # Seconds the zone was gone: from its suspend (or shutdown, halt) starting at
    # the stop to its `zoneadm boot` returning at this start, the host's reboot
    # included (epoch times, so across the reboot); None when either is unknown.
    downtime: float | None = None

    def line(self) -> str:
        text = f"{self.name}: {self.result}"
        if self.seconds:
            text += f" in {format_elapsed(self.seconds)}"
        if self.detail:
            text += f" ({self.detail})"
        return text


@dataclass(frozen=True)
class Fingerprint:
    """What must not change between a suspend and its resume: the zone's identity and
    the configuration its image was made for.  None: not recorded or not known."""

    uuid: str | None = None
    brand: str | None = None
    memory: int | None = None  # capped-memory physical, bytes

    @classmethod
    def of(cls, zone: Zone) -> Fingerprint:
        memory = zone.config.physical_memory if zone.config else None
        return cls(zone.listing.uuid, zone.brand, memory)

    def changed(self, now: Fingerprint) -> str:
        """How the zone differs now, in words; "" when nothing recorded proves a change."""
        if self.uuid and self.uuid != now.uuid:
            return "a different zone has this name (uuid changed: recreated or renamed)"
        if self.brand is not None and self.brand != now.brand:
            return f"brand changed from {self.brand} to {now.brand}"
        # None is a size zonecfg could not tell (both paths go on without a
        # configuration they cannot read): unknown proves no change either.
        if self.memory is not None and now.memory is not None and self.memory != now.memory:
            return "capped-memory physical changed (reconfigured)"
        return ""

    def to_json(self) -> dict[str, Any]:
        return {"uuid": self.uuid, "brand": self.brand, "memory": self.memory}

    @classmethod
    def from_json(cls, data: object) -> Fingerprint | None:
        if not isinstance(data, dict):
            return None
        return cls(_text(data.get("uuid")), _text(data.get("brand")), _integer(data.get("memory")))


@dataclass(frozen=True)
class BootTimeEvidence:
    """A zone's own boot time (kstat unix:0:system_misc:boot_time inside it), read
    before its suspend.  A resume restores it; a cold boot resets it (docs/solaris.md 8).
    ``value`` None: it could not be read, and ``error`` says why."""

    value: int | None
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"boot_time": self.value, **({"boot_time_error": self.error} if self.error else {})}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BootTimeEvidence | None:
        if "boot_time" not in data and "boot_time_error" not in data:
            return None
        return cls(_integer(data.get("boot_time")), _text(data.get("boot_time_error")) or "")


@dataclass(frozen=True)
class MarkerEvidence:
    """The resume marker written into the zone's /system/volatile just before its
    suspend (issue 11): a suspend keeps it, every boot empties the directory
    (docs/solaris.md 8).  ``nonce`` None: not written, and ``error`` says why."""

    nonce: str | None
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"marker": self.nonce, **({"marker_error": self.error} if self.error else {})}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MarkerEvidence | None:
        if "marker" not in data and "marker_error" not in data:
            return None  # a journal from before the marker, or resume.verify = false
        return cls(_text(data.get("marker")) or None, _text(data.get("marker_error")) or "")


@dataclass(frozen=True)
class Proof:
    """How the start method told a resume from a fresh boot: both signals as read,
    and the one it trusted (issue 11).

    ``marker``: found, gone, different, unreadable, not written or none (not
    recorded); ``trusted``: marker, boot time, host boot time or none; ``note``: a
    disagreement or a fallback, and why, in words."""

    trusted: str
    marker: str
    boot_time_before: int | None = None
    boot_time_after: int | None = None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "trusted": self.trusted,
            "marker": self.marker,
            "boot_time_before": self.boot_time_before,
            "boot_time_after": self.boot_time_after,
            "note": self.note,
        }

    @classmethod
    def from_json(cls, data: object) -> Proof | None:
        if not isinstance(data, dict):
            return None
        return cls(
            _text(data.get("trusted")) or "?",
            _text(data.get("marker")) or "?",
            _integer(data.get("boot_time_before")),
            _integer(data.get("boot_time_after")),
            _text(data.get("note")) or "",
        )


@dataclass(frozen=True)
class Transition:
    """A zone entering ``state`` at ``time`` (epoch seconds), with what it did."""

    state: ZoneState | UnknownState
    time: float | None
    step: Action | None = None
    timeout: float | None = None
    seconds: float | None = None
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        optional = {
            "step": self.step.value if self.step else None,
            "timeout": self.timeout,
            "seconds": self.seconds,
            "reason": self.reason,
        }
        return {
            "state": _state_json(self.state),
            "time": self.time,
            **{key: value for key, value in optional.items() if value is not None},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Transition:
        return cls(
            _state(data.get("state")),
            _number(data.get("time")),
            _action(data.get("step")),
            _number(data.get("timeout")),
            _number(data.get("seconds")),
            _text(data.get("reason")),
        )


_ZONE_KEYS = frozenset(
    {"state", "transitions", "action", "intent", "memory", "expected", "note", "fingerprint"}
    | {"boot_time", "boot_time_error", "step", "seconds", "reason", "carried_over_from"}
    | {"marker", "marker_error", "config"}
)


@dataclass(frozen=True)
class ZoneRecord:
    """One zone of a stop cycle: what the policy asked, the plan, and every transition.

    ``action``: the policy's action; ``intent``: the steps planned; ``state``,
    ``step``, ``seconds`` and ``reason``: as of the latest transition that set them."""

    state: ZoneState | UnknownState = UnknownState()
    transitions: tuple[Transition, ...] = ()
    action: Action | None = None
    intent: tuple[Action, ...] = ()
    memory: int | None = None
    expected: float | None = None
    note: str | None = None
    fingerprint: Fingerprint | None = None
    boot_time: BootTimeEvidence | None = None
    marker: MarkerEvidence | None = None
    step: Action | None = None
    seconds: float | None = None
    reason: str | None = None
    carried_over_from: float | None = None
    # The configuration the stop planned the zone from (None: not read, or a journal
    # from before it was kept): the start method plans from it and checks each zone's
    # own against it before its boot, instead of reading every one first (start/path.py).
    config: ZoneConfig | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def recorded_boot_time(self) -> int | None:
        return self.boot_time.value if self.boot_time else None

    @property
    def as_planned(self) -> bool:
        """Down exactly as its policy's action says (shutdown or halt, no fallback):
        its running state was given up on purpose, not lost."""
        action = self.action
        if action is not Action.SHUTDOWN and action is not Action.HALT:
            return False
        return self.state is ZoneState.done(action) and not self.reason

    @property
    def went_down_at(self) -> float | None:
        """When the step that took the zone down (suspend, shutdown, halt) began,
        epoch seconds; None if none is recorded."""
        return next(
            (t.time for t in self.transitions if t.step is not None and t.time is not None), None
        )

    def entered(self, transition: Transition) -> ZoneRecord:
        """This record after ``transition``."""
        changes: dict[str, Any] = {"state": transition.state}
        for key in ("step", "seconds", "reason"):
            if getattr(transition, key) is not None:
                changes[key] = getattr(transition, key)
        return replace(self, transitions=(*self.transitions, transition), **changes)

    def to_json(self) -> dict[str, Any]:
        planned = self.action is not None
        data: dict[str, Any] = {
            "action": self.action.value if self.action else None,
            "intent": [step.value for step in self.intent] if planned else None,
            "memory": self.memory,
            "expected": self.expected,
            "note": self.note,
            "fingerprint": self.fingerprint.to_json() if self.fingerprint else None,
        }
        data = {k: v for k, v in data.items() if v is not None or (planned and k == "memory")}
        if not isinstance(self.state, UnknownState) or self.state.raw is not None:
            data["state"] = _state_json(self.state)
        data["transitions"] = [transition.to_json() for transition in self.transitions]
        later = {
            "carried_over_from": self.carried_over_from,
            "step": self.step.value if self.step else None,
            "seconds": self.seconds,
            "reason": self.reason,
        }
        data.update((key, value) for key, value in later.items() if value is not None)
        if self.boot_time is not None:
            data.update(self.boot_time.to_json())
        if self.marker is not None:
            data.update(self.marker.to_json())
        if self.config is not None:
            data["config"] = config_to_json(self.config)
        return {**data, **self.extra}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ZoneRecord:
        transitions = data.get("transitions")
        intent = data.get("intent")
        return cls(
            state=_state(data.get("state")),
            transitions=tuple(
                Transition.from_json(entry)
                for entry in (transitions if isinstance(transitions, list) else ())
                if isinstance(entry, dict)
            ),
            action=_action(data.get("action")),
            intent=tuple(
                step
                for step in map(_action, intent if isinstance(intent, list) else ())
                if step is not None
            ),
            memory=_integer(data.get("memory")),
            expected=_number(data.get("expected")),
            note=_text(data.get("note")),
            fingerprint=Fingerprint.from_json(data.get("fingerprint")),
            boot_time=BootTimeEvidence.from_json(data),
            marker=MarkerEvidence.from_json(data),
            step=_action(data.get("step")),
            seconds=_number(data.get("seconds")),
            reason=_text(data.get("reason")),
            carried_over_from=_number(data.get("carried_over_from")),
            config=config_from_json(data.get("config")),
            extra=_extra(data, _ZONE_KEYS),
        )


def config_to_json(config: ZoneConfig) -> dict[str, Any]:
    """A zone's configuration as the journal keeps it: the fields zonecfg printed."""
    data: dict[str, Any] = {"name": config.name, "brand": config.brand}
    if config.autoboot:
        data["autoboot"] = True
    optional = {
        "autoshutdown": config.autoshutdown,
        "physical_memory": config.physical_memory,
        "boot_priority": config.boot_priority,
    }
    data.update((key, value) for key, value in optional.items() if value is not None)
    if config.suspend is not None:
        data["suspend"] = {"path": config.suspend.path, "storage": config.suspend.storage}
    if config.smf_dependencies:
        data["smf_dependencies"] = [
            {"fmri": d.fmri, "name": d.name, "grouping": d.grouping}
            for d in config.smf_dependencies
        ]
    return data


def config_from_json(data: object) -> ZoneConfig | None:
    """The configuration :func:`config_to_json` wrote; None for anything else (a
    hand edit, another version): the start method then reads the zone's own."""
    if not isinstance(data, dict):
        return None
    name, brand = _text(data.get("name")), _text(data.get("brand"))
    autoboot = data.get("autoboot", False)
    suspend = data.get("suspend")
    dependencies = data.get("smf_dependencies", [])
    if name is None or brand is None or not isinstance(autoboot, bool):
        return None
    if not (suspend is None or isinstance(suspend, dict)) or not isinstance(dependencies, list):
        return None
    if not all(isinstance(d, dict) and isinstance(d.get("fmri"), str) for d in dependencies):
        return None
    return ZoneConfig(
        name=name,
        brand=brand,
        autoboot=autoboot,
        autoshutdown=_text(data.get("autoshutdown")),
        suspend=(
            SuspendResource(_text(suspend.get("path")), _text(suspend.get("storage")))
            if isinstance(suspend, dict)
            else None
        ),
        physical_memory=_integer(data.get("physical_memory")),
        boot_priority=_text(data.get("boot_priority")),
        smf_dependencies=tuple(
            SmfDependency(d["fmri"], _text(d.get("name")), _text(d.get("grouping")))
            for d in dependencies
        ),
    )


def _state(value: object) -> ZoneState | UnknownState:
    try:
        return ZoneState(value)
    except ValueError:
        return UnknownState(value)


def _state_json(state: ZoneState | UnknownState) -> object:
    return state.raw if isinstance(state, UnknownState) else state.value


def _action(value: object) -> Action | None:
    try:
        return Action(value)
    except ValueError:
        return None


def _integer(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number(value: object) -> float | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _extra(data: Mapping[str, Any], known: frozenset[str]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key not in known}

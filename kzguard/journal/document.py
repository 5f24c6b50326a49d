"""The whole journal, typed: the last stop cycle, the start method's record of this
boot, and the armed record.  Pure.

journal.json (format 1) holds one object: ``{"format": 1, "resume": ..., "armed":
..., "cycle": ...}``.  Every change is a new value (the store commits it); the
methods here are the changes the stop and start paths make.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from kzguard.errors import StateError
from kzguard.journal.pace_record import PaceRecord
from kzguard.journal.records import (
    JOURNAL_FORMAT,
    Proof,
    Severity,
    StartOutcome,
    Transition,
    ZoneRecord,
    _extra,
    _integer,
    _number,
    _text,
)

# The only kind of cycle there is: what the stop path did.
STOP = "stop"

_CYCLE_KEYS = frozenset(
    {"kind", "started", "finished", "policy", "deadline", "trigger", "runlevel"}
    | {"runlevel_source", "host_boot_time", "zones", "skipped", "summary", "resumed_at"}
    | {"pace", "serial"}
)


@dataclass(frozen=True)
class StopCycle:
    """One run of the stop path: why, when, and every zone it planned."""

    kind: str = STOP
    started: float | None = None
    finished: float | None = None
    policy: str | None = None
    deadline: float | None = None
    trigger: str | None = None  # "method" or "manual"
    runlevel: str | None = None
    runlevel_source: str | None = None  # None: no run level was read (a manual stop)
    host_boot_time: int | None = None  # the global zone's boot the stop ran in
    zones: Mapping[str, ZoneRecord] = field(default_factory=dict)
    skipped: Mapping[str, str] = field(default_factory=dict)
    summary: str | None = None
    resumed_at: float | None = None  # set by the start method that took it up
    pace: PaceRecord | None = None  # how many suspends at once (issue 13)
    serial: int | None = None  # JournalDocument.stopped_since_start; None: older kzguard
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def pending(self) -> bool:
        """A stop no start method has taken up yet."""
        return self.kind == STOP and not self.resumed_at

    def kept_down_in(self, host_boot_time: int | None) -> bool:
        """A stop run by hand (`kzguard stop`, for maintenance) during the boot
        ``host_boot_time``: the operator put the zones down on purpose, so the start
        method of that boot (after `svcadm restart`) resumes none of them.  A stop
        *method* in the same boot (`svcadm restart` with act_on_service_stop, or
        with the run level unknown) is resumed at once: it was no maintenance, and
        an extra suspend must cost no more than a resume."""
        return (
            host_boot_time is not None
            and self.host_boot_time == host_boot_time
            and self.trigger == "manual"
        )

    def carrying_over(self, previous: StopCycle | None) -> StopCycle:
        """This cycle with what ``previous`` put down that no boot has resumed yet.

        `kzguard stop` followed by `init 6`, or a stop run again after a crash, finds
        zones already suspended and plans nothing for them; their records (intent,
        boot time, fingerprint) must survive, or the next boot would not resume them."""
        if previous is None or not previous.pending:
            return self
        kept = {
            name: replace(record, carried_over_from=previous.started)
            for name, record in previous.zones.items()
            if name not in self.zones
        }
        return replace(self, zones={**self.zones, **kept})

    def replanned(self, later: StopCycle, begun: Collection[str]) -> StopCycle:
        """This cycle once the zones it had not begun were planned again: ``later``
        is the second plan's cycle.  The records of the zones ``begun`` and of those
        carried over stay; the rest are as ``later`` planned or skipped them."""
        kept = {
            name: record
            for name, record in self.zones.items()
            if name in begun or record.carried_over_from is not None
        }
        zones = {**later.zones, **kept}
        skipped = {
            **{name: why for name, why in self.skipped.items() if name not in later.skipped},
            **later.skipped,
        }
        return replace(
            self,
            zones=zones,
            skipped={name: why for name, why in skipped.items() if name not in zones},
        )

    def to_json(self, *, zones: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "started": self.started,
            "finished": self.finished,
            "policy": self.policy,
            "deadline": self.deadline,
            "trigger": self.trigger,
        }
        if self.runlevel_source is not None:
            data.update(runlevel=self.runlevel, runlevel_source=self.runlevel_source)
        data.update(host_boot_time=self.host_boot_time, skipped=dict(self.skipped))
        later = {"summary": self.summary, "resumed_at": self.resumed_at}
        data.update((key, value) for key, value in later.items() if value is not None)
        if self.pace is not None:
            data["pace"] = self.pace.to_json()
        if self.serial is not None:
            data["serial"] = self.serial
        data.update(self.extra)
        if zones:
            data["zones"] = {name: record.to_json() for name, record in self.zones.items()}
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StopCycle:
        zones = data.get("zones")
        skipped = data.get("skipped")
        return cls(
            kind=_text(data.get("kind")) or "",
            started=_number(data.get("started")),
            finished=_number(data.get("finished")),
            policy=_text(data.get("policy")),
            deadline=_number(data.get("deadline")),
            trigger=_text(data.get("trigger")),
            runlevel=_text(data.get("runlevel")),
            runlevel_source=_text(data.get("runlevel_source")),
            host_boot_time=_integer(data.get("host_boot_time")),
            zones={
                name: ZoneRecord.from_json(record)
                for name, record in (zones.items() if isinstance(zones, dict) else ())
                if isinstance(record, dict)
            },
            skipped={
                name: reason
                for name, reason in (skipped.items() if isinstance(skipped, dict) else ())
                if isinstance(reason, str)
            },
            summary=_text(data.get("summary")),
            resumed_at=_number(data.get("resumed_at")),
            pace=PaceRecord.from_json(data.get("pace")),
            serial=_integer(data.get("serial")),
            extra=_extra(data, _CYCLE_KEYS),
        )


@dataclass(frozen=True)
class ResumedZone:
    """The start method's outcome for one zone, as journalled when it settled."""

    result: str
    severity: Severity | None  # None: not one this version knows
    seconds: float = 0.0
    detail: str = ""
    time: float | None = None
    proof: Proof | None = None  # absent from journals before issue 11
    downtime: float | None = None  # StartOutcome.downtime; absent before issue 13

    @classmethod
    def of(cls, outcome: StartOutcome, time: float) -> ResumedZone:
        return cls(
            outcome.result,
            outcome.severity,
            round(outcome.seconds, 3),
            outcome.detail,
            time,
            outcome.proof,
            None if outcome.downtime is None else round(outcome.downtime, 3),
        )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "result": self.result,
            "severity": self.severity.value if self.severity else None,
            "seconds": self.seconds,
            "detail": self.detail,
            "time": self.time,
        }
        if self.proof is not None:
            data["proof"] = self.proof.to_json()
        if self.downtime is not None:
            data["downtime"] = self.downtime
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ResumedZone:
        try:
            severity: Severity | None = Severity(data.get("severity"))
        except ValueError:
            severity = None
        return cls(
            result=_text(data.get("result")) or "?",
            severity=severity,
            seconds=_number(data.get("seconds")) or 0.0,
            detail=_text(data.get("detail")) or "",
            time=_number(data.get("time")),
            proof=Proof.from_json(data.get("proof")),
            downtime=_number(data.get("downtime")),
        )


_START_KEYS = frozenset(
    {"host_boot_time", "started", "finished", "bypassed", "note", "zones", "summary", "pace"}
    | {"serial"}
)


@dataclass(frozen=True)
class StartRecord:
    """What the start method did at one boot ("resume" in journal.json)."""

    host_boot_time: int | None = None
    started: float | None = None
    finished: float | None = None
    bypassed: bool = False  # the host went down without kzguard's stop method
    note: str = ""
    zones: Mapping[str, ResumedZone] | None = field(default_factory=dict)  # None: unreadable
    summary: str | None = None
    pace: PaceRecord | None = None  # how many resume boots at once (issue 13)
    serial: int | None = None  # JournalDocument.stopped_since_start; None: older kzguard
    extra: Mapping[str, Any] = field(default_factory=dict)

    def of_boot(self, host_boot_time: int | None) -> bool:
        """Whether this is the record of the boot ``host_boot_time`` (made by an
        earlier run of the start method in it, killed or restarted) and usable."""
        return self.host_boot_time == host_boot_time and self.zones is not None

    def to_json(self, *, zones: bool = True) -> dict[str, Any]:
        """The record; with ``zones=False`` its zones an empty object in their place
        (the store encodes each zone's record once per change)."""
        data: dict[str, Any] = {
            "host_boot_time": self.host_boot_time,
            "started": self.started,
            "finished": self.finished,
            "bypassed": self.bypassed,
            "note": self.note,
            "zones": {name: zone.to_json() for name, zone in (self.zones or {}).items()}
            if zones
            else {},
        }
        if self.summary is not None:
            data["summary"] = self.summary
        if self.pace is not None:
            data["pace"] = self.pace.to_json()
        if self.serial is not None:
            data["serial"] = self.serial
        return {**data, **self.extra}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StartRecord:
        zones = data.get("zones")
        return cls(
            host_boot_time=_integer(data.get("host_boot_time")),
            started=_number(data.get("started")),
            finished=_number(data.get("finished")),
            bypassed=data.get("bypassed") is True,
            note=_text(data.get("note")) or "",
            zones={
                name: ResumedZone.from_json(zone)
                for name, zone in zones.items()
                if isinstance(zone, dict)
            }
            if isinstance(zones, dict)
            else None,
            summary=_text(data.get("summary")),
            pace=PaceRecord.from_json(data.get("pace")),
            serial=_integer(data.get("serial")),
            extra=_extra(data, _START_KEYS),
        )


@dataclass(frozen=True)
class Disarmed:
    """The guard stood down without a shutdown (svcadm disable or restart)."""

    time: float | None
    runlevel: str | None

    def to_json(self) -> dict[str, Any]:
        return {"time": self.time, "runlevel": self.runlevel}


_ARMED_KEYS = frozenset({"host_boot_time", "time", "running", "policy", "disarmed"})


@dataclass(frozen=True)
class ArmedRecord:
    """The guard armed by the start method: if the host next goes down without the
    stop method, the zones in ``running`` lose their state."""

    host_boot_time: int | None = None
    time: float | None = None
    running: tuple[str, ...] = ()
    policy: str | None = None
    disarmed: Disarmed | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "host_boot_time": self.host_boot_time,
            "time": self.time,
            "running": list(self.running),
            "policy": self.policy,
        }
        if self.disarmed is not None:
            data["disarmed"] = self.disarmed.to_json()
        return {**data, **self.extra}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ArmedRecord:
        running = data.get("running")
        disarmed = data.get("disarmed")
        return cls(
            host_boot_time=_integer(data.get("host_boot_time")),
            time=_number(data.get("time")),
            running=tuple(
                name
                for name in (running if isinstance(running, list) else ())
                if isinstance(name, str)
            ),
            policy=_text(data.get("policy")),
            disarmed=Disarmed(_number(disarmed.get("time")), _text(disarmed.get("runlevel")))
            if isinstance(disarmed, dict)
            else None,
            extra=_extra(data, _ARMED_KEYS),
        )


_DOCUMENT_KEYS = frozenset({"format", "cycle", "resume", "armed"})


@dataclass(frozen=True)
class JournalDocument:
    """journal.json: the last stop cycle, the start record of the last boot, and the
    armed record; each None until first written."""

    cycle: StopCycle | None = None
    start: StartRecord | None = None
    armed: ArmedRecord | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    # -- the changes the paths make --------------------------------------------

    def with_zone(self, name: str, change: Callable[[ZoneRecord], ZoneRecord]) -> JournalDocument:
        """``change`` applied to zone ``name`` of the cycle (a new record if none)."""
        if self.cycle is None:
            raise StateError("no cycle has begun")
        zones = dict(self.cycle.zones)
        zones[name] = change(zones.get(name, ZoneRecord()))
        return replace(self, cycle=replace(self.cycle, zones=zones))

    def with_transition(self, name: str, transition: Transition) -> JournalDocument:
        return self.with_zone(name, lambda record: record.entered(transition))

    def with_cycle_finished(self, finished: float, summary: str) -> JournalDocument:
        if self.cycle is None:
            raise StateError("no cycle has begun")
        return replace(self, cycle=replace(self.cycle, finished=finished, summary=summary))

    def with_cycle(self, cycle: StopCycle) -> JournalDocument:
        """``cycle`` begun: it replaces the last one, numbered after every record here."""
        return replace(self, cycle=replace(cycle, serial=self._next_serial()))

    def with_start(self, start: StartRecord) -> JournalDocument:
        """This boot's start record begun, numbered after every record here."""
        return replace(self, start=replace(start, serial=self._next_serial()))

    def _next_serial(self) -> int:
        serials = [
            record.serial
            for record in (self.cycle, self.start)
            if record is not None and record.serial is not None
        ]
        return max(serials, default=0) + 1

    @property
    def stopped_since_start(self) -> bool:
        """Whether the stop cycle began after the start record (a stop method of this
        boot, after `svcadm restart`).  Told by their serials, which a wall clock
        stepped back between the two cannot reorder (NTP steps it at boot, an
        operator sets it with date(1)); by their start times only for records an
        older kzguard wrote, which carry no serial."""
        cycle, start = self.cycle, self.start
        if cycle is None or start is None:
            return False
        if cycle.serial is not None and start.serial is not None:
            return cycle.serial > start.serial
        return (
            cycle.started is not None
            and start.started is not None
            and cycle.started > start.started
        )

    def with_resumed_zone(self, name: str, zone: ResumedZone) -> JournalDocument:
        start = self.start or StartRecord()
        zones = {**(start.zones or {}), name: zone}
        return replace(self, start=replace(start, zones=zones))

    def closed(
        self, *, now: float, host_boot_time: int | None, summary: str, armed: ArmedRecord
    ) -> JournalDocument:
        """The start method's end: its record closed, the guard armed, and the stop it
        took up marked resumed.  A stop run by hand in this very boot (then `svcadm
        restart`) stays pending for the next boot: nothing was resumed from it
        (:meth:`StopCycle.kept_down_in`)."""
        cycle = self.cycle
        if (
            cycle is not None
            and cycle.kind == STOP
            and not cycle.kept_down_in(host_boot_time)
            and cycle.resumed_at is None
        ):
            cycle = replace(cycle, resumed_at=now)
        start = replace(self.start or StartRecord(), finished=now, summary=summary)
        return replace(self, cycle=cycle, start=start, armed=armed)

    def disarmed(self, *, time: float, runlevel: str) -> JournalDocument:
        if self.armed is None:
            return self
        return replace(self, armed=replace(self.armed, disarmed=Disarmed(time, runlevel)))

    # -- journal.json -------------------------------------------------------------

    def to_json(self, *, records: bool = True) -> dict[str, Any]:
        """The document, the cycle last.  With ``records=False`` the cycle is left
        out and the resume record's zones are empty: the store encodes each zone's
        record once per change, not the whole document at every write."""
        data: dict[str, Any] = {"format": JOURNAL_FORMAT, **self.extra}
        if self.start is not None:
            data["resume"] = self.start.to_json(zones=records)
        if self.armed is not None:
            data["armed"] = self.armed.to_json()
        if records and self.cycle is not None:
            data["cycle"] = self.cycle.to_json()
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> JournalDocument:
        cycle, start, armed = data.get("cycle"), data.get("resume"), data.get("armed")
        return cls(
            cycle=StopCycle.from_json(cycle) if isinstance(cycle, dict) else None,
            start=StartRecord.from_json(start) if isinstance(start, dict) else None,
            armed=ArmedRecord.from_json(armed) if isinstance(armed, dict) else None,
            extra=_extra(data, _DOCUMENT_KEYS),
        )

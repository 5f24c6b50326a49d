"""What ``kzguard demo`` shows: the zones before and after the reboot, the tables,
and the verdict (:mod:`kzguard.sim.demo` tells the story).

Each zone's in-zone boot time (``kstat unix:0:system_misc:boot_time`` through
zlogin) is read before and after: a resumed zone keeps it, a zone that was shut
down and booted again gets a new one.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from kzguard.journal.document import JournalDocument, ResumedZone
from kzguard.journal.records import Severity, ZoneRecord, ZoneState
from kzguard.model import AUX_SUSPENDED, GLOBAL_ZONE, RUNNING
from kzguard.policy.selection import Decision
from kzguard.sim import shutdown
from kzguard.sim.control import Event
from kzguard.solaris.host import Host
from kzguard.solaris.parse.zoneadm import parse_zoneadm_list_v

if TYPE_CHECKING:
    from kzguard.sim.svcstartd import MethodRun

EXIT_OK = 0
EXIT_FAILED = 1

# In-zone boot time reads through zlogin.
BOOT_TIME_TIMEOUT = 15.0
QUERY_TIMEOUT = 30.0

PRESERVED = "running state preserved"
LOST = "running state LOST"
NOT_RESUMED = "not resumed (still suspended)"


@dataclass(frozen=True)
class Snapshot:
    """The zones at one instant: state, auxiliary states and in-zone boot time."""

    listing: str  # zoneadm list -cv as printed
    states: Mapping[str, str]
    aux: Mapping[str, tuple[str, ...]]
    boot_times: Mapping[str, int | None]


def snapshot(kz: Host) -> Snapshot:
    result = kz.runner.run(kz.argv.list_verbose(), timeout=QUERY_TIMEOUT)
    rows = [row for row in parse_zoneadm_list_v(result.stdout) if row.name != GLOBAL_ZONE]
    aux = {name: states[1] for name, states in kz.auxiliary_states().items()}
    boot_times: dict[str, int | None] = {}
    for row in rows:
        # A zone that is not running has no kernel to ask.
        boot_times[row.name] = (
            kz.boot_time(row.name, timeout=BOOT_TIME_TIMEOUT) if row.state == RUNNING else None
        )
    return Snapshot(result.stdout, {row.name: row.state for row in rows}, aux, boot_times)


def natural(name: str) -> tuple[Any, ...]:
    """Sort key putting kz2 before kz10."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def _when(epoch: int | None) -> str:
    if epoch is None:
        return "-"
    return time.strftime("%b %d %H:%M:%S", time.localtime(epoch))


def show_snapshot(title: str, found: Snapshot, out: TextIO) -> None:
    heading(f"{title}: zoneadm list -cv", out)
    out.write(found.listing)
    print(
        "in-zone boot times (zlogin -n ZONE /usr/bin/kstat -p unix:0:system_misc:boot_time):",
        file=out,
    )
    for name, epoch in sorted(found.boot_times.items(), key=lambda item: natural(item[0])):
        shown = f"{epoch} ({_when(epoch)})" if epoch is not None else "- (not running)"
        print(f"  {name:<16} {shown}", file=out)


# -- the shutdown, as svc.startd and the zones service played it ---------------------


def show_shutdown_graph(state: dict[str, Any], fmri: str, out: TextIO) -> None:
    """Which zone instances wait for a dependent (kzguard) and which are leaves."""
    held = shutdown.held_zone_instances(state)
    leaves = shutdown.leaf_zone_instances(state)
    mine = {instance: holders for instance, holders in held.items() if held_by(holders, fmri)}
    print(f"held until the stop method of {fmri} ends (its dependencies):", file=out)
    for instance in mine:
        print(f"  {instance}", file=out)
    if not mine:
        print("  (none)", file=out)
    for instance, holders in held.items():
        if instance not in mine:
            print(f"held by another service: {instance} ({'; '.join(holders)})", file=out)
    print("leaves, stopped now (the zones service applies their autoshutdown):", file=out)
    for instance in leaves:
        name = shutdown.zone_of(instance)
        print(f"  {instance} (autoshutdown={setting(state, name, 'autoshutdown')})", file=out)
    if not leaves:
        print("  (none)", file=out)


def held_by(holders: Sequence[str], fmri: str) -> bool:
    return any(holder.startswith(f"{fmri} (") for holder in holders)


def show_zones_service(
    state: dict[str, Any], fmri: str, held: Mapping[str, Sequence[str]], out: TextIO
) -> None:
    """Each zone the zones service acted on: what, and when, counted from the start
    of ``fmri``'s stop method; then the held zones it found already down."""
    during = set(shutdown.acted_during(state, fmri))
    actions = shutdown.zones_service_actions(state)
    method = shutdown.records(state)["stop_methods"].get(fmri) or {}
    began = method.get("started") or 0.0
    ended = method.get("ended")
    if ended is not None:
        print(f"(the stop method ran from +0.0s to +{ended - began:.1f}s)", file=out)
    for action in actions:
        name = action["zone"]
        when = "while the stop method ran" if name in during else "after the stop method"
        done = action["outcome"] or f"{action['action']} not finished"
        span = f"+{action['requested'] - began:.1f}s"
        if action["ended"] is not None:
            span += f" to +{action['ended'] - began:.1f}s"
        print(f"{name}: {done} (autoshutdown={action['action']}), {span}, {when}", file=out)
    acted = {action["zone"] for action in actions}
    released = [
        shutdown.zone_of(instance)
        for instance, holders in held.items()
        if held_by(holders, fmri) and shutdown.zone_of(instance) not in acted
    ]
    if released:
        print(
            f"{', '.join(released)}: released when the stop method ended, no longer running: "
            "nothing to do",
            file=out,
        )
    if not actions and not released:
        print("(no zone instance was up)", file=out)


def setting(state: Mapping[str, Any], zone: str, key: str) -> str:
    setting = state["zones"][zone]["config"].get(key)
    # An autoshutdown that is not set means shutdown (zonecfg(8)).
    return str(setting).lower() if isinstance(setting, bool) else setting or "shutdown"


def heading(text: str, out: TextIO) -> None:
    """A step of the demo's story, as it prints one."""
    print(f"\n== {text}", file=out, flush=True)


def show_events(
    events: Sequence[Event], state: Mapping[str, Any], key: str, none: str, out: TextIO
) -> None:
    """What the simulated zones service did, with the zone setting that made it."""
    if not events:
        print(none, file=out)
    for event in events:
        print(f"{event.zone}: {event.outcome} ({key}={setting(state, event.zone, key)})", file=out)


# -- the result -----------------------------------------------------------------


@dataclass(frozen=True)
class ZoneResult:
    zone: str
    managed: bool
    suspend: str
    resume: str
    before: int | None
    after: int | None
    verdict: str

    @property
    def preserved(self) -> bool:
        return self.verdict == PRESERVED


# How the start method's outcome severities read in the RESUME column.
_RESUME_WORDS = {Severity.ERROR: "failed", Severity.LOST: "lost", Severity.LEFT: "left alone"}


def _suspend_cell(record: ZoneRecord | None) -> str:
    """A zone's stop outcome from the journal's cycle: seconds when suspended."""
    if record is None:
        return "-"
    if record.state is ZoneState.SUSPENDED and record.seconds is not None:
        return f"{record.seconds:.1f}s"
    return record.state.value if isinstance(record.state, ZoneState) else str(record.state)


def _resume_cell(resumed: ResumedZone | None) -> str:
    """A zone's start outcome from the journal's start record: seconds when ok."""
    if resumed is None:
        return "-"
    if resumed.severity is None:
        return "?"
    if resumed.severity is Severity.OK:
        return f"{resumed.seconds:.1f}s"
    return _RESUME_WORDS[resumed.severity]


def results(
    decisions: Sequence[Decision],
    before: Snapshot,
    after: Snapshot,
    journal: JournalDocument | None,
) -> list[ZoneResult]:
    suspended = journal.cycle.zones if journal and journal.cycle else {}
    resumed = journal.start.zones if journal and journal.start and journal.start.zones else {}
    rows = []
    for decision in decisions:
        name = decision.zone.name
        then, now = before.boot_times.get(name), after.boot_times.get(name)
        if then is None:
            verdict = "was not running"
        elif now == then:
            verdict = PRESERVED
        elif now is None and AUX_SUSPENDED in after.aux.get(name, ()):
            verdict = NOT_RESUMED
        else:
            verdict = LOST
        rows.append(
            ZoneResult(
                zone=name,
                managed=decision.managed,
                suspend=_suspend_cell(suspended.get(name)),
                resume=_resume_cell(resumed.get(name)),
                before=then,
                after=now,
                verdict=verdict,
            )
        )
    return rows


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns two spaces apart, each as wide as its widest cell."""
    widths = [max(len(line[column]) for line in (header, *rows)) for column in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip()
        for line in (header, *rows)
    )


def zones_table(decisions: Sequence[Decision], state: Mapping[str, Any]) -> str:
    """Each zone, its size, and what kzguard does with it and why."""
    rows = []
    for decision in decisions:
        zone = state["zones"].get(decision.zone.name, {})
        config = zone.get("config", {})
        rows.append(
            (
                decision.zone.name,
                decision.zone.brand,
                config.get("physical") or "-",
                "yes" if config.get("autoboot") else "no",
                decision.action.value if decision.action else "-",
                decision.reason,
            )
        )
    return table(("ZONE", "BRAND", "MEMORY", "AUTOBOOT", "KZGUARD", "WHY"), rows)


def result_table(rows: Sequence[ZoneResult]) -> str:
    header = (
        "ZONE",
        "MANAGED",
        "SUSPEND",
        "RESUME",
        "BOOT TIME BEFORE",
        "BOOT TIME AFTER",
        "VERDICT",
    )
    cells = [
        (
            row.zone,
            "yes" if row.managed else "no",
            row.suspend,
            row.resume,
            _when(row.before),
            _when(row.after),
            row.verdict,
        )
        for row in rows
    ]
    return table(header, cells)


def verdict(rows: Sequence[ZoneResult], methods: Sequence[MethodRun], out: TextIO) -> int:
    managed = [row for row in rows if row.managed and row.before is not None]
    failed = [row.zone for row in managed if not row.preserved]
    contrast = [row.zone for row in rows if not row.managed and row.verdict == LOST]
    status = EXIT_OK
    for method in methods:
        if not method.ok:
            how = f"exited with status {method.status}"
            if method.status is None:
                how = "was killed at its timeout"
            print(f"kzguard demo: the {method.name} method {how}", file=out)
            status = EXIT_FAILED
    if failed:
        print(
            f"kzguard demo: FAILED: {', '.join(failed)} did not come back resumed "
            f"({len(failed)} of {len(managed)} managed zones)",
            file=out,
        )
        status = EXIT_FAILED
    else:
        print(
            f"every managed zone came back resumed: {len(managed)} of {len(managed)} kept "
            "their running state",
            file=out,
        )
    if contrast:
        print(
            f"not managed by kzguard, shut down and booted again: {', '.join(contrast)} "
            "lost theirs",
            file=out,
        )
    out.flush()
    return status

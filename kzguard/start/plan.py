"""What the start method should do at boot, decided from the journal's records and
the live zones.  Pure.

kzguard brings back only what it put down (Hyper-V's StartIfRunning rule; peers.md
complaint 14): the zones its last stop recorded.  Before each one, reality is read
again, and whatever an operator did in between wins.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

from kzguard.journal.document import ArmedRecord, JournalDocument, StopCycle
from kzguard.journal.records import (
    Fingerprint,
    MarkerEvidence,
    UnknownState,
    ZoneRecord,
    ZoneState,
)
from kzguard.model import AUX_SUSPENDED, INSTALLED, READY, RUNNING, Zone, ZoneConfig, hands_off
from kzguard.policy.model import Policy
from kzguard.policy.order import effective_orders
from kzguard.solaris.parse.zonecfg import image_file
from kzguard.start.order import boot_order

# How many resumes are taken to run at once when ordering them, if the policy does
# not pin the number (parallel = "auto"): the order only needs to know how late
# each image may begin on that many slots (start/order.py).
DEFAULT_STREAMS = 4


class Kind(enum.Enum):
    RESUME = "resume"  # installed + suspended: `zoneadm boot` resumes it
    VERIFY = "verify"  # already running (the zones service or an operator booted it)
    COLD_BOOT = "cold-boot"  # was running, its state was lost: boot it fresh
    BOOT = "boot"  # shut down or halted because its policy asks so: boot it again


@dataclass(frozen=True)
class Item:
    """One zone the start method will boot or check."""

    name: str  # the zone's
    kind: Kind
    reason: str  # why, in words
    boot_time: int | None  # the in-zone boot time recorded before the suspend
    memory: int | None
    after: tuple[str, ...] = ()  # items that must be up first
    # Among items ready at once, the lower rank boots first: zonecfg boot-priority,
    # high 0, normal 1, low 2 (policy/order.py).
    rank: int = 1
    # The resume marker written before the suspend (None: not recorded); a resume
    # or a zone found running is proven by it (start/proof.py).
    marker: MarkerEvidence | None = None
    # When the stop's step that took it down began (epoch seconds; the journal's
    # ZoneRecord.went_down_at): where its downtime starts.  None: not recorded.
    down_since: float | None = None
    # A resume's image file (its suspend resource's path): its size is what the
    # resume reads, for the pace (None: a storage URI, or not a resume).
    image_path: str | None = None
    # A resume's image size as its suspend recorded it (history.json; None: not
    # read then): what the resume will read, for the order and the pace.
    image_bytes: int | None = None

    @property
    def size(self) -> int:
        """The bytes this item's boot is expected to read: its image's, else its
        memory (images compress a zone's memory differently, by a factor of three
        between zones on the simulator); 0 when neither is known."""
        return self.image_bytes or self.memory or 0


@dataclass(frozen=True)
class Left:
    """A zone the start method leaves alone, and why."""

    name: str  # the zone's
    reason: str
    lost: bool = False  # its running state is gone


@dataclass(frozen=True)
class StartPlan:
    items: tuple[Item, ...]
    left: tuple[Left, ...]
    bypassed: bool = False  # the host went down without kzguard's stop method
    note: str = ""

    @property
    def boots(self) -> bool:
        """Whether any item takes a ``parallel`` slot (a check of a running zone takes
        none, start/run.py): only then is there a pace to journal or measure."""
        return any(item.kind is not Kind.VERIFY for item in self.items)


def plan_start(
    policy: Policy,
    journal: JournalDocument,
    zones: Sequence[Zone],
    *,
    host_boot_time: int | None,
    streams: int | None = None,
    images: Mapping[str, int] | None = None,
) -> StartPlan:
    """Decide, per zone, what the start method does at this boot.  ``streams``: how
    many resumes the storage serves at full speed at once, for the boot order
    (start/order.py); None: ``[resume] parallel`` when it is a number, else
    DEFAULT_STREAMS.  A concurrency measured on this host (the pace's) fits best:
    with more slots than the storage serves, the order starts the large images
    later than it should.  ``images``: the size of the image each zone's last suspend wrote
    (history.json), for the order and the pace."""
    live = {zone.name: zone for zone in zones}
    armed, cycle = journal.armed, journal.cycle
    if cycle is not None and cycle.pending:
        if cycle.kept_down_in(host_boot_time):
            # A stop run by hand in this very boot (`kzguard stop` for maintenance)
            # followed by `svcadm restart`: the operator put the zones down on purpose.
            return StartPlan(
                items=(),
                left=(),
                note="the last stop ran during this boot; nothing is resumed "
                "(boot the zones with zoneadm when the maintenance is over)",
            )
        # A stop run by hand in an earlier boot that no stop method replaced: the
        # host went down without kzguard's stop method since (docs/solaris.md 4).
        bypassed = cycle.trigger == "manual" and _bypassed(armed, host_boot_time)
        return _after_stop(policy, cycle, live, streams, images or {}, bypassed=bypassed)
    if armed is not None and _bypassed(armed, host_boot_time):
        return _after_bypass(policy, armed, live, streams)
    return StartPlan(items=(), left=())


def _bypassed(armed: ArmedRecord | None, host_boot_time: int | None) -> bool:
    """Whether the guard was armed in an earlier boot and that boot ended without
    kzguard's stop method (no stop cycle replaced it, and it was not disarmed)."""
    return (
        armed is not None
        and host_boot_time is not None
        and armed.host_boot_time not in (None, host_boot_time)
        and not armed.disarmed
    )


def recorded_configs(
    journal: JournalDocument, needed: Collection[str]
) -> dict[str, ZoneConfig] | None:
    """The configuration the last stop recorded for each zone it put down that is
    in ``needed`` (the zones whose configuration a decision reads), when the plan is
    made from that stop's records and every one of them was recorded: the start
    method plans from these and checks the live ones as it goes (solaris/survey.py).
    None otherwise: the plan is made from the live configurations, read first."""
    cycle = journal.cycle
    if cycle is None or not cycle.pending:
        return None
    configs = {}
    wanted = set(needed)
    for name, record in cycle.zones.items():
        if name not in wanted:
            continue
        if record.config is None:
            return None
        configs[name] = record.config
    return configs


def with_recorded(zones: Sequence[Zone], configs: Mapping[str, ZoneConfig]) -> list[Zone]:
    """``zones`` with ``configs`` as their configurations (recorded_configs')."""
    return [
        replace(zone, config=configs[zone.name]) if zone.name in configs else zone for zone in zones
    ]


def _after_stop(
    policy: Policy,
    cycle: StopCycle,
    live: Mapping[str, Zone],
    streams: int | None,
    images: Mapping[str, int],
    *,
    bypassed: bool = False,
) -> StartPlan:
    """``bypassed``: the stop was run by hand in an earlier boot, and that boot
    ended without kzguard's stop method: a zone put down by the stop and found
    halted now was booted by hand since (as kzguard(8) says to after maintenance)
    and went down with the host."""
    items: list[Item] = []
    left: list[Left] = []
    for name in sorted(cycle.zones):
        outcome = _classify(
            policy, name, cycle.zones[name], live.get(name), images.get(name), bypassed=bypassed
        )
        if isinstance(outcome, Item):
            outcome = replace(outcome, down_since=cycle.zones[name].went_down_at)
        if isinstance(outcome, Item) and outcome.kind in (Kind.RESUME, Kind.VERIFY):
            outcome = replace(outcome, marker=cycle.zones[name].marker)
        (items if isinstance(outcome, Item) else left).append(outcome)  # type: ignore[arg-type]
    for name, reason in sorted(cycle.skipped.items()):
        zone = live.get(name)
        # Already suspended when the stop looked (by an operator, or since a resume
        # that failed at an earlier boot): not the stop's image, so not resumed, but
        # said at every boot while it waits, or a managed zone stays down unseen.
        if name not in cycle.zones and zone is not None and zone.suspended:
            left.append(
                Left(
                    name,
                    f"{reason} when the stop ran, so not resumed by kzguard: "
                    f"zoneadm -z {name} boot resumes it",
                )
            )
    note = (
        "the last stop was run by hand in an earlier boot, and the host went down since "
        "without kzguard's stop method (reboot, halt, a panic or a power loss)"
        if bypassed
        else ""
    )
    return StartPlan(items=_ordered(policy, items, live, streams), left=tuple(left), note=note)


def _classify(
    policy: Policy,
    name: str,
    record: ZoneRecord,
    zone: Zone | None,
    image_bytes: int | None,
    *,
    bypassed: bool = False,
) -> Item | Left:
    state = record.state
    boot_time = record.recorded_boot_time
    memory = record.memory
    settings = policy.zone_policy(name)
    if zone is None:
        return Left(name, "no longer configured (deleted or renamed since the shutdown)", lost=True)
    changed = record.fingerprint.changed(Fingerprint.of(zone)) if record.fingerprint else ""
    if changed:
        # Its running state survives only if it is still suspended (the same image).
        return Left(
            name,
            f"{changed} since the shutdown; left alone",
            lost=state is not ZoneState.SUSPENDED or not zone.suspended,
        )
    if isinstance(state, UnknownState):
        return Left(name, f"journal state {state.raw!r} not understood; left alone")
    owned = hands_off(zone.aux_states)
    if owned and state is not ZoneState.LEFT_ALONE:
        # A migration or a debugging session owns the zone now (docs/solaris.md 1.2):
        # a boot, let alone a fresh one, must not interfere.
        return Left(name, f"left alone: {owned}")
    if state is ZoneState.SUSPENDED or state.unfinished:

        def resume(why: str) -> Item:
            image = image_file(name, zone.config)
            return Item(
                name, Kind.RESUME, why, boot_time, memory, image_path=image, image_bytes=image_bytes
            )

        if zone.suspended:
            if not settings.resume:
                return Left(name, "suspended; resume = false, so it stays suspended")
            return resume(
                "suspended at shutdown" if state is ZoneState.SUSPENDED else "suspend completed"
            )
        suspend_began = state in (ZoneState.SUSPENDED, ZoneState.SUSPENDING)
        if zone.state == INSTALLED and not zone.aux_known and suspend_began:
            # zoneadm list -s did not answer for it, and only its auxiliary state
            # tells a suspended zone from a halted one (docs/solaris.md 1.2).  Its
            # stop put it down, the likeliest truth is that it is still suspended,
            # and `zoneadm boot` resumes it if its image is there, boots it fresh if
            # not: the proof after the boot says which (start/proof.py).  Left down,
            # it would be called lost and never resumed.
            unknown = (
                "suspended at shutdown; zoneadm list -s did not say whether it still is"
                if state is ZoneState.SUSPENDED
                else "its suspend was under way when the stop ended; zoneadm list -s did "
                "not say whether it completed"
            )
            if not settings.resume:
                return Left(name, f"{unknown}; resume = false, so it stays down")
            return resume(unknown)
        if zone.state == RUNNING:
            return Item(
                name,
                Kind.VERIFY,
                "already running (resumed by the zones service or booted by hand)",
                boot_time,
                memory,
            )
        if zone.state == READY:
            # ready (docs/solaris.md 1.1): the zone's platform is up but its processes are
            # not yet, which is how a boot under way looks (an earlier start method
            # killed after starting it, the zones service, an operator): waited for
            # and verified, not called lost.
            return Item(
                name, Kind.VERIFY, "booting (a boot is already under way)", boot_time, memory
            )
        if zone.state == INSTALLED and state.unfinished:
            # The stop never finished (power loss, crash, kill): it was running.
            return _lost(policy, name, "the stop did not finish (power loss or crash)", memory)
        if zone.state == INSTALLED and bypassed:
            why = "booted by hand after the stop, down since with the host"
            return _lost(policy, name, why, memory)
        if zone.state == INSTALLED:
            return Left(
                name,
                "halted, or booted and halted, since its suspend: the operator's action wins",
                lost=True,
            )
        if AUX_SUSPENDED in zone.aux_states:
            # Unavailable (its storage not reachable yet, docs/solaris.md 1.1) and
            # still holding its image: not lost, and not bootable until installed.
            return Left(
                name,
                f"is {zone.state} and still suspended; left alone: zoneadm -z {name} boot "
                "resumes it once its storage is back",
            )
        return Left(
            name, f"is {zone.state} (detached or uninstalled since?); left alone", lost=True
        )
    if state is ZoneState.LEFT_ALONE:
        # Migrating or in the debugger at shutdown: kzguard put nothing down, so it
        # brings nothing back.  Down now without an image, it was killed running.
        gone = zone.state == INSTALLED and not zone.suspended
        return Left(name, f"left alone at shutdown ({record.reason or 'no reason recorded'})", gone)
    # Every other state lost the zone's running state at shutdown.
    if zone.state == RUNNING:
        if record.as_planned:
            # Its policy gave the running state up; autoboot (the zones service,
            # docs/solaris.md 2.3) or an operator has booted it since: as planned.
            return Left(
                name,
                f"{state.value} at shutdown as its policy asks; already running "
                "(booted since the shutdown)",
            )
        return Left(name, "already running (booted since the shutdown)", lost=True)
    if zone.suspended:
        # Suspended by another after kzguard's own step failed (the zones service's
        # autoshutdown = suspend, docs/solaris.md 2.3; an operator): its image kept
        # its running state, and, like a zone the stop found already suspended, it is
        # named but not resumed by kzguard.
        return Left(
            name,
            f"{state.value} at shutdown, then suspended by another; left alone: "
            f"zoneadm -z {name} boot resumes it",
        )
    if zone.state != INSTALLED:
        return Left(name, f"is {zone.state}; left alone", lost=True)
    reason = record.reason
    why = f"{state.value} at shutdown" + (f": {reason}" if reason else "")
    if record.as_planned:
        if not settings.resume:
            return Left(name, f"{state.value} at shutdown as its policy asks; resume = false")
        return Item(name, Kind.BOOT, f"{state.value} at shutdown as its policy asks", None, memory)
    return _lost(policy, name, why, memory)


def _lost(policy: Policy, name: str, why: str, memory: int | None) -> Item | Left:
    settings = policy.zone_policy(name)
    if not policy.resume.boot_lost:
        return Left(name, f"running state lost ({why}); resume.boot_lost = false", lost=True)
    if not settings.resume:
        return Left(name, f"running state lost ({why}); resume = false", lost=True)
    return Item(name, Kind.COLD_BOOT, f"running state lost: {why}", None, memory)


def _after_bypass(
    policy: Policy, armed: ArmedRecord, live: Mapping[str, Zone], streams: int | None
) -> StartPlan:
    """The host booted again but kzguard's stop method never ran: `reboot`, `halt`,
    `uadmin`, a panic or a power loss (docs/solaris.md 4).  The zones that were running
    when the guard was armed lost their state."""
    items: list[Item] = []
    left: list[Left] = []
    for name in sorted(set(armed.running)):
        zone = live.get(name)
        if zone is None:
            left.append(Left(name, "no longer configured", lost=True))
        elif zone.state == RUNNING:
            left.append(Left(name, "already running (autoboot or booted by hand)", lost=True))
        elif zone.suspended:
            left.append(Left(name, "suspended by someone else; left alone"))
        elif zone.state == INSTALLED:
            memory = zone.config.physical_memory if zone.config else None
            outcome = _lost(policy, name, "the host went down without kzguard", memory)
            (items if isinstance(outcome, Item) else left).append(outcome)  # type: ignore[arg-type]
        else:
            left.append(Left(name, f"is {zone.state}; left alone", lost=True))
    note = (
        "the host went down without kzguard's stop method (reboot, halt, uadmin, panic "
        "or power loss); use init 6 or shutdown -i6, or run kzguard stop before reboot"
    )
    return StartPlan(
        items=_ordered(policy, items, live, streams), left=tuple(left), bypassed=True, note=note
    )


def _ordered(
    policy: Policy, items: Sequence[Item], live: Mapping[str, Zone], streams: int | None
) -> tuple[Item, ...]:
    """Attach the order among the items (the policy's `after` where a zone has one,
    else its zonecfg's smf-dependency and boot-priority: policy/order.py), and order
    them (start/order.py): highest boot-priority first, then zones others wait on,
    then shortest first, each image begun no later than largest first needs it."""
    orders = effective_orders(
        {item.name: policy.zone_policy(item.name).after for item in items},
        {item.name: _config(live.get(item.name)) for item in items},
    )
    waited_on = {dependency for order in orders.values() for dependency in order.after}
    with_after = [
        replace(item, after=orders[item.name].after, rank=orders[item.name].start_rank)
        for item in items
    ]
    nbytes = {item.name: item.size for item in items}
    chosen = streams if streams is not None else _streams(policy)
    return tuple(boot_order(with_after, nbytes, waited_on, chosen))


def _streams(policy: Policy) -> int:
    parallel: object = policy.resume.parallel
    return parallel if isinstance(parallel, int) else DEFAULT_STREAMS


def _config(zone: Zone | None) -> ZoneConfig | None:
    return zone.config if zone is not None else None

"""The zoneadm operations that take time: suspend, boot/resume, shutdown, halt,
reboot.  Each runs in its own zoneadm process: it takes the zone under the state
lock (waiting while another zoneadm works on it, as zoneadmd serialises requests
per zone), releases the lock, sleeps for the simulated duration, then commits.

``halt`` does not wait: it takes the zone away from whatever is in progress.
illumos zoneadmd does so only from a graceful shutdown, for which it drops its lock
(zoneadmd.c server(), ``wait_shut``), and waits behind anything else: the host
setting ``zoneadmd = "illumos"`` does that (:func:`halt`).  The process whose
operation was taken away notices and fails, or for ``shutdown`` succeeds once the
zone is down.
"""

from __future__ import annotations

import os
import time

from kzguard.sim import transfers, transitions
from kzguard.sim.record import Record
from kzguard.sim.state import SimHost
from kzguard.sim.zonesettings import kernel_stopped

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Optional

    State = dict[str, Any]
    Zone = dict[str, Any]

BUSY_POLL = 0.02  # real seconds between looks at a zone another zoneadm works on
WATCH_SLICE = 0.1  # real seconds between looks while an operation sleeps
FINISH_SLACK = 0.002  # real seconds: a transfer this close to its end is done
# illumos zoneadmd.h: how long zoneadmd waits for a zone to shut down when the zones
# service has no stop timeout, and that service.
SHUTDOWN_WAIT = 60.0
ZONES_SERVICE = "svc:/system/zones:default"
# zoneadm's last words when zoneadmd reports a failed boot (illumos zoneadm.c
# boot_func: zerror(gettext("call to %s failed"), "zoneadmd")).
CALL_FAILED = "call to zoneadmd failed"


class Outcome(Record):
    """Exit status and the messages zoneadm prints as ``zoneadm: zone 'Z': MSG``."""

    status: int
    errors: tuple[str, ...] = ()


OK = Outcome(0)


def fail(*messages: str) -> Outcome:
    return Outcome(1, messages)


if TYPE_CHECKING:
    Start = Callable[[State, Zone, float], Optional[Outcome]]


class _Op:
    """One operation of this process on one zone."""

    def __init__(self, host: SimHost, name: str, kind: str) -> None:
        self.host = host
        self.name = name
        self.kind = kind
        self.op_id = os.urandom(16).hex()  # uuid's import costs every command 3 ms
        self.pid = os.getpid()
        self.plan: dict[str, Any] = {}

    def mark(self, zone: Zone, *, reserved: int = 0, mount: str | None = None) -> None:
        zone["op"] = {
            "kind": self.kind,
            "op_id": self.op_id,
            "pid": self.pid,
            "reserved": reserved,
            "mount": mount,
        }

    def begin(self, start: Start, *, waits: Callable[[Zone], bool] | None = None) -> Outcome | None:
        """Run ``start`` on the zone under the lock once no other zoneadm works on
        it (``waits``: whether the zone's operation in progress is one to wait for;
        by default any); ``start`` returns an Outcome to finish at once, None to go
        on."""
        waits = waits or _busy
        while True:
            with self.host.edit() as state:
                zone = state["zones"].get(self.name)
                if zone is None:
                    return fail("No such zone configured")
                if not waits(zone):
                    self.plan["scale"] = float(state["time_scale"])
                    self.plan["rates"] = dict(state["rates"])
                    return start(state, zone, time.time())
            time.sleep(BUSY_POLL)

    def owned(self, state: State) -> Zone | None:
        zone = state["zones"].get(self.name)
        if zone is not None and zone["op"] is not None and zone["op"]["op_id"] == self.op_id:
            return zone  # type: ignore[no-any-return]
        return None

    def real(self, simulated: float) -> float:
        return simulated * float(self.plan["scale"])

    def sleep(self, seconds: float) -> bool:
        """Sleep ``seconds`` real seconds; False as soon as the zone is taken away."""
        deadline = time.time() + seconds
        while True:
            left = deadline - time.time()
            if left <= 0:
                return True
            time.sleep(min(left, WATCH_SLICE))
            if not self.still_ours():
                return False

    def still_ours(self) -> bool:
        """Whether this operation still holds its zone.  Its marker
        (SimHost.op_marker) says so for the cost of a stat; without it (taken away,
        or a marker that could not be written) the state decides."""
        return os.path.exists(self.host.op_marker(self.op_id)) or (
            self.owned(self.host.read()) is not None
        )

    def transfer(self) -> bool:
        """Wait for this operation's transfer; False if the zone was taken away."""
        while True:
            # Predicted from a read, the transfers advanced in memory as an edit would
            # advance them (transfers.sync: exact from the stored state); only the end
            # takes the exclusive lock.  Each transfer begun meanwhile delays this
            # one's end, so at c at once a transfer wakes about c times before it
            # ends: as edits, each rewrote a 500-zone host's state under the lock
            # (10 ms of CPU; docs/performance.md).
            now = time.time()
            finish = self._finish(self.host.read(), now, advance=True)
            if finish is None:
                return False
            if finish - now > FINISH_SLACK:
                # Sleep until the predicted finish, glancing at the marker meanwhile
                # so that a halt is noticed promptly.
                if not self.sleep(max(finish - time.time(), 0.0)):
                    return False
                continue
            with self.host.edit() as state:
                now = state["io"]["updated"]
                finish = self._finish(state, now)
                if finish is None:
                    return False
                if finish - now <= FINISH_SLACK:
                    transfers.complete(state, self.op_id)
                    return True
            # Another transfer began since the read: predict again.

    def _finish(self, state: State, now: float, *, advance: bool = False) -> float | None:
        """When this operation's transfer finishes if nothing else begins; None when
        the zone was taken away.  ``advance``: bring the transfers up to ``now``
        first (a read's state; an edit's is settled already)."""
        if self.owned(state) is None:
            return None
        if advance:
            transfers.sync(state, now)
        return transfers.finish_at(state, now, self.op_id)

    def hang(self) -> Outcome:
        """Never return on our own; only a halt (or power loss) ends the wait."""
        while True:
            time.sleep(WATCH_SLICE * 2)
            if not self.still_ours():
                return self.taken_away()

    def taken_away(self, state: State | None = None) -> Outcome:
        """The outcome for an operation whose zone was taken over by a halt (or
        lost with the power)."""
        state = state if state is not None else self.host.read()
        zone = state["zones"].get(self.name)
        if self.kind == "shutdown":
            # zoneadm shutdown waits for the zone to be down, however it gets
            # there: let a halt in progress finish first.
            while zone is not None and _halting(zone):
                time.sleep(BUSY_POLL)
                zone = self.host.read()["zones"].get(self.name)
        done = zone is not None and (
            (self.kind in ("shutdown", "halt") and zone["state"] == "installed")
            # A halt overtaken by another halt has got what it asked for.
            or (self.kind == "halt" and _halting(zone))
        )
        if done:
            return OK
        return fail(f"{self.kind} interrupted: the zone was halted")  # UNCONFIRMED text


def _busy(zone: Zone) -> bool:
    return zone["op"] is not None


def _never(zone: Zone) -> bool:
    return False


def _busy_but_shutting_down(zone: Zone) -> bool:
    op = zone["op"]
    return op is not None and op["kind"] != "shutdown"


def _halting(zone: Zone) -> bool:
    op = zone["op"]
    return op is not None and op["kind"] == "halt" and transitions.pid_alive(int(op["pid"]))


# Auxiliary states of a running kernel zone ([KZ114-AUX], docs/solaris.md 1.2).  What
# suspend and shutdown do to such a zone is not documented (UNCONFIRMED): during a
# live migration the simulator refuses them (the migration owns the zone); a zone
# stopped in kmdb, or whose kernel has panicked, cannot take part in either, so they
# wait until a halt.  halt always works and ends the migration, the debugging
# session or the panic.
MIGRATING = ("migrating-out", "migrating-in")


def _migrating(zone: Zone) -> str | None:
    return next((aux for aux in zone["aux"] if aux in MIGRATING), None)


def suspend(host: SimHost, name: str) -> Outcome:
    op = _Op(host, name, "suspend")

    def start(state: State, zone: Zone, now: float) -> Outcome | None:
        if zone["brand"] != transitions.KERNEL_ZONE_BRAND:
            # Only kernel zones suspend (docs/solaris.md 1.4); the text is UNCONFIRMED.
            return fail(f"suspend is not supported for brand {zone['brand']}")
        if zone["state"] != "running":
            # As zoneadm says for shutdown/reboot of a zone that is not running
            # (illumos sanity_check); for suspend UNCONFIRMED.
            return fail("not running")
        path, storage = transitions.suspend_location(op.name, zone)
        if path is None and storage is None:
            return fail("no suspend resource configured")  # UNCONFIRMED text
        migrating = _migrating(zone)
        if migrating is not None:
            return fail(f"cannot suspend: the zone is {migrating}")  # UNCONFIRMED text
        fault = zone["faults"].get("suspend")
        if fault == "hang" or kernel_stopped(zone):
            op.mark(zone)
            op.plan["hang"] = True
            return None
        image = transitions.image_bytes(zone)
        failure = fault if fault in ("enospc", "lose-image") else None
        # An injected ENOSPC strikes half-way, like a file system filling up.
        to_write = image // 2 if fault == "enospc" else image
        fs = transitions.filesystem_for(state, path) if path else None
        if fs is not None and to_write > fs["available"]:
            to_write = int(fs["available"])
            failure = "enospc"
        mount = fs["mount"] if fs is not None else None
        if fs is not None:
            fs["available"] -= to_write
        op.mark(zone, reserved=to_write, mount=mount)
        transfers.register(
            state,
            now,
            op_id=op.op_id,
            zone=op.name,
            pid=op.pid,
            kind="suspend",
            nbytes=to_write,
            cap=float(state["rates"]["suspend_rate"]),
            zpool=transitions.image_pool(state, path or storage or ""),
        )
        op.plan.update(image=image, failure=failure, location=path or storage, mount=mount)
        return None

    refused = op.begin(start)
    if refused is not None:
        return refused
    if op.plan.get("hang"):
        return op.hang()
    if not op.transfer() or not op.sleep(op.real(op.plan["rates"]["op_overhead"])):
        return op.taken_away()
    with host.edit() as state:
        zone = op.owned(state)
        if zone is None:
            return op.taken_away(state)
        failure = op.plan["failure"]
        if failure is None:
            zone["op"] = None  # the reserved space now holds the image
            transitions.suspend_now(
                state,
                zone,
                nbytes=op.plan["image"],
                path=op.plan["location"],
                mount=op.plan["mount"],
            )
            return OK
        transitions.cancel_op(state, zone)  # the partial image is deleted
        if failure == "enospc":
            # What a mid-way failure leaves behind is open question 3 (docs/solaris.md
            # 11): here the zone keeps running.  Message text UNCONFIRMED.
            return fail(
                f"unable to write suspend image to {op.plan['location']}: No space left on device"
            )
        transitions.make_installed(state, zone)
        # A failure that loses the zone's memory: text UNCONFIRMED.
        return fail("suspend failed: error writing suspend image; the zone was halted")


def _resume_or_boot_start(op: _Op, bootargs: list[str], fresh: bool) -> Start:
    def start(state: State, zone: Zone, now: float) -> Outcome | None:
        current = zone["state"]
        if current in ("running", "shutting_down", "down"):
            # illumos zoneadmd answers "zone is already booted" and succeeds; 11.4
            # may fail (docs/solaris.md 10 item 6), hence the host setting.
            return Outcome(int(state["already_in_state_exit"]), ("zone is already booted",))
        if transitions.state_rank(current) < transitions.state_rank("installed"):
            return fail("must be installed before boot.")  # illumos sanity_check
        resume = transitions.is_suspended(zone) and zone["image"] is not None
        if resume and fresh:
            # boot -R: "Force new boot instead of resume" (docs/solaris.md 1.5, UNCONFIRMED
            # for 11.4): the image is discarded.
            transitions.discard_image(state, zone)
            resume = False
        zone["state"] = "ready"
        if zone["id"] is None:
            zone["id"] = transitions.allocate_id(state)
        zone["last_bootargs"] = list(bootargs)
        op.kind = "resume" if resume else "boot"
        op.mark(zone)
        if resume:
            transfers.register(
                state,
                now,
                op_id=op.op_id,
                zone=op.name,
                pid=op.pid,
                kind="resume",
                nbytes=int(zone["image"]["bytes"]),
                cap=float(state["rates"]["resume_rate"]),
                zpool=transitions.image_pool(state, str(zone["image"]["path"])),
            )
        return None

    return start


def boot(host: SimHost, name: str, bootargs: list[str], *, fresh: bool = False) -> Outcome:
    """Cold-boot an installed zone, or resume a suspended one (docs/solaris.md 1.5)."""
    op = _Op(host, name, "boot")
    refused = op.begin(_resume_or_boot_start(op, bootargs, fresh))
    if refused is not None:
        return refused
    rates = op.plan["rates"]
    waited = op.transfer() if op.kind == "resume" else op.sleep(op.real(rates["boot_seconds"]))
    if not waited or not op.sleep(op.real(rates["op_overhead"])):
        return op.taken_away()
    return _finish_boot(op)


def _finish_boot(op: _Op) -> Outcome:
    rates = op.plan["rates"]
    with op.host.edit() as state:
        zone = op.owned(state)
        if zone is None:
            return op.taken_away(state)
        now = time.time()
        if op.kind == "resume":
            if zone["faults"].get("resume") == "corrupt":
                transitions.make_installed(state, zone)  # image kept: still suspended
                # First line UNCONFIRMED; the second is zoneadm's own (CALL_FAILED).
                return fail("resume failed: the suspend image is corrupt", CALL_FAILED)
            zone["op"] = None
            transitions.step_clock_at_resume(zone)
            boot_time = zone["boot_time"]
            transitions.discard_image(state, zone)  # a resumed zone's image is spent
            if boot_time is None:
                boot_time = transitions.new_boot_time(zone, now)
            transitions.make_running(
                state, zone, now, boot_time=boot_time, settle=rates["resume_milestone_seconds"]
            )
            return OK
        if zone["faults"].get("boot") == "fail":
            transitions.make_installed(state, zone)
            return fail("boot failed", CALL_FAILED)  # first line UNCONFIRMED
        zone["op"] = None
        transitions.make_running(
            state,
            zone,
            now,
            boot_time=transitions.new_boot_time(zone, now),
            settle=rates["milestone_seconds"],
        )
        return OK


def _shutdown_wait(state: State) -> float:
    """How long illumos zoneadmd waits for a zone it asked to shut down: the zones
    service's stop timeout, else SHUTDOWN_WAIT (zoneadmd.c zone_wait_shutdown(),
    zoneadmd.h; a timeout of 0 waits not at all, as that loop does)."""
    prop = state["smf"].get(ZONES_SERVICE, {}).get("stop/timeout_seconds")
    return float(prop[1]) if prop else SHUTDOWN_WAIT


def shutdown(host: SimHost, name: str, *, checked_first: bool = False) -> Outcome:
    """``checked_first`` (host setting ``zoneadmd = "illumos"``): zoneadm checks that
    the zone runs before it asks zoneadmd, which then waits for any operation in
    progress; a zone down by then is answered "zone is already halted" (illumos
    zoneadm.c sanity_check(), zoneadmd.c server()); and zoneadmd waits for the zone
    to go down no longer than :func:`_shutdown_wait`, then answers "unable to
    shutdown zone", exit 1, leaving it shutting down (zone_wait_shutdown())."""
    op = _Op(host, name, "shutdown")
    if checked_first:
        zone = host.read()["zones"].get(name)
        if zone is not None and zone["state"] not in ("running", "shutting_down", "down"):
            return fail("not running")

    def start(state: State, zone: Zone, now: float) -> Outcome | None:
        if checked_first and zone["state"] == "installed":
            return Outcome(int(state["already_in_state_exit"]), ("zone is already halted",))
        if zone["state"] not in ("running", "shutting_down", "down"):
            return fail("not running")  # illumos sanity_check(running=B_TRUE)
        migrating = _migrating(zone)
        if migrating is not None:
            return fail(f"cannot shut down: the zone is {migrating}")  # UNCONFIRMED text
        zone["state"] = "shutting_down"
        op.mark(zone)
        op.plan["hang"] = zone["faults"].get("shutdown") == "hang" or kernel_stopped(zone)
        op.plan["wait"] = _shutdown_wait(state) if checked_first else None
        return None

    refused = op.begin(start)
    if refused is not None:
        return refused
    rates = op.plan["rates"]
    seconds = None if op.plan["hang"] else rates["shutdown_seconds"] + rates["op_overhead"]
    wait = op.plan["wait"]
    if wait is not None and (seconds is None or seconds > wait):
        if not op.sleep(op.real(wait)):
            return op.taken_away()
        return _give_up_shutdown(op)
    if seconds is None:
        return op.hang()
    if not op.sleep(op.real(seconds)):
        return op.taken_away()
    return _finish_halt(op)


def _give_up_shutdown(op: _Op) -> Outcome:
    with op.host.edit() as state:
        zone = op.owned(state)
        if zone is None:
            return op.taken_away(state)
        transitions.cancel_op(state, zone)  # still shutting down, as far as anyone knows
        return fail("unable to shutdown zone")


def halt(host: SimHost, name: str, *, behind_lock: bool = False) -> Outcome:
    """``behind_lock`` (host setting ``zoneadmd = "illumos"``): wait for a boot,
    resume, reboot, suspend or halt in progress, then act on the zone as it left it,
    as illumos zoneadmd's server() does, which holds its lock through those; only a
    shutdown waits for the zone with the lock released (``wait_shut``), and a halt
    takes the zone from it.  Without: take the zone from whatever is in progress."""
    op = _Op(host, name, "halt")

    def start(state: State, zone: Zone, now: float) -> Outcome | None:
        current = zone["state"]
        if current in transitions.ACTIVE_STATES:
            transitions.cancel_op(state, zone)
            zone["state"] = "down"
            op.mark(zone)
            return None
        if transitions.is_suspended(zone) and state["halt_discards_image"]:
            # Whether halt discards a suspend image is UNCONFIRMED (docs/solaris.md
            # 1.5), hence the host setting halt_discards_image.
            transitions.cancel_op(state, zone)
            transitions.discard_image(state, zone)
            op.mark(zone)
            return None
        if current == "installed":
            # illumos zoneadmd: "zone is already halted", status 0; see boot.
            return Outcome(int(state["already_in_state_exit"]), ("zone is already halted",))
        # illumos zoneadmd's wording for a command in the wrong state.
        return fail(f"halt operation is invalid for zones in state '{current}'")

    refused = op.begin(start, waits=_busy_but_shutting_down if behind_lock else _never)
    if refused is not None:
        return refused
    rates = op.plan["rates"]
    if not op.sleep(op.real(rates["halt_seconds"] + rates["op_overhead"])):
        return op.taken_away()
    return _finish_halt(op)


def _finish_halt(op: _Op) -> Outcome:
    with op.host.edit() as state:
        zone = op.owned(state)
        if zone is None:
            return op.taken_away(state)
        transitions.make_installed(state, zone)
        return OK


def reboot(host: SimHost, name: str, bootargs: list[str]) -> Outcome:
    """halt + boot (docs/solaris.md 1.6): a cold boot with a new boot time."""
    op = _Op(host, name, "reboot")

    def start(state: State, zone: Zone, now: float) -> Outcome | None:
        if zone["state"] not in ("running", "shutting_down", "down"):
            return fail("not running")  # illumos sanity_check(running=B_TRUE)
        zone["state"] = "down"
        zone["last_bootargs"] = list(bootargs)
        op.mark(zone)
        return None

    refused = op.begin(start)
    if refused is not None:
        return refused
    rates = op.plan["rates"]
    if not op.sleep(op.real(rates["halt_seconds"])):
        return op.taken_away()
    with host.edit() as state:
        zone = op.owned(state)
        if zone is None:
            return op.taken_away(state)
        transitions.retire_boot_time(zone)
        zone["state"] = "ready"
        zone["id"] = transitions.allocate_id(state)
        zone["online_at"] = None
    op.kind = "boot"
    if not op.sleep(op.real(rates["boot_seconds"] + rates["op_overhead"])):
        return op.taken_away()
    return _finish_boot(op)

"""Fakes for the executors' unit tests (StopRun, StartRun): a clock on which time
moves only when nothing else can, and a host whose zoneadm steps take scripted time
on that clock.

The executors run each zone in a thread of its own and wait for the zones' outcomes
on a queue (their ``event_queue``).  Here time is virtual: a fake step that "takes"
30 seconds sleeps on the FakeClock, and the executor's main loop waits on a
FakeEventQueue.  The clock moves on, to the earliest wake-up or to the main loop's
timeout, only when every worker thread of the run is asleep on it or gone; an
outcome is handed to the main loop only then too.  So what the main loop sees at
each instant is everything that happens at that instant, whatever the machine's
load, and a run of fake minutes takes milliseconds of real time.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from kzguard.errors import CommandError, CommandFailed, CommandMissing, CommandTimedOut
from kzguard.model import INSTALLED, RUNNING
from kzguard.solaris.parse.zpool import PoolTraffic

T = TypeVar("T")

# The executors name their threads kzguard-ZONE and their boot-time readers
# kzguard-boot-time_N (a ThreadPoolExecutor's, idle between reads: counted as busy
# only inside a FakeHost call, so time may move while one writes the journal).  A
# zone's worker waiting in real time for its reading (StopRun._walk) is busy: time
# does not move meanwhile.
WORKER_PREFIX = "kzguard-"
BOOT_TIME_READER_PREFIX = "kzguard-boot-time"
# Real seconds the clock waits for a worker thread to fall asleep on it or end
# before the test fails (a worker blocked on something else: a bug, not a slow CPU).
STALL_LIMIT = 20.0
# Answers of "nothing yet" in a row without the clock moving: an executor that
# polls at one instant forever (a bug) fails the test instead of hanging it.
BUSY_LIMIT = 1000
# Real seconds between two looks at the worker threads while one is still busy.
POLL = 0.001

ZoneStatus = tuple[str, tuple[str, ...]]  # zoneadm state and auxiliary states
RUNNING_ZONE: ZoneStatus = (RUNNING, ())
SUSPENDED_ZONE: ZoneStatus = (INSTALLED, ("suspended",))
HALTED_ZONE: ZoneStatus = (INSTALLED, ())


class Stalled(AssertionError):
    """The run waits for something the fake clock will never bring."""


class NoPoolSamples:
    """What a scripted pace answers about the pools' bandwidth: it wants none."""

    def wants_samples(self) -> bool:
        return False

    def sampled(self, start: float, stop: float, nbytes: float) -> None:
        raise AssertionError("a pace that wants no samples got one")

    def pools_lost(self, at: float) -> None:
        raise AssertionError("a pace that wants no samples heard of their watch")

    def verdict(self) -> str | None:
        return None


class OneSample:
    """What a scripted pace answers about the pools when it wants them until their
    first window, and then says VERDICT once."""

    VERDICT = "the pools' bandwidth gave 95% of what the ends measured: measuring by it"

    def __init__(self) -> None:
        self.samples: list[tuple[float, float, float]] = []
        self._said = False

    def wants_samples(self) -> bool:
        return not self.samples

    def sampled(self, start: float, stop: float, nbytes: float) -> None:
        self.samples.append((start, stop, nbytes))

    def pools_lost(self, at: float) -> None:
        raise AssertionError("the pools' watch failed under a pace that read them")

    def verdict(self) -> str | None:
        if self._said or not self.samples:
            return None
        self._said = True
        return self.VERDICT


class FailingPools:
    """zpool that cannot run: the host has no ZFS library, say."""

    def __init__(self) -> None:
        self.runner = self
        self.calls = 0

    def pool_traffic(self, seconds: int) -> PoolTraffic:
        self.calls += 1
        raise CommandFailed(
            ("/usr/sbin/zpool", "iostat", str(seconds), "2"),
            1,
            "internal error: failed to initialize ZFS library",
        )

    def close(self) -> int:
        return 0


class FakePools:
    """The pools' Host a PoolWatch reads (kzguard/pace/watch.py): each window
    sleeps its seconds on the clock and answers the next of ``traffic``, timed by the
    clock; with none
    left it sleeps until the watch is closed, whose kill (``runner.close``)
    fails it as zpool killed by SIGKILL."""

    def __init__(self, clock: FakeClock, *traffic: tuple[float, float]) -> None:
        self.clock = clock
        self.traffic = list(traffic)  # (read, write) bytes a second of each window
        self.windows: list[int] = []  # the seconds of each call
        self.runner = self  # what the watch ends its commands through
        self.killed = 0
        self._caller: int | None = None

    def pool_traffic(self, seconds: int) -> PoolTraffic:
        self.windows.append(seconds)
        self._caller = threading.get_ident()
        start = self.clock()
        if not self.killed:
            self.clock.sleep(seconds if self.traffic else math.inf)
        if self.killed or not self.traffic:
            raise CommandFailed(("/usr/sbin/zpool", "iostat", str(seconds), "2"), -9, "")
        read, write = self.traffic.pop(0)
        return PoolTraffic(start, self.clock(), read, write)

    def close(self) -> int:
        self.killed += 1
        if self._caller is not None:
            self.clock.wake(self._caller)
        return 1


class FakeClock:
    """Virtual monotonic time; call it for the time, ``sleep`` on it from a worker,
    and give the executor ``event_queue=clock.queue``."""

    def __init__(self, start: float = 1000.0) -> None:
        self.start = start
        self._now = start
        self._changed = threading.Condition()
        self._wakes: dict[int, float] = {}  # sleeping thread -> when it wakes
        self._busy: set[int] = set()  # boot-time readers inside a fake host call
        # Threads of earlier tests (an abandoned worker ending late) are not this
        # run's workers.
        self._foreign = set(threading.enumerate())
        self._closed = False
        self._empty_at_once = 0  # queue.Empty answers in a row with no time passing
        self._wall_started = time.monotonic()

    def __call__(self) -> float:
        with self._changed:
            return self._now

    @property
    def elapsed(self) -> float:
        """Fake seconds since the clock was made."""
        return self() - self.start

    @property
    def wall(self) -> float:
        """Real seconds since the clock was made."""
        return time.monotonic() - self._wall_started

    def sleep(self, seconds: float) -> None:
        """Block the calling worker until the clock reaches now + ``seconds``
        (forever for math.inf: until :meth:`close`)."""
        with self._changed:
            if self._closed or seconds <= 0:
                return
            me = threading.get_ident()
            self._wakes[me] = self._now + seconds
            self._changed.notify_all()
            while me in self._wakes and not self._closed:
                self._changed.wait()
            self._wakes.pop(me, None)

    def queue(self) -> FakeEventQueue[Any]:
        return FakeEventQueue(self)

    @property
    def closed(self) -> bool:
        with self._changed:
            return self._closed

    def close(self) -> None:
        """Wake every sleeper for good (at the end of a test: a hung step returns)."""
        with self._changed:
            self._closed = True
            self._wakes.clear()
            self._changed.notify_all()

    @contextmanager
    def busy(self) -> Iterator[None]:
        """Mark the calling thread as working (for boot-time readers, which are
        otherwise counted as idle)."""
        me = threading.get_ident()
        with self._changed:
            self._busy.add(me)
        try:
            yield
        finally:
            with self._changed:
                self._busy.discard(me)
                self._changed.notify_all()

    def notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def wake(self, ident: int) -> None:
        """Wake the thread ``ident`` from its sleep now (a killed command)."""
        with self._changed:
            self._wakes.pop(ident, None)
            self._changed.notify_all()

    def next_event(self, events: FakeEventQueue[T], timeout: float | None) -> T:
        """What ``events.get(timeout=timeout)`` does on this clock: once every
        worker sleeps or has ended, the next outcome; else the clock moves to the
        earliest wake-up within ``timeout`` and looks again; else queue.Empty with
        the clock at the end of ``timeout``."""
        with self._changed:
            end = self._now + (math.inf if timeout is None else max(timeout, 0.0))
            waiting_since = time.monotonic()
            while True:
                active = self._active()
                if active:
                    if time.monotonic() - waiting_since > STALL_LIMIT:
                        raise Stalled(f"worker threads never settled: {', '.join(active)}")
                    self._changed.wait(POLL)
                    continue
                try:
                    event = queue.Queue.get(events, block=False)
                except queue.Empty:
                    pass
                else:
                    self._empty_at_once = 0
                    return event
                wake = min(self._wakes.values(), default=math.inf)
                if wake > end:
                    if math.isinf(end):
                        raise Stalled("waiting forever: no worker runs and none will wake")
                    self._empty_at_once = self._empty_at_once + 1 if end <= self._now else 0
                    if self._empty_at_once > BUSY_LIMIT:
                        raise Stalled(f"the run polls at {self._now} without end")
                    self._now = max(self._now, end)
                    raise queue.Empty
                self._now = wake
                for ident, at in list(self._wakes.items()):
                    if at <= wake:
                        del self._wakes[ident]
                self._changed.notify_all()
                waiting_since = time.monotonic()

    def _active(self) -> list[str]:
        """This run's worker threads that neither sleep on the clock nor have ended
        (caller holds ``_changed``)."""
        me = threading.get_ident()
        active = []
        for thread in threading.enumerate():
            if not thread.name.startswith(WORKER_PREFIX) or thread in self._foreign:
                continue
            if thread.ident == me or thread.ident in self._wakes:
                continue
            if thread.name.startswith(BOOT_TIME_READER_PREFIX) and thread.ident not in self._busy:
                continue
            active.append(thread.name)
        return active


class FakeEventQueue(queue.Queue[T]):
    """The executors' outcome queue, with ``get`` waiting on a FakeClock."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock

    def put(self, item: T, block: bool = True, timeout: float | None = None) -> None:
        super().put(item, block, timeout)
        self.clock.notify()

    def get(self, block: bool = True, timeout: float | None = None) -> T:
        if not block:
            return super().get(block=False)
        return self.clock.next_event(self, timeout)


class CountingCondition(threading.Condition):
    """A Condition that counts the calls that wake its waiters, notify and
    notify_all alike, one each (notify_all goes through notify in CPython)."""

    def __init__(self) -> None:
        super().__init__()
        self.notified = 0
        self._inner = False  # in notify_all (callers hold the lock)

    def notify(self, n: int = 1) -> None:
        if not self._inner:
            self.notified += 1
        super().notify(n)

    def notify_all(self) -> None:
        self.notified += 1
        self._inner = True
        try:
            super().notify_all()
        finally:
            self._inner = False


@dataclass(frozen=True)
class Step:
    """One scripted ``zoneadm -z ZONE suspend|shutdown|halt|boot``.

    It takes ``seconds`` of fake time, cut short at its timeout like the runner's
    kill (CommandTimedOut); then it fails (``error``: zoneadm's stderr, exit status
    1; ``missing``: zoneadm cannot be run) or succeeds.  Afterwards the zone is
    ``leaves`` if given, gone if ``gone``, else what the step makes of it when it
    succeeds and unchanged when it fails or times out.  A ``hang`` step never
    returns, whatever its timeout, until the test ends.  ``defect``: raised once
    the step is over, in place of its result: a defect of kzguard's own around the
    command (the zone is what the step made of it, or ``leaves``).
    """

    seconds: float = 1.0
    error: str | None = None
    leaves: ZoneStatus | None = None
    gone: bool = False
    hang: bool = False
    missing: bool = False
    defect: Exception | None = None


@dataclass(frozen=True)
class Operation:
    """One zoneadm step as the fake host saw it."""

    zone: str
    action: str
    args: tuple[str, ...]
    timeout: float
    began: float
    ended: float | None  # None while it hangs
    result: str  # "ok", "failed", "timed out", "missing" or "hung"


DEFAULT_SECONDS = {"suspend": 10.0, "shutdown": 5.0, "halt": 1.0, "boot": 3.0}
_SUCCEEDED = {
    "suspend": SUSPENDED_ZONE,
    "shutdown": HALTED_ZONE,
    "halt": HALTED_ZONE,
    "boot": RUNNING_ZONE,
}
ZONEADM = "/usr/sbin/zoneadm"
ZLOGIN = "/usr/sbin/zlogin"


@dataclass
class FakeHost:
    """The Host methods the executors call, over scripted zones, on a FakeClock.

    ``zones``: each zone's state now (None: no longer configured).  Unscripted
    steps take DEFAULT_SECONDS and succeed.  ``boot_times``: the in-zone boot
    times read one after the other (a CommandError is raised; the last answer
    repeats).  ``ready_at``: the fake time from which a zone's readiness probe
    (milestone or command) succeeds; a zone not listed is ready at once.
    ``unreadable``: zones whose state cannot be read.  ``images``: the size of the
    image file at each path (a path not listed has none).  ``state_seconds``: the
    fake seconds each look at a zone's state takes.  ``aux_unknown``: zones whose
    look gives no auxiliary states (zoneadm list -s left them out).
    """

    clock: FakeClock
    zones: dict[str, ZoneStatus | None]
    boot_times: dict[str, list[int | CommandError]] = field(default_factory=dict)
    ready_at: dict[str, float] = field(default_factory=dict)
    unreadable: dict[str, CommandError] = field(default_factory=dict)
    images: dict[str, int] = field(default_factory=dict)
    state_seconds: float = 0.0
    aux_unknown: set[str] = field(default_factory=set)
    image_reads: list[str] = field(default_factory=list)
    operations: list[Operation] = field(default_factory=list)  # as they end (hung: begin)
    state_reads: list[tuple[float, str]] = field(default_factory=list)
    boot_time_reads: list[tuple[float, str, float]] = field(default_factory=list)
    probes: list[tuple[float, str, str]] = field(default_factory=list)
    peak: int = 0
    _scripts: dict[tuple[str, str], list[Step]] = field(default_factory=dict)
    _running: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def script(self, zone: str, action: str, *steps: Step) -> None:
        """The next ``action`` steps on ``zone``, one per call, in order."""
        self._scripts.setdefault((zone, action), []).extend(steps)

    def started(self, action: str | None = None) -> list[tuple[float, str]]:
        """(fake time, zone) of every step (of ``action``) in the order they began;
        those that began at the same instant by zone name (their threads race)."""
        return sorted((op.began, op.zone) for op in self.operations if action in (None, op.action))

    # -- the Host interface ------------------------------------------------------

    def operate(self, zone_name: str, subcommand: str, *args: str, timeout: float) -> None:
        argv = (ZONEADM, "-z", zone_name, subcommand, *args)
        with self._lock:
            steps = self._scripts.get((zone_name, subcommand))
            step = steps.pop(0) if steps else Step(DEFAULT_SECONDS.get(subcommand, 1.0))
            self._running += 1
            self.peak = max(self.peak, self._running)
        began = self.clock()
        if step.hang:
            self._log(Operation(zone_name, subcommand, args, timeout, began, None, "hung"))
            self.clock.sleep(math.inf)
            self._finished()
            raise CommandTimedOut(argv, timeout)
        timed_out = step.seconds > timeout
        self.clock.sleep(min(step.seconds, timeout))
        if timed_out:
            result = "timed out"
        elif step.missing:
            result = "missing"
        else:
            result = "failed" if step.error is not None else "ok"
        with self._lock:
            if step.gone:
                self.zones[zone_name] = None
            elif step.leaves is not None:
                self.zones[zone_name] = step.leaves
            elif result == "ok":
                self.zones[zone_name] = _SUCCEEDED[subcommand]
        self._log(Operation(zone_name, subcommand, args, timeout, began, self.clock(), result))
        self._finished()
        if step.defect is not None:
            raise step.defect
        if timed_out:
            raise CommandTimedOut(argv, timeout)
        if step.missing:
            raise CommandMissing(argv, "No such file or directory")
        if step.error is not None:
            raise CommandFailed(argv, 1, step.error)

    def zone_state(self, zone_name: str) -> tuple[str, tuple[str, ...] | None] | None:
        if self.state_seconds:
            self.clock.sleep(self.state_seconds)
        with self._lock:
            self.state_reads.append((self.clock(), zone_name))
            if zone_name in self.unreadable:
                raise self.unreadable[zone_name]
            status = self.zones.get(zone_name)
            if status is not None and zone_name in self.aux_unknown:
                return status[0], None
            return status

    def auxiliary_states(self) -> dict[str, ZoneStatus]:
        with self._lock:
            return {name: status for name, status in self.zones.items() if status is not None}

    def image_size(self, path: str) -> int | None:
        with self._lock:
            self.image_reads.append(path)
            return self.images.get(path)

    def boot_time(self, zone_name: str, *, timeout: float) -> int:
        with self.clock.busy(), self._lock:
            self.boot_time_reads.append((self.clock(), zone_name, timeout))
            answers = self.boot_times.get(zone_name) or [
                CommandFailed((ZLOGIN, zone_name), 1, "no boot time scripted")
            ]
            answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, CommandError):
            raise answer
        return answer

    def milestone_state(self, zone_name: str, *, timeout: float) -> str:
        return "online" if self._probe(zone_name, "milestone") else "offline"

    def in_zone_succeeds(self, zone_name: str, command: str, *, timeout: float) -> bool:
        return self._probe(zone_name, command)

    # -- bookkeeping -------------------------------------------------------------

    def _probe(self, zone_name: str, what: str) -> bool:
        now = self.clock()
        with self._lock:
            self.probes.append((now, zone_name, what))
            return now >= self.ready_at.get(zone_name, -math.inf)

    def _log(self, operation: Operation) -> None:
        with self._lock:
            self.operations.append(operation)

    def _finished(self) -> None:
        with self._lock:
            self._running -= 1


class ScriptedSurvey:
    """The live configurations arriving on the fake clock (solaris/survey.py's role):
    ``arrivals`` maps a zone to (fake seconds after the clock's time when made, whether it is the one planned
    from); a zone not in it is not read."""

    def __init__(self, clock: FakeClock, arrivals: dict[str, tuple[float, bool]]) -> None:
        self.clock = clock
        self.t0 = clock()
        self.arrivals = arrivals
        self.read: dict[str, bool] = {}

    def start(self, notify: Callable[[str], None]) -> None:
        def arrive() -> None:
            for name, (at, same) in sorted(self.arrivals.items(), key=lambda a: a[1][0]):
                self.clock.sleep(self.t0 + at - self.clock())
                self.read[name] = same
                notify(name)

        threading.Thread(target=arrive, name="kzguard-zonecfg-0", daemon=True).start()

    def unchanged(self, name: str) -> bool | None:
        return self.read.get(name) if name in self.arrivals else True

    def complete(self) -> bool:
        return len(self.read) == len(self.arrivals)

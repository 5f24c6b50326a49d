"""Reboot-cycle soak: a simulated Solaris host is driven through many random global-zone
reboots, with faults, kills and operator actions, and kzguard's invariants are checked
after every step.

hypothesis's stateful testing (:class:`RebootCycles`) makes one simulated host
(kzguard.sim) per example, arms the guard with the real start method, then chooses
steps at random:

- operator actions while the host is up: ``zoneadm boot`` (resume, or ``boot -R``) and
  ``zoneadm halt`` by hand, a new valid policy (random ``after`` orderings, actions,
  ``parallel`` limits, deadlines, timeouts, exclusions), an invalid edit (syntax,
  unknown table, dependency cycle, impossible budget, world-writable file) and back,
  each with or without ``svcadm refresh`` (the refresh method), kernel zones added to
  and removed from the host;
- a shutdown of one kind: ``init 6`` in svc.startd's order (run level 6 for ``who
  -r`` and options_ovr/runlevel deleted; the stop method runs to its end while the
  zones service applies the autoshutdown of every zone instance kzguard does not
  hold; the held ones after it; then the power goes), the stop method killed with
  SIGKILL at a random moment (svc.startd then goes on with the shutdown), the power
  lost in the middle of the stop, ``reboot`` (no stop method: every zone halted), or
  ``svcadm restart`` at run level 3 (the stop method must stand down); each with
  suspend and shutdown faults drawn per zone (suspend fails with ENOSPC, hangs, or
  loses the image; shutdown hangs).  Before an ``init 6`` the operator runs
  ``kzguard apply`` if the managed zones changed, as docs/solaris.md 13 asks;
- the global zone's boot (the zones service boots ``autoboot`` zones), with resume and
  boot faults drawn per zone (corrupt image, boot fails), then operator boots and
  halts before kzguard's start method runs;
- the start method, run to its end, or killed with SIGKILL at a random moment and run
  again (svcadm clear).

Every kzguard run is the real ``kzguard method start|stop|refresh`` (and ``kzguard
status --json``) in a subprocess against the host's simulated zoneadm, zonecfg, zlogin,
svcprop, who, df and kstat.  The invariants (each a named check below) and the fault
and action catalogue are described in docs/reliability.md.

The default run is short and reproducible: derandomized, SOAK_EXAMPLES examples of at
most SOAK_STEPS steps.  A long run, with random seeds::

    KZGUARD_SOAK_EXAMPLES=100 KZGUARD_SOAK_STEPS=60 \\
        .venv/bin/python -m pytest -q tests/soak/test_reboot_cycles.py

Setting either variable turns derandomization off; add ``--hypothesis-seed=N`` to
repeat a long run's choices (the timing of the processes is never the same twice),
and ``--hypothesis-show-statistics`` to see how often each kind of shutdown, kill
and operator action happened.  On a failure hypothesis shrinks the run and prints the
minimal sequence of steps; ``KZGUARD_SOAK_SHRINK=0`` prints the sequence as found.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from kzguard.journal.store import JOURNAL_NAME, read_journal_json
from kzguard.sim import control, shutdown, smfgraph, svcstartd
from kzguard.sim.create import create_host
from kzguard.sim.smfrepo import ZONE_INSTANCE_PREFIX
from kzguard.sim.state import SimHost
from tests.integration.conftest import KZGUARD_FMRI, apply_manifest
from tests.support import FAST_RATES, write_policy

SOAK_EXAMPLES = int(os.environ.get("KZGUARD_SOAK_EXAMPLES", "4"))
SOAK_STEPS = int(os.environ.get("KZGUARD_SOAK_STEPS", "50"))
LONG_RUN = "KZGUARD_SOAK_EXAMPLES" in os.environ or "KZGUARD_SOAK_STEPS" in os.environ
# KZGUARD_SOAK_SHRINK=0: report a failure as found, without shrinking it (a shrink
# replays the sequence many times, and timing makes some failures hard to replay).
SHRINK = os.environ.get("KZGUARD_SOAK_SHRINK", "1") != "0"
# KZGUARD_SOAK_LOG=FILE: one JSON line per example (steps, reboot cycles, kinds of
# shutdown, seconds), for the record of a long run in docs/reliability.md.
SOAK_LOG = os.environ.get("KZGUARD_SOAK_LOG")

# Real seconds per simulated second, and simulated durations short enough that a
# cycle costs about what kzguard's own processes cost.
TIME_SCALE = 0.01
# The stop method's clock starts once kzguard is imported; before it run the Python
# start-up and the imports, after the deadline the last journal and history writes and
# the exit.  Three seconds covers both on a loaded two-CPU machine.
DEADLINE_SLACK = 3.0
METHOD_TIMEOUT = 120.0  # a method still running after this has hung: a failure
# How long the simulated svc.startd waits for the zones service after kzguard's stop
# method (a hung autoshutdown is not waited for: the zones service halts it).
ZONES_SERVICE_TIMEOUT = 20.0
# What the zones service's background runs have in their command line
# (kzguard.sim.shutdown.RUNNER).
ZONES_SERVICE_RUNNER = b"kzguard.sim.zonesvc"
ACTIVE = frozenset({"ready", "running", "shutting_down", "down"})
DOING = {"suspend": "suspending", "shutdown": "shutting-down", "halt": "halting"}

SHUTDOWN_KINDS = (
    "init 6",
    "init 6, stop method killed",
    "power loss during the stop",
    "reboot",
    "kzguard stop, then reboot",
    "svcadm restart",
)
AUTOSHUTDOWN = ("shutdown", "shutdown", "suspend", "halt")
# Operator actions in a row before the host goes down (up) or kzguard's start method
# runs (booted): hypothesis's choices repeat a rule in long runs, and without a bound
# an example could spend all its steps on cheap actions and never reboot.
ACTIONS_PER_PHASE = {"up": 3, "booted": 2}
# Every draw is over these names, whether the zone exists now or not, so that the
# choices hypothesis makes do not depend on what the host did (timing, kills): its
# shrinking replays the same choices.  A draw that names a missing zone does nothing.
ZONE_NAMES = tuple(f"kz{n}" for n in range(1, 7))
# Faults per zone and cycle (kzguard.sim.state.FAULTS); most zones get none.  A
# failed suspend and a hung shutdown together leave only the halt.
Faults = tuple[tuple[str, str], ...]
STOP_FAULTS: tuple[Faults, ...] = (
    (),
    (),
    (),
    (("suspend", "enospc"),),
    (("suspend", "hang"),),
    (("suspend", "lose-image"),),
    (("shutdown", "hang"),),
    (("suspend", "hang"), ("shutdown", "hang")),
    (("suspend", "enospc"), ("shutdown", "hang")),
)
START_FAULTS: tuple[Faults, ...] = ((), (), (), (("resume", "corrupt"),), (("boot", "fail"),))
ACTIONS = ("suspend", "suspend", "suspend", "shutdown", "halt", "ignore")
INVALID_EDITS = {
    "syntax error": "\nthis is not TOML\n",
    "unknown table": '\n[shutdwn]\ndeadline = "10m"\n',
    "dependency cycle": '\n[zone.zz1]\nafter = ["zz2"]\n[zone.zz2]\nafter = ["zz1"]\n',
    "impossible budget": '\n[zone.zz3]\naction = "suspend"\nsuspend_timeout = "1h"\n',
    "world-writable": "",
}


class InvariantViolated(AssertionError):
    """One of the soak's invariants does not hold."""


def violated(invariant_name: str, message: str) -> InvariantViolated:
    return InvariantViolated(f"invariant {invariant_name!r} violated: {message}")


# -- the policy, as the soak generates it -------------------------------------------


@dataclass(frozen=True)
class ZoneTable:
    action: str
    after: tuple[str, ...]
    resume: bool
    fallback_halt_only: bool


@dataclass(frozen=True)
class PolicyModel:
    deadline: int  # shutdown.deadline, seconds
    parallel: int
    suspend_timeout: int
    shutdown_timeout: int
    resume_parallel: int
    on_failure: str
    boot_lost: bool
    default_action: str
    exclude: tuple[str, ...]
    zones: tuple[tuple[str, ZoneTable], ...]

    @property
    def tables(self) -> dict[str, ZoneTable]:
        return dict(self.zones)

    def text(self) -> str:
        """The policy's TOML, for tests.support.write_policy to put after the host's own
        command paths and state directory."""
        lines = [
            "[shutdown]",
            f'deadline = "{self.deadline}s"',
            f"parallel = {self.parallel}",
            # The simulated storage is fast; tell the planner, or it demotes suspends.
            'assumed_rate = "64G"',
            "[resume]",
            'deadline = "30s"',
            f"parallel = {self.resume_parallel}",
            'stagger = "0s"',
            f'on_failure = "{self.on_failure}"',
            f"boot_lost = {'true' if self.boot_lost else 'false'}",
            "[select]",
            f"exclude = {json.dumps(list(self.exclude))}",
            "[defaults]",
            f'action = "{self.default_action}"',
            f'suspend_timeout = "{self.suspend_timeout}s"',
            f'shutdown_timeout = "{self.shutdown_timeout}s"',
            'halt_timeout = "1s"',
        ]
        for name, table in self.zones:
            lines += [f"[zone.{name}]", f'action = "{table.action}"']
            if table.after:
                lines.append(f"after = {json.dumps(list(table.after))}")
            if not table.resume:
                lines.append("resume = false")
            if table.fallback_halt_only:
                lines.append('fallback = ["halt"]')
        return "\n".join(lines) + "\n"

    def manages(self, name: str, zone: dict[str, Any]) -> bool:
        """Whether this policy manages the zone (kzguard.policy.selection's precedence,
        restated here so that the soak does not take kzguard's word for it)."""
        tables = self.tables
        if name in tables:
            return tables[name].action != "ignore"
        if name in self.exclude:
            return False
        if zone["brand"] != "solaris-kz" or not zone["config"].get("suspend"):
            return False
        return self.default_action != "ignore"

    def resumes(self, name: str) -> bool:
        table = self.tables.get(name)
        return table is None or table.resume


@st.composite
def policies(draw: st.DrawFn, zones: list[str]) -> PolicyModel:
    """A valid policy over the kernel zones ``zones``: random `after` relations
    (acyclic: only to zones earlier in a random order), actions, limits, deadlines."""
    tabled = draw(st.lists(st.sampled_from(zones), unique=True)) if zones else []
    order = draw(st.permutations(tabled))
    tables: list[tuple[str, ZoneTable]] = []
    for index, name in enumerate(order):
        earlier = order[:index]
        after = (
            tuple(draw(st.lists(st.sampled_from(earlier), unique=True, max_size=2)))
            if earlier
            else ()
        )
        action = draw(st.sampled_from(ACTIONS))
        table = ZoneTable(
            action=action,
            after=after,
            resume=draw(st.booleans()),
            # A fallback must be weaker than the action (kzguard.policy.schema).
            fallback_halt_only=action in ("suspend", "shutdown") and draw(st.booleans()),
        )
        tables.append((name, table))
    untabled = [zone for zone in zones if zone not in tabled]
    exclude = draw(st.lists(st.sampled_from(untabled), unique=True, max_size=1)) if untabled else []
    return PolicyModel(
        deadline=draw(st.sampled_from((10, 12, 16))),
        parallel=draw(st.integers(1, 4)),
        # Hung steps long enough that a few of them, one at a time, overrun the
        # deadline: kzguard must cut them short.
        suspend_timeout=draw(st.sampled_from((1, 2, 4))),
        shutdown_timeout=draw(st.sampled_from((1, 3))),
        resume_parallel=draw(st.integers(1, 3)),
        on_failure=draw(st.sampled_from(("leave", "fresh-boot"))),
        boot_lost=draw(st.booleans()),
        default_action=draw(st.sampled_from(("suspend", "suspend", "suspend", "shutdown"))),
        exclude=tuple(exclude),
        zones=tuple(sorted(tables)),
    )


# -- running things ------------------------------------------------------------------


@dataclass
class MethodRun:
    name: str
    status: int | None  # None: killed
    stderr: str
    seconds: float
    killed: bool
    since: int  # the command log's length when it began
    calls: list[Call] = field(default_factory=list)


@dataclass(frozen=True)
class Call:
    """One `zoneadm -z ZONE VERB ...` from the simulated host's command log."""

    zone: str
    verb: str
    args: tuple[str, ...]
    time: float
    pid: int


@dataclass
class Shutdown:
    """What the soak saw when the host went down, for the checks at the next boot."""

    kind: str
    started: float
    running: dict[str, int | None]  # every zone running at the shutdown: its boot time
    managed: frozenset[str]  # running and managed by the policy in force then
    armed: frozenset[str]  # armed.running in the journal then
    stop_began_cycle: bool  # the stop method wrote its cycle record
    # Each zone's (state, auxiliary states, has an image) once the host first came
    # back: an operator's boot and halt that leave a zone as it was leave no trace
    # kzguard could see (a shut-down zone booted and halted again by hand).
    came_back: dict[str, tuple[str, tuple[str, ...], bool]] = field(default_factory=dict)


def host_processes(host: SimHost) -> list[int]:
    """Processes of this simulated host (its tools, and kzguard run against its
    policy): their command lines name the host's unique temporary directory."""
    needle = str(host.path).encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if needle in cmdline:
            found.append(int(entry))
    return found


def kill_host_processes(host: SimHost, *, keep_zones_service: bool = False) -> None:
    """The power goes: every process of this host dies (only this host's: see
    host_processes).  ``keep_zones_service``: all but the zones service's background
    runs and zoneadmd's work -- svc.startd killing a stop method's contract (its
    zoneadm and zlogin included) while svc.zones goes on with its autoshutdowns and
    zoneadmd, in no contract of the method's, with the operations it was asked for."""
    for _ in range(50):
        pids = host_processes(host)
        if keep_zones_service:
            zoneadmd = zoneadmd_processes(host)
            pids = [pid for pid in pids if not is_zones_service(pid) and pid not in zoneadmd]
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)
    raise AssertionError(f"processes of {host.path} survive SIGKILL: {host_processes(host)}")


def zoneadmd_processes(host: SimHost) -> frozenset[int]:
    """With ``zoneadmd = "illumos"`` each zoneadm operation runs in a process of its
    own, zoneadmd's part (sim/zoneadm.py _in_zoneadmd), whose pid the zone's
    operation records; otherwise the operation is zoneadm's own and dies with it."""
    state = host.read()
    if state.get("zoneadmd") != "illumos":
        return frozenset()
    return frozenset(
        int(zone["op"]["pid"]) for zone in state["zones"].values() if zone["op"] is not None
    )


def is_zones_service(pid: int) -> bool:
    try:
        return ZONES_SERVICE_RUNNER in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def held_by_kzguard(state: dict[str, Any]) -> frozenset[str]:
    """The zones whose up instance kzguard's running instance holds now."""
    return frozenset(
        shutdown.zone_of(instance)
        for instance, holders in shutdown.held_zone_instances(state).items()
        if any(holder.startswith(f"{KZGUARD_FMRI} (") for holder in holders)
    )


def declared_zones(state: dict[str, Any]) -> frozenset[str]:
    """The zones whose instance kzguard's running snapshot depends on."""
    props = state["smf"].get(KZGUARD_FMRI, {})
    return frozenset(
        entity[len(ZONE_INSTANCE_PREFIX) :]
        for group in smfgraph.dependency_groups(props)
        if group.grouping != smfgraph.EXCLUDE_ALL
        for entity in group.entities
        if entity.startswith(ZONE_INSTANCE_PREFIX)
    )


def wait_quiet(host: SimHost, timeout: float = 20.0) -> None:
    """Wait for what a killed kzguard left running (zoneadm processes whose work goes
    on, as zoneadmd's would) to finish; kill what is still there after ``timeout``."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if not host_processes(host):
            return
        time.sleep(0.05)
    kill_host_processes(host)


def zone_calls(host: SimHost, since: int) -> list[Call]:
    calls = []
    for entry in host.commands()[since:]:
        argv = entry.get("argv", [])
        operation = entry["tool"] == "zoneadm" and argv[1:2] == ["-z"] and argv[3:4] != ["list"]
        if entry["event"] == "start" and operation and len(argv) > 3:
            calls.append(Call(argv[2], argv[3], tuple(argv[4:]), entry["time"], entry["pid"]))
    return calls


def journal_document(host: SimHost) -> dict[str, Any]:
    """journal.json with journal.changes applied, as kzguard reads it."""
    document, problem = read_journal_json(str(host.state_dir), move_aside=False)
    assert problem is None, problem
    return document or {}


# -- the state machine ---------------------------------------------------------------


class RebootCycles(RuleBasedStateMachine):
    """One simulated host through random reboot cycles; see the module docstring."""

    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="kzguard-soak-"))
        self.host = SimHost(self.root / "host")  # made for real by setup()
        self.phase = "up"  # up, down (powered off), booted (start method not yet run)
        self.actions = 0  # operator actions since the phase began
        self.down_again = False  # the host went down again before this start method
        self.policy: PolicyModel | None = None  # the file's policy when it is valid
        self.file_valid = True
        self.last_good: PolicyModel | None = None
        self.last_good_text = ""
        self.shutdown: Shutdown | None = None
        self.touched: set[str] = set()  # booted or halted by hand since the host went down
        self.halted_since_arm: set[str] = set()
        # Boots the invariant lets pass because kzguard cannot see what the operator did
        # (docs/reliability.md, "Limits"), counted by kind for the record.
        self.unseen: dict[str, int] = {}
        self.began = time.monotonic()
        self.steps = -1  # the invariants run once after the set-up, then after each step
        self.cycles = 0
        self.kinds: dict[str, int] = {}

    def teardown(self) -> None:
        if self.host.state_file.exists():
            kill_host_processes(self.host)
        shutil.rmtree(self.root, ignore_errors=True)
        if SOAK_LOG:
            record = {
                "time": round(time.time(), 1),
                "steps": self.steps,
                "cycles": self.cycles,
                "shutdowns": self.kinds,
                "unseen_operator_halts": self.unseen,
                "seconds": round(time.monotonic() - self.began, 1),
            }
            with open(SOAK_LOG, "a", encoding="utf-8") as log:
                log.write(json.dumps(record, sort_keys=True) + "\n")

    # -- helpers ------------------------------------------------------------------

    def zones(self) -> dict[str, dict[str, Any]]:
        zones: dict[str, dict[str, Any]] = self.host.read()["zones"]
        return zones

    def may_act(self, phase: str | None = None) -> bool:
        """Whether an operator action may come next (in ``phase``, or either)."""
        if phase is not None and self.phase != phase:
            return False
        return self.actions < ACTIONS_PER_PHASE.get(self.phase, 0)

    def enter(self, phase: str) -> None:
        self.phase = phase
        self.actions = 0

    def zone_state(self, name: str) -> tuple[str, tuple[str, ...], int | None] | None:
        zone = self.zones().get(name)
        return (zone["state"], tuple(zone["aux"]), zone["boot_time"]) if zone else None

    def in_force(self) -> PolicyModel:
        """The policy the methods act on: the file when valid, else the last good copy."""
        chosen = self.policy if self.file_valid else self.last_good
        assert chosen is not None
        return chosen

    def method(self, name: str, *, kill_after: float | None = None) -> MethodRun:
        """Run `kzguard method NAME` as svc.startd would; with ``kill_after``, SIGKILL
        it after that many seconds (unless it finished first)."""
        return self.kzguard("method", name, kill_after=kill_after)

    def kzguard(self, *args: str, kill_after: float | None = None) -> MethodRun:
        name = " ".join(args)
        since = len(self.host.commands())
        argv = [sys.executable, "-m", "kzguard", "-c", str(self.host.policy_path), *args]
        began = time.monotonic()
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        killed = False
        try:
            _, stderr = process.communicate(
                timeout=kill_after if kill_after is not None else METHOD_TIMEOUT
            )
        except subprocess.TimeoutExpired:
            process.kill()
            _, stderr = process.communicate()
            killed = True
            if kill_after is None:
                raise AssertionError(
                    f"kzguard {name} still running after {METHOD_TIMEOUT}s (hung); "
                    f"log:\n{stderr.decode(errors='replace')}"
                ) from None
        seconds = time.monotonic() - began
        return MethodRun(
            name,
            None if killed else process.returncode,
            stderr.decode(errors="replace"),
            seconds,
            killed,
            since,
            zone_calls(self.host, since),
        )

    def status_document(self) -> dict[str, Any]:
        completed = subprocess.run(
            [sys.executable, "-m", "kzguard", "-c", str(self.host.policy_path), "status", "--json"],
            capture_output=True,
            text=True,
            timeout=METHOD_TIMEOUT,
            check=False,
        )
        try:
            document: dict[str, Any] = json.loads(completed.stdout)
        except ValueError:
            raise AssertionError(
                f"kzguard status --json printed no JSON (exit {completed.returncode}):\n"
                f"{completed.stdout}{completed.stderr}"
            ) from None
        return document

    def zoneadm(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.host.executable("zoneadm"), *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            stdin=subprocess.DEVNULL,
        )

    def set_faults(self, faults: dict[str, Faults]) -> None:
        zones = self.zones()
        for zone, pairs in faults.items():
            for operation, fault in pairs:
                if zone in zones:
                    self.host.set_fault(zone, operation, fault)

    def clear_all_faults(self) -> None:
        with self.host.edit() as state:
            for zone in state["zones"].values():
                zone["faults"] = {}

    def power_off(self) -> None:
        kill_host_processes(self.host)
        control.power_off(self.host)

    # -- setting up -----------------------------------------------------------------

    @initialize(data=st.data())
    def setup(self, data: st.DataObject) -> None:
        count = data.draw(st.integers(2, 4), label="kernel zones")
        seed = data.draw(st.integers(0, 1000), label="host seed")
        self.host = create_host(self.root / "host", zones=count, seed=seed, time_scale=TIME_SCALE)
        autoboot = data.draw(
            st.lists(st.sampled_from(ZONE_NAMES[:count]), unique=True, max_size=1),
            label="autoboot zones",
        )
        discards = data.draw(st.booleans(), label="halt discards a suspend image")
        # illumos zoneadmd answers 0 to a boot of a booted zone and a halt of a halted
        # one; 11.4 is UNCONFIRMED (docs/solaris.md 14): kzguard must hold with both.
        already_exit = data.draw(st.sampled_from([0, 1]), label="already-in-state exit")
        # Whether a killed zoneadm's operation goes on, as illumos zoneadmd's does
        # (sim/zoneadm.py _in_zoneadmd), or ends with it (docs/solaris.md 14).
        zoneadmd = data.draw(st.sampled_from(["zoneadm", "illumos"]), label="zoneadmd")
        autoshutdown = {
            name: data.draw(st.sampled_from(AUTOSHUTDOWN), label=f"{name} autoshutdown")
            for name in ZONE_NAMES[:count]
        }
        with self.host.edit() as state:
            state["rates"].update(FAST_RATES)
            state["halt_discards_image"] = discards
            state["already_in_state_exit"] = already_exit
            state["zoneadmd"] = zoneadmd
            for name in autoboot:
                state["zones"][name]["config"]["autoboot"] = True
            for name, action in autoshutdown.items():
                state["zones"][name]["config"]["autoshutdown"] = action
        self.policy = data.draw(policies(list(ZONE_NAMES)), label="policy")
        write_policy(self.host, self.policy.text())
        # kzguard's manifest in the SMF repository: its instance depends on each
        # managed zone's instance (kzguard apply).
        apply_manifest(self.host)
        run = self.method("start")
        if run.status != 0:
            raise AssertionError(f"the first start method failed:\n{run.stderr}")
        self.remember_good()
        self.halted_since_arm = set()

    def remember_good(self) -> None:
        """The start method (and a valid refresh) keep the valid file as the last good copy."""
        if self.file_valid:
            self.last_good = self.policy
            self.last_good_text = self.host.policy_path.read_text(encoding="utf-8")

    # -- operator actions ---------------------------------------------------------

    @precondition(lambda self: self.may_act())
    @rule(data=st.data())
    def operator_boots_a_zone(self, data: st.DataObject) -> None:
        self.actions += 1
        zone = data.draw(st.sampled_from(ZONE_NAMES), label="zone")
        fresh = data.draw(st.booleans(), label="boot -R")
        if zone not in self.zones():
            return
        before = self.zone_state(zone)
        self.zoneadm("-z", zone, "boot", *(["-R"] if fresh else []))
        after = self.zone_state(zone)
        if after != before and before is not None and after is not None:
            event(
                f"operator boot{' -R' if fresh else ''} ({self.phase}): {before[:2]} -> {after[:2]}"
            )
        # Only a boot that did something counts (one of a running zone is refused).
        if self.phase == "booted" and after != before:
            self.touched.add(zone)

    @precondition(lambda self: self.may_act())
    @rule(data=st.data())
    def operator_halts_a_zone(self, data: st.DataObject) -> None:
        self.actions += 1
        zone = data.draw(st.sampled_from(ZONE_NAMES), label="zone")
        before = self.zone_state(zone)
        if before is None:
            return
        self.zoneadm("-z", zone, "halt")
        after = self.zone_state(zone)
        if after == before:
            return  # a halted zone: "zone is already halted"
        if before is not None and after is not None:
            event(f"operator halt ({self.phase}): {before[:2]} -> {after[:2]}")
        if self.phase == "booted":
            self.touched.add(zone)
        else:
            self.halted_since_arm.add(zone)

    @precondition(lambda self: self.may_act("up"))
    @rule(data=st.data())
    def operator_edits_the_policy(self, data: st.DataObject) -> None:
        assert self.policy is not None
        self.actions += 1
        kind = data.draw(st.sampled_from(("valid", "invalid", "restore")), label="edit")
        refresh = data.draw(st.booleans(), label="svcadm refresh")
        if kind == "valid":
            self.policy = data.draw(policies(list(ZONE_NAMES)), label="policy")
            write_policy(self.host, self.policy.text())
            self.file_valid = True
        elif kind == "restore":
            write_policy(self.host, self.policy.text())
            self.file_valid = True
        else:
            problem = data.draw(st.sampled_from(sorted(INVALID_EDITS)), label="problem")
            mode = 0o666 if problem == "world-writable" else 0o644
            write_policy(self.host, self.policy.text() + INVALID_EDITS[problem], mode=mode)
            self.file_valid = False
        if not refresh:
            return
        run = self.method("refresh")
        path = str(self.host.policy_path)
        if run.status != 0:
            raise violated(
                "bad policy never disarms",
                f"the refresh method exited {run.status} (maintenance):\n{run.stderr}",
            )
        if self.file_valid:
            first, *rest = run.stderr.splitlines()
            # The refresh method also keeps kzguard's per-zone dependency groups in
            # step with the zones the new policy manages (docs/solaris.md 13).
            in_step = f"kzguard: zone dependencies of {KZGUARD_FMRI}: "
            # A deadline raised by the edit outgrows the method timeouts the manifest
            # was applied with: refresh says so (kzguard/manifest/timeouts.py).
            short = tuple(
                f"kzguard: the {method} method's SMF timeout is " for method in ("start", "stop")
            )
            if first != f"kzguard: policy {path} is valid" or any(
                not line.startswith((in_step, *short)) for line in rest
            ):
                raise AssertionError(f"the soak's own policy was refused:\n{run.stderr}")
            self.remember_good()
        elif f"the last known good policy {path}.last-good stays in force" not in run.stderr:
            raise violated(
                "bad policy never disarms",
                f"the refresh of an invalid policy did not keep the last good copy:\n{run.stderr}",
            )

    @precondition(lambda self: self.may_act("up"))
    @rule(name=st.sampled_from(ZONE_NAMES))
    def operator_adds_a_kernel_zone(self, name: str) -> None:
        """zonecfg create and zoneadm install: a new kernel zone, installed (a name
        used before comes back with a new uuid: a different zone)."""
        self.actions += 1
        if name in self.zones():
            return
        with self.host.edit() as state:
            template = next(z for z in state["zones"].values() if z["brand"] == "solaris-kz")
            zone = json.loads(json.dumps(template))
            zone.update(
                id=None,
                state="installed",
                aux=[],
                uuid=str(uuid.uuid4()),
                zonepath=f"/system/zones/{name}",
                boot_time=None,
                boot_history=[],
                online_at=None,
                image=None,
                faults={},
                commands={},
                op=None,
                last_bootargs=[],
            )
            zone["config"]["autoboot"] = False
            zone["config"]["suspend"] = {
                "path": "/system/zones/%{zonename}/suspend",
                "storage": None,
            }
            state["zones"][name] = zone
            # Room for its suspend image, as an administrator would make.
            for fs in state["filesystems"]:
                if fs["mount"] == "/system/zones":
                    fs["size"] += 64 << 30
                    fs["available"] += 64 << 30

    @precondition(lambda self: self.may_act("up"))
    @rule(name=st.sampled_from(ZONE_NAMES))
    def operator_removes_a_halted_zone(self, name: str) -> None:
        self.actions += 1
        zone = self.zones().get(name)
        if zone is None or zone["state"] != "installed" or zone["op"] is not None:
            return
        # zonecfg delete after zoneadm uninstall: the zone and its image are gone.
        with self.host.edit() as state:
            zone = state["zones"].pop(name)
            if zone["image"] is not None:
                for fs in state["filesystems"]:
                    if fs["mount"] == zone["image"].get("mount"):
                        fs["available"] = min(fs["size"], fs["available"] + zone["image"]["bytes"])

    # -- the host goes down -----------------------------------------------------------

    @precondition(lambda self: self.phase == "up")
    @rule(data=st.data())
    def host_goes_down(self, data: st.DataObject) -> None:
        kind = data.draw(st.sampled_from(SHUTDOWN_KINDS), label="shutdown")
        faults = {
            zone: fault
            for zone in ZONE_NAMES
            if (fault := data.draw(st.sampled_from(STOP_FAULTS), label=f"{zone} fault"))
        }
        if data.draw(st.sampled_from((False,) * 5 + (True,)), label="every zone hangs"):
            # A storm: every suspend and every shutdown hangs, so that the deadline,
            # not the steps, ends the stop.
            faults = dict.fromkeys(ZONE_NAMES, (("suspend", "hang"), ("shutdown", "hang")))
            event("every zone hangs")
        kill_after = None
        if kind in ("init 6, stop method killed", "power loss during the stop"):
            kill_after = data.draw(st.floats(0.0, 2.5), label="SIGKILL after (s)")
        self.set_faults(faults)
        policy = self.in_force()
        zones = self.zones()
        running = {n: z["boot_time"] for n, z in zones.items() if z["state"] == "running"}
        managed = frozenset(n for n in running if policy.manages(n, zones[n]))
        armed_record = journal_document(self.host).get("armed") or {}
        armed = frozenset(armed_record.get("running") or [])
        before_cycle = (journal_document(self.host).get("cycle") or {}).get("started")
        started = time.time()
        event(f"shutdown: {kind}")
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        if kind == "svcadm restart":
            self.service_restart(running)
            self.clear_all_faults()
            self.enter("up")
            return
        if kind == "reboot":
            control.reboot_bypass(self.host)
            self.power_off()
            began_cycle = False
        elif kind == "kzguard stop, then reboot":
            # The documented way to keep the zones across a `reboot`.
            run = self.kzguard("stop")
            if self.file_valid:
                self.check_journal_not_behind(run, before_cycle)
                self.check_stop_touches_only_managed_zones(run, managed)
                self.check_stop_puts_down_every_managed_zone(run, managed, policy, exits=(0, 1))
                self.check_stop_keeps_its_deadline(run, policy)
            elif run.status != 2 or run.calls:
                # By hand, an invalid policy is refused: the operator is there to fix it.
                raise AssertionError(
                    f"kzguard stop with an invalid policy: exit {run.status}, zoneadm "
                    f"{[(c.zone, c.verb) for c in run.calls]}:\n{run.stderr}"
                )
            control.reboot_bypass(self.host)
            self.power_off()
            cycle = journal_document(self.host).get("cycle") or {}
            began_cycle = cycle.get("started") != before_cycle and cycle.get("kind") == "stop"
        else:
            self.keep_dependencies_in_step(policy)
            # svc.startd: the run level for who -r, options_ovr/runlevel deleted, then
            # the leaves of the SMF graph stopped together (docs/solaris.md 12, 13).
            shutdown.begin(self.host, "6")
            held = held_by_kzguard(self.host.read())
            power_loss = kind == "power loss during the stop"

            def stop_method() -> int | None:
                run = self.method("stop", kill_after=kill_after)
                if run.killed:
                    # svc.startd kills the method's contract and goes on with the
                    # shutdown; the power loss kills everything.
                    kill_host_processes(self.host, keep_zones_service=not power_loss)
                    run.calls = zone_calls(self.host, run.since)
                    event(
                        "stop method killed"
                        if run.calls
                        else "stop method killed before any zoneadm"
                    )
                # Judged as the method ends, before the zones it held go down.
                self.check_journal_not_behind(run, before_cycle)
                self.check_stop_touches_only_managed_zones(run, managed)
                if not run.killed:
                    self.check_stop_puts_down_every_managed_zone(run, managed, policy)
                    self.check_stop_keeps_its_deadline(run, policy)
                return None if run.killed else run.status

            if power_loss:
                shutdown.stop_method_started(self.host, KZGUARD_FMRI)
                leaves = shutdown.stop_leaf_zones(self.host)
                stop_method()
                self.power_off()
                shutdown.wait(leaves, timeout=ZONES_SERVICE_TIMEOUT)
            else:
                svcstartd.stop_in_shutdown_order(
                    self.host, KZGUARD_FMRI, stop_method, zones_timeout=ZONES_SERVICE_TIMEOUT
                )
                # svc:/system/zones:default stops last; it halts what hung.
                control.zones_service_stop(self.host)
            self.check_zones_service_leaves_held_zones_to_kzguard(held, managed)
            cycle = journal_document(self.host).get("cycle") or {}
            began_cycle = cycle.get("started") != before_cycle and cycle.get("kind") == "stop"
            if not began_cycle:
                event("stop method killed before its cycle record")
            self.power_off()
        self.clear_all_faults()
        self.shutdown = Shutdown(kind, started, running, managed, armed, began_cycle)
        self.touched = set()
        self.down_again = False
        self.enter("down")

    def service_restart(self, running: dict[str, int | None]) -> None:
        """`svcadm restart kzguard` at run level 3: the stop method stands down, the
        start method brings back nothing, and no zone is touched."""
        before = {n: (z["state"], tuple(z["aux"]), z["boot_time"]) for n, z in self.zones().items()}
        stop = self.method("stop")
        start = self.method("start")
        touched = [(c.zone, c.verb) for c in stop.calls + start.calls]
        if touched or stop.status != 0 or start.status != 0:
            raise violated(
                "svcadm restart touches no zone",
                f"zoneadm calls {touched}, stop exit {stop.status}, start exit {start.status}"
                f"\nstop log:\n{stop.stderr}start log:\n{start.stderr}",
            )
        after = {n: (z["state"], tuple(z["aux"]), z["boot_time"]) for n, z in self.zones().items()}
        if after != before:
            raise violated("svcadm restart touches no zone", f"before {before}, after {after}")
        self.remember_good()
        self.halted_since_arm = set()
        del running

    # -- the host comes back ----------------------------------------------------------

    @precondition(lambda self: self.phase == "down")
    @rule(data=st.data())
    def host_boots(self, data: st.DataObject) -> None:
        faults = {
            zone: fault
            for zone in ZONE_NAMES
            if (fault := data.draw(st.sampled_from(START_FAULTS), label=f"{zone} fault"))
        }
        self.set_faults(faults)
        control.boot_host(self.host)
        control.zones_service_start(self.host)
        assert self.shutdown is not None
        if not self.shutdown.came_back:
            self.shutdown.came_back = self.observable()
        self.enter("booted")

    def observable(self) -> dict[str, tuple[str, tuple[str, ...], bool]]:
        return {
            n: (z["state"], tuple(z["aux"]), z["image"] is not None)
            for n, z in self.zones().items()
        }

    @precondition(lambda self: self.phase == "booted" and not self.down_again)
    @rule(data=st.data())
    def host_goes_down_again_before_the_start_method(self, data: st.DataObject) -> None:
        """The power goes (or someone types `reboot`) after the zones service has run but
        before kzguard's start method: what the zones service resumed is lost again."""
        assert self.shutdown is not None
        kind = data.draw(st.sampled_from(("power loss", "reboot")), label="again")
        event(f"down again before the start method: {kind}")
        if kind == "reboot":
            control.reboot_bypass(self.host)
        self.power_off()
        self.shutdown.kind += f", then {kind} before the start method"
        # It halts every zone: what the operator did by hand since the host came back
        # leaves no trace kzguard could see (docs/reliability.md, limits).
        self.touched = set()
        self.shutdown.came_back = {}
        self.down_again = True
        self.enter("down")

    @precondition(lambda self: self.phase == "booted")
    @rule(data=st.data())
    def start_method_runs(self, data: st.DataObject) -> None:
        assert self.shutdown is not None
        kill_after = data.draw(
            st.one_of(st.none(), st.floats(0.0, 2.0)), label="SIGKILL the start after (s)"
        )
        policy = self.in_force()
        observed = self.observable()
        came_back = self.shutdown.came_back
        # What the operator did by hand that kzguard could tell from the zone.
        self.touched = {z for z in self.touched if observed.get(z) != came_back.get(z)}
        runs = []
        if kill_after is not None:
            runs.append(self.method("start", kill_after=kill_after))
            event("start method killed" if runs[0].killed else "start method done before the kill")
        runs.append(self.method("start"))
        wait_quiet(self.host)
        final = runs[-1]
        if final.status != 0:
            raise violated(
                "the start method never fails",
                f"exit {final.status} (maintenance: no stop method at the next shutdown):\n"
                f"{final.stderr}",
            )
        # svc.startd: kzguard's instance is online again, and holds its dependencies.
        svcstartd.instance_started(self.host, KZGUARD_FMRI, final.status)
        boots = [call for call in zone_calls(self.host, runs[0].since) if call.verb == "boot"]
        self.check_boots_only_what_it_put_down(boots, policy, runs)
        self.check_resumed_means_boot_time_kept(runs)
        self.check_nothing_silently_disappears(runs)
        self.check_journal_accounts_for_every_boot(boots, runs)
        self.remember_good()
        self.clear_all_faults()
        self.halted_since_arm = set()
        self.shutdown = None
        self.enter("up")
        self.cycles += 1

    # -- invariants checked after the stop method -------------------------------------

    def check_stop_touches_only_managed_zones(
        self, run: MethodRun, managed: frozenset[str]
    ) -> None:
        foreign = sorted({f"{c.zone} ({c.verb})" for c in run.calls if c.zone not in managed})
        if foreign:
            raise violated(
                "the stop touches only running managed zones",
                f"it ran zoneadm on {', '.join(foreign)}; running and managed were "
                f"{sorted(managed)}; log:\n{run.stderr}",
            )

    def check_stop_puts_down_every_managed_zone(
        self,
        run: MethodRun,
        managed: frozenset[str],
        policy: PolicyModel,
        exits: tuple[int, ...] = (0,),
    ) -> None:
        zones = self.zones()
        up = sorted(n for n in managed if n in zones and zones[n]["state"] in ACTIVE)
        if self.host.read().get("zoneadmd") == "illumos":
            # A suspend hung in illumos' zoneadmd holds its lock: a shutdown or halt
            # of the zone waits behind it (zoneadmd.c server(); sim/lifecycle.py
            # halt).  kzguard cannot put such a zone down, only journal it failed.
            stuck = [n for n in up if _hung_in_zoneadmd(zones[n])]
            recorded = (journal_document(self.host).get("cycle") or {}).get("zones", {})
            for name in stuck:
                if _last_state(recorded.get(name)) != "failed":
                    raise violated(
                        "a clean shutdown leaves no managed zone running",
                        f"{name}'s suspend hangs in zoneadmd and the journal says "
                        f"{_last_state(recorded.get(name))!r}, not failed; log:\n{run.stderr}",
                    )
            up = [n for n in up if n not in stuck]
        if up:
            raise violated(
                "a clean shutdown leaves no managed zone running",
                f"{', '.join(up)} still {[zones[n]['state'] for n in up]} when the stop method "
                f"returned (exit {run.status}, policy in force: deadline {policy.deadline}s, "
                f"parallel {policy.parallel}); log:\n{run.stderr}",
            )
        if run.status not in exits:
            raise violated(
                "a clean shutdown leaves no managed zone running",
                f"the stop method exited {run.status}; log:\n{run.stderr}",
            )

    def check_stop_keeps_its_deadline(self, run: MethodRun, policy: PolicyModel) -> None:
        if run.seconds > policy.deadline + DEADLINE_SLACK:
            raise violated(
                "the stop method keeps its deadline",
                f"it ran {run.seconds:.2f}s, more than shutdown.deadline {policy.deadline}s "
                f"+ {DEADLINE_SLACK}s for process start-up; log:\n{run.stderr}",
            )

    def check_journal_not_behind(self, run: MethodRun, before_cycle: object) -> None:
        """Every zoneadm operation kzguard started is in the journal before it began,
        and a zone the journal calls suspended, shut down or halted really is down."""
        document = journal_document(self.host)
        cycle = document.get("cycle") or {}
        # Only this run's cycle record speaks for what the host is now.
        new = cycle.get("started") != before_cycle
        records = {
            name: record
            for name, record in (cycle.get("zones") or {}).items()
            if new and not record.get("carried_over_from")
        }
        for call in run.calls:
            if call.verb not in DOING:
                continue
            transitions = (records.get(call.zone) or {}).get("transitions") or []
            recorded = [t["time"] for t in transitions if t.get("state") == DOING[call.verb]]
            if not any(at <= call.time + 0.001 for at in recorded):
                raise violated(
                    "the journal is never behind",
                    f"zoneadm -z {call.zone} {call.verb} began at {call.time:.3f} but the "
                    f"journal records {DOING[call.verb]!r} at {recorded} (transitions "
                    f"{transitions}); killed: {run.killed}; log:\n{run.stderr}",
                )
        zones = self.zones()
        for name, record in records.items():
            state = record.get("state")
            zone = zones.get(name)
            if zone is None or state not in ("suspended", "shut-down", "halted", "lost"):
                continue
            suspended = zone["state"] == "installed" and "suspended" in zone["aux"]
            if (state == "suspended") != suspended or zone["state"] in ACTIVE:
                raise violated(
                    "the journal is never behind",
                    f"the journal says {name} is {state}, the host says {zone['state']} "
                    f"{zone['aux']}; killed: {run.killed}; log:\n{run.stderr}",
                )

    def keep_dependencies_in_step(self, policy: PolicyModel) -> None:
        """The operator keeps kzguard's manifest in step with the managed zones, as
        docs/solaris.md 13 asks (`kzguard apply` after a change to the policy or the
        zones): done here before a shutdown whenever the zones kzguard's instance
        depends on are not those the policy in force manages."""
        state = self.host.read()
        wanted = frozenset(n for n, z in state["zones"].items() if policy.manages(n, z))
        if declared_zones(state) != wanted:
            apply_manifest(self.host)
            event("kzguard apply before the shutdown")

    def check_zones_service_leaves_held_zones_to_kzguard(
        self, held: frozenset[str], managed: frozenset[str]
    ) -> None:
        """Every running managed zone was held by kzguard's instance when the shutdown
        began, and the zones service acted on none of them while the stop method ran
        (from the simulator's records of this shutdown)."""
        name = "no managed zone is shut down by the zones service while kzguard holds it"
        state = self.host.read()
        unheld = sorted(managed - held)
        if unheld:
            raise violated(
                name,
                f"{', '.join(unheld)} running and managed, but kzguard's instance did not "
                f"hold their instances when the shutdown began (it held {sorted(held)}; "
                f"its dependencies: {sorted(declared_zones(state))})",
            )
        during = shutdown.acted_during(state, KZGUARD_FMRI)
        wrong = sorted(set(during) & held)
        if wrong:
            actions = [a for a in shutdown.zones_service_actions(state) if a["zone"] in wrong]
            raise violated(
                name,
                f"the zones service acted on {', '.join(wrong)} during kzguard's stop method: "
                f"{actions}; stop method {shutdown.records(state)['stop_methods']}",
            )
        if during:
            event("the zones service shut down unmanaged zones during the stop method")

    # -- invariants checked after the start method ------------------------------------

    def check_boots_only_what_it_put_down(
        self, boots: list[Call], policy: PolicyModel, runs: list[MethodRun]
    ) -> None:
        """kzguard boots a zone only if it was running and managed when the host went
        down (after `reboot`: when the guard armed) and nobody booted or halted it by
        hand since; never one whose policy says resume = false."""
        shutdown = self.shutdown
        assert shutdown is not None
        # Without the stop method's record, kzguard knows the zones that ran when it armed.
        eligible = set(shutdown.managed if shutdown.stop_began_cycle else shutdown.armed)
        for call in boots:
            zone = call.zone
            why = ""
            if zone in self.touched:
                if (shutdown.came_back.get(zone) or ("",))[0] == "running":
                    # The zones service booted it (autoboot), the operator halted it
                    # before the start method: the zone is as kzguard left it.
                    self.unseen_halt("booted by the zones service, halted by hand")
                    continue
                why = "the operator booted or halted it by hand after the host came back"
            elif zone not in eligible:
                if not shutdown.stop_began_cycle and zone in self.halted_since_arm:
                    # Without a stop method, kzguard knows only the zones that ran
                    # when it armed.
                    self.unseen_halt("halted by hand after the guard armed, then reboot")
                    continue
                why = (
                    "it was not running and managed when the host went down"
                    if shutdown.stop_began_cycle
                    else "it was not running when the guard armed"
                )
            elif not policy.resumes(zone):
                why = "its policy says resume = false"
            if why:
                raise violated(
                    "kzguard boots only what it put down",
                    f"it ran zoneadm -z {zone} boot {' '.join(call.args)} after "
                    f"{shutdown.kind!r}, but {why}; logs:\n" + "".join(run.stderr for run in runs),
                )

    def unseen_halt(self, kind: str) -> None:
        event(f"limit: {kind}")
        self.unseen[kind] = self.unseen.get(kind, 0) + 1

    def resume_outcomes(self) -> dict[str, dict[str, Any]]:
        resume = journal_document(self.host).get("resume") or {}
        zones: dict[str, dict[str, Any]] = resume.get("zones") or {}
        return zones

    def check_resumed_means_boot_time_kept(self, runs: list[MethodRun]) -> None:
        shutdown = self.shutdown
        assert shutdown is not None
        zones = self.zones()
        for name, outcome in self.resume_outcomes().items():
            result = str(outcome.get("result", ""))
            if not result.startswith("resumed"):
                continue
            zone = zones.get(name)
            before = shutdown.running.get(name, "not running")
            now = zone["boot_time"] if zone else "no such zone"
            if zone is None or zone["state"] != "running" or now != before:
                raise violated(
                    "resumed means the boot time was kept",
                    f"{name} is reported {result!r} ({outcome.get('detail')!r}) but its "
                    f"in-zone boot time was {before} at {shutdown.kind!r} and is {now} now "
                    f"(state {zone['state'] if zone else None}); logs:\n"
                    + "".join(run.stderr for run in runs),
                )

    def check_nothing_silently_disappears(self, runs: list[MethodRun]) -> None:
        """Every zone kzguard answers for (running and managed at the shutdown; after a
        shutdown without the stop method's record, running when the guard armed) runs
        again, or `kzguard status` names it with what happened."""
        shutdown = self.shutdown
        assert shutdown is not None
        if shutdown.stop_began_cycle:
            expected = set(shutdown.managed)
        else:
            expected = set(shutdown.armed) & set(shutdown.running)
        zones = self.zones()
        missing = sorted(n for n in expected if n not in zones or zones[n]["state"] != "running")
        if not missing:
            return
        status = self.status_document()
        rows = {row["name"]: row for row in status.get("zones", [])}
        errors = status.get("guard", {}).get("errors", [])
        for name in missing:
            last_boot = str(rows.get(name, {}).get("last_boot", "-"))
            named = last_boot != "-" or any(str(e).startswith(f"{name}: ") for e in errors)
            if not named or last_boot.startswith(("resumed", "booted")):
                raise violated(
                    "nothing silently disappears",
                    f"{name} was running before {shutdown.kind!r}, is "
                    f"{zones[name]['state'] if name in zones else 'gone'} now, and kzguard "
                    f"status says {last_boot!r} (errors {errors}); logs:\n"
                    + "".join(run.stderr for run in runs),
                )

    def check_journal_accounts_for_every_boot(
        self, boots: list[Call], runs: list[MethodRun]
    ) -> None:
        outcomes = self.resume_outcomes()
        unrecorded = sorted({call.zone for call in boots} - set(outcomes))
        if unrecorded:
            raise violated(
                "the journal is never behind",
                f"kzguard booted {', '.join(unrecorded)} but the journal's resume record "
                f"has no outcome for them ({sorted(outcomes)}); logs:\n"
                + "".join(run.stderr for run in runs),
            )

    # -- invariants checked after every step ------------------------------------------

    @invariant()
    def journal_always_parses(self) -> None:
        self.steps += 1
        if not self.host.state_file.exists():
            return
        path = self.host.state_dir / JOURNAL_NAME
        document, problem = read_journal_json(str(self.host.state_dir), move_aside=False)
        if problem is not None or (path.exists() and document is None):
            raise violated("the journal always parses", f"{path}: {problem}")
        moved = sorted(p.name for p in self.host.state_dir.glob(f"{JOURNAL_NAME}.bad-*"))
        if moved:
            raise violated("the journal always parses", f"kzguard moved aside {moved}")
        with contextlib.suppress(FileNotFoundError):
            json.loads(path.read_text(encoding="utf-8"))

    @invariant()
    def last_good_copy_is_the_last_valid_policy(self) -> None:
        if not self.last_good_text:
            return
        kept = Path(str(self.host.policy_path) + ".last-good")
        text = kept.read_text(encoding="utf-8") if kept.exists() else None
        if text != self.last_good_text:
            raise violated(
                "a bad policy never disarms the guard",
                f"{kept} holds {text!r}, not the last policy that validated",
            )


@pytest.fixture(autouse=True)
def unmeasured_subprocesses(monkeypatch: pytest.MonkeyPatch) -> None:
    """The soak's hundreds of kzguard and simulator processes are not measured for
    coverage: each would pay coverage's start-up, ten times the soak's run time
    (coverage >= 7.10 starts in a subprocess whose environment names its
    configuration; pyproject.toml [tool.coverage.run] patch)."""
    for name in ("COVERAGE_PROCESS_CONFIG", "COVERAGE_PROCESS_START"):
        monkeypatch.delenv(name, raising=False)


def test_reboot_cycles() -> None:
    """The soak: see the module docstring and docs/reliability.md."""
    run_state_machine_as_test(
        RebootCycles,
        settings=settings(
            max_examples=SOAK_EXAMPLES,
            stateful_step_count=SOAK_STEPS,
            deadline=None,
            derandomize=not LONG_RUN,
            database=None,
            suppress_health_check=list(HealthCheck),
            print_blob=True,
            phases=list(Phase) if SHRINK else [Phase.explicit, Phase.reuse, Phase.generate],
        ),
    )


# -- promises at the edges (issue #12): fixed cases beside the random soak -----------
#
# The random soak runs six zones with deadlines the plans fit; these cases take the
# same promises where it does not go: deadlines too tight for any plan at forty zones,
# and a suspend made during the current boot.  Each is a few seconds.

EDGE_ACTIVE = ("ready", "running", "shutting_down", "down")


def _edge_method(host: SimHost, name: str) -> tuple[int, str, float]:
    began = time.monotonic()
    completed = subprocess.run(
        [sys.executable, "-m", "kzguard", "-c", str(host.policy_path), "method", name],
        capture_output=True,
        text=True,
        timeout=METHOD_TIMEOUT,
        check=False,
    )
    return completed.returncode, completed.stderr, time.monotonic() - began


def _hung_in_zoneadmd(zone: dict[str, Any]) -> bool:
    op = zone["op"]
    return zone["faults"].get("suspend") == "hang" and op is not None and op["kind"] == "suspend"


def _last_state(record: dict[str, Any] | None) -> str | None:
    transitions = (record or {}).get("transitions") or [{}]
    state: str | None = transitions[-1].get("state")
    return state


def test_the_stop_method_ends_inside_its_deadline_and_leaves_no_managed_zone_running(
    tmp_path: Path,
) -> None:
    """Invariant "the stop method ends inside its deadline and leaves no managed zone
    running", with a deadline too tight for the plan: forty zones, 12 s, steps of
    5 s / 2 s / 4 s (simulated seconds are real ones here), so that not even the
    shutdowns fit and the plan must halt zones."""
    from tests.support import set_rates  # noqa: PLC0415

    zones, deadline = 40, 12
    host = create_host(tmp_path / "host", zones=zones, seed=7, time_scale=1.0)
    set_rates(host, **{**FAST_RATES, "halt_seconds": 0.2})
    shutdown.begin(host, "6")
    write_policy(
        host,
        f'[shutdown]\ndeadline = "{deadline}s"\n[defaults]\nsuspend_timeout = "5s"\n'
        'shutdown_timeout = "2s"\nhalt_timeout = "4s"\n',
        assumed_rate="4G",
    )
    managed = {name for name in host.read()["zones"] if name.startswith("kz")}
    status, stderr, seconds = _edge_method(host, "stop")
    name = "the stop method ends inside its deadline and leaves no managed zone running"
    if status != 0:
        raise violated(name, f"exit status {status}\n{stderr}")
    if seconds > deadline + DEADLINE_SLACK:
        raise violated(name, f"{seconds:.1f}s for a {deadline}s deadline\n{stderr}")
    running = {
        zone: state["state"]
        for zone, state in host.read()["zones"].items()
        if zone in managed and state["state"] in EDGE_ACTIVE
    }
    if running:
        raise violated(name, f"still active: {running}\n{stderr}")
    cycle = journal_document(host)["cycle"]
    if not any(record["intent"][:1] == ["halt"] for record in cycle["zones"].values()):
        raise violated(name, "the plan fit: this case no longer tests a deadline too tight")


def test_a_suspend_made_during_the_current_boot_is_resumed_by_the_next_start() -> None:
    """Invariant "a suspend made during the current boot (service restart, unknown run
    level) is resumed by the next start method": `svcadm restart kzguard` with
    act_on_service_stop, and a stop method that could not read the run level."""
    for case in ("svcadm restart, act_on_service_stop", "run level unknown"):
        with tempfile.TemporaryDirectory() as directory:
            host = create_host(Path(directory) / "host", zones=2, seed=3)
            from tests.support import set_rates  # noqa: PLC0415

            set_rates(host, **FAST_RATES)
            host.set_runlevel("3", "3")
            act = case.startswith("svcadm")
            write_policy(host, "[shutdown]\nact_on_service_stop = true\n" if act else "")
            assert _edge_method(host, "start")[0] == 0
            before = {n: z["boot_time"] for n, z in host.read()["zones"].items()}
            if not act:
                for tool in ("svcprop", "who"):
                    (host.bin_dir / tool).rename(host.bin_dir / f"{tool}.real")
                    (host.bin_dir / tool).write_text(
                        f"#!{sys.executable}\nimport sys\nsys.exit(1)\n", encoding="utf-8"
                    )
                    (host.bin_dir / tool).chmod(0o755)
            _edge_method(host, "stop")
            if not act:
                for tool in ("svcprop", "who"):
                    (host.bin_dir / f"{tool}.real").replace(host.bin_dir / tool)
            suspended = sorted(
                n for n, z in host.read()["zones"].items() if "suspended" in z["aux"]
            )
            if not suspended:
                raise AssertionError(f"{case}: the stop method suspended nothing")
            status, stderr, _ = _edge_method(host, "start")
            zones = host.read()["zones"]
            lost = {n: (zones[n]["state"], zones[n]["boot_time"] == before[n]) for n in suspended}
            if status != 0 or any(lost[n] != ("running", True) for n in suspended):
                raise violated(
                    "a suspend made during the current boot is resumed by the next start method",
                    f"{case}: (state, boot time kept) {lost}, exit {status}\n{stderr}",
                )

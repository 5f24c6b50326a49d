"""Make a simulated host directory: state, executables, policy file."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import random
import sys
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kzguard.policy.model import Commands, ResumePolicy, ShutdownPolicy, ZonePolicy
from kzguard.policy.tables import MAX_DEADLINE, MIN_DEADLINE
from kzguard.sim import storage, transitions, zfs
from kzguard.sim.state import STATE_VERSION, SimHost
from kzguard.sim.tools import TOOLS
from kzguard.solaris import simulated

if TYPE_CHECKING:
    from kzguard.sim.state import PathLike

MARKER_TEXT = (
    "A simulated Solaris host made by kzguard sim create (kzguard/solaris/simulated.py).\n"
)
GIB = 1 << 30
MIB = 1 << 20

# The rates and storage model's defaults live in kzguard.sim.storage (every
# simulated command reads them); re-exported for the callers that import them here.
DEFAULT_RATES = storage.DEFAULT_RATES
MEMORY_CHOICES = ("2G", "4G", "8G", "16G", "32G")
ROOT_SIZE = 100 * GIB
ROOT_AVAILABLE = 60 * GIB
ZONES_FS_USED = 8 * GIB  # the kernel zones' own boot disks live there too
UPTIME = 3 * 86400  # the zones were booted this long before the host was made

# The simulated commands the policy points kzguard at: those its [commands] table
# knows (kzguard.policy.model.Commands), in TOOLS order.  A simulated command kzguard
# does not run (zpool, until its policy has a key for it) stays out: a policy naming
# a command kzguard does not know is refused.
POLICY_TOOLS = tuple(
    tool for tool in TOOLS if tool in {field.name for field in dataclasses.fields(Commands)}
)

# -S: the tools need only the standard library and kzguard itself (put on sys.path
# below); skipping site-packages halves their start-up, and kzguard runs thousands.
# Bytecode is cached even under PYTHONDONTWRITEBYTECODE (set on some CI machines):
# compiling the simulator's modules on every call tripled a command's CPU time.
SCRIPT = '''#!{python} -S
"""Simulated Solaris {tool} of a kzguard simulated host (kzguard/sim)."""
import time

# When the command began, as its caller sees it: before the simulator's own imports,
# which a Solaris command does not have (docs/solaris.md 14, "Command start-up").
STARTED = time.time()

import os
import sys

sys.dont_write_bytecode = False
sys.path.insert(0, {package_root!r})
if os.environ.get("COVERAGE_PROCESS_CONFIG"):
    # The test suite measures coverage: load site-packages after all, whose .pth
    # starts coverage here.  kzguard's runner clears the environment, so only the
    # simulator's own tests, which run these tools directly, pay for it.
    import site
    site.main()
from kzguard.sim.tools import run

HOST_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STATUS = run({tool!r}, HOST_DIR, sys.argv, started=STARTED)
if not os.environ.get("COVERAGE_PROCESS_CONFIG"):
    # A Solaris command is gone the moment it exits; the interpreter's teardown
    # (modules, garbage) took 5-10 ms after the logged end, which the caller saw as
    # its own (docs/solaris.md 14, "Command start-up").  run() flushed the output.
    os._exit(STATUS)
sys.exit(STATUS)
'''


def _zone(name: str, brand: str, zone_id: int, boot_time: int, uuid_text: str) -> dict[str, Any]:
    kernel = brand == transitions.KERNEL_ZONE_BRAND
    return {
        "id": zone_id,
        "state": "running",
        "aux": [],
        "brand": brand,
        "uuid": uuid_text,
        "zonepath": f"/system/zones/{name}" if kernel else f"/zones/{name}",
        "ip_type": "excl",
        "config": {
            "autoboot": False,
            "autoshutdown": "shutdown",
            "physical": None,
            "suspend": None,
            "bootargs": "",
            "boot_priority": None,
            "smf_dependencies": [],
        },
        "boot_time": boot_time,
        "boot_history": [],
        "online_at": float(boot_time),
        "image": None,
        "image_ratio": 0.5,
        "volatile": {"dirs": [], "files": {}},
        "clock_step_at_resume": 0,
        "faults": {},
        "commands": {},
        "op": None,
        "last_bootargs": [],
    }


def _zones(count: int, rng: random.Random, now: float) -> dict[str, dict[str, Any]]:
    booted = int(now) - UPTIME
    zones: dict[str, dict[str, Any]] = {}
    for index in range(1, count + 1):
        name = f"kz{index}"
        zone = _zone(name, "solaris-kz", index, booted + 37 * index, _uuid(rng))
        zone["config"]["physical"] = rng.choice(MEMORY_CHOICES)
        # Half the zones use the %{zonename} token, as Oracle's own examples do
        # (docs/solaris.md 2.1), so kzguard's expansion is exercised.
        path = "/system/zones/%{zonename}/suspend" if index % 2 else f"/system/zones/{name}/suspend"
        zone["config"]["suspend"] = {"path": path, "storage": None}
        zone["image_ratio"] = round(rng.uniform(0.3, 0.9), 3)
        zones[name] = zone
    zones["ngz1"] = _zone("ngz1", "solaris", count + 1, booted + 11, _uuid(rng))
    return zones


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def host_rates(
    profile: str | None = None, rates: Mapping[str, str | float] | None = None
) -> dict[str, float]:
    """The defaults, then storage ``profile``'s rates, then ``rates`` (each checked)."""
    chosen = storage.profile(profile) if profile is not None else dict(DEFAULT_RATES)
    for key, value in (rates or {}).items():
        chosen[key] = storage.check_rate(key, value)
    return chosen


def initial_state(
    *,
    zones: int,
    seed: int,
    time_scale: float,
    now: float,
    rates: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """The state of a freshly made host (see kzguard.sim.state for the schema);
    ``rates`` as :func:`host_rates` returns them (default: the defaults)."""
    if zones < 0:
        raise ValueError(f"cannot make {zones} zones")
    if time_scale <= 0:
        raise ValueError(f"time scale must be positive, not {time_scale}")
    # Deterministic test data, not security: a seeded generator is the point.
    rng = random.Random(seed)  # noqa: S311
    zone_table = _zones(zones, rng, now)
    suspending = [z for z in zone_table.values() if z["config"]["suspend"]]
    images = sum(transitions.image_bytes(z) for z in suspending)
    memory = sum(transitions.memory_bytes(z) for z in suspending)
    # Every image fits with half again spare, and the file system is at least as
    # big as Oracle's sizing rule asks (suspend storage >= capped-memory physical,
    # docs/solaris.md 1.4), so a fresh host passes kzguard's own space check.
    room = math.ceil(max(images * 1.5, memory) / MIB) * MIB
    enabled = {"general/enabled": ["boolean", "true"], "restarter/state": ["astring", "online"]}
    filesystems = [
        {
            "mount": "/",
            "filesystem": "rpool/ROOT/solaris",
            "size": ROOT_SIZE,
            "available": ROOT_AVAILABLE,
        },
        {
            "mount": "/system/zones",
            "filesystem": "rpool/VARSHARE/zones",
            "size": room + ZONES_FS_USED,
            "available": room,
        },
    ]
    booted = int(now) - UPTIME
    return {
        "version": STATE_VERSION,
        "release": "11.4",
        "time_scale": time_scale,
        "rates": dict(rates if rates is not None else DEFAULT_RATES),
        "list_s_accepts_c": True,
        "halt_discards_image": False,
        "already_in_state_exit": 0,
        "host_boot_time": booted,
        "runlevel": {"current": "3", "previous": "S", "count": 0, "time": booted + 30},
        "smf": {
            "svc:/system/svc/restarter:default": dict(enabled),
            "svc:/system/zones:default": dict(enabled),
            "svc:/milestone/multi-user-server:default": dict(enabled),
            "svc:/system/manifest-import:default": dict(enabled),
        },
        "services": {"instances": {}, "manifests": []},
        "filesystems": filesystems,
        # rpool, imported when the global zone booted; its size is its file
        # systems' together (kzguard.sim.zfs).
        "pools": zfs.initial_pools(filesystems, float(booted)),
        "zones": zone_table,
        "next_zone_id": zones + 2,
        "io": {"updated": now, "transfers": []},
    }


def _write(path: Path, text: str, mode: int) -> None:
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)


def policy_text(
    host: SimHost, time_scale: float | None = None, suspend_rate: float | None = None
) -> str:
    """A policy file pointing kzguard at the host's executables and state dir; with
    ``time_scale``, its limits on that clock (:func:`limits_text`)."""
    lines = [
        f"# kzguard policy for the simulated host {host.path} (kzguard sim create).",
        "[commands]",
    ]
    # JSON string syntax is valid TOML basic-string syntax.
    lines += [f"{tool} = {json.dumps(host.executable(tool))}" for tool in POLICY_TOOLS]
    lines += ["", "[paths]", f"state_dir = {json.dumps(str(host.state_dir))}"]
    # The methods' progress lines go to the host's console, where tests read them.
    lines += [f"console = {json.dumps(str(host.console_path))}", ""]
    if time_scale is not None:
        lines += limits_text(time_scale, suspend_rate)
    return "\n".join(lines)


# A simulated command costs real time whatever the clock: a Python process starts
# (0.1-0.5 s on a loaded machine).  No scaled step timeout goes below this.
STEP_FLOOR = 3.0


def _seconds(value: float) -> str:
    """A policy duration, exact: "6s", "50ms"."""
    whole = round(value)
    return f"{whole}s" if abs(value - whole) < 1e-9 else f"{round(value * 1000)}ms"


def limits_text(time_scale: float, suspend_rate: float | None = None) -> list[str]:
    """``[shutdown]``, ``[resume]`` and ``[defaults]`` for a host whose clock runs
    ``time_scale`` real seconds per simulated second: kzguard's timeouts and deadlines
    are real seconds, so a hung suspend on the default 0.01 clock times out after 6 s
    (its 10 minutes), not after 10 real minutes; the planner predicts at the
    simulator's suspend rate (``suspend_rate``, default the default) per real second."""
    zone, shutdown, resume = ZonePolicy(), ShutdownPolicy(), ResumePolicy()

    def scaled(seconds: float, floor: float = 0.0) -> float:
        return min(max(seconds * time_scale, floor), MAX_DEADLINE)

    steps = [
        (name, scaled(getattr(zone, name), STEP_FLOOR))
        for name in ("suspend_timeout", "shutdown_timeout", "halt_timeout", "readiness_timeout")
    ]
    # The three stop steps must fit in the deadline (kzguard check's rule), with room
    # left as the defaults leave it (600 + 180 + 60 s of 900 s): a suspend that times
    # out still leaves its shutdown the whole shutdown timeout.
    fitting = sum(seconds for name, seconds in steps if name != "readiness_timeout")
    deadline = max(scaled(shutdown.deadline), MIN_DEADLINE, fitting + STEP_FLOOR)
    resume_deadline = max(scaled(resume.deadline), MIN_DEADLINE, steps[-1][1])
    rate = (suspend_rate or DEFAULT_RATES["suspend_rate"]) / time_scale
    return [
        f"# Limits on this host's clock ({time_scale:g} real seconds per simulated second):",
        "# each default scaled, a step timeout to at least "
        f"{_seconds(STEP_FLOOR)}, the deadlines to at least {_seconds(MIN_DEADLINE)}.",
        "[shutdown]",
        f'deadline = "{_seconds(deadline)}"',
        f'assumed_rate = "{max(round(rate / MIB), 1)}M"',
        "",
        "[resume]",
        f'deadline = "{_seconds(resume_deadline)}"',
        f'stagger = "{_seconds(scaled(resume.stagger))}"',
        "",
        "[defaults]",
        *[f'{name} = "{_seconds(seconds)}"' for name, seconds in steps],
        "",
    ]


def create_host(
    path: PathLike,
    *,
    zones: int = 4,
    seed: int = 0,
    time_scale: float = 0.01,
    scaled_limits: bool = False,
    profile: str | None = None,
    rates: Mapping[str, str | float] | None = None,
) -> SimHost:
    """Make a simulated host in ``path`` (which must not exist or be empty).

    ``scaled_limits`` (``kzguard sim create``) puts kzguard's limits on the host's
    clock; without it the policy has no [shutdown], [resume] or [defaults] table, for
    tests and the demo to add their own.  ``profile`` (a storage profile, e.g. "sat4")
    and ``rates`` ({key: value}) replace default rates (:mod:`kzguard.sim.storage`)."""
    root = Path(path)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise FileExistsError(f"{root} exists and is not an empty directory")
    chosen = host_rates(profile, rates)
    state = initial_state(
        zones=zones, seed=seed, time_scale=time_scale, now=time.time(), rates=chosen
    )
    root.mkdir(parents=True, exist_ok=True)
    host = SimHost(root)
    host.bin_dir.mkdir(mode=0o755)
    host.state_dir.mkdir(mode=0o755, parents=True)
    # kzguard's state directory is world-readable like /var/share/kzguard would
    # be (the brief of the host layout); mkdir's mode is subject to the umask.
    os.chmod(host.state_dir, 0o755)  # noqa: S103
    host.create(state)
    # The console (/dev/msglog): what SMF methods write there (msglog(7D)).
    host.console_path.parent.mkdir(mode=0o755)
    _write(host.console_path, "", 0o644)
    package_root = str(Path(__file__).resolve().parents[2])
    for tool in TOOLS:
        script = SCRIPT.format(python=sys.executable, tool=tool, package_root=package_root)
        _write(host.bin_dir / tool, script, 0o755)
    limits = time_scale if scaled_limits else None
    _write(host.policy_path, policy_text(host, limits, chosen["suspend_rate"]), 0o644)
    # What tells kzguard that this policy's host is simulated (what to advise there,
    # and where `kzguard apply` installs the manifest: the site manifest directory
    # every Solaris 11 host has, docs/solaris.md 5.2).
    _write(host.path / simulated.MARKER, MARKER_TEXT, 0o644)
    (host.path / "lib" / "svc" / "manifest" / "site").mkdir(mode=0o755, parents=True)
    return host

"""A simulated svc.startd: kzguard's SMF methods run from its manifest, and a stop
method run in the order svc.startd uses at a shutdown.

The demo (:mod:`kzguard.sim.demo`, whose ``init_6_and_boot`` plays a whole reboot)
and the tests use it; what is simulated and what svc.startd really does:

- The methods run as svc.startd runs them: the ``exec`` attribute of the
  manifest's ``exec_method`` with ``%m`` and ``%{config/policy}`` expanded from
  the manifest itself, the SMF_* environment, PATH=/usr/sbin:/usr/bin, stdin from
  /dev/null, stdout and stderr into the log as they come, and ``timeout_seconds``
  enforced by killing the method.  They run through kzguard's own runner
  (:class:`MethodRunner`), like every command kzguard runs.  svc.startd runs each
  method in a new process contract and kills the contract; here the method's
  process group and every process below it (found in Linux's /proc) are killed
  instead.  svc.startd runs a method in /; here it runs in the demo's directory.
  svc.startd writes stdout and stderr to one log file; here they are two pipes,
  copied to the log as each piece arrives.
- ``/lib/svc/method/svc-kzguard`` is the simulated host's own
  (:mod:`kzguard.sim.method_script`), installed under the host's directory.
- The shutdown order (:func:`stop_in_shutdown_order`, docs/solaris.md 13): after
  :func:`kzguard.sim.shutdown.begin` (run level in utmpx, options_ovr/runlevel
  deleted), svc.startd stops the leaves of the SMF graph together: the service's
  stop method runs while the zones service applies the ``autoshutdown`` of every
  zone instance that no running service depends on; the zone instances the
  service holds (its dependencies on them) go down only once its stop method has
  ended.  The zones service's work is :mod:`kzguard.sim.zonesvc`, in background
  processes that take simulated time and race with the method's own zoneadm.
- Stopping and starting svc:/system/zones:default itself, the power loss and the
  boot of the global zone are :mod:`kzguard.sim.control` events, applied at once.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import shlex
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from kzguard.errors import CommandFailed, CommandTimedOut
from kzguard.model import GLOBAL_ZONE
from kzguard.sim import method_script, shutdown
from kzguard.sim.smfrepo import ZONE_INSTANCE_PREFIX
from kzguard.sim.state import SimHost
from kzguard.sim.zonesettings import kernel_stopped
from kzguard.solaris.runner import ALLOWED_PREFIX_VARIABLE, Runner

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

RESTARTER = "svc:/system/svc/restarter:default"
ZONES_SERVICE = "svc:/system/zones:default"
# What svc.startd puts in every method's environment (smf_method(7)); SMF_ZONENAME
# is the zone the service runs in, the global zone for kzguard.
METHOD_PATH = "/usr/sbin:/usr/bin"
# A method with timeout_seconds 0 or -1 has none (smf_method(7)); the runner needs a
# bound, and a year is none for a demo.
NO_TIMEOUT = 365 * 86400.0
# How long the simulated svc.startd waits for the zones service's autoshutdowns
# before it goes on (svc.zones halts what does not go down in time), and how often
# it looks.
ZONES_SERVICE_TIMEOUT = 60.0
ZONES_SERVICE_POLL = 0.05


# -- the SMF manifest, read as svc.startd reads it ------------------------------


@dataclass(frozen=True)
class ExecMethod:
    """One ``exec_method`` of the manifest."""

    name: str
    command: str  # the exec attribute, tokens unexpanded
    timeout: float | None  # timeout_seconds; None for 0 or -1 (no timeout)


@dataclass(frozen=True)
class ServiceManifest:
    """What svc.startd takes from the manifest to run kzguard's methods."""

    fmri: str
    methods: Mapping[str, ExecMethod]
    properties: Mapping[str, str]  # "pg/prop" -> value
    dependencies: Sequence[tuple[str, str, tuple[str, ...]]]  # name, grouping, FMRIs


def _property_groups(element: Element, properties: dict[str, str]) -> None:
    for group in element.findall("property_group"):
        for value in group.findall("propval"):
            properties[f"{group.get('name')}/{value.get('name')}"] = value.get("value", "")


def _exec_methods(element: Element, methods: dict[str, ExecMethod]) -> None:
    for method in element.findall("exec_method"):
        name = method.get("name", "")
        seconds = int(method.get("timeout_seconds", "0"))
        methods[name] = ExecMethod(name, method.get("exec", ""), seconds if seconds > 0 else None)


def read_manifest(text: str) -> ServiceManifest:
    """Read the service's methods, properties and dependencies from manifest XML.

    Instance-level methods and property groups override the service's, as in SMF.
    """
    from xml.etree import ElementTree  # noqa: PLC0415 (not on the SMF method path)

    # Our own rendering of our own template; the DOCTYPE's external DTD is not read.
    root = ElementTree.fromstring(text)  # noqa: S314
    service = root.find("service")
    if service is None:
        raise ValueError("the manifest has no <service>")
    methods: dict[str, ExecMethod] = {}
    properties: dict[str, str] = {}
    _exec_methods(service, methods)
    _property_groups(service, properties)
    instance = service.find("instance")
    if service.find("create_default_instance") is not None or instance is None:
        instance_name = "default"
    else:
        instance_name = instance.get("name", "default")
        _exec_methods(instance, methods)
        _property_groups(instance, properties)
    dependencies = [
        (
            dependency.get("name", ""),
            dependency.get("grouping", ""),
            tuple(fmri.get("value", "") for fmri in dependency.findall("service_fmri")),
        )
        for dependency in service.findall("dependency")
    ]
    return ServiceManifest(
        fmri=f"svc:/{service.get('name')}:{instance_name}",
        methods=methods,
        properties=properties,
        dependencies=dependencies,
    )


def expand_method(manifest: ServiceManifest, method: ExecMethod) -> str:
    """The method's command line with svc.startd's tokens expanded: ``%m`` the method,
    ``%f`` the instance FMRI, ``%s``/``%i`` service and instance, ``%r`` the
    restarter, ``%{pg/prop}`` a property (quoted for the shell, as svc.startd does:
    it hands the line to /bin/sh), ``%%`` a percent sign."""
    service, _, instance = manifest.fmri[len("svc:/") :].rpartition(":")
    simple = {"m": method.name, "f": manifest.fmri, "s": service, "i": instance, "r": RESTARTER}
    line, rest = [], method.command
    while rest:
        before, percent, rest = rest.partition("%")
        line.append(before)
        if not percent:
            break
        if rest.startswith("{"):
            name, closed, rest = rest[1:].partition("}")
            if not closed:
                raise ValueError(f"{method.command!r}: %{{ without a closing }}")
            if name not in manifest.properties:
                raise ValueError(f"{method.command!r}: no property %{{{name}}} to expand")
            line.append(shlex.quote(manifest.properties[name]))
        elif rest[:1] == "%":
            line.append("%")
            rest = rest[1:]
        elif rest[:1] in simple:
            line.append(simple[rest[:1]])
            rest = rest[1:]
        else:
            raise ValueError(f"{method.command!r}: unknown token %{rest[:1]}")
    return "".join(line)


def method_argv(root: Path, line: str) -> list[str]:
    """What svc.startd runs for a method's command line: its words, as /bin/sh splits
    them, with the method script installed in the simulated host at ``root``
    (:mod:`kzguard.sim.method_script`)."""
    words = shlex.split(line)
    if not words or words[0] != method_script.PATH or len(words) not in (2, 3):
        raise ValueError(f"not kzguard's method script: {line!r}")
    return [str(root / method_script.PATH.lstrip("/")), *words[1:]]


def method_environment(manifest: ServiceManifest, method: str) -> dict[str, str]:
    environment = {
        "SMF_FMRI": manifest.fmri,
        "SMF_METHOD": method,
        "SMF_RESTARTER": RESTARTER,
        "SMF_ZONENAME": GLOBAL_ZONE,
        "PATH": METHOD_PATH,
    }
    # The test suite's guard against real Solaris commands only ever narrows what
    # kzguard may run; it must reach the method too.
    prefix = os.environ.get(ALLOWED_PREFIX_VARIABLE)
    if prefix:
        environment[ALLOWED_PREFIX_VARIABLE] = prefix
    return environment


def smf_log(message: str, out: TextIO) -> None:
    """A line as svc.startd writes it to the service's log: ``[ Nov  5 18:22:01 ... ]``."""
    now = time.localtime()
    stamp = f"{time.strftime('%b', now)} {now.tm_mday:2d} {time.strftime('%H:%M:%S', now)}"
    print(f"[ {stamp} {message} ]", file=out, flush=True)


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``, from Linux's /proc (elsewhere: none found)."""
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stream:
                data = stream.read()
        except OSError:
            continue
        # "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses.
        fields = data[data.rfind(b")") + 1 :].split()
        if len(fields) >= 2 and fields[1].isdigit():
            children.setdefault(int(fields[1]), []).append(int(entry))
    found: list[int] = []
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


class MethodRunner(Runner):
    """kzguard's runner, running a method as svc.startd does: its output copied to
    the service's log (``out``) as it comes, and at its timeout its whole process
    contract killed.  Here that is the method's process group and every process below
    it: kzguard runs each command in a session of its own, so the group alone would
    leave the method's zoneadm and zlogin running."""

    def __init__(self, out: TextIO) -> None:
        super().__init__()
        self.out = out
        self.killed: int | None = None  # the method's pid, once killed
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._at_line_start = True

    def output_received(self, data: bytes) -> None:
        text = self._decoder.decode(data)
        if text:
            self.out.write(text)
            self.out.flush()
            self._at_line_start = text.endswith("\n")

    def end_output(self) -> None:
        """End a last line the method left unfinished, before svc.startd's own."""
        if not self._at_line_start:
            print(file=self.out)
            self._at_line_start = True

    def kill_group(self, pid: int) -> None:
        victims = descendants(pid)
        super().kill_group(pid)
        for victim in victims:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(victim, signal.SIGKILL)
        self.killed = pid


@dataclass(frozen=True)
class MethodRun:
    name: str
    status: int | None  # None: killed at its timeout
    seconds: float

    @property
    def ok(self) -> bool:
        return self.status == 0


def run_method(host: SimHost, manifest: ServiceManifest, name: str, out: TextIO) -> MethodRun:
    """Run one method on ``host`` as svc.startd would, copying its output to ``out``."""
    method = manifest.methods[name]
    line = expand_method(manifest, method)
    argv = method_argv(host.path, line)
    smf_log(f'Executing {name} method ("{line}").', out)
    runner = MethodRunner(out)
    began = time.monotonic()
    status: int | None
    try:
        status = runner.run(
            argv,
            timeout=method.timeout or NO_TIMEOUT,
            environment=method_environment(manifest, name),
        ).returncode
    except CommandFailed as error:
        status = error.returncode
    except CommandTimedOut:
        status = None
    runner.end_output()
    seconds = time.monotonic() - began
    if status is None:
        smf_log(f"Method or service exit timed out.  Killing process group {runner.killed}.", out)
        smf_log(f'Method "{name}" failed due to signal KILL.', out)
    elif status < 0:
        smf_log(f'Method "{name}" failed due to signal {signal.Signals(-status).name[3:]}.', out)
    else:
        smf_log(f'Method "{name}" exited with status {status}.', out)
    return MethodRun(name, status, seconds)


# -- init 6 and the next boot ----------------------------------------------------


@dataclass(frozen=True)
class ShutdownOrder:
    """What svc.startd did around one stop method at a shutdown (sim/shutdown.py).

    ``held``: each zone instance a dependent kept up when the stop began, with its
    holders; ``leaves``: the zone instances stopped at once, as the stop method
    began; ``status``: the stop method's exit status (None: killed at its timeout);
    ``stuck``: the zones whose autoshutdown had not ended when the wait for the
    zones service gave up."""

    held: Mapping[str, tuple[str, ...]]
    leaves: tuple[str, ...]
    status: int | None
    stuck: tuple[str, ...]


def stop_in_shutdown_order(
    host: SimHost,
    fmri: str,
    run_stop: Callable[[], int | None],
    *,
    zones_timeout: float = ZONES_SERVICE_TIMEOUT,
) -> ShutdownOrder:
    """Run a service's stop method (``run_stop``, which returns its exit status or
    None when it was killed) in the order svc.startd uses at ``init 0|5|6``, after
    :func:`kzguard.sim.shutdown.begin`: the leaves of the graph go down together,
    so the zones service starts every unheld zone instance's autoshutdown as the
    stop method starts; the zone instances the service holds wait until its stop
    method has ended (illumos graph.c disable_nonsubgraph_leaves(),
    is_nonsubgraph_leaf(); docs/solaris.md 13).  Returns once the zones service has
    finished, or after ``zones_timeout`` seconds with what it had not finished."""
    state = host.read()
    held = {
        instance: tuple(holders)
        for instance, holders in shutdown.held_zone_instances(state).items()
    }
    shutdown.stop_method_started(host, fmri)
    runs = shutdown.stop_leaf_zones(host)
    leaves = tuple(ZONE_INSTANCE_PREFIX + name for name in runs)
    status = run_stop()
    runs.update(shutdown.stop_method_ended(host, fmri, status))
    stuck = wait_for_zones_service(host, zones_timeout)
    # The runs still going are those that hang; they end when their zone is halted.
    shutdown.wait({name: run for name, run in runs.items() if name not in stuck})
    return ShutdownOrder(held, leaves, status, stuck)


def wait_for_zones_service(
    host: SimHost, timeout: float = ZONES_SERVICE_TIMEOUT
) -> tuple[str, ...]:
    """Wait until every autoshutdown the zones service started in this shutdown has
    ended (those it starts itself, as the zones a zone depends on become leaves,
    included); return the zones still going after ``timeout`` seconds.

    An autoshutdown that hangs (a zone with a ``hang`` fault for that action, or in
    the kernel debugger) is not waited for: svc.zones halts what does not go down
    in time (docs/solaris.md 3.4), which :func:`control.zones_service_stop` applies
    at once."""
    deadline = time.monotonic() + timeout
    while True:
        state = host.read()
        going = [
            action for action in shutdown.zones_service_actions(state) if action["ended"] is None
        ]
        if all(_hangs(state, action) for action in going) or time.monotonic() >= deadline:
            return tuple(action["zone"] for action in going)
        time.sleep(ZONES_SERVICE_POLL)


def _hangs(state: Mapping[str, Any], action: Mapping[str, Any]) -> bool:
    zone = state["zones"].get(action["zone"])
    if zone is None:
        return True
    # A suspend that fails falls back to a shutdown (sim/zonesvc.py); a halt never hangs.
    steps = {"suspend": ("suspend", "shutdown"), "shutdown": ("shutdown",)}
    hung = any(zone["faults"].get(step) == "hang" for step in steps.get(action["action"], ()))
    # A zone in kmdb or panicked runs nothing: its suspend and shutdown wait for a
    # halt (sim/zonesettings.py kernel_stopped).
    return hung or kernel_stopped(zone)


def instance_started(host: SimHost, fmri: str, status: int | None) -> None:
    """svc.startd after a start method: the instance is online, or in maintenance
    when the method failed (svc.startd(8)); an online instance holds its
    dependencies at the next shutdown again."""
    with host.edit() as state:
        state["smf"].setdefault(fmri, {})["restarter/state"] = [
            "astring",
            "online" if status == 0 else "maintenance",
        ]

"""``kzguard demo``: one reboot of a simulated Solaris host, told as it happens.

The demo builds a simulated global zone (:mod:`kzguard.sim`) with kernel zones of
different sizes that kzguard manages, one kernel zone it does not manage (it has no
suspend resource, like an operator's zone never prepared for suspend) and one
native zone.  It renders kzguard's SMF manifest from the policy and reads it back
the way svc.startd does, then plays ``init 6`` and the next boot:

1. svc.startd runs kzguard's start method (the boot before: it arms the guard);
2. ``init 6`` sets run level 6 and svc.startd runs kzguard's stop method, which
   suspends the managed zones;
3. svc:/system/zones:default stops and applies each still-running zone's own
   ``autoshutdown``; the power goes off;
4. the global zone boots, svc:/system/zones:default boots the ``autoboot`` zones,
   and svc.startd runs kzguard's start method, which resumes the suspended zones.

Each zone's in-zone boot time (``kstat unix:0:system_misc:boot_time`` through
zlogin) is read before and after: a resumed zone keeps it, a zone that was shut
down and booted again gets a new one.  The demo exits 0 only if every managed zone
came back resumed with its boot time unchanged.

What is simulated and what svc.startd really does:

- The methods run as svc.startd runs them: the ``exec`` attribute of the
  manifest's ``exec_method`` with ``%m`` and ``%{config/policy}`` expanded from
  the manifest itself, the SMF_* environment, PATH=/usr/sbin:/usr/bin, stdin from
  /dev/null, stdout and stderr into the log, and ``timeout_seconds`` enforced by
  killing the method.  svc.startd runs each method in a new process contract and
  kills the contract; here the method's process group and every process below it
  (found in Linux's /proc) are killed instead.  Its working directory is /.
- ``/lib/svc/method/svc-kzguard`` is not installed here, so the command line it
  would ``exec`` (packaging/svc-kzguard) is run instead: this Python with
  ``-m kzguard -c POLICY method NAME``.  The packaged script adds ``-I``, which
  works because the package lives in vendor-packages; here kzguard is found
  through PYTHONPATH, which ``-I`` would ignore.
- Stopping and starting svc:/system/zones:default, the power loss and the boot of
  the global zone are :mod:`kzguard.sim.control` events, applied at once.

jinja2 is imported only inside :func:`show_manifest` (through kzguard.manifest.render):
``kzguard.cli`` imports this module, and the SMF methods must not pay for jinja2.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from kzguard import log as kzlog
from kzguard.errors import KzguardError
from kzguard.journal.store import JOURNAL_NAME, read_json
from kzguard.model import AUX_SUSPENDED, GLOBAL_ZONE, RUNNING
from kzguard.policy.file import load_policy
from kzguard.policy.model import Policy
from kzguard.policy.selection import Decision
from kzguard.sim import control
from kzguard.sim.create import create_host
from kzguard.sim.state import FAULTS, SimHost, SimStateError
from kzguard.solaris.host import Host
from kzguard.solaris.parse.zoneadm import parse_zoneadm_list_v
from kzguard.solaris.runner import ALLOWED_PREFIX_VARIABLE, Runner
from kzguard.stop import path as stop_path

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

DEFAULT_ZONES = 4
MAX_ZONES = 12
# With seed 23 the four managed zones have four different sizes (2G, 8G, 4G, 16G).
DEFAULT_SEED = 23
# Real seconds per simulated second: a 16G zone whose suspend the simulator models
# as about 40 s takes about 2 s here, and the whole demo well under a minute.
TIME_SCALE = 0.05
MIB = 1 << 20

METHOD_SCRIPT = "/lib/svc/method/svc-kzguard"
RESTARTER = "svc:/system/svc/restarter:default"
ZONES_SERVICE = "svc:/system/zones:default"
# What svc.startd puts in every method's environment (smf_method(7)); SMF_ZONENAME
# is the zone the service runs in, the global zone for kzguard.
METHOD_PATH = "/usr/sbin:/usr/bin"
# In-zone boot time reads through zlogin.
BOOT_TIME_TIMEOUT = 15.0
QUERY_TIMEOUT = 30.0

PRESERVED = "running state preserved"
LOST = "running state LOST"
NOT_RESUMED = "not resumed (still suspended)"


# -- the command line ---------------------------------------------------------


def _fault(text: str) -> tuple[str, str, str]:
    parts = text.split(":")
    if len(parts) != 3 or not all(parts):
        raise argparse.ArgumentTypeError(f"expected ZONE:OPERATION:FAULT, not {text!r}")
    zone, operation, fault = parts
    if fault not in FAULTS.get(operation, frozenset()):
        choices = "; ".join(f"{op}: {', '.join(sorted(kinds))}" for op, kinds in FAULTS.items())
        raise argparse.ArgumentTypeError(f"unknown fault {operation}:{fault} ({choices})")
    return zone, operation, fault


def _zone_count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 1 <= count <= MAX_ZONES:
        raise argparse.ArgumentTypeError(f"from 1 to {MAX_ZONES} managed zones, not {count}")
    return count


def _fill(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "dir",
        metavar="DIR",
        nargs="?",
        help="where to build the simulated host: a new or empty directory, kept "
        "afterwards (default: a temporary directory, removed unless --keep)",
    )
    parser.add_argument(
        "--zones",
        metavar="N",
        type=_zone_count,
        default=DEFAULT_ZONES,
        help=f"kernel zones kzguard manages (default {DEFAULT_ZONES}, at most {MAX_ZONES})",
    )
    parser.add_argument(
        "--seed",
        metavar="S",
        type=int,
        default=DEFAULT_SEED,
        help=f"random seed for the zones' memory sizes (default {DEFAULT_SEED})",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary directory of the host"
    )
    # For tests: make the simulated host fail an operation (see kzguard sim fault).
    parser.add_argument("--fault", type=_fault, action="append", default=[], help=argparse.SUPPRESS)


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: Sequence[argparse.ArgumentParser] = (),
) -> argparse.ArgumentParser:
    """Register ``demo`` under ``subparsers``; its handler is :func:`run`."""
    parser = subparsers.add_parser(
        "demo",
        parents=list(parents),
        help="reboot a simulated Solaris host and show kzguard keep its kernel zones",
        description="Build a simulated Solaris host with kernel zones, run kzguard's SMF "
        "methods through an init 6 and the next boot as svc.startd would, and show per "
        "zone whether its running state survived. Exit 0 when every managed zone came "
        "back resumed, 1 otherwise.",
    )
    _fill(parser)
    parser.set_defaults(handler=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Carry out ``kzguard demo``; return the exit status."""
    if getattr(args, "policy", None):
        # -c comes with the options every kzguard command accepts.
        print(
            "kzguard demo: -c/--policy does not apply: the demo writes its own policy "
            "into the simulated host",
            file=sys.stderr,
        )
        return EXIT_USAGE
    began = time.monotonic()
    temporary = args.dir is None
    directory = Path(tempfile.mkdtemp(prefix="kzguard-demo-")) if temporary else Path(args.dir)
    made = False
    try:
        try:
            host = prepare_host(directory, zones=args.zones, seed=args.seed)
        except (FileExistsError, SimStateError, OSError) as error:
            print(f"kzguard demo: {error}", file=sys.stderr)
            return EXIT_USAGE
        made = True
        try:
            status = demo(host, faults=args.fault)
        except (KeyError, ValueError) as error:  # a --fault naming no such zone
            print(f"kzguard demo: {error.args[0] if error.args else error}", file=sys.stderr)
            return EXIT_USAGE
    finally:
        if temporary and not args.keep:
            shutil.rmtree(directory, ignore_errors=True)
        elif made:
            print(f"the simulated host is kept in {directory}", flush=True)
    print(f"wall time {time.monotonic() - began:.1f}s", flush=True)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """``python3 -m kzguard.sim.demo``, the same as ``kzguard demo``."""
    parser = argparse.ArgumentParser(
        prog="kzguard demo",
        description="Reboot a simulated Solaris host and show kzguard keep its kernel zones.",
    )
    _fill(parser)
    args = parser.parse_args(argv)
    kzlog.configure(0)
    try:
        return run(args)
    except KzguardError as error:
        for line in str(error).splitlines():
            print(f"kzguard: {line}", file=sys.stderr)
        return error.exit_code


# -- the host -----------------------------------------------------------------


def unmanaged_zone(zones: int) -> str:
    """The kernel zone kzguard leaves alone: the last one made."""
    return f"kz{zones + 1}"


def prepare_host(path: Path, *, zones: int, seed: int) -> SimHost:
    """Make the demo host: ``zones`` managed kernel zones kz1..kzN, one kernel zone
    without a suspend resource, and the native zone ngz1, all running."""
    host = create_host(path, zones=zones + 1, seed=seed, time_scale=TIME_SCALE)
    with host.edit() as state:
        # Never prepared for suspend: no suspend resource, so select.auto (the
        # default policy) leaves it out; autoboot=true, so the zones service boots
        # it again at the next boot.  The native zone boots again too.
        plain = state["zones"][unmanaged_zone(zones)]
        plain["config"]["suspend"] = None
        plain["config"]["autoboot"] = True
        state["zones"]["ngz1"]["config"]["autoboot"] = True
        rate = state["rates"]["suspend_rate"] / state["time_scale"]
    # The planner predicts each suspend from assumed_rate: give it the simulator's
    # rate per real second, so that its predictions match what happens here.
    lines = [
        "",
        "# kzguard demo: predictions at the simulator's speed, and quick resumes.",
        "[shutdown]",
        f'assumed_rate = "{round(rate / MIB)}M"',
        "",
        "[resume]",
        'stagger = "1s"',
        "",
    ]
    with open(host.policy_path, "a", encoding="utf-8") as stream:
        stream.write("\n".join(lines))
    return host


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


def method_argv(line: str) -> list[str]:
    """The command the method script would ``exec`` (packaging/svc-kzguard): it is
    not installed here, so its command line is run directly."""
    words = shlex.split(line)
    if not words or words[0] != METHOD_SCRIPT or len(words) not in (2, 3):
        raise ValueError(f"not kzguard's method script: {line!r}")
    python = [sys.executable, "-B", "-m", "kzguard"]
    if len(words) == 3 and words[2]:
        return [*python, "-c", words[2], "method", words[1]]
    return [*python, "method", words[1]]


def method_environment(manifest: ServiceManifest, method: str) -> dict[str, str]:
    environment = {
        "SMF_FMRI": manifest.fmri,
        "SMF_METHOD": method,
        "SMF_RESTARTER": RESTARTER,
        "SMF_ZONENAME": GLOBAL_ZONE,
        "PATH": METHOD_PATH,
        # Not svc.startd's: where this kzguard is (vendor-packages on Solaris).
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
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


def kill_tree(pid: int) -> None:
    """Kill a method the way svc.startd kills its contract: with every process it
    started.  kzguard runs each command in a session of its own, so killing the
    method's process group alone would leave its zoneadm and zlogin running."""
    victims = descendants(pid)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    for victim in victims:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(victim, signal.SIGKILL)


@dataclass(frozen=True)
class MethodRun:
    name: str
    status: int | None  # None: killed at its timeout
    seconds: float

    @property
    def ok(self) -> bool:
        return self.status == 0


def run_method(manifest: ServiceManifest, name: str, out: TextIO) -> MethodRun:
    """Run one method as svc.startd would, copying its output to ``out`` as it comes."""
    method = manifest.methods[name]
    line = expand_method(manifest, method)
    argv = method_argv(line)
    smf_log(f'Executing {name} method ("{line}").', out)
    began = time.monotonic()
    process = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=method_environment(manifest, name),
        cwd="/",
        start_new_session=True,
    )
    stream = process.stdout
    if stream is None:  # pragma: no cover (PIPE above)
        raise RuntimeError("method output is not captured")

    def copy() -> None:
        for raw in stream:
            print(raw.decode("utf-8", errors="replace").rstrip("\n"), file=out, flush=True)

    reader = threading.Thread(target=copy, name=f"demo-{name}", daemon=True)
    reader.start()
    try:
        status: int | None = process.wait(timeout=method.timeout)
    except subprocess.TimeoutExpired:
        smf_log(f"Method or service exit timed out.  Killing process group {process.pid}.", out)
        kill_tree(process.pid)
        process.wait()
        status = None
    reader.join(timeout=5.0)
    stream.close()
    seconds = time.monotonic() - began
    if status is None:
        smf_log(f'Method "{name}" failed due to signal KILL.', out)
    elif status < 0:
        smf_log(f'Method "{name}" failed due to signal {signal.Signals(-status).name[3:]}.', out)
    else:
        smf_log(f'Method "{name}" exited with status {status}.', out)
    return MethodRun(name, status, seconds)


def show_manifest(host: SimHost, policy: Policy, kz: Host, out: TextIO) -> ServiceManifest:
    """Render the manifest as ``kzguard apply`` does, keep it in the host directory,
    and read it back as svc.startd would."""
    from kzguard.manifest.apply import find_zone_instances  # noqa: PLC0415 (imports kzguard.manifest.render)
    from kzguard.manifest.render import render_manifest  # noqa: PLC0415 (jinja2 only here)

    instances = find_zone_instances(policy, kz)
    text = render_manifest(
        policy, zone_instances=instances.present, policy_path=str(host.policy_path)
    )
    path = host.path / "lib" / "svc" / "manifest" / "site" / "kzguard.xml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    manifest = read_manifest(text)
    print(f"{manifest.fmri}, manifest {path}", file=out)
    for name, grouping, fmris in manifest.dependencies:
        print(f"  depends on {', '.join(fmris)} ({grouping}, {name})", file=out)
    for method in manifest.methods.values():
        limit = f"{method.timeout:g}s" if method.timeout is not None else "none"
        print(f'  {method.name:<8} exec "{method.command}", timeout {limit}', file=out)
    for key, value in manifest.properties.items():
        if key.startswith("config/"):
            print(f"  {key} = {value}", file=out)
    return manifest


# -- looking at the zones -------------------------------------------------------


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


def heading(text: str, out: TextIO) -> None:
    print(f"\n== {text}", file=out, flush=True)


def _events(
    events: Sequence[control.Event], state: Mapping[str, Any], key: str, none: str, out: TextIO
) -> None:
    """What the simulated zones service did, with the zone setting that made it."""
    if not events:
        print(none, file=out)
    for event in events:
        setting = state["zones"][event.zone]["config"].get(key)
        # An autoshutdown that is not set means shutdown (zonecfg(8)).
        value = str(setting).lower() if isinstance(setting, bool) else setting or "shutdown"
        print(f"{event.zone}: {event.outcome} ({key}={value})", file=out)


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
_RESUME_WORDS = {"error": "failed", "lost": "lost", "left": "left alone"}


def _suspend_cell(record: object) -> str:
    """A zone's stop outcome from the journal's cycle: seconds when suspended."""
    if not isinstance(record, dict):
        return "-"
    seconds = record.get("seconds")
    if record.get("state") == "suspended" and isinstance(seconds, (int, float)):
        return f"{seconds:.1f}s"
    return str(record.get("state") or "?")


def _resume_cell(record: object) -> str:
    """A zone's start outcome from the journal's resume record: seconds when ok."""
    if not isinstance(record, dict):
        return "-"
    seconds = record.get("seconds")
    severity = str(record.get("severity") or "?")
    if severity == "ok" and isinstance(seconds, (int, float)):
        return f"{seconds:.1f}s"
    return _RESUME_WORDS.get(severity, severity)


def results(
    decisions: Sequence[Decision], before: Snapshot, after: Snapshot, journal: Mapping[str, Any]
) -> list[ZoneResult]:
    cycle = journal.get("cycle") if isinstance(journal.get("cycle"), dict) else {}
    resume = journal.get("resume") if isinstance(journal.get("resume"), dict) else {}
    suspended = cycle.get("zones", {}) if isinstance(cycle, dict) else {}
    resumed = resume.get("zones", {}) if isinstance(resume, dict) else {}
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


# -- the story ------------------------------------------------------------------


def demo(
    host: SimHost, *, faults: Sequence[tuple[str, str, str]] = (), out: TextIO | None = None
) -> int:
    """Play one ``init 6`` and the next boot on ``host`` (made by :func:`prepare_host`);
    return 0 if every managed zone came back resumed with its running state."""
    out = out or sys.stdout
    policy = load_policy(str(host.policy_path), explicit=True)
    kz = Host(policy.commands, Runner())
    state = host.read()
    print(
        f"kzguard demo: a simulated Solaris {state['release']} global zone in {host.path}\n"
        f"(time scale {state['time_scale']:g}: it runs {1 / state['time_scale']:g} times "
        "faster than the simulator's model of real hardware)",
        file=out,
    )

    heading(f"The zones and what kzguard does with them (policy {host.policy_path})", out)
    decisions = sorted(stop_path.survey(policy, kz).decisions, key=lambda d: natural(d.zone.name))
    print(zones_table(decisions, state), file=out)

    before = snapshot(kz)
    show_snapshot("The host before the reboot", before, out)

    heading("kzguard's SMF manifest, rendered from the policy and read as svc.startd does", out)
    manifest = show_manifest(host, policy, kz, out)
    methods: list[MethodRun] = []

    heading("The boot before: svc.startd runs kzguard's start method, which arms the guard", out)
    methods.append(run_method(manifest, "start", out))

    for zone, operation, fault in faults:
        host.set_fault(zone, operation, fault)
        print(f"(fault injected: {operation} of {zone} will fail: {fault})", file=out)

    heading("init 6: run level 6; svc.startd stops kzguard before the zones service", out)
    control.set_runlevel(host, "6", "3")
    methods.append(run_method(manifest, "stop", out))

    heading(f"{ZONES_SERVICE} stops: each zone still running gets its own autoshutdown", out)
    events = control.zones_service_stop(host)
    _events(events, host.read(), "autoshutdown", "(no zone was still running)", out)

    heading("The power goes off", out)
    lost = control.power_off(host)
    if not lost:
        print("(nothing was running any more)", file=out)
    for event in lost:
        print(f"{event.zone}: {event.outcome}", file=out)

    heading(f"Power on: the global zone boots, {ZONES_SERVICE} starts the autoboot zones", out)
    control.boot_host(host)
    events = control.zones_service_start(host)
    _events(events, host.read(), "autoboot", "(no zone has autoboot=true)", out)

    heading("svc.startd runs kzguard's start method", out)
    methods.append(run_method(manifest, "start", out))

    after = snapshot(kz)
    show_snapshot("The host after the reboot", after, out)

    journal, _ = read_json(os.path.join(policy.paths.state_dir, JOURNAL_NAME), move_aside=False)
    rows = results(decisions, before, after, journal or {})
    heading("Did each zone's running state survive? (in-zone boot time unchanged)", out)
    print(result_table(rows), file=out)
    print("", file=out)
    return _verdict(rows, methods, out)


def _verdict(rows: Sequence[ZoneResult], methods: Sequence[MethodRun], out: TextIO) -> int:
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


if __name__ == "__main__":
    sys.exit(main())

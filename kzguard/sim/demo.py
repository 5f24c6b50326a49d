"""``kzguard demo``: one reboot of a simulated Solaris host, told as it happens.

The demo builds a simulated global zone (:mod:`kzguard.sim`) with kernel zones of
different sizes that kzguard manages, one kernel zone it does not manage (it has no
suspend resource, like an operator's zone never prepared for suspend) and one
native zone.  It renders kzguard's SMF manifest from the policy and reads it back
the way svc.startd does, then plays ``init 6`` and the next boot:

1. svc.startd runs kzguard's start method (the boot before: it arms the guard);
   the manifest is imported into the host's SMF repository, so kzguard's instance
   depends on each managed zone's instance;
2. ``init 6``: svc.startd writes run level 6 for ``who -r``, deletes
   options_ovr/runlevel, and stops the leaves of the SMF graph together
   (docs/solaris.md 12, 13): kzguard's stop method suspends the managed zones while
   the zones service applies the ``autoshutdown`` of the zones whose instances
   kzguard does not hold (the unmanaged ones); the managed zones' instances wait
   until kzguard's stop method has ended;
3. svc:/system/zones:default stops (any zone still running gets its own
   ``autoshutdown``); the power goes off;
4. the global zone boots, svc:/system/zones:default boots the ``autoboot`` zones,
   and svc.startd runs kzguard's start method, which resumes the suspended zones.

The zones, their boot times and the verdict: :mod:`kzguard.sim.demo_report`.  The
demo exits 0 only if every managed zone came back resumed with its boot time
unchanged.  How the methods run, and the order around a stop method at a shutdown:
:mod:`kzguard.sim.svcstartd`, a simulated svc.startd (:func:`init_6_and_boot` here
plays the whole reboot with it).

jinja2 is imported only inside :func:`show_manifest` (through kzguard.manifest.render):
``kzguard.cli`` imports this module, and the SMF methods must not pay for jinja2.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from kzguard import log as kzlog
from kzguard.errors import KzguardError
from kzguard.journal.store import read_journal
from kzguard.policy.file import load_policy
from kzguard.policy.model import Policy
from kzguard.sim import control, method_script, shutdown, svcstartd
from kzguard.sim import demo_report as report
from kzguard.sim.create import create_host
from kzguard.sim.state import FAULTS, SimHost, SimStateError
from kzguard.sim.svcstartd import MethodRun, ServiceManifest, read_manifest, run_method
from kzguard.solaris.host import Host
from kzguard.solaris.runner import Runner
from kzguard.stop import path as stop_path

EXIT_USAGE = 2

DEFAULT_ZONES = 4
MAX_ZONES = 12
# With seed 23 the four managed zones have four different sizes (2G, 8G, 4G, 16G).
DEFAULT_SEED = 23
# Real seconds per simulated second: a 16G zone whose suspend the simulator models
# as about 40 s takes about 2 s here, and the whole demo well under a minute.
TIME_SCALE = 0.05
MIB = 1 << 20


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
    # What the package delivers besides the manifest (written by show_manifest).
    method_script.install(host.path)
    return host


# -- the SMF manifest -------------------------------------------------------------


def show_manifest(host: SimHost, policy: Policy, kz: Host, out: TextIO) -> ServiceManifest:
    """Render the manifest as ``kzguard apply`` does, keep it in the host directory,
    import it into the host's SMF repository (its dependencies on the managed zones'
    instances are what holds those instances up at the shutdown), and read it back
    as svc.startd would."""
    from kzguard.manifest.apply import (  # noqa: PLC0415 (imports kzguard.manifest.render)
        IMPORT_TIMEOUT,
        find_zone_instances,
        import_argv,
    )
    from kzguard.manifest.render import render_manifest  # noqa: PLC0415 (jinja2 only here)

    instances = find_zone_instances(policy, kz)
    text = render_manifest(
        policy, zone_instances=instances.present, policy_path=str(host.policy_path)
    )
    path = host.path / "lib" / "svc" / "manifest" / "site" / "kzguard.xml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    kz.runner.run(import_argv(policy.commands, str(path)), timeout=IMPORT_TIMEOUT)
    manifest = read_manifest(text)
    print(f"{manifest.fmri}, manifest {path} (imported with svccfg import)", file=out)
    for name, grouping, fmris in manifest.dependencies:
        print(f"  depends on {', '.join(fmris)} ({grouping}, {name})", file=out)
    for method in manifest.methods.values():
        limit = f"{method.timeout:g}s" if method.timeout is not None else "none"
        print(f'  {method.name:<8} exec "{method.command}", timeout {limit}', file=out)
    for key, value in manifest.properties.items():
        if key.startswith("config/"):
            print(f"  {key} = {value}", file=out)
    return manifest


# -- init 6 and the next boot, as svc.startd plays them ----------------------------


def init_6_and_boot(host: SimHost, manifest: ServiceManifest, out: TextIO) -> list[MethodRun]:
    """Play ``init 6`` and the next boot of the global zone on ``host``, as svc.startd
    does, and return kzguard's stop and start methods as they ran.

    The order (docs/solaris.md 12, 13): svc.startd writes run level 6 where ``who -r``
    reads it and deletes options_ovr/runlevel; it stops the leaves of the SMF graph
    at once: kzguard (its stop method runs) and every zone instance no running
    service depends on (the zones service applies the zone's ``autoshutdown`` while
    kzguard's stop method runs); the zone instances kzguard depends on wait until its
    stop method has ended, then get their autoshutdown; svc:/system/zones:default
    stops last; the power goes off; the global zone boots and the zones service
    boots the ``autoboot`` zones; kzguard's start method runs.
    """
    report.heading(
        "init 6: svc.startd writes run level 6 (who -r), deletes options_ovr/runlevel "
        "and stops the leaves of the SMF graph",
        out,
    )
    shutdown.begin(host, "6")
    report.show_shutdown_graph(host.read(), manifest.fmri, out)

    report.heading(
        "kzguard's stop method runs; at the same time the zones service applies the "
        "leaf zones' autoshutdown",
        out,
    )
    stop_runs: list[MethodRun] = []

    def run_stop() -> int | None:
        stop_runs.append(svcstartd.run_method(host, manifest, "stop", out))
        return stop_runs[0].status

    order = svcstartd.stop_in_shutdown_order(host, manifest.fmri, run_stop)
    stop = stop_runs[0]
    report.heading("What the zones service did (each zone's own autoshutdown)", out)
    report.show_zones_service(host.read(), manifest.fmri, order.held, out)

    report.heading(
        f"{svcstartd.ZONES_SERVICE} stops: each zone still running gets its own autoshutdown", out
    )
    events = control.zones_service_stop(host)
    report.show_events(events, host.read(), "autoshutdown", "(no zone was still running)", out)

    report.heading("The power goes off", out)
    lost = control.power_off(host)
    if not lost:
        print("(nothing was running any more)", file=out)
    for event in lost:
        print(f"{event.zone}: {event.outcome}", file=out)

    report.heading(
        f"Power on: the global zone boots, {svcstartd.ZONES_SERVICE} starts the autoboot zones", out
    )
    control.boot_host(host)
    events = control.zones_service_start(host)
    report.show_events(events, host.read(), "autoboot", "(no zone has autoboot=true)", out)

    report.heading("svc.startd runs kzguard's start method", out)
    start = svcstartd.run_method(host, manifest, "start", out)
    svcstartd.instance_started(host, manifest.fmri, start.status)
    return [stop, start]


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

    report.heading(f"The zones and what kzguard does with them (policy {host.policy_path})", out)
    decisions = sorted(
        stop_path.survey(policy, kz).decisions, key=lambda d: report.natural(d.zone.name)
    )
    print(report.zones_table(decisions, state), file=out)

    before = report.snapshot(kz)
    report.show_snapshot("The host before the reboot", before, out)

    report.heading(
        "kzguard's SMF manifest, rendered from the policy and read as svc.startd does", out
    )
    manifest = show_manifest(host, policy, kz, out)
    methods: list[MethodRun] = []

    report.heading(
        "The boot before: svc.startd runs kzguard's start method, which arms the guard", out
    )
    methods.append(run_method(host, manifest, "start", out))

    for zone, operation, fault in faults:
        host.set_fault(zone, operation, fault)
        print(f"(fault injected: {operation} of {zone} will fail: {fault})", file=out)

    methods += init_6_and_boot(host, manifest, out)

    after = report.snapshot(kz)
    report.show_snapshot("The host after the reboot", after, out)

    journal, _ = read_journal(policy.paths.state_dir)
    rows = report.results(decisions, before, after, journal)
    report.heading("Did each zone's running state survive? (in-zone boot time unchanged)", out)
    print(report.result_table(rows), file=out)
    print("", file=out)
    return report.verdict(rows, methods, out)


if __name__ == "__main__":
    sys.exit(main())

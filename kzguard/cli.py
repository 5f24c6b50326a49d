"""The ``kzguard`` command line.

Answers go to stdout, diagnostics to stderr; expected errors end with their message
and exit status (see kzguard.errors), never with a traceback.  This module is on the
SMF stop/start path (``python3 -m kzguard method stop``), so jinja2 is never imported
at its start-up: ``render manifest`` and ``apply`` import :mod:`kzguard.manifest.render`
inside their handlers only.  The IPS build runs ``python3 -m kzguard render manifest``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Collection, Sequence
from typing import Any

from kzguard import __version__, method
from kzguard import log as kzlog
from kzguard.errors import EXIT_OK, EXIT_WARNINGS, KzguardError, PolicyError, UsageError
from kzguard.journal.store import NOT_WRITABLE, read_journal, state_dir_problem
from kzguard.policy.file import load_policy
from kzguard.policy.model import DEFAULT_POLICY_PATH, Policy, default_policy
from kzguard.policy.selection import missing_zones
from kzguard.solaris.argv import zone_instance
from kzguard.solaris.host import Host
from kzguard.status import checks, report
from kzguard.status.health import assess
from kzguard.stop import path as stop_path
from kzguard.stop.plan import plan_stop

log = logging.getLogger("kzguard")

# Where the package delivers the manifest (docs/solaris.md 5.2: site manifests).
DEFAULT_MANIFEST_PATH = "/lib/svc/manifest/site/kzguard.xml"


def _common_options(*, top_level: bool) -> argparse.ArgumentParser:
    """Options accepted both before and after the subcommand.

    Subparsers use SUPPRESS defaults so that ``kzguard -c F check`` is not
    overwritten by the subparser's own default.
    """
    parser = argparse.ArgumentParser(add_help=False)
    default = None if top_level else argparse.SUPPRESS
    parser.add_argument(
        "-c",
        "--policy",
        metavar="FILE",
        default=default,
        help=f"policy file (default {DEFAULT_POLICY_PATH}; missing means built-in defaults)",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_const",
        const=1,
        dest="verbosity",
        default=0 if top_level else argparse.SUPPRESS,
        help="also log every command run and its duration",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_const",
        const=-1,
        dest="verbosity",
        default=argparse.SUPPRESS,
        help="log only warnings and errors",
    )
    return parser


# Subcommands whose modules (the simulator, the demo) are imported only when the
# command line names them: together they were half of kzguard.cli's import time,
# paid by every `kzguard status` and every SMF method.  Their help lines stand here
# so that `kzguard --help` lists them without the import (test_cli_foundation
# checks they match the modules' own).
LAZY_COMMANDS = {
    "sim": "make and drive a simulated Solaris host (for tests and demos)",
    "demo": "reboot a simulated Solaris host and show kzguard keep its kernel zones",
}


def build_parser(full: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The whole command line; of LAZY_COMMANDS only those in ``full`` (all when
    None) get their real parser, the others a placeholder with their help line."""
    parser = argparse.ArgumentParser(
        prog="kzguard",
        description="Suspend Solaris kernel zones when the global zone goes down; "
        "resume them when it comes back.",
        parents=[_common_options(top_level=True)],
    )
    parser.add_argument("--version", action="version", version=f"kzguard {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    common = _common_options(top_level=False)

    check = subparsers.add_parser(
        "check",
        parents=[common],
        help="validate the policy and cross-check it against the host",
        description="Validate the policy and cross-check it against the live zones. "
        "Exit 0 clean, 1 warnings only, 2 errors.",
    )
    check.add_argument("--json", action="store_true", help="print a JSON document")
    check.set_defaults(handler=run_check)

    status = subparsers.add_parser(
        "status",
        parents=[common],
        help="show every zone and what kzguard does with it",
    )
    status.add_argument("--json", action="store_true", help="print a JSON document")
    status.set_defaults(handler=run_status)

    plan = subparsers.add_parser(
        "plan",
        parents=[common],
        help="show what the stop method would do now",
        description="Build the plan the stop method would carry out right now.",
    )
    plan.add_argument("kind", choices=["stop"], help="which plan")
    plan.add_argument("--json", action="store_true", help="print a JSON document")
    plan.set_defaults(handler=run_plan)

    stop = subparsers.add_parser(
        "stop",
        parents=[common],
        help="suspend the managed zones now, as the stop method would",
        description="Carry out the stop plan by hand, e.g. before `reboot`, which runs "
        "no SMF stop method. Exit 0 when every zone reached a safe state, 1 otherwise.",
    )
    stop.add_argument("-n", "--dry-run", action="store_true", help="only show the plan")
    stop.set_defaults(handler=run_stop)

    smf = subparsers.add_parser(
        "method",
        parents=[common],
        help="SMF method entry point (used by svc:/site/kzguard)",
    )
    smf.add_argument(
        "name", choices=["start", "stop", "refresh"], help="the method svc.startd runs"
    )
    smf.set_defaults(handler=run_method)

    for name, help_line in LAZY_COMMANDS.items():
        if full is None or name in full:
            _lazy_module(name).add_parser(subparsers, parents=[common])
        else:
            subparsers.add_parser(name, help=help_line, add_help=False)
    _add_manifest_parsers(subparsers, common)
    return parser


def _add_manifest_parsers(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    """``render manifest`` and ``apply``: the SMF manifest (kzguard.manifest)."""
    render = subparsers.add_parser(
        "render",
        parents=[common],
        help="print the SMF manifest for the policy",
        description="Render the SMF manifest of svc:/site/kzguard:default for the policy: "
        "method timeouts from shutdown.deadline and resume.deadline, and an optional "
        "dependency on the SMF instance of each zone given with --zone.",
    )
    render.add_argument("what", choices=["manifest"], help="what to render")
    render.add_argument("-o", "--output", metavar="FILE", help="write to FILE, not stdout")
    render.add_argument(
        "--zone",
        metavar="NAME",
        action="append",
        default=[],
        help="add a dependency on svc:/system/zones/zone:NAME (repeatable)",
    )
    render.add_argument(
        "--defaults",
        action="store_true",
        help=f"render for the built-in defaults and {DEFAULT_POLICY_PATH}, "
        "ignoring any policy file (what the package delivers)",
    )
    render.set_defaults(handler=run_render)

    apply = subparsers.add_parser(
        "apply",
        parents=[common],
        help="update the installed SMF manifest to match the policy",
        description="Check the policy, find the SMF instances of the managed zones, "
        "render the manifest, show how it differs from the installed one and, unless "
        "--dry-run, install it, import it with svccfg and refresh svc:/site/kzguard:default.",
    )
    apply.add_argument("-n", "--dry-run", action="store_true", help="only show the difference")
    # Tests point this at a file under a simulated host; operators have no use for it.
    apply.add_argument("--manifest-path", default=DEFAULT_MANIFEST_PATH, help=argparse.SUPPRESS)
    apply.set_defaults(handler=run_apply)


def _lazy_module(name: str) -> Any:
    if name == "sim":
        import kzguard.sim.cli  # noqa: PLC0415  (see LAZY_COMMANDS)

        return kzguard.sim.cli
    import kzguard.sim.demo  # noqa: PLC0415  (see LAZY_COMMANDS)

    return kzguard.sim.demo


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``kzguard ARGV``; return the exit status.  A closed stdout costs the rest
    of the answer, never the work nor the status (kzguard.log.StdoutGuard)."""
    with kzlog.guarded_stdout():
        words = sys.argv[1:] if argv is None else argv
        args = build_parser(full=set(words) & LAZY_COMMANDS.keys()).parse_args(argv)
        return dispatch(args)


def dispatch(args: argparse.Namespace) -> int:
    """Run the chosen subcommand: expected errors end as their message and exit
    status, never as a traceback, with -v too (a traceback is for a defect)."""
    kzlog.configure(args.verbosity)
    try:
        status: int = args.handler(args)
    except KzguardError as error:
        kzlog.error_lines(log, error)
        return error.exit_code
    except KeyboardInterrupt:
        log.error("interrupted")
        return 130
    return status


def _load(args: argparse.Namespace) -> Policy:
    path = args.policy
    return load_policy(path or DEFAULT_POLICY_PATH, explicit=path is not None)


def run_check(args: argparse.Namespace) -> int:
    policy = _load(args)
    host = Host(policy.commands)
    found = stop_path.survey(policy, host)
    decisions = found.decisions
    missing = missing_zones(policy, [decision.zone for decision in decisions])
    instances = host.zone_instances([d.zone.name for d in decisions if d.managed])
    findings = checks.check(decisions, missing, found.space, instances)
    if args.json:
        print(report.check_json(decisions, findings, policy.source))
    else:
        print(f"policy {policy.source or '(built-in defaults)'}: valid")
        for finding in findings:
            print(finding.render())
        print(report.check_summary(decisions, findings))
    return checks.exit_status(findings)


def run_status(args: argparse.Namespace) -> int:
    """Exit 0 healthy, 1 an error is recorded, 2 degraded (kzguard.status.health)."""
    path = args.policy or DEFAULT_POLICY_PATH
    explicit = args.policy is not None
    try:
        policy, problems = load_policy(path, explicit=explicit), []
    except PolicyError as error:
        # Degraded, not fatal: show what the methods act on instead.
        problems = str(error).splitlines()
        for line in problems:
            log.error("%s", line)
        policy = method.policy_in_force(path)
    host = Host(policy.commands)
    found = stop_path.survey(policy, host)
    plan = plan_stop(policy, found.decisions, stop_path.history_for_planning(policy), found.space)
    document, journal_problem = None, _state_dir_problem(policy)
    if journal_problem is None or NOT_WRITABLE in journal_problem:
        # Read-only: still readable, and the methods still read it.
        document, unreadable = read_journal(policy.paths.state_dir)
        journal_problem = "; ".join(filter(None, [journal_problem, unreadable])) or None
    boot_time = host.host_boot_time_or_none()
    health = assess(
        document,
        policy_problems=problems,
        policy_in_force=policy.source or "the built-in defaults",
        journal_problem=journal_problem,
        host_boot_time=boot_time,
    )
    if args.json:
        print(report.status_json(found.decisions, policy.source, health, plan))
    else:
        print(report.status_text(found.decisions, policy.source, health, plan))
    return health.exit_status


def _state_dir_problem(policy: Policy) -> str | None:
    """What is wrong with the state directory, as the stop method would find it."""
    problem = state_dir_problem(policy.paths.state_dir)
    if problem is None:
        return None
    return (
        f"{problem}; a stop would suspend the zones without a journal, and the next boot "
        "would not resume them"
    )


def run_plan(args: argparse.Namespace) -> int:
    policy = _load(args)
    problem = _state_dir_problem(policy)
    if problem:
        log.warning("%s", problem)
    plan = stop_path.build_stop_plan(policy, Host(policy.commands))
    print(report.plan_json(plan) if args.json else report.plan_text(plan))
    return EXIT_OK


def run_stop(args: argparse.Namespace) -> int:
    started = method.monotonic_start()
    policy = _load(args)
    host = Host(policy.commands)
    if args.dry_run:
        print(report.plan_text(stop_path.build_stop_plan(policy, host)))
        print("(dry run; not making any changes)")
        return EXIT_OK
    _, outcome = stop_path.execute_stop(
        policy, host, holder="kzguard stop", trigger="manual", started=started
    )
    print(report.stop_text(outcome))
    if outcome.own_failures or outcome.errors:
        return EXIT_WARNINGS
    return EXIT_OK


def run_method(args: argparse.Namespace) -> int:
    started = method.monotonic_start()
    path = args.policy or DEFAULT_POLICY_PATH
    explicit = args.policy is not None
    if args.name == "refresh":
        return method.refresh(path, explicit=explicit)
    policy, problems = method.load_for_method(path, explicit=explicit)
    if args.name == "stop":
        return method.stop(policy, started=started)
    if not problems:
        method.remember_good(policy)
    return method.start(policy, started=started)


def _load_for_service(args: argparse.Namespace) -> tuple[Policy, str]:
    """The policy and the path the service is to read it from: an absolute one, as
    svc.startd runs the methods from its own working directory."""
    policy = _load(args)
    return policy, os.path.abspath(args.policy) if args.policy else DEFAULT_POLICY_PATH


def run_render(args: argparse.Namespace) -> int:
    from kzguard.manifest.render import render_manifest  # noqa: PLC0415 (jinja2 only when rendering)

    if args.defaults:
        if args.policy is not None:
            raise UsageError("--defaults and -c/--policy exclude each other")
        policy, policy_path = default_policy(), DEFAULT_POLICY_PATH
    else:
        policy, policy_path = _load_for_service(args)
    try:
        instances = [zone_instance(name) for name in args.zone]
        text = render_manifest(policy, zone_instances=instances, policy_path=policy_path)
    except ValueError as error:
        raise UsageError(str(error)) from error
    if args.output is None:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        with open(args.output, "w", encoding="utf-8") as stream:
            stream.write(text)
    except OSError as error:
        raise UsageError(f"{args.output}: cannot write: {error.strerror or error}") from error
    return EXIT_OK


def run_apply(args: argparse.Namespace) -> int:
    from kzguard.manifest.apply import apply_manifest  # noqa: PLC0415 (imports kzguard.manifest.render)

    policy, policy_path = _load_for_service(args)
    return apply_manifest(
        policy,
        Host(policy.commands),
        policy_path=policy_path,
        manifest_path=args.manifest_path,
        dry_run=args.dry_run,
    )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

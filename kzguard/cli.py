"""The ``kzguard`` command line.

Answers go to stdout, diagnostics to stderr; expected errors end with their message
and exit status (see kzguard.errors), never with a traceback.  jinja2 is never
imported from here: this module is on the SMF stop/start path.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

import kzguard.sim.cli as sim_cli
from kzguard import __version__, checks, guard, method, packaging_cli, report
from kzguard import log as kzlog
from kzguard.errors import EXIT_OK, EXIT_WARNINGS, KzguardError
from kzguard.host import Host
from kzguard.policy import DEFAULT_POLICY_PATH, Policy
from kzguard.policy_file import load_policy
from kzguard.selection import missing_zones
from kzguard.stop import FAILED, LOST

log = logging.getLogger("kzguard")


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


def build_parser() -> argparse.ArgumentParser:
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
    smf.add_argument("name", choices=["stop"], help="the method svc.startd runs")
    smf.set_defaults(handler=run_method)

    sim_cli.add_parser(subparsers, parents=[common])
    packaging_cli.add_parsers(subparsers, parents=[common])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    kzlog.configure(args.verbosity)
    try:
        status: int = args.handler(args)
    except KzguardError as error:
        for line in str(error).splitlines():
            log.error("%s", line)
        log.debug("details", exc_info=True)
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
    found = guard.survey(policy, Host(policy.commands))
    decisions = found.decisions
    missing = missing_zones(policy, [decision.zone for decision in decisions])
    findings = checks.check(decisions, missing, found.space)
    if args.json:
        print(report.check_json(decisions, findings, policy.source))
    else:
        print(f"policy {policy.source or '(built-in defaults)'}: valid")
        for finding in findings:
            print(finding.render())
        print(report.check_summary(decisions, findings))
    return checks.exit_status(findings)


def run_status(args: argparse.Namespace) -> int:
    policy = _load(args)
    decisions = guard.survey(policy, Host(policy.commands)).decisions
    if args.json:
        print(report.status_json(decisions, policy.source))
    else:
        print(report.status_table(decisions))
    return 0


def run_plan(args: argparse.Namespace) -> int:
    policy = _load(args)
    plan = guard.build_stop_plan(policy, Host(policy.commands))
    print(report.plan_json(plan) if args.json else report.plan_text(plan))
    return EXIT_OK


def run_stop(args: argparse.Namespace) -> int:
    started = method.monotonic_start()
    policy = _load(args)
    host = Host(policy.commands)
    if args.dry_run:
        print(report.plan_text(guard.build_stop_plan(policy, host)))
        print("(dry run; not making any changes)")
        return EXIT_OK
    _, outcome = guard.execute_stop(
        policy, host, holder="kzguard stop", trigger={"trigger": "manual"}, started=started
    )
    print(report.stop_text(outcome))
    if outcome.own_failures or outcome.count(FAILED) or outcome.count(LOST):
        return EXIT_WARNINGS
    return EXIT_OK


def run_method(args: argparse.Namespace) -> int:
    started = method.monotonic_start()
    path = args.policy or DEFAULT_POLICY_PATH
    policy = method.load_for_method(path, explicit=args.policy is not None)
    return method.stop(policy, started=started)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

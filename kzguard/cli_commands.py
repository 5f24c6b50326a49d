"""The handlers of ``kzguard check``, ``status``, ``plan`` and ``stop``.

They live apart from :mod:`kzguard.cli`, which imports this module only when one
of them runs: the SMF methods go through kzguard.cli while the global zone goes
down, and the status checks and reports these commands need would cost each method
about 20 ms of CPU for nothing (docs/performance.md).
"""

from __future__ import annotations

import argparse
import logging
import os

from kzguard import cli_cycle, method
from kzguard import log as kzlog
from kzguard.errors import EXIT_OK, EXIT_USAGE, EXIT_WARNINGS, PolicyError
from kzguard.journal.configs import ConfigRecord
from kzguard.journal.store import load_config_record, state_dir_problem
from kzguard.manifest import dependencies
from kzguard.policy.file import load_policy
from kzguard.policy.model import DEFAULT_POLICY_PATH, Commands, Policy
from kzguard.policy.selection import Decision, missing_zones
from kzguard.solaris import simulated
from kzguard.solaris.host import Host
from kzguard.status import checks, cycle, report
from kzguard.stop import path as stop_path

log = logging.getLogger("kzguard")


def _load(args: argparse.Namespace) -> Policy:
    path = args.policy
    return load_policy(path or DEFAULT_POLICY_PATH, explicit=path is not None)


def _acted_on(args: argparse.Namespace) -> tuple[Policy, bool]:
    """The policy the stop method would act on now, and whether the file is invalid.
    An invalid file's problems are logged, then the copy the methods act on while it
    stays so (method.load_for_method): the plan shown is the one shutdown would
    carry out."""
    try:
        return _load(args), False
    except PolicyError as error:
        kzlog.error_lines(log, error)
    policy = method.policy_in_force(args.policy or DEFAULT_POLICY_PATH, say=True)
    log.error(
        "policy unusable: the stop method would act on %s, planned here",
        method.stands_in(policy),
    )
    return policy, True


def _recorded_configs(policy: Policy) -> ConfigRecord | None:
    """configs.json, read changing nothing; None where there is no state directory
    to read it from."""
    if state_dir_problem(policy.paths.state_dir) or not os.path.isdir(policy.paths.state_dir):
        return None
    recorded, problem = load_config_record(policy.paths.state_dir, move_aside=False)
    if problem:
        log.warning("%s", problem)
    return recorded


def run_check(args: argparse.Namespace) -> int:
    try:
        policy = _load(args)
    except PolicyError as error:
        if not args.json:
            raise
        # A document all the same, for a program reading stdout; the problems go
        # to stderr too, as without --json.
        kzlog.error_lines(log, error)
        print(report.check_json_invalid(error))
        return EXIT_USAGE
    unusable = _unusable_commands(policy.commands)
    if unusable.keys() & checks.ESSENTIAL_COMMANDS and simulated.solaris_or_simulated(
        policy.commands, os.uname().sysname
    ):
        # Without zoneadm or zonecfg there is nothing to survey: the finding names
        # the [commands] key to fix, where running them would only say "no such file".
        # Elsewhere the survey's failure points a new user to the simulator.
        decisions: list[Decision] = []
        findings = checks.check([], [], {}, {}, None, unusable_commands=unusable)
    else:
        host = Host(policy.commands)
        found = stop_path.survey(policy, host)
        decisions = found.decisions
        missing = missing_zones(policy, [decision.zone for decision in decisions])
        # svcprop unusable is its own finding (a warning): the instances go unread.
        instances = (
            {}
            if "svcprop" in unusable
            else host.zone_instances([d.zone.name for d in decisions if d.managed])
        )
        protection = dependencies.read_protection(host, instances) if instances else None
        findings = checks.check(
            decisions,
            missing,
            found.space,
            instances,
            protection,
            assumed_rate=policy.shutdown.assumed_rate,
            history=stop_path.history_for_planning(policy, read_only=True),
            unusable_commands=unusable,
            recorded=_recorded_configs(policy),
        )
    if args.json:
        print(report.check_json(decisions, findings, policy.source))
    else:
        print(f"policy {policy.source or '(built-in defaults)'}: valid")
        for finding in findings:
            print(finding.render())
        print(report.check_summary(decisions, findings))
    return checks.exit_status(findings)


def _unusable_commands(commands: Commands) -> dict[str, tuple[str, str]]:
    """Per command of [commands] kzguard runs, its path and why it cannot be run."""
    found = {}
    for key in checks.COMMAND_ROLES:
        path = getattr(commands, key)
        if not os.path.exists(path):
            found[key] = (path, "no such file")
        elif os.path.isdir(path) or not os.access(path, os.X_OK):
            found[key] = (path, "not executable")
    return found


def run_status(args: argparse.Namespace) -> int:
    """Exit 0 healthy, 1 an error is recorded, 2 degraded (kzguard.status.health)."""
    guard = cli_cycle.read_guard(args.policy)
    policy, decisions, health, plan = guard.policy, guard.decisions, guard.health, guard.plan
    if args.json:
        print(cli_cycle.status_json(guard))
    else:
        last = cycle.last_cycle(guard.document, guard.host_boot_time)
        pace = cycle.pace_lines(guard.document)
        text = report.status_text(decisions, policy.source, health, plan, pace, last_cycle=last)
        path = os.path.abspath(args.policy or DEFAULT_POLICY_PATH)
        print(simulated.how_to_arm(text, policy.commands, health.armed, path, in_smf=guard.in_smf))
    return health.exit_status


def run_plan(args: argparse.Namespace) -> int:
    """Exit 0, or 2 when the policy file is invalid (the plan of the policy in
    force is shown all the same)."""
    policy, invalid = _acted_on(args)
    _warn_of_state_dir(policy)
    plan = stop_path.build_stop_plan(policy, Host(policy.commands))
    print(report.plan_json(plan) if args.json else report.plan_text(plan))
    return EXIT_USAGE if invalid else EXIT_OK


def _warn_of_state_dir(policy: Policy) -> None:
    """Before a stop is planned or run by hand: what the next boot would not know."""
    problem = cli_cycle.state_dir_warning(policy)
    if problem:
        log.warning("%s", problem)


def run_stop(args: argparse.Namespace) -> int:
    started = method.monotonic_start()
    if args.dry_run:
        policy, invalid = _acted_on(args)
        _warn_of_state_dir(policy)
        print(report.plan_text(stop_path.build_stop_plan(policy, Host(policy.commands))))
        print("(dry run; not making any changes)")
        return EXIT_USAGE if invalid else EXIT_OK
    # By hand, an invalid file is refused: the operator is there to fix it.
    policy = _load(args)
    _warn_of_state_dir(policy)
    host = Host(policy.commands)
    _, outcome = stop_path.execute_stop(
        policy, host, holder="kzguard stop", trigger="manual", started=started
    )
    print(report.stop_text(outcome))
    if outcome.interrupted:  # what was left in which state is printed above
        return 128 + outcome.interrupted  # as a shell reports a death by the signal
    if outcome.own_failures or outcome.errors:
        return EXIT_WARNINGS
    return EXIT_OK

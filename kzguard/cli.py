"""The ``kzguard`` command line.

Answers go to stdout, diagnostics to stderr; expected errors end with their message
and exit status (see kzguard.errors), never with a traceback.  This module is on the
SMF stop/start path (``python3 -m kzguard method stop``), so jinja2 is never imported
at its start-up: ``render manifest`` and ``apply`` import :mod:`kzguard.manifest.render`
inside their handlers only.  For the same reason it holds the words of every command
but imports the handlers of the others (:mod:`kzguard.cli_commands`,
:mod:`kzguard.cli_cycle`) only when one of them runs, and :mod:`kzguard.method` each
method's path only in that method.  The IPS build runs ``python3 -m kzguard render
manifest``.
"""

from __future__ import annotations

import argparse
import difflib
import logging
import os
import sys
from collections.abc import Collection, Sequence
from gettext import gettext
from typing import Any, NoReturn, cast

from kzguard import __version__, method
from kzguard import log as kzlog
from kzguard.errors import (
    EXIT_TIMED_OUT,
    EXIT_USAGE,
    CommandMissing,
    KzguardError,
)
from kzguard.manifest import commands as manifest_commands
from kzguard.policy.model import DEFAULT_POLICY_PATH
from kzguard.solaris import simulated
from kzguard.units import format_duration, parse_duration

log = logging.getLogger("kzguard")

# argparse's own words, translated as argparse translates them.
_REQUIRED = gettext("the following arguments are required: %s").partition("%s")[0]
_UNRECOGNIZED = gettext("unrecognized arguments: %s").partition("%s")[0]


class Parser(argparse.ArgumentParser):
    """argparse, with answers a new user can act on: an incomplete command line says
    what to type (``kzguard plan: say what to plan: kzguard plan stop``), and a
    misspelt word or flag gets "did you mean" (argparse's own suggestion exists only
    from Python 3.14, kzguard runs on 3.9).  Every error is the usage and one line,
    ``PROG: MESSAGE``, with exit status 2, like kzguard's own ``kzguard: MESSAGE``.
    """

    def __init__(self, *args: Any, what: str = "what to do", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.what = what  # what a missing positional is: "say what to plan"

    def error(self, message: str) -> NoReturn:
        if message.startswith(_REQUIRED):
            message = f"say {self.what}: {self.example()}"
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: {message}\n")

    def example(self) -> str:
        """The command line to type: each positional, its choices joined by |."""
        words = [self.prog]
        for action in self._get_positional_actions():
            if action.choices:
                words.append("|".join(str(choice) for choice in action.choices))
            else:
                words.append(str(action.metavar or action.dest.upper()))
        return " ".join(words)

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        if action.choices is not None and value not in action.choices:
            names = [str(choice) for choice in action.choices]
            close = difflib.get_close_matches(str(value), names, n=1)
            if close:
                raise argparse.ArgumentError(
                    action, f"invalid choice: {value!r}; did you mean {close[0]!r}?"
                )
        super()._check_value(action, value)

    def parse_command_line(self, argv: Sequence[str] | None) -> argparse.Namespace:
        """``parse_args``, with "did you mean" for an unknown flag, said by the
        (sub)command it was given to: ``kzguard status: unrecognized arguments:
        --jsno; did you mean --json?``."""
        args, extras = self.parse_known_args(argv)
        if extras:
            parser = self.chosen(args)
            message = _UNRECOGNIZED + " ".join(extras)
            flags = [flag for action in parser._actions for flag in action.option_strings]
            for word in extras:
                close = difflib.get_close_matches(word.partition("=")[0], flags, n=1)
                if word.startswith("-") and close:
                    message += f"; did you mean {close[0]}?"
                    break
            parser.error(message)
        return args

    def chosen(self, args: argparse.Namespace) -> Parser:
        """The innermost (sub)command parser that ``args`` went through."""
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                name = getattr(args, action.dest, None)
                inner = action.choices.get(name) if name else None
                if isinstance(inner, Parser):
                    return inner.chosen(args)
        return self


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
        help=(
            f"policy file (default {DEFAULT_POLICY_PATH}; missing means built-in "
            "defaults, unless a last known good copy is kept)"
        ),
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
    parser.add_argument("--version", action="version", version=f"kzguard {__version__}")
    return parser


# kzguard reboot: init returns as soon as it has told svc.startd; beadm activate
# rewrites the boot menu.  Both are quick; the bound is for one that hangs.
COMMAND_TIMEOUT = 60.0
# kzguard wait: a start method takes minutes.
WAIT_TIMEOUT = 3600.0

# Subcommands whose modules (the simulator, the demo) are imported only when the
# command line names them: together they were half of kzguard.cli's import time,
# paid by every `kzguard status` and every SMF method.  Their help lines stand here
# so that `kzguard --help` lists them without the import (test_cli_foundation
# checks they match the modules' own).
LAZY_COMMANDS = {
    "sim": "make and drive a simulated Solaris host (for tests and demos)",
    "demo": "reboot a simulated Solaris host and show kzguard keep its kernel zones",
}


def build_parser(full: Collection[str] | None = None) -> Parser:
    """The whole command line; of LAZY_COMMANDS only those in ``full`` (all when
    None) get their real parser, the others a placeholder with their help line."""
    parser = Parser(
        prog="kzguard",
        description="Suspend Solaris kernel zones when the global zone goes down; "
        "resume them when it comes back.",
        parents=[_common_options(top_level=True)],
        what="which command",
    )
    # Every subcommand's parser is a Parser too (add_subparsers makes its own kind).
    subparsers = cast(
        "argparse._SubParsersAction[argparse.ArgumentParser]",
        parser.add_subparsers(dest="command", metavar="COMMAND", required=True),
    )
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
        description="Show whether the guard is armed or degraded (and why), the last "
        "shutdown and boot of every zone, pending resumes and the predicted next shutdown. "
        "Exit 0 healthy, 1 an error is recorded, 2 degraded.",
    )
    status.add_argument("--json", action="store_true", help="print a JSON document")
    status.set_defaults(handler=run_status)

    plan = subparsers.add_parser(
        "plan",
        parents=[common],
        help="show what the stop method would do now",
        description="Build the plan the stop method would carry out right now.",
        what="what to plan",
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
        description="Run an SMF method of svc:/site/kzguard:default, as svc.startd does: "
        "stop suspends the managed zones, start resumes them and arms the guard, refresh "
        "checks the policy. Exit 0, or 95 (SMF_EXIT_ERR_FATAL) when the stop method "
        "could not work.",
        what="which method",
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
    manifest_commands.add_parsers(subparsers, common)
    _add_cycle_parsers(subparsers, common)
    return parser


def _duration(text: str) -> float:
    try:
        seconds = parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive duration")
    return seconds


def _add_cycle_parsers(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    """``kzguard reboot`` and ``kzguard wait`` (:mod:`kzguard.cli_cycle`)."""
    reboot = subparsers.add_parser(
        "reboot",
        parents=[common],
        help="reboot the global zone with init 6, keeping the kernel zones",
        description="Check that the guard will suspend the managed zones (armed, policy "
        "valid, every zone held at shutdown, the stop plan within its deadline), show the "
        "plan, and reboot with init 6, which runs the SMF stop methods (reboot(8) runs "
        "none). Exit 0 when init 6 was started, 2 when refused (the reasons, one a line), "
        "3 when init or beadm failed.",
    )
    reboot.add_argument(
        "-n", "--dry-run", action="store_true", help="check and show what it would run"
    )
    reboot.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    reboot.add_argument(
        "--be",
        metavar="NAME",
        help="first activate this boot environment (beadm activate); refused unless "
        "beadm list -H lists it",
    )
    reboot.add_argument(
        "--timeout",
        metavar="D",
        type=_duration,
        default=COMMAND_TIMEOUT,
        help=f"bound on init and beadm themselves (default {format_duration(COMMAND_TIMEOUT)})",
    )
    reboot.set_defaults(handler=run_reboot)
    wait = subparsers.add_parser(
        "wait",
        parents=[common],
        help="wait until the start method of this boot has finished",
        description="Block until kzguard's start method has finished in the current boot "
        "of the global zone (its record in the journal), then exit 0 when every zone came "
        "back with its running state, 1 when one was lost or failed, 2 when the guard is "
        f"degraded, {EXIT_TIMED_OUT} when --timeout passed first. After kzguard "
        "reboot it waits for the next boot, even before the stop method has begun.",
    )
    wait.add_argument(
        "--timeout",
        metavar="D",
        type=_duration,
        default=WAIT_TIMEOUT,
        help=f"give up after this long (default {format_duration(WAIT_TIMEOUT)})",
    )
    wait.add_argument(
        "--json",
        action="store_true",
        help="print the document of kzguard status --json, with the exit status and "
        "the summary line, instead of the summary line",
    )
    wait.set_defaults(handler=run_wait)


def _lazy_module(name: str) -> Any:
    """kzguard.sim.cli or kzguard.sim.demo; exits 2 with the package to install when
    kzguard/sim is not there (the IPS package system/kzguard ships without it)."""
    try:
        if name == "sim":
            import kzguard.sim.cli  # noqa: PLC0415  (see LAZY_COMMANDS)
        else:
            import kzguard.sim.demo  # noqa: PLC0415  (see LAZY_COMMANDS)
    except ModuleNotFoundError as error:
        if not (error.name or "").startswith("kzguard.sim"):
            raise
        print(simulated.simulator_missing(name), file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None
    return kzguard.sim.cli if name == "sim" else kzguard.sim.demo


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``kzguard ARGV``; return the exit status.  A closed stdout costs the rest
    of the answer, never the work nor the status (kzguard.log.StdoutGuard)."""
    try:
        with kzlog.guarded_stdout():
            words = sys.argv[1:] if argv is None else argv
            args = build_parser(full=set(words) & LAZY_COMMANDS.keys()).parse_command_line(argv)
            return dispatch(args)
    except KeyboardInterrupt:
        # Ctrl-C before dispatch handles it: while the parser is built (its imports)
        # or the arguments are read.  Logging may not be configured yet.
        print("kzguard: interrupted", file=sys.stderr)
        return 130


def dispatch(args: argparse.Namespace) -> int:
    """Run the chosen subcommand: expected errors end as their message and exit
    status, never as a traceback, with -v too (a traceback is for a defect)."""
    kzlog.configure(args.verbosity)
    try:
        status: int = args.handler(args)
    except KzguardError as error:
        kzlog.error_lines(log, error)
        hint = isinstance(error, CommandMissing) and simulated.not_solaris(
            error.argv[0], os.uname().sysname
        )
        if hint:
            log.error("%s", hint)
        return error.exit_code
    except KeyboardInterrupt:
        log.error("interrupted")
        return 130
    return status


# The handlers of the other commands are imported when their command runs: the SMF
# methods, which run while the global zone goes down, must not pay for the status
# checks and reports (kzguard.cli_commands) nor for reboot and wait.
def run_check(args: argparse.Namespace) -> int:
    from kzguard import cli_commands  # noqa: PLC0415 (see above)

    return cli_commands.run_check(args)


def run_status(args: argparse.Namespace) -> int:
    from kzguard import cli_commands  # noqa: PLC0415 (see above)

    return cli_commands.run_status(args)


def run_plan(args: argparse.Namespace) -> int:
    from kzguard import cli_commands  # noqa: PLC0415 (see above)

    return cli_commands.run_plan(args)


def run_stop(args: argparse.Namespace) -> int:
    from kzguard import cli_commands  # noqa: PLC0415 (see above)

    return cli_commands.run_stop(args)


def run_reboot(args: argparse.Namespace) -> int:
    from kzguard import cli_cycle  # noqa: PLC0415 (see above)

    return cli_cycle.run_reboot(args)


def run_wait(args: argparse.Namespace) -> int:
    from kzguard import cli_cycle  # noqa: PLC0415 (see above)

    return cli_cycle.run_wait(args)


def run_method(args: argparse.Namespace) -> int:
    started = method.monotonic_start()
    path = args.policy or DEFAULT_POLICY_PATH
    explicit = args.policy is not None
    if args.name == "refresh":
        return method.refresh(path, explicit=explicit)
    start = args.name == "start"
    policy, _ = method.load_for_method(path, explicit=explicit, remember=start)
    if not start:
        return method.stop(policy, started=started)
    return method.start(policy, started=started)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""``kzguard render manifest`` and ``kzguard apply``: their command lines and handlers.

:mod:`kzguard.cli` imports this module at start-up, on the SMF stop/start path, so
jinja2 (:mod:`kzguard.manifest.render`) is imported inside the handlers only.
"""

from __future__ import annotations

import argparse
import os
import sys

from kzguard.errors import EXIT_OK, UsageError
from kzguard.policy.file import load_policy
from kzguard.policy.model import DEFAULT_POLICY_PATH, Policy, default_policy
from kzguard.solaris import simulated
from kzguard.solaris.argv import zone_instance
from kzguard.solaris.host import Host

# Where the package delivers the manifest (docs/solaris.md 5.2: site manifests).
DEFAULT_MANIFEST_PATH = "/lib/svc/manifest/site/kzguard.xml"


def add_parsers(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    """Register ``render`` and ``apply`` under ``subparsers``."""
    render = subparsers.add_parser(
        "render",
        parents=[common],
        help="print the SMF manifest for the policy",
        description="Render the SMF manifest of svc:/site/kzguard:default for the policy: "
        "method timeouts from shutdown.deadline and resume.deadline, and an optional "
        "dependency on the SMF instance of each zone given with --zone.",
        what="what to render",
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
    # Tests point this at a file of their own; operators have no use for it.  Without
    # it the manifest goes where the package delivers it, on the policy's host: under
    # a simulated host's root there (kzguard.solaris.simulated).
    apply.add_argument("--manifest-path", help=argparse.SUPPRESS)
    apply.set_defaults(handler=run_apply)


def _load_for_service(args: argparse.Namespace) -> tuple[Policy, str]:
    """The policy and the path the service is to read it from: an absolute one, as
    svc.startd runs the methods from its own working directory."""
    path = args.policy
    policy = load_policy(path or DEFAULT_POLICY_PATH, explicit=path is not None)
    return policy, os.path.abspath(path) if path else DEFAULT_POLICY_PATH


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
        manifest_path=args.manifest_path
        or simulated.host_path(policy.commands, DEFAULT_MANIFEST_PATH),
        dry_run=args.dry_run,
    )

"""``kzguard render manifest`` and ``kzguard apply``: the SMF manifest from the CLI.

Registered in ``kzguard`` by :func:`add_parsers`; also runs alone as
``python3 -m kzguard.packaging_cli ...`` (the IPS build uses that form).  jinja2
sits behind :mod:`kzguard.manifest.render`, which is imported inside the handlers only:
``kzguard.cli`` imports this module at start-up, on the SMF method path, and must
not drag jinja2 in.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from kzguard.errors import UsageError
from kzguard.policy.file import load_policy
from kzguard.policy.model import DEFAULT_POLICY_PATH, Policy, default_policy
from kzguard.solaris.argv import zone_instance
from kzguard.solaris.host import Host

log = logging.getLogger("kzguard")

# Where the package delivers the manifest (solaris.md 5.2: site manifests).
DEFAULT_MANIFEST_PATH = "/lib/svc/manifest/site/kzguard.xml"


def add_parsers(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: Sequence[argparse.ArgumentParser] = (),
) -> None:
    """Register ``render`` and ``apply`` under ``subparsers``."""
    render = subparsers.add_parser(
        "render",
        parents=list(parents),
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
        parents=list(parents),
        help="update the installed SMF manifest to match the policy",
        description="Check the policy, find the SMF instances of the managed zones, "
        "render the manifest, show how it differs from the installed one and, unless "
        "--dry-run, install it, import it with svccfg and refresh svc:/site/kzguard:default.",
    )
    apply.add_argument("-n", "--dry-run", action="store_true", help="only show the difference")
    # Tests point this at a file under a simulated host; operators have no use for it.
    apply.add_argument("--manifest-path", default=DEFAULT_MANIFEST_PATH, help=argparse.SUPPRESS)
    apply.set_defaults(handler=run_apply)


def _policy(args: argparse.Namespace) -> tuple[Policy, str]:
    """Return the policy and the absolute path the service should read it from."""
    path: str | None = getattr(args, "policy", None)
    if path is None:
        return load_policy(DEFAULT_POLICY_PATH, explicit=False), DEFAULT_POLICY_PATH
    # svc.startd runs the methods from its own working directory: only an absolute
    # path means the same file there.
    return load_policy(path, explicit=True), os.path.abspath(path)


def run_render(args: argparse.Namespace) -> int:
    from kzguard.manifest.render import render_manifest  # noqa: PLC0415 (jinja2 only when rendering)

    if args.defaults:
        if getattr(args, "policy", None) is not None:
            raise UsageError("--defaults and -c/--policy exclude each other")
        policy, policy_path = default_policy(), DEFAULT_POLICY_PATH
    else:
        policy, policy_path = _policy(args)
    try:
        instances = [zone_instance(name) for name in args.zone]
        text = render_manifest(policy, zone_instances=instances, policy_path=policy_path)
    except ValueError as error:
        raise UsageError(str(error)) from error
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        with open(args.output, "w", encoding="utf-8") as stream:
            stream.write(text)
    except OSError as error:
        raise UsageError(f"{args.output}: cannot write: {error.strerror or error}") from error
    return 0


def run_apply(args: argparse.Namespace) -> int:
    from kzguard.manifest.apply import apply_manifest  # noqa: PLC0415 (imports kzguard.manifest.render)

    policy, policy_path = _policy(args)
    return apply_manifest(
        policy,
        Host(policy.commands),
        policy_path=policy_path,
        manifest_path=args.manifest_path,
        dry_run=args.dry_run,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``render`` or ``apply`` with kzguard's common options and error handling."""
    # Imported here: kzguard.cli imports this module at its own start-up.
    from kzguard import cli  # noqa: PLC0415

    parser = argparse.ArgumentParser(prog="kzguard", parents=[cli._common_options(top_level=True)])
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_parsers(subparsers, parents=[cli._common_options(top_level=False)])
    return cli.dispatch(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

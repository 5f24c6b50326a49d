"""``kzguard apply``: make the installed SMF manifest match the policy and the host.

The manifest carries two things the policy decides: the method timeouts (from
``shutdown.deadline`` and ``resume.deadline``) and, on Solaris 11.4, an
``optional_all`` dependency on the SMF instance of every managed zone, so that
svc.startd stops kzguard before those instances at shutdown (docs/solaris.md 3.1 and 10, item 4).
Both go stale when the policy or the zones change; ``apply`` renders the manifest
again, shows the difference, installs it and has SMF read it.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from kzguard import atomic
from kzguard.errors import CommandError, UsageError
from kzguard.manifest.render import INSTANCE_FMRI, render_manifest
from kzguard.policy.model import Commands, Policy
from kzguard.solaris.argv import zone_instance
from kzguard.solaris.host import Host
from kzguard.stop import path as stop_path

log = logging.getLogger(__name__)

# `svccfg import` of a file in a standard location restarts manifest-import and
# waits for it (docs/solaris.md 5.2); on a host with many manifests that takes a while.
IMPORT_TIMEOUT = 300.0
REFRESH_TIMEOUT = 60.0
# What the package delivers (packaging/kzguard.p5m): root:sys 0444.
MANIFEST_MODE = 0o444


@dataclass(frozen=True)
class ZoneInstances:
    """The managed zones, split by whether SMF has an instance for them."""

    present: tuple[str, ...]  # instance FMRIs, in the order the host lists the zones
    absent: tuple[str, ...]  # zone names


def import_argv(commands: Commands, path: str) -> list[str]:
    return [commands.svccfg, "import", path]


def refresh_argv(commands: Commands) -> list[str]:
    return [commands.svcadm, "refresh", INSTANCE_FMRI]


def find_zone_instances(policy: Policy, host: Host) -> ZoneInstances:
    """Return the SMF instances of the zones the policy manages on ``host``.

    Only 11.4 has per-zone instances (svc:/system/zones/zone:NAME, docs/solaris.md 3.1);
    on 11.3 every lookup fails and the manifest gets no zone dependencies.
    """
    managed = [d.zone.name for d in stop_path.survey(policy, host).decisions if d.managed]
    found = host.zone_instances(managed)
    return ZoneInstances(
        tuple(zone_instance(name) for name in managed if found[name]),
        tuple(name for name in managed if not found[name]),
    )


def read_installed(path: str) -> str | None:
    """Return the text of the installed manifest, None if there is none."""
    try:
        with open(path, encoding="utf-8") as stream:
            return stream.read()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else str(error)
        raise UsageError(f"{path}: cannot read the installed manifest: {reason}") from error


def manifest_diff(installed: str | None, rendered: str, path: str) -> str:
    """Return the unified diff from the installed manifest to the rendered one."""
    before = "/dev/null" if installed is None else f"{path} (installed)"
    lines = difflib.unified_diff(
        (installed or "").splitlines(keepends=True),
        rendered.splitlines(keepends=True),
        fromfile=before,
        tofile=f"{path} (from the policy)",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def write_atomically(path: str, text: str) -> None:
    """Replace ``path`` with ``text`` so that no reader ever sees half a manifest
    (manifest-import may scan the directory at any moment, docs/solaris.md 5.2).  The old
    file's mode and, when run as root, owner and group are kept; a new file gets the
    package's mode.  Raises OSError."""
    atomic.write_atomically(path, text.encode("utf-8"), mode=MANIFEST_MODE, like=path)


def _run_step(host: Host, argv: Sequence[str], timeout: float) -> None:
    try:
        host.runner.run(argv, timeout=timeout)
    except CommandError:
        log.error("the manifest is installed but SMF has not read it; run: %s", " ".join(argv))
        raise
    print(f"ran: {' '.join(argv)}")


def apply_manifest(
    policy: Policy,
    host: Host,
    *,
    policy_path: str,
    manifest_path: str,
    dry_run: bool,
) -> int:
    """Bring the manifest at ``manifest_path`` in line with ``policy``; return 0.

    ``policy`` is already valid (loading it refused an invalid file, before any
    change).  Prints each zone's instance, the difference, and each step taken.

    Raises:
        CommandError: the host could not be surveyed, or svccfg or svcadm failed.
        UsageError: the manifest could not be read or written.
    """
    instances = find_zone_instances(policy, host)
    for fmri in instances.present:
        print(f"zone {fmri.rpartition(':')[2]}: depends on {fmri}")
    for name in instances.absent:
        print(f"zone {name}: no SMF instance {zone_instance(name)}; no dependency")
    if not instances.present and not instances.absent:
        print("no managed zones")
    try:
        rendered = render_manifest(
            policy, zone_instances=instances.present, policy_path=policy_path
        )
    except ValueError as error:
        raise UsageError(str(error)) from error
    installed = read_installed(manifest_path)
    if installed == rendered:
        print(f"manifest unchanged: {manifest_path}")
        return 0
    print(manifest_diff(installed, rendered, manifest_path), end="")
    if dry_run:
        print("(dry run; not making any changes)")
        return 0
    try:
        write_atomically(manifest_path, rendered)
    except OSError as error:
        raise UsageError(f"{manifest_path}: cannot write: {error.strerror or error}") from error
    print(f"wrote {manifest_path}")
    _run_step(host, import_argv(policy.commands, manifest_path), IMPORT_TIMEOUT)
    _run_step(host, refresh_argv(policy.commands), REFRESH_TIMEOUT)
    return 0

"""Is kzguard pointed at a simulated Solaris host, or at no Solaris host at all?

What kzguard tells a user to run depends on it.  ``kzguard sim create DIR`` writes
:data:`MARKER` into DIR next to the simulated commands (DIR/bin/zoneadm...) and a
policy whose ``[commands]`` point at them, so the policy's zoneadm says which host
kzguard acts on.  A simulated host has no ``svcs`` and no svc.startd that runs
kzguard's methods, and its SMF manifests live under DIR; a machine that is not
Solaris has no /usr/sbin/zoneadm, and its user wants the simulator.
"""

from __future__ import annotations

import os
from dataclasses import fields

from kzguard.policy.model import Commands

# The file `kzguard sim create` writes into the root of every simulated host.
MARKER = "simulated-solaris-host"

# The package that delivers kzguard/sim (packaging/README).
SIMULATOR_PACKAGE = "system/kzguard/simulator"


def simulated_root(commands: Commands) -> str | None:
    """The root of the simulated host whose zoneadm ``commands`` name, or None."""
    return _host_root(commands.zoneadm)


def _host_root(command: str) -> str | None:
    """The root of the simulated host ``command`` (DIR/bin/TOOL) belongs to, or None.
    os.path, not pathlib: this module is on every method's path and status's, and
    nothing else there imports pathlib, whose import (with urllib.parse, ipaddress
    and fnmatch) took 4.4 ms of CPU here (docs/performance.md)."""
    root = os.path.dirname(os.path.dirname(os.path.normpath(command)))
    return root if os.path.isfile(os.path.join(root, MARKER)) else None


def solaris_or_simulated(commands: Commands, system: str) -> bool:
    """Whether ``commands`` act on a Solaris host (``system``, uname's, is SunOS) or
    on a simulated one: any of them in a simulated host's root, so that a mistyped
    zoneadm still tells a simulated host from a machine with no Solaris at all."""
    if system == "SunOS":
        return True
    paths = (getattr(commands, field.name) for field in fields(commands))
    return any(_host_root(path) is not None for path in paths)


def host_path(commands: Commands, path: str) -> str:
    """``path`` (absolute, as on Solaris) on the host ``commands`` act on: inside a
    simulated host's root, or unchanged on a real one."""
    root = simulated_root(commands)
    return path if root is None else os.path.join(root, path.lstrip("/"))


def how_to_arm(
    status: str, commands: Commands, armed: bool, policy_path: str, *, in_smf: bool = True
) -> str:
    """``kzguard status`` text, and after its headline, on a simulated host whose guard
    is not armed or whose SMF repository lacks kzguard's instance (``in_smf``), what
    to run there instead of the headline's ``svcs -xv`` or ``svcadm enable``."""
    if (armed and in_smf) or simulated_root(commands) is None:
        return status
    headline, _, rest = status.partition("\n")
    apply = f"kzguard -c {policy_path} apply"
    start = f"kzguard -c {policy_path} method start"
    if in_smf:
        advice = (
            "simulated host: it has no svcs and no svc.startd to run the start method; "
            f"arm the guard as svc.startd would at boot: {start}"
        )
    elif armed:
        advice = f"simulated host: import the manifest as the package would: {apply}"
    else:
        advice = (
            "simulated host: import the manifest as the package would, then arm the "
            f"guard as svc.startd would at boot: {apply}, then {start}"
        )
    return "\n".join([headline, advice, rest])


def not_solaris(command: str, system: str) -> str | None:
    """What to say when the Solaris ``command`` is missing on a ``system`` that is not
    Solaris (uname's system name: "Linux", "Darwin"...); None on Solaris, and for a
    simulated host's command (that host is already the way to try kzguard)."""
    if system == "SunOS" or _host_root(command) is not None:
        return None
    return (
        f"this is {system}, not Solaris: to try kzguard on a simulated Solaris host, run "
        "kzguard sim create DIR and give -c DIR/policy.toml to every command "
        '(README.md: "Trying it on a simulated host")'
    )


def simulator_missing(command: str) -> str:
    """What ``kzguard sim`` and ``kzguard demo`` say when kzguard/sim is not installed."""
    return (
        f"kzguard {command}: the simulator is not installed; it is the package "
        f"{SIMULATOR_PACKAGE} (pkg install {SIMULATOR_PACKAGE})"
    )

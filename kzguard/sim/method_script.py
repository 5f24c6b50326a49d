"""The simulated host's ``/lib/svc/method/svc-kzguard``: what packaging/svc-kzguard does.

The package delivers a shell script that svc.startd runs as the manifest says,
``/lib/svc/method/svc-kzguard %m %{config/policy}``, and that execs
``python3.X -I -B -m kzguard [-c POLICY] method METHOD``.  The simulated svc.startd
(:mod:`kzguard.sim.svcstartd`) runs this module's script instead, installed at the
same path under the host's directory by :func:`install`, through kzguard's runner
like every other command.  The script runs kzguard's command line in its own
interpreter rather than exec'ing a new one (kzguard never calls an exec function),
with kzguard found in this source tree rather than in vendor-packages (so without
``-I``).  Like the packaged script, it stands outside the package: this module never
imports kzguard.cli, which imports the simulator.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

PATH = "/lib/svc/method/svc-kzguard"
# smf_include.sh: the method was not run by svc.startd (solaris.md 5.4).
SMF_EXIT_ERR_NOSMF = 99

SCRIPT = '''#!{python}
"""/lib/svc/method/svc-kzguard of a kzguard simulated host (kzguard/sim/method_script.py)."""
import sys

sys.dont_write_bytecode = True  # the packaged script runs Python with -B
sys.path.insert(0, {package_root!r})
from kzguard.sim.method_script import SMF_EXIT_ERR_NOSMF, kzguard_arguments, outside_smf

if outside_smf():
    sys.exit(SMF_EXIT_ERR_NOSMF)
from kzguard.cli import main

sys.exit(main(kzguard_arguments(sys.argv[1:])))
'''


def install(root: Path) -> Path:
    """Install the method script in the simulated host whose directory is ``root``."""
    path = root / PATH.lstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True)
    package_root = str(Path(__file__).resolve().parents[2])
    path.write_text(SCRIPT.format(python=sys.executable, package_root=package_root), "utf-8")
    path.chmod(0o755)
    return path


def outside_smf() -> bool:
    """Whether the script was run by hand, not by svc.startd: the packaged one then
    refuses with this message."""
    if os.environ.get("SMF_FMRI"):
        return False
    print(
        "svc-kzguard: run by SMF only (svc:/site/kzguard:default); use kzguard(8)", file=sys.stderr
    )
    return True


def kzguard_arguments(arguments: Sequence[str]) -> list[str]:
    """kzguard's command line for the script's ``METHOD [POLICY]``: an empty or
    missing POLICY (an empty config/policy) means kzguard's default policy, so the
    guard stays armed, as in packaging/svc-kzguard."""
    method = arguments[0] if arguments else ""
    policy = arguments[1] if len(arguments) > 1 else ""
    if policy:
        return ["-c", policy, "method", method]
    return ["method", method]

"""What a simulated command imports before it acts.

Every simulated command is a Python process (kzguard/sim/create.py SCRIPT), and on
the benchmarks' two CPUs their start-up competes with kzguard itself
(docs/performance.md, "The simulator's own CPU"): the command path keeps out the
modules it does not need, pathlib (3.5 ms of CPU a command) and dataclasses (with
inspect behind it) among them.  ``-X importtime`` in a fresh interpreter lists
every module imported, with no help from the simulator.  Kept out since
(docs/performance.md, "A simulated command's start-up"): typing (kzguard/sim/record.py),
json (the state in marshal, the log written by tools.json_text), re and enum
behind them and behind getopt's gettext (kzguard/sim/options.py), fnmatch (SMF
patterns) and shlex (zlogin lines as kzguard writes them).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from kzguard.sim.state import SimHost

KEPT_OUT = (
    *("pathlib", "dataclasses", "inspect", "tempfile", "uuid"),
    *("typing", "json", "re", "enum", "getopt", "gettext", "locale", "fnmatch", "shlex"),
)


def imported(host: SimHost, tool: str, *args: str) -> tuple[int, list[str]]:
    """The exit status of the simulated ``tool`` and every module it imported."""
    environment = {key: value for key, value in os.environ.items() if "COVERAGE" not in key}
    completed = subprocess.run(
        [sys.executable, "-S", "-X", "importtime", host.executable(tool), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
        env=environment,
    )
    modules = [
        line.rsplit("|", 1)[1].strip()
        for line in completed.stderr.splitlines()
        if line.startswith("import time:") and not line.endswith("| imported package")
    ]
    return completed.returncode, modules


@pytest.mark.parametrize(
    "argv",
    [
        ("zoneadm", "list", "-cp"),
        ("zonecfg", "-z", "kz1", "export"),
        ("zlogin", "-n", "kz1", "/usr/bin/kstat", "-p", "unix:0:system_misc:boot_time"),
        (
            "zlogin",
            "-n",
            "kz1",
            "/usr/bin/mkdir",
            "-p",
            "/system/volatile/k",
            "&&",
            "/usr/bin/echo",
            "1",
            ">",
            "/system/volatile/k/m",
        ),
        ("who", "-r"),
        ("svcprop", "-p", "general/enabled", "svc:/system/zones:default"),
        ("kstat", "-p", "unix:0:system_misc:boot_time"),
        ("df", "-k", "/"),
        ("zoneadm", "-z", "kz1", "suspend"),
        ("zoneadm", "-z", "kz2", "shutdown"),
    ],
)
def test_a_simulated_command_imports_none_of_what_it_does_not_need(
    host: SimHost, argv: tuple[str, ...]
) -> None:
    status, modules = imported(host, *argv)
    assert status == 0
    assert "kzguard.sim.tools" in modules
    assert [name for name in modules if name in KEPT_OUT] == []

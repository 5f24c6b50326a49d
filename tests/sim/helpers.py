"""Running a simulated host's executables exactly as kzguard does: an argument
list, no shell, stdin from /dev/null."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

from kzguard.sim.state import SimHost

# Simulated seconds small enough that a test full of boots stays quick.
QUICK_RATES = {
    "suspend_rate": float(4 << 30),
    "storage_bandwidth": float(8 << 30),
    "resume_rate": float(4 << 30),
    "read_bandwidth": float(8 << 30),
    "op_overhead": 0.0,
    "boot_seconds": 2.0,
    "shutdown_seconds": 2.0,
    "halt_seconds": 1.0,
    "milestone_seconds": 0.0,
    "resume_milestone_seconds": 0.0,
}


@dataclass
class Result:
    status: int
    stdout: str
    stderr: str


def run(host: SimHost, tool: str, *args: str, timeout: float = 30) -> Result:
    completed = subprocess.run(
        [host.executable(tool), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    return Result(completed.returncode, completed.stdout, completed.stderr)


def start(host: SimHost, tool: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [host.executable(tool), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )

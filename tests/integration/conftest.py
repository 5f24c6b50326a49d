from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from kzguard.sim.create import create_host
from kzguard.sim.state import SimHost


@dataclass
class Completed:
    status: int
    stdout: str
    stderr: str


def kzguard(*args: str) -> Completed:
    """Run the real ``kzguard`` command in a subprocess, as an operator would."""
    completed = subprocess.run(
        [sys.executable, "-m", "kzguard", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
        check=False,
    )
    return Completed(completed.returncode, completed.stdout, completed.stderr)


@pytest.fixture
def host(tmp_path: Path) -> SimHost:
    return create_host(tmp_path / "host", zones=4, seed=1, time_scale=0.01)


def wait_for(condition: Callable[[], object], timeout: float = 30.0) -> None:
    """Poll ``condition`` until it is true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached")


# Simulated rates for tests that run whole shutdown/boot cycles through the methods:
# short enough that a cycle costs about what kzguard's own processes cost.
FAST_RATES = {
    "suspend_rate": float(4 << 30),
    "storage_bandwidth": float(16 << 30),
    "resume_rate": float(4 << 30),
    "op_overhead": 0.5,
    "boot_seconds": 5.0,
    "shutdown_seconds": 5.0,
    "halt_seconds": 1.0,
    "milestone_seconds": 2.0,
    "resume_milestone_seconds": 2.0,
}

from __future__ import annotations

import os
import subprocess
import sys
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

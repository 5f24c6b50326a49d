"""Fixtures for the simulator's own tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from kzguard.sim.create import create_host
from kzguard.sim.state import SimHost
from tests.sim.helpers import QUICK_RATES, set_rates


@pytest.fixture
def host(tmp_path: Path) -> SimHost:
    """Four kernel zones and ngz1, all running, operations quick."""
    made = create_host(tmp_path / "host", zones=4, seed=0, time_scale=0.01)
    set_rates(made, **QUICK_RATES)
    return made

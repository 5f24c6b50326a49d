"""Fixtures for the simulator's own tests."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sim.helpers import QUICK_RATES


@pytest.fixture
def host_options() -> dict[str, Any]:
    """``host``: four kernel zones and ngz1, all running, operations quick."""
    return {"seed": 0, "rates": QUICK_RATES}

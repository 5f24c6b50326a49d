"""Shared fixtures.  The autouse guard makes any attempt to run a real Solaris
binary fail, in this process and in every kzguard subprocess a test starts."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from kzguard.solaris.runner import ALLOWED_PREFIX_VARIABLE


@pytest.fixture(autouse=True)
def forbid_real_solaris_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only executables under the temporary directory (where simulated hosts and
    test programs live) may run; /usr/sbin/zoneadm and friends are refused with a
    BaseException that kzguard cannot swallow."""
    monkeypatch.setenv(ALLOWED_PREFIX_VARIABLE, os.path.realpath(tempfile.gettempdir()) + os.sep)


@pytest.fixture
def data_dir() -> Path:
    return Path(__file__).parent / "data"

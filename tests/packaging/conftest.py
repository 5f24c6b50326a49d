"""Shared paths and the rule for tools that exist only in CI images."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden"
# The illumos/Solaris service_bundle DTD (docs/solaris.md 5.6; CDDL, header kept), copied
# into the repository from the team's shared/spec so that a clean clone anywhere
# validates the generated manifests instead of skipping the check.
DTD_PATH = REPO / "tests" / "data" / "smf" / "service_bundle.dtd.1"


def require(available: bool, what: str) -> None:
    """Skip outside CI when ``what`` is missing; in CI (``CI`` set) fail instead,
    so that a check silently skipped there cannot pass for a check that ran."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing, and CI is set: the check must run in CI")
    pytest.skip(f"{what} is missing (set up by the Makefile for CI)")

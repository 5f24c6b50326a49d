"""The Makefile's two entry points do what README "Quick start" says: ``make demo``
sets up .venv with kzguard and its runtime dependencies only (jinja2; tomli before
Python 3.11) and runs the demo; ``make test`` sets up the same .venv with the test
tool chain too.  Checked with ``make -n`` against a venv that does not exist yet, so
every step is shown and nothing runs."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def planned(target: str, venv: Path) -> list[str]:
    """The commands ``make TARGET`` would run, one a line."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    completed = subprocess.run(
        ["make", "-n", "--no-print-directory", "-C", str(ROOT), target, f"VENV={venv}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return completed.stdout.splitlines()


def installs(lines: list[str]) -> list[str]:
    """What each pip install of kzguard installs: with a pip in the venv, and with
    the system's pip for a venv made without one."""
    return re.findall(r" install -q -e ([^\s;]+)", "\n".join(lines))


def test_make_demo_installs_only_the_runtime_dependencies(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    lines = planned("demo", venv)
    assert installs(lines) == [".", "."]  # with or without pip inside the venv
    assert not any("[test]" in line for line in lines)
    assert lines[-2:] == [f"touch {venv}/bin/.runtime", f"{venv}/bin/kzguard demo"]


def test_make_test_installs_the_test_tool_chain_into_the_same_venv(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    lines = planned("test", venv)
    assert installs(lines) == ["'.[test]'", "'.[test]'"]
    # The full set includes the runtime one: a later `make demo` installs nothing.
    assert f"touch {venv}/bin/.runtime {venv}/bin/.installed" in lines
    assert any(line.startswith(f"{venv}/bin/ruff check ") for line in lines)
    assert any(line.startswith(f"{venv}/bin/python -m pytest ") for line in lines)


def test_a_venv_set_up_for_the_tests_serves_the_demo_as_is(tmp_path: Path) -> None:
    """After `make test` (both stamps), `make demo` only runs the demo."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    for stamp in (".runtime", ".installed"):
        (venv / "bin" / stamp).touch()
    assert planned("demo", venv) == [f"{venv}/bin/kzguard demo"]

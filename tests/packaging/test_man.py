"""The manual pages: clean under ``mandoc -T lint`` and in step with the code."""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from kzguard import cli, errors
from kzguard.policy import tables as policy_tables
from kzguard.policy.schema import policy_from_text
from tests.packaging.conftest import REPO, require

MAN = REPO / "packaging" / "man"
KZGUARD_8 = MAN / "kzguard.8"
KZGUARD_TOML_5 = MAN / "kzguard.toml.5"


@pytest.mark.parametrize("page", [KZGUARD_8, KZGUARD_TOML_5], ids=lambda page: page.name)
def test_mandoc_lint_is_clean(page: Path) -> None:
    mandoc = shutil.which("mandoc")
    require(mandoc is not None, "mandoc (Debian package mandoc)")
    assert mandoc is not None
    completed = subprocess.run(
        [mandoc, "-T", "lint", "-W", "warning", str(page)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (completed.returncode, completed.stdout, completed.stderr) == (0, "", "")


def sections(text: str, macro: str) -> dict[str, str]:
    """Split a page at each ``.Sh`` or ``.Ss`` line; keys are the titles without
    the ``\\&`` escapes."""
    parts = re.split(rf"^\.{macro} (.*)$", text, flags=re.MULTILINE)
    return {parts[i].replace("\\&", ""): parts[i + 1] for i in range(1, len(parts), 2)}


def items(text: str) -> list[str]:
    return re.findall(r"^\.It Sy (\w+) Pq ", text, flags=re.MULTILINE)


TABLES = {
    "[shutdown]": policy_tables.SHUTDOWN_KEYS,
    "[resume]": policy_tables.RESUME_KEYS,
    "[select]": policy_tables.SELECT_KEYS,
    "[defaults]": policy_tables.DEFAULTS_KEYS,
    "[zone.NAME]": {"after": None},
    "[commands]": policy_tables.COMMANDS_KEYS,
    "[paths]": policy_tables.PATHS_KEYS,
}


def test_kzguard_toml_documents_every_policy_key_in_its_table() -> None:
    documented = sections(KZGUARD_TOML_5.read_text(encoding="utf-8"), "Ss")
    for table, keys in TABLES.items():
        assert items(documented[table]) == list(keys), table
    # [zone.NAME] takes every [defaults] key too, and says so.
    assert "Any key of\n.Sy [defaults]\nmay appear" in documented["[zone.NAME]"]


def test_the_example_policy_in_kzguard_toml_is_valid() -> None:
    page = sections(KZGUARD_TOML_5.read_text(encoding="utf-8"), "Sh")
    example = re.search(
        r"^\.Bd -literal -offset indent\n(.*?)^\.Ed$", page["EXAMPLES"], re.M | re.S
    )
    assert example is not None
    policy = policy_from_text(example.group(1), source="kzguard.toml(5)")
    assert sorted(policy.zones) == ["app1", "db1"]
    assert policy.shutdown.deadline == 1200.0


def subcommands() -> set[str]:
    names: set[str] = set()
    for action in cli.build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            names.update(action.choices)
    return names


def test_kzguard_8_describes_every_subcommand() -> None:
    page = sections(KZGUARD_8.read_text(encoding="utf-8"), "Sh")
    described = set(re.findall(r"^\.It Cm ([\w-]+)", page["SUBCOMMANDS"], flags=re.MULTILINE))
    assert described == subcommands()


def test_kzguard_8_lists_every_exit_status() -> None:
    page = sections(KZGUARD_8.read_text(encoding="utf-8"), "Sh")
    listed = [int(code) for code in re.findall(r"^\.It (\d+)$", page["EXIT STATUS"], re.M)]
    codes = [
        errors.EXIT_OK,
        errors.EXIT_WARNINGS,
        errors.EXIT_USAGE,
        errors.EXIT_COMMAND,
        errors.EXIT_STATE,
        errors.EXIT_TIMED_OUT,
        130,  # any command on Ctrl-C (kzguard.cli dispatch and main)
    ]
    assert listed == codes
    assert ".It 130\nAny command interrupted by Ctrl-C" in page["EXIT STATUS"]
    assert ".It 130 , 143\n.Cm stop :\ninterrupted by Ctrl-C" in page["EXIT STATUS"]
    assert "and 95\n.Pq Dv SMF_EXIT_ERR_FATAL\nonly when" in page["EXIT STATUS"]


def test_both_pages_carry_the_attributes_table() -> None:
    for page in (KZGUARD_8, KZGUARD_TOML_5):
        attributes = sections(page.read_text(encoding="utf-8"), "Sh")["ATTRIBUTES"]
        assert ".It Interface Stability Ta Uncommitted\n" in attributes, page.name

"""The corpus of invalid policies in tests/data/policy/invalid: each file with the
exact message ``kzguard check`` gives for it (the folder's README.md says how).

Every ``NAME.toml`` there is a test case: through the pure functions
(:func:`decode_utf8` then :func:`policy_from_text`), through the SMF methods'
loader (a bad edit keeps the last known good policy in force), and, for a few,
through the real ``kzguard check --policy FILE`` in a subprocess.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from kzguard import method
from kzguard.errors import PolicyError
from kzguard.policy.file import last_good_path, load_policy
from kzguard.policy.schema import policy_from_text
from kzguard.policy.toml import decode_utf8

CORPUS = Path(__file__).parents[1] / "data" / "policy" / "invalid"
PLACEHOLDER = "FILE"
PREFIX = "kzguard: "
CATEGORIES = ("syntax-", "type-", "range-", "unknown-", "cycle-", "budget-", "hostile-")
# The hostile inputs the corpus must hold, by the words of their names.
HOSTILE_KINDS = (
    "shell",
    "path-traversal",
    "newline",
    "escape-sequence",
    "100-kilobytes",
    "10000-characters",
    "non-utf8",
    "nul-byte",
    "bom",
    "empty",
    "directory",
)
# Run through a real subprocess besides the first case of each category: the ones
# whose bytes would do harm if echoed to the operator's terminal or log.
THROUGH_THE_COMMAND = (
    "hostile-directory",
    "hostile-empty",
    "hostile-non-utf8",
    "hostile-nul-byte",
    "hostile-raw-escape-sequence",
    "hostile-newline-in-zone-name",
    "hostile-value-100-kilobytes",
    "hostile-deep-nesting",
)
# A message line longer than this floods a terminal or SMF log line.
MAX_LINE = 400

ENTRIES = sorted(path for path in CORPUS.iterdir() if path.name.endswith(".toml"))
NAMES = [path.name[: -len(".toml")] for path in ENTRIES]


def expected(name: str) -> tuple[int, list[str]]:
    """Return the exit status and the stderr lines (with FILE) of corpus entry ``name``."""
    text = (CORPUS / f"{name}.expected").read_text(encoding="utf-8")
    first, _, rest = text.partition("\n")
    assert first.startswith("exit: "), f"{name}.expected: the first line must be 'exit: N'"
    assert rest.endswith("\n"), f"{name}.expected: must end with a newline"
    return int(first[len("exit: ") :]), rest.splitlines()


def problems_of(error: PolicyError) -> list[str]:
    return [PREFIX + problem.render(PLACEHOLDER) for problem in error.problems]


def installed_copy(name: str, directory: Path) -> Path:
    """Copy corpus entry ``name`` to ``directory``, mode 0644, as an operator's file."""
    source = CORPUS / f"{name}.toml"
    target = directory / f"{name}.toml"
    if source.is_dir():
        target.mkdir()
    else:
        shutil.copyfile(source, target)
        # A checkout under umask 002 would be group-writable, which load_policy refuses.
        target.chmod(0o644)
    return target


def with_path(lines: list[str], path: Path) -> list[str]:
    return [line.replace(PREFIX + PLACEHOLDER, PREFIX + str(path), 1) for line in lines]


# ----------------------------------------------------------------------------------
# The corpus itself


def test_the_corpus_has_at_least_40_cases_in_every_category() -> None:
    assert len(ENTRIES) >= 40
    for category in CATEGORIES:
        assert [name for name in NAMES if name.startswith(category)], f"no {category} case"
    uncategorised = [name for name in NAMES if not name.startswith(CATEGORIES)]
    assert uncategorised == []


@pytest.mark.parametrize("kind", HOSTILE_KINDS)
def test_the_corpus_holds_each_kind_of_hostile_input(kind: str) -> None:
    assert [name for name in NAMES if name.startswith("hostile-") and kind in name]


def test_every_case_has_its_expected_message_and_no_message_is_orphaned() -> None:
    expectations = sorted(path.name[: -len(".expected")] for path in CORPUS.glob("*.expected"))
    assert expectations == NAMES
    assert sorted(path.name for path in CORPUS.iterdir()) == sorted(
        [*(f"{name}.toml" for name in NAMES), *(f"{name}.expected" for name in NAMES), "README.md"]
    )


def test_the_hostile_bytes_are_really_in_the_files() -> None:
    # Guards against an editor or a checkout "fixing" the corpus.
    assert (CORPUS / "hostile-empty.toml").stat().st_size == 0
    assert (CORPUS / "hostile-directory.toml").is_dir()
    assert (CORPUS / "hostile-bom.toml").read_bytes().startswith(b"\xef\xbb\xbf")
    assert b"\x00" in (CORPUS / "hostile-nul-byte.toml").read_bytes()
    assert b"\x1b[2J" in (CORPUS / "hostile-raw-escape-sequence.toml").read_bytes()
    assert b"\r" in (CORPUS / "hostile-lone-carriage-return.toml").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        (CORPUS / "hostile-non-utf8.toml").read_bytes().decode("utf-8")
    assert (CORPUS / "hostile-value-100-kilobytes.toml").stat().st_size > 100_000
    assert "z" * 10_000 in (CORPUS / "hostile-zone-name-10000-characters.toml").read_text()


@pytest.mark.parametrize("name", NAMES)
def test_messages_are_bounded_printable_and_say_where(name: str) -> None:
    status, lines = expected(name)
    assert status == 2
    assert lines
    for line in lines:
        assert line.startswith(PREFIX + PLACEHOLDER)
        assert len(line) <= MAX_LINE, line[:100]
        # Nothing from the file reaches the terminal raw: no control, format or
        # line-separator character (an escape sequence, a newline, a bidi override).
        assert all(unicodedata.category(char)[0] not in "CZ" or char == " " for char in line)


# ----------------------------------------------------------------------------------
# Through the pure functions, the methods' loader and the real command


def load_entry(source: Path) -> None:
    """Load a corpus entry as load_policy would, through the pure functions; a
    directory has no bytes to give them, so it goes through load_policy itself."""
    if source.is_dir():
        load_policy(str(source), explicit=True)
    else:
        policy_from_text(decode_utf8(source.read_bytes(), source=PLACEHOLDER), source=PLACEHOLDER)


@pytest.mark.parametrize("name", NAMES)
def test_the_pure_functions_give_the_expected_message(name: str) -> None:
    status, lines = expected(name)
    source = CORPUS / f"{name}.toml"
    with pytest.raises(PolicyError) as caught:
        load_entry(source)
    assert problems_of(caught.value) == lines
    assert caught.value.exit_code == status


@pytest.mark.parametrize("name", NAMES)
def test_a_bad_edit_keeps_the_last_good_policy_in_force(name: str, tmp_path: Path) -> None:
    _, lines = expected(name)
    policy_path = tmp_path / "policy.toml"
    installed_copy(name, tmp_path).rename(policy_path)
    last_good = Path(last_good_path(str(policy_path)))
    last_good.write_text('[shutdown]\ndeadline = "20m"\n', encoding="utf-8")
    last_good.chmod(0o644)
    policy, problems = method.load_for_method(str(policy_path), explicit=True)
    assert policy.source == str(last_good)
    assert policy.shutdown.deadline == 1200.0
    assert [PREFIX + problem for problem in problems] == with_path(lines, policy_path)


def _through_the_command() -> list[str]:
    firsts = [next(name for name in NAMES if name.startswith(prefix)) for prefix in CATEGORIES]
    return sorted({*firsts, *THROUGH_THE_COMMAND})


@pytest.mark.parametrize("name", _through_the_command())
def test_kzguard_check_prints_the_expected_message(name: str, tmp_path: Path) -> None:
    status, lines = expected(name)
    path = installed_copy(name, tmp_path)
    completed = subprocess.run(
        [sys.executable, "-m", "kzguard", "check", "--policy", str(path)],
        capture_output=True,
        timeout=120,
        env=dict(os.environ),
        check=False,
    )
    assert completed.stdout == b""
    assert completed.stderr.decode("utf-8").splitlines() == with_path(lines, path)
    assert completed.returncode == status

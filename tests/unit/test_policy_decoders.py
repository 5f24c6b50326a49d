"""kzguard's TOML scanner against every decoder kzguard runs on: the same verdict on
every sample, so that a refused policy always gets the scanner's message.

The messages never depend on a decoder's wording (kzguard.policy.syntax), but they
are only the scanner's if the scanner refuses what the decoder refuses.  Each
supported Python runs the check in a subprocess: tomllib on 3.11 to 3.13, and on
3.9 and 3.10 the tomli that the test environment installs (setup.cfg's test extra;
nothing is downloaded here).  tomli from 2.3 on reads TOML 1.1, which the scanner
then reads too, as key_lines always does.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kzguard.policy.syntax import key_lines, scan_toml
from kzguard.policy.toml import DECODER, TOMLDecodeError, _forbidden_problem, decode_toml
from tests.unit.test_policy_toml import SOURCE, SYNTAX, VALID

REPO = Path(__file__).parents[2]
CORPUS = REPO / "tests" / "data" / "policy" / "invalid"
# What TOML 1.1 adds, one thing each; TOML 1.0 decoders refuse each.
TOML_1_1 = [
    "a = {\n  b = 1\n}\n",
    "a = { # comment\n  b = 1 }\n",
    "a = {b = 1,}\n",
    'a = "\\e"\n',
    'a = "\\x41"\n',
    "a = 07:32\n",
    "b = 1979-05-27T07:32Z\n",
    "c = 1979-05-27 07:32\n",
]
AGREEMENT = """
import json, sys
from kzguard.policy.syntax import scan_toml
from kzguard.policy.toml import DECODER, TOMLDecodeError, _forbidden_problem

try:
    DECODER.loads('a = "\\\\e"')
    toml_1_1 = True
except TOMLDecodeError:
    toml_1_1 = False
disagreements = []
for text in json.load(sys.stdin):
    if _forbidden_problem(text) is not None:
        continue
    scan = scan_toml(text, toml_1_1=toml_1_1)
    try:
        DECODER.loads(text)
        accepted = True
    except TOMLDecodeError:
        accepted = False
    if accepted != (scan.problem is None) and not scan.unsafe:
        disagreements.append([text, accepted, str(scan.problem)])
print(json.dumps({"toml_1_1": toml_1_1, "disagreements": disagreements}))
"""


def samples() -> list[str]:
    corpus = [
        path.read_text(encoding="utf-8")
        for path in sorted(CORPUS.glob("syntax-*.toml"))
        if path.is_file()
    ]
    return [text for text, _ in SYNTAX] + VALID + TOML_1_1 + corpus


def interpreter(version: str) -> str | None:
    """The first python``version`` found that runs (a pyenv shim may not)."""
    pyenv = sorted(Path("/root/.pyenv/versions").glob(f"{version}.*/bin/python{version}"))
    for candidate in [*map(str, pyenv), shutil.which(f"python{version}")]:
        if candidate is None:
            continue
        probe = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    return None


@pytest.mark.parametrize("version", ["3.9", "3.10", "3.11", "3.12", "3.13"])
def test_the_scanner_and_the_decoder_agree(version: str, tmp_path: Path) -> None:
    python = interpreter(version)
    if python is None:
        pytest.skip(f"python{version} is not installed here")
    path = [str(REPO)]
    if version in ("3.9", "3.10"):
        # The test environment's tomli, alone on the path (pure Python, 3.8 and up).
        spec = importlib.util.find_spec("tomli")
        assert spec is not None, "tomli is in setup.cfg's test extra"
        assert spec.origin is not None
        (tmp_path / "tomli").symlink_to(Path(spec.origin).parent)
        path.append(str(tmp_path))
    result = subprocess.run(
        [python, "-s", "-c", AGREEMENT],
        input=json.dumps(samples()),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(path)},
    )
    assert result.returncode == 0, result.stderr
    verdict = json.loads(result.stdout)
    assert verdict["disagreements"] == []
    if version not in ("3.9", "3.10"):
        assert verdict["toml_1_1"] is False  # tomllib up to 3.13 reads TOML 1.0


def test_this_python_agrees_too() -> None:
    assert sys.version_info >= (3, 9)
    for text in TOML_1_1:
        assert scan_toml(text).problem is not None
        assert scan_toml(text, toml_1_1=True).problem is None


def test_key_lines_read_toml_1_1_so_a_newer_decoder_keeps_every_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tomli = pytest.importorskip("tomli")
    text = "[zone.db1]\nx = {\n  a = 1,\n}\n[zone.db2]\naction = 1\n"
    assert key_lines(text)[("zone", "db2", "action")] == 6
    # Where a decoder reads TOML 1.1, it decides: the text is TOML.
    monkeypatch.setattr(DECODER, "loads", tomli.loads)
    assert decode_toml(text, source=SOURCE)["zone"]["db2"] == {"action": 1}


# Pieces of TOML, right and wrong, for texts the decoder and the scanner both judge.
PIECES = [
    *"=[]{}\"',.#\n \t\\_+-:TZe0",
    '"""',
    "'''",
    "[[",
    "]]",
    "\\u",
    "\\e",
    "08",
    "1__6",
    "4.",
    "a",
    "b.c",
    "x = 1\n",
    "[a]\n",
    "[[a]]\n",
    "a = {}\n",
    "a.b = 1\n",
    "0x",
    "1e5",
    ".5",
    "inf",
    "true",
    "é",
    "1979-02-30",
    "1979-05-27 ",
    "07:32:00",
    "25:00:00",
    "\\U0010FFFF",
    "\\uD800",
]


@given(st.lists(st.sampled_from(PIECES), max_size=12).map("".join))
def test_on_any_text_the_scanner_refuses_what_the_decoder_refuses(text: str) -> None:
    if _forbidden_problem(text) is not None:
        return
    scan = scan_toml(text)
    try:
        DECODER.loads(text)
        accepted = True
    except TOMLDecodeError:
        accepted = False
    assert accepted == (scan.problem is None) or scan.unsafe

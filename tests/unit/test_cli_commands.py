"""The shell part of ``kzguard check``: which [commands] paths cannot be run
(judged by kzguard/status/checks.py, tested there and end to end)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import NoReturn

import pytest

from kzguard import cli
from kzguard.cli_commands import _unusable_commands
from kzguard.policy.model import Commands


def test_a_command_path_is_unusable_when_missing_a_directory_or_not_executable(
    tmp_path: Path,
) -> None:
    runnable = tmp_path / "zoneadm"
    runnable.write_text("#!/bin/sh\n", encoding="utf-8")
    runnable.chmod(0o755)
    plain = tmp_path / "zonecfg"
    plain.write_text("#!/bin/sh\n", encoding="utf-8")
    plain.chmod(0o644)
    paths = {field.name: str(runnable) for field in dataclasses.fields(Commands)}
    paths |= {"zonecfg": str(plain), "zlogin": str(tmp_path), "zpool": str(tmp_path / "none")}
    # [commands] shutdown is never run, so never looked at.
    paths["shutdown"] = str(tmp_path / "none")
    assert _unusable_commands(Commands(**paths)) == {
        "zonecfg": (str(plain), "not executable"),
        "zlogin": (str(tmp_path), "not executable"),
        "zpool": (str(tmp_path / "none"), "no such file"),
    }


def test_ctrl_c_while_the_parser_is_built_says_interrupted_and_exits_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before dispatch, which handles Ctrl-C for the commands, it reached Python's
    default: a traceback (found by review)."""

    def interrupted(**_: object) -> NoReturn:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "build_parser", interrupted)
    assert cli.main(["status"]) == 130
    assert capsys.readouterr() == ("", "kzguard: interrupted\n")

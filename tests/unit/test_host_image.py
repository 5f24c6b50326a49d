"""Host.image_size: the size of a suspend image file, bounded in time (the file may
be on NFS, whose stat blocks while the server does not answer)."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from kzguard.policy.model import Commands
from kzguard.solaris.host import Host


def test_a_regular_file_gives_its_size_anything_else_none(tmp_path: Path) -> None:
    image = tmp_path / "suspend"
    image.write_bytes(b"x" * 4096)
    (tmp_path / "empty").write_bytes(b"")
    host = Host(Commands())
    assert host.image_size(str(image)) == 4096
    assert host.image_size(str(tmp_path / "empty")) is None
    assert host.image_size(str(tmp_path)) is None
    assert host.image_size(str(tmp_path / "missing")) is None


def test_a_stat_that_does_not_return_is_given_up_after_the_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    release = threading.Event()
    entered = threading.Event()

    path = str(tmp_path / "suspend")
    real_stat = os.stat

    def stalled(name: str, *args: Any, **kwargs: Any) -> os.stat_result:
        if name != path:
            return real_stat(name, *args, **kwargs)
        entered.set()
        release.wait(10)
        raise OSError("stale NFS file handle")

    monkeypatch.setattr(os, "stat", stalled)
    caplog.set_level(logging.WARNING, logger="kzguard.solaris.host")
    try:
        assert Host(Commands()).image_size(path, timeout=0.05) is None
        assert entered.is_set()
    finally:
        release.set()
    assert [record.getMessage() for record in caplog.records] == [
        f"{path}: image size unknown: stat did not return in 0.05s"
    ]

"""The pending reboot record of ``kzguard reboot`` (kzguard.cli_pending): written
atomically with the boot it takes down, read back, ignored with a warning when it is
not kzguard's, removed after a failed init 6 or said why not."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from kzguard import cli_pending
from kzguard.cli_cycle import _may_answer
from kzguard.cli_pending import PendingReboot
from kzguard.errors import StateError
from kzguard.journal.document import JournalDocument, StartRecord


def test_the_record_names_the_boot_going_down_and_reads_back(tmp_path: Path) -> None:
    cli_pending.record(str(tmp_path), PendingReboot(1764700000, 1764703600.12345))
    path = tmp_path / "reboot-pending.json"
    assert json.loads(path.read_text()) == {
        "format": 1,
        "host_boot_time": 1764700000,
        "requested": 1764703600.123,
    }
    assert oct(path.stat().st_mode & 0o777) == "0o644"
    assert os.listdir(tmp_path) == ["reboot-pending.json"]
    assert cli_pending.read(str(tmp_path)) == PendingReboot(1764700000, 1764703600.123)


def test_only_the_boot_it_takes_down_is_going_down() -> None:
    pending = PendingReboot(1764700000, 1764703600.0)
    assert pending.of_boot(1764700000) is True
    assert pending.of_boot(1764703700) is False  # the next boot: the reboot happened
    assert pending.of_boot(None) is False
    assert PendingReboot(None, 1764703600.0).of_boot(None) is False


def test_no_record_is_no_pending_reboot(tmp_path: Path) -> None:
    assert cli_pending.read(str(tmp_path)) is None


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("{", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
        ('{"format": 2, "host_boot_time": 1, "requested": 2.0}', "format 2, requested 2.0"),
        ('{"format": 1, "host_boot_time": "1", "requested": 2.0}', "host_boot_time '1'"),
        ('{"format": 1, "host_boot_time": true, "requested": 2.0}', "host_boot_time True"),
        ('{"format": 1, "requested": 2.0}', "'host_boot_time'"),
        ("[]", "list indices must be integers or slices, not str"),
    ],
)
def test_a_record_that_is_not_kzguards_is_ignored_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, content: str, why: str
) -> None:
    path = tmp_path / "reboot-pending.json"
    path.write_text(content)
    with caplog.at_level(logging.WARNING, logger="kzguard"):
        assert cli_pending.read(str(tmp_path)) is None
        assert cli_pending.read(str(tmp_path)) is None  # kzguard wait's next look
    assert caplog.messages == [f"{path} ignored: not a pending reboot record ({why}); remove it"]


def test_a_record_that_cannot_be_written_refuses_the_reboot(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    with pytest.raises(StateError) as raised:
        cli_pending.record(str(missing), PendingReboot(1, 2.0))
    assert str(raised.value) == (
        f"cannot record the pending reboot in {missing}/reboot-pending.json: No such file "
        "or directory; not rebooting (kzguard wait could not tell this boot from the next)"
    )


def test_clear_removes_the_record_or_says_why_not(tmp_path: Path) -> None:
    cli_pending.record(str(tmp_path), PendingReboot(1, 2.0))
    assert cli_pending.clear(str(tmp_path)) is None
    assert os.listdir(tmp_path) == []
    assert cli_pending.clear(str(tmp_path)) is None  # nothing to remove
    (tmp_path / "reboot-pending.json").mkdir()
    assert cli_pending.clear(str(tmp_path)) == (
        f"cannot remove {tmp_path}/reboot-pending.json: Is a directory"
    )


def test_wait_reads_the_boot_time_only_when_the_journal_may_hold_the_answer() -> None:
    going_down = PendingReboot(100, 2.0)
    finished_in = {boot: StartRecord(host_boot_time=boot, finished=3.0) for boot in (100, 200)}
    # without kzguard reboot before it, every look may answer
    assert _may_answer(None, None) is True
    # the boot being taken down: its finished start record is the previous cycle's
    assert _may_answer(going_down, JournalDocument(start=finished_in[100])) is False
    assert _may_answer(going_down, None) is False
    assert _may_answer(going_down, JournalDocument()) is False
    # the next boot's start method still running
    running = StartRecord(host_boot_time=200, finished=None)
    assert _may_answer(going_down, JournalDocument(start=running)) is False
    assert _may_answer(going_down, JournalDocument(start=finished_in[200])) is True

"""journal.changes: a zone's record appended after journal.json, read back with it,
and never applied to a journal.json it does not follow."""

from __future__ import annotations

import errno
import json
import logging
import os
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kzguard.errors import StateError
from kzguard.journal.document import JournalDocument, ResumedZone, StartRecord, StopCycle
from kzguard.journal.records import Severity, StartOutcome, ZoneState
from kzguard.journal.store import (
    CHANGES_NAME,
    JOURNAL_NAME,
    Journal,
    read_journal,
    read_journal_json,
    write_file,
)


def _files(state_dir: Path) -> tuple[bytes, list[dict[str, Any]]]:
    """journal.json's bytes, and journal.changes' lines parsed."""
    changes = (state_dir / CHANGES_NAME).read_bytes().splitlines()
    return (state_dir / JOURNAL_NAME).read_bytes(), [json.loads(line) for line in changes]


def _header(journal: bytes) -> dict[str, object]:
    return {"journal": [len(journal), zlib.crc32(journal)]}


def _states(state_dir: Path, name: str) -> list[str]:
    document, problem = read_journal(str(state_dir))
    assert problem is None
    assert document is not None
    assert document.cycle is not None
    transitions = document.cycle.zones[name].transitions
    known = [
        transition.state for transition in transitions if isinstance(transition.state, ZoneState)
    ]
    assert len(known) == len(transitions)
    return [state.value for state in known]


def test_a_zone_s_change_is_appended_and_anything_else_rewrites_journal_json(
    tmp_path: Path,
) -> None:
    journal = Journal(str(tmp_path))
    journal.begin_cycle(StopCycle(started=1.5))
    written, lines = _files(tmp_path)
    assert lines == [_header(written)]
    journal.transition("kz1", ZoneState.SUSPENDING)
    journal.transition("kz2", ZoneState.SUSPENDING)
    journal.transition("kz1", ZoneState.SUSPENDED, seconds=4.0)
    unchanged, lines = _files(tmp_path)
    assert unchanged == written
    assert json.loads(written)["cycle"]["zones"] == {}
    assert [(list(line), line.get("cycle", [None])[0]) for line in lines] == [
        (["journal"], None),
        (["cycle"], "kz1"),
        (["cycle"], "kz2"),
        (["cycle"], "kz1"),
    ]
    assert lines[3]["cycle"][1] == journal.document.to_json()["cycle"]["zones"]["kz1"]
    assert read_journal_json(str(tmp_path))[0] == journal.document.to_json()

    journal.finish_cycle("done")
    rewritten, lines = _files(tmp_path)
    assert json.loads(rewritten) == journal.document.to_json()
    assert lines == [_header(rewritten)]


def test_changes_made_without_waiting_go_out_in_one_append_with_the_next(tmp_path: Path) -> None:
    journal = Journal(str(tmp_path))
    journal.begin_cycle(StopCycle())
    journal.transition("kz1", ZoneState.SUSPENDED, durable=False)
    journal.transition("kz2", ZoneState.SUSPENDED, durable=False)
    assert len(_files(tmp_path)[1]) == 1
    journal.transition("kz3", ZoneState.SUSPENDING)
    assert [line["cycle"][0] for line in _files(tmp_path)[1][1:]] == ["kz1", "kz2", "kz3"]


def test_lines_that_follow_an_earlier_journal_json_are_not_applied(tmp_path: Path) -> None:
    journal = Journal(str(tmp_path))
    journal.begin_cycle(StopCycle(started=1.0))
    journal.transition("kz1", ZoneState.SUSPENDING)
    # A crash after journal.json was rewritten and before journal.changes was
    # emptied: the old lines stay, and belong to the old document.
    newer = JournalDocument(cycle=StopCycle(started=2.0))
    write_file(str(tmp_path / JOURNAL_NAME), json.dumps(newer.to_json()).encode())
    assert read_journal(str(tmp_path)) == (newer, None)


def test_a_line_cut_short_by_a_crash_ends_the_reading(tmp_path: Path) -> None:
    journal = Journal(str(tmp_path))
    journal.begin_cycle(StopCycle())
    journal.transition("kz1", ZoneState.SUSPENDING)
    journal.transition("kz2", ZoneState.SUSPENDING)
    text = (tmp_path / CHANGES_NAME).read_bytes()
    (tmp_path / CHANGES_NAME).write_bytes(text[:-10])
    document, problem = read_journal(str(tmp_path))
    assert problem is None
    assert document is not None
    assert document.cycle is not None
    assert list(document.cycle.zones) == ["kz1"]


def test_a_loaded_journal_rewrites_journal_json_with_the_changes_at_its_first_flush(
    tmp_path: Path,
) -> None:
    first = Journal(str(tmp_path))
    first.begin_cycle(StopCycle())
    first.transition("kz1", ZoneState.SUSPENDING)
    # The stop was killed here; the next method loads what it left.
    journal, problem = Journal.load(str(tmp_path))
    assert problem is None
    assert journal.document == first.document
    journal.transition("kz1", ZoneState.LOST, reason="killed")
    written, lines = _files(tmp_path)
    assert lines == [_header(written)]
    assert [t["state"] for t in json.loads(written)["cycle"]["zones"]["kz1"]["transitions"]] == [
        "suspending",
        "lost",
    ]


_READERS: list[int] = []


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _fifo_with_a_reader(path: Path) -> None:
    os.mkfifo(path)
    _READERS.append(os.open(path, os.O_RDONLY | os.O_NONBLOCK))


@pytest.mark.parametrize(
    ("plant", "why"),
    [
        (Path.mkdir, "cannot open: Is a directory"),
        (
            lambda path: path.symlink_to("elsewhere"),
            "cannot open: Too many levels of symbolic links",
        ),
        (_fifo, "cannot open: No such device or address"),
        (_fifo_with_a_reader, "not a regular file"),
    ],
)
def test_an_unusable_journal_changes_leaves_every_change_to_journal_json(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, plant: Callable[[Path], None], why: str
) -> None:
    plant(tmp_path / CHANGES_NAME)
    journal = Journal(str(tmp_path))
    try:
        with caplog.at_level(logging.WARNING):
            journal.begin_cycle(StopCycle())
            journal.transition("kz1", ZoneState.SUSPENDING)
            journal.transition("kz1", ZoneState.SUSPENDED)
    finally:
        while _READERS:
            os.close(_READERS.pop())
    assert [record.getMessage() for record in caplog.records] == [
        f"{tmp_path / CHANGES_NAME}: {why}; every change rewrites journal.json"
    ]
    assert json.loads((tmp_path / JOURNAL_NAME).read_bytes()) == journal.document.to_json()
    assert _states(tmp_path, "kz1") == ["suspending", "suspended"]


def test_a_failed_append_is_reported_and_the_next_change_rewrites_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = Journal(str(tmp_path))
    journal.begin_cycle(StopCycle())

    def no_space(_: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(StateError) as caught:
        journal.transition("kz1", ZoneState.SUSPENDING)
    assert str(caught.value) == f"{tmp_path / CHANGES_NAME}: cannot write: No space left on device"
    assert not journal.durable
    monkeypatch.undo()
    journal.transition("kz2", ZoneState.SUSPENDING)
    written, lines = _files(tmp_path)
    assert lines == [_header(written)]
    assert sorted(json.loads(written)["cycle"]["zones"]) == ["kz1", "kz2"]
    assert journal.durable


def test_a_resumed_zone_is_appended_once_the_start_record_is_on_disk(tmp_path: Path) -> None:
    journal = Journal(str(tmp_path))
    journal.begin_cycle(StopCycle())
    # No start record on disk yet: the first outcome's record has nowhere to go
    # in journal.json, so that is rewritten.
    journal.commit(
        lambda document: document.with_resumed_zone("kz1", ResumedZone("r", Severity.OK, 1.0)),
        zone=("resume", "kz1"),
    )
    written, lines = _files(tmp_path)
    assert lines == [_header(written)]
    assert list(json.loads(written)["resume"]["zones"]) == ["kz1"]
    journal.begin_start(StartRecord(host_boot_time=7))
    journal.record_start_outcome(StartOutcome("kz2", "resumed", Severity.OK, 1.0))
    assert [list(line) for line in _files(tmp_path)[1]] == [["journal"], ["resume"]]
    assert read_journal_json(str(tmp_path))[0] == journal.document.to_json()

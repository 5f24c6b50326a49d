"""kzguard.console: progress lines on the console that never block or fail a method."""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

import pytest

from kzguard import console
from kzguard.journal.document import ArmedRecord, JournalDocument, ResumedZone, StartRecord
from kzguard.journal.records import ZoneState
from kzguard.policy.model import Paths, Policy
from tests.unit.journals import stop_cycle
from tests.unit.journals import zone_record as record


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_lines_are_written_one_by_one_cut_to_a_console_line(tmp_path: Path) -> None:
    path = tmp_path / "msglog"
    path.write_text("")
    writer = console.Console(str(path))
    writer.write("kzguard: stop: kz1 suspended in 4s")
    writer.write("two\nlines")
    writer.write("x" * 1000)
    writer.close()
    assert lines(path) == [
        "kzguard: stop: kz1 suspended in 4s",
        "two lines",
        "x" * (console.MAX_LINE - 1),
    ]


def test_a_console_that_cannot_be_opened_is_logged_once_and_given_up(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    writer = console.Console(str(tmp_path / "missing"))
    writer.write("one")
    writer.write("two")
    writer.close()
    assert [record.getMessage() for record in caplog.records] == [
        f"console {tmp_path / 'missing'}: No such file or directory; no more progress lines there"
    ]


def test_a_fifo_without_a_reader_fails_at_once_instead_of_hanging(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    writer = console.Console(str(fifo))
    writer.write("one")
    writer.close()
    assert not writer._writer.is_alive()
    assert [record.getMessage() for record in caplog.records] == [
        f"console {fifo}: No such device or address; no more progress lines there"
    ]


def test_a_full_queue_drops_lines_instead_of_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console, "QUEUE_LINES", 1)
    monkeypatch.setattr(console, "CLOSE_WAIT", 0.05)
    release = threading.Event()
    real_open = os.open

    def slow_open(path: str, flags: int) -> int:
        release.wait(5)
        return real_open(path, flags)

    monkeypatch.setattr(console.os, "open", slow_open)
    path = tmp_path / "msglog"
    path.write_text("")
    writer = console.Console(str(path))
    for index in range(5):  # the writer holds one, the queue one: the rest are dropped
        writer.write(f"line {index}")
    writer.close()  # the end mark does not fit either; close still returns
    release.set()
    writer._writer.join(5)
    assert lines(path)[0] == "line 0"
    assert len(lines(path)) <= 2


def test_only_the_methods_and_executors_lines_are_forwarded(tmp_path: Path) -> None:
    path = tmp_path / "msglog"
    path.write_text("")
    writer = console.Console(str(path))
    handler = console.ConsoleHandler(writer, "stop")
    for name in ("kzguard.stop.run", "kzguard.solaris.runner", "kzguard.method"):
        handler.handle(logging.LogRecord(name, logging.INFO, "", 0, "%s went", ("it",), None))
    handler.handle(logging.LogRecord("kzguard.stop.run", logging.INFO, "", 0, "%d", ("x",), None))
    writer.close()
    assert lines(path) == ["kzguard: stop: it went", "kzguard: stop: it went"]


def test_the_countdown_line() -> None:
    assert (
        console.countdown_line("stop", 900.0, 390.0, (12, 40))
        == "kzguard: stop: 12 of 40 zones done, 8m30s left of 15m"
    )
    assert console.countdown_line("start", 1800.0, 1900.0, None) == (
        "kzguard: start: 0s left of 30m"
    )


def write_journal(state_dir: Path, document: JournalDocument) -> None:
    (state_dir / "journal.json").write_text(json.dumps(document.to_json()))


def test_counts_come_from_this_runs_record_in_the_journal(tmp_path: Path) -> None:
    assert console.journal_counts(str(tmp_path), "stop", 100.0) is None  # no journal
    zones = {
        "kz1": record(ZoneState.SUSPENDED),
        "kz2": record(ZoneState.SUSPENDING),
        "kz3": record(ZoneState.PLANNED),
        "kz4": record(ZoneState.FAILED),
    }
    write_journal(tmp_path, stop_cycle(zones, started=100.0))
    assert console.journal_counts(str(tmp_path), "stop", 100.0) == (2, 4)
    assert console.journal_counts(str(tmp_path), "stop", 200.0) is None  # a previous run's
    assert console.journal_counts(str(tmp_path), "start", 100.0) is None  # no start yet
    resumed = {"kz1": ResumedZone("resumed", None)}
    document = stop_cycle(zones, started=50.0)
    write_journal(
        tmp_path,
        JournalDocument(cycle=document.cycle, start=StartRecord(started=100.0, zones=resumed)),
    )
    assert console.journal_counts(str(tmp_path), "start", 100.0) == (1, 4)
    armed = ArmedRecord(running=("kz1", "kz2", "kz2"))
    bypass = StartRecord(started=100.0, bypassed=True, zones=resumed)
    write_journal(tmp_path, JournalDocument(start=bypass, armed=armed))
    assert console.journal_counts(str(tmp_path), "start", 100.0) == (1, 2)
    write_journal(tmp_path, JournalDocument(start=StartRecord(started=100.0, zones=resumed)))
    assert console.journal_counts(str(tmp_path), "start", 100.0) is None  # total unknown
    (tmp_path / "journal.json").write_text('{"format": 1, "cycle": {"zones": 7}}')
    assert console.journal_counts(str(tmp_path), "stop", 100.0) is None  # no start time
    (tmp_path / "journal.json").write_text("[1, 2]")
    assert console.journal_counts(str(tmp_path), "stop", 0.0) is None
    assert (tmp_path / "journal.json").exists()  # read only: never moved aside


def test_progress_counts_down_until_the_method_ends(tmp_path: Path) -> None:
    path = tmp_path / "msglog"
    path.write_text("")
    policy = Policy(paths=Paths(state_dir=str(tmp_path), console=str(path)))
    ticks = iter([390.0, 420.0] + [450.0] * 1000)
    seen = threading.Event()
    logger = logging.getLogger("kzguard.stop.run")
    logger.setLevel(logging.INFO)
    with console.progress(
        policy, "stop", deadline=900.0, started=0.0, clock=lambda: next(ticks), interval=0.01
    ):
        logger.info("suspending %s", "kz1")
        while len(lines(path)) < 3 and not seen.wait(0.01):
            pass
    after = len(lines(path))
    assert not any(t.name == "kzguard-countdown" for t in threading.enumerate())
    assert not any(
        isinstance(h, console.ConsoleHandler) for h in logging.getLogger("kzguard").handlers
    )
    logger.info("not forwarded any more")
    written = lines(path)
    assert len(written) == after
    assert written[:3] == [
        "kzguard: stop: suspending kz1",
        "kzguard: stop: 8m30s left of 15m",
        "kzguard: stop: 8m left of 15m",
    ]


def test_no_console_means_no_thread_and_no_line(tmp_path: Path) -> None:
    before = threading.active_count()
    with console.progress(Policy(paths=Paths(console="")), "start", deadline=10.0, started=0.0):
        assert threading.active_count() == before


def test_a_count_that_fails_gives_the_time_alone(tmp_path: Path) -> None:
    path = tmp_path / "msglog"
    path.write_text("")
    writer = console.Console(str(path))
    done = threading.Event()

    def count() -> tuple[int, int] | None:
        done.set()  # one tick only
        raise OSError("journal unreadable")

    console._count_down(
        writer,
        "stop",
        deadline=60.0,
        started=0.0,
        clock=lambda: 15.0,
        interval=0.0,
        count=count,
        done=done,
    )
    writer.close()
    assert lines(path) == ["kzguard: stop: 45s left of 1m"]

"""kzguard.console: progress lines on the console that never block or fail a method."""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

import pytest

from kzguard import console
from kzguard.journal.document import ArmedRecord, JournalDocument, ResumedZone, StartRecord
from kzguard.journal.records import ZoneState
from kzguard.journal.store import Journal
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
    writer.write("x" * (console.MAX_LINE - 2) + "é")  # 2 bytes, the second past the cut
    writer.close()
    assert lines(path) == [
        "kzguard: stop: kz1 suspended in 4s",
        "two lines",
        "x" * (console.MAX_LINE - 1),
        "x" * (console.MAX_LINE - 2),
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

    monkeypatch.setattr(os, "open", slow_open)
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


def counts(document: JournalDocument, method: str, since: float) -> tuple[int, int] | None:
    return console.journal_counts(Journal(None, document), method, since)


def test_counts_come_from_this_runs_record_in_the_journal() -> None:
    assert console.journal_counts(None, "stop", 100.0) is None  # no journal open yet
    zones = {
        "kz1": record(ZoneState.SUSPENDED),
        "kz2": record(ZoneState.SUSPENDING),
        "kz3": record(ZoneState.PLANNED),
        "kz4": record(ZoneState.FAILED),
    }
    assert counts(stop_cycle(zones, started=100.0), "stop", 100.0) == (2, 4)
    assert counts(stop_cycle(zones, started=100.0), "stop", 200.0) is None  # a previous run's
    assert counts(stop_cycle(zones, started=100.0), "start", 100.0) is None  # no start yet
    resumed = {"kz1": ResumedZone("resumed", None)}
    cycle = stop_cycle(zones, started=50.0).cycle
    document = JournalDocument(cycle=cycle, start=StartRecord(started=100.0, zones=resumed))
    assert counts(document, "start", 100.0) == (1, 4)
    armed = ArmedRecord(running=("kz1", "kz2", "kz2"))
    bypass = StartRecord(started=100.0, bypassed=True, zones=resumed)
    assert counts(JournalDocument(start=bypass, armed=armed), "start", 100.0) == (1, 2)
    alone = JournalDocument(start=StartRecord(started=100.0, zones=resumed))
    assert counts(alone, "start", 100.0) is None  # total unknown
    no_start_time = JournalDocument.from_json({"format": 1, "cycle": {"zones": 7}})
    assert counts(no_start_time, "stop", 100.0) is None


def test_the_countdown_counts_from_the_journal_the_path_hands_over(tmp_path: Path) -> None:
    path = tmp_path / "msglog"
    path.write_text("")
    # No state directory: the journal is in memory only, and still counted.
    policy = Policy(paths=Paths(state_dir=str(tmp_path / "none"), console=str(path)))
    zones = {"kz1": record(ZoneState.SUSPENDED), "kz2": record(ZoneState.SUSPENDING)}
    journal = Journal(None, stop_cycle(zones, started=time.time() + 1.0))
    ticks = iter([390.0, 420.0] + [450.0] * 1000)
    # The first tick counts before the path hands the journal over (its clock, read
    # after its count, waits for that); every later tick counts from the journal.
    ticking, watched = threading.Event(), threading.Event()

    def clock() -> float:
        ticking.set()
        watched.wait(10)
        return next(ticks)

    with console.progress(
        policy, "stop", deadline=900.0, started=0.0, clock=clock, interval=0.01
    ) as watch:
        assert ticking.wait(10)
        watch(journal)
        watched.set()
        while len(lines(path)) < 2 and not threading.Event().wait(0.01):
            pass
    assert lines(path)[:2] == [
        "kzguard: stop: 8m30s left of 15m",
        "kzguard: stop: 1 of 2 zones done, 8m left of 15m",
    ]


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

"""The journal's file handling: atomic writes, corrupt files moved aside, the lock."""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from kzguard.errors import StateError
from kzguard.journal.document import ArmedRecord, JournalDocument, StartRecord, StopCycle
from kzguard.journal.history import HISTORY_RUNS, PaceSample, PastRun, last_images
from kzguard.journal.lock import LockHeld, exclusive_lock, holder_now
from kzguard.journal.records import ZoneState
from kzguard.journal.store import (
    Journal,
    ensure_state_dir,
    load_history,
    load_history_and_learned,
    load_learned,
    read_journal,
    read_journal_json,
    read_json,
    save_history,
    save_learned,
    state_dir_problem,
)
from kzguard.journal.store import write_file as write_atomically


def test_atomic_write_leaves_only_the_new_file(tmp_path: Path) -> None:
    target = tmp_path / "journal.json"
    target.write_text("old")
    write_atomically(str(target), b'{"new": true}')
    assert target.read_text() == '{"new": true}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["journal.json"]


def test_atomic_write_failure_is_a_state_error(tmp_path: Path) -> None:
    with pytest.raises(StateError) as caught:
        write_atomically(str(tmp_path / "missing" / "journal.json"), b"{}")
    assert (
        str(caught.value)
        == f"{tmp_path}/missing/journal.json: cannot write: No such file or directory"
    )


def moved_aside_at_a_fixed_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files set aside are named .bad-20261125T180000Z."""
    monkeypatch.setattr(
        "time.gmtime",
        lambda *_: __import__("time").struct_time((2026, 11, 25, 18, 0, 0, 2, 329, 0)),
    )


def test_read_json_missing_corrupt_symlink_and_non_object(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    moved_aside_at_a_fixed_time(monkeypatch)
    path = tmp_path / "journal.json"
    assert read_json(str(path)) == (None, None)
    path.write_text("{torn")
    document, problem = read_json(str(path))
    assert document is None
    assert problem == (
        f"{path} is not valid JSON (Expecting property name enclosed in double quotes: line 1 column 2 (char 1)); "
        f"moved aside to {path}.bad-20261125T180000Z"
    )
    assert not path.exists()
    path.write_text("[1, 2]")
    assert (
        read_json(str(path))[1]
        == f"{path} is not a JSON object; moved aside to {path}.bad-20261125T180000Z"
    )
    (tmp_path / "elsewhere.json").write_text("{}")
    path.symlink_to(tmp_path / "elsewhere.json")
    assert (
        read_json(str(path))[1]
        == f"{path} is a symbolic link; moved aside to {path}.bad-20261125T180000Z"
    )
    path.write_bytes(b'{"ok": "\xff"}')
    assert "is not valid JSON" in str(read_json(str(path))[1])


def test_transitions_from_many_threads_all_land_and_the_file_parses(tmp_path: Path) -> None:
    journal = Journal(str(tmp_path))
    journal.begin_cycle(StopCycle())
    names = [f"kz{n}" for n in range(40)]

    def walk(name: str) -> None:
        for state in (ZoneState.SUSPENDING, ZoneState.SUSPENDED):
            journal.transition(name, state, seconds=1.5)

    threads = [threading.Thread(target=walk, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    on_disk = read_journal_json(str(tmp_path))[0]
    assert on_disk is not None
    assert on_disk["format"] == 1
    assert sorted(on_disk["cycle"]["zones"]) == sorted(names)
    for zone in on_disk["cycle"]["zones"].values():
        assert [t["state"] for t in zone["transitions"]] == ["suspending", "suspended"]
        assert (zone["state"], zone["seconds"]) == ("suspended", 1.5)


def test_journal_load_reports_and_replaces_a_corrupt_file(tmp_path: Path) -> None:
    (tmp_path / "journal.json").write_text("garbage")
    journal, problem = Journal.load(str(tmp_path))
    assert problem is not None
    assert problem.startswith(f"{tmp_path}/journal.json is not valid JSON")
    assert journal.document == JournalDocument()
    journal.commit(lambda document: JournalDocument(armed=ArmedRecord(policy="p")))
    assert json.loads((tmp_path / "journal.json").read_text()) == {
        "format": 1,
        "armed": {"host_boot_time": None, "time": None, "running": [], "policy": "p"},
    }
    assert read_journal(str(tmp_path)) == (JournalDocument(armed=ArmedRecord(policy="p")), None)
    assert read_journal(str(tmp_path / "none")) == (None, None)


def test_a_journal_without_a_directory_keeps_its_record_in_memory() -> None:
    journal = Journal(None)
    journal.begin_cycle(StopCycle())
    journal.transition("kz1", ZoneState.SUSPENDED)
    assert journal.cycle is not None
    assert journal.cycle.zones["kz1"].state is ZoneState.SUSPENDED


def test_which_of_the_cycle_and_the_start_record_came_later_survives_a_clock_stepped_back(
    tmp_path: Path,
) -> None:
    """The start record of boot 100 at 2000 (wall clock), the clock stepped back an
    hour, a stop method at 1000 in the same boot: the stop came later, as journalled."""
    journal = Journal(str(tmp_path))
    journal.begin_start(StartRecord(host_boot_time=100, started=2000.0))
    assert journal.document.stopped_since_start is False
    journal.begin_cycle(StopCycle(started=1000.0, host_boot_time=100))
    assert journal.document.stopped_since_start is True
    reread = read_journal(str(tmp_path))[0]
    assert reread is not None
    assert (reread.start, reread.cycle) == (
        StartRecord(host_boot_time=100, started=2000.0, serial=1),
        StopCycle(started=1000.0, host_boot_time=100, serial=2),
    )
    assert reread.stopped_since_start is True
    # The start method run again (svcadm restart) begins a later record than the cycle.
    journal.begin_start(StartRecord(host_boot_time=100, started=1500.0))
    assert journal.document.stopped_since_start is False
    assert journal.document.start == StartRecord(host_boot_time=100, started=1500.0, serial=3)


@pytest.mark.parametrize(
    ("cycle_serial", "start_serial", "later"),
    [(None, None, True), (2, None, True), (None, 2, True), (1, 2, False), (2, 1, True)],
)
def test_records_of_an_older_kzguard_without_serials_are_ordered_by_their_times(
    cycle_serial: int | None, start_serial: int | None, later: bool
) -> None:
    """A cycle begun at 2000, a start record at 1000: without both serials, the times."""
    document = JournalDocument(
        cycle=StopCycle(started=2000.0, serial=cycle_serial),
        start=StartRecord(started=1000.0, serial=start_serial),
    )
    assert document.stopped_since_start is later
    assert JournalDocument(cycle=StopCycle(started=2000.0)).stopped_since_start is False
    assert JournalDocument(start=StartRecord(started=1000.0)).stopped_since_start is False
    assert (
        JournalDocument(
            cycle=StopCycle(started=None), start=StartRecord(started=1000.0)
        ).stopped_since_start
        is False
    )


def test_zone_records_need_a_cycle(tmp_path: Path) -> None:
    with pytest.raises(StateError) as caught:
        Journal(str(tmp_path)).transition("kz1", ZoneState.SUSPENDING)
    assert str(caught.value) == f"{tmp_path}/journal.json: no cycle has begun"
    with pytest.raises(StateError):
        Journal(str(tmp_path)).finish_cycle("summary")


def test_history_is_bounded_per_zone_and_keeps_the_most_recent_zones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kzguard.journal.history.HISTORY_ZONES", 2)
    history = {
        "old": [PastRun(seconds=1.0, when=100.0)],
        "new": [PastRun(seconds=float(n), memory=4 << 30, when=300.0 + n) for n in range(1, 15)],
        "mid": [PastRun(seconds=2.0, when=200.0)],
    }
    save_history(str(tmp_path), history, now=400.0)
    loaded, problem = load_history(str(tmp_path))
    assert problem is None
    assert sorted(loaded) == ["mid", "new"]
    assert [run.seconds for run in loaded["new"]] == [
        float(n) for n in range(15 - HISTORY_RUNS, 15)
    ]
    assert loaded["new"][0].memory == 4 << 30


def test_history_tolerates_foreign_content(tmp_path: Path) -> None:
    (tmp_path / "history.json").write_text(
        json.dumps({"zones": {"kz1": [{"seconds": "x"}, {"seconds": 3, "memory": True}], "kz2": 7}})
    )
    loaded, _ = load_history(str(tmp_path))
    assert loaded == {"kz1": [PastRun(seconds=3.0, memory=None)]}
    (tmp_path / "history.json").write_text(json.dumps({"zones": []}))
    assert load_history(str(tmp_path)) == ({}, None)


def test_a_suspend_that_timed_out_is_kept_as_such(tmp_path: Path) -> None:
    runs = {
        "kz1": [
            PastRun(seconds=40.0, memory=8 << 30, when=1.0),
            PastRun(seconds=600.0, memory=8 << 30, when=2.0, timed_out=True),
        ]
    }
    save_history(str(tmp_path), runs, now=3.0)
    document = json.loads((tmp_path / "history.json").read_text())
    assert document["zones"]["kz1"] == [
        {"seconds": 40.0, "memory": 8 << 30, "image_bytes": None, "when": 1.0},
        {"seconds": 600.0, "memory": 8 << 30, "image_bytes": None, "when": 2.0, "timed_out": True},
    ]
    assert load_history(str(tmp_path)) == (runs, None)
    # Only true is true: a file written by hand or by something else says no more.
    document["zones"]["kz1"][1]["timed_out"] = "yes"
    (tmp_path / "history.json").write_text(json.dumps(document))
    loaded, _ = load_history(str(tmp_path))
    assert [run.timed_out for run in loaded["kz1"]] == [False, False]


DAY = 86400.0


def test_what_auto_learned_is_kept_per_path_beside_the_zones_and_ages_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kzguard.journal.history.PACE_LEVELS", 2)
    state = str(tmp_path)
    runs = {"kz1": [PastRun(seconds=3.0, when=10.0)]}
    suspend = [
        PaceSample(4, 4.0e9, 40.0, 181 * DAY),
        PaceSample(2, 2.0e9, 20.0, 182 * DAY),
        PaceSample(1, 1.0e9, 10.0, 0.5 * DAY),  # older than 180 days: gone
        PaceSample(3, 2.5e9, 30.0, 180 * DAY),  # the third most recent: gone
    ]
    save_history(state, runs, now=181 * DAY, learned={"suspend": suspend})
    document = json.loads((tmp_path / "history.json").read_text())
    assert document["pace"] == {
        "suspend": [
            {"concurrency": 2, "bytes_per_second": 2.0e9, "seconds": 20.0, "when": 182 * DAY},
            {"concurrency": 4, "bytes_per_second": 4.0e9, "seconds": 40.0, "when": 181 * DAY},
        ]
    }
    # A save that is not about the pace (the stop's durations) keeps it; a save of
    # one path keeps the other and the zones.
    save_history(state, runs, now=181 * DAY)
    save_learned(state, "resume", [PaceSample(3, 3.0e9, 9.0, 181 * DAY)], now=181 * DAY)
    learned, problem = load_learned(state)
    assert problem is None
    assert learned == {
        "suspend": [
            PaceSample(2, 2.0e9, 20.0, 182 * DAY),
            PaceSample(4, 4.0e9, 40.0, 181 * DAY),
        ],
        "resume": [PaceSample(3, 3.0e9, 9.0, 181 * DAY)],
    }
    assert load_history(state)[0] == runs


def test_both_parts_of_the_history_come_from_one_read_and_the_last_images_from_it(
    tmp_path: Path,
) -> None:
    state = str(tmp_path)
    runs = {
        "kz1": [PastRun(3.0, image_bytes=5, when=1.0), PastRun(4.0, image_bytes=7, when=2.0)],
        "kz2": [PastRun(3.0, image_bytes=5, when=1.0), PastRun(4.0, when=2.0)],  # not read
        "kz3": [PastRun(2.0, image_bytes=9, when=2.0)],
    }
    resume = [PaceSample(3, 3.0e9, 9.0, 2.0)]
    save_history(state, runs, now=3.0, learned={"resume": resume})
    history, learned, problem = load_history_and_learned(state)
    assert (history, learned, problem) == (runs, {"resume": resume}, None)
    assert last_images(history) == {"kz1": 7, "kz3": 9}
    (tmp_path / "history.json").write_text("{")
    history, learned, problem = load_history_and_learned(state)
    assert (history, learned) == ({}, {})
    assert problem is not None
    assert problem.startswith(f"{tmp_path / 'history.json'} is not valid JSON (")
    assert "; moved aside to " in problem


def test_learned_tolerates_foreign_content_and_history_before_it(tmp_path: Path) -> None:
    (tmp_path / "history.json").write_text(json.dumps({"zones": {}}))
    assert load_learned(str(tmp_path)) == ({}, None)
    (tmp_path / "history.json").write_text(json.dumps({"pace": []}))
    assert load_learned(str(tmp_path)) == ({}, None)
    entries = [
        7,
        {"concurrency": 0, "bytes_per_second": 1.0},
        {"concurrency": 2, "bytes_per_second": -1.0},
        {"concurrency": 2},
        {"concurrency": 3, "bytes_per_second": 5.0},
    ]
    (tmp_path / "history.json").write_text(
        json.dumps({"pace": {"suspend": entries, "resume": "x", "other": []}})
    )
    assert load_learned(str(tmp_path)) == ({"suspend": [PaceSample(3, 5.0, 0.0, 0.0)]}, None)


def test_state_dir_is_created_private_and_a_file_in_the_way_is_refused(tmp_path: Path) -> None:
    created = ensure_state_dir(str(tmp_path / "var" / "share" / "kzguard"))
    assert os.stat(created).st_mode & 0o777 == 0o700
    (tmp_path / "file").write_text("")
    with pytest.raises(StateError) as caught:
        ensure_state_dir(str(tmp_path / "file"))
    assert str(caught.value) == f"{tmp_path}/file: the state directory is not a directory"
    os.symlink(tmp_path / "var", tmp_path / "link")
    with pytest.raises(StateError) as caught:
        ensure_state_dir(str(tmp_path / "link"))
    assert (
        str(caught.value)
        == f"{tmp_path}/link: the state directory is a symbolic link; refusing to use it"
    )


def test_the_lock_names_its_holder_and_is_taken_over_when_the_holder_dies(tmp_path: Path) -> None:
    with exclusive_lock(str(tmp_path), "method stop"):
        with pytest.raises(StateError) as caught, exclusive_lock(str(tmp_path), "kzguard stop"):
            pass
        assert str(caught.value).startswith(
            f"another kzguard operation holds {tmp_path}/lock: pid {os.getpid()} (method stop) since "
        )
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from kzguard.journal.lock import exclusive_lock\n"
         f"with exclusive_lock({str(tmp_path)!r}, 'x'):\n    print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout is not None
    assert holder.stdout.readline() == "held\n"
    with pytest.raises(StateError), exclusive_lock(str(tmp_path), "y"):
        pass
    holder.kill()
    holder.wait()
    with exclusive_lock(str(tmp_path), "after the holder died"):
        assert "after the holder died" in (tmp_path / "lock").read_text()


def test_who_holds_the_lock_now_is_read_without_taking_it(tmp_path: Path) -> None:
    state_dir = str(tmp_path)
    assert holder_now(state_dir) is None  # no lock file yet
    with exclusive_lock(state_dir, "kzguard stop"):
        held = holder_now(state_dir)
        assert held is not None
        assert held.startswith(f"pid {os.getpid()} (kzguard stop) since ")
    # Let go: the label stays, naming a live process (this one), but nobody holds it.
    assert holder_now(state_dir) is None
    # A label whose process is gone is not looked at further.
    (tmp_path / "lock").write_text("pid 999999999 (method stop) since 2026-12-06 03:35:05\n")
    assert holder_now(state_dir) is None


# -- state directory problems (issue 6) ---------------------------------------------------


def _failing(code: int) -> Any:
    def fail(*_: object, **__: object) -> Any:
        raise OSError(code, os.strerror(code))

    return fail


@pytest.mark.parametrize(
    ("call", "code", "reason"),
    [
        ("write", errno.ENOSPC, "No space left on device"),
        ("fsync", errno.EIO, "Input/output error"),
        ("rename", errno.EROFS, "Read-only file system"),
    ],
)
def test_a_failed_write_leaves_the_previous_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call: str, code: int, reason: str
) -> None:
    target = tmp_path / "journal.json"
    target.write_text('{"old": true}')
    monkeypatch.setattr(os, call, _failing(code))
    with pytest.raises(StateError) as caught:
        write_atomically(str(target), b'{"new": true}')
    monkeypatch.undo()
    assert str(caught.value) == f"{target}: cannot write: {reason}"
    assert target.read_text() == '{"old": true}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["journal.json"]


def test_a_write_never_goes_through_a_link_planted_at_the_temporary_name(tmp_path: Path) -> None:
    target = tmp_path / "journal.json"
    victim = tmp_path / "victim"
    victim.write_text("precious")
    planted = tmp_path / f"journal.json.tmp.{os.getpid()}.{threading.get_ident()}"
    planted.symlink_to(victim)
    write_atomically(str(target), b"{}")
    assert victim.read_text() == "precious"
    assert target.read_text() == "{}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["journal.json", "victim"]


def test_a_write_replaces_a_symlinked_journal_instead_of_following_it(tmp_path: Path) -> None:
    target = tmp_path / "journal.json"
    victim = tmp_path / "passwd"
    victim.write_text("root:x:0:0\n")
    target.symlink_to(victim)
    write_atomically(str(target), b"{}")
    assert victim.read_text() == "root:x:0:0\n"
    assert not target.is_symlink()
    assert target.read_text() == "{}"


def test_a_fifo_or_a_directory_in_place_of_the_journal_is_moved_aside_without_hanging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    moved_aside_at_a_fixed_time(monkeypatch)
    path = tmp_path / "journal.json"
    os.mkfifo(path)
    assert read_json(str(path)) == (
        None,
        f"{path} is not a regular file; moved aside to {path}.bad-20261125T180000Z",
    )
    os.unlink(f"{path}.bad-20261125T180000Z")
    path.mkdir()
    assert read_json(str(path), move_aside=False) == (None, f"{path} is a directory")
    assert read_json(str(path)) == (
        None,
        f"{path} is a directory; moved aside to {path}.bad-20261125T180000Z",
    )
    assert not path.exists()


def test_durable_tells_whether_every_change_reached_the_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = Journal(str(tmp_path))
    journal.begin_cycle(StopCycle())
    assert journal.durable
    monkeypatch.setattr(os, "write", _failing(errno.ENOSPC))
    with pytest.raises(StateError):
        journal.transition("kz1", ZoneState.SUSPENDING)
    assert not journal.durable
    monkeypatch.undo()
    journal.transition("kz1", ZoneState.SUSPENDED)  # the space came back: all of it is written
    assert journal.durable
    on_disk = json.loads((tmp_path / "journal.json").read_text())
    assert [t["state"] for t in on_disk["cycle"]["zones"]["kz1"]["transitions"]] == [
        "suspending",
        "suspended",
    ]
    assert not Journal(None).durable


def test_state_dir_problem_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert state_dir_problem(str(tmp_path / "missing")) is None
    assert not (tmp_path / "missing").exists()
    assert state_dir_problem(str(tmp_path)) is None
    (tmp_path / "file").write_text("")
    assert state_dir_problem(str(tmp_path / "file")) == (
        f"{tmp_path}/file: the state directory is not a directory"
    )
    (tmp_path / "link").symlink_to(tmp_path)
    assert state_dir_problem(str(tmp_path / "link")) == (
        f"{tmp_path}/link: the state directory is a symbolic link; refusing to use it"
    )
    monkeypatch.setattr(os, "access", lambda *_: False)
    assert state_dir_problem(str(tmp_path)) == (f"{tmp_path}: the state directory is not writable")


def test_the_lock_is_waited_for_a_bounded_time_then_names_its_holder(tmp_path: Path) -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    with (
        exclusive_lock(str(tmp_path), "method stop"),
        pytest.raises(LockHeld) as caught,
        exclusive_lock(str(tmp_path), "method start", wait=0.35, clock=lambda: now[0], sleep=sleep),
    ):
        pass
    assert slept == pytest.approx([0.1, 0.1, 0.1, 0.05])
    error = caught.value
    assert (error.pid, error.waited, error.path) == (os.getpid(), 0.35, f"{tmp_path}/lock")
    assert error.exit_code == 4
    assert re.fullmatch(
        rf"another kzguard operation holds {tmp_path}/lock after 0\.3s: pid {os.getpid()} "
        rf"\(method stop\) since [-0-9: ]+; wait for it to finish, or if it is stuck, end it "
        rf"\(kill {os.getpid()}\) and run this again",
        str(error),
    )


def test_a_lock_whose_label_cannot_be_written_is_still_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "pwrite", _failing(errno.ENOSPC))
    with exclusive_lock(str(tmp_path), "method stop"):
        monkeypatch.undo()
        with pytest.raises(LockHeld) as caught, exclusive_lock(str(tmp_path), "kzguard stop"):
            pass
    assert caught.value.pid is None
    assert str(caught.value) == (
        f"another kzguard operation holds {tmp_path}/lock: unknown holder; wait for it to "
        "finish, or if it is stuck, end it (kill it) and run this again"
    )


def test_a_lock_replaced_by_a_symlink_or_a_directory_is_refused(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (tmp_path / "lock").symlink_to(victim)
    with pytest.raises(StateError) as caught, exclusive_lock(str(tmp_path), "x"):
        pass
    assert str(caught.value) == (
        f"{tmp_path}/lock: cannot open the lock: it is a symbolic link; refusing to follow it"
    )
    assert victim.read_text() == "precious"
    (tmp_path / "lock").unlink()
    (tmp_path / "lock").mkdir()
    with pytest.raises(StateError) as caught, exclusive_lock(str(tmp_path), "x"):
        pass
    assert str(caught.value) == f"{tmp_path}/lock: cannot open the lock: Is a directory"
    (tmp_path / "lock").rmdir()
    os.mkfifo(tmp_path / "lock")
    with pytest.raises(StateError) as caught, exclusive_lock(str(tmp_path), "x"):
        pass
    assert str(caught.value) == f"{tmp_path}/lock: cannot open the lock: it is not a regular file"


def test_taking_the_lock_removes_temporaries_of_dead_writers(tmp_path: Path) -> None:
    names = ["journal.json.tmp.4242.140001", "history.json.tmp.7.8", "journal.json.tmp.x", "notes"]
    for name in names:
        (tmp_path / name).write_text("torn")
    with exclusive_lock(str(tmp_path), "test"):
        assert sorted(p.name for p in tmp_path.iterdir()) == ["journal.json.tmp.x", "lock", "notes"]


def test_a_file_of_a_newer_format_is_set_aside_whole_and_one_of_this_format_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # /var/share is shared by every boot environment: after booting an older one,
    # its kzguard must not act on a newer kzguard's records as if it understood them.
    moved_aside_at_a_fixed_time(monkeypatch)
    path = tmp_path / "journal.json"
    newer = '{"format": 2, "cycle": {"zones": {}}}'
    path.write_text(newer)
    problem = (
        f"{path} has format 2, which this kzguard (format 1) cannot read: written by a "
        "newer kzguard, in another boot environment?"
    )
    assert read_journal(str(tmp_path)) == (None, problem)  # kzguard status: left in place
    assert path.read_text() == newer
    assert read_json(str(path)) == (None, f"{problem}; moved aside to {path}.bad-20261125T180000Z")
    assert not path.exists()
    assert (tmp_path / "journal.json.bad-20261125T180000Z").read_text() == newer
    for readable in ('{"format": 1}', "{}", '{"format": "2"}', '{"format": true}'):
        path.write_text(readable)
        assert read_json(str(path)) == (json.loads(readable), None)

"""The journal's file handling: atomic writes, corrupt files moved aside, the lock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from kzguard.errors import StateError
from kzguard.journal import (
    HISTORY_RUNS,
    Journal,
    ensure_state_dir,
    exclusive_lock,
    load_history,
    read_json,
    save_history,
    write_atomically,
)
from kzguard.plan import PastRun


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


def test_read_json_missing_corrupt_symlink_and_non_object(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "time.gmtime",
        lambda *_: __import__("time").struct_time((2026, 11, 25, 18, 0, 0, 2, 329, 0)),
    )
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
    journal.begin_cycle({"kind": "stop", "zones": {}})
    names = [f"kz{n}" for n in range(40)]

    def walk(name: str) -> None:
        for state in ("suspending", "suspended"):
            journal.transition(name, state, seconds=1.5)

    threads = [threading.Thread(target=walk, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    on_disk = json.loads((tmp_path / "journal.json").read_text())
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
    assert journal.document == {"format": 1}
    journal.update(armed=True)
    assert json.loads((tmp_path / "journal.json").read_text()) == {"format": 1, "armed": True}


def test_a_journal_without_a_directory_keeps_its_record_in_memory() -> None:
    journal = Journal(None)
    journal.begin_cycle({"zones": {}})
    journal.transition("kz1", "suspended")
    assert journal.cycle is not None
    assert journal.cycle["zones"]["kz1"]["state"] == "suspended"


def test_zone_records_need_a_cycle(tmp_path: Path) -> None:
    with pytest.raises(StateError):
        Journal(str(tmp_path)).transition("kz1", "suspending")
    with pytest.raises(StateError):
        Journal(str(tmp_path)).set_cycle(finished=1.0)


def test_history_is_bounded_per_zone_and_keeps_the_most_recent_zones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kzguard.journal.HISTORY_ZONES", 2)
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
        [sys.executable, "-c", "import sys, time; from kzguard.journal import exclusive_lock\n"
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

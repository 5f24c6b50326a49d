"""The journal file is the document, however its zone records were cached."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from kzguard.journal.document import (
    ArmedRecord,
    JournalDocument,
    ResumedZone,
    StartRecord,
    StopCycle,
)
from kzguard.journal.pace_record import PaceRecord
from kzguard.journal.records import (
    BootTimeEvidence,
    Severity,
    StartOutcome,
    Transition,
    ZoneRecord,
    ZoneState,
)
from kzguard.journal.store import JOURNAL_NAME, Journal, _ZonesText, read_journal_json


def _on_disk(state_dir: Path) -> object:
    """journal.json with journal.changes applied, as every reader reads it."""
    return read_journal_json(str(state_dir))[0]


def _cycle(names: list[str]) -> StopCycle:
    planned = ZoneRecord(ZoneState.PLANNED, (Transition(ZoneState.PLANNED, 1.5),))
    return StopCycle(
        started=1.5,
        policy="/etc/kzguard/policy.toml",
        zones=dict.fromkeys(names, planned),
    )


def test_every_flush_writes_exactly_the_document(tmp_path: Path) -> None:
    journal = Journal(str(tmp_path))
    journal.commit(lambda document: dataclasses.replace(document, armed=ArmedRecord(policy="p")))
    assert _on_disk(tmp_path) == {
        "format": 1,
        "armed": {"host_boot_time": None, "time": None, "running": [], "policy": "p"},
    }
    names = [f"kz{index}" for index in range(12)]
    journal.begin_cycle(_cycle(names))
    assert _on_disk(tmp_path) == journal.document.to_json()
    for step in range(60):
        name = names[(step * 7) % len(names)]
        if step % 3 == 0:
            journal.record_boot_time(name, BootTimeEvidence(None, 'quote " and \\ and \n'))
        else:
            state = (ZoneState.SUSPENDING, ZoneState.SUSPENDED)[step % 2]
            journal.transition(name, state, seconds=step)
        if step % 17 == 0:
            journal.finish_cycle(f"step {step}")
        assert _on_disk(tmp_path) == journal.document.to_json()
        assert JournalDocument.from_json(_on_disk(tmp_path)) == journal.document  # type: ignore[arg-type]
    assert _on_disk(tmp_path)["cycle"]["zones"]["kz3"]["transitions"][0] == {  # type: ignore[index]
        "state": "planned",
        "time": 1.5,
    }


def test_a_whole_document_change_re_encodes_every_zone(tmp_path: Path) -> None:
    journal = Journal(str(tmp_path))
    journal.begin_cycle(_cycle(["kz1", "kz2"]))
    journal.transition("kz1", ZoneState.SUSPENDING)

    def fail_every_zone(document: JournalDocument) -> JournalDocument:
        assert document.cycle is not None
        zones = {
            name: dataclasses.replace(record, state=ZoneState.FAILED)
            for name, record in document.cycle.zones.items()
        }
        return dataclasses.replace(document, cycle=dataclasses.replace(document.cycle, zones=zones))

    journal.commit(fail_every_zone)
    zones = _on_disk(tmp_path)["cycle"]["zones"]  # type: ignore[index]
    assert [zones[name]["state"] for name in ("kz1", "kz2")] == ["failed", "failed"]


def test_a_cycle_without_zones(tmp_path: Path) -> None:
    journal = Journal(str(tmp_path))
    journal.begin_cycle(StopCycle(kind="stop"))
    assert (tmp_path / JOURNAL_NAME).read_text(encoding="utf-8") == (
        '{"format":1,"cycle":{"kind":"stop","started":null,"finished":null,"policy":null,'
        '"deadline":null,"trigger":null,"host_boot_time":null,"skipped":{},"serial":1,"zones":{}}}'
    )


def _compact(document: JournalDocument) -> str:
    return json.dumps(document.to_json(), separators=(",", ":"))


def test_the_start_record_s_zones_are_cached_and_written_exactly(tmp_path: Path) -> None:
    journal = Journal(str(tmp_path))
    journal.begin_cycle(_cycle(["kz1", "kz2", "kz3"]))
    journal.begin_start(StartRecord(host_boot_time=7, started=2.5, note='a "note"'))
    text = (tmp_path / JOURNAL_NAME).read_text(encoding="utf-8")
    assert text == _compact(journal.document)
    assert '"resume":{"host_boot_time":7,"started":2.5,' in text
    assert '"zones":{},"pace"' not in text
    for step, name in enumerate(["kz2", "kz1", "kz2", "kz3"]):
        severity = Severity.OK if step % 2 else Severity.ERROR
        journal.record_start_outcome(StartOutcome(name, f"result {step}", severity, 1.0 + step))
        assert _on_disk(tmp_path) == journal.document.to_json()
    # An outcome is appended to journal.changes; journal.json is rewritten only by
    # what is not one zone's record (here the pace), exactly the document again.
    assert (tmp_path / JOURNAL_NAME).read_text(encoding="utf-8") == text
    journal.record_pace("resume", PaceRecord(parallel=2, start=2, why="pinned", peak=2))
    text = (tmp_path / JOURNAL_NAME).read_text(encoding="utf-8")
    assert text == _compact(journal.document)
    resumed = _on_disk(tmp_path)["resume"]["zones"]  # type: ignore[index]
    assert [(name, entry["result"]) for name, entry in resumed.items()] == [
        ("kz2", "result 2"),
        ("kz1", "result 1"),
        ("kz3", "result 3"),
    ]


def test_unknown_keys_and_odd_text_are_written_in_their_place(tmp_path: Path) -> None:
    journal = Journal(str(tmp_path))
    odd = '\x00zones\x00 \u00e9 "'
    journal.commit(lambda document: dataclasses.replace(document, extra={"odd": odd}))
    journal.begin_start(StartRecord(host_boot_time=7))
    journal.record_start_outcome(StartOutcome("kz1", "resumed", Severity.OK, detail=odd))
    journal.begin_cycle(_cycle(["kz1"]))
    text = (tmp_path / JOURNAL_NAME).read_text(encoding="utf-8")
    assert text == _compact(journal.document)
    written = json.loads(text)
    assert list(written) == ["format", "odd", "resume", "cycle"]
    assert written["odd"] == odd
    assert {name: zone["detail"] for name, zone in written["resume"]["zones"].items()} == {
        "kz1": odd
    }


def test_each_resumed_zone_is_encoded_once_per_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every outcome rewrites the journal; re-encoding every zone's record at each
    # write made the start method's CPU grow with the square of the zones (bench/).
    encoded: list[str] = []
    to_json = ResumedZone.to_json

    def counted(zone: ResumedZone) -> dict[str, object]:
        encoded.append(zone.result)
        return to_json(zone)

    monkeypatch.setattr(ResumedZone, "to_json", counted)
    journal = Journal(str(tmp_path))
    journal.begin_start(StartRecord(host_boot_time=7, started=2.5))
    for step in range(20):
        journal.record_start_outcome(StartOutcome(f"kz{step % 8}", f"r{step}", Severity.OK, 1.0))
    assert encoded == [f"r{step}" for step in range(20)]
    resumed = _on_disk(tmp_path)["resume"]["zones"]  # type: ignore[index]
    assert [resumed[f"kz{index}"]["result"] for index in range(8)] == [
        *(f"r{16 + index}" for index in range(4)),
        *(f"r{8 + index}" for index in range(4, 8)),
    ]


def test_a_mapping_seen_before_is_not_joined_again() -> None:
    # A stop never changes the resume record, a start hardly the cycle: their zones
    # are the same mapping write after write (each change makes a new one).
    texts: _ZonesText[ResumedZone] = _ZonesText()
    zones = {f"kz{index}": ResumedZone(f"r{index}", Severity.OK, 1.0) for index in range(3)}
    first = texts.encoded(zones)
    assert texts.encoded(zones) is first
    assert json.loads(first) == {name: zone.to_json() for name, zone in zones.items()}
    changed = {**zones, "kz1": ResumedZone("again", Severity.ERROR, 2.0)}
    second = texts.encoded(changed)
    assert json.loads(second) == {name: zone.to_json() for name, zone in changed.items()}
    assert list(json.loads(second)) == ["kz0", "kz1", "kz2"]
    assert texts.encoded(zones) == first  # the old mapping again: joined anew, the same text

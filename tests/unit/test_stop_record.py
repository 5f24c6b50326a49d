"""Which of the stop executor's journal writes wait for the disk (stop/record.py)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from kzguard.journal.document import StopCycle
from kzguard.journal.records import BootTimeEvidence, ZoneState
from kzguard.journal.store import Journal, read_journal
from kzguard.policy.model import Action
from kzguard.stop import record as record_module
from kzguard.stop.record import StopRecord
from tests.unit.fakes import CountingCondition


def on_disk(tmp_path: Path) -> dict[str, tuple[str | None, BootTimeEvidence | None]]:
    document, problem = read_journal(str(tmp_path))
    assert problem is None
    assert document is not None
    assert document.cycle is not None
    return {
        name: (zone.state.value if isinstance(zone.state, ZoneState) else None, zone.boot_time)
        for name, zone in document.cycle.zones.items()
    }


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    journal = Journal(str(tmp_path))
    journal.begin_cycle(StopCycle(started=1.0))
    return journal


def test_an_intent_is_on_disk_when_it_returns_and_carries_what_came_before(
    tmp_path: Path, journal: Journal
) -> None:
    failures: list[str] = []
    record = StopRecord(journal, failures.append)  # no flusher started
    record.transition("kz1", ZoneState.SUSPENDING, step=Action.SUSPEND, timeout=60.0)
    assert on_disk(tmp_path) == {"kz1": ("suspending", None)}
    record.boot_time("kz2", BootTimeEvidence(1_700_000_000))
    record.transition("kz1", ZoneState.SUSPENDED, seconds=10.0)
    # Learnt after the fact: in memory only, until the next intent.
    assert journal.pending
    assert on_disk(tmp_path) == {"kz1": ("suspending", None)}
    record.transition("kz2", ZoneState.SUSPENDING, step=Action.SUSPEND, timeout=60.0)
    assert not journal.pending
    assert on_disk(tmp_path) == {
        "kz1": ("suspended", None),
        "kz2": ("suspending", BootTimeEvidence(1_700_000_000)),
    }
    assert failures == []


def test_the_flusher_writes_a_result_no_intent_carried_and_close_writes_the_rest(
    tmp_path: Path, journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(record_module, "FLUSH_DELAY", 0.05)
    record = StopRecord(journal, lambda message: None)
    record.start()
    record.transition("kz1", ZoneState.SUSPENDING, step=Action.SUSPEND, timeout=60.0)
    record.transition("kz1", ZoneState.SUSPENDED, seconds=10.0)
    limit = time.monotonic() + 5.0
    while journal.pending and time.monotonic() < limit:
        time.sleep(0.01)
    assert on_disk(tmp_path) == {"kz1": ("suspended", None)}
    # Not poked by evidence alone: its zone's intent carries it; close() at the end.
    record.boot_time("kz2", BootTimeEvidence(None, "zlogin: refused"))
    time.sleep(0.1)
    assert on_disk(tmp_path) == {"kz1": ("suspended", None)}
    record.close()
    assert on_disk(tmp_path)["kz2"] == (None, BootTimeEvidence(None, "zlogin: refused"))
    # After the run, a late result is written at once.
    record.transition("kz1", ZoneState.FAILED, reason="late")
    assert not journal.pending
    assert on_disk(tmp_path)["kz1"] == ("failed", None)


def test_a_journal_that_cannot_be_written_is_reported_once(tmp_path: Path) -> None:
    journal = Journal(str(tmp_path / "missing"))
    failures: list[str] = []
    record = StopRecord(journal, failures.append)
    record.write(lambda: journal.begin_cycle(StopCycle(started=1.0)))
    record.transition("kz1", ZoneState.SUSPENDING, step=Action.SUSPEND, timeout=60.0)
    record.transition("kz2", ZoneState.SUSPENDING, step=Action.SUSPEND, timeout=60.0)
    assert len(failures) == 1
    assert failures[0].startswith(f"journal not written: {tmp_path / 'missing'}/journal.json")


def test_results_made_in_the_flushers_delay_wake_it_no_more_and_go_in_its_flush(
    tmp_path: Path, journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Long enough that the second result surely comes within the first's delay.
    monkeypatch.setattr(record_module, "FLUSH_DELAY", 0.5)
    record = StopRecord(journal, lambda message: None)
    condition = CountingCondition()
    record._condition = condition
    for name in ("kz1", "kz2", "kz3"):
        record.transition(name, ZoneState.SUSPENDING, step=Action.SUSPEND, timeout=60.0)
    record.start()
    limit = time.monotonic() + 5.0
    while not record._idle and time.monotonic() < limit:
        time.sleep(0.01)
    record.transition("kz1", ZoneState.SUSPENDED, seconds=10.0)  # wakes the flusher
    record.transition("kz2", ZoneState.SUSPENDED, seconds=11.0)  # in its delay
    assert condition.notified == 1
    while journal.pending and time.monotonic() < limit:
        time.sleep(0.01)
    assert on_disk(tmp_path) == {
        "kz1": ("suspended", None),
        "kz2": ("suspended", None),
        "kz3": ("suspending", None),
    }
    while not record._idle and time.monotonic() < limit:
        time.sleep(0.01)
    record.transition("kz3", ZoneState.SUSPENDED, seconds=12.0)  # the next round's
    while journal.pending and time.monotonic() < limit:
        time.sleep(0.01)
    assert on_disk(tmp_path)["kz3"] == ("suspended", None)
    assert condition.notified == 2
    record.close()

"""The journal file is the document, however its zone records were cached."""

from __future__ import annotations

import json
from pathlib import Path

from kzguard.journal.store import JOURNAL_NAME, Journal


def _on_disk(state_dir: Path) -> object:
    return json.loads((state_dir / JOURNAL_NAME).read_text(encoding="utf-8"))


def _cycle(names: list[str]) -> dict[str, object]:
    return {
        "kind": "stop",
        "started": 1.5,
        "policy": "/etc/kzguard/policy.toml",
        "zones": {
            name: {"state": "planned", "transitions": [{"state": "planned", "time": 1.5}]}
            for name in names
        },
    }


def test_every_flush_writes_exactly_the_document(tmp_path: Path) -> None:
    journal = Journal(str(tmp_path))
    journal.update(armed={"policy": "p"})
    assert _on_disk(tmp_path) == {"format": 1, "armed": {"policy": "p"}}
    names = [f"kz{index}" for index in range(12)]
    journal.begin_cycle(_cycle(names))
    assert _on_disk(tmp_path) == journal.document
    for step in range(60):
        name = names[(step * 7) % len(names)]
        if step % 3 == 0:
            journal.set_zone(name, boot_time=step, note='quote " and \\ and \n')
        else:
            journal.transition(name, ("suspending", "suspended")[step % 2], seconds=step)
        if step % 17 == 0:
            journal.set_cycle(summary=f"step {step}")
        assert _on_disk(tmp_path) == journal.document
    assert _on_disk(tmp_path)["cycle"]["zones"]["kz3"]["transitions"][0] == {  # type: ignore[index]
        "state": "planned",
        "time": 1.5,
    }


def test_a_whole_document_change_re_encodes_every_zone(tmp_path: Path) -> None:
    journal = Journal(str(tmp_path))
    journal.begin_cycle(_cycle(["kz1", "kz2"]))
    journal.transition("kz1", "suspending")

    def rename_state(document: dict[str, object]) -> None:
        for zone in document["cycle"]["zones"].values():  # type: ignore[index]
            zone["state"] = "resumed"

    journal.commit(rename_state)
    zones = _on_disk(tmp_path)["cycle"]["zones"]  # type: ignore[index]
    assert [zones[name]["state"] for name in ("kz1", "kz2")] == ["resumed", "resumed"]


def test_a_cycle_without_zones_and_an_empty_head(tmp_path: Path) -> None:
    journal = Journal(str(tmp_path))
    journal.commit(lambda document: document.clear())
    journal.commit(lambda document: document.update(cycle={"zones": {}}))
    assert (tmp_path / JOURNAL_NAME).read_text(encoding="utf-8") == '{"cycle":{"zones":{}}}'
    journal.commit(lambda document: document.update(cycle={"zones": "odd"}))
    assert _on_disk(tmp_path) == {"cycle": {"zones": "odd"}}

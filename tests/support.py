"""What the tests of every directory share about simulated hosts: the simulated rates
fast enough for whole shutdown and boot cycles, and the one way a test writes a
host's policy file.  The ``host`` and ``make_host`` fixtures are in tests/conftest.py."""

from __future__ import annotations

import json
import os
from typing import Any

from kzguard.journal.store import JOURNAL_NAME, read_journal_json
from kzguard.sim.create import policy_text
from kzguard.sim.state import SimHost

# Simulated rates for tests that run whole shutdown/boot cycles through the methods:
# short enough that a cycle costs about what kzguard's own processes cost.
FAST_RATES: dict[str, float] = {
    "suspend_rate": float(4 << 30),
    "storage_bandwidth": float(16 << 30),
    "resume_rate": float(4 << 30),
    "read_bandwidth": float(16 << 30),
    "op_overhead": 0.5,
    "boot_seconds": 5.0,
    "shutdown_seconds": 5.0,
    "halt_seconds": 1.0,
    "milestone_seconds": 2.0,
    "resume_milestone_seconds": 2.0,
}


def set_rates(host: SimHost, **rates: float) -> None:
    """Replace some of ``host``'s simulated rates (the rest stay as they are)."""
    with host.edit() as state:
        state["rates"].update(rates)


def write_policy(
    host: SimHost,
    text: str = "",
    *,
    assumed_rate: str | None = "64G",
    stagger: str | None = "0s",
    mode: int = 0o644,
    **paths: str | os.PathLike[str],
) -> None:
    """Write ``host``'s policy file (mode ``mode``): the host's own policy as
    create_host writes it (its command paths and state directory; ``paths`` replaces
    any of them, e.g. ``zoneadm=WRAPPER`` or ``state_dir=DIRECTORY``), then, after a
    blank line, ``text``.

    Unless ``text`` sets them itself or the keyword is None, two settings go first:
    shutdown.assumed_rate, since the simulated storage is fast and the planner would
    otherwise predict the suspends from its cautious default rate and demote them; and
    resume.stagger, so that the boots are not staggered unless the test says so."""
    tables = {"shutdown": ("assumed_rate", assumed_rate), "resume": ("stagger", stagger)}
    for table, (key, value) in tables.items():
        if value is None:
            continue
        line = f"{key} = {json.dumps(value)}\n"
        if f"[{table}]\n" in text:
            if key not in text:
                text = text.replace(f"[{table}]\n", f"[{table}]\n{line}")
        else:
            text = f"[{table}]\n{line}{text}"
    own = own_policy(host, **paths)
    host.policy_path.write_text(own + "\n" + text if text else own, encoding="utf-8")
    os.chmod(host.policy_path, mode)


def own_policy(host: SimHost, **paths: str | os.PathLike[str]) -> str:
    """The policy create_host writes for ``host``, with the command paths and the
    state directory ``paths`` names replaced."""
    lines = policy_text(host).split("\n")
    for key, value in paths.items():
        found = [n for n, line in enumerate(lines) if line.startswith(f"{key} = ")]
        if len(found) != 1:
            raise KeyError(f"{key}: not a command path or the state directory")
        lines[found[0]] = f"{key} = {json.dumps(os.fspath(value))}"
    return "\n".join(lines)


def journal(host: SimHost) -> dict[str, Any]:
    """The host's journal as kzguard reads it (journal.json with journal.changes
    applied), changing nothing; FileNotFoundError while there is none yet."""
    document, problem = read_journal_json(str(host.state_dir), move_aside=False)
    if document is None:
        raise FileNotFoundError(problem or str(host.state_dir / JOURNAL_NAME))
    return document

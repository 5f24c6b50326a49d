"""Stop plans for the executor's tests (test_stop_run, test_promote): zones to walk,
with the same timeouts everywhere."""

from __future__ import annotations

from kzguard.policy.model import Action
from kzguard.stop.plan import ZonePlan

G = 1 << 30
SUSPEND, SHUTDOWN, HALT = Action.SUSPEND, Action.SHUTDOWN, Action.HALT
CHAIN = (SUSPEND, SHUTDOWN, HALT)
TIMEOUTS = {SUSPEND: 60.0, SHUTDOWN: 30.0, HALT: 10.0}


def zone_plan(
    name: str,
    *steps: Action,
    timeouts: tuple[float, ...] = (),
    waits_for: tuple[str, ...] = (),
    note: str = "",
    memory: int | None = 4 * G,
    expected: float = 10.0,
) -> ZonePlan:
    """Zone ``name`` walking ``steps`` (the whole chain by default) with TIMEOUTS."""
    steps = steps or CHAIN
    return ZonePlan(
        name=name,
        steps=steps,
        timeouts=timeouts or tuple(TIMEOUTS[step] for step in steps),
        memory=memory,
        expected=expected,
        basis="test",
        waits_for=waits_for,
        note=note,
    )


def taken(name: str, *steps: Action, memory: int = 16 * G, note: str = "") -> ZonePlan:
    """Zone ``name`` whose suspend the plan's budget fit took (stop/plan.py
    _fit_budget), planned to ``steps`` (shutdown, halt by default)."""
    return ZonePlan(
        name=name,
        steps=steps or (SHUTDOWN, HALT),
        timeouts=tuple(TIMEOUTS[step] for step in steps or (SHUTDOWN, HALT)),
        memory=memory,
        expected=30.0,
        basis="test",
        waits_for=(),
        note=note,
        chain_if_fits=tuple((step, TIMEOUTS[step]) for step in CHAIN),
    )

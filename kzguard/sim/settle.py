"""Bookkeeping run on every state edit.

:func:`settle` brings transfers up to now and cleans up after zoneadm processes
that died mid-operation.  In the simulator an operation lives in its zoneadm
process, so killing zoneadm aborts it.  On Solaris the work is done by zoneadmd
and may well go on after the client dies (UNCONFIRMED); kzguard must not rely on
either, and re-reads the zone state after killing a command.

:func:`refresh_derived` keeps the SMF entries that mirror other state in step.
"""

from __future__ import annotations

from kzguard.sim import smfrepo, transfers, transitions

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    State = dict[str, Any]


def _reap(state: State, zone: dict[str, Any]) -> None:
    op = zone["op"]
    kind = op["kind"]
    transitions.cancel_op(state, zone)
    if kind == "shutdown":
        # The zone stays wedged in shutting_down, as a zone whose shutdown hung
        # does on Solaris (docs/solaris.md 1.1) until someone halts it.
        return
    if kind in ("boot", "resume", "reboot", "halt"):
        transitions.make_installed(state, zone)
    # An abandoned suspend leaves the zone running: its memory was never released.


def settle(state: State, now: float) -> None:
    transfers.sync(state, now)
    for zone in state["zones"].values():
        op = zone["op"]
        if op is not None and not transitions.pid_alive(int(op["pid"])):
            _reap(state, zone)


def refresh_derived(state: State) -> None:
    smfrepo.sync(state)

"""Image transfers in flight, kept in the shared state so separate zoneadm
processes share the storage bandwidth (:mod:`kzguard.sim.timing`): suspends the
write pool, resumes the read pool (:func:`kzguard.sim.storage.pools`).

Every change to the set of transfers first advances all of them to "now" at the
rates the old set had (:func:`sync`), so the recorded progress is exact however
the set changes; a waiting process then predicts its own finish from the current
set alone, sleeps until then and looks again.
"""

from __future__ import annotations

from kzguard.sim import storage, timing

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    State = dict[str, Any]


def _flows(state: State) -> list[timing.Flow]:
    return [
        timing.Flow(t["remaining"], t["cap"], storage.pool_of(t["kind"]))
        for t in state["io"]["transfers"]
    ]


def sync(state: State, now: float) -> None:
    """Advance every transfer to ``now`` (real epoch seconds)."""
    io = state["io"]
    elapsed = max(0.0, now - io["updated"]) / state["time_scale"]
    if not io["transfers"]:
        # Idle storage has nothing to advance; leaving ``updated`` alone lets a
        # read-only command leave the state file unwritten (register moves it on).
        return
    if elapsed > 0:
        remaining = timing.advance(_flows(state), storage.pools(state["rates"]), elapsed)
        for transfer, left in zip(io["transfers"], remaining):
            transfer["remaining"] = left
    io["updated"] = max(now, io["updated"])


def register(
    state: State, now: float, *, op_id: str, zone: str, pid: int, kind: str, nbytes: int, cap: float
) -> None:
    """Start a transfer of ``nbytes`` at no more than ``cap`` bytes/simulated second."""
    sync(state, now)
    state["io"]["updated"] = max(now, state["io"]["updated"])
    state["io"]["transfers"].append(
        {
            "op_id": op_id,
            "zone": zone,
            "pid": pid,
            "kind": kind,
            "bytes": nbytes,
            "remaining": float(nbytes),
            "cap": cap,
        }
    )


def find(state: State, op_id: str) -> dict[str, Any] | None:
    for transfer in state["io"]["transfers"]:
        if transfer["op_id"] == op_id:
            return transfer  # type: ignore[no-any-return]
    return None


def remove(state: State, op_id: str) -> None:
    """Forget the transfer ``op_id`` (finished, failed or cancelled)."""
    io = state["io"]
    io["transfers"] = [t for t in io["transfers"] if t["op_id"] != op_id]


def finish_at(state: State, now: float, op_id: str) -> float | None:
    """Return the real time transfer ``op_id`` finishes if nothing else starts, or
    None if there is no such transfer.  Call after :func:`sync` to ``now``."""
    transfers = state["io"]["transfers"]
    for index, transfer in enumerate(transfers):
        if transfer["op_id"] == op_id:
            times = timing.finish_times(_flows(state), storage.pools(state["rates"]))
            return now + times[index] * float(state["time_scale"])
    return None

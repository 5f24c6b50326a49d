"""Image transfers in flight, kept in the shared state so separate zoneadm
processes share the storage bandwidth (:mod:`kzguard.sim.timing`): suspends the
write pool, resumes the read pool (:func:`kzguard.sim.storage.pools`).

Every change to the set of transfers first advances all of them to "now" at the
rates the old set had (:func:`sync`), so the recorded progress is exact however
the set changes; a waiting process then predicts its own finish from the current
set alone, sleeps until then and looks again.

A transfer also names the ZFS pool holding its image (``zpool``, None for storage
on no local pool): every byte :func:`sync` advances it by, and the bytes it still
has when it completes (:func:`complete`), are counted on that pool, a suspend's as
writes and a resume's as reads (:mod:`kzguard.sim.zfs`), for ``zpool iostat``.
"""

from __future__ import annotations

from kzguard.sim import storage, timing, zfs

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
            _count(state, transfer, float(transfer["remaining"]) - left)
            transfer["remaining"] = left
    io["updated"] = max(now, io["updated"])


def _count(state: State, transfer: dict[str, Any], moved: float) -> None:
    pool = transfer.get("zpool")  # transfers registered before pools were modelled: none
    if pool is not None:
        zfs.count(state, pool, transfer["kind"], moved)


def register(
    state: State,
    now: float,
    *,
    op_id: str,
    zone: str,
    pid: int,
    kind: str,
    nbytes: int,
    cap: float,
    zpool: str | None = None,
) -> None:
    """Start a transfer of ``nbytes`` at no more than ``cap`` bytes/simulated second
    to or from an image on the ZFS pool ``zpool`` (None: on no local pool)."""
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
            "zpool": zpool,
        }
    )


def find(state: State, op_id: str) -> dict[str, Any] | None:
    for transfer in state["io"]["transfers"]:
        if transfer["op_id"] == op_id:
            return transfer  # type: ignore[no-any-return]
    return None


def remove(state: State, op_id: str) -> None:
    """Forget the transfer ``op_id`` (failed or cancelled: what it had left was
    never moved)."""
    io = state["io"]
    io["transfers"] = [t for t in io["transfers"] if t["op_id"] != op_id]


def complete(state: State, op_id: str) -> None:
    """The transfer ``op_id`` has moved its last bytes: count what it still had
    (a waiting zoneadm calls it done a little before the model's end:
    kzguard.sim.lifecycle FINISH_SLACK) and forget it."""
    transfer = find(state, op_id)
    if transfer is not None:
        _count(state, transfer, float(transfer["remaining"]))
    remove(state, op_id)


def finish_at(state: State, now: float, op_id: str) -> float | None:
    """Return the real time transfer ``op_id`` finishes if nothing else starts, or
    None if there is no such transfer.  Call after :func:`sync` to ``now``."""
    transfers = state["io"]["transfers"]
    for index, transfer in enumerate(transfers):
        if transfer["op_id"] == op_id:
            times = timing.finish_times(_flows(state), storage.pools(state["rates"]))
            return now + times[index] * float(state["time_scale"])
    return None

"""The fluid transfer model, with numbers worked out by hand."""

from __future__ import annotations

import pytest

from kzguard.sim import timing, transfers
from kzguard.sim.timing import Flow


def test_one_flow_runs_at_its_own_cap_when_storage_is_faster() -> None:
    assert timing.finish_times([Flow(100, 60)], 1000) == [pytest.approx(100 / 60)]


def test_one_flow_is_held_to_the_storage_bandwidth() -> None:
    assert timing.finish_times([Flow(100, 60)], 50) == [pytest.approx(2.0)]


def test_equal_flows_share_the_bandwidth_equally() -> None:
    # 4 x 200 bytes, each could do 100/s, storage gives 200/s: 50/s each -> 4 s.
    flows = [Flow(200, 100)] * 4
    assert timing.rates(flows, 200) == [50, 50, 50, 50]
    assert timing.finish_times(flows, 200) == [pytest.approx(4.0)] * 4


def test_a_finished_flow_frees_its_share_for_the_others() -> None:
    # Both at 50/s; the short one is done at 1 s, the long one then runs at 100/s
    # for its remaining 50 bytes: 0.5 s more.
    assert timing.finish_times([Flow(100, 100), Flow(50, 100)], 100) == [
        pytest.approx(1.5),
        pytest.approx(1.0),
    ]


def test_cap_limits_a_flow_even_when_alone_after_the_others_finish() -> None:
    # 3 flows capped at 40/s on 90/s storage: 30/s each until the 30-byte one
    # ends at 1 s; then 40/s each (the cap, not 45); the 70-byte one has 40 left
    # -> done at 2 s; the 200-byte one has 170 left at 1 s, 130 at 2 s, then
    # alone still at its cap of 40/s -> 3.25 s more.
    times = timing.finish_times([Flow(200, 40), Flow(30, 40), Flow(70, 40)], 90)
    assert times == [pytest.approx(5.25), pytest.approx(1.0), pytest.approx(2.0)]


def test_advance_moves_flows_and_accounts_for_completions_on_the_way() -> None:
    assert timing.advance([Flow(100, 100), Flow(50, 100)], 100, 1.2) == [
        pytest.approx(30.0),
        0.0,
    ]


def test_advance_by_zero_changes_nothing_and_finished_flows_stay_finished() -> None:
    assert timing.advance([Flow(10, 5), Flow(0, 5)], 100, 0) == [10, 0]
    assert timing.rates([Flow(0, 5)], 100) == [0.0]
    assert timing.finish_times([Flow(0, 5)], 100) == [0.0]


@pytest.mark.parametrize(("cap", "bandwidth"), [(0, 10), (10, 0), (-1, 10)])
def test_non_positive_rates_are_refused(cap: float, bandwidth: float) -> None:
    with pytest.raises(ValueError, match="must be positive"):
        timing.finish_times([Flow(10, cap)], bandwidth)


def _state(scale: float) -> dict[str, object]:
    return {
        "time_scale": scale,
        "rates": {"storage_bandwidth": 100.0},
        "io": {"updated": 1000.0, "transfers": []},
    }


def test_transfers_in_state_progress_in_real_time_scaled() -> None:
    state = _state(0.5)  # one simulated second takes half a real second
    transfers.register(state, 1000.0, op_id="a", zone="kz1", pid=1, kind="x", nbytes=100, cap=100)
    assert transfers.finish_at(state, 1000.0, "a") == pytest.approx(1000.5)
    transfers.register(state, 1000.25, op_id="b", zone="kz2", pid=2, kind="x", nbytes=100, cap=100)
    # "a" moved 50 bytes alone; now both at 50/s: "a" needs 1 s, "b" needs 2 s
    # less what it can do alone after "a" ends (50 bytes left at 100/s: 0.5 s).
    assert transfers.find(state, "a") == {
        "op_id": "a",
        "zone": "kz1",
        "pid": 1,
        "kind": "x",
        "bytes": 100,
        "remaining": pytest.approx(50.0),
        "cap": 100,
    }
    assert transfers.finish_at(state, 1000.25, "a") == pytest.approx(1000.75)
    assert transfers.finish_at(state, 1000.25, "b") == pytest.approx(1001.0)
    transfers.remove(state, "a")
    assert transfers.find(state, "a") is None
    assert transfers.finish_at(state, 1000.25, "a") is None

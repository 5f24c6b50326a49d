"""The fluid transfer model, with numbers worked out by hand."""

from __future__ import annotations

import random
from typing import Any

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


def _state(scale: float) -> dict[str, Any]:
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
        "zpool": None,
    }
    assert transfers.finish_at(state, 1000.25, "a") == pytest.approx(1000.75)
    assert transfers.finish_at(state, 1000.25, "b") == pytest.approx(1001.0)
    transfers.remove(state, "a")
    assert transfers.find(state, "a") is None
    assert transfers.finish_at(state, 1000.25, "a") is None


# The loss beyond saturation (docs/solaris.md 14): bandwidth 100, saturation 2,
# loss 0.25 per stream beyond, floor 0.5.
LOSSY = timing.Storage(100.0, saturation=2, loss=0.25, floor=0.5)


@pytest.mark.parametrize(
    ("streams", "expected"),
    [(0, 100.0), (1, 100.0), (2, 100.0), (3, 80.0), (4, 100 / 1.5), (6, 50.0), (40, 50.0)],
)
def test_the_aggregate_falls_beyond_saturation_down_to_the_floor(
    streams: int, expected: float
) -> None:
    assert timing.aggregate(LOSSY, streams) == pytest.approx(expected)


def test_without_a_floor_the_aggregate_keeps_falling() -> None:
    assert timing.aggregate(timing.Storage(100.0, 2, 0.25), 10) == pytest.approx(100 / 3)


def test_lossy_streams_share_the_reduced_aggregate_and_recover_as_they_finish() -> None:
    # 3 x 80 bytes capped at 60/s: aggregate(3) = 80, 26.67/s each; all end at 3 s.
    assert timing.rates([Flow(80, 60)] * 3, LOSSY) == [pytest.approx(80 / 3)] * 3
    assert timing.finish_times([Flow(80, 60)] * 3, LOSSY) == [pytest.approx(3.0)] * 3
    # 40, 80 and 80 bytes: 26.67/s each until the short one ends at 1.5 s (40 left
    # each), then two streams get the whole 100/s, 50/s each: 0.8 s more.
    assert timing.finish_times([Flow(40, 60), Flow(80, 60), Flow(80, 60)], LOSSY) == [
        pytest.approx(1.5),
        pytest.approx(2.3),
        pytest.approx(2.3),
    ]


def test_one_at_a_time_and_all_at_once_both_lose_to_the_saturation_point() -> None:
    # Six 60-byte transfers capped at 50/s on LOSSY storage: one at a time 6 x 1.2 s;
    # all at once 360 bytes at aggregate(6) = 50/s; two at a time 3 x 1.2 s.
    one = 6 * timing.finish_times([Flow(60, 50)], LOSSY)[0]
    every = max(timing.finish_times([Flow(60, 50)] * 6, LOSSY))
    two = 3 * max(timing.finish_times([Flow(60, 50)] * 2, LOSSY))
    assert (one, every, two) == pytest.approx((7.2, 7.2, 3.6))


def test_a_flow_capped_below_its_share_leaves_the_rest_to_the_others() -> None:
    # 100/s for 3 flows: the one capped at 10 takes 10, the others 45 each.
    flows = [Flow(100, 10), Flow(100, 60), Flow(100, 60)]
    assert timing.rates(flows, 100.0) == [10.0, 45.0, 45.0]


def test_reads_and_writes_use_their_own_pools() -> None:
    write, read = timing.Storage(100.0, 2, 0.25, 0.5), timing.Storage(300.0, 2, 0.5)
    flows = [
        Flow(100, 80, 0),
        Flow(100, 80, 0),
        Flow(300, 200, 1),
        Flow(300, 200, 1),
        Flow(1, 1, 1),
    ]
    # Writes: 2 streams, 50/s each.  Reads: 3 streams, aggregate 300 / 1.5 = 200;
    # the 1/s one takes 1, the other two split 199.
    assert timing.rates(flows, (write, read)) == [50.0, 50.0, 99.5, 99.5, 1.0]
    assert timing.advance(flows[:2], (write, read), 1.0) == [pytest.approx(50.0)] * 2


@pytest.mark.parametrize(
    ("storage", "message"),
    [
        (timing.Storage(100.0, saturation=0.5), "saturation must be at least 1 stream"),
        (timing.Storage(100.0, loss=-0.1), "loss must not be negative"),
        (timing.Storage(100.0, floor=1.5), "floor must be between 0 and 1"),
        ((timing.Storage(0.0),), "bandwidth must be positive"),
    ],
)
def test_bad_storage_is_refused(storage: timing.Pools, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        timing.rates([Flow(10, 5)], storage)


def test_a_flow_in_a_pool_that_does_not_exist_is_refused() -> None:
    with pytest.raises(ValueError, match=r"transfer pool 1 does not exist \(1 pools\)"):
        timing.rates([Flow(10, 5, 1)], 100.0)


def test_resumes_in_the_state_share_the_read_side_with_its_loss() -> None:
    state = _state(1.0)
    state["rates"] = {
        "storage_bandwidth": 100.0,
        "storage_saturation": 1.0,
        "storage_loss": 1.0,
        "read_bandwidth": 300.0,
        "read_saturation": 1.0,
        "read_loss": 0.5,
        "read_floor": 0.0,
    }
    for op_id, kind in (("s", "suspend"), ("r1", "resume"), ("r2", "resume")):
        transfers.register(
            state, 1000.0, op_id=op_id, zone=op_id, pid=1, kind=kind, nbytes=100, cap=1000
        )
    # One suspend alone: 100/s.  Two resumes: 300 / 1.5 = 200, 100/s each.
    assert transfers.finish_at(state, 1000.0, "s") == pytest.approx(1001.0)
    assert transfers.finish_at(state, 1000.0, "r1") == pytest.approx(1001.0)
    transfers.sync(state, 1000.5)
    assert [t["remaining"] for t in state["io"]["transfers"]] == [pytest.approx(50.0)] * 3


def test_one_cap_per_pool_takes_the_short_way_to_the_same_answer() -> None:
    # Seeded random flows, one cap per pool: the O(n log n) path must agree with the
    # general step-by-step loop, for finish times and for every advance (sizes far
    # above EPSILON, as images are: the general loop rounds crumbs below it to 0).
    rng = random.Random(13)  # noqa: S311 (test data)
    pools = (timing.Storage(800.0, 2, 0.03, 0.5), timing.Storage(1200.0, 3, 0.1, 0.2))
    for _ in range(50):
        flows = [
            Flow(rng.choice([0.0, 0.2, rng.uniform(1000, 50000)]), (400.0, 500.0)[pool], pool)
            for pool in (rng.randrange(2) for _ in range(rng.randrange(1, 12)))
        ]
        assert timing.finish_times(flows, pools) == pytest.approx(
            timing._finish_general(flows, pools)
        )
        seconds = rng.uniform(0, 20)
        assert timing.advance(flows, pools, seconds) == pytest.approx(
            timing._advance_general(flows, pools, seconds), abs=1e-6
        )


def test_different_caps_in_one_pool_take_the_general_way() -> None:
    # 100/s, caps 10 and 60: 10 and 60 (no loss, saturation unlimited); the 10-byte
    # flow ends at 1 s, the other then runs at 60/s.
    flows = [Flow(10, 10), Flow(120, 60)]
    assert timing.finish_times(flows, 100.0) == [pytest.approx(1.0), pytest.approx(2.0)]
    assert timing.advance(flows, 100.0, 1.5) == [0.0, pytest.approx(30.0)]

"""The stop's tail (kzguard/pace/tail.py): the remaining time predicted at a level,
and the auto pace's one more at once for a large suspend not yet begun.  Pure, no
clock but the numbers handed in."""

from __future__ import annotations

import math

import pytest

from kzguard.journal.history import PaceSample
from kzguard.pace import auto
from kzguard.pace.auto import AutoPace
from kzguard.pace.measure import Meter
from kzguard.pace.tail import remaining_time
from tests.unit import fluid

G = 1 << 30


def saturating_at(streams: int) -> fluid.Storage:
    return fluid.Storage(streams=streams, stream=0.25 * G)


def up_to_two(streams: int) -> float:
    """1G/s a stream up to two streams, 2G/s between any more."""
    return min(streams, 2) * 1.0 * G


# -- remaining_time ---------------------------------------------------------------


def test_the_next_to_begin_waits_for_a_slot_and_then_runs_at_the_level_s_share() -> None:
    # Two of 10G in flight at 1G/s each end at 10 s; the 10G not yet begun then
    # runs alone to 20 s.  Three at once share 2G/s: all three end at 15 s.
    assert remaining_time([10.0 * G, 10.0 * G], [10.0 * G], 2, up_to_two) == 20.0
    assert remaining_time([10.0 * G, 10.0 * G], [10.0 * G], 3, up_to_two) == 15.0


def test_transfers_not_yet_begun_begin_in_their_order_as_slots_free() -> None:
    # One at a time: 4G, then 2G, then 1G at 1G/s.
    assert remaining_time([], [4.0 * G, 2.0 * G, 1.0 * G], 1, up_to_two) == 7.0
    # Two at once: 4G and 2G together; the 1G takes the 2G's slot at 2 s.
    assert remaining_time([], [4.0 * G, 2.0 * G, 1.0 * G], 2, up_to_two) == 4.0


def test_more_in_flight_than_the_level_run_on_and_none_begins_until_fewer_run() -> None:
    # Three in flight at level 1: 2G/s among them, the 2G ends at 3 s, the 4G ones
    # then at 1G/s each until 5 s; only then does the 1G begin: 6 s.
    flight = [2.0 * G, 4.0 * G, 4.0 * G]
    assert remaining_time(flight, [1.0 * G], 1, up_to_two) == 6.0


def test_a_transfer_past_its_bytes_ends_at_once_and_no_bytes_take_no_time() -> None:
    assert remaining_time([-3.0 * G, 2.0 * G], [], 2, up_to_two) == 2.0
    assert remaining_time([], [], 4, up_to_two) == 0.0
    # A level below one still runs one at a time.
    assert remaining_time([], [1.0 * G], 0, up_to_two) == 1.0


def test_storage_that_moves_nothing_never_ends() -> None:
    assert remaining_time([1.0 * G], [], 1, lambda streams: 0.0) == math.inf


# -- Meter.left -------------------------------------------------------------------


def test_the_bytes_left_in_flight_count_what_each_moved_at_each_level_it_lived_at() -> None:
    meter = Meter()
    meter.began("kz1", 100 * G, 0.0)
    meter.began("kz2", 100 * G, 10.0)

    def per_stream(level: int) -> float:
        return {1: 1.0 * G, 2: 0.5 * G}[level]

    # kz1: 10 s alone (10G) and 10 s beside kz2 (5G); kz2: those 10 s (5G).
    assert meter.left(20.0, per_stream) == [85.0 * G, 95.0 * G]


# -- the auto pace ----------------------------------------------------------------

# The faithful 10-zone host of docs/performance.md ("A level the ends cannot tell
# apart"): the images' GiB, and the zones' memory, which is all a first stop knows
# of them and the order it begins them in.
IMAGES = [21.9, 25.0, 26.9, 27.2, 5.2, 13.1, 7.0, 4.7, 2.4, 1.3]
MEMORY = [32, 32, 32, 32, 16, 16, 8, 8, 4, 2]


def first_stop(storage: fluid.Storage) -> tuple[AutoPace, float]:
    """A first stop of IMAGES on ``storage``, the pools read every 5 s: its pace
    and its makespan over the bound."""
    sizes = [int(image * G) for image in IMAGES]
    memory = [gib * G for gib in MEMORY]
    order = sorted(range(len(sizes)), key=lambda index: (-memory[index], index))
    pace = AutoPace("suspend", work=[memory[index] for index in order], pools=True)
    ended = fluid.makespan(pace, sizes, storage, order=order, estimates=memory, window=5.0)
    return pace, ended / storage.bound(sizes)


def test_a_large_suspend_not_yet_begun_gets_one_more_at_once_before_it_ends_late(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # On storage four streams saturate the ramp settles on 4 and the four largest
    # hold every slot: without the tail, the 16G zone (a 13.1G image) waits for the
    # first of them to end and runs alone at one stream's speed.
    pace, ratio = first_stop(saturating_at(4))
    settled = "4 at once: 4 gave 1G/s, 5 gave 994M/s"
    assert [(round(change.at, 1), change.level, change.why) for change in pace.level_changes()][
        2:
    ] == [
        (35.0, 4, settled),
        (48.8, 5, "5 at once: the 16G suspend not yet begun would otherwise end after the rest"),
        # Held while that suspend runs (to 117.7 s, through a largest's end at 108.5
        # s), then for an 8G one, held while it ran (to 141.5 s); none is left then.
        (141.5, 4, "4 at once: 4 gave 1G/s, 5 gave 972M/s"),
    ]
    monkeypatch.setattr(auto, "TAIL_GAIN", 1.0)  # never gains that much: no tail
    without, ratio_without = first_stop(saturating_at(4))
    assert not [change for change in without.level_changes() if "not yet begun" in change.why]
    assert (round(ratio, 3), round(ratio_without, 3)) == (1.055, 1.128)


def test_no_tail_is_predicted_where_fewer_streams_than_measured_may_move_as_much(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Storage two streams saturate, measured from three on: 3 and 4 at once moved the
    # same.  Read at three's rate a stream, the last suspends' tail would look long
    # and call for a fourth stream; one stream may move as much as three did.
    pace, ratio = first_stop(saturating_at(2))
    monkeypatch.setattr(auto, "TAIL_GAIN", 1.0)
    without, ratio_without = first_stop(saturating_at(2))
    assert pace.level_changes() == without.level_changes()
    assert ratio == ratio_without


def test_a_level_read_as_moving_nothing_is_left_out_of_the_prediction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The pools' table holds 0 where they saw nothing move (pace/measure.py
    # Meter.pool_levels), and a ramp's table keeps every level it read: a
    # prediction at such a rate would divide by it.
    history = [PaceSample(4, 4.0 * G, 100.0, 0.0)]
    pace = AutoPace("suspend", history, work=[40 * G, 40 * G, 40 * G, 40 * G, 30 * G, G])
    level = pace.limit()
    for index in range(4):
        pace.began(f"kz{index}", 40 * G, 0.0)
    for table in ({4: 0.0}, {4: 0.0, 5: 0.0}):
        monkeypatch.setattr(pace, "table", lambda table=table: table)
        pace.ended(f"kz{len(table) - 1}", 5.0, ok=True, nbytes=G)
        assert pace.limit() == level
    # Beside a level that moved, the one that moved nothing is left out.
    monkeypatch.setattr(pace, "table", lambda: {3: 0.0, 4: 4.0 * G})
    pace.began("kz4", 30 * G, 5.0)
    pace.ended("kz2", 6.0, ok=True, nbytes=G)
    assert pace.limit() == level
    # Not by the fault guard (pace/auto.py AutoPace._guarded), which would keep the
    # level too, but say so in a level change.
    assert pace.level_changes() == []

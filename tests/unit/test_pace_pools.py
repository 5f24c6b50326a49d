"""The pools' bandwidth in the auto pace (zpool iostat, kzguard/pace/watch.py): the
meter's windows, the pace's judgement of whether the pools carry the transfers, and
its decisions by them.  Pure, no clock but the numbers handed in."""

from __future__ import annotations

import pytest

from kzguard.journal.history import PaceSample
from kzguard.journal.pace_record import LevelChange
from kzguard.pace.auto import AutoPace
from kzguard.pace.limit import FixedPace
from kzguard.pace.measure import Level, Meter
from tests.unit import fluid
from tests.unit.test_pace import near

G = 1 << 30


# -- Meter ------------------------------------------------------------------------


def test_a_window_is_one_equation_of_the_streams_moving_in_it() -> None:
    meter = Meter()
    meter.fixed = 1e-9  # measured (and negligible): every window counts
    meter.began("kz1", G, 0.0)
    meter.began("kz2", G, 0.0)
    meter.sampled(0.0, 5.0, 1000.0)  # two streams for 5 s: 100 a stream
    meter.ended("kz1", 6.0, ok=True, nbytes=600)
    meter.sampled(5.0, 10.0, 600.0)  # two for 1 s, one for 4 s: 100 a stream again
    assert meter.pool_levels() == {2: Level(near(100.0, rel=1e-6), near(12.0, rel=1e-6))}


def test_a_level_run_for_less_than_a_windows_length_is_not_measured_yet() -> None:
    meter = Meter()
    meter.fixed = 1e-9
    meter.began("kz1", G, 0.0)
    meter.began("kz2", G, 0.0)
    meter.sampled(0.0, 5.0, 1000.0)
    meter.ended("kz1", 6.0, ok=True, nbytes=600)
    meter.sampled(5.0, 10.0, 600.0)
    assert sorted(meter.pool_levels()) == [2]  # one ran 4 s, the windows 5 s
    meter.sampled(10.0, 11.0, 100.0)  # the mean window is now 11/3 s; one ran 5 s
    assert sorted(meter.pool_levels()) == [1, 2]
    assert meter.pool_levels()[1].per_stream == pytest.approx(100.0)


def test_a_windows_time_with_nothing_moving_is_left_out() -> None:
    meter = Meter()
    meter.sampled(0.0, 5.0, 50.0)  # nothing in flight: the pools' other traffic
    assert meter.pool_levels() == {}
    meter.began("kz1", G, -10.0)
    meter.sampled(0.0, 10.0, 1000.0)  # one at 100 for 10 s
    meter.sampled(10.0, 10.0, 1.0)  # an empty window
    assert meter.pool_levels() == {1: Level(near(100.0, rel=1e-6), 10.0)}


def test_before_the_fixed_time_is_measured_a_window_near_a_change_is_left_for_later() -> None:
    # A window in which a transfer began or ended, or one a window's length after,
    # may count one in its fixed time as moving: not counted until a refit measures
    # the fixed time, then counted with it like every other.
    meter = Meter()
    meter.began("kz1", 10 * G, -100.0)
    meter.sampled(0.0, 5.0, 5 * G)  # clear: one stream at 1G/s
    meter.began("kz2", 10 * G, 6.0)
    meter.sampled(5.0, 10.0, 8 * G)  # kz2 began in it
    meter.sampled(10.0, 15.0, 10 * G)  # kz2 began a window's length before
    assert meter.pool_levels() == {1: Level(near(G, rel=1e-6), 5.0)}
    meter.sampled(15.0, 20.0, 10 * G)  # clear: two at 1G/s each
    assert sorted(meter.pool_levels()) == [1, 2]
    meter.fixed = 1e-9  # as Meter._refit sets it
    meter.sampled(20.0, 25.0, 10 * G)
    assert meter.pool_levels()[2].stream_seconds == pytest.approx(2 * (4 + 5 + 5 + 5))


def test_a_window_after_a_refit_counts_every_window_again() -> None:
    # One transfer of 10 s, the last 2 of them its fixed time (after the bytes, as
    # the simulator spends it): counted in flight, its windows say 1 stream for the
    # whole 10 s; once a refit has the fixed time, the 8 s that moved the bytes.
    meter = Meter()
    meter.began("kz1", 10 * G, -10.0)
    meter.sampled(0.0, 4.0, 5 * G)
    meter.sampled(4.0, 8.0, 5 * G)
    meter.sampled(8.0, 10.0, 0.0)
    meter.ended("kz1", 10.0, ok=True, nbytes=10 * G)
    # The least squares of 4p = 5G, 4p = 5G and 2p = 0.
    assert meter.pool_levels()[1].per_stream == pytest.approx(40 / 36 * G, rel=1e-6)
    meter.fixed = 2.0  # as Meter._refit sets it
    meter.sampled(10.0, 12.0, 0.0)
    # After the bytes (none of it before) fits the windows exactly: 4p = 5G twice.
    assert (meter._pool_fixed, meter._pool_before) == (2.0, 0.0)
    assert meter.pool_levels()[1].per_stream == pytest.approx(1.25 * G, rel=1e-6)


# -- AutoPace ---------------------------------------------------------------------


def eight_running(pace: AutoPace) -> None:
    """Eight suspends of 20G begun at -10 s: a window from 0 is clear of them."""
    for index in range(8):
        pace.began(f"kz{index}", 20 * G, -10.0)


def eight_ended(pace: AutoPace) -> None:
    """They end at 10 s: the ends measure 8 at once at 8G/s."""
    for index in range(8):
        pace.ended(f"kz{index}", 10.0, ok=True)


def judged(window_bytes: float) -> AutoPace:
    """A first stop's pace whose pools moved ``window_bytes`` from 0 to 5 s while the
    eight ran, then judged when they ended."""
    pace = AutoPace("suspend")
    eight_running(pace)
    pace.sampled(0.0, 5.0, window_bytes)
    eight_ended(pace)
    return pace


def test_the_pools_decide_nothing_until_the_ends_have_measured_a_level_beside_them() -> None:
    pace = AutoPace("suspend")
    eight_running(pace)
    pace.sampled(0.0, 5.0, 5 * 7.6 * G)
    assert (pace.wants_samples(), pace.verdict(), pace.limit()) == (True, None, 8)
    assert pace.table() == {}


def test_pools_that_carry_the_transfers_decide_the_level() -> None:
    pace = judged(5 * 7.6 * G)
    assert pace.verdict() == (
        "the pools' bandwidth gave 95% of what the suspends' ends measured at 8 at once:"
        " measuring by it"
    )
    assert pace.verdict() is None  # said once
    assert pace.table() == pytest.approx({8: 7.6 * G})
    assert pace.limit() == 7
    # Seven at once for a window's length gave more: the search halves the way down
    # at once, where the ends would have waited for suspends begun at 7 to end.
    for index in range(7):
        pace.began(f"kz1{index}", 10 * G, 10.0)
    pace.sampled(15.0, 20.0, 5 * 7.9 * G)
    assert pace.table() == pytest.approx({8: 7.6 * G, 7: 7.9 * G})
    assert pace.limit() == 4
    assert pace.level_changes()[-1] == LevelChange(
        20.0, 4, "trying 4 at once: 7 gave 7.9G/s, fewer may do as well"
    )
    assert pace.wants_samples()


@pytest.mark.parametrize(("window_bytes", "share"), [(0.0, "0%"), (5 * 0.3 * G, "4%")])
def test_pools_that_do_not_carry_the_transfers_are_left_for_the_ends(
    window_bytes: float, share: str
) -> None:
    # Images on iSCSI: the pools see nothing move; on NFS with a little local
    # traffic: a trickle.
    pace = judged(window_bytes)
    assert pace.verdict() == (
        f"the pools' bandwidth gave {share} of what the suspends' ends measured at 8 at once:"
        " measuring by the ends alone"
    )
    assert not pace.wants_samples()
    assert pace.table() == pytest.approx({8: 8 * G}, rel=1e-6)
    pace.sampled(15.0, 20.0, 1.0)  # ignored
    assert pace.table() == pytest.approx({8: 8 * G}, rel=1e-6)
    assert pace.limit() == 7


def test_pools_that_see_more_than_the_ends_are_believed() -> None:
    # A pool busy with other work besides, or ends measured roughly: the pools'
    # other traffic adds to every number at once alike.
    pace = judged(5 * 17 * G)
    assert pace.verdict() == (
        "the pools' bandwidth gave 212% of what the suspends' ends measured at 8 at once:"
        " measuring by it"
    )
    assert pace.table() == pytest.approx({8: 17 * G})


def test_a_pace_with_history_wants_no_samples() -> None:
    # Begun where earlier stops measured, a stop has little left to search.
    pace = AutoPace("suspend", [PaceSample(2, 2.0 * G, 100.0, 0.0)])
    eight_running(pace)
    pace.sampled(0.0, 5.0, 5 * 7.6 * G)
    assert (pace.wants_samples(), pace.meter.pool_levels()) == (False, {})


def test_once_its_search_on_the_pools_is_settled_the_pace_reads_them_no_more() -> None:
    # Storage four streams saturate: the pools' windows settle the search well
    # before the run's end; the windows after that would cost for nothing, and the
    # search goes on from the pools' table as it stood (the ends', a few transfers
    # deep, would undo what it found).
    storage = fluid.Storage(streams=4, stream=1.0 * G)
    pace = AutoPace("suspend")
    read: list[float] = []
    sampled = pace.sampled

    def counted(start: float, stop: float, nbytes: float) -> None:
        read.append(stop)
        sampled(start, stop, nbytes)

    pace.sampled = counted  # type: ignore[method-assign]
    ended = fluid.makespan(pace, fluid.mixed_sizes(100), storage, window=5.0)
    settled = pace._pool_settled
    assert settled is not None
    assert (pace.wants_samples(), pace.table()) == (False, settled)
    assert pace.current in settled
    assert ended - max(read) > 100.0  # twenty windows and more not read


def test_a_resume_pace_wants_no_samples_its_ends_come_soon_enough() -> None:
    pace = AutoPace("resume")
    eight_running(pace)
    pace.sampled(0.0, 5.0, 5 * 7.6 * G)
    eight_ended(pace)
    assert (pace.wants_samples(), pace.verdict()) == (False, None)
    assert pace.meter.pool_levels() == {}
    assert pace.table() == pytest.approx({8: 8 * G}, rel=1e-6)


def test_a_fixed_pace_wants_no_samples() -> None:
    pace = FixedPace(3)
    pace.sampled(0.0, 5.0, G)
    assert (pace.wants_samples(), pace.verdict(), pace.limit()) == (False, None, 3)


def test_a_refit_counts_every_window_again_with_the_fixed_time_where_it_lies() -> None:
    # tests/unit/fluid.py spends each transfer's 2 s before its bytes.  Once the
    # ends measure the fixed time, every window is counted with it, placed before
    # the bytes, and the pools read what the storage gives.
    storage = fluid.Storage(streams=4, stream=1.0 * G)
    pace = AutoPace("suspend")
    fluid.makespan(pace, fluid.mixed_sizes(60), storage, window=5.0)
    meter = pace.meter
    assert meter.fixed == pytest.approx(2.0, rel=0.05)
    pools = {level: found.aggregate(level) for level, found in meter.pool_levels().items()}
    # All of it before the bytes: the windows fit that placement best.
    assert (meter._pool_fixed, meter._pool_before) == (meter.fixed, 1.0)
    assert pools
    for level, value in pools.items():
        assert value == pytest.approx(storage.aggregate(level), rel=0.03), level

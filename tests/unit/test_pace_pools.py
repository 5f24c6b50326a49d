"""The pools' bandwidth in the auto pace (zpool iostat, kzguard/pace/watch.py): the
meter's windows, a first stop's ramp on them, and the pace's judgement of whether
the pools carry the transfers.  Pure, no clock but the numbers handed in."""

from __future__ import annotations

import bisect

import pytest

from kzguard.journal.history import PaceSample
from kzguard.journal.pace_record import LevelChange
from kzguard.pace.auto import RAMP_FIRST, RAMP_PATIENCE, START, AutoPace
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
    assert meter.window_length() == 5.0


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


def one_transfer_of_ten_seconds() -> Meter:
    """One transfer of 10 s, the last 2 of them its fixed time (after the bytes, as
    the simulator spends it), with the pools' windows of it: counted in flight, they
    say 1 stream for the whole 10 s."""
    meter = Meter()
    meter.began("kz1", 10 * G, -10.0)
    meter.sampled(0.0, 4.0, 5 * G)
    meter.sampled(4.0, 8.0, 5 * G)
    meter.sampled(8.0, 10.0, 0.0)
    meter.ended("kz1", 10.0, ok=True, nbytes=10 * G)
    return meter


def test_a_window_after_a_refit_counts_every_window_again() -> None:
    # Once a refit has the fixed time, the windows count the 8 s that moved the bytes.
    meter = one_transfer_of_ten_seconds()
    # The least squares of 4p = 5G, 4p = 5G and 2p = 0.
    assert meter.pool_levels()[1].per_stream == pytest.approx(40 / 36 * G, rel=1e-6)
    meter.fixed = 2.0  # as Meter._refit sets it
    meter.sampled(10.0, 12.0, 0.0)
    # After the bytes (none of it before) fits the windows exactly: 4p = 5G twice.
    assert (meter._pool_fixed, meter._pool_before) == (2.0, 0.0)
    assert meter.pool_levels()[1].per_stream == pytest.approx(1.25 * G, rel=1e-6)


def test_a_transfer_still_in_flight_moves_until_now_whatever_its_crowd() -> None:
    # With a crowd, a transfer's fixed time grows with the others in flight when it
    # began: kz4 began beside three (2 s + 3 x 3 s) and is alone in flight now.  The
    # pools' windows count it moving up to now, its fixed time wherever it lies.
    meter = Meter()
    meter.fixed, meter.crowd = 2.0, 3.0  # as Meter._refit sets them
    for zone in ("kz1", "kz2", "kz3", "kz4"):
        meter.began(zone, G, 0.0)
    for zone in ("kz1", "kz2", "kz3"):
        meter.ended(zone, 20.0, ok=True)
    for before in (0.0, 0.5, 1.0):
        times, counts = meter._pool_timeline(0.0, 30.0, before)
        assert counts[bisect.bisect_right(times, 29.9) - 1] == 1


def test_the_pools_levels_asked_after_a_refit_are_counted_with_its_fixed_time() -> None:
    # As above, the refit between two windows: asked before the next window, the
    # levels are counted with the fixed time measured now.
    meter = one_transfer_of_ten_seconds()
    meter.fixed = 2.0  # as Meter._refit sets it
    assert meter.pool_levels()[1].per_stream == pytest.approx(1.25 * G, rel=1e-6)
    assert meter._pool_fixed == 2.0


def test_transfers_begun_and_ended_together_cannot_tell_their_levels_apart() -> None:
    # A first stop's first wave: three begun together lived 10 s at 3 at once and
    # 10 s at 4, and ended together; their rows are one row three times.
    meter = Meter()
    for index in range(3):
        meter.began(f"kz{index}", G, 0.0)
    meter.began("kz3", G, 10.0)
    for index, moved in enumerate([19, 20, 21]):
        meter.ended(f"kz{index}", 20.0, ok=True, nbytes=moved * G)
    assert meter.confounded(10.0) == {3, 4}
    # One that ran beside it at 2 at once, and it, tell the levels apart.
    meter.began("kz4", G, 20.0)
    meter.ended("kz3", 30.0, ok=True, nbytes=20 * G)
    meter.ended("kz4", 30.0, ok=True, nbytes=10 * G)
    assert meter.confounded(10.0) == set()
    assert meter.levels()[4].per_stream == pytest.approx(G, rel=1e-6)


# -- AutoPace ---------------------------------------------------------------------

RAMP_WHY = (
    "3 at once to begin: more while the pools' bandwidth grows (zpool iostat), then by measurement"
)


def began(pace: AutoPace, count: int, at: float, first: int = 0) -> None:
    """``count`` suspends of 100G, named kz<first> on, begun at ``at``."""
    for index in range(first, first + count):
        pace.began(f"kz{index}", 100 * G, at)


def climbed_to_five() -> AutoPace:
    """A first stop's pace on storage of 1G/s a stream up to four: 3 at once gave
    3G/s, 4 gave 4G/s, and it went to 5 at 20 s."""
    pace = AutoPace("suspend", pools=True)
    began(pace, 3, 0.0)
    pace.sampled(0.0, 5.0, 5 * 3 * G)  # the suspends began in it: left for later
    assert pace.limit() == 3
    pace.sampled(5.0, 10.0, 5 * 3 * G)
    assert pace.limit() == 4
    began(pace, 1, 10.0, first=3)
    pace.sampled(10.0, 15.0, 5 * 4 * G)
    pace.sampled(15.0, 20.0, 5 * 4 * G)
    began(pace, 1, 20.0, first=4)
    return pace


def test_a_first_stop_that_reads_the_pools_begins_at_three_and_says_so() -> None:
    pace = AutoPace("suspend", pools=True)
    assert (pace.limit(), pace.why(), pace.wants_samples()) == (RAMP_FIRST, RAMP_WHY, True)
    # Keeping pace with the largest may want fewer still; never more.
    assert AutoPace("suspend", pools=True, work=[9 * G, G, G, G]).limit() == 2
    # No more suspends than the ramp begins with: all begin at once, no ramp.
    few = AutoPace("suspend", pools=True, work=[G, G, G])
    assert (few.limit(), few.wants_samples()) == (START, False)
    # With history, a stop begins where earlier stops measured, and a resume
    # begins with the smallest images, whose ends soon measure: neither ramps.
    history = [PaceSample(2, 2.0 * G, 100.0, 0.0), PaceSample(3, 2.0 * G, 100.0, 0.0)]
    learned = AutoPace("suspend", history, pools=True)
    assert (learned.limit(), learned.wants_samples()) == (2, False)
    resume = AutoPace("resume", pools=True)
    assert (resume.limit(), resume.wants_samples()) == (START, False)


def test_the_ramp_climbs_a_third_at_a_time_while_the_pools_show_more() -> None:
    pace = climbed_to_five()
    assert pace.table() == pytest.approx({3: 3 * G, 4: 4 * G})
    assert pace.level_changes() == [
        LevelChange(
            10.0, 4, "ramping up: 4 at once, nothing above 3 measured (3 gave 3G/s by the pools)"
        ),
        LevelChange(
            20.0, 5, "ramping up: 5 at once, aggregate still growing (4 gave 4G/s by the pools)"
        ),
    ]
    assert pace.wants_samples()


def test_the_ramp_settles_on_the_best_once_a_level_above_it_gave_no_more_twice() -> None:
    pace = climbed_to_five()
    pace.sampled(20.0, 25.0, 5 * 3.9 * G)  # the fifth began in it
    pace.sampled(25.0, 30.0, 5 * 3.9 * G)  # one window's length at 5: not yet believed
    assert (pace.limit(), pace.wants_samples()) == (5, True)
    pace.sampled(30.0, 35.0, 5 * 3.9 * G)
    assert (pace.limit(), pace.wants_samples()) == (4, False)
    assert pace.level_changes()[-1] == LevelChange(35.0, 4, "4 at once: 4 gave 4G/s, 5 gave 3.9G/s")
    assert pace.table() == pytest.approx({3: 3 * G, 4: 4 * G, 5: 3.9 * G})
    pace.sampled(35.0, 40.0, 5 * 9 * G)  # read no more
    assert pace.table()[5] == pytest.approx(3.9 * G)


def test_a_level_the_ramp_climbed_through_stays_when_a_recount_drops_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # At a refit the pools' windows are counted again with the fixed time measured
    # (pace/measure.py): the seconds 3 streams moved in may fall below a window's
    # length, and the pools' table no longer holds 3 when the ramp settles.
    pace = climbed_to_five()
    pace.sampled(20.0, 25.0, 5 * 3.9 * G)
    pace.sampled(25.0, 30.0, 5 * 3.9 * G)
    counted = pace.meter.pool_levels
    monkeypatch.setattr(
        pace.meter, "pool_levels", lambda: {n: found for n, found in counted().items() if n != 3}
    )
    pace.sampled(30.0, 35.0, 5 * 3.9 * G)
    assert (pace.limit(), pace.wants_samples()) == (4, False)
    # 3 as the ramp last read it: learned, so the next stop does not probe it.
    assert pace.table() == pytest.approx({3: 3 * G, 4: 4 * G, 5: 3.9 * G})
    assert [sample.concurrency for sample in pace.learned(100.0)] == [3, 4, 5]


def test_the_levels_only_the_ramp_measured_are_learned_and_spare_the_next_stop_a_probe() -> None:
    pace = climbed_to_five()
    for start in (20.0, 25.0, 30.0):
        pace.sampled(start, start + 5.0, 5 * 3.9 * G)
    assert (pace.limit(), pace.measured) == (4, {})
    learned = pace.learned(100.0)
    # Each level with the stream-seconds the pools measured it over.
    assert [(s.concurrency, s.seconds, s.when) for s in learned] == [
        (3, 15.0, 100.0),
        (4, 20.0, 100.0),
        (5, 50.0, 100.0),
    ]
    assert [s.bytes_per_second for s in learned] == pytest.approx([3 * G, 4 * G, 3.9 * G])
    # The next stop begins at 4; once its ends measured 4 again, 3 streams at the
    # 1G/s a stream 3 gave cannot come near 4G/s: no probe down, which without the
    # ramp's levels (the next stop knowing only 4 and 5) holds a stream idle.
    for history, limit, changes in (
        (learned, 4, []),
        (
            learned[1:],
            3,
            [LevelChange(100.0, 3, "trying 3 at once: 4 gave 4G/s, fewer may do as well")],
        ),
    ):
        following = AutoPace("suspend", history)
        began(following, 4, 0.0)
        for index in range(4):
            following.ended(f"kz{index}", 100.0, ok=True, nbytes=100 * G)
        assert (following.limit(), following.level_changes()) == (limit, changes)


def test_the_ramp_holds_while_the_largest_runs_at_the_number_that_keeps_pace_with_it() -> None:
    # 40G of 100G: three keep pace with it, ceil(100 / 40) (one in five fewer rounds
    # to none fewer); the ramp, begun at three, goes no higher while it runs.
    pace = AutoPace("suspend", pools=True, work=[40 * G, 20 * G, 20 * G, 10 * G, 10 * G])
    assert pace.limit() == 3
    for index, size in enumerate([40, 20, 20]):
        pace.began(f"kz{index}", size * G, 0.0)
    pace.sampled(0.0, 5.0, 5 * 3 * G)
    pace.sampled(5.0, 10.0, 5 * 3 * G)
    assert (pace.limit(), pace.level_changes(), pace.wants_samples()) == (3, [], True)


def test_a_ramp_that_reaches_the_cap_ends_there() -> None:
    pace = AutoPace("suspend", pools=True, cap=4)
    began(pace, 3, 0.0)
    pace.sampled(5.0, 10.0, 5 * 3 * G)
    began(pace, 1, 10.0, first=3)
    pace.sampled(15.0, 20.0, 5 * 4 * G)  # still growing, and no more allowed
    assert (pace.limit(), pace.wants_samples()) == (4, False)
    assert pace.table() == pytest.approx({3: 3 * G, 4: 4 * G})


def test_pools_that_move_nothing_leave_the_ramp_for_the_ends_after_two_windows() -> None:
    # Images on iSCSI: the pools see nothing move.  One window is not enough: it
    # may fall in the suspends' own start.
    pace = AutoPace("suspend", pools=True)
    began(pace, 3, 0.0)
    pace.sampled(5.0, 10.0, 5 * 1000.0)
    assert (pace.verdict(), pace.limit(), pace.wants_samples()) == (None, 3, True)
    pace.sampled(10.0, 15.0, 5 * 1000.0)
    assert pace.verdict() == (
        "the pools moved 0B/s with 3 suspends at once: measuring by the ends alone"
    )
    assert pace.verdict() is None  # said once
    assert (pace.limit(), pace.wants_samples(), pace.table()) == (START, False, {})
    assert pace.level_changes() == [
        LevelChange(15.0, START, "8 at once to begin: no suspend measured yet, then by measurement")
    ]


def test_a_first_window_of_nothing_before_the_suspends_write_keeps_the_ramp() -> None:
    # The first window fell in the suspends' start; the second saw them write 3G/s
    # in all: the pools hold the images, and the ramp goes on (the two windows at 3
    # at once read 1.5G/s together, so it holds there until 4 is read).
    pace = AutoPace("suspend", pools=True)
    began(pace, 3, 0.0)
    pace.sampled(5.0, 10.0, 0.0)
    pace.sampled(10.0, 15.0, 5 * 3 * G)
    assert (pace.verdict(), pace.limit(), pace.wants_samples()) == (None, 4, True)
    assert pace.table() == pytest.approx({3: 1.5 * G})


def test_a_ramp_that_reads_no_pools_gives_up_on_them_after_its_patience() -> None:
    # A zpool that failed or hangs: the stop goes on as one that reads none.
    pace = AutoPace("suspend", pools=True)
    assert pace.wake(0.0) is None  # not asked yet: nothing to wait for
    assert pace.limit(100.0) == 3  # the executor asks before it starts them
    assert pace.wake(100.0) == 100.0 + RAMP_PATIENCE  # before they report
    began(pace, 3, 100.5)
    assert pace.wake(101.0) == 100.0 + RAMP_PATIENCE
    assert pace.limit(100.0 + RAMP_PATIENCE - 1.0) == 3
    assert pace.limit(100.0 + RAMP_PATIENCE) == START
    assert pace.verdict() == "no pools' bandwidth in 20s: measuring by the ends alone"
    assert (pace.wants_samples(), pace.wake(121.0)) == (False, None)


def test_a_ramp_whose_level_the_ends_measured_first_hands_over_to_them() -> None:
    # Short suspends end before the pools read a window clear of beginnings and
    # ends: the ends decide, the pools' levels kept beside theirs.
    pace = AutoPace("suspend", pools=True)
    began(pace, 3, 0.0)
    pace.sampled(5.0, 10.0, 5 * 3 * G)  # 3 at 3G/s: up to 4
    for index in range(3):
        pace.ended(f"kz{index}", 12.0, ok=True, nbytes=12 * G)
    assert pace.limit() == 4
    began(pace, 4, 12.0, first=10)
    for index in range(10, 14):
        pace.ended(f"kz{index}", 16.0, ok=True, nbytes=4 * G)
    assert pace.wants_samples() is False
    assert pace.measured == pytest.approx({3: 3 * G, 4: 4 * G})
    assert pace.level_changes()[-1] == LevelChange(
        16.0, 5, "ramping up: 5 at once, aggregate still growing (4 gave 4G/s)"
    )


def ramped_then_ended(window_bytes: float) -> AutoPace:
    """A ramp held at 3 while the largest suspend runs (40G of 100G: three keep pace
    with it), the pools' windows of ``window_bytes``, then two suspends of 20G
    ended, each at 1G/s: the ends measure 3 at once at 3G/s."""
    pace = AutoPace("suspend", pools=True, work=[40 * G, 20 * G, 20 * G, 10 * G, 10 * G])
    for index, size in enumerate([40, 20, 20]):
        pace.began(f"kz{index}", size * G, 0.0)
    pace.sampled(5.0, 10.0, window_bytes)
    pace.sampled(10.0, 15.0, window_bytes)
    assert (pace.limit(), pace.wants_samples()) == (3, True)
    pace.ended("kz1", 20.0, ok=True)
    pace.ended("kz2", 20.0, ok=True)
    assert pace.measured == pytest.approx({3: 3 * G})
    return pace


def test_pools_that_saw_the_suspends_are_weighed_with_the_ends() -> None:
    pace = ramped_then_ended(5 * 2.7 * G)
    assert pace.verdict() == (
        "the pools' bandwidth gave 90% of what the suspends' ends measured at 3 at once:"
        " measuring by both"
    )
    # 3 at once: the pools' 2.7G/s over 30 stream-seconds (two windows of three
    # streams), the ends' 3G/s over 40 (two suspends of 20 s), weighted by them.
    assert pace.wants_samples() is False
    assert pace.table() == pytest.approx({3: (2.7 * 30 + 3 * 40) / 70 * G})


def test_pools_that_saw_a_trickle_beside_the_ends_are_dropped() -> None:
    # Images on NFS, the pools busy with a little of their own: above the floor,
    # yet far below what the ends measured.
    pace = ramped_then_ended(5 * 0.3 * G)
    assert pace.verdict() == (
        "the pools' bandwidth gave 10% of what the suspends' ends measured at 3 at once:"
        " measuring by the ends alone"
    )
    assert pace.table() == pytest.approx({3: 3 * G})
    assert pace.limit() == 3  # where it begins without the pools: three keep pace


def test_a_level_the_ends_cannot_tell_apart_is_read_from_the_pools_alone() -> None:
    # The ramp settled on 4 (3 gave 3G/s, 4 and 5 gave 4G/s); then the first wave's
    # three suspends end together, each having lived 10 s at 3, 10 s at 4 and 20 s
    # at 5: one equation three times, whose least squares read 3 at 3.6G/s and 5 at
    # 3G/s, as the ridge split the bytes.  Weighed with the pools, those would have
    # put 3 at 3.4G/s and 5 at 3.5, and judged the pools on 5's figure (133 %).
    pace = climbed_to_five()
    pace.sampled(25.0, 30.0, 5 * 4 * G)
    pace.sampled(30.0, 35.0, 5 * 4 * G)
    assert pace.level_changes()[-1] == LevelChange(35.0, 4, "4 at once: 4 gave 4G/s, 5 gave 4G/s")
    for index in range(3):
        pace.ended(f"kz{index}", 40.0, ok=True, nbytes=36 * G)
    assert sorted(pace.measured) == [3, 5]
    assert pace.table() == pytest.approx({3: 3 * G, 4: 4 * G, 5: 4 * G})
    assert pace.verdict() is None  # judged at a level the ends can tell apart
    assert (pace.limit(), pace.why()) == (4, "4 at once: 4 gave 4G/s, 5 gave 4G/s")


def test_once_the_ramp_settled_the_pace_reads_the_pools_no_more() -> None:
    # Storage four streams saturate: the ramp settles within the first minute, and
    # the windows after that would cost for nothing.
    storage = fluid.Storage(streams=4, stream=1.0 * G)
    pace = AutoPace("suspend", pools=True)
    read: list[float] = []
    sampled = pace.sampled

    def counted(start: float, stop: float, nbytes: float) -> None:
        read.append(stop)
        sampled(start, stop, nbytes)

    pace.sampled = counted  # type: ignore[method-assign]
    ended = fluid.makespan(pace, fluid.mixed_sizes(100), storage, window=5.0)
    assert not pace.wants_samples()
    assert [change.level for change in pace.level_changes()][:3] == [4, 5, 4]
    assert max(read) <= 40.0 < ended - 100.0


def test_a_fixed_pace_wants_no_samples() -> None:
    pace = FixedPace(3)
    pace.sampled(0.0, 5.0, G)
    pace.pools_lost(5.0)
    assert (pace.wants_samples(), pace.verdict(), pace.limit()) == (False, None, 3)


class ReadingToTheEnd(AutoPace):
    """A pace that reads every window into its meter, for the meter's recount."""

    def wants_samples(self) -> bool:
        return True

    def sampled(self, start: float, stop: float, nbytes: float) -> None:
        self.meter.sampled(start, stop, nbytes)


def test_a_refit_counts_every_window_again_with_the_fixed_time_where_it_lies() -> None:
    # tests/unit/fluid.py spends each transfer's 2 s before its bytes.  Once the
    # ends measure the fixed time, every window is counted with it, placed before
    # the bytes, and the pools read what the storage gives.
    storage = fluid.Storage(streams=4, stream=1.0 * G)
    pace = ReadingToTheEnd("suspend")
    fluid.makespan(pace, fluid.mixed_sizes(60), storage, window=5.0)
    meter = pace.meter
    assert meter.fixed == pytest.approx(2.0, rel=0.05)
    pools = {level: found.aggregate(level) for level, found in meter.pool_levels().items()}
    # All of it before the bytes: the windows fit that placement best.
    assert (meter._pool_fixed, meter._pool_before) == (meter.fixed, 1.0)
    assert pools
    for level, value in pools.items():
        assert value == pytest.approx(storage.aggregate(level), rel=0.03), level


def test_pools_lost_end_a_ramp_at_once_and_leave_any_other_pace_alone() -> None:
    pace = AutoPace("suspend", pools=True)
    pace.began("kz1", 8 * G, 0.0)
    pace.pools_lost(3.0)
    assert (pace.limit(), pace.wants_samples(), pace.verdict()) == (START, False, None)
    assert pace.level_changes() == [
        LevelChange(3.0, START, "8 at once to begin: no suspend measured yet, then by measurement")
    ]
    settled = AutoPace("suspend")
    settled.pools_lost(3.0)
    assert (settled.limit(), settled.level_changes()) == (START, [])

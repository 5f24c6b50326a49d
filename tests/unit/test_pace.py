"""kzguard.pace: the fixed pace, the measurement of aggregate throughput per
concurrency, the search for the best one, the auto pace and its choice from the
policy and history.  Pure, no clock but the numbers handed in."""

from __future__ import annotations

import math
from typing import cast

import pytest

from kzguard.journal.history import PaceSample
from kzguard.journal.pace_record import (
    MAX_LEVEL_CHANGES,
    LevelChange,
    PaceRecord,
    kept_changes,
)
from kzguard.pace import measure
from kzguard.pace.auto import RAMP_FIRST, START, AutoPace, _read, aggregates
from kzguard.pace.choose import PaceDecision, decide_pace, pace_for
from kzguard.pace.limit import FixedPace
from kzguard.pace.measure import Fit, Level, Meter
from kzguard.pace.search import MAX_AUTO, Step, best_level, next_step, non_increasing
from tests.unit import fluid

G = 1 << 30


def near(value: float, *, rel: float) -> float:
    """``value`` to compare within ``rel``: pytest.approx, typed as the float it
    stands for inside a record."""
    return cast(float, pytest.approx(value, rel=rel))


def stream_seconds(meter: Meter) -> dict[int, float]:
    """Each level's stream-seconds of finished transfers."""
    return {level: found.stream_seconds for level, found in meter.levels().items()}


# -- FixedPace --------------------------------------------------------------------


def test_a_fixed_pace_answers_its_number_and_counts_the_peak() -> None:
    pace = FixedPace(2)
    pace.began("kz1", G, 0.0)
    pace.began("kz2", G, 0.0)
    pace.ended("kz1", 1.0, ok=True)
    pace.began("kz3", G, 1.0)
    pace.ended("kz9", 1.0, ok=False)  # never began: nothing to forget
    assert (pace.limit(), pace.peak, sorted(pace.in_flight)) == (2, 2, ["kz2", "kz3"])
    assert pace.why() == "2 at once (policy: parallel = 2)"


def test_a_fixed_pace_of_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^parallel must be at least 1, not 0$"):
        FixedPace(0)


# -- Meter ------------------------------------------------------------------------


def test_the_meter_solves_each_concurrencys_per_stream_rate_from_overlapping_transfers() -> None:
    # Storage that gives one stream 1G/s and two streams 0.75G/s each: kz1 runs
    # alone 2 s, then beside kz2 for 4 s; kz2 goes on alone 1 s.
    meter = Meter()
    meter.began("kz1", int(2 * G + 3 * G), 0.0)
    meter.began("kz2", int(3 * G + 1 * G), 2.0)
    assert meter.ended("kz1", 6.0, ok=True)
    assert meter.ended("kz2", 7.0, ok=True)
    levels = meter.levels()
    assert sorted(levels) == [1, 2]
    assert levels[1].per_stream == pytest.approx(G, rel=1e-6)
    assert levels[2].per_stream == pytest.approx(0.75 * G, rel=1e-6)
    assert levels[2].aggregate(2) == pytest.approx(1.5 * G, rel=1e-6)
    assert (levels[1].stream_seconds, levels[2].stream_seconds) == (3.0, 8.0)
    assert meter.peak == 2
    assert meter.durations == [6.0, 5.0]


def test_failed_unknown_empty_and_instant_transfers_are_no_equation() -> None:
    meter = Meter()
    meter.began("kz1", G, 0.0)
    meter.began("kz2", G, 0.0)
    meter.began("kz3", 0, 0.0)
    assert not meter.ended("kz1", 5.0, ok=False)
    assert not meter.ended("kz1", 5.0, ok=True)  # already ended
    assert not meter.ended("kz3", 6.0, ok=True)  # no bytes
    meter.began("kz4", G, 7.0)
    assert not meter.ended("kz4", 7.0, ok=True)  # no time
    assert meter.ended("kz2", 8.0, ok=True)
    # kz2 lived 5 s beside 2 others and 1 s beside 1 other (kz3 counted till 6),
    # then 1 s alone... every second of it at the concurrency there was.
    assert stream_seconds(meter) == {3: 5.0, 2: 1.0, 1: 2.0}


def test_the_meter_ignores_time_with_nothing_in_flight() -> None:
    meter = Meter()
    meter.began("kz1", G, 10.0)
    assert meter.ended("kz1", 11.0, ok=True)
    meter.began("kz2", 2 * G, 100.0)
    assert meter.ended("kz2", 102.0, ok=True)
    assert meter.levels() == {1: Level(near(G, rel=1e-6), 3.0)}


def test_the_size_known_at_the_end_replaces_the_estimate_given_at_the_beginning() -> None:
    # Two suspends begun with their zones' memory (8G each) wrote 2G and 6G images:
    # 1 s alone and 1 s together for kz1, 1 s together and 3 s alone for kz2, at
    # 1G/s alone and 0.5G/s each together.  With the estimates alone the equations
    # would not fit; with the images' sizes they are exact.
    meter = Meter()
    meter.began("kz1", 8 * G, 0.0)
    meter.began("kz2", 8 * G, 1.0)
    assert meter.ended("kz1", 2.0, ok=True, nbytes=int(1.5 * G))
    assert meter.ended("kz2", 5.0, ok=True, nbytes=int(3.5 * G))
    levels = meter.levels()
    assert levels[1].per_stream == pytest.approx(G, rel=1e-6)
    assert levels[2].per_stream == pytest.approx(G / 2, rel=1e-6)
    # Not given (an image that could not be read), the estimate stands.
    meter = Meter()
    meter.began("kz1", 2 * G, 0.0)
    assert meter.ended("kz1", 2.0, ok=True, nbytes=None)
    assert meter.levels()[1].per_stream == pytest.approx(G, rel=1e-6)


def test_a_level_the_equations_cannot_support_is_zero_not_negative() -> None:
    # kz1 moved 1G in 2 s alone and 1 s beside kz2 (which failed); kz3 10G in 10 s
    # alone: 1G/s alone, so kz1's second beside kz2 would have moved -1G.
    meter = Meter()
    meter.began("kz1", G, 0.0)
    meter.began("kz2", G, 1.0)
    assert not meter.ended("kz2", 2.0, ok=False)
    assert meter.ended("kz1", 3.0, ok=True)
    meter.began("kz3", 10 * G, 3.0)
    assert meter.ended("kz3", 13.0, ok=True)
    levels = meter.levels()
    assert levels[2].per_stream == 0.0
    assert levels[1].per_stream == pytest.approx(G, rel=1e-6)


# -- search -----------------------------------------------------------------------


def test_the_best_level_is_the_fewest_streams_within_three_per_cent_of_the_top() -> None:
    assert best_level({2: 1.98, 3: 2.0, 4: 1.9}) == 2
    assert best_level({2: 1.9, 3: 2.0, 4: 2.0}) == 3


def test_the_level_run_now_stays_best_within_a_band_about_the_three_per_cent_line() -> None:
    # 3 within 3 % of 4 is the best, but 4, run now, gives way only to a 3 within
    # 2 %; 3, run now, keeps its place until it falls 4 % below.
    assert best_level({3: 24.3, 4: 25.0}) == 3
    assert best_level({3: 24.3, 4: 25.0}, kept=4) == 4
    assert best_level({3: 24.51, 4: 25.0}, kept=4) == 3
    assert best_level({3: 24.2, 4: 25.0}) == 4
    assert best_level({3: 24.2, 4: 25.0}, kept=3) == 3
    assert best_level({3: 23.9, 4: 25.0}, kept=3) == 4
    # A level not measured, or the best itself, changes nothing.
    assert best_level({3: 24.3, 4: 25.0}, kept=5) == 3
    assert best_level({3: 24.3, 4: 25.0}, kept=3) == 3
    # The search brackets from the level kept: 4 kept, with nothing above it
    # measured, probes 5; from 3 the search probes 2.
    assert next_step({3: 24.3, 4: 25.0}) == Step(2, False, 3)
    assert next_step({3: 24.3, 4: 25.0}, kept=4) == Step(5, False, 4)


def test_a_stream_read_faster_beside_more_streams_is_pooled_with_the_level_below() -> None:
    # Per stream: 2 at 1.0, 4 at 0.75, 6 at 1.0, 8 at 0.8.  6 read faster than 4:
    # the two are pooled at their mean, weighted by their stream-seconds, (0.75 x 10
    # + 1.0 x 30) / 40 = 0.9375; 8 (0.8) is slower than that, 2 (1.0) faster.
    pooled = non_increasing({2: (2.0, 10.0), 4: (3.0, 10.0), 6: (6.0, 30.0), 8: (6.4, 10.0)})
    assert pooled == {2: 2.0, 4: pytest.approx(3.75), 6: pytest.approx(5.625), 8: 6.4}
    # A violation found late pools back through every block it is faster than:
    # 12 at 3.0 a stream over 10 (2.19) and 11 (2.0), each on as many seconds.
    pooled = non_increasing({10: (21.9, 5.0), 11: (22.0, 5.0), 12: (36.0, 5.0)})
    rate = (2.19 + 2.0 + 3.0) / 3
    assert pooled == {level: pytest.approx(rate * level) for level in (10, 11, 12)}
    # Already non-increasing (the storage's own shape): unchanged, and so the
    # search's choice; a level measured on no seconds (none) weighs as barely
    # measured.
    assert non_increasing({2: (2.0, 4.0), 4: (3.9, 8.0), 8: (3.6, 16.0)}) == {
        2: 2.0,
        4: 3.9,
        8: 3.6,
    }
    assert non_increasing({3: (3.0, 0.0), 4: (8.0, 6.0)}) == {
        3: pytest.approx(6.0),
        4: pytest.approx(8.0),
    }


@pytest.mark.parametrize(
    ("measured", "step"),
    [
        # One level: a gentle probe down first.
        ({8: 8.0}, Step(7, False, 8)),
        # Fewer did worse per stream: nothing below can reach the best; probe up.
        ({7: 7.0, 8: 8.0}, Step(10, False, 8)),
        # Up did worse: between the two.
        ({7: 7.0, 8: 8.0, 12: 6.0}, Step(10, False, 8)),
        ({7: 7.0, 8: 8.0, 9: 7.6}, Step(8, True, 8)),
        # Fewer did better (saturated): halve the way down.
        ({7: 1.6, 8: 1.54}, Step(4, False, 7)),
        ({4: 1.82, 7: 1.6, 8: 1.54}, Step(2, False, 4)),
        # Never probed below two; two with three above worse is settled.
        ({2: 2.0, 3: 1.9, 8: 1.5}, Step(2, True, 2)),
        # At the cap nothing is left to try.
        ({31: 31.0, 32: 32.0}, Step(32, True, 32)),
    ],
)
def test_the_search_brackets_the_peak(measured: dict[int, float], step: Step) -> None:
    assert next_step(measured) == step


def test_a_gentle_search_probes_an_eighth_down_until_a_level_below_is_measured() -> None:
    # 8 lost against 4 and nothing below 4 is measured: halving would try 2.
    assert next_step({4: 4.0, 8: 3.5}) == Step(2, False, 4)
    assert next_step({4: 4.0, 8: 3.5}, gentle=True) == Step(3, False, 4)
    assert next_step({8: 8.0, 16: 7.0}, gentle=True) == Step(7, False, 8)
    # With a level below measured, the bracket is halved all the same.
    assert next_step({2: 2.0, 8: 4.0, 16: 3.5}, gentle=True) == Step(5, False, 8)


def test_a_holding_search_probes_no_lower_while_nothing_below_the_best_is_measured() -> None:
    assert next_step({4: 4.0, 8: 3.5}, gentle=True, hold=True) == Step(6, False, 4)
    assert next_step({4: 4.0, 5: 3.9}, gentle=True, hold=True) == Step(4, True, 4)
    assert next_step({4: 4.0}, hold=True) == Step(5, False, 4)
    # Something below measured: the search as without hold.
    assert next_step({2: 3.0, 4: 4.0, 5: 3.9}, hold=True) == Step(3, False, 4)
    assert next_step({2: 3.0, 4: 4.0, 5: 3.9}) == Step(3, False, 4)


def test_the_search_probes_up_no_higher_than_the_cap() -> None:
    assert next_step({3: 3.0, 4: 4.0}, cap=4) == Step(4, True, 4)
    assert next_step({3: 3.0, 4: 4.0}, cap=MAX_AUTO) == Step(5, False, 4)
    assert next_step({29: 29.0, 30: 30.0}) == Step(32, False, 30)


# -- AutoPace ---------------------------------------------------------------------


def run(pace: AutoPace, transfers: list[tuple[str, int, float, float]]) -> None:
    """Feed ``(zone, bytes, began, ended)``, in time order of the events."""
    events = sorted(
        [(began, 1, zone, size) for zone, size, began, _ in transfers]
        + [(ended, 0, zone, size) for zone, size, _, ended in transfers]
    )
    for at, kind, zone, size in events:
        if kind:
            pace.began(zone, size, at)
        else:
            pace.ended(zone, at, ok=True)


def test_without_history_the_pace_begins_at_start_and_says_so() -> None:
    pace = AutoPace("suspend")
    assert (pace.limit(), START) == (8, 8)
    assert pace.why() == "8 at once to begin: no suspend measured yet, then by measurement"
    assert pace.learned(5.0) == []


def test_after_measuring_its_first_level_the_pace_probes_one_fewer() -> None:
    pace = AutoPace("suspend")
    run(pace, [(f"kz{index}", 10 * G, 0.0, 10.0) for index in range(8)])
    assert pace.table() == pytest.approx({8: 8 * G}, rel=1e-6)
    assert (pace.limit(), pace.peak) == (7, 8)
    assert pace.why() == "trying 7 at once: 8 gave 8G/s, fewer may do as well"
    assert pace.learned(50.0) == [PaceSample(8, near(8 * G, rel=1e-6), 80.0, 50.0)]
    # Measured by the second end (2 x 10 stream-seconds at 8, a quarter of 8 x 10 s):
    # the one change, on the executor's clock, with its reason then.
    assert pace.level_changes() == [
        LevelChange(10.0, 7, "trying 7 at once: 8 gave 8G/s, fewer may do as well")
    ]


def test_with_one_image_a_large_share_the_pace_begins_with_as_many_as_keep_pace_with_it() -> None:
    # 27G of 104G: four at once move the others' 77G while the largest moves its 27G
    # at a stream's full speed; eight would share the storage with it eight ways.
    work = [27 * G, 20 * G, 15 * G, 12 * G, 10 * G, 8 * G, 6 * G, 4 * G, 2 * G]
    pace = AutoPace("suspend", work=work)
    assert pace.limit() == 4
    assert pace.why() == (
        "4 at once: 4 keep pace with the largest suspend (27G of 104G) while it runs, "
        "then by measurement"
    )


def test_without_history_the_pace_holds_one_stream_in_five_fewer_than_keep_pace() -> None:
    # 32G of 182G: six keep pace with the largest where the storage serves six at
    # full speed; a first cycle does not know that it does, and each suspend begun
    # early is a zone down for longer.
    work = [32 * G, 24 * G, 20 * G, 20 * G, 16 * G, 16 * G, 16 * G, 14 * G, 12 * G, 12 * G]
    pace = AutoPace("suspend", work=work)
    assert pace.limit() == 5
    assert pace.why() == (
        "5 at once: 6 would keep pace with the largest suspend (32G of 182G) if the "
        "storage serves 6; one in 5 fewer until it is measured, then by measurement"
    )
    # The search probes no lower while the largest runs: measured at 5, it would try 4.
    pace.began("kz0", 32 * G, 0.0)
    run(pace, [(f"kz{index}", 16 * G, 0.0, 16.0) for index in range(1, 5)])
    assert (next_step(pace.table()).level, pace.limit()) == (4, 5)
    # Its end leaves the level to the search: every stream ran at full speed.
    pace.ended("kz0", 32.0, ok=True)
    assert pace.limit() == next_step(pace.table()).level == 6
    # Anything learned before: the storage was measured, and keeping pace caps it.
    learned = [PaceSample(8, 6 * G, 100.0, 1.0), PaceSample(10, 5 * G, 100.0, 1.0)]
    pace = AutoPace("suspend", learned, work=work)
    assert (pace.limit(), pace.why()) == (
        6,
        "6 at once: 6 keep pace with the largest suspend (32G of 182G) while it runs, "
        "then by measurement",
    )
    # One in every five: none below five, one from five to nine, two at ten.
    for keeping, level in ((3, 3), (4, 4), (5, 4), (9, 8), (10, 8)):
        work = [10 * G] + [G] * (10 * keeping - 10)  # 10G of 10 x keeping
        assert AutoPace("suspend", work=work).limit() == level


def test_work_that_any_level_would_start_at_once_leaves_the_pace_as_it_was() -> None:
    # Ten equal images: ten keep pace, as many as there are; not known; or one whose
    # size is unknown (it may be the largest).  (None planned: the test above.)
    for work in ([4 * G] * 10, None, [0, 0], [27 * G, 0, 4 * G, 4 * G, 4 * G, 4 * G]):
        pace = AutoPace("suspend", work=work)
        assert (pace.limit(), pace.why()) == (
            8,
            "8 at once to begin: no suspend measured yet, then by measurement",
        )
    # A history whose best is already lower keeps its own level and reason.
    learned = [PaceSample(2, 4 * G, 10.0, 1.0), PaceSample(3, 4.1 * G, 10.0, 1.0)]
    pace = AutoPace("suspend", learned, work=[27 * G, 20 * G, 15 * G, 12 * G, 30 * G])
    assert (pace.limit(), pace.why()) == (2, "2 at once: 2 gave 4G/s last cycle, 3 gave 4.1G/s")


def test_while_the_largest_runs_the_search_probes_no_lower_than_keeps_pace_with_it() -> None:
    work = [30 * G, 8 * G, 8 * G, 8 * G, 4 * G, 4 * G]  # 62G: 3 keep pace
    pace = AutoPace("suspend", work=work)
    assert pace.limit() == 3
    pace.began("kz1", 30 * G, 0.0)
    pace.began("kz2", 8 * G, 0.0)
    pace.began("kz3", 8 * G, 0.0)
    pace.ended("kz2", 8.0, ok=True)
    pace.ended("kz3", 8.0, ok=True)
    # Measured at 3, the search alone would probe 2 (an eighth down, at least one).
    assert next_step(pace.table()).level == 2
    assert pace.limit() == 3
    assert pace.why() == (
        "3 at once: 3 keep pace with the largest suspend (30G of 62G) while it runs, "
        "then by measurement"
    )
    pace.began("kz4", 8 * G, 8.0)
    pace.began("kz5", 4 * G, 8.0)
    pace.ended("kz5", 12.0, ok=True)
    pace.ended("kz4", 16.0, ok=True)
    pace.ended("kz1", 30.0, ok=True)
    # Its end leaves the level to the search: every stream ran at full speed.
    assert pace.limit() == next_step(pace.table()).level == 4
    assert pace.why() == "ramping up: 4 at once, aggregate still growing (3 gave 3G/s)"


def test_a_transfer_that_failed_or_never_began_changes_nothing() -> None:
    pace = AutoPace("resume")
    pace.began("kz1", G, 0.0)
    pace.ended("kz1", 3.0, ok=False)
    pace.ended("kz2", 3.0, ok=True)
    assert (pace.limit(), pace.table()) == (8, {})


def test_an_unmeasured_transfer_counts_in_flight_and_teaches_nothing() -> None:
    pace = AutoPace("resume")
    pace.began("kz1", 8 * G, 0.0)
    pace.began("kz2", G, 0.0)
    pace.ended("kz2", 1.0, ok=True, measured=False)
    # kz1 lived at 2 at once for its first second: kz2 counted in flight.
    pace.ended("kz1", 5.0, ok=True)
    assert pace.meter.weight == {2: 1.0, 1: 4.0}
    assert pace.meter.durations == [5.0]


def test_an_unsettled_level_keeps_the_limit() -> None:
    # Only a short transfer at 2 ends: half a mean transfer life per stream is not
    # there yet for level 2... and the current level (8) was never reached.
    pace = AutoPace("suspend")
    run(pace, [("kz1", G, 0.0, 1.0), ("kz2", 10 * G, 0.5, 20.0)])
    assert pace.limit() == 8


def test_with_history_the_pace_begins_at_the_best_and_names_the_neighbour() -> None:
    learned = [
        PaceSample(3, 2.9 * G, 10.0, 1.0),
        PaceSample(4, 3.9 * G, 10.0, 1.0),
        PaceSample(5, 3.7 * G, 10.0, 1.0),
    ]
    pace = AutoPace("resume", learned)
    assert pace.limit() == 4
    assert pace.why() == "4 at once: 4 gave 3.9G/s last cycle, 5 gave 3.7G/s"


def test_begun_at_the_historys_best_the_pace_probes_down_gently() -> None:
    # Cycle 1 measured 4 best and 8 worse, nothing below 4.
    learned = [PaceSample(4, 4 * G, 100.0, 1.0), PaceSample(8, 3.5 * G, 100.0, 1.0)]
    pace = AutoPace("suspend", learned)
    assert (pace.limit(), pace.why()) == (4, "4 at once: 4 gave 4G/s last cycle, 8 gave 3.5G/s")
    run(pace, [(f"kz{index}", 40 * G, 0.0, 40.0) for index in range(4)])
    assert pace.limit() == 3
    assert pace.why() == "trying 3 at once: 4 gave 4G/s, fewer may do as well"


def test_no_probe_down_begins_with_fewer_transfers_left_to_begin_than_run_at_once() -> None:
    # The history of the test above; five suspends planned (four the same size and
    # a small one), four of them measured: one left to begin, fewer than the four
    # running.  A probe to 3 would hold a stream idle while it waits, and could not
    # be measured before the run drains: the pace stays at 4.
    learned = [PaceSample(4, 4 * G, 100.0, 1.0), PaceSample(8, 3.5 * G, 100.0, 1.0)]
    pace = AutoPace("suspend", learned, work=[40 * G] * 4 + [G])
    run(pace, [(f"kz{index}", 40 * G, 0.0, 40.0) for index in range(4)])
    assert (pace.limit(), pace.level_changes()) == (4, [])
    # With four left to begin (eight planned), the probe goes ahead.
    pace = AutoPace("suspend", learned, work=[40 * G] * 8)
    run(pace, [(f"kz{index}", 40 * G, 0.0, 40.0) for index in range(4)])
    assert pace.limit() == 3
    assert pace.why() == "trying 3 at once: 4 gave 4G/s, fewer may do as well"


def test_begun_at_the_historys_best_resumes_probe_no_lower_until_a_level_below_is_known() -> None:
    # The same history for resumes: 4 measured again is kept, 5 to 7 are probed
    # (between 4 and 8), never 3.
    learned = [PaceSample(4, 4 * G, 100.0, 1.0), PaceSample(8, 3.5 * G, 100.0, 1.0)]
    pace = AutoPace("resume", learned)
    run(pace, [(f"kz{index}", 40 * G, 0.0, 40.0) for index in range(4)])
    assert (pace.limit(), pace.why()) == (6, "trying 6 at once: 4 gave 4G/s, more may do as well")
    # With 2 measured by an earlier cycle, the search below 4 goes on as before.
    learned = [PaceSample(2, 3 * G, 100.0, 1.0), *learned]
    pace = AutoPace("resume", learned)
    run(pace, [(f"kz{index}", 40 * G, 0.0, 40.0) for index in range(4)])
    assert (pace.limit(), pace.why()) == (3, "trying 3 at once: 4 gave 4G/s, fewer may do as well")


# -- a first resume after suspends that ran more than START at full speed -------------

# What a stop measured on storage that served 16 suspends at once at 1G/s each.
WRITES_TO_16 = [PaceSample(level, level * G, 10.0 * level, 0.0) for level in (3, 4, 6, 8, 12, 16)]


def first_resume(writes: list[PaceSample], history: list[PaceSample] | None = None) -> AutoPace:
    """A resume of 40 images of 2 to 41G, smallest first, on storage that 24 streams
    of 1G/s saturate (tests/unit/fluid.py), with ``writes`` as the suspends' figures;
    ``history``: the resumes' own."""
    pace = AutoPace("resume", history or [], writes=writes)
    sizes = [G * (2 + index) for index in range(40)]
    fluid.makespan(pace, sizes, fluid.Storage(streams=24), list(range(40)))
    return pace


def test_a_first_resume_goes_to_as_many_as_the_suspends_bandwidth_carries_once_fitted() -> None:
    # Its first wave held at 8 is fitted at its third end (6 s): a resume stream reads
    # 1G/s, and 16 of them read what 16 suspends wrote.  The search's own steps would
    # have taken 10 at 10 s, then 12 at 32 s (the next test).
    pace = first_resume(WRITES_TO_16)
    assert pace.level_changes()[:2] == [
        LevelChange(
            6.0,
            16,
            "16 at once: this host's suspends ran 16 at once at full speed, 16G/s; "
            "at 1G/s a resume, 16 read as much",
        ),
        LevelChange(36.0, 20, "ramping up: 20 at once, aggregate still growing (16 gave 16G/s)"),
    ]
    assert pace.order_for() == 16


@pytest.mark.parametrize(
    "writes",
    [
        # No suspend measured: nothing to go by; nor figures no pace could have
        # written (a hand-edited history.json): no level, no rate.
        [],
        [PaceSample(0, 16 * G, 10.0, 0.0), PaceSample(16, 0.0, 160.0, 0.0)],
        # The suspends' streams slowed beyond 8 (storage they saturate): no more than
        # START at full speed.
        [*WRITES_TO_16[:4], PaceSample(12, 8.5 * G, 120.0, 0.0)],
        # Slower suspends (0.6G/s each): 10 resume streams carry their 9.6G/s, no more
        # than the search's next step up from 8.
        [
            PaceSample(sample.concurrency, 0.6 * sample.bytes_per_second, sample.seconds, 0.0)
            for sample in WRITES_TO_16
        ],
    ],
)
def test_a_first_resume_climbs_by_its_own_steps_where_the_suspends_say_no_more(
    writes: list[PaceSample],
) -> None:
    pace = first_resume(writes)
    assert [(change.at, change.level) for change in pace.level_changes()[:2]] == [
        (10.0, 10),
        (32.0, 12),
    ]
    assert pace.order_for() == 8


def test_a_resume_with_its_own_history_takes_nothing_from_the_suspends() -> None:
    # Begun at its own best (10), it climbs as it would with no suspend measured.
    history = [PaceSample(8, 8 * G, 80.0, 0.0), PaceSample(10, 10 * G, 100.0, 0.0)]
    pace = first_resume(WRITES_TO_16, history)
    assert pace.level_changes() == first_resume([], history).level_changes()
    assert [(change.at, change.level) for change in pace.level_changes()[:2]] == [
        (18.0, 12),
        (34.0, 15),
    ]
    assert pace.order_for() == 10


def test_an_auto_resume_pace_is_given_what_the_suspends_measured() -> None:
    pace = pace_for("auto", {"suspend": WRITES_TO_16}, "resume")
    assert isinstance(pace, AutoPace)
    sizes = [G * (2 + index) for index in range(40)]
    fluid.makespan(pace, sizes, fluid.Storage(streams=24), list(range(40)))
    assert (pace.level_changes()[0].at, pace.level_changes()[0].level) == (6.0, 16)


def test_when_the_best_was_the_highest_tried_the_pace_still_probes_one_more() -> None:
    learned = [PaceSample(2, 2 * G, 10.0, 1.0), PaceSample(3, 2.8 * G, 10.0, 1.0)]
    pace = AutoPace("suspend", learned)
    assert (pace.limit(), pace.why()) == (3, "3 at once: 3 gave 2.8G/s last cycle, 2 gave 2G/s")
    # Three at once again, at the same rate: then one more.
    run(pace, [(f"kz{index}", int(2.8 * G), 0.0, 3.0) for index in range(3)])
    assert pace.limit() == 4
    assert pace.why() == "ramping up: 4 at once, aggregate still growing (3 gave 2.8G/s)"


def test_a_history_that_never_saturated_begins_no_lower_than_none() -> None:
    # Every stream at full speed up to the most tried: a small host's tail, no
    # reason to start below START.
    learned = [PaceSample(2, 2 * G, 10.0, 1.0), PaceSample(3, 3 * G, 10.0, 1.0)]
    pace = AutoPace("suspend", learned)
    assert pace.limit() == START
    assert pace.why() == "ramping up: 8 at once, aggregate still growing (3 gave 3G/s last cycle)"
    # One level alone shows no growth, only that nothing above it was tried.
    pace = AutoPace("suspend", [PaceSample(5, 4 * G, 200.0, 1.0)])
    assert (pace.limit(), pace.why()) == (
        START,
        "ramping up: 8 at once, nothing above 5 measured (5 gave 4G/s last cycle)",
    )
    pace = AutoPace("suspend", [PaceSample(10, 10 * G, 10.0, 1.0)])
    assert (pace.limit(), pace.why()) == (
        10,
        "10 at once: 10 gave 10G/s last cycle, trying more next",
    )


def test_the_pace_never_begins_above_its_cap_and_ignores_bad_history() -> None:
    learned = [PaceSample(0, 9 * G, 1.0, 1.0), PaceSample(40, 9 * G, 1.0, 1.0)]
    pace = AutoPace("suspend", learned, cap=6)
    assert pace.limit() == 6
    assert AutoPace("suspend", cap=0).limit() == 1
    assert AutoPace("suspend", [PaceSample(3, 0.0, 1.0, 1.0)]).limit() == START


def test_learned_keeps_the_historys_other_levels_and_weighs_the_measured_with_the_past() -> None:
    old = [PaceSample(2, 1.5 * G, 10.0, 1.0), PaceSample(8, 1.0 * G, 10.0, 1.0)]
    pace = AutoPace("suspend", old)
    run(pace, [("kz1", 4 * G, 0.0, 2.0), ("kz2", 4 * G, 0.0, 2.0)])
    # At 2: 4G/s on 4 stream-seconds now, 1.5G/s on 10 before, counted at a quarter:
    # (4 * 4 + 1.5 * 2.5) / 6.5.
    assert pace.learned(9.0) == [
        PaceSample(2, near(19.75 / 6.5 * G, rel=1e-6), 6.5, 9.0),
        PaceSample(8, 1.0 * G, 10.0, 1.0),
    ]
    assert pace.why() == "trying 5 at once: 2 gave 3.0G/s, more may do as well"


def test_a_level_measured_thinly_now_is_steadied_by_what_an_earlier_cycle_measured() -> None:
    # Cycle 1 found 3 best on 100 stream-seconds; early in cycle 2 three transfers at
    # 3 read low.  Alone they would make 5 the best (13.8 against 12.6: not within
    # 3 %) and send the pace up to 4; weighed with the past (25 stream-seconds
    # against their 15) 3 stays the best, and the pace only probes below it.
    old = [PaceSample(3, 14.7 * G, 100.0, 1.0), PaceSample(5, 13.8 * G, 40.0, 1.0)]
    pace = AutoPace("suspend", old)
    assert pace.limit() == 3
    run(pace, [(f"kz{n}", 21 * G, 0.0, 5.0) for n in (1, 2, 3)])
    assert pace.measured == {3: pytest.approx(12.6 * G, rel=1e-6)}
    assert pace.table()[3] == pytest.approx((12.6 * 15 + 14.7 * 25) / 40 * G, rel=1e-6)
    assert best_level(pace.table()) == 3
    assert best_level({**pace.past, **pace.measured}) == 5
    assert pace.limit() == 2
    assert pace.why() == "trying 2 at once: 3 gave 13.9G/s, fewer may do as well"


def test_aggregates_in_one_line() -> None:
    assert aggregates({4: 4 * G, 2: 1.5 * G}) == "2: 1.5G/s, 4: 4G/s"


# -- choice -----------------------------------------------------------------------


def test_a_number_pins_the_pace_and_auto_measures() -> None:
    learned = {"resume": [PaceSample(2, 2 * G, 1.0, 1.0), PaceSample(3, 2.5 * G, 1.0, 1.0)]}
    assert isinstance(pace_for(4, learned, "resume"), FixedPace)
    auto = pace_for("auto", learned, "resume")
    assert isinstance(auto, AutoPace)
    assert auto.limit() == 3
    # A stop reads the pools: its first cycle ramps up from RAMP_FIRST.
    assert pace_for("auto", learned, "suspend").limit() == RAMP_FIRST
    assert AutoPace("suspend").limit() == START
    assert pace_for("auto", learned, "suspend", [9 * G, G, G]).limit() == 2
    assert pace_for(4, learned, "suspend", [9 * G, G, G]).limit() == 4


def test_a_stop_with_no_suspend_planned_has_nothing_to_ramp_or_measure() -> None:
    # work=(): the plan has no suspend (unlike None, not known): no ramp, no pools.
    pace = pace_for("auto", {}, "suspend", [])
    assert isinstance(pace, AutoPace)
    assert (pace.limit(), pace.wants_samples()) == (START, False)
    assert pace.why() == "8 at once: no suspend planned, nothing to measure"
    assert pace_for("auto", {}, "suspend").wants_samples()
    # Earlier cycles' suspends say nothing of shutdowns: 8 still, the history kept.
    learned = {"suspend": [PaceSample(2, 2e8, 30.0, 1.0), PaceSample(3, 1.5e8, 30.0, 1.0)]}
    taught = pace_for("auto", learned, "suspend", [])
    assert (taught.limit(), taught.why()) == (START, pace.why())
    assert isinstance(taught, AutoPace)
    assert taught.learned(2.0) == learned["suspend"]
    decision = decide_pace("auto", {}, "suspend", [])
    assert (decision.start, decision.work) == (START, ())
    assert decide_pace("auto", {}, "resume").work is None


def test_the_decision_its_lines_and_its_journal_record() -> None:
    fixed = decide_pace(3, {}, "suspend")
    assert fixed == PaceDecision("suspend", 3, 3, "3 at once (policy: parallel = 3)")
    assert (fixed.auto, fixed.line()) == (False, "3 at once (policy: parallel = 3)")
    assert fixed.to_json() == {
        "parallel": 3,
        "start": 3,
        "why": "3 at once (policy: parallel = 3)",
    }
    sized = decide_pace("auto", {}, "suspend", [9 * G, G, G])
    assert (sized.start, sized.work) == (2, (9 * G, G, G))
    assert sized.why == (
        "2 at once: 2 keep pace with the largest suspend (9G of 11G) while it runs, "
        "then by measurement"
    )
    auto = decide_pace("auto", {}, "resume")
    assert auto.auto
    assert auto.line() == (
        '8 at once to begin: no resume measured yet, then by measurement (parallel = "auto")'
    )
    assert auto.record() == PaceRecord("auto", 8, auto.why)
    pace = AutoPace("resume")
    run(pace, [("kz1", G, 0.0, 1.0)])
    assert pace.why() == "ramping up: 8 at once, nothing above 1 measured (1 gave 1G/s)"
    # Its last word: 8 never ran (one transfer), so neither tried nor kept.
    assert auto.record(pace) == PaceRecord(
        "auto", 8, auto.why, 1, "1 at once: 1 gave 1G/s, no other number measured"
    )


def test_the_last_word_of_a_run_with_fewer_transfers_than_its_level_is_its_best() -> None:
    pace = AutoPace("resume")
    fluid.makespan(pace, [2 * G, 4 * G, 8 * G, 16 * G], fluid.Storage(2, overhead=0.0))
    assert (pace.peak, pace.limit(), sorted(pace.measured)) == (4, 8, [1, 2, 3, 4])
    assert pace.why() == "trying 8 at once: 2 gave 2G/s, more may do as well"
    assert pace.last_word() == "2 at once: 2 gave 2G/s, 3 gave 1.9G/s"
    # A level no higher than the most that ran is its own last word.
    held = AutoPace("resume")
    run(held, [(f"kz{index}", G, 0.0, 1.0) for index in range(8)])
    assert held.last_word() == held.why() == "trying 7 at once: 8 gave 8G/s, fewer may do as well"


def test_the_record_times_the_changes_of_level_from_the_methods_start() -> None:
    pace = AutoPace("suspend")  # one that reads no pools (pace_for's reads them)
    decision = PaceDecision("suspend", "auto", pace.limit(), pace.why())
    run(pace, [(f"kz{index}", 10 * G, 100.0, 110.0) for index in range(8)])
    record = decision.record(pace, began=95.5)
    why = "trying 7 at once: 8 gave 8G/s, fewer may do as well"
    assert record.levels == (LevelChange(14.5, 7, why),)
    assert record.timeline() == "8 at once, 7 from 14.5s"
    assert decide_pace(3, {}, "suspend").record(FixedPace(3), began=95.5).levels == ()


def test_a_record_keeps_the_first_changes_of_level_and_the_latest() -> None:
    changes = [LevelChange(float(index), 2 + index % 2, "") for index in range(250)]
    kept = kept_changes(changes)
    assert len(kept) == MAX_LEVEL_CHANGES == 100
    assert kept == (*changes[:99], changes[249])
    assert kept_changes(changes[:100]) == tuple(changes[:100])


def test_a_level_measured_stays_measured_as_longer_transfers_raise_the_bar() -> None:
    pace = AutoPace("resume", cap=2)
    # Two 1G transfers at once for 1 s each: 2 stream-seconds at 2, where the mean
    # transfer (1 s) asks a quarter of 2 x 1 s.
    run(pace, [("kp", G, 0.0, 1.0), ("kq", G, 0.0, 1.0)])
    assert pace.measured == {2: pytest.approx(2 * G, rel=1e-6)}
    # Ten of 100G alone: the mean transfer is now 83.5 s and 2's 2 stream-seconds
    # are below a quarter of 2 x 83.5 s, yet 2 was measured and stays so.
    run(
        pace,
        [(f"kz{index}", 100 * G, 1.0 + 100 * index, 101.0 + 100 * index) for index in range(10)],
    )
    assert pace.measured == {1: pytest.approx(G, rel=1e-6), 2: pytest.approx(2 * G, rel=1e-6)}


class ScriptedMeter(Meter):
    """A meter whose levels and durations are the test's."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[int, Level] = {}
        self.spread: dict[int, float] = {}

    def ended(self, zone: str, at: float, *, ok: bool, nbytes: int | None = None) -> bool:
        return True

    def levels(self) -> dict[int, Level]:
        return dict(self.found)

    def errors(self) -> dict[int, float]:
        return dict(self.spread)


def test_a_level_is_held_to_the_bar_it_met_and_dropped_below_it() -> None:
    pace = AutoPace("resume", cap=2)
    meter = pace.meter = ScriptedMeter()
    # Transfers of 1 s: the bar at 2 at once is a quarter of 2 x 1 s.
    meter.durations, meter.found = [1.0], {2: Level(G, 0.5)}
    pace.ended("kz1", 1.0, ok=True)
    assert pace.measured == {2: 2 * G}
    # Transfers of 10 s on average raise the bar to 5 s; 2 still meets its own.
    meter.durations = [1.0, 19.0]
    pace.ended("kz2", 2.0, ok=True)
    assert pace.measured == {2: 2 * G}
    # The fixed time, once found, left 2 with less than the bar it met: no longer
    # measured, and measured again only against the bar of now.
    meter.found = {2: Level(3 * G, 0.4)}
    pace.ended("kz3", 3.0, ok=True)
    assert pace.measured == {}
    meter.found = {2: Level(G, 4.9)}
    pace.ended("kz4", 4.0, ok=True)
    assert pace.measured == {}
    meter.found = {2: Level(G, 5.0)}
    pace.ended("kz5", 5.0, ok=True)
    assert pace.measured == {2: 2 * G}


def test_a_level_whose_rate_the_residuals_leave_uncertain_is_not_measured() -> None:
    pace = AutoPace("resume", cap=4)
    meter = pace.meter = ScriptedMeter()
    meter.durations = [1.0]
    meter.found = {2: Level(G, 5.0), 3: Level(G, 5.0), 4: Level(2 * G, 5.0)}
    # Known to within a fifth of itself, a level counts; beyond it, it does not,
    # however many stream-seconds it has (ERROR_MAX); not judged yet, it counts.
    meter.spread = {2: 0.05, 3: 0.2, 4: 0.21}
    pace.ended("kz1", 1.0, ok=True)
    assert pace.measured == {2: 2 * G, 3: 3 * G}
    meter.spread = {}
    pace.ended("kz2", 2.0, ok=True)
    assert pace.measured == {2: 2 * G, 3: 3 * G, 4: 8 * G}


def test_the_rates_errors_come_from_the_residuals_once_the_fit_could_be_judged() -> None:
    # Transfers of 10 s alone, 11G and 9G in turn: 1G/s, each equation off by 1G.
    # Five are fewer than the fit needs beside one level (2 x 2 + 2 = 6): no error
    # yet.  Six: the residuals' variance 6G^2 / (6 - 1), over 6 x 10^2 s^2 of the
    # level's own seconds squared, is a standard error of sqrt(0.002)G/s, 4.5 %.
    meter = Meter()
    for index in range(6):
        assert meter.errors() == {}
        meter.began(f"kz{index}", 10 * G, 10.0 * index)
        meter.ended(f"kz{index}", 10.0 * index + 10.0, ok=True, nbytes=(11 - 2 * (index % 2)) * G)
    assert meter.fixed == 0.0  # equal durations: no fixed time tells them apart
    assert meter.levels()[1].per_stream == pytest.approx(G, rel=1e-6)
    assert meter.errors() == {1: pytest.approx(math.sqrt(0.002), rel=1e-6)}


def test_a_level_solved_to_no_rate_has_an_infinite_error() -> None:
    # kz1 moved 1.5G in 2 s alone and 1 s beside kz2 (which failed); eight more
    # alone, of 1 to 8 s, at 1G/s (no fixed time fits them better than none): the
    # second beside kz2 would have moved -0.5G, so 2 at once comes out at no rate.
    meter = Meter()
    meter.began("kz1", G, 0.0)
    meter.began("kz2", G, 1.0)
    meter.ended("kz2", 2.0, ok=False)
    meter.ended("kz1", 3.0, ok=True, nbytes=3 * G // 2)
    at = 3.0
    for index in range(1, 9):
        meter.began(f"kz{index + 2}", index * G, at)
        at += index
        meter.ended(f"kz{index + 2}", at, ok=True)
    errors = meter.errors()
    assert meter.fixed == 0.0
    assert meter.levels()[2].per_stream == 0.0
    assert errors[2] == math.inf
    # The residual is the rates' as solved, 2 at none: kz1 off by 0.5G, the others
    # exact; over 9 - 2 equations and 1's 2^2 + 1^2 + ... + 8^2 s^2 of its own.
    assert errors[1] == pytest.approx(math.sqrt(0.25 / 7 / 208), rel=1e-6)


def test_levels_no_transfer_shared_are_solved_apart() -> None:
    meter = Meter()
    meter.began("kz1", G, 0.0)
    assert meter.ended("kz1", 1.0, ok=True)
    meter.began("kz2", G, 2.0)
    meter.began("kz3", G, 2.0)
    assert meter.ended("kz2", 4.0, ok=True)
    assert meter.ended("kz3", 4.0, ok=True)
    assert meter.levels() == {
        1: Level(near(G, rel=1e-6), 1.0),
        2: Level(near(G / 2, rel=1e-6), 4.0),
    }


# -- the fixed time a transfer spends moving no bytes ------------------------------


def alone(
    target: Meter | AutoPace, sizes: list[int], *, fixed: float = 2.0, at: float = 0.0
) -> float:
    """Each transfer alone, one after the other from ``at``: ``fixed`` seconds and
    its bytes at 1G/s; the time the last one ended."""
    for index, size in enumerate(sizes):
        target.began(f"kz{index}", size, at)
        at += fixed + size / G
        target.ended(f"kz{index}", at, ok=True)
    return at


SIZES = [6 * G, 8 * G, 10 * G, 12 * G, 14 * G, 16 * G]


def test_the_meter_measures_the_fixed_time_beside_the_rates() -> None:
    meter = Meter()
    alone(meter, SIZES)
    assert len(meter.durations) == 6
    fit = meter.fit()
    assert fit is not None
    assert fit.per_stream == {1: near(G, rel=1e-6)}
    assert fit.fixed == pytest.approx(2.0, rel=1e-6)
    assert fit.image_ratio == 1.0
    # The rate while moving bytes, and the seconds spent moving them: 66G at 1G/s.
    assert meter.levels() == {1: Level(near(G, rel=1e-6), near(66.0, rel=1e-6))}


def test_until_the_fixed_time_is_measured_whole_transfers_count() -> None:
    meter = Meter()
    alone(meter, SIZES[:5])
    assert meter.fixed == 0.0
    # 6G to 14G in 8 to 16 s, 2 s of each moving none: the least squares over whole
    # durations, sum(seconds x bytes) / sum(seconds^2) = 640G / 760.
    assert meter.levels() == {1: Level(near(640 * G / 760, rel=1e-6), 60.0)}


def test_the_fixed_time_waits_for_twice_as_many_transfers_as_unknowns_and_two() -> None:
    meter = Meter()
    alone(meter, SIZES[:5])
    assert meter.fit() is None  # 5 < 2 * (1 level + 1) + 2


def test_once_measured_a_transfers_fixed_time_is_no_stream_for_the_others() -> None:
    meter = Meter()
    at = alone(meter, SIZES)
    assert meter.fixed == pytest.approx(2.0, abs=0.005)
    # kzb begins in kza's last second: in flight together for 1 s, but kza moved its
    # bytes from 1 s after its beginning to 1 s before its end (the fixed time
    # halved about the bytes), kzb from 1 s after its own: never both at once.
    meter.began("kza", 10 * G, at)
    meter.began("kzb", 4 * G, at + 11.0)
    meter.ended("kza", at + 12.0, ok=True)
    meter.ended("kzb", at + 17.0, ok=True)
    assert stream_seconds(meter) == {1: pytest.approx(66.0 + 10.0 + 4.0, abs=0.05)}


def test_the_fit_learns_how_the_images_compare_with_the_estimates() -> None:
    # Each suspend began with its memory as the estimate; its image was half of it.
    meter = Meter()
    at = 0.0
    for index, size in enumerate(SIZES):
        meter.began(f"kz{index}", 2 * size, at)
        at += 2.0 + size / G
        meter.ended(f"kz{index}", at, ok=True, nbytes=size)
    fit = meter.fit()
    assert fit is not None
    assert fit.image_ratio == 0.5
    # A transfer in flight: 20G of memory is about 10G of image, 4G of it done
    # (counted from its beginning: its bytes end one fixed time before it does).
    meter.began("kz9", 20 * G, at)
    left = meter.progress("kz9", at + 4.0, fit)
    assert left is not None
    assert left[0] == pytest.approx(10 * G - 4 * G, rel=1e-6)
    assert left[1] == pytest.approx(G, rel=1e-6)
    assert meter.progress("kz8", at, fit) is None  # not in flight


def test_a_transfer_due_and_replaced_counts_once_with_its_replacement() -> None:
    meter = Meter()
    meter.began("kz1", G, 0.0)
    meter.began("kz2", G, 0.0)
    meter.count_out("kz1", 1.0)
    meter.count_out("kz1", 1.5)  # already due: still counted out from 1.0
    meter.count_out("kz9", 1.0)  # not in flight: nothing
    assert (meter.due, meter.replaced, meter.moving) == ({"kz1"}, set(), 2)
    meter.began("kz3", G, 1.0)  # started in kz1's place
    assert (meter.replaced, meter.moving) == ({"kz1"}, 2)
    assert (meter.count_out_lag(), meter.count_outs_ended()) == (None, 0)
    meter.ended("kz1", 2.0, ok=True)
    assert (meter.due, meter.replaced, meter.moving, meter.peak) == (set(), set(), 2, 3)
    assert (meter.count_out_lag(), meter.count_outs_ended()) == (1.0, 1)
    meter.ended("kz2", 3.0, ok=True)
    meter.ended("kz3", 4.0, ok=True)
    # The measurement counts streams moving bytes by the fixed time it measured
    # (none yet), not by the count-outs: kz1, kz2 and kz3 were three from 1 to 2.
    assert stream_seconds(meter) == {1: 1.0, 2: 4.0, 3: 3.0}


def test_a_meter_not_predictable_counts_a_replaced_transfer_until_it_ends() -> None:
    meter = Meter()
    meter.predictable = False
    meter.began("kz1", G, 0.0)
    meter.began("kz2", G, 0.0)
    meter.count_out("kz1", 1.0)
    meter.began("kz3", G, 1.0)  # started in kz1's place: kz1 may still move bytes
    assert (meter.due, meter.replaced, meter.moving) == ({"kz1"}, set(), 3)
    meter.ended("kz1", 2.0, ok=True)
    meter.ended("kz2", 3.0, ok=True)
    meter.ended("kz3", 4.0, ok=True)
    # kz1 lived 1 s at 2 and 1 s at 3; kz2 1 s at 2, 1 s at 3, 1 s at 2; kz3 1 s at
    # 3, 1 s at 2, 1 s at 1.
    assert stream_seconds(meter) == {1: 1.0, 2: 4.0, 3: 3.0}


def test_the_ratio_spread_is_the_deviation_of_moved_over_expected_over_its_mean() -> None:
    meter = Meter()
    assert meter.ratio_spread() == 0.0
    meter.began("kz1", 2 * G, 0.0)
    meter.ended("kz1", 1.0, ok=True, nbytes=G)
    assert meter.ratio_spread() == 0.0  # one ratio: no spread
    meter.began("kz2", 2 * G, 1.0)
    meter.ended("kz2", 2.0, ok=True, nbytes=3 * G)
    assert meter.ratio_spread() == pytest.approx(0.5)  # 0.5 and 1.5: 0.5 / 1.0
    meter.began("kz3", 0, 2.0)  # no estimate: no ratio
    meter.ended("kz3", 3.0, ok=True, nbytes=G)
    assert meter.ratio_spread() == pytest.approx(0.5)


def test_count_outs_stop_counting_only_while_the_estimates_proved_right() -> None:
    # Each alone, 2 s fixed then its bytes at 1G/s, estimates exact: a count-out is
    # a transfer in its fixed time.
    pace, at = auto_alone()
    assert pace.meter.predictable
    # Estimates half or one and a half times the images (as a first suspend's zone
    # memory): a due time is misplaced by more than half the 2 s fixed time.
    pace = AutoPace("suspend", cap=1)
    at = 0.0
    for index, size in enumerate(SIZES):
        estimate = size * 2 if index % 2 else size * 2 // 3
        pace.began(f"kz{index}", estimate, at)
        at += 2.0 + size / G
        pace.ended(f"kz{index}", at, ok=True, nbytes=size)
    assert pace.fixed_seconds() == pytest.approx(2.0, rel=1e-6)
    assert pace.meter.ratio_spread() == pytest.approx(0.5)
    assert not pace.meter.predictable
    # A fixed time not believed: nothing to predict with.
    pace, _ = auto_alone(fixed=0.0)
    assert (pace.fixed_seconds(), pace.meter.predictable) == (None, False)


@pytest.mark.parametrize(("lag", "predictable"), [(2.0, True), (2.9, True), (3.1, False)])
def test_count_outs_stop_counting_only_while_their_ends_bear_the_fixed_time_out(
    lag: float, predictable: bool
) -> None:
    # Exact estimates, 2 s fixed; three transfers counted out ``lag`` before their
    # ends (as a prediction early by lag - 2 s would): within half the fixed time
    # of it, the count-outs still hold; beyond, they no longer do.
    pace, at = auto_alone()
    for index in range(3):
        assert pace.meter.predictable
        pace.began(f"kx{index}", 20 * G, at)
        at += 22.0
        pace.meter.count_out(f"kx{index}", at - lag)
        pace.ended(f"kx{index}", at, ok=True)
    assert pace.fixed_seconds() == pytest.approx(2.0, rel=1e-6)
    assert pace.meter.count_out_lag() == pytest.approx(lag)
    assert pace.meter.predictable is predictable


# -- a first wave's fixed time (measure.FIRST_FIT) ----------------------------------


class HeldWithMeter(FixedPace):
    """A fixed number at once whose transfers also feed ``meter``; after each end,
    (when, the meter's fixed time, whether its first wave is still open, each
    level's aggregate in GiB a second, rounded to 0.001)."""

    def __init__(self, parallel: int, meter: Meter) -> None:
        super().__init__(parallel)
        self.meter = meter
        self.seen: list[tuple[float, float, bool, dict[int, float]]] = []

    def began(self, zone: str, nbytes: int, at: float) -> None:
        super().began(zone, nbytes, at)
        self.meter.began(zone, nbytes, at)

    def ended(
        self, zone: str, at: float, *, ok: bool, nbytes: int | None = None, measured: bool = True
    ) -> None:
        super().ended(zone, at, ok=ok)
        self.meter.ended(zone, at, ok=ok, nbytes=nbytes)
        aggregates = {
            level: round(found.aggregate(level) / G, 3)
            for level, found in self.meter.levels().items()
        }
        self.seen.append((round(at, 3), self.meter.fixed, self.meter.first_wave_open, aggregates))


def first_wave(meter: Meter) -> list[tuple[float, float, bool, dict[int, float]]]:
    """The first three ends of 4 at once, smallest first, on storage two streams of
    1G/s saturate (4 share 1.887G/s), each transfer first 2 s moving no bytes."""
    pace = HeldWithMeter(4, meter)
    sizes = [G, 2 * G, 3 * G, 5 * G, 8 * G, 13 * G, 21 * G]
    fluid.makespan(pace, sizes, fluid.Storage(streams=2), list(range(len(sizes))))
    return pace.seen[:3]


def test_a_first_wave_held_at_one_level_has_its_fixed_time_measured_at_its_third_end() -> None:
    ends = first_wave(Meter(first_fit=True))
    assert [(at, fixed, open_) for at, fixed, open_, _ in ends] == [
        (4.12, 0.0, True),
        (5.665, 0.0, True),
        (6.962, pytest.approx(2.054, abs=0.001), False),
    ]
    # Read with its fixed time, 4 at once comes within 3 % of the storage's 1.887G/s;
    # the handoffs, one or two fewer moving while a transfer's 2 s pass, are levels
    # of their own (thin: 0.5 and 3.9 stream-seconds).
    assert ends[2][3] == {2: 1.925, 3: 1.942, 4: 1.936}


def test_without_the_first_waves_fit_its_level_reads_what_its_smallest_transfers_gave() -> None:
    # The same ends with whole transfers counted: 4 at once reads half of the
    # storage at the first end, 79 % at the third (the bias FIRST_FIT removes).
    ends = first_wave(Meter())
    assert [(at, fixed, open_, read) for at, fixed, open_, read in ends] == [
        (4.12, 0.0, False, {4: 0.971}),
        (5.665, 0.0, False, {4: 1.26}),
        (6.962, 0.0, False, {4: 1.49}),
    ]


def noisy_first_wave() -> Meter:
    """4 at once, 2 s of each moving no bytes, then 1G/s a stream; the 2G transfer
    ended 0.6 s late (a loaded host's noise), each end replaced at once."""
    meter = Meter(first_fit=True)
    for index, size in enumerate((G, 2 * G, 3 * G, 9 * G)):
        meter.began(f"kz{index}", size, 0.0)
    assert meter.ended("kz0", 3.0, ok=True)
    meter.began("kz4", 9 * G, 3.0)
    assert meter.ended("kz1", 4.6, ok=True)
    meter.began("kz5", 9 * G, 4.6)
    assert meter.first_wave_open
    assert meter.ended("kz2", 5.0, ok=True)
    assert not meter.first_wave_open
    return meter


def test_a_first_wave_that_no_rate_explains_within_the_bar_keeps_no_fixed_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Its best fit leaves more than FIRST_FIT_RESIDUAL of the bytes' spread
    # unexplained: not believed, the equations stay as counted whole.
    meter = noisy_first_wave()
    assert meter.fixed == 0.0
    assert per_stream_gib(meter) == {4: 0.493}
    # Without the bar the same ends would be read with 1.93 s.
    monkeypatch.setattr(measure, "FIRST_FIT_RESIDUAL", math.inf)
    assert noisy_first_wave().fixed == pytest.approx(1.929, abs=0.001)


def test_a_first_wave_launched_one_after_another_is_fitted_as_one_level() -> None:
    # Each of the first four begins 0.1 s after the last, as commands launched one
    # after another do: the meter's own levels are 1 to 4, the pace's one.  Each
    # moves from 2 s after its beginning at 1G/s (the storage serves four at full
    # speed), and each end is replaced at once.
    meter = Meter(first_fit=True)
    for index, size in enumerate((G, 2 * G, 3 * G, 9 * G)):
        meter.began(f"kz{index}", size, 0.1 * index)
    assert meter.ended("kz0", 3.0, ok=True)
    meter.began("kz4", 9 * G, 3.0)
    assert meter.ended("kz1", 4.1, ok=True)
    meter.began("kz5", 9 * G, 4.1)
    assert sorted(meter.weight) == [1, 2, 3, 4]
    assert meter.first_wave_open
    assert meter.ended("kz2", 5.2, ok=True)
    # Golden sections to about a thousandth of the shortest transfer (3 s).
    assert meter.fixed == pytest.approx(2.0, abs=0.005)
    assert not meter.first_wave_open
    # Each stream's rate while moving bytes: 0.90-1.16G/s where it is 1 (the meter
    # halves each fixed time about the bytes, where these spend it before them);
    # without the first wave's fit, 4 at once read 0.39G/s a stream.
    assert per_stream_gib(meter) == {1: 0.0, 2: 1.024, 3: 0.904, 4: 1.159}


def per_stream_gib(meter: Meter) -> dict[int, float]:
    return {level: round(found.per_stream / G, 3) for level, found in meter.levels().items()}


def test_a_first_wave_whose_level_the_pace_changed_is_not_fitted() -> None:
    meter = Meter(first_fit=True)
    for index, size in enumerate((G, 2 * G, 3 * G, 9 * G)):
        meter.began(f"kz{index}", size, 0.1 * index)
    assert meter.ended("kz0", 3.0, ok=True)
    meter.close_first_wave()  # the pace went to 3 at once: kz0 is not replaced
    assert meter.ended("kz1", 4.1, ok=True)
    assert meter.ended("kz2", 5.2, ok=True)
    assert (meter.fixed, meter.first_wave_open) == (0.0, False)
    assert per_stream_gib(meter) == {1: 0.373, 2: 1.0, 3: 0.943, 4: 0.285}


def test_a_first_resume_probes_down_only_once_its_first_waves_fixed_time_is_measured() -> None:
    # 20 resumes smallest first on storage eight streams of 1G/s saturate, 2 s of
    # each moving no bytes: the first ends (2G and 4G images, 4 and 6 s) read 8 at
    # once at 4.9G/s with their fixed time in, and a meter without the first wave's
    # fit sends the search down to 7, then 4.  Held at 8 until its third end, the
    # pace reads 8 at 8G/s and 7 at 7G/s, and tries 10.
    storage = fluid.Storage(streams=8)
    sizes = fluid.mixed_sizes(20, 3)
    order = sorted(range(len(sizes)), key=lambda index: (sizes[index], index))

    def first_resume(meter: Meter | None) -> tuple[float, list[tuple[float, int, str]]]:
        pace = AutoPace("resume")
        if meter is not None:
            pace.meter = meter
        ratio = fluid.makespan(pace, sizes, storage, order) / storage.bound(sizes)
        return ratio, [(round(c.at, 2), c.level, c.why) for c in pace.level_changes()]

    ratio, changes = first_resume(None)
    assert changes == [
        (6.0, 10, "ramping up: 10 at once, aggregate still growing (8 gave 8G/s)"),
        (17.66, 9, "trying 9 at once: 8 gave 8G/s, more may do as well"),
    ]
    unfitted, unfitted_changes = first_resume(Meter())
    assert unfitted_changes[:2] == [
        (6.0, 7, "trying 7 at once: 8 gave 4.9G/s, fewer may do as well"),
        (14.0, 4, "trying 4 at once: 7 gave 6.2G/s, fewer may do as well"),
    ]
    assert (round(ratio, 3), round(unfitted, 3)) == (1.268, 1.424)


# -- a fixed time that grows with the transfers in flight (a crowded host) ---------


def pairs(meter: Meter, count: int) -> None:
    """``count`` pairs at 1G/s a stream, never two moving bytes at once: the first
    of each begins alone (2 s fixed), the second in the first's last half second,
    beside it (5 s fixed: 3 s more for the one other in flight); each fixed time
    halved about its bytes, as the meter places it."""
    at = 0.0
    for index in range(count):
        first, second = (2 + 2 * index) * G, (3 + 2 * index) * G
        meter.began(f"ka{index}", first, at)
        ends = at + 2.0 + first / G
        meter.began(f"kb{index}", second, ends - 0.5)
        meter.ended(f"ka{index}", ends, ok=True)
        at = ends - 0.5 + 5.0 + second / G
        meter.ended(f"kb{index}", at, ok=True)


def test_the_meter_measures_how_the_fixed_time_grows_with_the_others_in_flight() -> None:
    meter = Meter()
    pairs(meter, 5)
    fit = meter.fit()
    assert fit is not None
    # Golden sections to a few thousandths (measure.py _least_fixed_and_crowd).
    assert (fit.fixed, fit.crowd) == pytest.approx((2.0, 3.0), abs=0.005)
    assert fit.per_stream == {1: pytest.approx(G, rel=1e-3)}
    assert meter.mean_company() == 0.5  # half began alone, half beside one


def test_a_crowd_that_fits_no_better_than_by_half_is_not_taken(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The same pairs, held to a gain no fit reaches: one fixed time for all.
    monkeypatch.setattr(measure, "CROWD_GAIN", 0.0)
    meter = Meter()
    pairs(meter, 5)
    fit = meter.fit()
    assert fit is not None
    # One fixed time for all fits neither the 2 s nor the 5 s, and the bytes read
    # as moving through the rest of the 5 s: the rate comes out 29 % low.
    assert fit.crowd == 0.0
    assert fit.fixed == pytest.approx(0.752, abs=0.005)
    assert fit.per_stream == {1: pytest.approx(0.709 * G, rel=1e-3)}


def test_with_a_crowd_a_transfer_is_counted_out_before_the_next_ones_longer_fixed_time() -> None:
    meter = Meter()
    meter.crowd = 3.0  # as Meter._refit sets it
    for zone in ("kz1", "kz2", "kz3"):
        meter.began(zone, G, 0.0)  # beside 0, 1 and 2 others
    # The next begins beside 3: 9, 6 and 3 s more than each one's own fixed time.
    assert [meter.lead(zone) for zone in ("kz1", "kz2", "kz3")] == [9.0, 6.0, 3.0]
    meter.count_out("kz1", 10.0)
    meter.ended("kz1", 21.0, ok=True)
    # Its 11 s from count-out to end, less the 9 s the crowd adds: 2 s, the fixed
    # time alone that the pace holds the lag against (auto.py _predictable).
    assert (meter.count_out_lag(), meter.count_outs_ended()) == (2.0, 1)
    assert meter.lead("kz2") == 3.0  # the next would now begin beside 2


def auto_alone(*, sizes: list[int] = SIZES, fixed: float = 2.0) -> tuple[AutoPace, float]:
    """An auto pace held at one stream (its cap) that has measured ``sizes`` alone."""
    pace = AutoPace("resume", cap=1)
    return pace, alone(pace, sizes, fixed=fixed)


def test_the_auto_pace_lets_one_more_begin_in_a_transfers_fixed_time() -> None:
    pace, at = auto_alone()
    assert pace.fixed_seconds() == pytest.approx(2.0, rel=1e-6)
    pace.began("kz7", 20 * G, at)
    # 20 s of bytes, then 2 s moving none: the next may begin at +20.
    assert (pace.limit(at), pace.wake(at)) == (1, near(at + 20.0, rel=1e-6))
    assert pace.limit(at + 19.0) == 1
    assert (pace.limit(at + 19.995), pace.wake(at + 19.995)) == (2, None)
    assert pace.limit() == 2  # counted out until it ends
    pace.began("kz8", 4 * G, at + 20.0)
    assert (pace.meter.moving, pace.limit(at + 20.0)) == (1, 2)
    pace.ended("kz7", at + 22.0, ok=True)
    assert pace.limit(at + 22.0) == 1
    assert pace.why() == (
        "1 at once: 1 gave 1G/s, trying more next; 2s of each transfer moves no "
        "bytes, so the next begins 2s before one ends"
    )


def test_once_the_fixed_time_is_known_levels_compare_on_the_rate_while_moving_bytes() -> None:
    # Storage of 1G/s a stream that serves two streams at full speed; every transfer
    # spends 2 s moving no bytes.  Two pairs of 1G images at 2 at once, then larger
    # images alone: counted whole, a small image's fixed time makes 2 at once look
    # slower (1G in 3 s a stream) than 1 (12G to 32G at 0.86-0.94G/s), as the
    # smallest resumes, ending first, did on the simulator (docs/performance.md).
    pace = AutoPace("resume", cap=2)
    at = 0.0
    for pair in range(2):
        pace.began(f"kp{pair}", G, at)
        pace.began(f"kq{pair}", G, at)
        at += 3.0
        pace.ended(f"kp{pair}", at, ok=True)
        pace.ended(f"kq{pair}", at, ok=True)
    alone(pace, [2 * size for size in SIZES], at=at)
    # The fixed time is found to a few thousandths of a second (measure.py _golden).
    assert pace.fixed_seconds() == pytest.approx(2.0, abs=0.005)
    assert pace.table() == {1: pytest.approx(G, rel=5e-3), 2: pytest.approx(2 * G, rel=5e-3)}
    assert pace.limit() == 2
    assert pace.why() == (
        "2 at once: 2 gave 2.0G/s, 1 gave 1G/s; 2s of each transfer moves no bytes, "
        "so the next begins 2s before one ends"
    )  # 2045M/s: the pairs' 1 s of bytes each, read to a few thousandths


def test_no_fixed_time_leaves_the_limit_alone() -> None:
    # No fixed time: nothing to count out, no wake-up, the usual reason.
    pace, at = auto_alone(fixed=0.0)
    assert pace.fixed_seconds() is None
    pace.began("kz7", 20 * G, at)
    assert (pace.limit(at + 19.995), pace.wake(at)) == (1, None)
    assert pace.why() == "1 at once: 1 gave 1G/s, trying more next"


def test_a_fixed_time_under_a_twentieth_of_a_second_goes_unsaid() -> None:
    # It still counts transfers out (measure.py); "0s of each transfer moves no
    # bytes, so the next begins 0s before one ends" would tell the operator nothing.
    for fixed, why in (
        (0.04, "1 at once: 1 gave 1G/s, trying more next"),
        (
            0.2,
            "1 at once: 1 gave 1G/s, trying more next; 0.2s of each transfer moves no "
            "bytes, so the next begins 0.2s before one ends",
        ),
    ):
        pace, _ = auto_alone(fixed=fixed)
        assert pace.fixed_seconds() == pytest.approx(fixed, abs=0.002)
        assert pace.why() == why


def test_the_fixed_time_is_sought_up_to_three_quarters_of_the_shortest_transfer() -> None:
    pace, _ = auto_alone(fixed=3.0)
    assert pace.fixed_seconds() == pytest.approx(3.0, abs=0.01)
    # Transfers of 3.25 to 4.5 s, 3 s of each moving none: read as three quarters of
    # the shortest, 2.4375 s, the most sought (where the fixed time is nearly all of
    # a transfer, the equations can put the rest anywhere).
    sizes = [G // 4, G // 2, 3 * G // 4, G, 5 * G // 4, 3 * G // 2]
    pace, _ = auto_alone(sizes=sizes, fixed=3.0)
    assert pace.fixed_seconds() == 2.4375


def test_no_more_than_half_the_level_rounded_up_is_counted_out_at_once() -> None:
    # Two at a time on storage of 1G/s in all: each pair 2 s fixed, then its bytes
    # at 0.5G/s a stream.
    pace = AutoPace("suspend", cap=2)
    at = 0.0
    for index, size in enumerate(SIZES):
        pace.began(f"kz{index}a", size, at)
        pace.began(f"kz{index}b", size, at)
        at += 2.0 + size / (G / 2)
        pace.ended(f"kz{index}a", at, ok=True)
        pace.ended(f"kz{index}b", at, ok=True)
    assert pace.fixed_seconds() == pytest.approx(2.0, abs=0.01)
    pace.began("kz7", 4 * G, at)
    pace.began("kz8", 4 * G, at)
    # Both due at +8; at level 2 one of them is counted out, the other waits for an end.
    assert pace.limit(at + 7.9) == 2
    assert (pace.limit(at + 8.0), pace.meter.due, pace.wake(at + 8.0)) == (3, {"kz7"}, None)
    pace.began("kz9", 4 * G, at + 8.0)
    pace.ended("kz7", at + 10.0, ok=True)
    assert (pace.limit(at + 10.0), pace.meter.due) == (3, {"kz8"})


def test_a_transfer_that_lived_at_an_unmeasured_level_or_had_no_estimate() -> None:
    meter = Meter()
    at = alone(meter, SIZES)
    fit = meter.fit()
    assert fit is not None
    # kz7 lives beside kz8 (two at once: never measured), then alone.
    meter.began("kz7", 5 * G, at)
    meter.began("kz8", 0, at + 1.0)  # no estimate: no ratio of image to estimate
    assert meter.ended("kz8", at + 5.0, ok=True, nbytes=G)
    assert meter.progress("kz7", at + 6.0, fit) is None
    assert meter.fit() is None  # two levels now: 7 < 2 x (2 + 1) + 2 transfers
    assert meter.ended("kz7", at + 8.0, ok=True)
    refit = meter.fit()
    assert refit is not None
    assert refit.image_ratio == 1.0  # kz8, without an estimate, is no ratio


def as_measured(*, guessed: bool) -> AutoPace:
    """A first stop's pace whose ends measured 2 at once at 2.05G/s and 3 at 2.1G/s
    (by streams moving), with a fixed time of 2 s in transfers of 20 s, and no
    suspend counted out; ``guessed``: because the sizes given were a guess (else
    because the count-outs ended late)."""
    pace = AutoPace("suspend")
    pace.measured = {2: 2.05 * G, 3: 2.1 * G}
    pace._seconds = {2: 100.0, 3: 100.0}
    pace._fit = Fit({2: 1.025 * G, 3: 0.7 * G}, 2.0, 1.0)
    pace.meter.durations = [20.0, 20.0]
    pace.meter.predictable = False
    pace._guessed = guessed
    return pace


def test_without_count_outs_a_first_stop_compares_the_levels_as_kept_in_flight() -> None:
    # Its sizes a guess, no suspend is counted out: 2 in flight move bytes like 1.8
    # streams (2.05G/s x 1.8 / 2), 3 like 2.7 (on the line from 2 to 3): 3 is best,
    # where by streams moving 2 is (within 3% of 3).
    pace = as_measured(guessed=True)
    assert pace.table() == pytest.approx({2: 1.845 * G, 3: 2.085 * G})
    assert best_level(pace.table()) == 3
    # Count-outs off because they ended late: read as measured.
    late = as_measured(guessed=False)
    assert late.table() == pytest.approx({2: 2.05 * G, 3: 2.1 * G})
    assert best_level(late.table()) == 2


@pytest.mark.parametrize(
    ("level", "value"), [(1.0, 1.0), (2.5, 2.25), (4.0, 3.0), (9.0, 3.0), (3.0, 2.5)]
)
def test_a_table_is_read_between_its_levels_on_the_line_joining_them(
    level: float, value: float
) -> None:
    assert _read({2: 2.0, 3: 2.5, 4: 3.0}, level) == pytest.approx(value)

"""The auto pace against shared storage (tests/unit/fluid.py, the simulator's model
kzguard/sim/timing.py): storage that saturates at 2, 4 and 8 streams and loses 3 %
of its bandwidth per stream beyond (down to half), 10, 100 and 500 zones of mixed
memory (2G to 64G), the plans' largest-first order, the pace told their sizes as
the stop path tells it its suspends' (at 10 zones, where one image is a large share,
it begins with as many as keep pace with the largest: pace/auto.py); each transfer
either moves bytes from its first instant (overhead 0) or first holds its slot 2 s
without moving any (overhead 2, as the simulator's op_overhead).

Once the fixed time is measured, the levels are compared on the rate a stream
has while it moves bytes (pace/auto.py).  Before that, at 10 zones with the
overhead, the second cycle on storage saturating at 4 and 8 took 1.27 of the
bound: the first cycle's levels ran one (4) for the short transfers and another
(3) only for the long ones' tail; whole transfers' rates credited 3 with more
than its streams can move (2 s of a 10 s transfer moved nothing, and its level
read slow), and the next cycle's search followed that to 2.  Those cells are now
1.056 and 1.030, and the second cycles at 100 zones 1.021-1.027 (were 1.042-1.049).
Since the meter counts streams moving rather than in flight (pace/measure.py,
2026-12-05), most cells with the overhead moved by less than 0.01 and the third
cycles at 100 and 500 zones by 0.005-0.009 (up: the fixed time, halved about the
bytes, sits 1 s off where this model puts it); the first cycle at 100 zones on
storage saturating at 4 went from 1.115 to 1.161 (a probe to 2 at once held 54 s
where it held 20) and the third at 10 zones on storage saturating at 2 from 1.093
to 1.113, while the bench's replays of the simulator's workloads gained
(docs/performance.md, "Streams moving, not in flight").  Weakest now: the first
cycles at 100 zones with the overhead (1.08-1.16, before the fixed time is
measured) and 10 zones on storage saturating at 2 (1.09-1.11).  Since each
stream's rate is read non-increasing in the level (pace/search.py
non_increasing, 2026-12-07), the first cycle at 100 zones on storage saturating
at 4 went from 1.130 to 1.160 (a probe to 2 at once held 56 s, where the tail's
rule had taken one more after 2 s) and the one on storage saturating at 2 from
1.118 to 1.126; no other cell moved by more than 0.001, and the noisy replays
gained (docs/performance.md, "A stream is never faster beside more streams").

Each figure is the makespan over its lower bound (the longest transfer alone at one
stream's rate, or every byte at the full bandwidth, plus one overhead) for the
first cycle (no history), the next (what the first learned) and the third.  With
an overhead no fixed number reaches that bound (a slot in its overhead leaves
bandwidth idle unless one more stream runs: the best fixed number is 1.07-1.11 of
it at 100 and 500 zones); the auto pace measures the overhead and starts the next
transfer that long before one is due to end (kzguard/pace/auto.py), which brought
its third cycles there from 1.07-1.12 to 1.02-1.05.  The third cycle is also held
against the best fixed number, found by trying them.  A pure event
simulation: no clock, no threads, milliseconds a case."""

from __future__ import annotations

import math
import random

import pytest

from kzguard.journal.history import PaceSample
from kzguard.pace import auto, measure
from kzguard.pace.auto import AutoPace
from kzguard.pace.limit import FixedPace
from tests.unit.fluid import Storage, makespan, mixed_sizes

# (overhead, saturation, zones) -> the ratios measured when the pace was written:
# first cycle, next, third.  Each is asserted to within 0.01.
MEASURED = {
    (0.0, 2, 10): (1.049, 1.026, 1.000),
    (0.0, 2, 100): (1.095, 1.000, 1.000),
    (0.0, 2, 500): (1.021, 1.000, 1.000),
    (0.0, 4, 10): (1.000, 1.027, 1.000),
    (0.0, 4, 100): (1.100, 1.000, 1.002),
    (0.0, 4, 500): (1.028, 1.000, 1.000),
    (0.0, 8, 10): (1.000, 1.000, 1.000),
    (0.0, 8, 100): (1.039, 1.005, 1.002),
    (0.0, 8, 500): (1.014, 1.000, 1.000),
    (2.0, 2, 10): (1.048, 1.087, 1.113),
    (2.0, 2, 100): (1.126, 1.027, 1.026),
    (2.0, 2, 500): (1.039, 1.024, 1.023),
    (2.0, 4, 10): (1.000, 1.056, 1.000),
    (2.0, 4, 100): (1.160, 1.021, 1.027),
    (2.0, 4, 500): (1.050, 1.026, 1.023),
    (2.0, 8, 10): (1.000, 1.030, 1.000),
    (2.0, 8, 100): (1.077, 1.026, 1.027),
    (2.0, 8, 500): (1.037, 1.029, 1.023),
}


def cycles(storage: Storage, zones: int, count: int = 3) -> tuple[list[float], AutoPace]:
    learned: list[PaceSample] = []
    ratios = []
    for cycle in range(count):
        sizes = mixed_sizes(zones, 13 + cycle)
        pace = AutoPace("suspend", learned, work=sizes)
        ratios.append(makespan(pace, sizes, storage) / storage.bound(sizes))
        learned = pace.learned(float(cycle))
    return ratios, pace


def best_fixed(storage: Storage, sizes: list[int]) -> float:
    """The best of the numbers around saturation (from 1 to twice it, the best was
    always among these four)."""
    numbers = range(max(storage.streams - 1, 1), storage.streams + 3)
    best = min(makespan(FixedPace(number), sizes, storage) for number in numbers)
    return best / storage.bound(sizes)


@pytest.mark.parametrize(("overhead", "streams", "zones"), sorted(MEASURED))
def test_auto_comes_near_the_bound_and_learns_across_cycles(
    overhead: float, streams: int, zones: int
) -> None:
    storage = Storage(streams, overhead=overhead)
    ratios, _ = cycles(storage, zones)
    assert ratios == pytest.approx(list(MEASURED[overhead, streams, zones]), abs=0.01)
    # The third cycle ran the sizes of seed 15, as best_fixed does.
    assert ratios[2] <= 1.05 * best_fixed(storage, mixed_sizes(zones, 15))


@pytest.mark.parametrize("streams", [2, 4, 8])
def test_the_third_cycle_runs_at_the_saturation_and_says_why(streams: int) -> None:
    storage = Storage(streams, overhead=0.0)
    _, pace = cycles(storage, 100)
    assert pace.limit() == streams
    assert pace.why() == (
        f"{streams} at once: {streams} gave {streams}G/s, {streams + 1} gave "
        f"{storage.aggregate(streams + 1) / (1 << 30):.1f}G/s"
    )


@pytest.mark.parametrize("streams", [2, 4, 8])
def test_with_an_overhead_the_pace_measures_it_and_says_so(streams: int) -> None:
    _, pace = cycles(Storage(streams, overhead=2.0), 500)
    assert pace.limit() == streams
    assert pace.fixed_seconds() == pytest.approx(2.0, abs=0.05)
    assert pace.why().endswith(
        "; 2s of each transfer moves no bytes, so the next begins 2s before one ends"
    )


@pytest.mark.parametrize("streams", [2, 4, 8])
def test_one_at_a_time_and_all_at_once_are_slower_than_auto(streams: int) -> None:
    storage = Storage(streams)
    sizes = mixed_sizes(100, 15)
    auto, _ = cycles(storage, 100)
    one = makespan(FixedPace(1), sizes, storage) / storage.bound(sizes)
    every = makespan(FixedPace(len(sizes)), sizes, storage) / storage.bound(sizes)
    assert min(one, every) > auto[2] * 1.5


SLACK = auto.PREDICTION_SLACK


def first_stop(streams: int, monkeypatch: pytest.MonkeyPatch, slack: float) -> AutoPace:
    """100 zones whose suspends begin with an estimate a third to nine tenths off
    their images (a first stop: the zones' memory), largest estimate first."""
    monkeypatch.setattr(auto, "PREDICTION_SLACK", slack)
    sizes = mixed_sizes(100)
    generator = random.Random(7)  # noqa: S311 (ratios, not secrets)
    estimates = [int(size / generator.uniform(0.3, 0.9)) for size in sizes]
    order = sorted(range(len(sizes)), key=lambda index: -estimates[index])
    pace = AutoPace("suspend", work=sorted(estimates, reverse=True))
    makespan(pace, sizes, Storage(streams), order, estimates=estimates)
    return pace


@pytest.mark.parametrize("streams", [2, 4, 8])
def test_count_outs_on_guessed_sizes_do_not_move_the_fixed_time_they_rest_on(
    streams: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Counted out of the concurrency on a guessed due time, suspends still moving
    # bytes made the fixed time read longer with each count-out while the meter
    # counted streams by the pace's count-outs (2.7 to 4.1 s here for the 2 s every
    # transfer spends); the meter now counts streams moving by the fixed time it
    # measures, whatever the pace counts out (pace/measure.py).
    for slack in (math.inf, SLACK):
        found = first_stop(streams, monkeypatch, slack).fixed_seconds()
        assert found == pytest.approx(2.0, abs=0.01)


def test_on_a_loaded_host_levels_the_residuals_leave_uncertain_are_not_trusted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each command holds its slot up to 2 % of the bound longer, at random (a loaded
    # host's start-ups and ends: 0.5 s of a 25 s bound on the faithful clock):
    # first resumes of 100 zones, smallest first, on the three storages, two
    # workloads each.  Thin levels then read up to twice the storage's bandwidth,
    # and without auto.ERROR_MAX the search follows them.  (Chaotic case by case:
    # bench/resume_pace.py --jitter gives the means over many, docs/performance.md
    # "Noisy ends".)
    def first_resumes() -> list[float]:
        ratios = []
        for streams in (2, 4, 8):
            storage = Storage(streams, overhead=2.0)
            for seed in range(2):
                sizes = mixed_sizes(100, 13 + seed)
                order = sorted(range(len(sizes)), key=lambda index: sizes[index])
                bound = storage.bound(sizes)
                pace = AutoPace("resume")
                ratios.append(
                    makespan(pace, sizes, storage, order, jitter=0.02 * bound, seed=10 * seed)
                    / bound
                )
        return ratios

    kept = first_resumes()
    monkeypatch.setattr(auto, "ERROR_MAX", math.inf)
    trusted = first_resumes()
    assert (sum(kept) / 6, max(kept)) == pytest.approx((1.224, 1.308), abs=0.002)
    assert (sum(trusted) / 6, max(trusted)) == pytest.approx((1.239, 1.308), abs=0.002)


def test_a_crowded_host_stretches_each_transfer_by_the_others_in_flight() -> None:
    # The model's ``crowd``: a transfer begun beside N others holds its slot N x
    # crowd longer before its bytes (one byte each here, so the bytes take no time).
    storage = Storage(4, overhead=2.0)
    assert makespan(FixedPace(3), [1, 1, 1], storage, crowd=3.0) == pytest.approx(2.0 + 2 * 3.0)
    assert makespan(FixedPace(1), [1, 1, 1], storage, crowd=3.0) == pytest.approx(3 * 2.0)
    assert makespan(FixedPace(3), [1, 1, 1], storage) == pytest.approx(2.0)


def test_on_a_crowded_host_the_meter_measures_the_crowd_and_the_resumes_gain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # First resumes of 100 zones, smallest first, on the three storages, two
    # workloads each, every transfer 1 s longer for each other in flight when it
    # begins: the meter finds that second (pace/measure.py, the crowd), reads the
    # levels' rates without it, and the makespans come down; held to one fixed time
    # for all (CROWD_GAIN 0: no crowd is ever taken), they read the levels off.
    # Where the crowd, not the storage, limits (3 s a transfer on storage eight
    # streams saturate: all at once is best), reading the storage right does not
    # help: docs/performance.md, "A fixed time that grows with the company".
    def first_resumes() -> tuple[list[float], list[AutoPace]]:
        ratios, paces = [], []
        for streams in (2, 4, 8):
            storage = Storage(streams, overhead=2.0)
            for seed in range(2):
                sizes = mixed_sizes(100, 13 + seed)
                order = sorted(range(len(sizes)), key=lambda index: sizes[index])
                pace = AutoPace("resume")
                ratios.append(
                    makespan(pace, sizes, storage, order, crowd=1.0) / storage.bound(sizes)
                )
                paces.append(pace)
        return ratios, paces

    ratios, paces = first_resumes()
    assert paces[0].why() == (
        "2 at once: 2 gave 2G/s, 3 gave 2.0G/s; 2.1s of each transfer moves no bytes, "
        "0.9s more for each other in flight when it began, so the next begins that long "
        "before one ends"
    )
    # 0.94-1.00 where the model's is 1, and 0.41 in one: the meter halves each fixed
    # time about the bytes, where this model spends it wholly before them, so the
    # fit depends on the levels the pace ran (0.82-1.00 before
    # search.non_increasing, 0.95-1.17 before the first wave's fixed time was
    # fitted at its third end, pace/measure.py FIRST_FIT: each refit begins from
    # the crowd it had, none then).
    assert [round(pace.meter.crowd, 2) for pace in paces] == [0.94, 0.41, 0.96, 0.99, 1.0, 1.0]
    monkeypatch.setattr(measure, "CROWD_GAIN", 0.0)
    alike, paces = first_resumes()
    assert [pace.meter.crowd for pace in paces] == [0.0] * 6
    # 1 s of fixed time where the transfers' own is 2 s and 1 s more a neighbour,
    # and 5 at once at 2.1G/s from storage that gives 2 at most: the waits read as
    # bytes moving (14 at once at 2.1G/s with 3 s before the first wave's fixed time
    # was fitted at its third end; 2.8G/s at 15 before each stream's rate was read
    # non-increasing in the level, search.non_increasing; 1.344 and 1.603 then).
    assert paces[0].why() == (
        "5 at once: 5 gave 2.1G/s, 6 gave 1.9G/s; 1s of each transfer moves no bytes, "
        "so the next begins 1s before one ends"
    )
    assert (sum(ratios) / 6, max(ratios)) == pytest.approx((1.249, 1.510), abs=0.002)
    assert (sum(alike) / 6, max(alike)) == pytest.approx((1.306, 1.427), abs=0.002)

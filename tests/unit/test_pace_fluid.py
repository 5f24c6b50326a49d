"""The auto pace against shared storage (tests/unit/fluid.py): storage that
saturates at 2, 4 and 8 streams and loses 5 % of its bandwidth per stream beyond,
10, 100 and 500 zones of mixed memory (2G to 64G), the plans' largest-first order.
Each figure is the makespan of the transfers over its lower bound (the longest
alone at one stream's rate, or every byte at the full bandwidth), for the first
cycle (no history), the next (what the first learned) and the third.  A pure event
simulation: no clock, no threads."""

from __future__ import annotations

import pytest

from kzguard.pace.auto import AutoPace
from kzguard.pace.limit import FixedPace
from tests.unit.fluid import Storage, makespan, mixed_sizes

# (saturation, zones) -> the ratios measured when the pace was written: first
# cycle, next, third.  Each assertion allows 1 % above them.
MEASURED = {
    (2, 10): (1.110, 1.036, 1.000),
    (2, 100): (1.157, 1.000, 1.000),
    (2, 500): (1.036, 1.000, 1.000),
    (4, 10): (1.151, 1.142, 1.000),
    (4, 100): (1.137, 1.000, 1.002),
    (4, 500): (1.037, 1.000, 1.000),
    (8, 10): (1.000, 1.000, 1.000),
    (8, 100): (1.045, 1.005, 1.002),
    (8, 500): (1.019, 1.000, 1.000),
}


def cycles(storage: Storage, zones: int, count: int = 3) -> tuple[list[float], AutoPace]:
    learned: list = []
    ratios = []
    for cycle in range(count):
        sizes = mixed_sizes(zones, 13 + cycle)
        pace = AutoPace("suspend", learned)
        ratios.append(makespan(pace, sizes, storage) / storage.bound(sizes))
        learned = pace.learned(float(cycle))
    return ratios, pace


@pytest.mark.parametrize(("streams", "zones"), sorted(MEASURED))
def test_auto_comes_near_the_bound_and_learns_across_cycles(streams: int, zones: int) -> None:
    ratios, _ = cycles(Storage(streams), zones)
    assert ratios == pytest.approx(list(MEASURED[streams, zones]), abs=0.01)


@pytest.mark.parametrize("streams", [2, 4, 8])
def test_the_third_cycle_runs_at_the_saturation_and_says_why(streams: int) -> None:
    _, pace = cycles(Storage(streams), 100)
    assert pace.limit() == streams
    assert pace.why() == (
        f"{streams} at once: {streams} gave {streams}G/s, {streams + 1} gave "
        f"{Storage(streams).aggregate(streams + 1) / (1 << 30):.1f}G/s"
    )


@pytest.mark.parametrize("streams", [2, 4, 8])
def test_one_at_a_time_and_all_at_once_are_slower_than_auto(streams: int) -> None:
    storage = Storage(streams)
    sizes = mixed_sizes(100, 15)
    auto, _ = cycles(storage, 100)
    one = makespan(FixedPace(1), sizes, storage) / storage.bound(sizes)
    every = makespan(FixedPace(len(sizes)), sizes, storage) / storage.bound(sizes)
    assert min(one, every) > auto[2] * 1.5

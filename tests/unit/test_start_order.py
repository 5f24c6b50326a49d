"""start/order.py: the boot order within the constraints, shortest first, each
image begun no later than largest first needs it.  Pure: plain values."""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from kzguard.start.order import boot_order, latest_starts, size_order

G = 1 << 30


@dataclass(frozen=True)
class Zone:
    name: str
    rank: int = 1


def names(
    sizes: dict[str, int],
    *,
    streams: int,
    waited_on: tuple[str, ...] = (),
    ranks: dict[str, int] | None = None,
) -> list[str]:
    zones = [Zone(name, (ranks or {}).get(name, 1)) for name in sizes]
    return [zone.name for zone in boot_order(zones, sizes, waited_on, streams)]


def test_one_stream_at_a_time_the_shortest_go_first_then_by_name() -> None:
    sizes = {"kz1": 8 * G, "kz2": 2 * G, "kz3": 4 * G, "kz4": 2 * G, "kz5": 0}
    # One after the other the makespan is the same in any order.
    assert names(sizes, streams=1) == ["kz5", "kz2", "kz4", "kz3", "kz1"]
    assert names(sizes, streams=0) == ["kz5", "kz2", "kz4", "kz3", "kz1"]


def test_each_image_has_a_latest_start_from_largest_first_placed_backwards() -> None:
    sizes = {"a": 32 * G, "b": 2 * G, "c": 4 * G, "d": 16 * G, "e": 2 * G, "f": 14 * G}
    # Largest first on 2 slots ends at 36G (a, b, e on one; d, f, c on the other).
    # Backwards from 36G, each on the slot whose next image begins latest: a 36-32,
    # d 36-16, f 20-14, c 6-4, then of the equal two e first (names backwards, so
    # that b begins earlier) 4-2, b 2-2.
    assert latest_starts(sizes, 2) == {
        "a": 4 * G, "d": 20 * G, "f": 6 * G, "c": 2 * G, "e": 2 * G, "b": 0,
    }  # fmt: skip


def test_shortest_first_but_no_image_later_than_its_latest_start() -> None:
    sizes = {"a": 32 * G, "b": 2 * G, "c": 4 * G, "d": 16 * G, "e": 2 * G, "f": 14 * G}
    # 2 slots: b, e, c shortest first; a (latest 4G) once a slot freed at 2G could
    # not first run f (14G); then f, d.  Shortest first would end at 48G (a last),
    # this order at 36G, as largest first.
    assert names(sizes, streams=2) == ["b", "e", "c", "a", "f", "d"]
    assert slots(sizes, names(sizes, streams=2), 2)[0] == 36 * G
    assert slots(sizes, sorted(sizes, key=lambda n: (sizes[n], n)), 2)[0] == 48 * G
    # 4 slots: a must start at once (latest 0); the rest shortest first.
    assert names(sizes, streams=4) == ["a", "b", "e", "c", "f", "d"]


def test_an_image_just_under_a_slots_share_is_not_left_to_the_end() -> None:
    # A 10-zone host's images (GiB, in tenths) that the rule before this one (long
    # from 0.75 of a slot's share, the rest shortest first) ordered kz9 and kz5
    # first and kz4, just under the share, among the last: on sat4 storage it ended
    # at 1.6 of the bound.  At 4 slots largest first ends at 35.0G; kz8 has to begin
    # at once for that (the backward placement puts it before kz7 on one slot), kz9
    # by 7.8G, and so on.  The order ends with largest first and brings the zones
    # back as early in all as shortest first, which ends at 42.7G.
    tenths = {"kz9": 272, "kz5": 269, "kz4": 250, "kz7": 219, "kz8": 131,
              "kz2": 70, "kz1": 52, "kz6": 47, "kz3": 24, "kz10": 13}  # fmt: skip
    order = names(tenths, streams=4)
    assert order == ["kz8", "kz3", "kz10", "kz1", "kz2", "kz6", "kz9", "kz5", "kz4", "kz7"]
    largest_first = sorted(tenths, key=lambda n: -tenths[n])
    shortest_first = sorted(tenths, key=lambda n: tenths[n])
    assert slots(tenths, order, 4) == (350, 1721)
    assert slots(tenths, largest_first, 4) == (350, 2996)
    assert slots(tenths, shortest_first, 4) == (427, 1721)


@settings(max_examples=400, deadline=None)
@given(
    sizes=st.dictionaries(
        st.sampled_from([f"kz{n}" for n in range(40)]), st.integers(0, 600), max_size=40
    ),
    streams=st.integers(1, 12),
)
def test_the_order_never_ends_later_than_largest_first(sizes: dict[str, int], streams: int) -> None:
    order = size_order(sizes, streams)
    assert sorted(order) == sorted(sizes)
    largest_first = sorted(sizes, key=lambda n: -sizes[n])
    assert slots(sizes, order, streams)[0] <= slots(sizes, largest_first, streams)[0]


def test_images_of_no_bytes_go_first_by_name() -> None:
    assert names({"b": 0, "a": 0}, streams=4) == ["a", "b"]


def test_boot_priority_then_zones_waited_on_come_before_the_sizes() -> None:
    sizes = {"big": 32 * G, "db": 2 * G, "low": 1 * G, "high": 4 * G, "app": 1 * G}
    order = names(sizes, streams=2, waited_on=("db",), ranks={"high": 0, "low": 2, "big": 1})
    # high (rank 0) first; among rank 1, db (waited on) before big, which must start
    # at once (latest start 0 at 2 slots), then app; low (rank 2) last.
    assert order == ["high", "db", "big", "app", "low"]


def test_items_the_sizes_do_not_list_count_as_nothing() -> None:
    zones = [Zone("a"), Zone("b"), Zone("c")]
    assert [z.name for z in boot_order(zones, {"c": G}, (), 2)] == ["a", "b", "c"]


def slots(sizes: dict[str, int], order: list[str], streams: int) -> tuple[int, int]:
    """(when the last image is read, the sum of when each is), each begun on the
    first free of ``streams`` equal slots, in ``order``."""
    free = [0] * streams
    total = 0
    for name in order:
        done = free[0] + sizes[name]
        heapq.heapreplace(free, done)
        total += done
    return max(free), total


def test_made_again_during_a_run_the_order_counts_the_images_in_flight() -> None:
    # Two slots, one of them reading an 8G image already: the 6G image begun first
    # on the free slot would end at 6 with the others after the 8G one (10); the
    # order holds the small ones first, then the 6G one from 4, all ended at 10.
    sizes = {"kz1": 6 * G, "kz2": 2 * G, "kz3": 2 * G, "kz4": 2 * G}
    assert size_order(sizes, 2) == ["kz1", "kz2", "kz3", "kz4"]
    assert size_order(sizes, 2, [8 * G]) == ["kz2", "kz3", "kz1", "kz4"]
    assert latest_starts(sizes, 2, [0, 8 * G]) == {
        "kz1": 4 * G,
        "kz2": 4 * G,
        "kz3": 6 * G,
        "kz4": 8 * G,
    }
    zones = [Zone(name) for name in sizes]
    order = boot_order(zones, sizes, (), 2, [8 * G])
    assert [zone.name for zone in order] == ["kz2", "kz3", "kz1", "kz4"]
    # More in flight than slots: the largest hold them.
    assert size_order(sizes, 2, [1 * G, 8 * G, 8 * G]) == size_order(sizes, 2, [8 * G, 8 * G])

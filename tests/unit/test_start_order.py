"""start/order.py: the boot order within the constraints, long resumes first, the
rest shortest first.  Pure: plain values."""

from __future__ import annotations

from dataclasses import dataclass

from kzguard.start.order import LONG_SHARE, boot_order

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
    # One after the other the makespan is the same in any order: kz1, half of all
    # the bytes, is not long.
    assert names(sizes, streams=1) == ["kz5", "kz2", "kz4", "kz3", "kz1"]
    assert names(sizes, streams=0) == ["kz5", "kz2", "kz4", "kz3", "kz1"]


def test_long_images_start_first_largest_first_then_the_rest_shortest_first() -> None:
    sizes = {"a": 32 * G, "b": 2 * G, "c": 4 * G, "d": 16 * G, "e": 2 * G, "f": 14 * G - 1}
    # 70G - 1 over 2 streams: a slot's share is about 35G; long from LONG_SHARE of it,
    # about 26.2G: only a.  Over 4 streams, from about 13.1G: a, d and f.
    assert LONG_SHARE == 0.75
    assert names(sizes, streams=2) == ["a", "b", "e", "c", "f", "d"]
    assert names(sizes, streams=4) == ["a", "d", "f", "b", "e", "c"]


def test_an_image_exactly_at_the_threshold_is_long() -> None:
    sizes = {"x": 3 * G, **dict.fromkeys("abcdef", 2 * G), "g": 1 * G}
    # 16G over 4 streams: long from 0.75 x 4G = 3G, so x first though the largest.
    assert names(sizes, streams=4) == ["x", "g", "a", "b", "c", "d", "e", "f"]
    # 4 bytes less: 16G - 4 over 4 streams is long from 3G - 0.75; x is 3G - 4.
    smaller = {**sizes, "x": 3 * G - 4}
    assert names(smaller, streams=4) == ["g", "a", "b", "c", "d", "e", "f", "x"]


def test_many_streams_make_every_image_long_largest_first() -> None:
    sizes = {"a": 2 * G, "b": 8 * G, "c": 4 * G}
    assert names(sizes, streams=64) == ["b", "c", "a"]


def test_no_bytes_are_never_long() -> None:
    assert names({"b": 0, "a": 0}, streams=4) == ["a", "b"]


def test_boot_priority_then_zones_waited_on_come_before_the_classes() -> None:
    sizes = {"big": 32 * G, "db": 2 * G, "low": 1 * G, "high": 4 * G, "app": 1 * G}
    order = names(sizes, streams=2, waited_on=("db",), ranks={"high": 0, "low": 2, "big": 1})
    # high (rank 0) first; among rank 1, db (waited on) before big, which is long.
    assert order == ["high", "db", "big", "app", "low"]


def test_items_the_sizes_do_not_list_count_as_nothing() -> None:
    zones = [Zone("a"), Zone("b"), Zone("c")]
    assert [z.name for z in boot_order(zones, {"c": G}, (), 2)] == ["c", "a", "b"]

"""kzguard.solaris.parse.zpool: ``zpool iostat INTERVAL 2``.

The fixtures follow illumos' zpool_main.c (print_iostat_header, print_vdev_stats,
a separator after each report of more than one pool) with figures from Oracle's
"Listing Pool-Wide I/O Statistics" (docs/solaris.md 14.1).
"""

from __future__ import annotations

import pytest

from kzguard.solaris.parse.zpool import PoolTraffic, nicenum_value, parse_iostat_interval
from tests.unit.solaris_output import fixture, parse_error

K, M, G = 1 << 10, 1 << 20, 1 << 30


def in_two_pieces(text: str, lines: int) -> list[tuple[float, int]]:
    """zpool's stdout as it arrives: its first ``lines`` lines (the header and the
    report since boot) at 10.0, the rest (the interval's report) at 15.0."""
    head = sum(len(line) + 1 for line in text.split("\n")[:lines])
    return [(10.0, head), (15.0, len(text))]


def test_one_pool_the_second_report_counts_timed_by_the_reports_arrivals() -> None:
    text = fixture("zpool-iostat-one-pool.txt")
    found = parse_iostat_interval(text, in_two_pieces(text, 4))
    assert found == PoolTraffic(start=10.0, stop=15.0, read=0.0, write=57.7 * M)


def test_two_pools_their_second_report_summed() -> None:
    text = fixture("zpool-iostat-two-pools.txt")
    found = parse_iostat_interval(text, in_two_pieces(text, 6))
    assert found == PoolTraffic(10.0, 15.0, read=1.20 * K + 1.50 * M, write=23.3 * M)


def test_output_in_pieces_of_any_size_is_timed_by_the_piece_that_ended_each_row() -> None:
    # The since-boot row ends in the second piece, the interval's row in the fourth;
    # a last row without its newline is timed by the last piece.
    text = fixture("zpool-iostat-one-pool.txt").rstrip("\n")
    rows = text.split("\n")
    first_row_end = sum(len(line) + 1 for line in rows[:4])
    arrivals = [(1.0, 20), (2.0, first_row_end), (3.0, first_row_end + 5), (4.0, len(text))]
    found = parse_iostat_interval(text, arrivals)
    assert (found.start, found.stop) == (2.0, 4.0)


@pytest.mark.parametrize(
    ("figure", "value"),
    [
        ("0", 0.0),
        ("786", 786.0),
        ("1K", 1.0 * K),
        ("1.20K", 1.2 * K),
        ("296K", 296.0 * K),
        ("23.3M", 23.3 * M),
        ("2G", 2.0 * G),
        ("1.50T", 1.5 * K * G),
        ("8E", 8.0 * (1 << 60)),
    ],
)
def test_figures_in_zfs_nicenum_form(figure: str, value: float) -> None:
    assert nicenum_value(figure, "line") == value


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("", "", "no zpool iostat header"),
        ("cannot open 'x': no such pool\n", "", "no zpool iostat header"),
        (
            "               capacity     operations    bandwidth\n"
            "pool        alloc   free   read  write   read\n",
            "pool        alloc   free   read  write   read",
            "no zpool iostat header",
        ),
        (
            "               capacity     operations    bandwidth\n"
            "pool        alloc   free   read  write   read  write\n"
            "----------  -----  -----  -----  -----  -----  -----\n"
            "rpool       6.05G  61.9G      0      0    786    107\n",
            "rpool       6.05G  61.9G      0      0    786    107",
            "no second report (zpool iostat INTERVAL 2)",
        ),
        (
            "               capacity     operations    bandwidth\n"
            "pool        alloc   free   read  write   read  write\n"
            "----------  -----  -----  -----  -----  -----  -----\n"
            "rpool       6.05G  61.9G      0      0    786    107\n"
            "rpool       6.05G  61.9G      0    464      0\n",
            "rpool       6.05G  61.9G      0    464      0",
            "not a pool and six figures",
        ),
        (
            "               capacity     operations    bandwidth\n"
            "pool        alloc   free   read  write   read  write\n"
            "----------  -----  -----  -----  -----  -----  -----\n"
            "rpool       6.05G  61.9G      0      0    786    107\n"
            "rpool       6.05G  61.9G      0    464      0  5,7M\n",
            "rpool       6.05G  61.9G      0    464      0  5,7M",
            "'5,7M' is not a zpool figure",
        ),
    ],
)
def test_what_is_refused(text: str, line: str, reason: str) -> None:
    def parse(text: str) -> PoolTraffic:
        return parse_iostat_interval(text, [(0.0, len(text))])

    assert parse_error(parse, text) == (line, reason)

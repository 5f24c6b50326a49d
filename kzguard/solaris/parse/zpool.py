"""Parser of ``zpool iostat INTERVAL 2``: the bandwidth every pool read and wrote
in the interval, and when the interval began and ended.

Pure: no I/O (see :mod:`kzguard.solaris.parse` for the contract every parser keeps).

The layout is illumos' zpool_main.c (zpool_do_iostat, print_iostat_header,
print_vdev_stats; docs/solaris.md 14.1): a header on the first report only
(``capacity  operations  bandwidth``, then ``pool  alloc  free  read  write  read
write`` and a line of dashes), then one row a pool: its name and six figures in
zfs_nicenum form (``786``, ``296K``, ``23.3M``: powers of 1024), alloc, free, read
and write operations a second, read and write bytes a second.  Where more than one
pool is shown a line of dashes ends each report.  The first report is the average
since the pool's statistics began (its import at boot), so only the second counts.

zpool prints each report when its interval ends and flushes it (zpool_do_iostat),
so the interval lies between the first report's arrival and the second's: timed
so, a window is the interval itself, whatever the command's own start-up (on the
simulator a Python start of 30-60 ms, beside windows of 0.05-0.4 s of real time).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from kzguard.errors import ParseError
from kzguard.solaris.parse.common import BLANKS

_HEADER_COLUMNS = ("pool", "alloc", "free", "read", "write", "read", "write")
# zfs_nicenum: an integer, or a number of at most five characters with one of the
# binary suffixes.
_FIGURE = re.compile(r"([0-9]+(?:\.[0-9]+)?)([KMGTPE]?)")
_POWERS = {"": 0, "K": 1, "M": 2, "G": 3, "T": 4, "P": 5, "E": 6}


@dataclass(frozen=True)
class PoolTraffic:
    """Bytes a second the pools read and wrote, together, in one interval, which
    began at ``start`` and ended at ``stop`` (the clock of the arrivals given)."""

    start: float
    stop: float
    read: float
    write: float


def parse_iostat_interval(text: str, arrivals: Sequence[tuple[float, int]]) -> PoolTraffic:
    """Return the second report's bandwidth, summed over its pools, and the times
    the two reports arrived; ``arrivals``: (time, bytes of stdout so far) after each
    piece of it, in order.

    Raises:
        ParseError: no header, a row that is not a pool's name and six figures,
            a figure that is not in zfs_nicenum form, or no second report.
    """
    lines = text.split("\n")
    ends = list(_line_ends(lines))
    filled = [index for index, line in enumerate(lines) if line.strip(BLANKS)]
    if len(filled) < 2 or tuple(lines[filled[1]].split()) != _HEADER_COLUMNS:
        shown = lines[filled[1]].strip(BLANKS) if len(filled) > 1 else ""
        raise ParseError(shown, "no zpool iostat header")
    rows = [index for index in filled[2:] if set(lines[index]) - {"-", *BLANKS}]
    first: list[str] = []
    for index in rows:
        name = lines[index].split()[0]
        if name in first:
            break
        first.append(name)
    second = rows[len(first) :]
    if not second:
        raise ParseError(
            lines[filled[-1]].strip(BLANKS), "no second report (zpool iostat INTERVAL 2)"
        )
    read = write = 0.0
    for index in second:
        row = lines[index].strip(BLANKS)
        fields = row.split()
        if len(fields) != len(_HEADER_COLUMNS):
            raise ParseError(row, "not a pool and six figures")
        read += nicenum_value(fields[5], row)
        write += nicenum_value(fields[6], row)
    start = _arrival(arrivals, ends[rows[0]])
    stop = _arrival(arrivals, ends[second[0]])
    return PoolTraffic(start, stop, read, write)


def _line_ends(lines: Sequence[str]) -> list[int]:
    """The offset just past each line's newline (its last byte: the output is
    ASCII, zpool runs with LC_ALL=C)."""
    ends, offset = [], 0
    for line in lines:
        offset += len(line) + 1
        ends.append(offset)
    return ends


def _arrival(arrivals: Sequence[tuple[float, int]], end: int) -> float:
    """When the output up to ``end`` had arrived: the first piece that reached it
    (the last one, for a last line without its newline)."""
    index = bisect.bisect_left([received for _, received in arrivals], end)
    return arrivals[min(index, len(arrivals) - 1)][0]


def nicenum_value(figure: str, line: str) -> float:
    """The number zfs_nicenum printed as ``figure`` (to its precision)."""
    found = _FIGURE.fullmatch(figure)
    if found is None:
        raise ParseError(line, f"{figure!r} is not a zpool figure")
    return float(found.group(1)) * (1 << 10 * _POWERS[found.group(2)])

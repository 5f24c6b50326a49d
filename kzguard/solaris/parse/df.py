"""Parsers of ``df -k PATH ...``: the free space of the file systems that hold the
suspend images.

Pure: no I/O (see :mod:`kzguard.solaris.parse` for the contract every parser keeps).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kzguard.errors import ParseError
from kzguard.model import FileSystemSpace
from kzguard.solaris.parse.common import nonblank_lines

# df -k headers: Solaris "Filesystem kbytes used avail capacity Mounted on" (df(8));
# POSIX -P "Filesystem 1024-blocks Used Available Capacity Mounted on".
_DF_AVAIL_COLUMNS = frozenset({"avail", "available"})
_DF_NUMBER = re.compile(r"-|[0-9]{1,20}%?")
_DF_AVAIL = re.compile(r"[0-9]{1,20}")


def parse_df_k(text: str) -> FileSystemSpace:
    """Return the file system, mount point and free bytes from ``df -k PATH``.

    The header names the columns, so they are found by name; the mount point is the
    rest of the line after the last numeric column (it may contain spaces).  A file
    system name too long for its column is printed on a line of its own, the
    numbers on the next (historical df behaviour), and is joined back.

    Raises:
        ParseError: no or an unexpected header, no avail column, no data line or
            more than one, too few columns, a column that is not a number.
    """
    header, columns, data = _df_header(text)
    if not data:
        raise ParseError(header, "no file system line")
    record, extra = data[0], data[1:]
    if len(record.split()) == 1:
        if not extra:
            raise ParseError(record, "a file system name without its numbers")
        record = f"{record} {extra[0]}"
        extra = extra[1:]
    if extra:
        raise ParseError(extra[0], "more than one file system")
    return _df_record(record, columns)


def parse_df_k_each(text: str, count: int) -> list[FileSystemSpace]:
    """Return one file system per operand from ``df -k PATH1 PATH2 ...``, which
    prints one line per operand, in operand order (wrapped lines joined back as in
    :func:`parse_df_k`).

    Raises:
        ParseError: as :func:`parse_df_k`, or not exactly ``count`` file systems.
    """
    header, columns, data = _df_header(text)
    records = []
    lines = iter(data)
    for line in lines:
        record = line
        if len(line.split()) == 1:
            following = next(lines, None)
            if following is None:
                raise ParseError(line, "a file system name without its numbers")
            record = f"{line} {following}"
        records.append(_df_record(record, columns))
    if len(records) != count:
        raise ParseError(header, f"expected {count} file system lines, found {len(records)}")
    return records


def _df_header(text: str) -> tuple[str, list[str], list[str]]:
    """The header line, its value column names (lower case) and the data lines."""
    lines = nonblank_lines(text)
    if not lines:
        raise ParseError("", "no output, expected a header 'Filesystem ... Mounted on'")
    header, *data = lines
    names = [name.lower() for name in header.split()]
    if len(names) < 4 or names[0] != "filesystem" or names[-2:] != ["mounted", "on"]:
        raise ParseError(header, "expected a header 'Filesystem ... Mounted on'")
    columns = names[1:-2]
    avail_columns = [index for index, column in enumerate(columns) if column in _DF_AVAIL_COLUMNS]
    if len(avail_columns) != 1:
        raise ParseError(header, "expected one 'avail' or 'Available' column")
    return header, columns, data


def _df_record(record: str, columns: Sequence[str]) -> FileSystemSpace:
    parts = record.split(None, len(columns) + 1)
    if len(parts) < len(columns) + 2:
        raise ParseError(record, f"expected {len(columns) + 2} columns")
    filesystem, values, mount_point = parts[0], parts[1:-1], parts[-1]
    for column, value in zip(columns, values):
        if _DF_NUMBER.fullmatch(value) is None:
            raise ParseError(record, f"{column} {value!r} is not a number")
    avail_column = next(i for i, column in enumerate(columns) if column in _DF_AVAIL_COLUMNS)
    available = values[avail_column]
    if _DF_AVAIL.fullmatch(available) is None:
        raise ParseError(record, f"{columns[avail_column]} {available!r} is not a number")
    return FileSystemSpace(filesystem, mount_point, int(available) * 1024)

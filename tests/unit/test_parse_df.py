"""kzguard.solaris.parse.df: ``df -k``.

Fixtures in tests/data/solaris/ are one command output per file; each test names the
exact values it expects.  Every error path asserts the exact reason and line.
"""

from __future__ import annotations

import pytest

from kzguard.errors import ParseError
from kzguard.model import FileSystemSpace
from kzguard.solaris.parse.df import parse_df_k, parse_df_k_each
from tests.unit.solaris_output import fixture, parse_error

# ---------------------------------------------------------------------------------
# df -k


def test_df_k_solaris() -> None:
    assert parse_df_k(fixture("df-k-solaris.txt")) == FileSystemSpace(
        "rpool/VARSHARE/zones", "/system/zones", 82109728 * 1024
    )


def test_df_k_wrapped_file_system_name() -> None:
    assert parse_df_k(fixture("df-k-wrapped.txt")) == FileSystemSpace(
        "rpool/VARSHARE/zones/suspend-images/kz1", "/system/zones/kz1/suspend", 82109728 * 1024
    )


def test_df_kp_posix_header_and_mount_point_with_space() -> None:
    assert parse_df_k(fixture("df-kP-posix.txt")) == FileSystemSpace(
        "rpool/export/suspend", "/export/suspend images", 50331648 * 1024
    )


def test_df_k_columns_found_by_name() -> None:
    text = "Filesystem avail kbytes Mounted on\npool/fs 10 20 /mnt\n"
    assert parse_df_k(text) == FileSystemSpace("pool/fs", "/mnt", 10 * 1024)


def test_df_k_dash_in_an_unused_column() -> None:
    text = "Filesystem kbytes used avail capacity Mounted on\nswap - - 5 0% /tmp\n"
    assert parse_df_k(text) == FileSystemSpace("swap", "/tmp", 5 * 1024)


def test_df_k_each_one_file_system_per_operand_in_order() -> None:
    text = (
        "Filesystem            kbytes    used   avail capacity  Mounted on\n"
        "rpool/VARSHARE/zones/suspend-images/kz1\n"
        "                     103081248 20971520 82109728    21%    /system/zones/kz1/suspend\n"
        "rpool/ROOT/solaris 104857600 41943040 62914560    40%    /\n"
        "rpool/export/suspend 100 50 50 50% /export/suspend images\n"
    )
    assert parse_df_k_each(text, 3) == [
        FileSystemSpace(
            "rpool/VARSHARE/zones/suspend-images/kz1", "/system/zones/kz1/suspend", 82109728 * 1024
        ),
        FileSystemSpace("rpool/ROOT/solaris", "/", 62914560 * 1024),
        FileSystemSpace("rpool/export/suspend", "/export/suspend images", 50 * 1024),
    ]


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        (
            "Filesystem kbytes used avail capacity Mounted on\npool/a 1 1 1 1% /a\n",
            "Filesystem kbytes used avail capacity Mounted on",
            "expected 2 file system lines, found 1",
        ),
        (
            "Filesystem kbytes used avail capacity Mounted on\npool/a 1 1 1 1% /a\npool/b\n",
            "pool/b",
            "a file system name without its numbers",
        ),
        (
            "Filesystem kbytes used avail capacity Mounted on\npool/a 1 1 x 1% /a\npool/b\n",
            "pool/a 1 1 x 1% /a",
            "avail 'x' is not a number",
        ),
        ("", "", "no output, expected a header 'Filesystem ... Mounted on'"),
    ],
)
def test_df_k_each_refuses(text: str, line: str, reason: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_df_k_each(text, 2)
    assert (caught.value.line, caught.value.reason) == (line, reason)


HEADER = "Filesystem kbytes used avail capacity Mounted on"


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("", "", "no output, expected a header 'Filesystem ... Mounted on'"),
        ("Mounted on\n", "Mounted on", "expected a header 'Filesystem ... Mounted on'"),
        (
            "kbytes used avail capacity Mounted on\n",
            "kbytes used avail capacity Mounted on",
            "expected a header 'Filesystem ... Mounted on'",
        ),
        (
            "Filesystem kbytes used avail capacity\n",
            "Filesystem kbytes used avail capacity",
            "expected a header 'Filesystem ... Mounted on'",
        ),
        (
            "Filesystem kbytes used free capacity Mounted on\n",
            "Filesystem kbytes used free capacity Mounted on",
            "expected one 'avail' or 'Available' column",
        ),
        (
            "Filesystem avail avail Mounted on\n",
            "Filesystem avail avail Mounted on",
            "expected one 'avail' or 'Available' column",
        ),
        (HEADER + "\n", HEADER, "no file system line"),
        (HEADER + "\nrpool/a/very/long/name\n", "rpool/a/very/long/name", None),
        (
            HEADER + "\npool/a 1 2 3 4% /a\npool/b 1 2 3 4% /b\n",
            "pool/b 1 2 3 4% /b",
            "more than one file system",
        ),
        (
            HEADER + "\nlong/name\n1 2 3 4% /a\nextra\n",
            "extra",
            "more than one file system",
        ),
        (HEADER + "\npool/a 1 2 3 4%\n", "pool/a 1 2 3 4%", "expected 6 columns"),
        (
            HEADER + "\npool/a 1 2 lots 4% /a\n",
            "pool/a 1 2 lots 4% /a",
            "avail 'lots' is not a number",
        ),
        (
            HEADER + "\npool/a 1 2 3 full /a\n",
            "pool/a 1 2 3 full /a",
            "capacity 'full' is not a number",
        ),
        (HEADER + "\npool/a 1 2 - 4% /a\n", "pool/a 1 2 - 4% /a", "avail '-' is not a number"),
        (HEADER + "\npool/a 1 2 3% 4% /a\n", "pool/a 1 2 3% 4% /a", "avail '3%' is not a number"),
    ],
)
def test_df_k_errors(text: str, line: str, reason: str | None) -> None:
    if reason is None:
        reason = "a file system name without its numbers"
    assert parse_error(parse_df_k, text) == (line, reason)

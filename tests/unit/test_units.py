"""Durations and sizes as operators write and read them (kzguard.units)."""

from __future__ import annotations

import re

import pytest

from kzguard.units import (
    SizeTooLarge,
    format_duration,
    format_elapsed,
    format_size,
    parse_duration,
    parse_size,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90.0),
        ("10m", 600.0),
        ("1h30m", 5400.0),
        ("500ms", 0.5),
        ("1h2m3s4ms", 3723.004),
        ("1.5s", 1.5),
        ("0s", 0.0),
    ],
)
def test_durations_are_read(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty duration"),
        ("30m1h", "units out of order in duration '30m1h'"),
        ("1s1s", "units out of order in duration '1s1s'"),
        ("90", 'not a duration: \'90\' (write it like "90s", "10m" or "1h30m")'),
        ("1h 30m", 'not a duration: \'1h 30m\' (write it like "90s", "10m" or "1h30m")'),
        ("s", 'not a duration: \'s\' (write it like "90s", "10m" or "1h30m")'),
        ("10x", 'not a duration: \'10x\' (write it like "90s", "10m" or "1h30m")'),
    ],
)
def test_malformed_durations_say_how_to_write_one(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        parse_duration(text)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (90, "1m30s"),
        (3600, "1h"),
        (5400, "1h30m"),
        (3661, "1h1m1s"),
        (1.5, "1.5s"),
        (59.96, "60.0s"),
        (60.4, "1m"),
        (-90, "-1m30s"),
        (-0.25, "-0.2s"),
    ],
)
def test_durations_are_written_as_operators_write_them(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "text"), [(36.44, "36.4s"), (0, "0.0s"), (59.9, "59.9s"), (125, "2m5s")]
)
def test_elapsed_times_keep_tenths_below_a_minute(seconds: float, text: str) -> None:
    assert format_elapsed(seconds) == text


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("4G", 4 << 30),
        ("512M", 512 << 20),
        ("1T", 1 << 40),
        ("2P", 2 << 50),
        ("8K", 8 << 10),
        ("100", 100),
        ("1.5G", 3 << 29),
        ("4g", 4 << 30),
        ("4GB", 4 << 30),
        (" 4G ", 4 << 30),
    ],
)
def test_sizes_are_read_with_binary_multiples(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "G", "4X", "-4G", "4 G", "four"])
def test_malformed_sizes_say_how_to_write_one(text: str) -> None:
    message = f'not a size: {text!r} (write it like "512M", "4G" or "1T")'
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        parse_size(text)
    assert str(caught.value) == message


def test_a_size_too_large_for_a_float_is_refused_by_its_length() -> None:
    text = "9" * 400 + "G"
    with pytest.raises(SizeTooLarge) as caught:
        parse_size(text)
    assert str(caught.value) == "size too large: 401 characters"


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (16 << 30, "16G"),
        (3 << 29, "1.5G"),
        (512 << 20, "512M"),
        (1 << 50, "1P"),
        (5 << 40, "5T"),
        (1536, "1.5K"),
        (1023, "1023B"),
        (0, "0B"),
    ],
)
def test_sizes_are_written_with_the_largest_readable_suffix(size: int, text: str) -> None:
    assert format_size(size) == text

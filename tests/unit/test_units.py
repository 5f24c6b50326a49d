"""Durations and sizes as operators write and read them (kzguard.units)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

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


# parse_size's grammar as the regular expression it was written with before the
# simulator's commands stopped importing re (kzguard/units.py _DURATION_PART).
SIZE_GRAMMAR = re.compile(r"(\d+(?:\.\d+)?)([KMGTP]?)B?", re.IGNORECASE)
SIZE_MESSAGE = 'not a size: {!r} (write it like "512M", "4G" or "1T")'
SIZE_FACTORS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40, "P": 1 << 50}


@given(st.text(alphabet="0123456789.KMGTPBkmgtpbX -\u0663\u212a", max_size=8))
def test_sizes_follow_their_grammar(text: str) -> None:
    match = SIZE_GRAMMAR.fullmatch(text.strip())
    if match is None or match.group(2) == "\u212a":  # the Kelvin sign: see below
        message = SIZE_MESSAGE.format(text)
        with pytest.raises(ValueError, match=re.escape(message)) as caught:
            parse_size(text)
        assert str(caught.value) == message
    else:
        factor = SIZE_FACTORS[match.group(2).upper()]
        assert parse_size(text) == int(float(match.group(1)) * factor)


def test_the_kelvin_sign_is_no_kilo() -> None:
    # Case-insensitive matching folds U+212A to K, and its upper case is itself: the
    # regular expression took it and then failed its table lookup with a KeyError.
    message = SIZE_MESSAGE.format("4\u212a")
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        parse_size("4\u212a")
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

"""Values written without quotes or brackets: TOML's booleans, numbers, dates and
times, and what is wrong with a word that is none of them (``08``, ``4.``,
``1__6``, ``2024-02-30``, ``15m``), in words the operator can act on.  The forms
are TOML 1.0's as tomllib reads them.  Pure: no I/O.
"""

from __future__ import annotations

import re

from kzguard.text import quote, shown

# A number, date, time, boolean or bare word: what a value not in quotes or brackets
# runs to.  A date and a time may stand apart: 1979-05-27 07:32:00.
_WORD = re.compile(r"[0-9A-Za-z_.:+-]+")
_DATE_THEN_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} (?=[0-9])")
# TOML 1.0's numbers, dates and times, as tomllib reads them.
_NUMBER = re.compile(
    r"0(?:x[0-9A-Fa-f](?:_?[0-9A-Fa-f])*|b[01](?:_?[01])*|o[0-7](?:_?[0-7])*)"
    r"|[+-]?(?:0|[1-9](?:_?[0-9])*)(?:\.[0-9](?:_?[0-9])*)?(?:[eE][+-]?[0-9](?:_?[0-9])*)?"
    r"|[+-]?(?:inf|nan)"
)


def _date_time(seconds: str) -> re.Pattern[str]:
    time = rf"(?:[01][0-9]|2[0-3]):[0-5][0-9]{seconds}"
    return re.compile(
        rf"(?P<year>[0-9]{{4}})-(?P<month>0[1-9]|1[0-2])-(?P<day>0[1-9]|[12][0-9]|3[01])"
        rf"(?:[Tt ]{time}(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?)?|{time}"
    )


_DATE_TIME = _date_time(r":[0-5][0-9](?:\.[0-9]+)?")
# TOML 1.1 lets a time leave out its seconds: 07:32.
_DATE_TIME_1_1 = _date_time(r"(?::[0-5][0-9](?:\.[0-9]+)?)?")
_LOOKS_LIKE_DATE = re.compile(r"[0-9]{4}-|[0-9]{2}:")
_DATE_PARTS = re.compile(
    r"(?:(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2}))?[Tt ]?"
    r"(?:(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2}))?)?"
)
# "15m", "1h30m", "256M": a duration or size written without its quotes.
_WITH_UNIT = re.compile(r"(?:[0-9]+(?:\.[0-9]+)?[A-Za-z]+)+")


def word_end(text: str, pos: int) -> int:
    """Return where the word at ``pos`` ends; ``pos`` if no word starts there."""
    word = _WORD.match(text, pos)
    if word is None:
        return pos
    date = _DATE_THEN_TIME.match(text, pos)
    if date and word.end() == date.end() - 1:
        second = _WORD.match(text, date.end())
        return second.end() if second else word.end()
    return word.end()


def word_problem(text: str, *, toml_1_1: bool = False) -> str:
    """Return what is wrong with the value ``text`` written without quotes, "" if it
    is a boolean, number, date or time (of TOML 1.1 if ``toml_1_1``)."""
    if text in ("true", "false") or _NUMBER.fullmatch(text):
        return ""
    if (_DATE_TIME_1_1 if toml_1_1 else _DATE_TIME).fullmatch(text):
        return _impossible_date(text)
    return _not_a_value(text)


_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_FIELDS = (("month", 1, 12), ("day", 1, 31), ("hour", 0, 23), ("minute", 0, 59), ("second", 0, 59))
_DATE_FORMS = "write a date like 1979-05-27, a time like 07:32:00, or both: 1979-05-27T07:32:00"


def _date_problem(text: str, reason: str) -> str:
    return f'not a valid date or time ({shown(text)}: {reason}); durations are strings like "15m"'


def _impossible_date(text: str) -> str:
    """Return why ``text``, in the form of a TOML date or time, names no day; "" if
    it names one.  The form bounds every field but the day of the month."""
    match = _DATE_TIME_1_1.fullmatch(text)
    if match is None or match.group("year") is None:
        return ""
    year, month, day = (int(match.group(name)) for name in ("year", "month", "day"))
    if year == 0:
        return _date_problem(text, "there is no year 0")
    leap = month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = _DAYS[month - 1] + leap
    if day > days:
        return _date_problem(text, f"{_MONTHS[month - 1]} {year} has {days} days")
    return ""


def _not_a_value(text: str) -> str:
    """Return what is wrong with ``text``, a value written without quotes or brackets
    that is not a boolean, number, date or time."""
    if _LOOKS_LIKE_DATE.match(text):
        parts = _DATE_PARTS.match(text)
        for name, low, high in _FIELDS:
            value = parts.group(name) if parts else None
            if value is not None and not low <= int(value) <= high:
                return _date_problem(text, f"there is no {name} {int(value)}")
        return _date_problem(text, _DATE_FORMS)
    if text in ("True", "False", "TRUE", "FALSE"):
        return f"true and false are written in lower case, got {text}"
    if text[0] not in "0123456789+-.":
        return f"expected a value, got {shown(text)}; text is written in quotes: {quote(text)}"
    if "_" in text and _NUMBER.fullmatch(text.replace("_", "")):
        return f"an underscore in a number must stand between two digits, got {shown(text)}"
    zero = re.fullmatch(r"([+-]?)0+([0-9].*)", text)
    if zero and _NUMBER.fullmatch(zero.group(1) + zero.group(2)):
        fixed = zero.group(1) + zero.group(2)
        return f"a number cannot start with 0, got {shown(text)}; write {shown(fixed)}"
    point = re.fullmatch(r"([+-]?)([0-9]*)\.([0-9]*)", text)
    if point and not (point.group(2) and point.group(3)):
        fixed = f"{point.group(1)}{point.group(2) or 0}.{point.group(3) or 0}"
        return f"a decimal point needs a digit on each side, got {shown(text)}; write {fixed}"
    letters = set(text) - set("0123456789.eE")
    if _WITH_UNIT.fullmatch(text) and letters and not text.startswith(("0x", "0o", "0b")):
        return (
            f"{shown(text)} is not a number; durations and sizes are strings: write {quote(text)}"
        )
    return f"not a valid number, got {shown(text)}"

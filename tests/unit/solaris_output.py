"""Solaris command output for the parser tests: the fixtures and a ParseError catcher."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from kzguard.errors import ParseError

# One command output per file (docs/formats.md).
DATA = Path(__file__).resolve().parent.parent / "data" / "solaris"


def fixture(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def parse_error(parser: Callable[[str], object], text: str) -> tuple[str, str]:
    """Run ``parser`` on ``text``; return the (line, reason) of the ParseError it raises."""
    with pytest.raises(ParseError) as caught:
        parser(text)
    return caught.value.line, caught.value.reason

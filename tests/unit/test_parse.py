"""Every parser of Solaris command output (kzguard.solaris.parse) on arbitrary text:
a value or a ParseError, nothing else.  Each tool's own tests: tests/unit/test_parse_TOOL.py.
"""

from __future__ import annotations

from functools import partial
from typing import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kzguard.errors import ParseError
from kzguard.solaris.parse.beadm import parse_beadm_list_parseable
from kzguard.solaris.parse.df import parse_df_k
from kzguard.solaris.parse.kstat import parse_kstat_boot_time
from kzguard.solaris.parse.svcprop import (
    parse_svcprop_milestone,
    parse_svcprop_properties,
    parse_svcprop_value,
    parse_svcs_state,
)
from kzguard.solaris.parse.who import parse_who_r
from kzguard.solaris.parse.zoneadm import (
    parse_zoneadm_list_p,
    parse_zoneadm_list_s,
    parse_zoneadm_list_v,
)
from kzguard.solaris.parse.zonecfg import (
    parse_zonecfg_export,
    parse_zonecfg_info,
)
from tests.unit.solaris_output import DATA, fixture

# ---------------------------------------------------------------------------------
# Arbitrary text: a value or a ParseError, nothing else.

PARSERS: list[Callable[[str], object]] = [
    parse_zoneadm_list_p,
    parse_zoneadm_list_v,
    parse_zoneadm_list_s,
    partial(parse_zonecfg_export, "kz1"),
    partial(parse_zonecfg_info, "kz1"),
    parse_kstat_boot_time,
    parse_svcs_state,
    parse_svcprop_value,
    parse_svcprop_milestone,
    parse_svcprop_properties,
    parse_who_r,
    parse_df_k,
    parse_beadm_list_parseable,
]

# Characters that matter to the parsers, so random text reaches past the first check.
_SHAPED = st.text(
    st.sampled_from(list(":\\-\t \n\"'=,%[]*#.0123456789aksGdefnpt")) | st.characters(),
    max_size=200,
)


def _lines_like(*samples: str) -> st.SearchStrategy[str]:
    """Text built from fragments of real output, shuffled, cut and mixed with noise."""
    pieces = [piece for sample in samples for piece in sample.replace("\n", " \n ").split(" ")]
    fragment = st.sampled_from([*pieces, "\n", " ", "\t", ":"]) | st.text(max_size=3)
    return st.lists(fragment, max_size=60).map(" ".join)


_ALL_FIXTURES = "\n".join(fixture(path.name) for path in sorted(DATA.iterdir()))


def _only_parse_errors(parser: Callable[[str], object], text: str) -> None:
    try:
        parser(text)
    except ParseError as error:
        caught: ParseError | None = error
    else:
        caught = None
    assert caught is None or (isinstance(caught.line, str) and caught.reason)


@pytest.mark.parametrize("parser", PARSERS)
@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300))
def test_arbitrary_text_raises_only_parse_error(parser: Callable[[str], object], text: str) -> None:
    _only_parse_errors(parser, text)


@pytest.mark.parametrize("parser", PARSERS)
@settings(max_examples=300, deadline=None)
@given(text=_SHAPED | _lines_like(_ALL_FIXTURES))
def test_output_like_text_raises_only_parse_error(
    parser: Callable[[str], object], text: str
) -> None:
    _only_parse_errors(parser, text)


@pytest.mark.parametrize("parser", PARSERS)
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_truncated_and_reordered_fixtures_raise_only_parse_error(
    parser: Callable[[str], object], data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from(sorted(path.name for path in DATA.iterdir())))
    lines = fixture(name).splitlines(keepends=True)
    lines = data.draw(st.permutations(lines)) if lines else lines
    text = "".join(lines)
    cut = data.draw(st.integers(0, len(text)))
    _only_parse_errors(parser, text[:cut])

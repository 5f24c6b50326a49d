"""The command log's lines, written without json (kzguard/sim/tools.py json_text):
byte for byte what json.dumps(sort_keys=True) writes, whatever the arguments hold."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kzguard.sim.tools import json_text

EVENTS = st.fixed_dictionaries(
    {
        "event": st.sampled_from(["start", "end", "fault"]),
        "time": st.floats(allow_nan=False, allow_infinity=False),
        "pid": st.integers(min_value=0, max_value=1 << 40),
        "argv": st.lists(st.text(), max_size=4),
    },
    optional={"status": st.integers(-255, 255), "ok": st.booleans(), "none": st.none()},
)


@given(EVENTS)
def test_a_log_line_is_what_json_writes(event: dict[str, object]) -> None:
    assert json_text(event) == json.dumps(event, sort_keys=True)


@pytest.mark.parametrize(
    "text",
    ['say "hi"\\', "tab\tnew\nline\r\x00\x1f\x7f", "caf\u00e9 \u212a", "\U0001f600", "\udcff"],
)
def test_escapes_as_json_does(text: str) -> None:
    # Each kind json escapes: quote and backslash, control characters and DEL,
    # non-ASCII, beyond the BMP (a surrogate pair), and an undecodable byte of an
    # argument (os.fsdecode's lone surrogate).
    assert json_text([text]) == json.dumps([text])
    assert json.loads(json_text([text])) == [text]


def test_only_a_log_event_s_types_are_written() -> None:
    with pytest.raises(TypeError) as caught:
        json_text({"argv": {"x"}})
    assert str(caught.value) == "not in a log event: set"

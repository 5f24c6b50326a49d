"""kzguard.policy.syntax: where each key path is defined, from a scan of the TOML
text (tomllib keeps no positions)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kzguard.errors import PolicyError
from kzguard.policy.schema import policy_from_text
from kzguard.policy.syntax import key_lines, scan_toml
from kzguard.policy.toml import decode_toml

SOURCE = "/etc/kzguard/policy.toml"


def test_key_lines_maps_headers_keys_implied_tables_array_entries_and_inline_keys() -> None:
    text = """# comment [not.a.table]
top = 1
[shutdown]   # trailing
deadline = "15m"
parallel = [
  1,  # [zone.fake]
  2,
]
note = '''
[zone.fake]
'''
text = \"\"\"line \\
[zone.fake2] \\\"\"\" ""\"\"\"
[zone."kz.1"]
after = ["db1"]
[ zone . 'db2' ]
a.b . "c\\u0041\\tx" = 1
[[resume]]
inline = { x = 1, y = [1,
  2] }
last = 2\r
crlf = 3\r
"""
    assert key_lines(text) == {
        ("top",): 2,
        ("shutdown",): 3,
        ("shutdown", "deadline"): 4,
        ("shutdown", "parallel"): 5,
        ("shutdown", "parallel", 0): 6,
        ("shutdown", "parallel", 1): 7,
        ("shutdown", "note"): 9,
        ("shutdown", "text"): 12,
        ("zone",): 14,
        ("zone", "kz.1"): 14,
        ("zone", "kz.1", "after"): 15,
        ("zone", "kz.1", "after", 0): 15,
        ("zone", "db2"): 16,
        ("zone", "db2", "a"): 17,
        ("zone", "db2", "a", "b"): 17,
        ("zone", "db2", "a", "b", "cA\tx"): 17,
        ("resume",): 18,
        ("resume", "inline"): 19,
        ("resume", "inline", "x"): 19,
        ("resume", "inline", "y"): 19,
        ("resume", "inline", "y", 0): 19,
        ("resume", "inline", "y", 1): 20,
        ("resume", "last"): 21,
        ("resume", "crlf"): 22,
    }
    decode_toml(text, source=SOURCE)  # the sample itself is valid TOML


@pytest.mark.parametrize(
    ("text", "found"),
    [
        pytest.param("a = 1\n= 2\nb = 3\n", {("a",): 1}, id="no-key"),
        pytest.param("a = 1\nb 2\nc = 3\n", {("a",): 1}, id="no-equals"),
        pytest.param("a = 1\n[]\n", {("a",): 1}, id="empty-header"),
        pytest.param('"a\nb" = 1\n', {}, id="newline-in-key"),
        pytest.param('"a', {}, id="unterminated-key"),
        pytest.param("'a\n' = 1\n", {}, id="newline-in-literal-key"),
        pytest.param("'a", {}, id="unterminated-literal-key"),
        pytest.param('"\\q" = 1\n', {}, id="bad-escape"),
        pytest.param('"\\u00" = 1\n', {}, id="short-unicode-escape"),
        pytest.param('"\\uXYZW" = 1\n', {}, id="not-hex"),
        pytest.param('"\\UFFFFFFFF" = 1\n', {}, id="beyond-unicode"),
        pytest.param('"\\x41\\e" = 1\n', {("A\x1b",): 1}, id="toml-1.1-escapes"),
        pytest.param('a = 1\nb = "x\nc = 1\n', {("a",): 1}, id="newline-in-string"),
        pytest.param('a = 1\nb = """x', {("a",): 1}, id="unterminated-multi-line"),
        pytest.param("a = 1\nb = ]]\nc = 1", {("a",): 1}, id="not-a-value"),
        pytest.param("a = 1\n[b\n", {("a",): 1}, id="unclosed-header"),
        pytest.param("a = 1\na = 2\nb = 3\n", {("a",): 1}, id="duplicate"),
        pytest.param("   \n\t", {}, id="blank"),
    ],
)
def test_key_lines_stop_quietly_at_the_first_thing_that_is_not_toml(
    text: str, found: dict[tuple[str, ...], int]
) -> None:
    # Only the keys before it, each with a valid value, are listed.
    assert key_lines(text) == found


@given(st.text())
def test_key_lines_never_fails(text: str) -> None:
    lines = key_lines(text)
    assert all(1 <= line <= text.count("\n") + 1 for line in lines.values())


def test_a_problem_inside_an_inline_table_takes_the_line_of_its_holder() -> None:
    with pytest.raises(PolicyError) as caught:
        policy_from_text('\n\nzone = { db1 = { after = ["x"] } }\n', source=SOURCE)
    assert str(caught.value) == f'{SOURCE}:3: zone.db1.after[0]: unknown zone "x"'


def test_valid_text_has_no_problem() -> None:
    scan = scan_toml("a = 1\n")
    assert (scan.problem, scan.unsafe) == (None, False)


@pytest.mark.parametrize(
    "make_text",
    [
        pytest.param(lambda n: 'a = """' + "x\\\n" * n + '"""\n', id="line-ending-backslashes"),
        pytest.param(lambda n: "a = [" + '"x",' * n + "]\n", id="long-array"),
        pytest.param(lambda n: "".join(f"k{i} = {i}\n" for i in range(n // 4)), id="many-keys"),
    ],
)
def test_the_scan_takes_time_in_proportion_to_the_text(make_text: Callable[[int], str]) -> None:
    # A search of the rest of the text at every escape once took 40 s for a 1 MiB
    # policy (the most kzguard reads).  Four times the text takes about four times as
    # long, not sixteen: a ratio of this process's CPU time (other processes' load
    # does not count, coverage's tracing slows both sides alike); the two sizes are
    # timed in turns and the best of five runs each counts.
    small, large = make_text(25_000), make_text(100_000)
    best = {small: float("inf"), large: float("inf")}
    for _ in range(5):
        for text in (small, large):
            started = time.process_time()
            assert scan_toml(text).problem is None
            best[text] = min(best[text], time.process_time() - started)
    assert best[large] / best[small] < 8

"""kzguard.policy.toml: text that is not TOML, with line, column and what to do.

The words and positions come from kzguard's own scanner (kzguard.policy.syntax),
never from the decoder's messages; each case also proves that the decoder refuses
the text, so the scanner and the decoder agree on what is TOML.
"""

from __future__ import annotations

from typing import Any

import pytest

from kzguard.errors import PolicyError, Problem
from kzguard.policy import toml as policy_toml
from kzguard.policy.syntax import MAX_KEY_PARTS, MAX_NESTING, MAX_NUMBER_LENGTH
from kzguard.policy.toml import (
    GENERIC_HINT,
    TOMLDecodeError,
    decode_error_problem,
    decode_toml,
    decode_utf8,
)

SOURCE = "/etc/kzguard/policy.toml"
VALUE = 'expected a value: a "string", a number, true or false, or an [array] of values'
END_OF_LINE = (
    "expected the end of the line; write one key = value per line and start comments with #"
)
ESCAPE = (
    'a backslash in a "string" starts an escape such as \\n; write \\\\ for a backslash, '
    "or use a 'literal string'"
)
HEX = (
    "expected 4 hex digits after \\u or 8 after \\U; write \\\\ for a backslash, or use a "
    "'literal string'"
)
INLINE_OPEN = 'an inline table is not closed on its line; end it with "}", or write it as a [table]'
ARRAY_OPEN = 'an array is not closed; end it with "]" and separate its entries with ","'
LITERAL_ON_LINE = (
    "a 'literal string' is not closed on its line; end it with ' (a string over several "
    "lines is written '''...''')"
)
STRING_ON_LINE = (
    "a string is not closed on its line; end it with the quote it starts with (a string "
    'over several lines is written """...""")'
)
DURATIONS = 'durations are strings like "15m"'
EXTENDED = "to a value or inline table, which cannot be extended here; merge the two"


def decode_errors(text: str) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        decode_toml(text, source=SOURCE)
    return str(caught.value).splitlines()


SYNTAX = [
    # Statements
    ("[shutdown] deadline = 1\n", f"1:12: {END_OF_LINE}"),
    ("a = 1 b = 2\n", f"1:7: {END_OF_LINE}"),
    ("= 1\n", "1:1: expected a key = value line, a [table] header or a # comment"),
    ("a 1\n", '1:3: expected "=" after the key; write key = value'),
    ("a. = 1\n", '1:4: expected a key: letters, digits, "-" and "_", or a "quoted key"'),
    ("[shutdown\n", '1:10: expected "]" at the end of the table header, like [shutdown]'),
    (
        "[[zone]\n",
        '1:7: expected "]]" at the end of the header; a policy table is written [name]',
    ),
    # Values
    ("a = \n", f"1:5: {VALUE}"),
    ("[shutdown]\ndeadline = ", f"2:12: {VALUE}"),
    ("a = ]\n", f"1:5: {VALUE}"),
    ('a = ["x", "y"\n\n[b]\n', f"3:1: {ARRAY_OPEN}"),
    ("a = [1 2]\n", f"1:8: {ARRAY_OPEN}"),
    ("a = {b = 1\n", f"1:11: {INLINE_OPEN}"),
    ("a = {\nb = 1}\n", f"1:6: {INLINE_OPEN}"),
    ("a = {b = 1,\nc = 2}\n", f"1:12: {INLINE_OPEN}"),
    ("a = {b = 1 c = 2}\n", f"1:12: {INLINE_OPEN}"),
    ("a = {b 1}\n", '1:8: expected "=" after the key; write key = value'),
    (
        "a = {b = 1,}\n",
        '1:12: expected a key after ","; an inline table has no "," after its last entry',
    ),
    # Strings
    ('a = "abc', "1:9: a string is not closed; end it with the quote it starts with"),
    ('[shutdown]\ndeadline = "15m\nparallel = 4\n', f"2:16: {STRING_ON_LINE}"),
    ("[defaults]\ncommand = 'svcs -H\n", f"2:19: {LITERAL_ON_LINE}"),
    ("a = 'abc", f"1:9: {LITERAL_ON_LINE}"),
    ('a = """abc\n\n', '1:5: a """multi-line string""" is not closed; end it with """'),
    (
        "a = 1\nb = '''abc\n",
        "2:5: a '''multi-line literal string''' is not closed; end it with '''",
    ),
    ('a = "C:\\data"\n', f"1:8: {ESCAPE}"),
    ('a = "\\e"\n', f"1:6: {ESCAPE}"),
    ('a = """x \\ y"""\n', f"1:10: {ESCAPE}"),
    ('a = "\\usr\\sbin"\n', f"1:8: {HEX}"),
    ('a = "\\u00"\n', f"1:8: {HEX}"),
    ('a = "\\uD800"\n', "1:8: a \\u or \\U escape names no character; fix the code point"),
    ('a = "\\U00110000"\n', "1:8: a \\u or \\U escape names no character; fix the code point"),
    # Numbers (issue 12: what is wrong, not "expected the end of the line")
    ("[shutdown]\nparallel = 08\n", "2:12: a number cannot start with 0, got 08; write 8"),
    ("a = -007.5\n", "1:5: a number cannot start with 0, got -007.5; write -7.5"),
    ("a = 4.\n", "1:5: a decimal point needs a digit on each side, got 4.; write 4.0"),
    ("a = [.5]\n", "1:6: a decimal point needs a digit on each side, got .5; write 0.5"),
    ("a = 1__6\n", "1:5: an underscore in a number must stand between two digits, got 1__6"),
    ("a = 16_\n", "1:5: an underscore in a number must stand between two digits, got 16_"),
    (
        "deadline = 15m\n",
        '1:12: 15m is not a number; durations and sizes are strings: write "15m"',
    ),
    (
        "rate = 1.5G\n",
        '1:8: 1.5G is not a number; durations and sizes are strings: write "1.5G"',
    ),
    ("a = 0x\n", "1:5: not a valid number, got 0x"),
    ("a = 1e\n", "1:5: not a valid number, got 1e"),
    ("a = 1.2.3\n", "1:5: not a valid number, got 1.2.3"),
    ("a = +0x1\n", "1:5: not a valid number, got +0x1"),
    (
        "action = suspend\n",
        '1:10: expected a value, got suspend; text is written in quotes: "suspend"',
    ),
    ("a = True\n", "1:5: true and false are written in lower case, got True"),
    ("a = truely\n", '1:5: expected a value, got truely; text is written in quotes: "truely"'),
    # Dates and times (issue 12)
    (
        "[shutdown]\ndeadline = 2024-02-30\n",
        f"2:12: not a valid date or time (2024-02-30: February 2024 has 29 days); {DURATIONS}",
    ),
    (
        "a = 2023-02-29T10:00:00Z\n",
        "1:5: not a valid date or time (2023-02-29T10:00:00Z: February 2023 has 28 days); "
        f"{DURATIONS}",
    ),
    (
        "a = 2000-04-31\n",
        f"1:5: not a valid date or time (2000-04-31: April 2000 has 30 days); {DURATIONS}",
    ),
    (
        "a = 0000-01-01\n",
        f"1:5: not a valid date or time (0000-01-01: there is no year 0); {DURATIONS}",
    ),
    (
        "a = 2024-13-01\n",
        f"1:5: not a valid date or time (2024-13-01: there is no month 13); {DURATIONS}",
    ),
    (
        "a = 2024-01-00\n",
        f"1:5: not a valid date or time (2024-01-00: there is no day 0); {DURATIONS}",
    ),
    (
        "a = 25:00:00\n",
        f"1:5: not a valid date or time (25:00:00: there is no hour 25); {DURATIONS}",
    ),
    (
        "a = 1979-05-27 07:60:00\n",
        f"1:5: not a valid date or time (1979-05-27 07:60:00: there is no minute 60); {DURATIONS}",
    ),
    (
        "a = 07:32:61\n",
        f"1:5: not a valid date or time (07:32:61: there is no second 61); {DURATIONS}",
    ),
    (
        "a = 1979-05-27 07:32\n",
        "1:5: not a valid date or time (1979-05-27 07:32: write a date like 1979-05-27, a time "
        f"like 07:32:00, or both: 1979-05-27T07:32:00); {DURATIONS}",
    ),
    # Keys and tables defined twice, values extended
    ("a = 1\na = 2\n", "2:1: a: set twice (first on line 1); keep one of them"),
    (
        "a = [\n  1,\n]\nb = 2\na = [\n  2,\n]\n",
        "5:1: a: set twice (first on line 1); keep one of them",
    ),
    (
        "a = 1\n[zone]\nb = 2\n[zone]\n",
        "4:1: zone: the table is defined twice (first on line 2); merge the two into one",
    ),
    (
        '[zone."db\\n1"]\n[zone."db\\n1"]\n',
        'zone."db\\n1": the table is defined twice (first on line 1); merge the two into one',
    ),
    (
        "zone.db1.action = 1\n[zone]\n",
        "2:1: zone: the table is defined twice (first on line 1); merge the two into one",
    ),
    ("a = {}\n[a]\n", f"2:1: a: a is already set on line 1 {EXTENDED}"),
    ("a = 1\n[a.b]\n", f"2:1: a.b: a is already set on line 1 {EXTENDED}"),
    ("a.b = 1\n[a.b.c]\n", f"2:1: a.b.c: a.b is already set on line 1 {EXTENDED}"),
    ("a = {}\na.b.c = 1\n", f"2:1: a.b.c: a is already set on line 1 {EXTENDED}"),
    ("a = [{}]\n[[a]]\n", f"2:1: a: a is already set on line 1 {EXTENDED}"),
    ("a = 1\n[[a.b]]\n", f"2:1: a.b: a is already set on line 1 {EXTENDED}"),
    (
        "[a]\n[[a]]\n",
        "2:1: a: already defined on line 1 as a table or value, so [[...]] cannot make it an "
        "array of tables; rename one of them",
    ),
    (
        "[a.b]\n[a]\nb.c = 1\n",
        "3:1: a.b.c: a.b is a table defined on line 1; set its keys under its own [header] instead",
    ),
    (
        "[a.b]\n[a]\nb = 1\n",
        "3:1: a.b: already defined as a table on line 1; keep one of them",
    ),
    (
        "zone = { a = 1, a = 2 }\n",
        "1:17: zone.a: set twice in the same inline table; keep one of them",
    ),
    (
        "zone = { a = [], a.b = 1 }\n",
        "1:18: zone.a.b: cannot add a key beneath a value set earlier in the same inline table",
    ),
]


@pytest.mark.parametrize(("text", "rendered"), SYNTAX)
def test_text_that_is_not_toml_gets_line_column_and_what_to_do(text: str, rendered: str) -> None:
    with pytest.raises(PolicyError) as caught:
        decode_toml(text, source=SOURCE)
    where = f"{SOURCE}:" if rendered[0].isdigit() else f"{SOURCE}:2:1: "
    assert str(caught.value) == where + rendered
    # The decoder refuses it too: the message is the scanner's, the verdict agreed.
    assert isinstance(caught.value.__cause__, TOMLDecodeError)


VALID = [
    "",
    "# comment only\n",
    'a = 1\nb = "x"\n[t]\nc.d = true\n[t.e]\n',
    "[[aot]]\nx = 1\n[[aot]]\nx = 2\n[aot.sub]\n",
    "x = { a = 1, b = [1, 2], c = { d = 'e' }, f.g = 1 }\n",
    "d = 1979-05-27T07:32:00Z\ne = 07:32:00.5\nf = 1979-05-27\ng = 1979-05-27 07:32:00+01:00\n",
    "h = 2024-02-29\n",
    "s = 'lit'\nm = '''\nmulti ''line\n'''''\n",
    'b = """\\\n  joined \\  \n  end""""\n',
    'c = """a \\"""quoted\\""" \\u00e9 \\U0001F600"""\n',
    "n = [ 1, # c\n 2,\n]\n",
    "f = 6.626e-34\ni = +inf\nj = -nan\nk = 0xDEAD_beef\nl = 0o755\nm = 0b1101\nn = -0.0\n",
    "x = 1_000\ny = 1e1_0\nz = 3.1_4\nw = +1\n",
    '"quoted key" = 1\n\'lit key\' = 2\n"a\\u0041" = 3\n',
    "[a.b]\nc = 1\n[a]\nd = 2\n",
    "[x]\ny.z = 1\n[x.w]\n",
    "a = [[1], [2]]\n[[b.c]]\n[b.c.d]\ne = 1\n[[b.c]]\n[b.c.d]\n",
    "a=1#c\n[b]#c\n\t c \t = \t 1 \t\n",
    "[ a . \"b\" . 'c' ]\n",
    "a = []\nb = [ ]\nc = {}\n",
    'x = "é" # é\n',
    "t = true\nf = false\n",
    "a = 1\r\nb = 2\r\n",
]


@pytest.mark.parametrize("text", VALID)
def test_valid_toml_decodes(text: str) -> None:
    decode_toml(text, source=SOURCE)


# ----------------------------------------------------------------------------------
# When the decoder refuses what the scanner let through


class UnforeseenError(TOMLDecodeError):
    """A decoder error in words kzguard does not know, as any tomllib or tomli could
    raise it (newer ones no longer build from a bare message)."""

    def __init__(self, message: str, **attributes: Any) -> None:
        ValueError.__init__(self, message)
        vars(self).update(attributes)


def refusing(error: ValueError) -> Any:
    def loads(text: str) -> None:
        raise error

    return loads


@pytest.mark.parametrize(
    ("error", "rendered"),
    [
        pytest.param(
            UnforeseenError("Odd thing (at line 3, column 9)"),
            f"3:9: Odd thing: {GENERIC_HINT}",
            id="position-in-the-text",
        ),
        pytest.param(
            UnforeseenError("Odd thing (at line 3, column 9)", msg="Odd", lineno=2, colno=4),
            f"2:4: Odd: {GENERIC_HINT}",
            id="position-in-attributes",
        ),
        pytest.param(
            UnforeseenError("Odd thing (at end of document)"),
            f"2:1: Odd thing: {GENERIC_HINT}",
            id="end-of-document",
        ),
        pytest.param(
            UnforeseenError("Odd\x1b[2J thing, no position"),
            f" Odd\\u001B[2J thing, no position: {GENERIC_HINT}",
            id="no-position-and-shown-safely",
        ),
        pytest.param(
            UnforeseenError("Odd (at line 3, column 9)", msg="Odd", lineno="3", colno=9),
            f"3:9: Odd: {GENERIC_HINT}",
            id="attributes-of-the-wrong-type-are-ignored",
        ),
    ],
)
def test_an_unforeseen_decoder_error_keeps_its_text_and_position(
    monkeypatch: pytest.MonkeyPatch, error: ValueError, rendered: str
) -> None:
    monkeypatch.setattr(policy_toml.DECODER, "loads", refusing(error))
    assert decode_errors("a = 1\n") == [f"{SOURCE}:{rendered}"]


def test_an_unforeseen_message_is_cut_short() -> None:
    problem = decode_error_problem(UnforeseenError("x" * 300), "")
    assert problem == Problem("", f"{'x' * 200}... (100 more characters): {GENERIC_HINT}")


def test_the_decoder_decides_when_it_accepts_what_the_scanner_refuses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A decoder of a later TOML (1.1 allows \e) may accept more than the scanner,
    # which reads TOML 1.0: a valid policy is never refused for the scanner's sake.
    monkeypatch.setattr(policy_toml.DECODER, "loads", lambda text: {"a": "\x1b"})
    assert decode_toml('a = "\\e"\n', source=SOURCE) == {"a": "\x1b"}


def test_the_net_under_the_scan_turns_any_decoder_failure_into_a_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        policy_toml.DECODER,
        "loads",
        refusing(ValueError("maximum recursion depth exceeded\n\x1b[2J")),
    )
    assert decode_errors("a = 1\n") == [
        f'{SOURCE}: cannot be decoded as TOML ("maximum recursion depth exceeded\\n\\u001B[2J"); '
        "simplify the file"
    ]


# ----------------------------------------------------------------------------------
# Encoding and hostile text: caught before the decoder, shown bounded and escaped


def test_decode_utf8() -> None:
    assert decode_utf8('a = "é"\n'.encode(), source=SOURCE) == 'a = "é"\n'
    with pytest.raises(PolicyError) as caught:
        decode_utf8(b'a = 1\nb = "\xff"\n', source=SOURCE)
    assert str(caught.value) == (
        f"{SOURCE}:2:6: not valid UTF-8 (byte 0xFF at offset 11); TOML files are UTF-8: "
        "convert it, e.g. iconv -f ISO8859-1 -t UTF-8"
    )
    with pytest.raises(PolicyError) as caught:
        decode_utf8(b"\xc3", source=SOURCE)
    assert str(caught.value) == (
        f"{SOURCE}:1:1: not valid UTF-8 (byte 0xC3 at offset 0); TOML files are UTF-8: "
        "convert it, e.g. iconv -f ISO8859-1 -t UTF-8"
    )
    with pytest.raises(PolicyError) as caught:
        decode_utf8(
            '# é\nzone = "é\xff"'.encode("latin-1").replace(b"\xe9", "é".encode()), source=SOURCE
        )
    # The column counts characters, as the TOML decoder does: "é" is one.
    assert str(caught.value) == (
        f"{SOURCE}:2:10: not valid UTF-8 (byte 0xFF at offset 15); TOML files are UTF-8: "
        "convert it, e.g. iconv -f ISO8859-1 -t UTF-8"
    )


def test_nesting_up_to_the_limit_decodes_and_deeper_is_refused_before_the_decoder() -> None:
    deepest = MAX_NESTING * "[" + MAX_NESTING * "]"
    value: list[Any] = []
    for _ in range(MAX_NESTING - 1):
        value = [value]
    assert decode_toml(f"a = {deepest}\n", source=SOURCE) == {"a": value}
    # Brackets in comments and strings are not nesting.
    assert decode_toml(f"a = {deepest}\n# {'[' * 1000}\nb = '{'{' * 1000}'\n", source=SOURCE)
    assert decode_errors(f"a = [\n{deepest[:-1]}]]\n") == [
        f"{SOURCE}:2:{MAX_NESTING}: arrays and inline tables nested more than {MAX_NESTING} deep; "
        "no policy value needs more than 3 levels: remove the extra brackets"
    ]
    # Far past the decoder's recursion limit: still a message, never a RecursionError.
    assert decode_errors("a = " + "{b = " * 5000 + "1" + "}" * 5000 + "\n") == [
        f"{SOURCE}:1:{4 + 5 * MAX_NESTING + 1}: arrays and inline tables nested more than "
        f"{MAX_NESTING} deep; no policy value needs more than 3 levels: remove the extra brackets"
    ]


def test_numbers_up_to_the_limit_decode_and_longer_are_refused_before_the_decoder() -> None:
    longest = "9" * MAX_NUMBER_LENGTH
    assert decode_toml(f"a = {longest}\nb = '{'9' * 5000}'\n", source=SOURCE)["a"] == int(longest)
    # int() of more than 4300 digits raises a bare ValueError in the decoder.
    assert decode_errors(f"a = 1\nb = [1, 1{longest}]\n") == [
        f"{SOURCE}:2:9: a number longer than {MAX_NUMBER_LENGTH} digits; no policy value needs "
        "one that long: shorten it"
    ]
    assert decode_errors("a = " + "1_" * 60 + "1\n")[0].startswith(f"{SOURCE}:1:5: a number")
    # Even where the digits are followed by what makes the number invalid.
    assert decode_errors(f"a = 1.{longest}9x\n")[0].startswith(f"{SOURCE}:1:7: a number")


def test_keys_up_to_the_limit_decode_and_longer_are_refused_before_the_decoder() -> None:
    longest = ".".join(["k"] * MAX_KEY_PARTS)
    assert decode_toml(f"{longest} = 1\n[t.{longest[2:]}]\n", source=SOURCE)
    too_long = f"{longest}.k"
    refused = (
        f"a key of more than {MAX_KEY_PARTS} dotted parts; no policy key needs more than 3 "
        "(zone.NAME.after): shorten it"
    )
    assert decode_errors(f"a = 1\n{too_long} = 1\n") == [f"{SOURCE}:2:1: {refused}"]
    assert decode_errors(f"[ {too_long}]\n") == [f"{SOURCE}:1:3: {refused}"]
    assert decode_errors(f"a = {{ {too_long} = 1 }}\n") == [f"{SOURCE}:1:7: {refused}"]


@pytest.mark.parametrize(
    ("text", "rendered"),
    [
        pytest.param(
            "\ufeffa = 1\n",
            "1:1: the file starts with a byte order mark (U+FEFF), which TOML does not allow; "
            "save it as UTF-8 without a BOM",
            id="bom",
        ),
        pytest.param(
            "# ok\na = 1 # \x00\n",
            "2:9: control character U+0000 (NUL) is not allowed anywhere in a TOML file, not "
            "even in a string or comment; remove it",
            id="nul-in-a-comment",
        ),
        pytest.param(
            'a = "\x1b[31m"\n',
            "1:6: control character U+001B (ESC) is not allowed anywhere in a TOML file, not "
            "even in a string or comment; remove it",
            id="escape",
        ),
        pytest.param(
            "a = 1\x7f\n",
            "1:6: control character U+007F (DEL) is not allowed anywhere in a TOML file, not "
            "even in a string or comment; remove it",
            id="delete",
        ),
        pytest.param(
            "a = '\x0b'\n",
            "1:6: control character U+000B is not allowed anywhere in a TOML file, not even in a "
            "string or comment; remove it",
            id="unnamed",
        ),
        pytest.param(
            "a = 1\r\nb = 2\rc = 3\n",
            "2:6: a carriage return (U+000D) not followed by a newline; save the file with Unix "
            "(LF) line endings",
            id="lone-cr-after-crlf",
        ),
    ],
)
def test_hostile_text_gets_a_message_with_line_and_column(text: str, rendered: str) -> None:
    assert decode_errors(text) == [f"{SOURCE}:{rendered}"]


def test_tabs_and_crlf_line_endings_are_text() -> None:
    assert decode_toml('[shutdown]\r\n\tdeadline = "15m"\t# ok\r\n', source=SOURCE) == {
        "shutdown": {"deadline": "15m"}
    }
    # Columns count as the decoder counts them, without the CR of CRLF.
    assert decode_errors("a = 1\r\nb = \r\n") == [f"{SOURCE}:2:5: {VALUE}"]

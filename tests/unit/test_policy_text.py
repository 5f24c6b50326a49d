"""How decoder messages name keys (kzguard.policy.toml): tomllib writes a key as a
Python tuple repr, the operator reads it as a TOML key path."""

from __future__ import annotations

import pytest

from kzguard.policy.toml import _show_tuple_keys


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        ("Cannot declare ('zone', 'db1') twice", "Cannot declare zone.db1 twice"),
        ("Cannot declare ('zone', 'db\\n1') twice", 'Cannot declare zone."db\\n1" twice'),
        ("Cannot declare ('a.b', \"it's\") twice", 'Cannot declare "a.b"."it\'s" twice'),
        (
            "Cannot overwrite a value (at line 3, column 9)",
            "Cannot overwrite a value (at line 3, column 9)",
        ),
    ],
)
def test_tuple_keys_in_decoder_messages_are_shown_as_toml_keys(message: str, shown: str) -> None:
    assert _show_tuple_keys(message) == shown


def test_a_tuple_that_does_not_read_back_is_left_as_it_was() -> None:
    # repr() never writes \N without a name; only a message from elsewhere could.
    assert _show_tuple_keys("Cannot declare ('\\N',) twice") == "Cannot declare ('\\N',) twice"

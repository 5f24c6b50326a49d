"""The policy as a value (kzguard.policy.model)."""

from __future__ import annotations

import pytest

from kzguard.policy.model import Action, default_fallback


@pytest.mark.parametrize(
    ("action", "fallback"),
    [
        (Action.SUSPEND, (Action.SHUTDOWN, Action.HALT)),
        (Action.SHUTDOWN, (Action.HALT,)),
        (Action.HALT, ()),
        (Action.IGNORE, ()),
    ],
)
def test_the_default_fallback_is_every_later_step(
    action: Action, fallback: tuple[Action, ...]
) -> None:
    assert default_fallback(action) == fallback

"""kzguard.policy.inheritance: zone settings taken from [defaults], the fallback chain and
readiness, with the exact messages."""

from __future__ import annotations

import dataclasses

import pytest

from kzguard.policy.model import Action, Readiness, ZonePolicy
from tests.unit.test_policy_schema import at, case, errors, load

CASES = [
    # Fallback rules
    case(
        '[zone.db1]\naction = "shutdown"\nfallback = ["suspend"]\n',
        at(
            3,
            'zone.db1.fallback[0]: "suspend" cannot follow action "shutdown"; '
            "a fallback must be weaker (suspend > shutdown > halt)",
        ),
        id="fallback-stronger-than-action",
    ),
    case(
        '[defaults]\naction = "shutdown"\n[zone.db1]\nfallback = ["shutdown", "halt"]\n',
        at(
            4,
            'zone.db1.fallback[0]: "shutdown" cannot follow action "shutdown" (from '
            "[defaults]); a fallback must be weaker (suspend > shutdown > halt)",
        ),
        id="fallback-against-inherited-action",
    ),
    case(
        '[zone.db1]\naction = "shutdown"\nfallback = ["halt", "halt"]\n',
        at(3, 'zone.db1.fallback[1]: duplicate "halt"'),
        id="fallback-duplicate",
    ),
    case(
        '[defaults]\nfallback = ["halt", "shutdown", "halt"]\n',
        at(
            2,
            'defaults.fallback[1]: "shutdown" cannot follow "halt"; '
            "a fallback must be weaker (suspend > shutdown > halt)",
        ),
        at(2, 'defaults.fallback[2]: duplicate "halt"'),
        id="fallback-order",
    ),
    case(
        '[defaults]\nfallback = ["ignore", "stop", "halt"]\n',
        at(2, 'defaults.fallback[0]: "ignore" cannot be a fallback; set action = "ignore" instead'),
        at(2, 'defaults.fallback[1]: must be one of "suspend", "shutdown", "halt", got "stop"'),
        id="fallback-values",
    ),
    case(
        '[defaults]\naction = "ignore"\nfallback = ["halt", "shutdown"]\n',
        at(
            3,
            'defaults.fallback[1]: "shutdown" cannot follow "halt"; '
            "a fallback must be weaker (suspend > shutdown > halt)",
        ),
        id="ignore-default-chain-is-still-ordered",
    ),
    case(
        '[zone.db1]\naction = "ignore"\nfallback = ["halt"]\n'
        '[defaults]\naction = "ignore"\n[zone.db2]\nfallback = ["halt"]\n',
        at(3, 'zone.db1.fallback: has no effect with action "ignore"; remove it'),
        at(7, 'zone.db2.fallback: has no effect with action "ignore" (from [defaults]); remove it'),
        id="fallback-of-an-ignored-zone",
    ),
    case(
        '[zone.db1]\naction = "stop"\nfallback = ["suspend"]\n',
        at(
            2,
            'zone.db1.action: must be one of "suspend", "shutdown", "halt", "ignore", got "stop"',
        ),
        id="no-order-check-against-an-invalid-action",
    ),
    case(
        '[defaults]\nfallback = "halt"\n[zone.db1]\naction = "shutdown"\n',
        at(2, 'defaults.fallback: expected an array of strings, got string "halt"'),
        id="invalid-default-chain-is-not-inherited-silently",
    ),
    # Readiness
    case(
        '[defaults]\nreadiness = "command"\n',
        at(2, 'defaults.readiness: readiness = "command" needs a readiness_command'),
        id="command-readiness-without-command",
    ),
    case(
        '[zone.db1]\nreadiness = "command"\n',
        at(2, 'zone.db1.readiness: readiness = "command" needs a readiness_command'),
        id="zone-command-readiness-without-command",
    ),
    case(
        '[defaults]\nreadiness_command = "/bin/true"\n',
        at(
            2,
            'defaults.readiness_command: only used with readiness = "command", '
            'but readiness is "none"',
        ),
        id="command-without-command-readiness",
    ),
    case(
        '[zone.db1]\nreadiness = "milestone"\nreadiness_command = "/bin/true"\n'
        '[zone.db2]\nreadiness_command = "/bin/true"\n',
        at(
            3,
            'zone.db1.readiness_command: only used with readiness = "command", '
            'but readiness is "milestone"',
        ),
        at(
            5,
            'zone.db2.readiness_command: only used with readiness = "command", '
            'but readiness is "none" (from [defaults])',
        ),
        id="zone-command-without-command-readiness",
    ),
    case(
        '[zone.db1]\nreadiness = "command"\nreadiness_command = "  "\n',
        at(3, "zone.db1.readiness_command: must not be empty"),
        id="empty-command",
    ),
    case(
        f'[zone.db1]\nreadiness = "command"\nreadiness_command = "{"x" * 1025}"\n',
        at(3, "zone.db1.readiness_command: must be at most 1024 characters long, got 1025"),
        id="overlong-command",
    ),
    case(
        '[zone.db1]\nreadiness = "command"\nreadiness_command = "true\\nreboot"\n',
        at(
            3,
            'zone.db1.readiness_command: must not contain control characters, got "true\\nreboot"',
        ),
        id="multi-line-command",
    ),
    case(
        '[zone.db1]\nreadiness = "cmd"\nreadiness_command = "/bin/true"\n',
        at(
            2,
            'zone.db1.readiness: must be one of "none", "milestone", "command", got "cmd"; '
            'did you mean "command"?',
        ),
        id="no-readiness-cross-check-after-an-invalid-readiness",
    ),
    case(
        '[resume]\ndeadline = "1m"\n[defaults]\nreadiness_timeout = "2m"\n'
        '[zone.db1]\nreadiness = "milestone"\n',
        at(
            4,
            "defaults.readiness_timeout: 2m is longer than resume.deadline 1m; shorten readiness_timeout or raise resume.deadline",
        ),
        id="default-readiness-timeout",
    ),
    case(
        '[resume]\ndeadline = "1m"\n[zone.db1]\nreadiness = "milestone"\n'
        '[zone.db2]\nreadiness_timeout = "90s"\n[zone.db3]\n',
        at(
            3,
            "zone.db1.readiness_timeout: 5m (from [defaults]) is longer than resume.deadline 1m; shorten readiness_timeout or raise resume.deadline",
        ),
        at(
            6,
            "zone.db2.readiness_timeout: 1m30s is longer than resume.deadline 1m; shorten readiness_timeout or raise resume.deadline",
        ),
        id="zone-readiness-timeout",
    ),
    case(
        '[resume]\ndeadline = "1m"\n[defaults]\nreadiness = "milestone"\n[zone.db1]\n'
        '[zone.db2]\nreadiness_timeout = "30s"\n',
        at(
            3,
            "defaults.readiness_timeout: 5m is longer than resume.deadline 1m; shorten readiness_timeout or raise resume.deadline",
        ),
        id="readiness-timeout-reported-once",
    ),
    case(
        '[resume]\ndeadline = 60\n[defaults]\nreadiness = "milestone"\n',
        at(2, 'resume.deadline: expected a duration string like "15m", got integer 60'),
        id="no-readiness-timeout-check-without-a-deadline",
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_problem(text: str, expected: list[str]) -> None:
    assert errors(text) == expected


# ----------------------------------------------------------------------------------
# Zone inheritance and fallback chains


def zone(text: str, name: str = "db1") -> ZonePolicy:
    return load(text).zones[name]


@pytest.mark.parametrize(
    ("text", "fallback"),
    [
        pytest.param("[zone.db1]\n", (Action.SHUTDOWN, Action.HALT), id="inherited"),
        pytest.param('[zone.db1]\naction = "shutdown"\n', (Action.HALT,), id="shutdown"),
        pytest.param('[zone.db1]\naction = "halt"\n', (), id="halt"),
        pytest.param('[zone.db1]\naction = "ignore"\n', (), id="ignore"),
        pytest.param(
            '[defaults]\nfallback = ["halt"]\n[zone.db1]\naction = "suspend"\n',
            (Action.HALT,),
            id="suspend-keeps-the-default-chain",
        ),
        pytest.param(
            '[defaults]\naction = "shutdown"\n[zone.db1]\naction = "suspend"\n',
            (Action.HALT,),
            id="default-chain-after-default-shutdown",
        ),
        pytest.param(
            '[defaults]\naction = "ignore"\n[zone.db1]\naction = "suspend"\n',
            (Action.SHUTDOWN, Action.HALT),
            id="ignore-by-default-keeps-the-chain",
        ),
        pytest.param(
            '[defaults]\naction = "ignore"\nfallback = ["halt"]\n[zone.db1]\naction = "suspend"\n',
            (Action.HALT,),
            id="ignore-by-default-with-own-chain",
        ),
        pytest.param('[defaults]\naction = "ignore"\n[zone.db1]\n', (), id="ignored-by-default"),
        pytest.param('[zone.db1]\nfallback = ["halt"]\n', (Action.HALT,), id="own-chain"),
        pytest.param("[zone.db1]\nfallback = []\n", (), id="no-fallback"),
        pytest.param(
            '[defaults]\nfallback = []\n[zone.db1]\naction = "suspend"\n', (), id="empty-default"
        ),
    ],
)
def test_fallback_inheritance(text: str, fallback: tuple[Action, ...]) -> None:
    assert zone(text).fallback == fallback


def test_defaults_fallback_follows_the_default_action() -> None:
    assert load('[defaults]\naction = "shutdown"\n').defaults.fallback == (Action.HALT,)
    assert load('[defaults]\naction = "halt"\n').defaults.fallback == ()
    # "ignore" keeps the chain that zones choosing an action of their own inherit.
    ignored = load('[defaults]\naction = "ignore"\n').defaults
    assert ignored.fallback == (Action.SHUTDOWN, Action.HALT)
    assert ignored.steps == ()


def test_zone_keys_left_out_take_the_defaults() -> None:
    policy = load(
        """
[defaults]
action = "shutdown"
shutdown_timeout = "5m"
resume = false
readiness = "command"
readiness_command = "/bin/true"
readiness_timeout = "1m"
[zone.db1]
halt_timeout = "2m"
[zone.db2]
readiness = "milestone"
"""
    )
    assert policy.zones["db1"] == dataclasses.replace(policy.defaults, halt_timeout=120.0)
    # An inherited command goes with an inherited readiness = "command" only.
    assert policy.zones["db2"] == dataclasses.replace(
        policy.defaults, readiness=Readiness.MILESTONE, readiness_command=None
    )

"""kzguard.policy.rules: the rules between tables (after, exclusions, budgets), with the
exact messages."""

from __future__ import annotations

import pytest

from tests.unit.test_policy_schema import at, case, errors

CASES = [
    # after
    case(
        '[zone.db1]\n[zone."kz.1"]\nafter = ["db9", "kz.1", "db1", "db1", "global", 5, "zz"]\n',
        at(3, 'zone."kz.1".after[0]: unknown zone "db9"; did you mean "db1"?'),
        at(3, 'zone."kz.1".after[1]: a zone cannot come after itself'),
        at(3, 'zone."kz.1".after[3]: duplicate "db1"'),
        at(
            3,
            'zone."kz.1".after[4]: "global" is the global zone; the policy only names kernel zones',
        ),
        at(3, 'zone."kz.1".after[5]: expected a string, got integer 5'),
        at(3, 'zone."kz.1".after[6]: unknown zone "zz"'),
        id="after-entries",
    ),
    case(
        """[zone.db1]
[zone.app1]
after = [
  "db1",
  "web 2",  # a typo
  { zone = "db1" },
]
fallback = ["shutdown",
            "ignore"]
""",
        at(
            5,
            'zone.app1.after[1]: "web 2" is not a valid zone name (it contains " "): '
            "a zone name is 1-63 characters, starts with a letter or digit, then letters, "
            'digits, "-", "_" or "."',
        ),
        at(6, "zone.app1.after[2]: expected a string, got table"),
        at(
            9, 'zone.app1.fallback[1]: "ignore" cannot be a fallback; set action = "ignore" instead'
        ),
        id="entries-of-arrays-over-several-lines-at-their-own-lines",
    ),
    case(
        '[zone.db1]\nafter = "db2"\n[zone.db2]\n',
        at(2, 'zone.db1.after: expected an array of strings, got string "db2"'),
        id="after-not-an-array",
    ),
    case(
        '[zone.db1]\nafter = ["app1"]\n[zone.app1]\nafter = ["db1"]\n',
        at(4, "zone.app1.after: dependency cycle app1 -> db1 -> app1"),
        id="cycle",
    ),
    case(
        """[zone.c]
after = ["a"]
[zone.a]
after = ["b"]
[zone.b]
after = ["c", "x"]
[zone.x]
after = ["b"]
""",
        at(4, "zone.a.after: dependency cycle a -> b -> c -> a"),
        at(6, "zone.b.after: dependency cycle b -> x -> b"),
        id="cycles-each-once-from-the-smallest",
    ),
    case(
        '[zone.a]\nafter = ["b", 7]\n[zone.b]\nafter = ["a"]\n',
        at(2, "zone.a.after: dependency cycle a -> b -> a"),
        at(2, "zone.a.after[1]: expected a string, got integer 7"),
        id="cycle-through-a-partly-invalid-array",
    ),
    # select.exclude against zone tables
    case(
        '[select]\nexclude = ["db*", "kz*"]\n[zone.kz3]\n[zone.kz4]\naction = "halt"\n',
        at(3, 'zone.kz3: also excluded by select.exclude[1] "kz*"; remove one of them'),
        at(4, 'zone.kz4: also excluded by select.exclude[1] "kz*"; remove one of them'),
        id="excluded-zone-table",
    ),
    # Budgets
    case(
        '[shutdown]\ndeadline = "10m"\n[defaults]\nsuspend_timeout = "5m"\n'
        '[zone.db1]\nsuspend_timeout = "10m"\n',
        at(
            5,
            "zone.db1: suspend_timeout 10m + shutdown_timeout 3m + halt_timeout 1m = 14m "
            "does not fit in shutdown.deadline 10m; raise the deadline or shorten the timeouts",
        ),
        id="zone-budget",
    ),
    case(
        '[shutdown]\ndeadline = "10m"\n[zone.db1]\n[zone.db2]\naction = "halt"\n'
        '[zone.db3]\naction = "halt"\nhalt_timeout = "11m"\n[zone.db4]\naction = "ignore"\n',
        # No [defaults] table in the file: shown at the deadline that was set.
        at(
            2,
            "shutdown.deadline: the built-in [defaults] suspend_timeout 10m + shutdown_timeout "
            "3m + halt_timeout 1m = 14m does not fit in 10m; raise the deadline or set shorter "
            "timeouts in [defaults]",
        ),
        at(
            6,
            "zone.db3: halt_timeout 11m does not fit in shutdown.deadline 10m; "
            "raise the deadline or shorten the timeout",
        ),
        id="defaults-budget-reported-once",
    ),
    case(
        '[shutdown]\ndeadline = "10m"\n[defaults]\nsuspend_timeout = "0s"\n[zone.db1]\n'
        '[zone.db2]\nfallback = "halt"\n',
        at(4, "defaults.suspend_timeout: must be longer than 0s, got 0s"),
        at(7, 'zone.db2.fallback: expected an array of strings, got string "halt"'),
        id="no-budget-check-with-invalid-timeouts",
    ),
    case(
        '[shutdown]\ndeadline = "1d"\n',
        at(2, 'shutdown.deadline: expected a duration like "90s", "15m" or "1h30m", got "1d"'),
        id="no-budget-check-without-a-deadline",
    ),
    case(
        '[defaults]\naction = "ignore"\nsuspend_timeout = "1h"\n[zone.db1]\naction = "suspend"\n'
        "[zone.db2]\n",
        at(
            4,
            "zone.db1: suspend_timeout 1h + shutdown_timeout 3m + halt_timeout 1m = 1h4m "
            "does not fit in shutdown.deadline 15m; raise the deadline or shorten the timeouts",
        ),
        id="budget-of-a-zone-acting-when-the-default-is-ignore",
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_problem(text: str, expected: list[str]) -> None:
    assert errors(text) == expected


def test_more_than_twenty_cycles_are_cut_short() -> None:
    names = ["a", "b", "c", "d", "e"]
    text = "".join(
        f"[zone.{name}]\nafter = {[other for other in names if other != name]!r}\n".replace(
            "'", '"'
        )
        for name in names
    )
    found = errors(text)
    assert len(found) == 21
    # "zone" is the line of the first zone table, before the cycles' after keys.
    assert found[0] == at(1, "zone: more than 20 dependency cycles; only the first 20 are listed")
    assert found[1] == at(2, "zone.a.after: dependency cycle a -> b -> a")


def test_a_long_cycle_is_shown_by_its_first_zones() -> None:
    def ring(count: int) -> str:
        return "".join(
            f'[zone.z{index}]\nafter = ["z{(index + 1) % count}"]\n' for index in range(count)
        )

    assert errors(ring(8)) == [
        at(2, "zone.z0.after: dependency cycle z0 -> z1 -> z2 -> z3 -> z4 -> z5 -> z6 -> z7 -> z0")
    ]
    assert errors(ring(10)) == [
        at(
            2,
            "zone.z0.after: dependency cycle z0 -> z1 -> z2 -> z3 -> z4 -> z5 -> z6 -> z7 -> "
            "... (2 more zones) -> z0",
        )
    ]

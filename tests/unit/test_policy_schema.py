"""kzguard.policy.schema and kzguard.policy.tables: whole policies, tables and keys,
with the exact message the operator reads.

The checks of single values are in test_policy_values.py, zone settings and their
inheritance in test_policy_inheritance.py, the rules between tables in
test_policy_rules.py; they share this module's helpers.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from kzguard.errors import PolicyError
from kzguard.policy import tables as policy_tables
from kzguard.policy.model import (
    Action,
    Commands,
    Paths,
    Policy,
    Readiness,
    ResumeFailure,
    ResumePolicy,
    Selection,
    ShutdownPolicy,
    ZonePolicy,
    default_policy,
)
from kzguard.policy.schema import parse_policy, policy_from_text

SOURCE = "/etc/kzguard/policy.toml"
EXAMPLE = Path(__file__).parents[2] / "packaging" / "policy.toml"
POLICY_DATA = Path(__file__).parents[1] / "data" / "policy"


def errors(text: str) -> list[str]:
    """Return the rendered problems of ``text``, which must be an invalid policy."""
    with pytest.raises(PolicyError) as caught:
        policy_from_text(text, source=SOURCE)
    assert caught.value.source == SOURCE
    return str(caught.value).splitlines()


def load(text: str) -> Policy:
    return policy_from_text(text, source=SOURCE)


def at(line: int, rest: str) -> str:
    return f"{SOURCE}:{line}: {rest}"


# ----------------------------------------------------------------------------------
# Valid policies


def test_a_policy_of_comments_is_the_default_policy() -> None:
    assert load("# defaults\n") == dataclasses.replace(default_policy(), source=SOURCE)
    assert parse_policy({}, source="x") == Policy(source="x")


@pytest.mark.parametrize(
    ("text", "what"),
    [("", "is empty"), ("\n", "holds only white space"), (" \t\r\n\n", "holds only white space")],
)
def test_an_empty_policy_is_refused_not_taken_as_the_defaults(text: str, what: str) -> None:
    # An interrupted save leaves an empty file; the methods then keep the last good
    # policy instead of managing every kernel zone by the built-in defaults.
    assert errors(text) == [
        f"{SOURCE}: the policy file {what}, as an interrupted save may leave it; restore it, "
        'or to use the built-in defaults write a comment such as "# defaults"'
    ]


def test_empty_tables_change_nothing() -> None:
    text = "[shutdown]\n[resume]\n[select]\n[defaults]\n[commands]\n[paths]\n[zone]\n"
    assert load(text) == Policy(source=SOURCE)


def test_every_key_is_read() -> None:
    policy = load(
        """
[shutdown]
deadline = "1h30m"
parallel = 256
assumed_rate = "1G/s"
act_on_service_stop = true

[resume]
deadline = "10s"
parallel = 1
stagger = "0s"
verify = false
on_failure = "fresh-boot"
fresh_boot_args = ["-R", "-m", "verbose", "-x=a,b.c_d-e"]
boot_lost = false

[select]
auto = false
include = ["kz*", "db[0-9]", "app?", "x[!a-c]y"]
exclude = ["test-*"]

[defaults]
action = "shutdown"
fallback = ["halt"]
suspend_timeout = "500ms"
shutdown_timeout = "4m"
halt_timeout = "30s"
resume = false
readiness = "command"
readiness_command = "svcs -H -o state svc:/milestone/multi-user-server:default | grep online"
readiness_timeout = "10s"

[zone."kz.1"]
after = ["db1"]

[zone.db1]

[commands]
zoneadm = "/opt/sim/bin/zoneadm"
zonecfg = "/opt/sim/bin/zonecfg"
zlogin = "/opt/sim/bin/zlogin"
svcprop = "/opt/sim/bin/svcprop"
svcadm = "/opt/sim/bin/svcadm"
svccfg = "/opt/sim/bin/svccfg"
who = "/opt/sim/bin/who"
df = "/opt/sim/bin/df"
kstat = "/opt/sim/bin/kstat"
zpool = "/opt/sim/bin/zpool"
init = "/opt/sim/bin/init"
shutdown = "/opt/sim/bin/shutdown"
beadm = "/opt/sim/bin/beadm"

[paths]
state_dir = "/var/tmp/kzguard-state"
"""
    )
    defaults = ZonePolicy(
        action=Action.SHUTDOWN,
        fallback=(Action.HALT,),
        suspend_timeout=0.5,
        shutdown_timeout=240.0,
        halt_timeout=30.0,
        resume=False,
        readiness=Readiness.COMMAND,
        readiness_command=(
            "svcs -H -o state svc:/milestone/multi-user-server:default | grep online"
        ),
        readiness_timeout=10.0,
    )
    sim = "/opt/sim/bin/"
    assert policy == Policy(
        source=SOURCE,
        shutdown=ShutdownPolicy(
            deadline=5400.0, parallel=256, assumed_rate=1 << 30, act_on_service_stop=True
        ),
        resume=ResumePolicy(
            deadline=10.0,
            parallel=1,
            stagger=0.0,
            verify=False,
            on_failure=ResumeFailure.FRESH_BOOT,
            fresh_boot_args=("-R", "-m", "verbose", "-x=a,b.c_d-e"),
            boot_lost=False,
        ),
        select=Selection(
            auto=False, include=("kz*", "db[0-9]", "app?", "x[!a-c]y"), exclude=("test-*",)
        ),
        defaults=defaults,
        zones={"kz.1": dataclasses.replace(defaults, after=("db1",)), "db1": defaults},
        commands=Commands(*(sim + name for name in dataclasses.asdict(Commands()))),
        paths=Paths(state_dir="/var/tmp/kzguard-state"),
    )


def test_limits_are_inclusive() -> None:
    policy = load(
        """
[shutdown]
deadline = "24h"
assumed_rate = "1M"
[resume]
deadline = "30m"
stagger = "10m"
[defaults]
suspend_timeout = "23h56m"
readiness = "milestone"
readiness_timeout = "30m"
[zone.db1]
action = "halt"
halt_timeout = "24h"
"""
    )
    assert policy.shutdown.deadline == 86400.0
    assert policy.shutdown.assumed_rate == 1 << 20
    assert policy.resume.stagger == 600.0
    assert policy.defaults.readiness_timeout == policy.resume.deadline


def test_an_empty_fresh_boot_args_is_allowed() -> None:
    assert load("[resume]\nfresh_boot_args = []\n").resume.fresh_boot_args == ()


def test_zones_defined_with_dotted_keys_or_inline_tables() -> None:
    policy = load('[zone]\ndb1.action = "halt"\napp1 = { after = ["db1"] }\n')
    assert policy.zones["db1"].action is Action.HALT
    assert policy.zones["app1"].after == ("db1",)


# ----------------------------------------------------------------------------------
# One rule per case: the text and the exact messages


def case(text: str, *expected: str, id: str) -> Any:
    return pytest.param(text, list(expected), id=id)


LONG = "a" * 100

CASES = [
    # Unknown keys
    case(
        "deadline = 1\n",
        at(1, 'deadline: unknown key; "deadline" belongs in [shutdown] or [resume]'),
        id="top-level-misplaced",
    ),
    case(
        '[zones.db1]\naction = "halt"\n',
        at(1, 'zones: unknown key; did you mean "zone"?'),
        id="top-level-misspelt",
    ),
    case(
        "colour = 1\n",
        at(
            1,
            "colour: unknown key; valid keys are "
            "commands, defaults, paths, resume, select, shutdown, zone",
        ),
        id="top-level-unknown",
    ),
    case(
        '[shutdown]\ndeadlin = "15m"\n',
        at(2, 'shutdown.deadlin: unknown key; did you mean "deadline"?'),
        id="misspelt",
    ),
    case(
        "[shutdown]\nfoo = 1\n",
        at(
            2,
            "shutdown.foo: unknown key; valid keys are "
            "act_on_service_stop, assumed_rate, deadline, parallel",
        ),
        id="unknown-lists-valid-keys",
    ),
    case(
        '[shutdown]\nstagger = "5s"\n',
        at(2, 'shutdown.stagger: unknown key; "stagger" belongs in [resume]'),
        id="misplaced",
    ),
    case(
        '[defaults]\nafter = ["db1"]\n',
        at(2, 'defaults.after: unknown key; "after" belongs in [zone.NAME]'),
        id="after-in-defaults",
    ),
    case(
        '[zone.db1]\nacton = "halt"\n',
        at(2, 'zone.db1.acton: unknown key; did you mean "action"?'),
        id="zone-misspelt",
    ),
    case(
        '[zone.db1]\ndeadline = "1m"\n',
        at(2, 'zone.db1.deadline: unknown key; "deadline" belongs in [shutdown] or [resume]'),
        id="zone-misplaced",
    ),
    case(
        '[commands]\nzoneadmin = "/usr/sbin/zoneadm"\n',
        at(2, 'commands.zoneadmin: unknown key; did you mean "zoneadm"?'),
        id="commands-misspelt",
    ),
    case(
        '[paths]\n"state dir" = "/var/x"\n',
        at(2, 'paths."state dir": unknown key; did you mean "state_dir"?'),
        id="quoted-unknown-key",
    ),
    # Tables
    case("shutdown = 5\n", at(1, "shutdown: expected a table, got integer 5"), id="not-a-table"),
    case(
        "[[resume]]\n",
        at(1, "resume: expected a table, got an array of tables; write [resume], not [[resume]]"),
        id="array-of-tables",
    ),
    case("resume = [1]\n", at(1, "resume: expected a table, got array"), id="array"),
    case(
        '[[zone."kz.1"]]\n',
        at(
            1,
            'zone."kz.1": expected a table, got an array of tables; write [zone."kz.1"], not '
            '[[zone."kz.1"]]',
        ),
        id="zone-array-of-tables",
    ),
    case(
        "zone = 5\n",
        at(1, "zone: expected a table of [zone.NAME] tables, got integer 5"),
        id="zone-not-a-table",
    ),
    case(
        'zone.db1 = "halt"\n',
        at(1, 'zone.db1: expected a table, got string "halt"'),
        id="zone-entry-not-a-table",
    ),
    # Line numbers survive multi-line values, comments and quoted names
    case(
        '[shutdown]\n# parallel = "x"\nassumed_rate = """\n1x"""\nparallel = [\n  1, # one\n]\n'
        "[zone.'db.1' ] # a comment\nresume = 1\n",
        at(3, 'shutdown.assumed_rate: expected a size per second like "256M" or "1G", got "1x"'),
        at(5, 'shutdown.parallel: expected "auto" or an integer from 1 to 256, got array'),
        at(9, 'zone."db.1".resume: expected true or false, got integer 1'),
        id="lines-across-multi-line-values",
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_problem(text: str, expected: list[str]) -> None:
    assert errors(text) == expected


def test_a_duplicate_zone_table_is_a_syntax_error_with_its_line() -> None:
    assert errors('[zone.db1]\naction = "halt"\n\n[zone.db1]\n') == [
        f"{SOURCE}:4:1: zone.db1: the table is defined twice (first on line 1); merge the "
        "two into one"
    ]


def test_every_problem_is_reported_in_one_run_sorted_by_line() -> None:
    text = (POLICY_DATA / "many-problems.toml").read_text(encoding="utf-8")
    expected = (POLICY_DATA / "many-problems.txt").read_text(encoding="utf-8")
    assert "\n".join(errors(text)) + "\n" == expected.replace("FILE", SOURCE)


def test_problems_without_text_have_no_line() -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(
            {"shutdown": {"parallel": None, "deadline": "1s"}, "zone": {"db1": {"after": ["x"]}}},
            source="policy",
        )
    assert str(caught.value).splitlines() == [
        "policy: shutdown.deadline: must be between 10s and 24h, got 1s",
        'policy: shutdown.parallel: expected "auto" or an integer from 1 to 256, got NoneType',
        'policy: zone.db1.after[0]: unknown zone "x"',
    ]


def test_at_most_50_problems_are_listed() -> None:
    def zones(count: int) -> str:
        return "".join(f'[zone."bad {index:03d}"]\n' for index in range(count))

    assert len(errors(zones(50))) == 50
    listed = errors(zones(52))
    assert len(listed) == 51
    assert listed[49].startswith(f'{SOURCE}:50: zone."bad 049"')
    assert listed[50] == f"{SOURCE}: 2 more problems not listed; fix the ones above and check again"
    assert errors(zones(51))[50] == (
        f"{SOURCE}: 1 more problem not listed; fix the ones above and check again"
    )


def test_a_suggestion_is_not_searched_for_among_thousands_of_zones() -> None:
    def zones(count: int) -> str:
        # count - 1 tables z0..., then zone a, whose after names a near miss.
        tables = "".join(f"[zone.z{index}]\n" for index in range(count - 1))
        return tables + '[zone.a]\nafter = ["z998x"]\n'

    assert errors(zones(1000))[-1] == at(
        1001, 'zone.a.after[0]: unknown zone "z998x"; did you mean "z998"?'
    )
    assert errors(zones(1001))[-1] == at(1002, 'zone.a.after[0]: unknown zone "z998x"')


# ----------------------------------------------------------------------------------
# The schema against the value types, and the example policy


@pytest.mark.parametrize(
    ("keys", "kind"),
    [
        (policy_tables.SHUTDOWN_KEYS, ShutdownPolicy),
        (policy_tables.RESUME_KEYS, ResumePolicy),
        (policy_tables.SELECT_KEYS, Selection),
        (policy_tables.COMMANDS_KEYS, Commands),
        (policy_tables.PATHS_KEYS, Paths),
        (policy_tables.ZONE_KEYS, ZonePolicy),
    ],
)
def test_schema_keys_are_the_dataclass_fields(keys: Any, kind: Any) -> None:
    assert sorted(keys) == sorted(field.name for field in dataclasses.fields(kind))
    assert sorted(policy_tables.DEFAULTS_KEYS) == sorted(set(policy_tables.ZONE_KEYS) - {"after"})


SETTING_LINE = re.compile(r"^#(?=\[|[a-z_]+ = )", re.MULTILINE)


def example_text() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


def test_the_example_policy_loads_as_the_defaults() -> None:
    assert load(example_text()) == Policy(source=SOURCE)


def test_the_defaults_the_example_states_are_the_defaults() -> None:
    # Remove the "#" of every commented-out setting: the file then sets every key
    # to the value it documents as the default, and adds the example zones.
    policy = load(SETTING_LINE.sub("", example_text()))
    assert dataclasses.replace(policy, zones={}) == Policy(source=SOURCE)
    assert set(policy.zones) == {"db1", "app1"}
    assert policy.zones["app1"].after == ("db1",)


def test_the_example_documents_every_key_in_its_table() -> None:
    documented: dict[str, set[str]] = {}
    table = ""
    for line in example_text().splitlines():
        header = re.match(r"^#?\[(zone)?\.?([a-z_0-9]+)\]", line)
        if header:
            table = "zone" if header.group(1) else header.group(2)
            continue
        setting = re.match(r"^#([a-z_]+) = ", line)
        if setting:
            documented.setdefault(table, set()).add(setting.group(1))
    assert documented == {
        "shutdown": set(policy_tables.SHUTDOWN_KEYS),
        "resume": set(policy_tables.RESUME_KEYS),
        "select": set(policy_tables.SELECT_KEYS),
        # readiness_command has no default: prose in [defaults], set in an example zone.
        "defaults": set(policy_tables.DEFAULTS_KEYS) - {"readiness_command"},
        "commands": set(policy_tables.COMMANDS_KEYS),
        "paths": set(policy_tables.PATHS_KEYS),
        "zone": {
            "action",
            "shutdown_timeout",
            "readiness",
            "after",
            "readiness_command",
            "readiness_timeout",
        },
    }

"""kzguard.policy.schema: every rule, with the exact message the operator reads."""

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
from kzguard.text import quote

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
    # Integers
    case(
        '[shutdown]\nparallel = "4"\n',
        at(2, 'shutdown.parallel: expected an integer, got string "4"'),
        id="integer-as-string",
    ),
    case(
        "[shutdown]\nparallel = true\n",
        at(2, "shutdown.parallel: expected an integer, got boolean true"),
        id="boolean-is-not-an-integer",
    ),
    case(
        "[shutdown]\nparallel = 4.0\n",
        at(2, "shutdown.parallel: expected an integer, got float 4.0"),
        id="float-is-not-an-integer",
    ),
    case(
        "[shutdown]\nparallel = 0\n",
        at(2, "shutdown.parallel: must be between 1 and 256, got 0"),
        id="integer-too-small",
    ),
    case(
        "[resume]\nparallel = 257\n",
        at(2, "resume.parallel: must be between 1 and 256, got 257"),
        id="integer-too-big",
    ),
    # Booleans
    case(
        '[shutdown]\nact_on_service_stop = "yes"\n',
        at(2, 'shutdown.act_on_service_stop: expected true or false, got string "yes"'),
        id="boolean-as-string",
    ),
    case(
        "[select]\nauto = 1\n",
        at(2, "select.auto: expected true or false, got integer 1"),
        id="integer-is-not-a-boolean",
    ),
    case(
        "[defaults]\nresume = false\nresume2 = 0\n",
        at(3, 'defaults.resume2: unknown key; did you mean "resume"?'),
        id="false-is-fine",
    ),
    # Durations
    case(
        "[shutdown]\ndeadline = 900\n",
        at(2, 'shutdown.deadline: expected a duration string like "15m", got integer 900'),
        id="duration-as-integer",
    ),
    case(
        "[shutdown]\ndeadline = 1979-05-27T07:32:00Z\n",
        at(
            2,
            'shutdown.deadline: expected a duration string like "15m", '
            "got date-time 1979-05-27T07:32:00+00:00",
        ),
        id="duration-as-date-time",
    ),
    case(
        "[shutdown]\ndeadline = 1979-05-27\n",
        at(2, 'shutdown.deadline: expected a duration string like "15m", got date 1979-05-27'),
        id="duration-as-date",
    ),
    case(
        "[shutdown]\ndeadline = 07:32:00\n",
        at(2, 'shutdown.deadline: expected a duration string like "15m", got time 07:32:00'),
        id="duration-as-time",
    ),
    case(
        "[shutdown]\ndeadline = { minutes = 15 }\n",
        at(2, 'shutdown.deadline: expected a duration string like "15m", got table'),
        id="duration-as-table",
    ),
    case(
        '[shutdown]\ndeadline = "15x"\n',
        at(2, 'shutdown.deadline: expected a duration like "90s", "15m" or "1h30m", got "15x"'),
        id="not-a-duration",
    ),
    case(
        '[shutdown]\ndeadline = ""\n',
        at(2, 'shutdown.deadline: expected a duration like "90s", "15m" or "1h30m", got ""'),
        id="empty-duration",
    ),
    # Issue 12: Python's \d and float() read every script's digits; a policy is ASCII.
    case(
        '[shutdown]\ndeadline = "\uff11\uff10m"\n',
        at(
            2,
            'shutdown.deadline: expected a duration like "90s", "15m" or "1h30m", got '
            '"\uff11\uff10m"; it contains "\uff11", which is not an ASCII digit',
        ),
        id="duration-of-fullwidth-digits",
    ),
    case(
        '[defaults]\nhalt_timeout = "1\u0660s"\n',
        at(
            2,
            'defaults.halt_timeout: expected a duration like "90s", "15m" or "1h30m", got '
            '"1\u0660s"; it contains "\u0660", which is not an ASCII digit',
        ),
        id="duration-of-arabic-indic-digits",
    ),
    case(
        '[resume]\nstagger = "5\u00b5s"\n',
        at(
            2,
            'resume.stagger: expected a duration like "90s", "15m" or "1h30m", got '
            '"5\u00b5s"; it contains "\u00b5", which is not an ASCII character',
        ),
        id="duration-with-a-non-ascii-unit",
    ),
    case(
        '[resume]\nstagger = "30m1h"\n',
        at(
            2,
            "resume.stagger: units must go from the largest to the smallest, each once "
            '(like "1h30m"), got "30m1h"',
        ),
        id="duration-units-out-of-order",
    ),
    case(
        '[shutdown]\ndeadline = "1\\u0000m"\n',
        at(2, 'shutdown.deadline: must not contain control characters, got "1\\u0000m"'),
        id="control-character-in-duration",
    ),
    case(
        '[shutdown]\ndeadline = "5s"\n',
        at(2, "shutdown.deadline: must be between 10s and 24h, got 5s"),
        id="deadline-too-short",
    ),
    case(
        '[resume]\ndeadline = "24h1s"\n',
        at(2, "resume.deadline: must be between 10s and 24h, got 24h1s"),
        id="deadline-too-long",
    ),
    case(
        '[resume]\nstagger = "11m"\n',
        at(2, "resume.stagger: must be between 0s and 10m, got 11m"),
        id="stagger-too-long",
    ),
    case(
        '[defaults]\nsuspend_timeout = "0s"\n',
        at(2, "defaults.suspend_timeout: must be longer than 0s, got 0s"),
        id="zero-timeout",
    ),
    case(
        '[zone.db1]\nreadiness_timeout = "0ms"\n',
        at(2, "zone.db1.readiness_timeout: must be longer than 0s, got 0ms"),
        id="zero-readiness-timeout",
    ),
    # Sizes
    case(
        "[shutdown]\nassumed_rate = 268435456\n",
        at(
            2,
            'shutdown.assumed_rate: expected a size per second like "256M", got integer 268435456',
        ),
        id="rate-as-integer",
    ),
    case(
        '[shutdown]\nassumed_rate = "fast"\n',
        at(2, 'shutdown.assumed_rate: expected a size per second like "256M" or "1G", got "fast"'),
        id="not-a-rate",
    ),
    case(
        '[shutdown]\nassumed_rate = "\uff12\uff15\uff16M"\n',
        at(
            2,
            'shutdown.assumed_rate: expected a size per second like "256M" or "1G", got '
            '"\uff12\uff15\uff16M"; it contains "\uff12", which is not an ASCII digit',
        ),
        id="rate-of-fullwidth-digits",
    ),
    case(
        '[shutdown]\nassumed_rate = "1\\u0000G"\n',
        at(2, 'shutdown.assumed_rate: must not contain control characters, got "1\\u0000G"'),
        id="control-character-in-size",
    ),
    case(
        '[shutdown]\nassumed_rate = "512K"\n',
        at(2, "shutdown.assumed_rate: must be at least 1M per second, got 512K"),
        id="rate-too-low",
    ),
    case(
        '[shutdown]\nassumed_rate = "1025T/s"\n',
        at(2, "shutdown.assumed_rate: must be at most 1P per second, got 1025T/s"),
        id="rate-too-high",
    ),
    # Choices
    case(
        '[resume]\non_failure = "fresh_boot"\n',
        at(
            2,
            'resume.on_failure: must be one of "leave", "fresh-boot", got "fresh_boot"; '
            'did you mean "fresh-boot"?',
        ),
        id="choice-misspelt",
    ),
    case(
        '[defaults]\naction = "stop"\n',
        at(
            2, 'defaults.action: must be one of "suspend", "shutdown", "halt", "ignore", got "stop"'
        ),
        id="choice-unknown",
    ),
    case(
        "[defaults]\nreadiness = 1\n",
        at(2, "defaults.readiness: expected a string, got integer 1"),
        id="choice-not-a-string",
    ),
    # Arrays
    case(
        '[resume]\nfresh_boot_args = "-R"\n',
        at(2, 'resume.fresh_boot_args: expected an array of strings, got string "-R"'),
        id="array-as-string",
    ),
    case(
        '[resume]\nfresh_boot_args = ["-m verbose", "", "--x", "-", "a\\tb", 3, ["-R"]]\n',
        at(
            2,
            'resume.fresh_boot_args[0]: must be an option like "-R" or one word without '
            'spaces, got "-m verbose"',
        ),
        at(
            2,
            'resume.fresh_boot_args[1]: must be an option like "-R" or one word without '
            'spaces, got ""',
        ),
        at(
            2,
            'resume.fresh_boot_args[2]: must be an option like "-R" or one word without '
            'spaces, got "--x"',
        ),
        at(
            2,
            'resume.fresh_boot_args[3]: must be an option like "-R" or one word without '
            'spaces, got "-"',
        ),
        at(2, 'resume.fresh_boot_args[4]: must not contain control characters, got "a\\tb"'),
        at(2, "resume.fresh_boot_args[5]: expected a string, got integer 3"),
        at(2, "resume.fresh_boot_args[6]: expected a string, got array"),
        id="boot-args",
    ),
    case(
        '[resume]\nfresh_boot_args = ["a b"]\n',
        at(
            2,
            'resume.fresh_boot_args[0]: must be an option like "-R" or one word without '
            'spaces, got "a b"',
        ),
        id="boot-word-with-space",
    ),
    # Zone-name patterns
    case(
        "[select]\n"
        'include = ["kz*", "kz*", "", "kz 1", "kz[12", "a]", "a!b", "k[]", "k[!]", "k[*]"]\n',
        at(2, 'select.include[1]: duplicate "kz*"'),
        at(2, "select.include[2]: must not be empty"),
        at(
            2,
            'select.include[3]: " " cannot appear in a zone-name pattern, got "kz 1"; use '
            'letters, digits, "-", "_", "." and the wildcards * ? [...] [!...]',
        ),
        at(2, 'select.include[4]: unclosed "[" in "kz[12"'),
        at(2, 'select.include[5]: "]" without "[" in "a]"'),
        at(2, 'select.include[6]: "!" outside "[!...]" in "a!b"'),
        at(2, 'select.include[7]: empty "[]" in "k[]"'),
        at(2, 'select.include[8]: empty "[]" in "k[!]"'),
        at(
            2,
            'select.include[9]: only letters, digits, "-", "_" and "." can appear inside '
            '[...], got "k[*]"',
        ),
        id="patterns",
    ),
    case(
        '[select]\nexclude = ["db*", "kz?", "db*"]\n',
        at(2, 'select.exclude[2]: duplicate "db*"'),
        id="duplicate-exclude",
    ),
    # Strings anywhere
    case(
        f'[paths]\nstate_dir = "/{"a" * 5000}"\n',
        at(2, "paths.state_dir: must be at most 4096 characters long, got 5001"),
        id="overlong-string",
    ),
    case(
        f'[select]\ninclude = ["{LONG}\\u0007"]\n',
        at(
            2,
            f'select.include[0]: must not contain control characters, got "{"a" * 80}"... '
            "(101 characters)",
        ),
        id="long-values-are-cut-in-messages",
    ),
    case(
        '[commands]\nzoneadm = "/usr/sbin/zone\\u0000adm"\n',
        at(
            2,
            'commands.zoneadm: must not contain control characters, got "/usr/sbin/zone\\u0000adm"',
        ),
        id="nul",
    ),
    case(
        '[paths]\nstate_dir = "/var/\\u202Ekz\\u0085"\n',
        at(2, 'paths.state_dir: must not contain control characters, got "/var/\\u202Ekz\\u0085"'),
        id="invisible-characters-are-shown-escaped",
    ),
    # Paths
    case(
        '[commands]\nzoneadm = "../zoneadm"\n',
        at(2, 'commands.zoneadm: must be an absolute path without ".." (got "../zoneadm")'),
        id="relative-path",
    ),
    case(
        '[commands]\nzonecfg = "zonecfg"\n',
        at(2, 'commands.zonecfg: must be an absolute path without ".." (got "zonecfg")'),
        id="bare-name",
    ),
    case(
        '[commands]\nzlogin = "/usr/sbin/../bin/zlogin"\n',
        at(
            2,
            'commands.zlogin: must be an absolute path without ".." (got "/usr/sbin/../bin/zlogin")',
        ),
        id="dot-dot",
    ),
    case(
        '[commands]\nwho = ""\n',
        at(2, 'commands.who: must be an absolute path without ".." (got "")'),
        id="empty-path",
    ),
    case(
        '[commands]\ndf = "/usr//sbin/df"\nsvcadm = "/usr/./sbin/svcadm"\n'
        'svccfg = "//usr/sbin/svccfg"\n[paths]\nstate_dir = "/var/share/kzguard/"\n',
        at(
            2,
            'commands.df: must be a normalised path without "." components, "//" or a '
            'trailing "/" (got "/usr//sbin/df")',
        ),
        at(
            3,
            'commands.svcadm: must be a normalised path without "." components, "//" or a '
            'trailing "/" (got "/usr/./sbin/svcadm")',
        ),
        at(
            4,
            'commands.svccfg: must be a normalised path without "." components, "//" or a '
            'trailing "/" (got "//usr/sbin/svccfg")',
        ),
        at(
            6,
            'paths.state_dir: must be a normalised path without "." components, "//" or a '
            'trailing "/" (got "/var/share/kzguard/")',
        ),
        id="unnormalised-paths",
    ),
    case(
        "[commands]\nsvcprop = 5\n",
        at(2, "commands.svcprop: expected a string, got integer 5"),
        id="path-not-a-string",
    ),
    # Zone names
    case(
        "[zone.global]\n",
        at(1, 'zone.global: "global" is the global zone; the policy only names kernel zones'),
        id="global",
    ),
    case(
        '[zone."kz 1"]\nacton = "halt"\n',
        at(
            1,
            'zone."kz 1": "kz 1" is not a valid zone name (it contains " "): a zone name is '
            '1-63 characters, starts with a letter or digit, then letters, digits, "-", "_" '
            'or "."',
        ),
        at(2, 'zone."kz 1".acton: unknown key; did you mean "action"?'),
        id="invalid-zone-name-and-its-keys",
    ),
    case(
        '[zone."-kz"]\n[zone.""]\n',
        at(
            1,
            'zone.-kz: "-kz" is not a valid zone name (it starts with "-"): a zone name is '
            '1-63 characters, starts with a letter or digit, then letters, digits, "-", "_" '
            'or "."',
        ),
        at(
            2,
            'zone."": "" is not a valid zone name (it is empty): a zone name is 1-63 characters, '
            'starts with a letter or digit, then letters, digits, "-", "_" or "."',
        ),
        id="zone-name-first-character-and-empty",
    ),
    case(
        f"[zone.{'k' * 64}]\n",
        at(
            1,
            f'zone.{"k" * 64}: "{"k" * 64}" is not a valid zone name (it is 64 characters '
            'long): a zone name is 1-63 characters, starts with a letter or digit, then letters, digits, "-", "_" '
            'or "."',
        ),
        id="zone-name-too-long",
    ),
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
    # Line numbers survive multi-line values, comments and quoted names
    case(
        '[shutdown]\n# parallel = "x"\nassumed_rate = """\n1x"""\nparallel = [\n  1, # one\n]\n'
        "[zone.'db.1' ] # a comment\nresume = 1\n",
        at(3, 'shutdown.assumed_rate: expected a size per second like "256M" or "1G", got "1x"'),
        at(5, "shutdown.parallel: expected an integer, got array"),
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
        "policy: shutdown.parallel: expected an integer, got NoneType",
        'policy: zone.db1.after[0]: unknown zone "x"',
    ]


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


@pytest.mark.parametrize("char", [*";$`|&<>()'\" *?[]{}~#!\\", "é", "\u00a0"])
def test_command_paths_hold_only_portable_characters(char: str) -> None:
    path = f"/usr/sbin/zone{char}adm"
    assert errors(f"[commands]\nzoneadm = {quote(path)}\n") == [
        at(
            2,
            f"commands.zoneadm: {quote(char)} cannot appear in a path here, got {quote(path)}; "
            'use letters, digits, "/", ".", "_", "-" and "+"',
        )
    ]


def test_portable_paths_are_accepted() -> None:
    policy = load('[paths]\nstate_dir = "/var/share/kz-guard_2.0+x"\n')
    assert policy.paths.state_dir == "/var/share/kz-guard_2.0+x"


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

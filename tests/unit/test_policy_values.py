"""kzguard.policy.values: every check of a single value, with the exact message."""

from __future__ import annotations

import pytest

from kzguard.policy.model import AUTO, Policy, pinned
from kzguard.text import quote
from tests.unit.test_policy_schema import at, case, errors, load

LONG = "a" * 100

CASES = [
    # Integers
    case(
        '[shutdown]\nparallel = "4"\n',
        at(
            2,
            'shutdown.parallel: expected "auto" or an integer from 1 to 256, got string "4"; write 4 without the quotes',
        ),
        id="integer-as-string",
    ),
    case(
        "[shutdown]\nparallel = true\n",
        at(2, 'shutdown.parallel: expected "auto" or an integer from 1 to 256, got boolean true'),
        id="boolean-is-not-an-integer",
    ),
    case(
        "[shutdown]\nparallel = 4.0\n",
        at(
            2,
            'shutdown.parallel: expected "auto" or an integer from 1 to 256, got float 4.0; write 4',
        ),
        id="float-is-not-an-integer",
    ),
    case(
        '[shutdown]\nparallel = "Auto"\n',
        at(
            2,
            'shutdown.parallel: expected "auto" or an integer from 1 to 256, '
            'got string "Auto"; did you mean "auto"?',
        ),
        id="auto-misspelt",
    ),
    case(
        '[resume]\nparallel = "many"\n',
        at(2, 'resume.parallel: expected "auto" or an integer from 1 to 256, got string "many"'),
        id="parallel-neither-auto-nor-a-number",
    ),
    case(
        "[resume]\nparallel = 0.5\n",
        at(2, 'resume.parallel: expected "auto" or an integer from 1 to 256, got float 0.5'),
        id="parallel-fraction",
    ),
    case(
        "[shutdown]\nparallel = 0\n",
        at(2, 'shutdown.parallel: must be "auto" or between 1 and 256, got 0'),
        id="integer-too-small",
    ),
    case(
        "[resume]\nparallel = 257\n",
        at(2, 'resume.parallel: must be "auto" or between 1 and 256, got 257'),
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
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_problem(text: str, expected: list[str]) -> None:
    assert errors(text) == expected


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


def test_the_console_is_an_absolute_path_or_none() -> None:
    assert load("# defaults\n").paths.console == "/dev/msglog"
    assert load('[paths]\nconsole = "/var/tmp/console"\n').paths.console == "/var/tmp/console"
    assert load('[paths]\nconsole = "none"\n').paths.console == ""
    assert load('[paths]\nconsole = ""\n').paths.console == ""
    assert errors('[paths]\nconsole = "msglog"\n') == [
        at(2, 'paths.console: must be an absolute path without ".." (got "msglog")')
    ]
    assert errors("[paths]\nconsole = false\n") == [
        at(2, "paths.console: expected a string, got boolean false")
    ]


def test_parallel_is_auto_by_default_and_takes_auto_or_a_number() -> None:
    assert (Policy().shutdown.parallel, Policy().resume.parallel) == (AUTO, AUTO)
    policy = load('[shutdown]\nparallel = "auto"\n[resume]\nparallel = 3\n')
    assert (policy.shutdown.parallel, policy.resume.parallel) == ("auto", 3)
    assert (pinned(policy.shutdown.parallel), pinned(policy.resume.parallel)) == (None, 3)

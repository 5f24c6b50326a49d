"""Simulated ``/usr/sbin/zlogin``: non-interactive commands in a running zone.

How Solaris runs the command (zlogin(1); [S11SRC] usr/src/cmd/zlogin/zlogin.c
prep_args()): the arguments after the zone name are joined with single spaces
into one string, and ``su root -c STRING`` runs it through root's shell in the
zone.  So the zone's shell re-splits the words and interprets its metacharacters
(``>`` redirects, ``;`` separates...), and an argument containing a blank becomes
several words.  (illumos later single-quotes arguments that contain blanks when
there are several; Solaris 11.0 does not, and 11.4's behaviour is UNCONFIRMED:
callers should pass no argument with blanks or unintended metacharacters.)

The simulated zone shell runs simple commands, each optionally with one ``> FILE``
redirection (the file is created or truncated before the command runs, as a shell
does), alone or as an AND list (``a && b``: b runs only if a exited 0, and the
list's status is the last command's; sh(1), "AND lists").  It knows ``kstat -p
unix:0:system_misc:boot_time``, ``svcs -H -o state`` of the multi-user-server
milestone, ``true``, ``false``, ``echo``, and ``mkdir``,
``cat``, ``mv`` and ``rm`` on /system/volatile (:mod:`kzguard.sim.volatile`), plus
whatever the zone's ``commands`` table holds (:meth:`SimHost.set_zone_command`);
anything else is "not found" (exit 127, the shell's status for a missing command).

zlogin's own failures exit 1 (zlogin(1): ambiguous with a command's status 1):
an unknown zone, a zone that is not running (illumos/Solaris zlogin.c main():
``login allowed only to running zones (Z is 'S').``), and the fault ``zlogin
fail`` (the connection to the zone fails; message UNCONFIRMED).  A kernel zone in
the debugger (auxiliary state ``debugging``) "cannot service any network
requests" ([KZ114-AUX]): zlogin waits until it leaves the debugger (UNCONFIRMED);
so it does while the zone's kernel is stopped at a panic (``panicked``), until a halt.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Sequence

from kzguard.sim import volatile
from kzguard.sim.options import OptionError, getopt
from kzguard.sim.state import SimHost
from kzguard.sim.tools import host_for
from kzguard.sim.volatile import Result
from kzguard.sim.zonesettings import kernel_stopped

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

AND = "&&"  # the shell's AND-list operator
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 127
DEBUGGER_POLL = 0.1  # real seconds between looks at a zone stopped in kmdb

# illumos zlogin.c usage().
USAGE = "usage: zlogin [ -nQCES ] [ -e cmdchar ] [-l user] zonename [command [args ...] ]\n"
BOOT_TIME_KSTAT = "unix:0:system_misc:boot_time"
MILESTONE_NAMES = frozenset(
    {
        "svc:/milestone/multi-user-server:default",
        "svc:/milestone/multi-user-server",
        "milestone/multi-user-server:default",
        "milestone/multi-user-server",
        "multi-user-server",
    }
)
_BIN_DIRS = ("", "/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/")


def _program(word: str) -> str:
    """The command's name if it is one the zone has in a standard directory."""
    for prefix in _BIN_DIRS[1:]:
        if word.startswith(prefix) and "/" not in word[len(prefix) :]:
            return word[len(prefix) :]
    return word


def _online(zone: dict[str, Any]) -> bool:
    online_at = zone["online_at"]
    return online_at is not None and time.time() >= float(online_at)


def _builtin(zone: dict[str, Any], program: str, args: list[str]) -> Result | None:
    if program == "true":
        return Result(0)
    if program == "false":
        return Result(1)
    if program == "echo":
        return volatile.echo(args)
    if program in volatile.COMMANDS:
        return volatile.COMMANDS[program](zone, args)
    if program == "kstat":
        if args != ["-p", BOOT_TIME_KSTAT]:
            # The simulator's own wording: a real zone would answer anything.
            return Result(
                EXIT_USAGE,
                stderr="kstat: the simulated zone knows only -p " + BOOT_TIME_KSTAT + "\n",
            )
        # kstat -p: "module:instance:name:statistic<TAB>value" (docs/solaris.md 8).
        return Result(0, f"{BOOT_TIME_KSTAT}\t{zone['boot_time']}\n")
    if program == "svcs":
        if len(args) != 4 or args[:3] != ["-H", "-o", "state"] or args[3] not in MILESTONE_NAMES:
            return Result(
                EXIT_USAGE,
                stderr="svcs: the simulated zone knows only -H -o state of the milestone\n",
            )
        return Result(0, "online\n" if _online(zone) else "offline\n")
    return None


def run_in_zone(zone: dict[str, Any], words: list[str]) -> Result:
    """Run one command (already split into words) in ``zone``."""
    table = zone["commands"]
    line = " ".join(words)
    if line in table:
        entry = table[line]
        if not _online(zone):
            return Result(int(entry.get("not_ready_status", 1)))
        return Result(int(entry.get("status", 0)), entry.get("stdout", ""), entry.get("stderr", ""))
    found = _builtin(zone, _program(words[0]), words[1:])
    if found is not None:
        return found
    return Result(EXIT_NOT_FOUND, stderr=f"sh: {words[0]}: not found\n")


# shlex's punctuation_chars, and what needs its lexer: quoting, escapes, comments.
_OPERATOR_CHARS = frozenset("();<>|&")
_LEXED_CHARS = frozenset("'\"\\#")


def split_line(line: str) -> list[tuple[list[str], str | None]]:
    """Split a command line as the zone's shell would: an AND list (``a && b``),
    each command as (words, redirect target).  ValueError for what the simulated
    shell does not run."""
    commands: list[tuple[list[str], str | None]] = []
    tokens: list[str] = []
    for token in [*_tokens(line), AND]:
        if token != AND:
            tokens.append(token)
            continue
        target = None
        if len(tokens) >= 2 and tokens[-2] == ">":
            tokens, target = tokens[:-2], tokens[-1]
        if any(word and _OPERATOR_CHARS.issuperset(word) for word in tokens) or (
            target is not None and not tokens
        ):
            raise ValueError(
                "the simulated zone shell runs simple commands, each with at most one >, "
                "joined by &&"
            )
        commands.append((tokens, target))
        tokens = []
    if len(commands) > 1 and not all(words for words, _ in commands):
        raise ValueError("&& needs a command on each side")
    return commands


def _tokens(line: str) -> list[str]:
    """The line's tokens as shlex reads them in POSIX mode, with operators apart.
    A line of printable ASCII without quoting, escape or comment, whose operators
    stand alone between blanks, as kzguard writes its lines (kzguard/solaris/argv.py),
    is split at its blanks: shlex brings re, which no other simulated command loads
    (docs/performance.md, "A simulated command's start-up")."""
    if line.isascii() and line.isprintable() and not _LEXED_CHARS.intersection(line):
        words = line.split()
        if all(
            _OPERATOR_CHARS.issuperset(word) or _OPERATOR_CHARS.isdisjoint(word) for word in words
        ):
            return words
    import shlex  # noqa: PLC0415

    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    return list(lexer)


def run_line(zone: dict[str, Any], line: str) -> Result:
    """Run a zlogin command line through the simulated zone shell: each command of
    an AND list runs only if the one before it exited 0, and the list's status is
    the last one run's (sh(1), "AND lists")."""
    try:
        commands = split_line(line)
    except ValueError as exc:
        return Result(EXIT_USAGE, stderr=f"sh: syntax error: {exc}\n")
    result = Result(0)
    stdout, stderr = [], []
    for words, target in commands:
        result = _run_simple(zone, words, target)
        stdout.append(result.stdout)
        stderr.append(result.stderr)
        if result.status != 0:
            break
    return Result(result.status, "".join(stdout), "".join(stderr))


def _run_simple(zone: dict[str, Any], words: list[str], target: str | None) -> Result:
    if not words:
        return Result(0)
    if target is None:
        return run_in_zone(zone, words)
    path = volatile.normal(target)
    if path is None:
        return Result(1, stderr=f"sh: {target}: the simulated zone has only {volatile.ROOT}\n")
    # The shell opens (creates, truncates) the file before it runs the command;
    # its message for a file it cannot create is UNCONFIRMED.
    failure = volatile.write(zone, path, "")
    if failure is not None:
        return Result(1, stderr=f"sh: {target}: {failure}\n")
    result = run_in_zone(zone, words)
    volatile.write(zone, path, result.stdout)
    return Result(result.status, "", result.stderr)


def refusal(name: str, zone: dict[str, Any] | None) -> Result | None:
    """zlogin's own failure for zone ``name`` as it is now, if any."""
    if zone is None:
        return Result(EXIT_ERROR, stderr=f"zlogin: zone '{name}' unknown\n")
    if zone["state"] != "running":
        return Result(
            EXIT_ERROR,
            stderr=f"zlogin: login allowed only to running zones ({name} is '{zone['state']}').\n",
        )
    if zone["faults"].get("zlogin") == "fail":
        return Result(
            EXIT_ERROR, stderr=f"zlogin: could not enter zone {name}: Connection refused\n"
        )
    return None


def _wait_while_stopped(host: SimHost, name: str) -> None:
    while True:
        zone = host.read()["zones"].get(name)
        if zone is None or not kernel_stopped(zone):
            return
        time.sleep(DEBUGGER_POLL)


def main(argv: Sequence[str], host: SimHost | None = None) -> int:
    host = host_for(argv, host)
    try:
        options, rest = getopt(list(argv[1:]), "n")
    except OptionError:
        sys.stderr.write(USAGE)
        return EXIT_USAGE
    del options  # -n only redirects stdin from /dev/null; nothing here reads it
    if len(rest) < 2:
        # Interactive and console logins are not simulated.
        sys.stderr.write(USAGE)
        return EXIT_USAGE
    name, command = rest[0], rest[1:]
    if name == "global":
        print("zlogin: 'zlogin' not applicable to the global zone", file=sys.stderr)
        return EXIT_ERROR
    _wait_while_stopped(host, name)
    line = " ".join(command)
    # Only commands that change /system/volatile take the state file's exclusive
    # lock: kzguard runs many read-only zlogins (boot times) in parallel.
    changes = ">" in line or any(word in line for word in ("mkdir", "mv", "rm"))
    with host.edit() if changes else contextlib.nullcontext(host.read()) as state:
        zone = state["zones"].get(name)
        refused = refusal(name, zone)
        if refused is not None or zone is None:
            result = refused or Result(EXIT_ERROR)
        else:
            result = run_line(zone, line)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    return result.status

"""/system/volatile in a simulated kernel zone through zlogin, its faults, and
the guest clock step at resume."""

from __future__ import annotations

import shlex
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kzguard.sim import control, volatile, zlogin
from kzguard.sim.state import SimHost
from tests.sim.helpers import run, start

DIR = "/system/volatile/kzguard"
MARKER = f"{DIR}/resume-marker"
TEMP = f"{MARKER}.tmp"
MARKER_TEXT = "4f1c2a9e0b7d"


def write_marker(host: SimHost, zone: str = "kz1") -> None:
    """The argv forms kzguard uses (docs/formats.md): no shell on its side; the
    zone's shell runs the joined words, so ``>`` redirects there."""
    for argv in (
        ["/usr/bin/mkdir", "-p", DIR],
        ["/usr/bin/echo", MARKER_TEXT, ">", TEMP],
        ["/usr/bin/mv", "-f", TEMP, MARKER],
    ):
        result = run(host, "zlogin", "-n", zone, *argv)
        assert (result.status, result.stdout, result.stderr) == (0, "", ""), argv


def read_marker(host: SimHost, zone: str = "kz1") -> tuple[int, str, str]:
    result = run(host, "zlogin", "-n", zone, "/usr/bin/cat", MARKER)
    return result.status, result.stdout, result.stderr


def test_marker_written_read_and_removed(host: SimHost) -> None:
    write_marker(host)
    assert read_marker(host) == (0, f"{MARKER_TEXT}\n", "")
    assert volatile.files(host.zone("kz1")) == {MARKER: f"{MARKER_TEXT}\n"}
    assert run(host, "zlogin", "-n", "kz1", "/usr/bin/rm", "-f", MARKER).status == 0
    assert read_marker(host) == (2, "", f"cat: cannot open {MARKER}: No such file or directory\n")
    assert run(host, "zlogin", "-n", "kz1", "/usr/bin/rm", "-f", MARKER).status == 0
    assert read_marker(host, "kz2")[0] == 2  # each zone has its own


def test_marker_survives_suspend_and_resume(host: SimHost) -> None:
    write_marker(host)
    assert run(host, "zoneadm", "-z", "kz1", "suspend").status == 0
    assert run(host, "zoneadm", "-z", "kz1", "boot").status == 0
    assert read_marker(host) == (0, f"{MARKER_TEXT}\n", "")
    control.power_off(host)  # a suspended image survives power loss too
    assert read_marker(host)[0] == 1


@pytest.mark.parametrize(
    "bounce",
    [
        [("halt",), ("boot",)],
        [("shutdown",), ("boot",)],
        [("reboot",)],
        [("suspend",), ("boot", "-R")],
    ],
)
def test_every_fresh_boot_empties_it(host: SimHost, bounce: list[tuple[str, ...]]) -> None:
    write_marker(host)
    for words in bounce:
        assert run(host, "zoneadm", "-z", "kz1", *words).status == 0
    assert read_marker(host)[0] == 2
    assert volatile.files(host.zone("kz1")) == {}


def test_zlogin_refusals(host: SimHost) -> None:
    assert run(host, "zoneadm", "-z", "kz2", "halt").status == 0
    result = run(host, "zlogin", "-n", "kz2", "/usr/bin/true")
    assert (result.status, result.stderr) == (
        1,
        "zlogin: login allowed only to running zones (kz2 is 'installed').\n",
    )
    host.set_fault("kz1", "zlogin", "fail")
    result = run(host, "zlogin", "-n", "kz1", "/usr/bin/true")
    assert (result.status, result.stderr) == (
        1,
        "zlogin: could not enter zone kz1: Connection refused\n",
    )
    assert run(host, "zlogin", "-n", "kz3", "/usr/bin/true").status == 0
    result = run(host, "zlogin", "-n", "nosuch", "/usr/bin/true")
    assert (result.status, result.stderr) == (1, "zlogin: zone 'nosuch' unknown\n")


def test_read_only_volatile(host: SimHost) -> None:
    host.set_fault("kz1", "volatile", "readonly")
    result = run(host, "zlogin", "-n", "kz1", "/usr/bin/mkdir", "-p", DIR)
    assert (result.status, result.stderr) == (
        2,
        f'mkdir: Failed to make directory "{DIR}"; Read-only file system\n',
    )
    result = run(host, "zlogin", "-n", "kz1", "/usr/bin/echo", MARKER_TEXT, ">", TEMP)
    assert (result.status, result.stderr) == (1, f"sh: {TEMP}: Read-only file system\n")
    assert run(host, "zlogin", "-n", "kz2", "/usr/bin/mkdir", "-p", DIR).status == 0


def test_an_and_list_stops_at_the_first_failure(host: SimHost) -> None:
    written = run(
        host, "zlogin", "-n", "kz1", "/usr/bin/mkdir", "-p", DIR, "&&", "/usr/bin/echo",
        MARKER_TEXT, ">", TEMP, "&&", "/usr/bin/mv", "-f", TEMP, MARKER,
    )  # fmt: skip
    assert (written.status, written.stdout, written.stderr) == (0, "", "")
    assert volatile.files(host.zone("kz1")) == {MARKER: f"{MARKER_TEXT}\n"}
    result = run(host, "zlogin", "-n", "kz1", "/usr/bin/echo", "a", "&&", "/usr/bin/echo", "b")
    assert (result.status, result.stdout) == (0, "a\nb\n")
    # The status is the last command run's, and nothing after a failure runs.
    result = run(
        host, "zlogin", "-n", "kz1", "/usr/bin/echo", "a", "&&", "/usr/bin/cat", TEMP, "&&",
        "/usr/bin/echo", "b", ">", TEMP,
    )  # fmt: skip
    assert (result.status, result.stdout, result.stderr) == (
        2,
        "a\n",
        f"cat: cannot open {TEMP}: No such file or directory\n",
    )
    assert volatile.files(host.zone("kz1")) == {MARKER: f"{MARKER_TEXT}\n"}
    host.set_fault("kz2", "volatile", "readonly")
    result = run(
        host, "zlogin", "-n", "kz2", "/usr/bin/mkdir", "-p", DIR, "&&", "/usr/bin/echo",
        MARKER_TEXT, ">", TEMP,
    )  # fmt: skip
    assert (result.status, result.stderr) == (
        2,
        f'mkdir: Failed to make directory "{DIR}"; Read-only file system\n',
    )


def test_zone_shell_limits(host: SimHost) -> None:
    result = run(host, "zlogin", "-n", "kz1", "/usr/bin/true", ";", "/usr/bin/false")
    assert result.status == 2
    assert result.stderr == (
        "sh: syntax error: the simulated zone shell runs simple commands, each with at most "
        "one >, joined by &&\n"
    )
    result = run(host, "zlogin", "-n", "kz1", "/usr/bin/true", "&&")
    assert (result.status, result.stderr) == (
        2,
        "sh: syntax error: && needs a command on each side\n",
    )
    result = run(host, "zlogin", "-n", "kz1", "/usr/bin/cat", "/etc/passwd")
    assert (result.status, result.stderr) == (
        2,
        "cat: the simulated zone has only /system/volatile: /etc/passwd\n",
    )
    result = run(host, "zlogin", "-n", "kz1", "/usr/bin/echo", "x", ">", "/tmp/x")
    assert (result.status, result.stderr) == (
        1,
        "sh: /tmp/x: the simulated zone has only /system/volatile\n",
    )
    # Arguments are joined with spaces: one argument with a blank becomes two words.
    result = run(host, "zlogin", "-n", "kz1", "/usr/bin/echo", "a  b", "c")
    assert result.stdout == "a b c\n"


@given(st.text(alphabet="ab/-.:= &>;|()'\"\\#\t", max_size=12))
def test_the_zone_shell_reads_words_as_shlex_does(line: str) -> None:
    # Lines as kzguard writes them are split at their blanks, without shlex
    # (kzguard/sim/zlogin.py _tokens); every line must come out as shlex reads it.
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        expected = list(lexer)
    except ValueError as exc:  # an unclosed quote or a lone trailing backslash
        with pytest.raises(ValueError, match=f"^{exc}$"):
            zlogin._tokens(line)
    else:
        assert zlogin._tokens(line) == expected


def test_zlogin_waits_while_the_zone_is_in_the_debugger(host: SimHost) -> None:
    host.set_aux("kz1", "debugging")
    waiting = start(host, "zlogin", "-n", "kz1", "/usr/bin/echo", "hello")
    time.sleep(0.5)
    assert waiting.poll() is None
    host.set_aux("kz1", None)
    assert waiting.communicate(timeout=30) == ("hello\n", "")


def test_clock_step_at_resume_moves_the_boot_time_and_keeps_the_marker(host: SimHost) -> None:
    from tests.sim.test_cli import sim  # noqa: PLC0415

    before = host.zone("kz1")["boot_time"]
    assert sim("set", str(host.path), "kz1", "clock_step_at_resume=-300").returncode == 0
    write_marker(host)
    kstat = ("-n", "kz1", "/usr/bin/kstat", "-p", "unix:0:system_misc:boot_time")
    assert run(host, "zlogin", *kstat).stdout == f"unix:0:system_misc:boot_time\t{before}\n"
    assert run(host, "zoneadm", "-z", "kz1", "suspend").status == 0
    assert run(host, "zoneadm", "-z", "kz1", "boot").status == 0
    assert run(host, "zlogin", *kstat).stdout == f"unix:0:system_misc:boot_time\t{before - 300}\n"
    assert read_marker(host) == (0, f"{MARKER_TEXT}\n", "")
    # The zones service's resume steps the clock the same way.
    assert run(host, "zoneadm", "-z", "kz1", "suspend").status == 0
    host.set_zone_setting("kz1", "autoboot", "true")
    assert [e.outcome for e in control.zones_service_start(host)] == ["resumed"]
    assert host.zone("kz1")["boot_time"] == before - 600


def test_volatile_commands_directly() -> None:
    zone: dict[str, object] = {"faults": {}}
    assert volatile.mkdir(zone, []).status == 2
    assert volatile.mkdir(zone, ["/system/volatile"]).stderr == (
        'mkdir: Failed to make directory "/system/volatile"; File exists\n'
    )
    assert volatile.mkdir(zone, ["/system/volatile/a/b"]).stderr.endswith(
        "; No such file or directory\n"
    )
    assert volatile.mkdir(zone, ["-p", "/system/volatile/a/b"]) == volatile.Result(0)
    assert volatile.mkdir(zone, ["-p", "/system/volatile/a/b"]) == volatile.Result(0)
    assert volatile.write(zone, "/system/volatile/a", "x") == "Is a directory"
    assert volatile.write(zone, "/system/volatile/a/f", "x\n") is None
    assert volatile.write(zone, "/system/volatile/a/f/g", "x") == "Not a directory"
    assert volatile.write(zone, "/system/volatile/z/g", "x") == "No such file or directory"
    assert volatile.mkdir(zone, ["/system/volatile/a/f"]).stderr.endswith("; File exists\n")
    assert volatile.cat(zone, ["/system/volatile/a"]).stderr == (
        "cat: input error on /system/volatile/a: Is a directory\n"
    )
    assert volatile.rm(zone, ["/system/volatile/a"]).stderr == (
        "rm: /system/volatile/a is a directory\n"
    )
    assert volatile.rm(zone, ["/system/volatile/nosuch"]).stderr == (
        "rm: /system/volatile/nosuch: No such file or directory\n"
    )
    assert volatile.mv(zone, ["/system/volatile/x"]).stderr == "Usage: mv [-f] [-i] f1 f2\n"
    assert volatile.mv(zone, ["/system/volatile/x", "/system/volatile/y"]).stderr == (
        "mv: cannot access /system/volatile/x\n"
    )
    assert volatile.mv(zone, ["/system/volatile/a/f", "/etc/f"]).stderr == (
        "mv: the simulated zone has only /system/volatile: /etc/f\n"
    )
    assert volatile.mv(zone, ["/system/volatile/a/f", "/system/volatile"]) == volatile.Result(0)
    assert volatile.files(zone) == {"/system/volatile/f": "x\n"}
    assert volatile.mv(zone, ["/system/volatile/f", "/system/volatile/q/r"]).stderr == (
        "mv: cannot rename /system/volatile/f to /system/volatile/q/r: No such file or directory\n"
    )
    assert volatile.rm(zone, ["/etc/x"]).status == 2
    assert volatile.mkdir(zone, ["relative"]).status == 2
    assert volatile.normal("//system/volatile/./a/../b") == "/system/volatile/b"
    zone["faults"] = {"volatile": "readonly"}
    assert volatile.rm(zone, ["/system/volatile/f"]).stderr == (
        "rm: /system/volatile/f not removed: Read-only file system\n"
    )
    assert zlogin.run_line(zone, "") == volatile.Result(0)

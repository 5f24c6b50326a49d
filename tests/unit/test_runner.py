"""The runner against real programs written into the temporary directory."""

from __future__ import annotations

import errno
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from kzguard.errors import (
    CommandError,
    CommandFailed,
    CommandMissing,
    CommandNotStarted,
    CommandOutputTooLarge,
    CommandTimedOut,
)
from kzguard.solaris import runner as runner_module
from kzguard.solaris.runner import RealCommandForbidden, Runner


@pytest.fixture(autouse=True, params=["posix_spawn", "popen"])
def spawn_way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs twice: commands started by os.posix_spawn, and by Popen, the
    way taken where Python's posix_spawn offers no new session."""
    support = runner_module._SpawnSupport()
    support.usable = request.param == "posix_spawn"
    monkeypatch.setattr(runner_module, "_SPAWN", support)
    return str(request.param)


def program(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text(f"#!{sys.executable}\nimport os, sys, time, signal\n{body}\n")
    path.chmod(0o755)
    return str(path)


def test_run_captures_output_with_c_locale_and_empty_stdin(tmp_path: Path) -> None:
    argv = program(
        tmp_path,
        "env",
        "print(os.environ['LC_ALL'], os.environ['PATH'], repr(sys.stdin.read()))\n"
        "print(sys.argv[1:], file=sys.stderr)",
    )
    result = Runner().run([argv, "a b", "$(x)"], timeout=10)
    assert result.stdout == "C /usr/sbin:/usr/bin ''\n"
    assert result.stderr == "['a b', '$(x)']\n"
    assert result.returncode == 0
    assert result.argv == (argv, "a b", "$(x)")


def test_nonzero_exit_raises_command_failed_naming_argv_status_and_stderr(tmp_path: Path) -> None:
    argv = program(
        tmp_path,
        "fail",
        "print('first', file=sys.stderr)\nprint('why', file=sys.stderr)\nsys.exit(3)",
    )
    with pytest.raises(CommandFailed) as caught:
        Runner().run([argv, "x"], timeout=10)
    assert str(caught.value) == f"{argv} x: exited with status 3: first; why"
    assert caught.value.returncode == 3
    assert caught.value.stderr == "first\nwhy\n"


def test_allowed_exit_codes_are_returned(tmp_path: Path) -> None:
    argv = program(tmp_path, "one", "sys.exit(1)")
    assert Runner().run([argv], timeout=10, ok_codes=(0, 1)).returncode == 1


def test_death_by_signal_is_reported(tmp_path: Path) -> None:
    argv = program(tmp_path, "selfkill", "os.kill(os.getpid(), signal.SIGKILL)")
    with pytest.raises(CommandFailed) as caught:
        Runner().run([argv], timeout=10)
    assert str(caught.value) == f"{argv}: was killed by signal 9 (SIGKILL)"
    assert caught.value.detail == "killed by signal 9 (SIGKILL)"


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    marker = tmp_path / "child.pid"
    argv = program(
        tmp_path,
        "hang",
        "import subprocess\n"
        f"child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(marker)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(60)",
    )
    started = time.monotonic()
    with pytest.raises(CommandTimedOut) as caught:
        Runner().run([argv], timeout=1.0)
    assert time.monotonic() - started < 5
    assert str(caught.value) == f"{argv}: timed out after 1s and was killed"
    child = int(marker.read_text())
    for _ in range(50):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        # A killed child stays a zombie until its parent (init) reaps it.
        if Path(f"/proc/{child}/stat").read_text().split()[2] == "Z":
            break
        time.sleep(0.05)
    else:
        pytest.fail("the child of the timed-out command is still running")


def test_a_program_that_closes_its_output_but_keeps_running_still_times_out(tmp_path: Path) -> None:
    argv = program(tmp_path, "closer", "os.close(1)\nos.close(2)\ntime.sleep(60)")
    with pytest.raises(CommandTimedOut):
        Runner().run([argv], timeout=0.5)


def test_missing_program(tmp_path: Path) -> None:
    missing = str(tmp_path / "nowhere" / "zoneadm")
    with pytest.raises(CommandMissing) as caught:
        Runner().run([missing, "list"], timeout=10)
    assert str(caught.value) == f"{missing} list: cannot run {missing}: no such file"


def test_program_without_execute_permission(tmp_path: Path) -> None:
    path = tmp_path / "zonecfg"
    path.write_text("#!/bin/sh\n")
    path.chmod(0o644)
    with pytest.raises(CommandMissing) as caught:
        Runner().run([str(path)], timeout=10)
    assert str(caught.value) == f"{path}: cannot run {path}: permission denied (not executable?)"


def test_a_file_that_is_no_program_is_named_with_the_systems_reason(tmp_path: Path) -> None:
    """Executable, but neither a binary nor a #! script: exec fails with ENOEXEC."""
    path = tmp_path / "zoneadm"
    path.write_bytes(b"\x7fELF\x00 truncated, not a program")
    path.chmod(0o755)
    with pytest.raises(CommandMissing) as caught:
        Runner().run([str(path), "list"], timeout=10)
    assert str(caught.value) == f"{path} list: cannot run {path}: Exec format error"
    assert caught.value.reason == "Exec format error"


def refusing(monkeypatch: pytest.MonkeyPatch, refusals: list[int]) -> tuple[list[float], list[int]]:
    """The system refuses the next starts with these error numbers, then starts as
    usual; returns the pauses slept and the error numbers of the refused tries."""
    slept: list[float] = []
    refused: list[int] = []
    start = runner_module._start

    def refuse_first(argv: tuple[str, ...], environment: dict[str, str]) -> object:
        if refusals:
            refused.append(refusals.pop(0))
            raise OSError(refused[-1], os.strerror(refused[-1]))
        return start(argv, environment)

    monkeypatch.setattr(runner_module, "_start", refuse_first)
    monkeypatch.setattr(time, "sleep", slept.append)
    return slept, refused


def test_a_start_refused_for_want_of_a_process_slot_or_memory_is_tried_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    up = program(tmp_path, "zoneadm", "print('up')")
    slept, refused = refusing(monkeypatch, [errno.EAGAIN, errno.ENOMEM])
    result = Runner().run([up], timeout=10)
    assert (result.returncode, result.stdout) == (0, "up\n")
    assert (refused, slept[:2]) == ([errno.EAGAIN, errno.ENOMEM], [0.1, 0.5])
    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == [
        f"cannot start {up}: {os.strerror(errno.EAGAIN)}; trying again in 0.1s",
        f"cannot start {up}: {os.strerror(errno.ENOMEM)}; trying again in 0.5s",
    ]


def test_a_start_refused_every_time_is_a_command_error_not_a_missing_program(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    up = program(tmp_path, "zoneadm", "print('up')")
    slept, refused = refusing(monkeypatch, [errno.EAGAIN] * 4)
    with pytest.raises(CommandNotStarted) as caught:
        Runner().run([up, "list"], timeout=10)
    assert (len(refused), slept[:3]) == (4, [0.1, 0.5, 2.0])
    reason = os.strerror(errno.EAGAIN)
    assert str(caught.value) == f"{up} list: could not start {up}: {reason}"
    assert isinstance(caught.value, CommandError)
    assert not isinstance(caught.value, CommandMissing)


def test_no_retry_outlasts_the_commands_timeout_nor_follows_other_refusals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    up = program(tmp_path, "zoneadm", "print('up')")
    slept, refused = refusing(monkeypatch, [errno.EAGAIN, errno.EAGAIN])
    with pytest.raises(CommandNotStarted):
        Runner().run([up], timeout=0.3)  # 0.1 fits, 0.5 would not
    assert (refused, slept[:1]) == ([errno.EAGAIN, errno.EAGAIN], [0.1])
    slept, refused = refusing(monkeypatch, [errno.EMFILE])
    with pytest.raises(CommandNotStarted) as caught:
        Runner().run([up], timeout=10)
    assert (refused, slept) == ([errno.EMFILE], [])
    assert caught.value.errno == errno.EMFILE
    slept, refused = refusing(monkeypatch, [errno.ELOOP])
    with pytest.raises(CommandMissing):
        Runner().run([up], timeout=10)
    assert slept == []


def test_output_beyond_the_limit_is_refused_and_the_program_killed(tmp_path: Path) -> None:
    argv = program(tmp_path, "chatty", "while True:\n    sys.stdout.write('x' * 65536)")
    with pytest.raises(CommandOutputTooLarge) as caught:
        Runner(output_limit=1 << 20).run([argv], timeout=20)
    assert str(caught.value) == f"{argv}: wrote more than 1048576 bytes and was killed"


def test_commands_outside_the_allowed_prefix_are_refused_in_tests() -> None:
    with pytest.raises(RealCommandForbidden) as caught:
        Runner().run(["/usr/sbin/zoneadm", "list", "-cp"], timeout=10)
    assert (
        str(caught.value) == "refusing to run /usr/sbin/zoneadm outside KZGUARD_TEST_ALLOWED_PREFIX"
    )


def test_an_environment_given_is_the_whole_environment(tmp_path: Path) -> None:
    argv = program(
        tmp_path,
        "env",
        "print(os.environ.get('SMF_METHOD'), os.environ.get('PATH'), 'LC_ALL' in os.environ)",
    )
    result = Runner().run([argv], timeout=10, environment={"SMF_METHOD": "stop", "PATH": "/x"})
    assert result.stdout == "stop /x False\n"


class Watching(Runner):
    """A runner that records what the hooks for subclasses saw."""

    def __init__(self) -> None:
        super().__init__()
        self.pieces: list[bytes] = []
        self.killed: list[int] = []

    def output_received(self, data: bytes) -> None:
        self.pieces.append(data)

    def kill_group(self, pid: int) -> None:
        self.killed.append(pid)
        super().kill_group(pid)


def test_a_subclass_sees_the_output_as_it_comes_and_does_the_killing(tmp_path: Path) -> None:
    argv = program(
        tmp_path,
        "talker",
        "print('out', flush=True)\nprint('err', file=sys.stderr)\ntime.sleep(60)",
    )
    runner = Watching()
    with pytest.raises(CommandTimedOut):
        runner.run([argv], timeout=1.0)
    assert sorted(b"".join(runner.pieces).splitlines()) == [b"err", b"out"]
    assert len(runner.killed) == 1


def test_a_command_that_exits_is_not_killed(tmp_path: Path) -> None:
    runner = Watching()
    runner.run([program(tmp_path, "quick", "print('done')")], timeout=10)
    assert (runner.pieces, runner.killed) == ([b"done\n"], [])


def test_end_running_kills_every_command_running_now_and_only_those(tmp_path: Path) -> None:
    """What an interrupted stop uses: the runs waiting on the commands then fail as
    killed by SIGKILL, long before their timeouts."""
    import threading  # noqa: PLC0415

    runner = Runner()
    sleeper = program(tmp_path, "sleeper", "time.sleep(60)")
    assert runner.end_running() == 0
    failures: list[BaseException] = []

    def run() -> None:
        try:
            runner.run([sleeper], timeout=60)
        except CommandFailed as error:
            failures.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while len(runner._running) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    assert runner.end_running() == 2
    for thread in threads:
        thread.join(10)
    assert time.monotonic() - started < 5
    assert [str(error) for error in failures] == [
        f"{sleeper}: was killed by signal 9 (SIGKILL)"
    ] * 2
    assert runner.end_running() == 0


def test_a_closed_runner_kills_a_command_started_after_it_as_it_starts(tmp_path: Path) -> None:
    """The pools' watch closes its runner while its thread may be starting the next
    zpool: one started after the close is killed at once, not left to run."""
    runner = Runner()
    sleeper = program(tmp_path, "sleeper", "time.sleep(60)")
    assert runner.close() == 0
    started = time.monotonic()
    with pytest.raises(CommandFailed) as failure:
        runner.run([sleeper], timeout=60)
    assert time.monotonic() - started < 5
    assert str(failure.value) == f"{sleeper}: was killed by signal 9 (SIGKILL)"
    assert runner._running == set()


class ExitingProcess:
    """A process whose exit is seen at the ``exits_at``-th look."""

    def __init__(self, exits_at: int) -> None:
        self.exits_at = exits_at
        self.looks = 0
        self.waited: list[float] = []

    def poll(self) -> int | None:
        self.looks += 1
        return 0 if self.looks >= self.exits_at else None

    def wait(self, timeout: float) -> int:
        self.waited.append(timeout)
        return 0


@pytest.mark.parametrize(
    ("exits_at", "pauses", "waits"),
    [
        (1, [], 0),
        (2, [0.0001], 0),
        (4, [0.0001, 0.0002, 0.0004], 0),
        (5, [0.0001, 0.0002, 0.0004], 1),
    ],
)
def test_a_command_whose_output_closed_is_reaped_within_a_fraction_of_a_millisecond(
    monkeypatch: pytest.MonkeyPatch, exits_at: int, pauses: list[float], waits: int
) -> None:
    # Popen.wait(timeout) would sleep 1 ms after its first look, then 2, 4...
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    process = ExitingProcess(exits_at)
    deadline = time.monotonic() + 30.0
    runner_module._reap(process, deadline)  # type: ignore[arg-type]
    assert slept == pauses
    assert len(process.waited) == waits
    assert all(29.0 < timeout <= 30.0 for timeout in process.waited)


def test_a_descriptor_the_process_inherited_is_not_passed_on(tmp_path: Path) -> None:
    # svc.startd or a shell may leave a descriptor open without close-on-exec.
    inherited = os.open(tmp_path, os.O_RDONLY)
    os.set_inheritable(inherited, True)
    try:
        argv = program(
            tmp_path,
            "fds",
            "try:\n"
            f"    print(os.fstat({inherited}).st_ino == {tmp_path.stat().st_ino})\n"
            "except OSError as error:\n"
            "    print(error.strerror)",
        )
        assert Runner().run([argv], timeout=10).stdout == "Bad file descriptor\n"
    finally:
        os.close(inherited)


def test_a_command_gets_sigpipe_with_its_default_action(tmp_path: Path) -> None:
    # Python ignores SIGPIPE; a Solaris command must die of it as from a shell.  A
    # shell keeps the signals ignored when it started (its SigIgn mask, bit 13 - 1).
    path = tmp_path / "pipe"
    path.write_text("#!/bin/sh\nsed -n 's/^SigIgn:[[:space:]]*//p' /proc/$$/status\n")
    path.chmod(0o755)
    ignored = int(Runner().run([str(path)], timeout=10).stdout, 16)
    assert ignored & (1 << (signal.SIGPIPE - 1)) == 0


def test_without_setsid_in_posix_spawn_popen_serves_from_the_first_command_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spawn_way: str
) -> None:
    calls: list[str] = []

    def unsupported(path: str, *args: object, **keywords: object) -> int:
        calls.append(path)
        raise NotImplementedError("posix_spawn: setsid is unsupported on this platform")

    monkeypatch.setattr(os, "posix_spawn", unsupported)
    argv = program(tmp_path, "hello", "print('hello')")
    runner = Runner()
    assert [runner.run([argv], timeout=10).stdout for _ in range(2)] == ["hello\n"] * 2
    assert calls == ([argv] if spawn_way == "posix_spawn" else [])
    assert runner_module._SPAWN.usable is False


@pytest.mark.parametrize(
    ("program_name", "stdout", "stderr"),
    [("zoneadm", 5, 6), ("/usr/sbin/zoneadm", 1, 6), ("/usr/sbin/zoneadm", 5, 2)],
)
def test_popen_starts_a_relative_name_and_pipes_on_the_standard_descriptors(
    program_name: str, stdout: int, stderr: int
) -> None:
    # PATH lookup, and dup2 of a descriptor onto itself (which would leave it
    # close-on-exec), are Popen's to handle.
    assert runner_module._spawn((program_name,), {}, stdout, stderr) is None


def test_a_python_without_posix_spawn_starts_commands_with_popen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(os, "posix_spawn")
    monkeypatch.setattr(runner_module, "_SPAWN", runner_module._SpawnSupport())
    assert runner_module._SPAWN.usable is False
    argv = program(tmp_path, "hello", "print('hello')")
    assert Runner().run([argv], timeout=10).stdout == "hello\n"

"""The one place where kzguard runs external commands.

Every call takes an argument list (never a shell), runs with ``LC_ALL=C`` so that
Solaris tools print the formats the parsers expect, reads stdin from /dev/null (a
method must not consume svc.startd's stdin; zlogin would otherwise wait on it), is
bounded by a timeout that kills the whole process group (zoneadm and zlogin fork
helpers that would otherwise outlive the kill), and is bounded in output size.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import math
import os
import select
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from kzguard.errors import (
    CommandFailed,
    CommandMissing,
    CommandNotStarted,
    CommandOutputTooLarge,
    CommandTimedOut,
)

log = logging.getLogger(__name__)

# A `zoneadm list -cp` of 10,000 zones is about 1 MiB; anything far beyond is a
# misbehaving program, and holding it in memory during a shutdown helps nobody.
OUTPUT_LIMIT = 8 << 20

# Seconds before each new try to start a command the system refused for want of a
# process slot or memory (EAGAIN, ENOMEM: fork(2), posix_spawn(3C)), which a host
# going down with many zones can be short of for a moment.  Without them, a
# suspend refused once would fall back to a shutdown and cost the zone its state.
START_RETRIES = (0.1, 0.5, 2.0)
_SHORT_OF = frozenset({errno.EAGAIN, errno.ENOMEM})
# The program itself cannot be run (exec(2)): no retry helps.
_CANNOT_RUN = frozenset({errno.ENOEXEC, errno.ENOTDIR, errno.ELOOP, errno.ENAMETOOLONG})

# Seconds between the first looks for the exit of a command whose output closed.
REAP_PAUSES = (0.0001, 0.0002, 0.0004)

# The environment of every command: SMF methods get PATH=/usr/sbin:/usr/bin
# (smf_method(7)); LC_ALL=C pins message and number formats.
COMMAND_ENVIRONMENT = {"LC_ALL": "C", "LANG": "C", "PATH": "/usr/sbin:/usr/bin"}

# Tests set this to a directory prefix; any command outside it is refused, so no test
# can reach a real Solaris binary even on a Solaris machine.  It only ever narrows
# what kzguard may run.
ALLOWED_PREFIX_VARIABLE = "KZGUARD_TEST_ALLOWED_PREFIX"


@dataclass(frozen=True)
class CommandResult:
    """What a finished command left behind."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    duration: float


class Runner:
    """Runs commands; injected into the adapters so tests can observe or replace it."""

    def __init__(self, output_limit: int = OUTPUT_LIMIT) -> None:
        self.output_limit = output_limit
        # Commands running now (their pids, which lead their process groups), so
        # that an interrupted stop can end them: each runs in its own session, where
        # the terminal's Ctrl-C does not reach it.
        self._running: set[int] = set()
        self._running_lock = threading.Lock()
        self._closed = False  # close(): every command from now on is killed at once

    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float,
        ok_codes: Collection[int] = (0,),
        environment: Mapping[str, str] = COMMAND_ENVIRONMENT,
        on_stdout: Callable[[bytes], None] | None = None,
    ) -> CommandResult:
        """Run ``argv`` and return its result.

        ``environment`` is the command's whole environment (the simulated svc.startd
        gives a method SMF's own).  ``on_stdout`` is called with each piece of
        stdout as it arrives (when a report came matters to a watcher of
        ``zpool iostat``).  Raises CommandMissing if the program cannot be run,
        CommandNotStarted if the system would not start it (no process slot,
        memory or descriptor left, after START_RETRIES), CommandTimedOut if it
        runs past ``timeout`` seconds,
        CommandOutputTooLarge if it writes more than the limit, and CommandFailed if
        it exits with a status not in ``ok_codes``.
        """
        argv = tuple(argv)
        _refuse_outside_allowed_prefix(argv)
        started = time.monotonic()
        process, stdout_fd, stderr_fd = _start_retrying(argv, environment, started + timeout)
        with self._running_lock:
            self._running.add(process.pid)
            closed = self._closed
        if closed:
            self.kill_group(process.pid)
        try:
            stdout, stderr = self._collect(
                process,
                (stdout_fd, stderr_fd),
                argv,
                started + timeout,
                timeout,
                on_stdout=on_stdout,
            )
        finally:
            os.close(stdout_fd)
            os.close(stderr_fd)
            # Out of the set before the wait reaps it: its pid cannot be reused by
            # then, so end_running never kills a stranger's group.
            with self._running_lock:
                self._running.discard(process.pid)
            if process.poll() is None:
                self.kill_group(process.pid)
            process.wait()
        duration = time.monotonic() - started
        result = CommandResult(
            argv=argv,
            returncode=process.wait(),
            stdout=stdout.decode("utf-8", errors="replace"),
            stderr=stderr.decode("utf-8", errors="replace"),
            duration=duration,
        )
        log.debug("ran %s: status %d in %.3fs", " ".join(argv), result.returncode, duration)
        if result.returncode not in ok_codes:
            raise CommandFailed(argv, result.returncode, result.stderr, result.stdout)
        return result

    def _collect(
        self,
        process: _Process,
        streams: tuple[int, int],
        argv: tuple[str, ...],
        deadline: float,
        timeout: float,
        *,
        on_stdout: Callable[[bytes], None] | None = None,
    ) -> tuple[bytes, bytes]:
        """Read stdout and stderr (``streams``, the read ends of their pipes) until
        both close, the deadline passes or the limit is hit."""
        chunks: dict[int, list[bytes]] = {stream: [] for stream in streams}
        total = 0
        # poll(2) rather than a selectors' object: no descriptor of its own to make
        # and close for every command (an epoll on Linux, /dev/poll on Solaris);
        # 8-15 % less of kzguard's CPU a command (docs/performance.md, "The
        # runner's poll").
        poller = select.poll()
        for stream in streams:
            poller.register(stream, select.POLLIN)
        open_streams = len(streams)
        while open_streams:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                log.debug("timed out after %.3fs: %s", timeout, " ".join(argv))
                raise CommandTimedOut(argv, timeout)
            # Milliseconds, rounded up: a wait rounded down to 0 would spin.
            for fd, _ in poller.poll(math.ceil(remaining * 1000)):
                data = os.read(fd, 65536)
                if not data:
                    poller.unregister(fd)
                    open_streams -= 1
                    continue
                total += len(data)
                if total > self.output_limit:
                    raise CommandOutputTooLarge(argv, self.output_limit)
                chunks[fd].append(data)
                self.output_received(data)
                if on_stdout is not None and fd == streams[0]:
                    on_stdout(data)
        # Both pipes are closed; the process normally exits at once.  Bound the wait by
        # the same deadline: a program can close its output and keep running.
        try:
            _reap(process, deadline)
        except subprocess.TimeoutExpired:
            raise CommandTimedOut(argv, timeout) from None
        stdout, stderr = (b"".join(chunks[stream]) for stream in streams)
        return stdout, stderr

    def output_received(self, data: bytes) -> None:
        """Called with each piece of stdout or stderr as it arrives; the simulated
        svc.startd copies a method's output to its log as it comes."""

    def end_running(self) -> int:
        """Kill the process group of every command running now (the runs waiting on
        them then fail as killed by SIGKILL); return how many there were."""
        with self._running_lock:
            pids = sorted(self._running)
        for pid in pids:
            self.kill_group(pid)
        return len(pids)

    def close(self) -> int:
        """End every command running now, and kill any started from now on as it
        starts (its run fails as killed by SIGKILL); return how many ran.  For a
        runner whose user is done with it while another thread may be starting a
        command: end_running alone misses one begun just after it, which would then
        run to its end (the pools' watch, pace/watch.py: a zpool iostat of 5 s
        outliving the stop method)."""
        with self._running_lock:
            self._closed = True
        return self.end_running()

    def kill_group(self, pid: int) -> None:
        """Kill the process group of the command ``pid``, which leads it: the command
        and every helper it forked (the simulated svc.startd kills more)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)


class _Process(Protocol):
    """A started command, as :class:`subprocess.Popen` shows one."""

    pid: int
    returncode: int | None

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...


class _Spawned:
    """A command started by :func:`os.posix_spawn`: Popen's poll and wait, on its pid."""

    def __init__(self, pid: int, argv: tuple[str, ...]) -> None:
        self.pid = pid
        self.argv = argv
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid == self.pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Popen.wait's looks: blocking without ``timeout``, else 0.5 ms, doubling to
        50 ms, until it exits (subprocess.TimeoutExpired after ``timeout``)."""
        if timeout is None:
            while self.returncode is None:
                _, status = os.waitpid(self.pid, 0)
                self.returncode = os.waitstatus_to_exitcode(status)
            return self.returncode
        deadline = time.monotonic() + timeout
        pause = 0.0005
        while (returncode := self.poll()) is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise subprocess.TimeoutExpired(list(self.argv), timeout)
            time.sleep(min(pause, remaining))
            pause = min(pause * 2, 0.05)
        return returncode


# Signals Python ignores that a command must get with their default action, as
# Popen's restore_signals gives them.
_RESTORED_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGPIPE", "SIGXFSZ") if hasattr(signal, name)
)


class _SpawnSupport:
    """What this process found out about os.posix_spawn, at its first commands.

    posix_spawn is the cheaper way to start a command (measured on Linux: 0.12 ms
    of CPU against Popen's 0.33 ms; CPython's Popen forks the whole interpreter on
    Solaris, where it has no vfork path, while Solaris' posix_spawn(3C) uses
    vforkx).  Solaris 11.4 documents POSIX_SPAWN_SETSID (posix_spawnattr_setflags(3C),
    E37843); Python offers setsid=True only where spawn.h defines it and raises
    NotImplementedError elsewhere, so that is found out at run time, and Popen
    serves from then on.
    """

    def __init__(self) -> None:
        # Whether commands are started by os.posix_spawn: Python has it on every
        # POSIX system it supports since 3.8 (a build without it is served by Popen
        # all the same); False from the first NotImplementedError on.
        self.usable = hasattr(os, "posix_spawn")
        self.inherited_closed = False
        self.lock = threading.Lock()

    def close_inherited_on_exec(self) -> None:
        """Mark every descriptor above 2 close-on-exec, once: Popen's close_fds, for
        posix_spawn.  Python opens its own close-on-exec (PEP 446), so only those the
        process inherited (from svc.startd, a shell) need it, and they are all open
        at the first command."""
        with self.lock:
            if not self.inherited_closed:
                for fd in _open_descriptors():
                    if fd > 2:
                        with contextlib.suppress(OSError):
                            os.set_inheritable(fd, False)
                self.inherited_closed = True


_SPAWN = _SpawnSupport()


def _start_retrying(
    argv: tuple[str, ...], environment: Mapping[str, str], deadline: float
) -> tuple[_Process, int, int]:
    """:func:`_start`, again after each of START_RETRIES while the system refuses
    for want of a process slot or memory, as sh(1) retries a fork, while the
    command's ``deadline`` allows."""
    for pause in START_RETRIES:
        try:
            return _start_or_refuse(argv, environment)
        except CommandNotStarted as refused:
            if refused.errno not in _SHORT_OF or time.monotonic() + pause >= deadline:
                raise
            log.warning("cannot start %s: %s; trying again in %ss", argv[0], refused.reason, pause)
            time.sleep(pause)
    return _start_or_refuse(argv, environment)


def _start_or_refuse(
    argv: tuple[str, ...], environment: Mapping[str, str]
) -> tuple[_Process, int, int]:
    """:func:`_start`, its failure as kzguard's error: the program cannot be run
    (CommandMissing), or the system would not start it (CommandNotStarted)."""
    try:
        return _start(argv, environment)
    except FileNotFoundError:
        raise CommandMissing(argv, "no such file") from None
    except PermissionError:
        raise CommandMissing(argv, "permission denied (not executable?)") from None
    except OSError as error:
        reason = error.strerror or str(error)
        if error.errno in _CANNOT_RUN:
            raise CommandMissing(argv, reason) from None
        raise CommandNotStarted(argv, reason, error.errno) from None


def _start(argv: tuple[str, ...], environment: Mapping[str, str]) -> tuple[_Process, int, int]:
    """Start ``argv`` in a new session, stdin from /dev/null, stdout and stderr into
    pipes, and no other descriptor: the process and the read ends of its pipes."""
    stdout_read, stdout_write = os.pipe()
    stderr_read, stderr_write = os.pipe()
    try:
        process = _spawn(argv, environment, stdout_write, stderr_write) or subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=stdout_write,
            stderr=stderr_write,
            env=dict(environment),
            close_fds=True,
            start_new_session=True,
        )
    except BaseException:
        os.close(stdout_read)
        os.close(stderr_read)
        raise
    finally:
        os.close(stdout_write)
        os.close(stderr_write)
    return process, stdout_read, stderr_read


def _spawn(
    argv: tuple[str, ...], environment: Mapping[str, str], stdout: int, stderr: int
) -> _Spawned | None:
    """``argv`` started by os.posix_spawn, or None where Popen must do it."""
    # A relative program name would be looked up in PATH, and a pipe on 0-2 (in a
    # method started with one of those closed) dup2'd onto itself would stay
    # close-on-exec: Popen handles both.
    if not (_SPAWN.usable and argv[0].startswith("/") and min(stdout, stderr) > 2):
        return None
    _SPAWN.close_inherited_on_exec()
    try:
        pid = os.posix_spawn(
            argv[0],
            argv,
            environment,
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, stdout, 1),
                (os.POSIX_SPAWN_DUP2, stderr, 2),
            ],
            setsigdef=_RESTORED_SIGNALS,
            setsid=True,
        )
    except NotImplementedError:
        _SPAWN.usable = False
        return None
    return _Spawned(pid, argv)


def _open_descriptors() -> list[int]:
    # /proc/self/fd on Linux and Solaris (proc(5)); /dev/fd elsewhere; else every
    # number up to the limit.
    for directory in ("/proc/self/fd", "/dev/fd"):
        try:
            return [int(name) for name in os.listdir(directory) if name.isdigit()]
        except OSError:
            continue
    return list(range(os.sysconf("SC_OPEN_MAX")))


def _reap(process: _Process, deadline: float) -> None:
    """Wait for a process whose output has closed, at most until ``deadline``.
    Popen.wait with a timeout looks once, then sleeps 1, 2, 4 ms... between looks:
    a command that closed its output a few microseconds before it exited cost every
    slot's handoff a millisecond or more (bench/cycle.py).  So look a few times
    sooner, then wait as Popen does."""
    for pause in (*REAP_PAUSES, None):
        if process.poll() is not None:
            return
        if pause is not None:
            time.sleep(pause)
    process.wait(max(deadline - time.monotonic(), 0.0))


def _refuse_outside_allowed_prefix(argv: tuple[str, ...]) -> None:
    prefix: str | None = os.environ.get(ALLOWED_PREFIX_VARIABLE)
    if prefix and not argv[0].startswith(prefix):
        raise RealCommandForbidden(argv)


class RealCommandForbidden(BaseException):
    """A test tried to run a command outside the simulated host.

    Derived from BaseException so that no ``except Exception`` in kzguard can
    swallow it (cloud-init's disable_subp_usage does the same).
    """

    def __init__(self, argv: tuple[str, ...]) -> None:
        super().__init__(f"refusing to run {argv[0]} outside {ALLOWED_PREFIX_VARIABLE}")

"""The one place where kzguard runs external commands.

Every call takes an argument list (never a shell), runs with ``LC_ALL=C`` so that
Solaris tools print the formats the parsers expect, reads stdin from /dev/null (a
method must not consume svc.startd's stdin; zlogin would otherwise wait on it), is
bounded by a timeout that kills the whole process group (zoneadm and zlogin fork
helpers that would otherwise outlive the kill), and is bounded in output size.
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import IO

from kzguard.errors import (
    CommandFailed,
    CommandMissing,
    CommandOutputTooLarge,
    CommandTimedOut,
)

log = logging.getLogger(__name__)

# A `zoneadm list -cp` of 10,000 zones is about 1 MiB; anything far beyond is a
# misbehaving program, and holding it in memory during a shutdown helps nobody.
OUTPUT_LIMIT = 8 << 20

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

    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float,
        ok_codes: Collection[int] = (0,),
        environment: Mapping[str, str] = COMMAND_ENVIRONMENT,
    ) -> CommandResult:
        """Run ``argv`` and return its result.

        ``environment`` is the command's whole environment (the simulated svc.startd
        gives a method SMF's own).  Raises CommandMissing if the program cannot be
        started, CommandTimedOut if it runs past ``timeout`` seconds,
        CommandOutputTooLarge if it writes more than the limit, and CommandFailed if
        it exits with a status not in ``ok_codes``.
        """
        argv = tuple(argv)
        _refuse_outside_allowed_prefix(argv)
        started = time.monotonic()
        try:
            process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=dict(environment),
                close_fds=True,
                start_new_session=True,
            )
        except FileNotFoundError:
            raise CommandMissing(argv, "no such file") from None
        except PermissionError:
            raise CommandMissing(argv, "permission denied (not executable?)") from None
        except OSError as error:
            raise CommandMissing(argv, error.strerror or str(error)) from None
        with self._running_lock:
            self._running.add(process.pid)
        try:
            stdout, stderr = self._collect(process, argv, started + timeout, timeout)
        finally:
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
            returncode=process.returncode,
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
        process: subprocess.Popen[bytes],
        argv: tuple[str, ...],
        deadline: float,
        timeout: float,
    ) -> tuple[bytes, bytes]:
        """Read stdout and stderr until both close, the deadline passes or the limit is hit."""
        if process.stdout is None or process.stderr is None:  # pragma: no cover (PIPE above)
            raise RuntimeError("command output is not captured")
        streams: tuple[IO[bytes], IO[bytes]] = (process.stdout, process.stderr)
        chunks: dict[int, list[bytes]] = {stream.fileno(): [] for stream in streams}
        total = 0
        with selectors.DefaultSelector() as selector:
            for stream in streams:
                selector.register(stream, selectors.EVENT_READ)
            while selector.get_map():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    log.debug("timed out after %.3fs: %s", timeout, " ".join(argv))
                    raise CommandTimedOut(argv, timeout)
                for key, _ in selector.select(remaining):
                    data = os.read(key.fd, 65536)
                    if not data:
                        selector.unregister(key.fileobj)
                        continue
                    total += len(data)
                    if total > self.output_limit:
                        raise CommandOutputTooLarge(argv, self.output_limit)
                    chunks[key.fd].append(data)
                    self.output_received(data)
        # Both pipes are closed; the process normally exits at once.  Bound the wait by
        # the same deadline: a program can close its output and keep running.
        try:
            _reap(process, deadline)
        except subprocess.TimeoutExpired:
            raise CommandTimedOut(argv, timeout) from None
        stdout, stderr = (b"".join(chunks[stream.fileno()]) for stream in streams)
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

    def kill_group(self, pid: int) -> None:
        """Kill the process group of the command ``pid``, which leads it: the command
        and every helper it forked (the simulated svc.startd kills more)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)


def _reap(process: subprocess.Popen[bytes], deadline: float) -> None:
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

"""Where a kzguard method's CPU goes, inside the methods bench/cycle.py runs.

Not a test.  Loaded by cycle.py's wrapper of each method (before kzguard is
imported), by ``--cpu-profile DIR`` and ``--cpu-account DIR``:

- :func:`profile_threads`: a cProfile of each of the method's threads, timed by
  that thread's own CPU (``time.thread_time``: a blocked wait costs nothing),
  merged into DIR/METHOD-PID.prof (``python -m pstats``).  The profiler's own cost
  is about twice kzguard's CPU, more in pure-Python loops than in system calls, so
  it ranks the functions that compute; its figures are not kzguard's.  Blocking
  calls (``SimpleQueue.get``, ``Condition.wait``) show CPU there that RUSAGE_SELF
  does not.
- :func:`account`: no profiler; a few chosen functions each summed in the CPU of
  the thread that called them, each thread's CPU summed by its name (the zone
  workers as one), the imports, and the method's whole RUSAGE_SELF, into
  DIR/METHOD-PID.json.  Its cost is a few microseconds a call: figures to set
  beside the method's own.  ``python bench/method_cpu.py DIR`` prints them, one
  line a method, in milliseconds.
"""

from __future__ import annotations

import atexit
import cProfile
import importlib
import json
import os
import pstats
import re
import resource
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# (module, attribute path): summed in the caller's thread CPU.
ACCOUNTED = (
    ("kzguard.solaris.runner", "Runner.run"),
    ("kzguard.journal.store", "Journal.commit"),
    ("kzguard.journal.store", "Journal._flush"),
    ("kzguard.pace.auto", "AutoPace.ended"),
    ("kzguard.pace.measure", "Meter.ended"),
    ("kzguard.pace.measure", "Meter._refit"),
    ("kzguard.stop.run", "StopRun.run"),
    ("kzguard.stop.run", "StopRun._walk"),
    ("kzguard.start.run", "StartRun.run"),
)
# The executors' zone workers are named after their zone (kzguard-kz12).
_ZONE_THREAD = re.compile(r"^kzguard-.*kz\d+$")


def profiled_threads(timer: Callable[[], float] | None = None) -> list[cProfile.Profile]:
    """Profile every thread started from now on (by ``timer``, default the wall
    clock): the list fills with their profiles as they start."""
    profiles: list[cProfile.Profile] = []
    lock = threading.Lock()
    thread_run = threading.Thread.run

    def run(self: threading.Thread) -> None:
        profile = cProfile.Profile(timer) if timer is not None else cProfile.Profile()
        with lock:
            profiles.append(profile)
        profile.enable()
        try:
            thread_run(self)
        finally:
            profile.disable()

    threading.Thread.run = run  # type: ignore[method-assign]
    return profiles


def profile_threads(directory: str, method: str) -> None:
    """Profile this thread from now on, and every thread started after, each by its
    own CPU clock."""
    main = cProfile.Profile(time.thread_time)
    others = profiled_threads(time.thread_time)
    main.enable()

    def dump() -> None:
        main.disable()
        stats = pstats.Stats(main)
        for profile in list(others):
            stats.add(profile)
        stats.dump_stats(os.path.join(directory, f"{method}-{os.getpid()}.prof"))

    atexit.register(dump)


def account(directory: str, method: str) -> None:
    """Sum :data:`ACCOUNTED` and each thread's CPU until the method exits."""
    sums: dict[str, list[float]] = {}
    lock = threading.Lock()

    def add(key: str, seconds: float) -> None:
        with lock:
            found = sums.setdefault(key, [0.0, 0.0])
            found[0] += 1
            found[1] += seconds

    thread_run = threading.Thread.run

    def run(self: threading.Thread) -> None:
        began = time.thread_time()
        try:
            thread_run(self)
        finally:
            name = "zone worker" if _ZONE_THREAD.match(self.name) else self.name
            add("thread " + re.sub(r"[-_]\d+$", "", name), time.thread_time() - began)

    threading.Thread.run = run  # type: ignore[method-assign]
    began = time.process_time()
    importlib.import_module("kzguard.cli")
    importlib.import_module(f"kzguard.{method}.path")
    add("imports", time.process_time() - began)
    for module, path in ACCOUNTED:
        _summed(module, path, add)

    def dump() -> None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        add("main thread", time.thread_time())
        add("RUSAGE_SELF", usage.ru_utime + usage.ru_stime)
        with open(os.path.join(directory, f"{method}-{os.getpid()}.json"), "w") as handle:
            json.dump({"method": method, "sums": sums}, handle)

    atexit.register(dump)


def _summed(module: str, path: str, add: Callable[[str, float], None]) -> None:
    owner: Any = importlib.import_module(module)
    *parents, name = path.split(".")
    for parent in parents:
        owner = getattr(owner, parent)
    function = getattr(owner, name)

    def summed(*args: Any, **kwargs: Any) -> Any:
        began = time.thread_time()
        try:
            return function(*args, **kwargs)
        finally:
            add(path, time.thread_time() - began)

    setattr(owner, name, summed)


def main(argv: Sequence[str] | None = None) -> int:
    directory = Path((sys.argv[1:] if argv is None else argv)[0])
    for found in sorted(directory.glob("*.json"), key=lambda path: path.stat().st_mtime):
        record = json.loads(found.read_text(encoding="utf-8"))
        ranked = sorted(record["sums"].items(), key=lambda item: -item[1][1])
        cells = [f"{key} {seconds * 1000:.0f} ({count:.0f})" for key, (count, seconds) in ranked]
        print(f"{record['method']}: " + ", ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Entry point of the executables in ``DIR/bin``: log the call, run the tool.

Each executable appends two JSON lines to ``DIR/commands.log``: ``start`` (time,
pid, tool, argv exactly as received) before the tool runs and ``end`` (time, pid,
status) after it, so tests can prove ordering, concurrency and that arguments
arrived without a shell in between.  A killed command leaves no ``end`` line.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kzguard.sim.state import SimHost, SimStateError

TOOLS = {
    "zoneadm": "kzguard.sim.zoneadm",
    "zonecfg": "kzguard.sim.zonecfg",
    "zlogin": "kzguard.sim.zlogin",
    "svcprop": "kzguard.sim.svcprop",
    "svcadm": "kzguard.sim.svcadm",
    "svccfg": "kzguard.sim.svccfg",
    "who": "kzguard.sim.who",
    "df": "kzguard.sim.df",
    "kstat": "kzguard.sim.kstat",
}

# zoneadm's internal "fatal" status (solaris.md 1.4, Z_FATAL): used when the
# simulator itself cannot work, so it never looks like an ordinary failure.
EXIT_SIMULATOR = 3


def host_for(argv: Sequence[str], host: SimHost | None) -> SimHost:
    """The host whose ``bin/`` holds the executable ``argv[0]``."""
    if host is not None:
        return host
    return SimHost(Path(argv[0]).resolve().parent.parent)


def _log(host: SimHost, event: dict[str, Any]) -> None:
    line = (json.dumps(event, sort_keys=True) + "\n").encode("utf-8")
    fd = os.open(host.log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)  # one write on an O_APPEND file: lines never interleave
    finally:
        os.close(fd)


def run(tool: str, host_dir: str, argv: Sequence[str]) -> int:
    """Run ``tool`` for the host in ``host_dir``; return its exit status."""
    host = SimHost(host_dir)
    pid = os.getpid()
    _log(
        host, {"event": "start", "time": time.time(), "pid": pid, "tool": tool, "argv": list(argv)}
    )
    status = 1
    try:
        module = importlib.import_module(TOOLS[tool])
        status = int(module.main(argv, host))
    except SimStateError as exc:
        print(f"{tool}: simulated host: {exc}", file=sys.stderr)
        status = EXIT_SIMULATOR
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        _log(
            host, {"event": "end", "time": time.time(), "pid": pid, "tool": tool, "status": status}
        )
    return status

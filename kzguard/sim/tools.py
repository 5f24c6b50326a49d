"""Entry point of the executables in ``DIR/bin``: log the call, run the tool.

Each executable appends two JSON lines to ``DIR/commands.log``: ``start`` (time:
when the executable's first line ran, before the simulator's imports, which a
Solaris command does not have; pid, tool, argv exactly as received) before the
tool runs and ``end`` (time, pid, status) after it, so tests can prove ordering,
concurrency and that arguments arrived without a shell in between.  A killed
command leaves no ``end`` line.

Output faults make a command misbehave as a program, whatever the state says:
``DIR/output-faults.json`` (written by :meth:`SimHost.set_output_fault`; absent
normally, so costing nothing) maps a command line -- the tool's name and its
arguments joined by single spaces, e.g. ``zoneadm list -cp`` -- to one of
:data:`kzguard.sim.state.OUTPUT_FAULTS`:

``garbage``   print non-UTF-8 bytes and junk lines instead, exit 0
``empty``     print nothing, exit 0
``truncate``  run the tool, print only the first half of its output (cut mid-line)
``huge``      print 20 MiB of junk lines, exit 0
``hang``      start a child in the same process group, log a ``fault`` event with
              its ``child`` pid, and sleep forever (both must be killed)
``slow``      wait SLOW_SECONDS (real time), then run the tool as usual: a
              command held up by something else on the host (a loaded CPU, a
              slow file system), for tests that need one command to end late
``sigkill``   kill itself with SIGKILL, printing nothing
``sigsegv``   kill itself with SIGSEGV (no core file), printing nothing
"""

from __future__ import annotations

import importlib
import io
import os
import sys
import time
from collections.abc import Sequence

from kzguard.sim.state import LOG_NAME, OUTPUT_FAULTS_NAME, SimHost, SimStateError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

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
    "init": "kzguard.sim.init",
    "shutdown": "kzguard.sim.shutdowncmd",
    "beadm": "kzguard.sim.beadm",
    # In the host's policy only once kzguard's has a key for it (create.POLICY_TOOLS).
    "zpool": "kzguard.sim.zpool",
}

GARBAGE = b"\x00\xff\xfe\x80garbage \xc3\x28 not what this command prints\n:::\n\tend\n"
HUGE_BYTES = 20 << 20
SLOW_SECONDS = 1.0

# zoneadm's internal "fatal" status (docs/solaris.md 1.4, Z_FATAL): used when the
# simulator itself cannot work, so it never looks like an ordinary failure.
EXIT_SIMULATOR = 3


def host_for(argv: Sequence[str], host: SimHost | None) -> SimHost:
    """The host whose ``bin/`` holds the executable ``argv[0]``."""
    if host is not None:
        return host
    return SimHost(os.path.dirname(os.path.dirname(os.path.realpath(argv[0]))))


def log_event(host: SimHost, event: dict[str, Any]) -> None:
    line = (json_text(event) + "\n").encode("ascii")
    fd = os.open(os.path.join(host.root, LOG_NAME), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)  # one write on an O_APPEND file: lines never interleave
    finally:
        os.close(fd)


# What json.dumps escapes with its defaults (ensure_ascii): the quote, the backslash
# and everything outside printable ASCII.
_SHORT_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}


def json_text(value: object) -> str:
    """``value`` (a log event: dicts, lists, strings, numbers, booleans, None) as
    ``json.dumps(value, sort_keys=True)`` writes it, without importing json, which
    with re and enum behind it was a third of every simulated command's start-up
    (docs/performance.md, "A simulated command's start-up")."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)  # what json writes for finite numbers; times are finite
    if isinstance(value, str):
        return _json_string(value)
    if isinstance(value, dict):
        pairs = [f"{_json_string(key)}: {json_text(item)}" for key, item in sorted(value.items())]
        return "{" + ", ".join(pairs) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(json_text(item) for item in value) + "]"
    raise TypeError(f"not in a log event: {type(value).__name__}")


def _json_string(text: str) -> str:
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    parts = []
    for char in text:
        code = ord(char)
        if char in _SHORT_ESCAPES:
            parts.append(_SHORT_ESCAPES[char])
        elif 0x20 <= code <= 0x7E:
            parts.append(char)
        elif code <= 0xFFFF:
            parts.append(f"\\u{code:04x}")
        else:  # a UTF-16 surrogate pair, as JSON spells characters beyond the BMP
            code -= 0x10000
            parts.append(f"\\u{0xD800 | (code >> 10):04x}\\u{0xDC00 | (code & 0x3FF):04x}")
    return '"' + "".join(parts) + '"'


def run(tool: str, host_dir: str, argv: Sequence[str], *, started: float | None = None) -> int:
    """Run ``tool`` for the host in ``host_dir``; return its exit status.  ``started``:
    when the process began (the executable's first line), logged as the command's
    start: the simulator's own Python start-up is no part of a Solaris command's."""
    host = SimHost(host_dir)
    pid = os.getpid()
    began = time.time() if started is None else started
    log_event(host, {"event": "start", "time": began, "pid": pid, "tool": tool, "argv": list(argv)})
    status = 1
    fault = output_fault(host, tool, argv)
    if fault == "slow":
        time.sleep(SLOW_SECONDS)
        fault = None
    try:
        if fault is not None and fault != "truncate":
            status = _misbehave(host, tool, fault)
        else:
            module = importlib.import_module(TOOLS[tool])
            if fault == "truncate":
                status = _truncated(module, argv, host)
            else:
                status = int(module.main(argv, host))
    except SimStateError as exc:
        print(f"{tool}: simulated host: {exc}", file=sys.stderr)
        status = EXIT_SIMULATOR
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        log_event(
            host, {"event": "end", "time": time.time(), "pid": pid, "tool": tool, "status": status}
        )
    return status


def output_fault(host: SimHost, tool: str, argv: Sequence[str]) -> str | None:
    """The output fault set for this command line, if any."""
    try:
        with open(os.path.join(host.root, OUTPUT_FAULTS_NAME), encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        return None
    import json  # noqa: PLC0415  (only where a test set a fault: see json_text)

    faults = json.loads(text)
    fault = faults.get(" ".join([tool, *argv[1:]]))
    return str(fault) if fault is not None else None


def _truncated(module: Any, argv: Sequence[str], host: SimHost) -> int:
    captured = io.StringIO()
    real, sys.stdout = sys.stdout, captured
    try:
        status = int(module.main(argv, host))
    finally:
        sys.stdout = real
    text = captured.getvalue()
    sys.stdout.write(text[: len(text) // 2])
    return status


def _misbehave(host: SimHost, tool: str, fault: str) -> int:
    if fault == "garbage":
        sys.stdout.buffer.write(GARBAGE)
    elif fault == "huge":
        line = b"x" * 1023 + b"\n"
        try:
            for _ in range(HUGE_BYTES // len(line)):
                sys.stdout.buffer.write(line)
        except BrokenPipeError:  # the reader gave up, as it should
            os._exit(0)
    elif fault == "hang":
        import subprocess  # noqa: PLC0415 (every simulated command imports this module)

        child = subprocess.Popen([sys.executable, "-S", "-c", "import time; time.sleep(3600)"])
        log_event(host, {"event": "fault", "pid": os.getpid(), "tool": tool, "child": child.pid})
        time.sleep(3600)
    elif fault in ("sigkill", "sigsegv"):
        import resource  # noqa: PLC0415
        import signal  # noqa: PLC0415

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core file in the cwd
        sys.stdout.flush()
        os.kill(os.getpid(), signal.SIGKILL if fault == "sigkill" else signal.SIGSEGV)
        time.sleep(60)  # the signal is on its way
    return 0

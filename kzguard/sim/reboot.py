"""The simulated host going down and up again after ``init 6``, detached from the
command that asked for it, as a real host's reboot is from the shell that typed
``init 6``: init(8) tells svc.startd the new run level and returns at once
(docs/solaris.md 4, 12).

:func:`request` is what the simulated ``init 6`` (and ``shutdown -i 6``) does: it
records the request in the state (``reboot``: pid, level, requested, ended,
status) and starts :func:`main` in a process of its own session with its own
output, so that nothing the caller waits on (its pipes, its process group) waits
for the reboot.  A second ``init 6`` while one is under way changes nothing, as
on Solaris, where the run level is already 6.

:func:`main` plays the reboot with the simulated svc.startd: when kzguard's
manifest has been imported and its instance is enabled,
:func:`kzguard.sim.demo.init_6_and_boot` (kzguard's stop method in svc.startd's
order, the zones service, the power cycle, the boot and kzguard's start method);
otherwise, a host without kzguard, the same events with no method to run.  What
they print -- svc.startd's lines, the methods' output, the zones service's work --
goes to ``HOSTDIR/reboot.log``.

Between the power going off and the global zone up again at its multi-user milestone
a real host spends firmware, boot loader and boot time.  Oracle documents no figure:
Fast Reboot "occurs within seconds" for the kernel hand-over (11.4 *Booting and
Shutting Down*, "Accelerating the Reboot Process", E60978 gktlr), on by default on
x86, off on SPARC, where POST runs; the boot to multi-user after it is not timed
anywhere.  So it is the host setting ``reboot_seconds`` (simulated seconds; optional
state key, :func:`set_power_cycle_seconds`), by default
:data:`DEFAULT_POWER_CYCLE_SECONDS` -- an ASSUMPTION (docs/solaris.md 14), not a
measured figure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from kzguard.sim.state import SimHost, SimStateError

KZGUARD_FMRI = "svc:/site/kzguard:default"
LOG_NAME = "reboot.log"
PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
# Not -S, unlike the tools: the methods' policy reader needs tomli on Python < 3.11.
RUNNER = (
    "import sys\n"
    "sys.path.insert(0, sys.argv[1])\n"
    "from kzguard.sim.reboot import main\n"
    "sys.exit(main(sys.argv[2:]))\n"
)


# ASSUMPTION (UNCONFIRMED): a fast reboot's kernel hand-over plus the boot of the
# global zone to multi-user, in simulated seconds.  A SPARC host with POST takes
# minutes more; set reboot_seconds per host.
DEFAULT_POWER_CYCLE_SECONDS = 60.0
POWER_CYCLE_KEY = "reboot_seconds"


def power_cycle_seconds(state: dict[str, Any]) -> float:
    """Simulated seconds from the power going off to the global zone booted."""
    return float(state.get(POWER_CYCLE_KEY, DEFAULT_POWER_CYCLE_SECONDS))


def check_power_cycle_seconds(seconds: float, name: str = POWER_CYCLE_KEY) -> float:
    """``seconds`` as a power cycle's length, or SimStateError naming ``name``."""
    if not seconds >= 0:  # NaN too
        raise SimStateError(f"{name} must be 0 or more seconds, not {seconds:g}")
    return float(seconds)


def set_power_cycle_seconds(host: SimHost, seconds: float) -> None:
    """Make every later reboot of ``host`` spend ``seconds`` simulated seconds
    powered off and booting."""
    seconds = check_power_cycle_seconds(seconds)
    with host.edit() as state:
        state[POWER_CYCLE_KEY] = seconds


def in_progress(state: dict[str, Any]) -> bool:
    """Whether a simulated reboot has been asked for and has not ended."""
    record = state.get("reboot")
    return record is not None and record.get("ended") is None


def request(host: SimHost, level: str) -> bool:
    """``init LEVEL`` as init(8) does it: ask, do not wait.  Only 6 is simulated.
    Returns False when a reboot was already under way (nothing new starts)."""
    if level != "6":
        raise SimStateError(f"only run level 6 (a reboot) is simulated, not {level!r}")
    with host.edit() as state:
        if in_progress(state):
            return False
        state["reboot"] = {
            "pid": None,
            "level": level,
            "requested": time.time(),
            "ended": None,
            "status": None,
        }
    with open(host.path / LOG_NAME, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", RUNNER, PACKAGE_ROOT, str(host.path)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            close_fds=True,
            start_new_session=True,
            cwd=str(host.path),
        )
    with host.edit() as state:
        state["reboot"]["pid"] = process.pid
    return True


def installed_manifest(state: dict[str, Any]) -> Any:
    """kzguard's manifest as last imported (svccfg import), read as svc.startd reads
    it, if its instance is there and enabled; else None."""
    from kzguard.sim.svcstartd import read_manifest  # noqa: PLC0415 (not for the tools)

    props = state["smf"].get(KZGUARD_FMRI, {})
    if props.get("general/enabled", [None, "false"])[1] != "true":
        return None
    for entry in reversed(state["services"]["manifests"]):
        if KZGUARD_FMRI in entry["instances"]:
            return read_manifest(entry["content"])
    return None


def main(argv: Sequence[str]) -> int:
    """The detached reboot of the host in ``argv[0]``; its record says when it ended
    and the exit status of kzguard's start method (None without kzguard)."""
    host = SimHost(argv[0])
    status: int | None = None
    try:
        with open(host.path / LOG_NAME, "a", encoding="utf-8") as out:
            status = _reboot(host, out)
    finally:
        with host.edit() as state:
            state["reboot"].update(ended=time.time(), status=status)
    return 0


def _reboot(host: SimHost, out: TextIO) -> int | None:
    from kzguard.sim import control, demo, method_script, shutdown  # noqa: PLC0415

    print(f"init 6 requested (pid {os.getpid()})", file=out, flush=True)
    state = host.read()
    power_cycle = power_cycle_seconds(state)
    delay = power_cycle * float(state["time_scale"])
    boot_host = control.boot_host

    def boot_after_power_cycle(host: SimHost) -> None:
        print(
            f"powered off: firmware and boot to multi-user take {power_cycle:g} simulated "
            f"seconds ({delay:.2f}s)",
            file=out,
            flush=True,
        )
        time.sleep(delay)
        boot_host(host)

    manifest = installed_manifest(state)
    if manifest is not None:
        # The package delivers the method script with the manifest.
        if not (host.path / method_script.PATH.lstrip("/")).exists():
            method_script.install(host.path)
        # demo.init_6_and_boot plays svc.startd's order and calls control.boot_host
        # when the power comes back: the power cycle's time goes there, in this
        # detached process only (the demo itself has no power cycle to wait for).
        control.boot_host = boot_after_power_cycle
        try:
            runs = demo.init_6_and_boot(host, manifest, out)
        finally:
            control.boot_host = boot_host
        return runs[-1].status
    # No kzguard on this host: svc.startd has no stop method of it to run.
    print("svc:/site/kzguard:default is not an enabled service here", file=out, flush=True)
    shutdown.begin(host, "6")
    shutdown.wait(shutdown.stop_leaf_zones(host))
    control.zones_service_stop(host)
    control.power_off(host)
    boot_after_power_cycle(host)
    control.zones_service_start(host)
    return None

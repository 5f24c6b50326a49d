from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kzguard.errors import PolicyError
from kzguard.policy.file import load_policy
from kzguard.sim import shutdown, svcstartd
from kzguard.sim.state import SimHost
from kzguard.solaris.host import Host
from kzguard.solaris.runner import Runner

KZGUARD_FMRI = "svc:/site/kzguard:default"


@dataclass
class Completed:
    status: int
    stdout: str
    stderr: str


def kzguard(*args: str) -> Completed:
    """Run the real ``kzguard`` command in a subprocess, as an operator would."""
    completed = subprocess.run(
        [sys.executable, "-m", "kzguard", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
        check=False,
    )
    return Completed(completed.returncode, completed.stdout, completed.stderr)


def wait_for(condition: Callable[[], object], timeout: float = 30.0) -> None:
    """Poll ``condition`` until it is true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached")


@contextlib.contextmanager
def stop_hung_on_kz1(host: SimHost) -> Iterator[subprocess.Popen[str]]:
    """``kzguard stop`` in the background with kz1's suspend hung (its timeout is the
    caller's policy): yields the process once that suspend runs, the state
    directory's lock held; kills it after."""
    host.set_fault("kz1", "suspend", "hang")
    process = subprocess.Popen(
        [sys.executable, "-m", "kzguard", "-c", str(host.policy_path), "stop"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(
            lambda: [
                entry
                for entry in host.commands()
                if entry["event"] == "start" and entry["argv"][1:4] == ["-z", "kz1", "suspend"]
            ]
        )
        yield process
    finally:
        process.kill()
        process.communicate()


def manifest_path(host: SimHost) -> Path:
    """Where the package delivers kzguard's manifest, inside the simulated host."""
    return host.path / "lib" / "svc" / "manifest" / "site" / "kzguard.xml"


def apply_manifest(host: SimHost) -> None:
    """`kzguard apply` on ``host`` (in this process, without the CLI's start-up): the
    manifest rendered from the host's policy, imported with the host's svccfg and
    refreshed, so that kzguard's instance depends on each managed zone's instance.
    While the policy file is invalid, from its last good copy, the one the methods
    act on."""
    from kzguard.manifest.apply import apply_manifest as apply  # noqa: PLC0415 (jinja2)

    try:
        policy = load_policy(str(host.policy_path), explicit=True)
    except PolicyError:
        policy = load_policy(f"{host.policy_path}.last-good", explicit=True)
    path = manifest_path(host)
    path.parent.mkdir(parents=True, exist_ok=True)
    apply(
        policy,
        Host(policy.commands, Runner()),
        policy_path=str(host.policy_path),
        manifest_path=str(path),
        dry_run=False,
    )


def init_shutdown(
    host: SimHost, run_stop: Callable[[], Completed], *, level: str = "6"
) -> tuple[Completed, svcstartd.ShutdownOrder]:
    """`init LEVEL` up to the power-off, in svc.startd's order (docs/solaris.md 12, 13):
    the run level in utmpx and options_ovr/runlevel deleted (sim shutdown.begin), then
    kzguard's stop method (``run_stop``) while the zones service shuts down every zone
    instance kzguard does not hold, then the held ones' autoshutdown; returns once the
    zones service has finished.  kzguard's instance is online (the host is up and the
    guard armed); its dependencies are whatever was last imported (apply_manifest)."""
    svcstartd.instance_started(host, KZGUARD_FMRI, 0)
    shutdown.begin(host, level)
    runs: list[Completed] = []

    def stop() -> int | None:
        runs.append(run_stop())
        return runs[0].status

    order = svcstartd.stop_in_shutdown_order(host, KZGUARD_FMRI, stop, zones_timeout=30.0)
    return runs[0], order

"""Fleet benchmark: the playbook kzguard.fleet.rolling_reboot over simulated hosts.

What the orchestration adds to a rollout beyond the hosts' own reboot cycles, and how
a rollout's duration grows with the batch size (``serial``).  For each time scale
and batch size, one after the other, it makes ``--hosts`` fresh simulated hosts
(``kzguard.sim.create.create_host`` with the limits of ``kzguard sim create``; the
power cycle of each reboot ``--reboot-seconds`` simulated seconds, the simulator's
ASSUMPTION by default), arms each (``kzguard apply``, ``kzguard method start``) and
runs ``ansible-playbook kzguard.fleet.rolling_reboot`` over them, every host reached
with ``ansible_connection: local`` and pointed at its own simulated host, the reboot
the real ``kzguard reboot`` (the simulated init 6: stop methods, the zones service,
the power cycle, the start method).  Forks: the batch size, so a batch reboots at once.

From each host's own journal after the rollout (its timestamps, not the playbook's):

* cycle: the host's own reboot, from its stop method's start to its start method's
  end (``StopCycle.started`` to ``StartRecord.finished``);
* span of a batch: from the first stop method's start to the last start method's end
  among its hosts (its cycles overlap);
* overhead per turn = (rollout wall time - the spans of all batches) / batches: what
  the orchestration adds to each batch's turn, hence to each host's (at batch size 1,
  per host exactly): ansible-playbook's start, the pre-flight, ``kzguard reboot`` up
  to the stop method, the wait's last look, the verdicts and the report.

Besides, the CPU time of ``ansible-playbook`` and of all it ran and reaped (its
workers, the modules, the kzguard commands and their simulated commands), per host:
the simulated reboot itself runs detached (its own session, reaped by no one here)
and is not in it.

The time scale (real seconds per simulated second) shortens the simulated waits, not
kzguard's or Ansible's own work: at 1 the hosts' cycles are faithful in length (the
simulated rates, the power cycle), and the overhead is measured against them;
``--time-scale`` (default 0.04) runs every batch size quickly, ``--faithful-batches``
(default 20: one batch, a faithful rollout of 20 hosts takes about as long as one
host's cycle, where one at a time would take 20) runs at scale 1.

Not a test: nothing is asserted.  Results: docs/performance.md, "Fleet".

    .venv/bin/python bench/fleet.py [--hosts 20] [--batches 1,2,5,20] [--zones 2]
        [--time-scale 0.04] [--faithful-batches 20] [--reboot-seconds S] [--seed 1]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kzguard.journal.store import read_journal
from kzguard.sim.create import create_host
from kzguard.sim.reboot import DEFAULT_POWER_CYCLE_SECONDS, set_power_cycle_seconds
from kzguard.sim.state import SimHost

REPO = Path(__file__).resolve().parents[1]
COLLECTION = REPO / "ansible" / "kzguard"
BIN = Path(sys.executable).parent
KZGUARD = BIN / "kzguard"
TARGET = 0.05  # the orchestration's overhead, as a share of a host's cycle


def parse_ints(text: str) -> list[int]:
    return [int(item) for item in text.split(",") if item]


def arm(host: SimHost) -> None:
    """Import kzguard's manifest and run its start method, as after an install."""
    policy = str(host.policy_path)
    for args in (["apply"], ["method", "start"]):
        subprocess.run(
            [str(KZGUARD), "-q", "-c", policy, *args],
            check=True,
            capture_output=True,
            timeout=300,
        )


def make_fleet(
    directory: Path, count: int, zones: int, seed: int, *, scale: float, reboot_seconds: float
) -> list[SimHost]:
    hosts = [
        create_host(
            directory / f"host{n:02d}",
            zones=zones,
            seed=seed + n,
            time_scale=scale,
            scaled_limits=True,
        )
        for n in range(1, count + 1)
    ]
    for host in hosts:
        set_power_cycle_seconds(host, reboot_seconds)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(arm, hosts))
    return hosts


def ansible_env(directory: Path, forks: int) -> dict[str, str]:
    collections = directory / "collections"
    (collections / "ansible_collections" / "kzguard").mkdir(parents=True)
    (collections / "ansible_collections" / "kzguard" / "fleet").symlink_to(COLLECTION)
    config = directory / "ansible.cfg"
    config.write_text("")
    home = directory / "ansible-home"
    return dict(
        os.environ,
        ANSIBLE_HOME=str(home),
        ANSIBLE_LOCAL_TEMP=str(home / "tmp"),
        ANSIBLE_REMOTE_TEMP=str(home / "remote-tmp"),
        ANSIBLE_COLLECTIONS_PATH=str(collections),
        ANSIBLE_CONFIG=str(config),
        ANSIBLE_FORKS=str(forks),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="0",
    )


def rollout(directory: Path, hosts: Sequence[SimHost], batch: int) -> dict[str, Any]:
    """Run the playbook over ``hosts`` in batches of ``batch``; its wall time and report."""
    inventory = directory / "inventory.yml"
    inventory.write_text(
        json.dumps(
            {
                "all": {
                    "vars": {
                        "ansible_connection": "local",
                        "ansible_python_interpreter": sys.executable,
                        "kzguard_command": str(KZGUARD),
                    },
                    "hosts": {
                        host.path.name: {"kzguard_policy_path": str(host.policy_path)}
                        for host in hosts
                    },
                }
            }
        )
    )
    report = directory / "fleet-report.json"
    extra = {
        "kzguard_rolling_serial": batch,
        "kzguard_rolling_report_json": str(report),
    }
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.monotonic()
    played = subprocess.run(
        [
            str(BIN / "ansible-playbook"),
            *("-i", str(inventory), "kzguard.fleet.rolling_reboot"),
            *("-e", json.dumps(extra)),
        ],
        capture_output=True,
        text=True,
        env=ansible_env(directory, forks=batch),
        cwd=directory,
        timeout=24 * 3600,
        check=False,
    )
    seconds = time.monotonic() - began
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    (directory / "ansible-playbook.log").write_text(played.stdout + played.stderr)
    document: dict[str, Any] = json.loads(report.read_text())
    return {"seconds": seconds, "cpu": cpu, "status": played.returncode, "report": document}


def own_cycle(host: SimHost) -> tuple[float, float] | None:
    """When the host's stop method began and its start method ended, from its journal."""
    document, _ = read_journal(str(host.state_dir))
    if document is None or document.cycle is None or document.start is None:
        return None
    began, ended = document.cycle.started, document.start.finished
    if began is None or ended is None or ended < began:
        return None
    return began, ended


def measure(args: argparse.Namespace, scale: float, batch: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"kzguard-fleet-{batch}-") as name:
        directory = Path(name)
        hosts = make_fleet(
            directory,
            args.hosts,
            args.zones,
            args.seed,
            scale=scale,
            reboot_seconds=args.reboot_seconds,
        )
        load = os.getloadavg()[0]
        result = rollout(directory, hosts, batch)
        cycles = [own_cycle(host) for host in hosts]
    batches = math.ceil(args.hosts / batch)
    spans = []
    for first in range(0, args.hosts, batch):
        chunk = [c for c in cycles[first : first + batch] if c is not None]
        if chunk:
            spans.append(max(end for _, end in chunk) - min(begin for begin, _ in chunk))
    lengths = [end - begin for begin, end in filter(None, cycles)]
    cycle = statistics.mean(lengths) if lengths else float("nan")
    complete = len(lengths) == args.hosts
    return {
        "scale": scale,
        "batch": batch,
        "status": result["status"],
        "complete": result["report"]["complete"] and complete,
        "outcomes": sorted({line["outcome"] for line in result["report"]["hosts"]}),
        "seconds": result["seconds"],
        "batches": batches,
        "cycle": cycle,
        "cycle_max": max(lengths) if lengths else float("nan"),
        "spans": sum(spans),
        "overhead": (result["seconds"] - sum(spans)) / batches if complete else float("nan"),
        "load": load,
        "cpu": result["cpu"] / args.hosts,
    }


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(cell.rjust(widths[i]) for i, cell in enumerate(row)) for row in [header, *rows]
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--batches", type=parse_ints, default=[1, 2, 5, 20])
    parser.add_argument("--zones", type=int, default=2, help="kernel zones per host")
    parser.add_argument(
        "--time-scale",
        type=float,
        default=0.04,
        help="real seconds per simulated second for --batches (0.04: a cycle of about 8 s)",
    )
    parser.add_argument(
        "--faithful-batches",
        type=parse_ints,
        default=[20],
        help="batch sizes run again at time scale 1 (faithful cycles); '' for none",
    )
    parser.add_argument(
        "--reboot-seconds",
        type=float,
        default=DEFAULT_POWER_CYCLE_SECONDS,
        help="simulated seconds of each host's power cycle (firmware, boot to multi-user)",
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    print(
        f"kzguard.fleet.rolling_reboot over {args.hosts} simulated hosts of {args.zones} "
        f"kernel zones, power cycle {args.reboot_seconds:g} simulated s; "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f} at the start",
        flush=True,
    )
    runs = [(args.time_scale, b) for b in args.batches] + [(1.0, b) for b in args.faithful_batches]
    results = []
    for scale, batch in runs:
        print(f"time scale {scale:g}, batch size {batch}...", file=sys.stderr, flush=True)
        results.append(measure(args, scale, batch))
        print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    firsts = {r["scale"]: r["seconds"] for r in reversed(results)}
    rows = [
        [
            f"{r['scale']:g}",
            str(r["batch"]),
            str(r["batches"]),
            f"{r['seconds']:.1f}s",
            f"{r['spans']:.1f}s",
            f"{r['seconds'] / firsts[r['scale']]:.2f}",
            f"{r['cycle']:.1f}s",
            f"{r['cycle_max']:.1f}s",
            f"{r['overhead']:.2f}s",
            f"{r['overhead'] / r['cycle']:.1%}",
            f"{r['cpu']:.2f}s",
            f"{r['load']:.1f}",
            ",".join(r["outcomes"]) + ("" if r["status"] == 0 else f" (exit {r['status']})"),
        ]
        for r in results
    ]
    header = [
        "SCALE", "BATCH", "BATCHES", "ROLLOUT", "SPANS", "VS FIRST", "CYCLE", "MAX", "OVERHEAD",
        "OF CYCLE", "CPU/HOST", "LOAD", "OUTCOMES",
    ]  # fmt: skip
    print("\n".join(table(header, rows)))
    print(
        "SCALE: real seconds per simulated second (1: faithful cycles); ROLLOUT: wall time of "
        "ansible-playbook;\nSPANS: the batches' spans added up (each from its first stop "
        "method's start to its last start method's end, from the hosts' journals);\n"
        "VS FIRST: ROLLOUT / the ROLLOUT of the first batch size at that scale;\nCYCLE: mean "
        "of the hosts' own cycles, stop method start to start method end (MAX the longest);"
        f"\nOVERHEAD: (ROLLOUT - SPANS) / BATCHES, per turn; target OF CYCLE < {TARGET:.0%};"
        "\nCPU/HOST: CPU time of ansible-playbook and everything it ran and reaped (its "
        "workers, the modules, the kzguard commands and their simulated commands; not the "
        "detached simulated reboot), per host;\nLOAD: the 1-minute load average before the "
        "rollout"
    )
    return 0 if all(r["status"] == 0 and r["complete"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

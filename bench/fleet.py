"""Fleet benchmark: the playbook kzguard.fleet.rolling_reboot over simulated hosts.

What the orchestration costs a host beyond the host's own reboot cycle, and how a
rollout's duration grows with the batch size (``serial``).  For each batch size, in
this one run and one after the other, it makes ``--hosts`` fresh simulated hosts
(``kzguard.sim.create.create_host`` with the limits of ``kzguard sim create``, on the
clock ``--time-scale``), arms each (``kzguard apply``, ``kzguard method start``) and
runs ``ansible-playbook kzguard.fleet.rolling_reboot`` over them, every host reached
with ``ansible_connection: local`` and pointed at its own simulated host, the reboot
the real ``kzguard reboot`` (the simulated init 6: stop methods, the zones service,
the power cycle, the start method).  Forks: the batch size, so a batch reboots at once.

From the fleet report (JSON) of each rollout, per host:

* cycle: the host's own reboot, from its stop method's start to its start method's
  end (``stop_started`` to ``start_finished`` of ``kzguard status --json``);
* turn: the host's time in the playbook, from its first task to the verdict
  (``orchestration_seconds``): pre-flight, ``kzguard reboot``, the waits, the reads;
* overhead = turn - cycle: what the orchestration adds to the host.

Besides, the CPU time of ``ansible-playbook`` and of all it ran and reaped (its
workers, the modules, the kzguard commands and their simulated commands), per host:
the simulated reboot itself runs detached (its own session, reaped by no one here)
and is not in it.

And per rollout: its wall time against the ideal, ``batches x mean cycle`` (every
batch as long as one host's cycle, nothing in between).

Not a test: nothing is asserted.  Results: docs/performance.md, "Fleet".

    .venv/bin/python bench/fleet.py [--hosts 20] [--batches 1,2,5,10,20] [--zones 2]
                                    [--time-scale 0.04] [--seed 1]
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

from kzguard.sim.create import create_host
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


def make_fleet(directory: Path, count: int, zones: int, seed: int, scale: float) -> list[SimHost]:
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


def rollout(directory: Path, hosts: Sequence[SimHost], batch: int, poll: float) -> dict[str, Any]:
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
        "kzguard_rolling_poll_seconds": poll,
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


def measure(args: argparse.Namespace, batch: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"kzguard-fleet-{batch}-") as name:
        directory = Path(name)
        hosts = make_fleet(directory, args.hosts, args.zones, args.seed, args.time_scale)
        load = os.getloadavg()[0]
        result = rollout(directory, hosts, batch, args.poll)
    lines = result["report"]["hosts"]
    cycles = [line["cycle_seconds"] for line in lines if line["cycle_seconds"] is not None]
    overheads = [
        line["orchestration_seconds"] - line["cycle_seconds"]
        for line in lines
        if line["cycle_seconds"] is not None and line["orchestration_seconds"] is not None
    ]
    batches = math.ceil(args.hosts / batch)
    cycle = statistics.mean(cycles) if cycles else float("nan")
    return {
        "batch": batch,
        "status": result["status"],
        "complete": result["report"]["complete"],
        "outcomes": sorted({line["outcome"] for line in lines}),
        "seconds": result["seconds"],
        "batches": batches,
        "cycle": cycle,
        "ideal": batches * cycle,
        "overhead": statistics.mean(overheads) if overheads else float("nan"),
        "overhead_max": max(overheads) if overheads else float("nan"),
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
    parser.add_argument("--batches", type=parse_ints, default=[1, 2, 5, 10, 20])
    parser.add_argument("--zones", type=int, default=2, help="kernel zones per host")
    parser.add_argument(
        "--time-scale",
        type=float,
        default=0.04,
        help="real seconds per simulated second (0.04: a host's cycle lasts about 10 s)",
    )
    parser.add_argument("--poll", type=float, default=0.5, help="kzguard_rolling_poll_seconds")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    print(
        f"kzguard.fleet.rolling_reboot over {args.hosts} simulated hosts of {args.zones} "
        f"kernel zones, time scale {args.time_scale}, poll {args.poll}s; "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f} at the start"
    )
    results = []
    for batch in args.batches:
        print(f"batch size {batch}...", file=sys.stderr, flush=True)
        results.append(measure(args, batch))
        print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    rows = [
        [
            str(r["batch"]),
            str(r["batches"]),
            f"{r['seconds']:.1f}s",
            f"{r['ideal']:.1f}s",
            f"{r['seconds'] / r['ideal']:.2f}",
            f"{r['seconds'] / results[0]['seconds']:.2f}",
            f"{r['cycle']:.1f}s",
            f"{r['overhead']:.2f}s",
            f"{r['overhead_max']:.2f}s",
            f"{r['overhead'] / r['cycle']:.1%}",
            f"{r['cpu']:.2f}s",
            f"{r['load']:.1f}",
            ",".join(r["outcomes"]) + ("" if r["status"] == 0 else f" (exit {r['status']})"),
        ]
        for r in results
    ]
    header = [
        "BATCH", "BATCHES", "ROLLOUT", "IDEAL", "RATIO", "VS FIRST", "CYCLE", "OVERHEAD", "MAX",
        "OF CYCLE", "CPU/HOST", "LOAD", "OUTCOMES",
    ]  # fmt: skip
    print("\n".join(table(header, rows)))
    print(
        "ROLLOUT: wall time of ansible-playbook; IDEAL: batches x mean CYCLE; RATIO: ROLLOUT / "
        "IDEAL; VS FIRST: ROLLOUT / the first batch size's ROLLOUT;\nCYCLE: a host's "
        "stop method start to start method end;\nOVERHEAD: mean per host of its turn in the "
        f"playbook minus its CYCLE (MAX the largest); target OF CYCLE < {TARGET:.0%};\n"
        "CPU/HOST: CPU time of ansible-playbook and everything it ran and reaped (its workers, "
        "the modules, the kzguard commands and their simulated commands; not the detached "
        "simulated reboot), per host;\nLOAD: the 1-minute load average before the rollout"
    )
    for r in results:
        print(
            f"batch {r['batch']}: the overhead ({r['overhead']:.1f}s a host) is under "
            f"{TARGET:.0%} of any cycle longer than {r['overhead'] / TARGET:.0f}s"
        )
    return 0 if all(r["status"] == 0 and r["complete"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

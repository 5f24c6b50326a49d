"""Start-up benchmark: ``kzguard status`` on a large simulated host against an empty
Python start.

``kzguard status`` is what an operator types, so its cost is felt directly.  This
makes one simulated host (``kzguard.sim.create.create_host``) with ``--zones``
kernel zones (500 by default) and runs, alternating, ``--runs`` times each and in
one process:

* ``python -c pass``: the interpreter alone (the same interpreter as kzguard);
* ``kzguard --version``: kzguard's start-up (imports, argument parser), no command;
* ``kzguard -c POLICY status``: the real CLI as a subprocess, pointed at the host's
  policy file, exactly as the integration tests run it.

Each run is timed by wall clock, and by CPU from ``RUSAGE_CHILDREN`` (kzguard and
the simulated commands it ran and reaped).  The simulator's command log gives the
commands per ``status``.  Bytecode is compiled once before the runs (``-B`` and
``PYTHONDONTWRITEBYTECODE`` are not used for the runs), as an installed package has
it.  Finally ``python -X importtime -c "import kzguard.cli, kzguard.cli_commands"``
gives the cumulative import time of what ``status`` imports (the command line, then
the handlers it imports when ``status`` runs) and its largest imports.

Not a test: nothing is asserted.  Results: docs/performance.md, "Status start-up".
"""

from __future__ import annotations

import argparse
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

from kzguard.sim.create import create_host
from kzguard.sim.state import SimHost
from kzguard.solaris.runner import ALLOWED_PREFIX_VARIABLE


def environment(host: SimHost) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    # Only the simulated host's executables may run: no real Solaris command.
    env[ALLOWED_PREFIX_VARIABLE] = str(host.path) + os.sep
    return env


def commands(host: SimHost) -> dict[str, list[str]]:
    kzguard = [sys.executable, "-m", "kzguard"]
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "kzguard --version": [*kzguard, "--version"],
        "kzguard status": [*kzguard, "-c", str(host.policy_path), "status"],
    }


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(argv: Sequence[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (the process and its reaped descendants), status."""
    cpu = children_cpu()
    began = time.perf_counter()
    completed = subprocess.run(
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    wall = time.perf_counter() - began
    if completed.returncode not in (0, 1, 2):
        sys.stderr.write(completed.stderr.decode(errors="replace"))
        raise SystemExit(f"{' '.join(argv)} exited {completed.returncode}")
    return wall, children_cpu() - cpu, completed.returncode


def log_lines(host: SimHost) -> int:
    path = host.log_path
    if not path.exists():
        return 0
    with path.open("rb") as log:
        return sum(1 for _ in log)


STATUS_IMPORTS = ("kzguard.cli", "kzguard.cli_commands")


def import_time(env: dict[str, str], *modules: str) -> tuple[int, list[tuple[int, str]]]:
    """Cumulative microseconds of importing ``modules`` in that order, and the largest
    imports below them."""
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {', '.join(modules)}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in completed.stderr.splitlines():
        if not line.startswith("import time:") or line.endswith("| imported package"):
            continue
        _, cumulative, name = line[len("import time:") :].split("|")
        rows.append((int(cumulative), name.rstrip()))
    total = sum(cumulative for cumulative, name in rows if name.strip() in modules)
    top = sorted((row for row in rows if row[1].strip() not in modules), reverse=True)[:12]
    return total, top


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--zones", type=int, default=500, help="kernel zones (default 500)")
    parser.add_argument("--runs", type=int, default=20, help="runs of each command (20)")
    parser.add_argument("--seed", type=int, default=0)
    options = parser.parse_args(argv)

    load = os.getloadavg()
    print(
        f"kzguard status benchmark: {os.cpu_count()} CPUs, Python {platform.python_version()}"
        f" ({platform.machine()}), {options.zones} kernel zones, {options.runs} runs each;"
        f" 1-minute load average {load[0]:.2f} before"
    )
    with tempfile.TemporaryDirectory(prefix="kzguard-status-") as directory:
        host = create_host(Path(directory) / "host", zones=options.zones, seed=options.seed)
        env = environment(host)
        runs = commands(host)
        # Warm-up: compile and cache bytecode, fill the page cache.
        for command in runs.values():
            run_once(command, env)
        walls: dict[str, list[float]] = {name: [] for name in runs}
        cpus: dict[str, list[float]] = {name: [] for name in runs}
        statuses: set[int] = set()
        logged = log_lines(host)
        per_status = []
        for _ in range(options.runs):
            for name, command in runs.items():
                wall, cpu, status = run_once(command, env)
                walls[name].append(wall)
                cpus[name].append(cpu)
                if name == "kzguard status":
                    statuses.add(status)
                    now = log_lines(host)
                    # Two lines per command: its start and its end.
                    per_status.append((now - logged) // 2)
                    logged = now

        base = statistics.median(walls["python -c pass"])
        print()
        print("| command | median wall | min wall | median CPU | x `python -c pass` (median) |")
        print("|---|---:|---:|---:|---:|")
        for name in runs:
            median = statistics.median(walls[name])
            print(
                f"| `{name}` | {median * 1000:.0f} ms | {min(walls[name]) * 1000:.0f} ms"
                f" | {statistics.median(cpus[name]) * 1000:.0f} ms | {median / base:.1f} |"
            )
        print()
        print(
            f"simulated commands per status: {sorted(set(per_status))};"
            f" status exit statuses: {sorted(statuses)}"
        )
        # What `status` imports: the command line, then its handlers (kzguard.cli
        # imports those only when one of their commands runs).
        measured = [import_time(env, *STATUS_IMPORTS) for _ in range(5)]
        imports = [total for total, _ in measured]
        top = measured[-1][1]
        print(
            f"python -X importtime -c 'import {', '.join(STATUS_IMPORTS)}': cumulative "
            f"{statistics.median(imports)}"
            f" us (median of 5; min {min(imports)} us); largest imports of one run:"
        )
        for cumulative, name in top:
            print(f"  {cumulative:>8} us  {name}")
    print(f"1-minute load average {os.getloadavg()[0]:.2f} after")
    return 0


if __name__ == "__main__":
    sys.exit(main())

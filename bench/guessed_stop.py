"""A first stop that fits its deadline only on a guess: what the plan suspends, and
what the stop method does.

Not a test.  A first stop knows nothing of the host's storage: its plan predicts
each suspend at ``shutdown.assumed_rate`` (stop/plan.py) and takes the suspend from
the zones that would end after the deadline's budget at that rate.  Here the
simulated storage writes faster than the policy assumes: for each seed, a fresh
simulated host (``kzguard sim create``: ``--zones`` kernel zones, its own limits on
its clock, 0.05 s of real time a simulated second) whose policy's deadline and
assumed rate are set from ``--deadline`` and ``--assumed``, at run level 6.  Printed
per host: the plan's first steps (``kzguard plan stop --json``), then the state
each zone's journal entry ends in after ``kzguard method stop``, and the method's
exit status.  Run it at two commits to compare (docs/reliability.md).

    .venv/bin/python bench/guessed_stop.py [--zones 20] [--seeds 1,2,3,4]
        [--assumed 500M] [--deadline 45s]
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from kzguard.sim.create import create_host

TIME_SCALE = 0.05


def run_host(root: Path, *, zones: int, seed: int, assumed: str, deadline: str) -> str:
    """One first stop on a fresh host in ``root``: its line of the report."""
    host = create_host(root, zones=zones, seed=seed, time_scale=TIME_SCALE, scaled_limits=True)
    policy = host.policy_path.read_text()
    policy = re.sub(r'(?m)^deadline = ".*"$', f'deadline = "{deadline}"', policy, count=1)
    policy = re.sub(r'(?m)^assumed_rate = ".*"$', f'assumed_rate = "{assumed}"', policy)
    host.policy_path.write_text(policy)
    host.set_runlevel("6", "3")
    kzguard = [sys.executable, "-m", "kzguard", "-c", str(host.policy_path)]
    plan = subprocess.run(
        [*kzguard, "plan", "stop", "--json"], capture_output=True, text=True, check=False
    )
    if plan.returncode:
        raise SystemExit(plan.stderr)
    planned = collections.Counter(zone["steps"][0] for zone in json.loads(plan.stdout)["zones"])
    stop = subprocess.run([*kzguard, "method", "stop"], capture_output=True, text=True, check=False)
    journal = json.loads((host.state_dir / "journal.json").read_text())
    ended = collections.Counter(zone["state"] for zone in journal["cycle"]["zones"].values())
    return (
        f"seed {seed}: planned {dict(sorted(planned.items()))}; "
        f"ended {dict(sorted(ended.items()))}; exit {stop.returncode}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zones", type=int, default=20)
    parser.add_argument("--seeds", default="1,2,3,4")
    parser.add_argument("--assumed", default="500M", help="the policy's assumed_rate")
    parser.add_argument("--deadline", default="45s", help="the policy's [shutdown] deadline")
    args = parser.parse_args()
    print(
        f"{args.zones} zones, assumed_rate {args.assumed}, deadline {args.deadline}, "
        f"time scale {TIME_SCALE}"
    )
    for seed in (int(text) for text in args.seeds.split(",")):
        with tempfile.TemporaryDirectory(prefix="kzguard-guessed-") as scratch:
            line = run_host(
                Path(scratch) / "host",
                zones=args.zones,
                seed=seed,
                assumed=args.assumed,
                deadline=args.deadline,
            )
        print(line, flush=True)


if __name__ == "__main__":
    main()

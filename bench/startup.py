"""The floor under a method's CPU: what starting Python and importing a method's
path cost, before any zone is touched, against issue 13's budget of 5 ms of CPU a
zone (50 ms for a 10-zone method).

Runs, alternating, ``--runs`` times each and in one process, each as a subprocess
of the same interpreter with ``-I -S`` (no site, no user or editable-install hooks:
a development venv's ``.pth`` files import pathlib and more, which a packaged
kzguard on Solaris, found in vendor-packages, does not pay) and the package's
directory put first on ``sys.path``:

* ``pass``: the interpreter alone;
* ``site``: plus the site module, which the packaged method script runs;
* ``stdlib of stop``: plus exactly the standard-library modules that importing the
  stop method's path loads (found by importing it in a subprocess and listing
  ``sys.modules``), and nothing of kzguard;
* ``stop path``: plus kzguard's own modules of the stop method
  (``kzguard.method``, ``kzguard.cli``, ``kzguard.stop.path``);
* ``start path``: the same for the start method.

Each is timed by CPU from ``RUSAGE_CHILDREN``; the medians are printed with their
ratio to ``pass`` and to the 10-zone budget.  Finally one subprocess imports the
stop path with ``dataclasses``' class processing timed (by the thread's CPU
clock), which says how much of kzguard's own import cost is making its dataclasses.

Not a test: nothing is asserted.  Results: docs/performance.md, "The floor under a
method's CPU".
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[1])
PATHS = {
    "stop": "import kzguard.method, kzguard.cli; from kzguard.stop import path",
    "start": "import kzguard.method, kzguard.cli; from kzguard.start import path",
}
# A 10-zone method within issue 13's 5 ms of CPU a zone.
BUDGET_MS = 50.0

PRELUDE = f"import sys; sys.path.insert(0, {ROOT!r}); "

STDLIB_OF = """
import sys
before = set(sys.modules)
{imports}
print(" ".join(sorted(
    name for name in set(sys.modules) - before
    if not name.startswith("kzguard") and not name.startswith("_")
)))
"""

DATACLASS_COST = """
import dataclasses, json, time
process = dataclasses._process_class
spent = [0.0, 0]
def timed(*args, **kwargs):
    began = time.thread_time()
    try:
        return process(*args, **kwargs)
    finally:
        spent[0] += time.thread_time() - began
        spent[1] += 1
dataclasses._process_class = timed
began = time.thread_time()
{imports}
print(json.dumps({{"imports": time.thread_time() - began, "dataclasses": spent[0],
                  "classes": spent[1]}}))
"""


def python(code: str) -> list[str]:
    return [sys.executable, "-I", "-S", "-c", code]


def cpu_ms(argv: list[str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000


def stdlib_of(imports: str) -> list[str]:
    completed = subprocess.run(
        python(PRELUDE + "import site\n" + STDLIB_OF.format(imports=imports)),
        check=True,
        capture_output=True,
        text=True,
    )
    return completed.stdout.split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "compileall", "-q", f"{ROOT}/kzguard"], check=True)
    stdlib = stdlib_of(PATHS["stop"])
    variants = {
        "pass": "pass",
        "site": "import site",
        "stdlib of stop": "import site\n" + "\n".join(f"import {name}" for name in stdlib),
        "stop path": PRELUDE + "import site\n" + PATHS["stop"],
        "start path": PRELUDE + "import site\n" + PATHS["start"],
    }
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.runs):
        for name, code in variants.items():
            samples[name].append(cpu_ms(python(code)))
    base = statistics.median(samples["pass"])
    print(f"{sys.executable} {sys.version.split()[0]}, -I -S, {args.runs} runs each, alternating")
    print(f"stdlib modules of the stop path (beside site's): {len(stdlib)}")
    print()
    print("| start | median CPU ms | min | x pass | x the 10-zone budget (50 ms) |")
    print("|---|---:|---:|---:|---:|")
    for name, values in samples.items():
        median = statistics.median(values)
        print(
            f"| {name} | {median:.1f} | {min(values):.1f} | {median / base:.2f} | "
            f"{median / BUDGET_MS:.2f} |"
        )
    completed = subprocess.run(
        python(PRELUDE + "import site\n" + DATACLASS_COST.format(imports=PATHS["stop"])),
        check=True,
        capture_output=True,
        text=True,
    )
    cost = json.loads(completed.stdout)
    print()
    print(
        f"stop path, one import: {cost['imports'] * 1000:.1f} ms of CPU importing (with "
        f"the standard library's), of it {cost['dataclasses'] * 1000:.1f} ms making "
        f"{cost['classes']} dataclasses ({cost['dataclasses'] / cost['classes'] * 1000:.2f} "
        "ms each)"
    )


if __name__ == "__main__":
    main()

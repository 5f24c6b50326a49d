"""The SMF method timeouts the policy needs, and whether the installed service has
them.  Pure: no I/O, and no jinja2 (``kzguard status`` and the refresh method use
it; the renderer, which imports jinja2, takes the timeouts from here).

svc.startd kills a method that outlives its ``timeout_seconds`` and puts the
instance in maintenance (docs/solaris.md 4, 5.4).  The manifest's timeouts come from
the policy's deadlines when ``kzguard apply`` renders it; a deadline raised in the
policy and taken in with ``svcadm refresh`` alone leaves the installed timeout as it
was, and the stop method would be killed before its deadline, the journal that tells
the next boot what to resume unfinished.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from kzguard.policy.model import Policy
from kzguard.solaris.parse.svcprop import Property

# What svc.startd's method timeout must cover beyond the policy's own deadline.
# The stop method's deadline clock starts when its handler starts, so it already
# contains the survey of the zones before the plan; outside it are (1) the Python
# interpreter starting and importing kzguard, which at shutdown competes with
# several suspend images being written to the same pool and may take tens of
# seconds, (2) the journal's final writes after the last step, each fsync'ed to that
# same busy pool, and (3) reaping commands killed at the deadline.  If svc.startd
# kills the method first, the journal that tells the start method which zones to
# resume is never completed and the instance goes to maintenance with
# stop_method_failed (docs/solaris.md 4, 5.4).  Two minutes is cheap next to that: a
# method that behaves never uses it.
METHOD_MARGIN = 120
# refresh only re-reads and checks the policy.
REFRESH_TIMEOUT = 60
# The deadline behind each method's timeout, as the policy names it.
_DEADLINE_KEYS = {"start": "resume.deadline", "stop": "shutdown.deadline"}


def method_timeouts(policy: Policy) -> dict[str, int]:
    """Return the ``timeout_seconds`` of the start, stop and refresh methods.

    Raises:
        ValueError: a timeout would be below one second.  SMF reads 0 (and -1) as
            "no timeout" (service_bundle DTD, docs/solaris.md 5.1), and a stop method
            without one can hold a shutdown forever.
    """
    timeouts = _timeouts(policy)
    for name, seconds in timeouts.items():
        if seconds < 1:
            raise ValueError(
                f"the {name} method timeout would be {seconds}s; SMF reads 0 as no timeout"
            )
    return timeouts


def _timeouts(policy: Policy) -> dict[str, int]:
    return {
        "start": math.ceil(policy.resume.deadline) + METHOD_MARGIN,
        "stop": math.ceil(policy.shutdown.deadline) + METHOD_MARGIN,
        "refresh": REFRESH_TIMEOUT,
    }


def short_timeouts(policy: Policy, running: Mapping[str, Mapping[str, Property]]) -> list[str]:
    """Why the installed start and stop methods (``running``: the properties of
    kzguard's instance, by group) would be killed before the policy's deadlines end,
    one reason a method; a timeout of 0 or -1 is none at all, and one that cannot be
    read is left to svc.startd."""
    wanted = _timeouts(policy)
    reasons = []
    for method, key in _DEADLINE_KEYS.items():
        values = running.get(method, {}).get("timeout_seconds", Property("count", ())).values
        try:
            installed = int(values[0]) if len(values) == 1 else None
        except ValueError:
            installed = None
        if installed is None or installed <= 0 or installed >= wanted[method]:
            continue
        reasons.append(
            f"the {method} method's SMF timeout is {installed}s, less than the "
            f"{wanted[method]}s its {key} needs: svc.startd would kill it before it "
            "ends; run kzguard apply"
        )
    return reasons

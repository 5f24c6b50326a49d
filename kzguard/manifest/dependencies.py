"""Keep kzguard's per-zone dependency groups in step with the managed zones.

Run by the start and refresh methods (never jinja2: this module does not import
the renderer).  The comparison and the reasons for per-zone groups are in
:mod:`kzguard.solaris.protection`; here the facts are read (svcprop on
svc:/site/kzguard:default, the zones and their instances) and the changes made
with ``svccfg -s svc:/site/kzguard:default`` and one ``svcadm refresh``.

The methods always exit 0 (kzguard.method): a change that cannot be made is
logged, one line per problem, naming the zones left unprotected and the command
to run, and ``kzguard status`` reports the guard as degraded.  After our own
``svcadm refresh`` svc.startd runs the refresh method, which finds the groups in
step and changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from kzguard.errors import CommandError
from kzguard.manifest.timeouts import short_timeouts
from kzguard.policy.model import Policy
from kzguard.policy.selection import decide, needs_config
from kzguard.solaris.argv import KZGUARD_INSTANCE
from kzguard.solaris.host import Host
from kzguard.solaris.parse.svcprop import Property
from kzguard.solaris.protection import (
    FIX_COMMAND,
    Protection,
    ProtectionPlan,
    group_name,
    held_zones,
    plan_protection,
    unprotected_text,
)

log = logging.getLogger(__name__)


def managed_zones(policy: Policy, host: Host) -> list[str]:
    """The zones the policy manages on the host, as the stop method would decide.
    Tolerant, like the stop path: a zone whose configuration cannot be read is
    managed, so it is held rather than left out.  Quiet: the start path has just
    warned about what it could not read."""
    zones = host.zones(
        configure=lambda listing: needs_config(policy, listing), tolerant=True, quiet=True
    )
    return [decision.zone.name for decision in decide(policy, zones) if decision.managed]


def read_protection(host: Host, instances: Mapping[str, bool]) -> Protection | None:
    """Which managed zones (``instances``: each one, and whether it has its SMF
    instance) the running snapshot of kzguard's instance holds; None when kzguard
    is not in the SMF repository.

    Raises:
        CommandError: svcprop failed for another reason than a missing instance.
    """
    running = host.instance_properties(KZGUARD_INSTANCE, current=False)
    return None if running is None else protection_of(running, instances)


def protection_of(
    running: Mapping[str, Mapping[str, Property]], instances: Mapping[str, bool]
) -> Protection:
    """:func:`read_protection` from the running snapshot's properties, read once."""
    wanted = tuple(zone for zone, present in instances.items() if present)
    held = set(held_zones(wanted, running))
    return Protection(wanted, tuple(zone for zone in wanted if zone not in held))


def keep_in_step(policy: Policy, host: Host, *, managed: Sequence[str] | None = None) -> None:
    """Add, fix and remove the zone-NAME groups on kzguard's instance so that it
    holds exactly the managed zones that have an SMF instance, and say when its
    method timeouts are shorter than the policy's deadlines need; never raises.
    ``managed``: the managed zones as the caller already decided them from the
    zones' configuration (the start method); None: read here."""
    try:
        running = host.instance_properties(KZGUARD_INSTANCE, current=False)
        if running is None:
            # Run by hand outside SMF, or the manifest is not imported: nothing to hold.
            log.debug("no SMF instance %s; no zone dependencies to keep", KZGUARD_INSTANCE)
            return
        # A deadline raised in the policy and taken in with svcadm refresh alone.
        for reason in short_timeouts(policy, running):
            log.error("%s", reason)
        current = host.instance_properties(KZGUARD_INSTANCE, current=True) or {}
        zones = list(managed) if managed is not None else managed_zones(policy, host)
        plan = plan_protection(zones, host.zone_instances(zones), current, running)
    except CommandError as error:
        # Nothing is changed on half the facts: removing the group of a zone that
        # could not be listed would stop holding it.
        log.warning(
            "zone dependencies of %s not checked: %s; %s", KZGUARD_INSTANCE, error, FIX_COMMAND
        )
        return
    if not plan.changes:
        return
    _carry_out(host, plan)


def _carry_out(host: Host, plan: ProtectionPlan) -> None:
    problems = []
    for _, words in plan.edits():
        try:
            host.configure_instance(KZGUARD_INSTANCE, *words)
        except CommandError as error:
            # The next edits would fail the same way (permissions, the repository):
            # stop at the first, and still refresh what was done.
            problems.append(str(error))
            break
    try:
        host.refresh_instance(KZGUARD_INSTANCE)
    except CommandError as error:
        problems.append(str(error))
    if not problems:
        log.info("zone dependencies of %s: %s", KZGUARD_INSTANCE, plan.describe())
        return
    unprotected = _unprotected_after(host, plan)
    for problem in problems:
        if unprotected:
            log.warning("%s; %s; %s", problem, unprotected_text(unprotected), FIX_COMMAND)
        else:
            stale = ", ".join(plan.remove) or ", ".join(group_name(zone) for zone in plan.wanted)
            # A stale group that an applied manifest delivers belongs to the service,
            # which `svccfg -s INSTANCE` may not remove (docs/solaris.md 13).
            log.warning(
                "%s; zone dependencies of %s not updated (%s); %s, or kzguard apply",
                problem,
                KZGUARD_INSTANCE,
                stale,
                FIX_COMMAND,
            )


def _unprotected_after(host: Host, plan: ProtectionPlan) -> tuple[str, ...]:
    """The wanted zones the running snapshot holds not, read again after a failure
    (svcadm refresh updates the running snapshot before it returns)."""
    try:
        running = host.instance_properties(KZGUARD_INSTANCE, current=False)
    except CommandError as error:
        log.debug("cannot read %s again: %s", KZGUARD_INSTANCE, error)
        running = None
    if running is None:
        return plan.unprotected
    held = set(held_zones(plan.wanted, running))
    return tuple(zone for zone in plan.wanted if zone not in held)

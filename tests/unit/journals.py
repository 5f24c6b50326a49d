"""Builders of journal records for unit tests: journals are made of the typed records
the stop path writes, never of hand-written dicts (tests of the on-disk format and of
corrupt files write raw JSON on purpose, and say so)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kzguard.journal.document import ArmedRecord, JournalDocument, StopCycle
from kzguard.journal.records import BootTimeEvidence, Fingerprint, ZoneRecord, ZoneState
from kzguard.model import Zone
from tests.unit.zones import kernel_zone

G = 1 << 30
BOOT = 1_700_000_000  # this boot of the global zone
EARLIER = BOOT - 3600  # the boot the stop ran in
ZONE_BOOT = 1_690_000_000  # a zone's own boot time, recorded before its suspend


def zone_record(
    state: ZoneState = ZoneState.SUSPENDED,
    *,
    boot_time: int | None = ZONE_BOOT,
    memory: int | None = 4 * G,
    print_of: Zone | None = None,
    fingerprint: Fingerprint | None = None,
    **fields: Any,
) -> ZoneRecord:
    """One zone of a stop cycle as the stop path records it; its fingerprint is
    ``fingerprint``, else that of ``print_of``, else that of a plain kernel zone."""
    return ZoneRecord(
        state=state,
        boot_time=BootTimeEvidence(boot_time),
        memory=memory,
        fingerprint=fingerprint or Fingerprint.of(print_of or kernel_zone("x")),
        **fields,
    )


def stop_cycle(
    zones: Mapping[str, ZoneRecord], *, host_boot_time: int | None = EARLIER, **fields: Any
) -> JournalDocument:
    """A journal whose last stop is pending."""
    return JournalDocument(cycle=StopCycle(host_boot_time=host_boot_time, zones=zones, **fields))


def armed(
    running: tuple[str, ...], *, host_boot_time: int | None = EARLIER, **fields: Any
) -> ArmedRecord:
    return ArmedRecord(host_boot_time=host_boot_time, time=1.0, running=running, **fields)

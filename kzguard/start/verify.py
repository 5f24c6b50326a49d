"""Whether a zone the start method brought up (or found running) kept its running
state: the resume marker and the in-zone boot time read after the boot, judged
against what the stop recorded (start/proof.py; docs/solaris.md 8).  A part of
:class:`kzguard.start.run.StartRun`, which logs under its name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

from kzguard.errors import CommandError, CommandFailed
from kzguard.journal.records import Severity, StartOutcome
from kzguard.policy.model import Policy
from kzguard.solaris.host import Host
from kzguard.start.plan import Item, Kind
from kzguard.start.proof import (
    BOOT_TIME,
    HOST_BOOT_TIME,
    NEITHER,
    UNREADABLE,
    MarkerReading,
    MarkerVerdict,
    judge_by_marker,
)
from kzguard.units import format_elapsed

# The start run's log (the console shows it: kzguard/console.py).
log = logging.getLogger("kzguard.start.run")

# zlogin can be refused for a moment after `zoneadm boot` returns while the zone
# finishes coming up (docs/solaris.md 11, open question 11): retry the boot-time read.
VERIFY_TIMEOUT = 60.0
POLL_INTERVAL = 0.5
PROBE_TIMEOUT = 15.0
# The resume marker is read with the boot time, by the same zlogin (retried while
# the zone comes up); alone, once, only when the boot time never came.  It is not
# removed: the next stop writes a new one over it (mv -f), the zone's next boot
# empties /system/volatile, and a start run again (killed before it journalled the
# zone) still finds it; removing it cost every resumed zone one more zlogin.
MARKER_TIMEOUT = 10.0

PRESERVED = "resumed (running state preserved)"
COLD_BOOTED = "cold-booted (running state LOST)"
STILL_BOOTING = "still booting"
UNVERIFIED = "already running (not verified)"
NOT_VERIFIED = "resumed (not verified: "
# Seconds by which a zone's clock and the global zone's may disagree about a boot
# time, when no recorded boot time can settle whether a zone was resumed.  A fresh
# boot comes well after the global zone's (SMF must first reach the zones); a resumed
# zone's boot time is older than the shutdown.  UNCONFIRMED how far a kernel zone's
# clock can drift from the host's; five minutes leaves room and only turns a claim
# into "not verified".
CLOCK_SLACK = 300


class Verifier:
    """The verification half of StartRun (which sets these attributes)."""

    policy: Policy
    host: Host
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    deadline_end: float
    host_boot_time: int | None

    def _verify(self, item: Item, seconds: float) -> StartOutcome:
        name = item.name
        prefix = "resumed by the zones service" if item.kind is Kind.VERIFY else "resumed"
        if not self.policy.resume.verify:
            return self._unverified(item, "resume.verify = false", seconds)
        now, reading = self._read_evidence(item)
        verdict = judge_by_marker(
            item.marker,
            reading,
            before=item.boot_time,
            after=now if isinstance(now, int) else None,
            after_error=now if isinstance(now, str) else "",
        )
        if verdict.preserved is not None:
            return self._by_marker(item, verdict, prefix, seconds)
        if verdict.proof.marker == UNREADABLE:
            log.warning("%s: %s", name, verdict.proof.note)
        outcome = self._by_boot_time(item, now, prefix, seconds)
        if isinstance(now, str) or outcome.result == UNVERIFIED or NOT_VERIFIED in outcome.result:
            trusted = NEITHER
        else:
            trusted = BOOT_TIME if item.boot_time is not None else HOST_BOOT_TIME
        return replace(outcome, proof=replace(verdict.proof, trusted=trusted))

    def _by_marker(
        self, item: Item, verdict: MarkerVerdict, prefix: str, seconds: float
    ) -> StartOutcome:
        name, detail = item.name, verdict.detail
        if verdict.preserved:
            result = PRESERVED.replace("resumed", prefix, 1)
            if detail:
                log.warning("%s %s in %s: %s", name, result, format_elapsed(seconds), detail)
            else:
                log.info("%s %s in %s", name, result, format_elapsed(seconds))
            return StartOutcome(name, result, Severity.OK, seconds, detail, verdict.proof)
        log.error("%s: %s: %s", name, COLD_BOOTED, detail)
        return StartOutcome(name, COLD_BOOTED, Severity.LOST, seconds, detail, verdict.proof)

    def _by_boot_time(
        self, item: Item, now: int | str, prefix: str, seconds: float
    ) -> StartOutcome:
        """The boot time alone decides (no marker, or none that could be read)."""
        name = item.name
        if isinstance(now, str):
            log.warning("%s: %s, but not verified: %s", name, prefix, now)
            return self._unverified(item, now, seconds)
        if item.boot_time is None:
            return self._judge_by_host_boot(item, now, prefix, seconds)
        if now == item.boot_time:
            log.info(
                "%s %s in %s",
                name,
                PRESERVED.replace("resumed", prefix, 1),
                format_elapsed(seconds),
            )
            return StartOutcome(name, PRESERVED.replace("resumed", prefix, 1), Severity.OK, seconds)
        detail = f"boot time {item.boot_time} before the suspend, {now} now"
        log.error("%s: %s: %s", name, COLD_BOOTED, detail)
        return StartOutcome(name, COLD_BOOTED, Severity.LOST, seconds, detail)

    def _judge_by_host_boot(
        self, item: Item, now: int, prefix: str, seconds: float
    ) -> StartOutcome:
        """No boot time was recorded before the suspend (a power loss or a crash in
        the stop, a journal that could not be written): the global zone's own boot
        time still decides the clear cases.  A zone that booted well before this
        global zone booted and runs now kept its running state (a resume, or a
        migration in); one that booted after it was booted cold.  The two clocks are
        the host's and the zone's own (kstat boot_time in each), so within
        CLOCK_SLACK of each other nothing is claimed."""
        host = self.host_boot_time
        name = item.name
        if host is not None and now < host - CLOCK_SLACK:
            outcome = f"{PRESERVED.replace('resumed', prefix, 1)}, booted before the global zone"
            log.info("%s %s in %s", name, outcome, format_elapsed(seconds))
            return StartOutcome(name, outcome, Severity.OK, seconds)
        if host is not None and now > host + CLOCK_SLACK:
            detail = f"no boot time recorded; booted at {now}, after the global zone ({host})"
            log.error("%s: %s: %s", name, COLD_BOOTED, detail)
            return StartOutcome(name, COLD_BOOTED, Severity.LOST, seconds, detail)
        return self._unverified(item, "no boot time was recorded", seconds)

    def _unverified(self, item: Item, why: str, seconds: float) -> StartOutcome:
        if item.kind is Kind.VERIFY:
            # Found running: the zones service (or an operator) may have resumed it,
            # or booted it cold after a halt or a power loss took its image.  Without
            # the boot-time proof, kzguard claims neither (the soak found "resumed"
            # reported for a zone the zones service had booted cold).
            log.warning("%s: already running; whether its running state survived is "
                        "not known: %s", item.name, why)  # fmt: skip
            return StartOutcome(item.name, UNVERIFIED, Severity.LEFT, seconds, why)
        # kzguard itself booted a suspended zone: that is a resume, proof or not.
        return StartOutcome(item.name, f"resumed (not verified: {why})", Severity.OK, seconds)

    def _read_evidence(self, item: Item) -> tuple[int | str, MarkerReading | None]:
        """The zone's boot time now (or why it is unreadable) and, if a marker was
        written before the suspend, the marker: both by one zlogin, retried while
        the zone comes up; the marker alone once more if the boot time never came."""
        if item.marker is None or item.marker.nonce is None:
            return self._read_boot_time(item.name), None
        marker: str | CommandFailed | None = None

        def read(timeout: float) -> int:
            nonlocal marker
            boot_time, marker = self.host.boot_time_and_marker(item.name, timeout=timeout)
            return boot_time

        now = self._read_boot_time(item.name, read)
        if isinstance(now, str):
            return now, self._read_marker(item.name)
        if isinstance(marker, CommandFailed):
            return now, MarkerReading(error=str(marker))
        return now, MarkerReading(marker)

    def _read_marker(self, name: str) -> MarkerReading:
        """The resume marker alone, once (bounded)."""
        timeout = max(min(MARKER_TIMEOUT, self.deadline_end - self.clock()), 0.1)
        try:
            text = self.host.read_resume_marker(name, timeout=timeout)
        except CommandError as error:
            return MarkerReading(error=str(error))
        return MarkerReading(text)

    def _read_boot_time(self, name: str, read: Callable[[float], int] | None = None) -> int | str:
        """The zone's boot time by ``read`` (by default kstat alone), retried until
        VERIFY_TIMEOUT; else why it is unreadable."""
        if read is None:

            def read(timeout: float) -> int:
                return self.host.boot_time(name, timeout=timeout)

        limit = min(self.clock() + VERIFY_TIMEOUT, self.deadline_end)
        while True:
            try:
                return read(max(min(PROBE_TIMEOUT, limit - self.clock()), 0.1))
            except CommandError as error:
                if self.clock() + POLL_INTERVAL >= limit:
                    return f"boot time unreadable: {error}"
            self.sleep(POLL_INTERVAL)

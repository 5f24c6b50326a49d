"""Telling a resume from a fresh boot by the resume marker, and which signal to
trust when the marker and the boot time disagree (issue 11).  Pure.

Two signals, both recorded in the journal (:class:`kzguard.journal.records.Proof`):

- the zone's own boot time, read before the suspend and after the resume.  A resume
  should leave it alone, but whether boot_time is rewritten at a resume is
  UNCONFIRMED and the guest clock is stepped after one (docs/solaris.md 8), so it
  can move although the running state survived;
- the resume marker, a nonce written into /system/volatile just before the suspend.
  /system/volatile is memory: the suspend image carries it and every boot starts it
  empty (docs/solaris.md 8, 14).  Found again, it proves the running state survived,
  whatever any clock says; gone, it proves a fresh boot.

The verdict, marker first:

====================  =================  ==========================================
marker                boot time          verdict (trusted)
====================  =================  ==========================================
found                 same               preserved (marker; both agree)
found                 moved by N s       preserved (marker; the clock was stepped)
found                 not comparable     preserved (marker)
gone or different     changed            LOST (marker; both agree)
gone or different     same               LOST (marker; they disagree, see below)
gone or different     not comparable     LOST (marker)
unreadable            any                the boot time decides, with the reason
not written           any                the boot time decides, with the reason
not recorded          any                the boot time decides (older journals)
====================  =================  ==========================================

Gone although the boot time is unchanged: the marker is trusted.  kzguard wrote it
with a rename and saw that succeed before the suspend began, and /system/volatile is
emptied at every boot (docs/solaris.md 8), so its absence is what a fresh boot
leaves; an unchanged boot time is a clock reading, the signal whose behaviour at a
resume is unconfirmed.  And the costs differ: a false "lost" makes an operator look,
a false "preserved" hides a lost running state.
"""

from __future__ import annotations

from dataclasses import dataclass

from kzguard.journal.records import MarkerEvidence, Proof

# Proof.trusted
MARKER = "marker"
BOOT_TIME = "boot time"
HOST_BOOT_TIME = "host boot time"  # no boot time recorded: the global zone's decided
NEITHER = "none"

# Proof.marker: what the marker showed after the resume.
FOUND = "found"
GONE = "gone"
DIFFERENT = "different"
UNREADABLE = "unreadable"
NOT_WRITTEN = "not written"
NOT_RECORDED = "none"


@dataclass(frozen=True)
class MarkerReading:
    """The marker as read after the resume: its text, None when there is no marker
    file, or ``error`` when it could not be read (zlogin failed)."""

    text: str | None = None
    error: str = ""


@dataclass(frozen=True)
class MarkerVerdict:
    """``preserved`` None: the marker decides nothing and the boot time must, the
    proof's ``trusted`` still to be filled in by the caller."""

    preserved: bool | None
    proof: Proof
    detail: str = ""  # for the outcome: "" where the verdict reads as before


def judge_by_marker(
    written: MarkerEvidence | None,
    reading: MarkerReading | None,
    *,
    before: int | None,
    after: int | None,
    after_error: str = "",
) -> MarkerVerdict:
    """Decide from the marker written before the suspend and ``reading`` (None: not
    read, because none was written); ``before`` and ``after`` are the zone's boot
    times (None: unknown, ``after_error`` says why when it could not be read)."""
    state = _marker_state(written, reading)
    proof = Proof(NEITHER, state, before, after)
    if state in (FOUND, GONE, DIFFERENT):
        return _decided(proof, before, after, after_error)
    if state == UNREADABLE and reading is not None:
        note = f"marker unreadable ({reading.error}); judged by the boot time"
    elif state == NOT_WRITTEN and written is not None:
        note = f"marker not written ({written.error}); judged by the boot time"
    else:
        note = ""
    return MarkerVerdict(None, Proof(NEITHER, state, before, after, note))


def _marker_state(written: MarkerEvidence | None, reading: MarkerReading | None) -> str:
    if written is None:
        return NOT_RECORDED
    if written.nonce is None or reading is None:
        return NOT_WRITTEN
    if reading.error:
        return UNREADABLE
    if reading.text is None:
        return GONE
    return FOUND if reading.text == written.nonce else DIFFERENT


def _decided(
    proof: Proof, before: int | None, after: int | None, after_error: str
) -> MarkerVerdict:
    state = proof.marker
    what = "resume marker gone" if state == GONE else "resume marker not the one written"
    if before is None or after is None:
        unknown = (
            "no boot time was recorded" if before is None else after_error or "boot time unknown"
        )
        if state == FOUND:
            return MarkerVerdict(True, Proof(MARKER, state, before, after, unknown))
        detail = f"{what}; {unknown}"
        return MarkerVerdict(False, Proof(MARKER, state, before, after, detail), detail)
    if state == FOUND:
        if after == before:
            return MarkerVerdict(True, Proof(MARKER, state, before, after))
        moved = (
            f"boot time moved by {after - before:+d}s (guest clock stepped at resume); "
            "the marker is trusted: it cannot survive a fresh boot"
        )
        return MarkerVerdict(True, Proof(MARKER, state, before, after, moved), moved)
    if after != before:
        # Both say fresh boot: the outcome reads as it did before the marker.
        detail = f"boot time {before} before the suspend, {after} now"
        return MarkerVerdict(False, Proof(MARKER, state, before, after, what), detail)
    disagree = (
        f"{what} but boot time unchanged ({before}); the marker is trusted: "
        "/system/volatile is emptied at every boot"
    )
    return MarkerVerdict(False, Proof(MARKER, state, before, after, disagree), disagree)

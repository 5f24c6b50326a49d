"""The resume marker (issue 11, section 3) piece by piece: its argv forms, the host
adapter's reading of cat and zlogin failures, the verdict table (start/proof.py), the
journal records (old journals stay readable), and the gate that keeps a zone's
marker write and its suspend apart.  No subprocess."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

import pytest

from kzguard.errors import CommandFailed, OutputParseError
from kzguard.journal.document import JournalDocument, ResumedZone, StartRecord, StopCycle
from kzguard.journal.records import (
    MarkerEvidence,
    Proof,
    Severity,
    StartOutcome,
    ZoneRecord,
    ZoneState,
)
from kzguard.journal.store import Journal
from kzguard.policy.model import Action, Commands
from kzguard.solaris.argv import Argv
from kzguard.solaris.host import Host
from kzguard.solaris.runner import CommandResult
from kzguard.start.plan import Item, Kind
from kzguard.start.proof import MarkerReading, judge_by_marker
from kzguard.start.verify import Verifier
from kzguard.status.health import assess, proof_words
from kzguard.stop import marker, readahead
from kzguard.stop.plan import StopPlan, ZonePlan
from kzguard.stop.run import StopRun

ARGV = Argv(Commands())
NONCE = "0123456789abcdef0123456789abcdef"
FILE = "/system/volatile/kzguard/resume-marker"
ZLOGIN = ["/usr/sbin/zlogin", "-n", "kz1"]


# -- argv and the host adapter ----------------------------------------------------


WRITING = (
    f"/usr/bin/mkdir -p /system/volatile/kzguard && /usr/bin/echo {NONCE} > {FILE}.tmp "
    f"&& /usr/bin/mv -f {FILE}.tmp {FILE}"
)


def test_the_marker_is_written_by_one_and_list() -> None:
    assert ARGV.marker_writing("kz1", NONCE) == [*ZLOGIN, *WRITING.split(" ")]
    assert ARGV.marker_reading("kz1") == [*ZLOGIN, "/usr/bin/cat", FILE]


@pytest.mark.parametrize(
    "nonce", ["", "0123456789abcde", "f" * 65, NONCE.upper(), "0123456789abcdef;rm", "01 23" * 4]
)
def test_a_marker_the_zone_s_shell_could_misread_is_refused(nonce: str) -> None:
    with pytest.raises(ValueError, match=r"is not a resume marker \(16 to 64 lowercase hex"):
        ARGV.marker_writing("kz1", nonce)


class ScriptedRunner:
    """Answers each argv (joined by blanks, program name only) from a table."""

    def __init__(self, answers: dict[str, CommandResult | Exception] | None = None) -> None:
        self.answers = answers or {}
        self.calls: list[tuple[list[str], float]] = []

    def run(self, argv: Sequence[str], *, timeout: float, **_: Any) -> CommandResult:
        self.calls.append((list(argv), timeout))
        answer = self.answers.get(" ".join(argv[3:]))
        if isinstance(answer, Exception):
            raise answer
        return answer or CommandResult(tuple(argv), 0, "", "", 0.0)


class RefusingRunner(ScriptedRunner):
    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def run(self, argv: Sequence[str], *, timeout: float, **_: Any) -> CommandResult:
        self.calls.append((list(argv), timeout))
        raise self.error


def host_with(runner: ScriptedRunner) -> Host:
    return Host(Commands(), runner)  # type: ignore[arg-type]


def test_the_adapter_writes_with_one_zlogin_within_the_timeout() -> None:
    runner = ScriptedRunner()
    host_with(runner).write_resume_marker("kz1", NONCE, timeout=5.0)
    assert runner.calls == [([*ZLOGIN, *WRITING.split(" ")], 5.0)]
    failed = CommandFailed([*ZLOGIN, "/usr/bin/mkdir"], 2, "mkdir: Read-only file system\n")
    runner = ScriptedRunner({WRITING: failed})
    with pytest.raises(CommandFailed) as raised:
        host_with(runner).write_resume_marker("kz1", NONCE, timeout=5.0)
    assert raised.value is failed
    assert len(runner.calls) == 1


def test_only_cat_s_own_no_such_file_means_no_marker() -> None:
    found = CommandResult((), 0, NONCE + "\n", "", 0.0)
    runner = ScriptedRunner({f"/usr/bin/cat {FILE}": found})
    assert host_with(runner).read_resume_marker("kz1", timeout=3.0) == NONCE
    assert runner.calls == [([*ZLOGIN, "/usr/bin/cat", FILE], 3.0)]
    missing = CommandFailed([], 2, f"cat: cannot open {FILE}: No such file or directory\n")
    runner = ScriptedRunner({f"/usr/bin/cat {FILE}": missing})
    assert host_with(runner).read_resume_marker("kz1", timeout=3.0) is None
    # zlogin's own failures, even one naming ENOENT, prove nothing about the marker.
    for stderr in (
        "zlogin: could not enter zone kz1: Connection refused\n",
        "zlogin: cannot exec /usr/bin/cat: No such file or directory\n",
    ):
        refused = CommandFailed([], 1, stderr)
        runner = ScriptedRunner({f"/usr/bin/cat {FILE}": refused})
        with pytest.raises(CommandFailed) as raised:
            host_with(runner).read_resume_marker("kz1", timeout=3.0)
        assert raised.value is refused


KSTAT_LINE = "unix:0:system_misc:boot_time\t1700000000\n"
BOTH = f"/usr/bin/kstat -p unix:0:system_misc:boot_time && /usr/bin/cat {FILE}"


def test_the_boot_time_and_the_marker_are_read_by_one_zlogin() -> None:
    assert ARGV.boot_time_and_marker("kz1") == [*ZLOGIN, *BOTH.split(" ")]
    found = CommandResult((), 0, KSTAT_LINE + NONCE + "\n", "", 0.0)
    runner = ScriptedRunner({BOTH: found})
    assert host_with(runner).boot_time_and_marker("kz1", timeout=4.0) == (1700000000, NONCE)
    assert runner.calls == [([*ZLOGIN, *BOTH.split(" ")], 4.0)]


def test_with_the_boot_time_read_cat_s_failure_is_the_marker_s() -> None:
    # The AND list's status is cat's; kstat's line came first.
    missing = CommandFailed([], 2, f"cat: cannot open {FILE}: No such file or directory\n")
    missing.stdout = KSTAT_LINE
    runner = ScriptedRunner({BOTH: missing})
    assert host_with(runner).boot_time_and_marker("kz1", timeout=4.0) == (1700000000, None)
    broken = CommandFailed([], 2, f"cat: cannot open {FILE}: I/O error\n", KSTAT_LINE)
    runner = ScriptedRunner({BOTH: broken})
    assert host_with(runner).boot_time_and_marker("kz1", timeout=4.0) == (1700000000, broken)


def test_without_the_boot_time_the_combined_read_fails_as_a_whole() -> None:
    # zlogin refused (nothing printed), or a kstat line kzguard cannot read.
    refused = CommandFailed([], 1, "zlogin: could not enter zone kz1: Connection refused\n")
    runner = ScriptedRunner({BOTH: refused})
    with pytest.raises(CommandFailed) as raised:
        host_with(runner).boot_time_and_marker("kz1", timeout=4.0)
    assert raised.value is refused
    garbled = CommandResult((), 0, "boot_time soon\n" + NONCE + "\n", "", 0.0)
    runner = ScriptedRunner({BOTH: garbled})
    with pytest.raises(OutputParseError) as unread:
        host_with(runner).boot_time_and_marker("kz1", timeout=4.0)
    assert unread.value.line == "boot_time soon"


READ_AND_WRITE = f"/usr/bin/kstat -p unix:0:system_misc:boot_time && {WRITING}"


def test_before_the_suspend_one_zlogin_reads_the_boot_time_then_writes_the_marker() -> None:
    assert ARGV.boot_time_and_marker_writing("kz1", NONCE) == [*ZLOGIN, *READ_AND_WRITE.split()]
    with pytest.raises(ValueError, match="is not a resume marker"):
        ARGV.boot_time_and_marker_writing("kz1", NONCE + ";")
    answered = CommandResult((), 0, KSTAT_LINE, "", 0.0)
    runner = ScriptedRunner({READ_AND_WRITE: answered})
    host = host_with(runner)
    assert host.boot_time_and_new_marker("kz1", NONCE, timeout=5.0) == (1700000000, None)
    assert runner.calls == [([*ZLOGIN, *READ_AND_WRITE.split()], 5.0)]
    # kstat answered, then the marker's part failed: the list's status is its.
    readonly = CommandFailed([], 2, "mkdir: Read-only file system\n", KSTAT_LINE)
    runner = ScriptedRunner({READ_AND_WRITE: readonly})
    assert host_with(runner).boot_time_and_new_marker("kz1", NONCE, timeout=5.0) == (
        1700000000,
        readonly,
    )


def test_without_the_boot_time_the_read_and_write_fails_as_a_whole() -> None:
    refused = CommandFailed([], 1, "zlogin: could not enter zone kz1: Connection refused\n")
    runner = ScriptedRunner({READ_AND_WRITE: refused})
    with pytest.raises(CommandFailed) as raised:
        host_with(runner).boot_time_and_new_marker("kz1", NONCE, timeout=5.0)
    assert raised.value is refused
    garbled = CommandFailed([], 2, "mkdir: Read-only file system\n", "boot_time soon\n")
    runner = ScriptedRunner({READ_AND_WRITE: garbled})
    with pytest.raises(OutputParseError) as unread:
        host_with(runner).boot_time_and_new_marker("kz1", NONCE, timeout=5.0)
    assert unread.value.line == "boot_time soon"


# -- the verdict ----------------------------------------------------------------

WRITTEN = MarkerEvidence(NONCE)
MOVED = (
    "boot time moved by +3600s (guest clock stepped at resume); the marker is trusted: it "
    "cannot survive a fresh boot"
)
UNCHANGED = (
    "resume marker gone but boot time unchanged (100); the marker is trusted: "
    "/system/volatile is emptied at every boot"
)
Row = tuple[MarkerEvidence | None, MarkerReading | None, int | None, int | None, str]


@pytest.mark.parametrize(
    ("row", "preserved", "proof", "detail"),
    [
        ((WRITTEN, MarkerReading(NONCE), 100, 100, ""), True, ("marker", "found", ""), ""),
        ((WRITTEN, MarkerReading(NONCE), 100, 3700, ""), True, ("marker", "found", MOVED), MOVED),
        (
            (WRITTEN, MarkerReading(NONCE), 100, None, "zlogin: refused"),
            True,
            ("marker", "found", "zlogin: refused"),
            "",
        ),
        (
            (WRITTEN, MarkerReading(NONCE), None, 100, ""),
            True,
            ("marker", "found", "no boot time was recorded"),
            "",
        ),
        (
            (WRITTEN, MarkerReading(None), 100, 200, ""),
            False,
            ("marker", "gone", "resume marker gone"),
            "boot time 100 before the suspend, 200 now",
        ),
        ((WRITTEN, MarkerReading(None), 100, 100, ""), False, ("marker", "gone", UNCHANGED), UNCHANGED),
        (
            (WRITTEN, MarkerReading("f" * 32), 100, None, ""),
            False,
            ("marker", "different", "resume marker not the one written; boot time unknown"),
            "resume marker not the one written; boot time unknown",
        ),
        (
            (WRITTEN, MarkerReading(error="zlogin: refused"), 100, 100, ""),
            None,
            ("none", "unreadable", "marker unreadable (zlogin: refused); judged by the boot time"),
            "",
        ),
        (
            (MarkerEvidence(None, "read-only"), None, 100, 100, ""),
            None,
            ("none", "not written", "marker not written (read-only); judged by the boot time"),
            "",
        ),
        ((None, None, 100, 100, ""), None, ("none", "none", ""), ""),
    ],
)  # fmt: skip
def test_the_verdict_table(
    row: Row, preserved: bool | None, proof: tuple[str, str, str], detail: str
) -> None:
    written, reading, before, after, after_error = row
    verdict = judge_by_marker(written, reading, before=before, after=after, after_error=after_error)
    assert (verdict.preserved, verdict.detail) == (preserved, detail)
    assert verdict.proof == Proof(*proof[:2], before, after, proof[2])


# -- the journal ------------------------------------------------------------------


def test_the_marker_and_the_proof_round_trip_and_old_journals_still_read() -> None:
    record = ZoneRecord(state=ZoneState.SUSPENDED, marker=MarkerEvidence(NONCE))
    assert record.to_json()["marker"] == NONCE
    assert "marker_error" not in record.to_json()
    assert ZoneRecord.from_json(record.to_json()) == record
    failed = ZoneRecord(marker=MarkerEvidence(None, "zlogin: refused"))
    assert {k: failed.to_json()[k] for k in ("marker", "marker_error")} == {
        "marker": None,
        "marker_error": "zlogin: refused",
    }
    assert ZoneRecord.from_json(failed.to_json()) == failed
    # Before issue 11: no marker keys, no proof; garbage reads as unknown.
    old = ZoneRecord.from_json({"state": "suspended", "boot_time": 5, "transitions": []})
    assert (old.marker, old.extra) == (None, {})
    assert ZoneRecord.from_json({"marker": 7, "marker_error": ["x"]}).marker == MarkerEvidence(None)
    proof = Proof("marker", "found", 1, 2, "note")
    outcome = StartOutcome("kz1", "resumed", Severity.OK, 1.0, "", proof)
    zone = ResumedZone.of(outcome, 9.0)
    assert zone.to_json()["proof"] == {
        "trusted": "marker",
        "marker": "found",
        "boot_time_before": 1,
        "boot_time_after": 2,
        "note": "note",
    }
    assert ResumedZone.from_json(zone.to_json()) == zone
    plain = ResumedZone.of(StartOutcome("kz1", "booted", Severity.OK), 9.0)
    assert "proof" not in plain.to_json()
    assert ResumedZone.from_json(plain.to_json()).proof is None
    assert Proof.from_json({"trusted": 3}) == Proof("?", "?")
    assert Proof.from_json("found") is None
    document = JournalDocument.from_json(
        {"format": 1, "resume": {"zones": {"kz1": {"result": "resumed", "severity": "ok"}}}}
    )
    assert document.start is not None
    assert document.start.zones is not None
    assert document.start.zones["kz1"].proof is None


# -- the gate between a marker write and its zone's suspend -------------------------


def test_a_gate_given_up_before_the_write_never_lets_it_begin() -> None:
    gate = marker.MarkerGate()
    assert gate.close() is True
    assert gate.begin() is False
    written = marker.MarkerGate()
    assert written.begin() is True
    written.end()
    assert written.close() is False


class SlowMarkerHost:
    """kz1's marker write blocks until released; the others' are instant."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.events: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def _note(self, zone: str, what: str) -> None:
        with self._lock:
            self.events.append((zone, what))

    def write_resume_marker(self, zone_name: str, nonce: str, *, timeout: float) -> None:
        self._note(zone_name, "write begins")
        if zone_name == "kz1":
            assert self.release.wait(10.0)
        self._note(zone_name, "write ends")

    def operate(self, zone_name: str, subcommand: str, *args: str, timeout: float) -> None:
        self._note(zone_name, subcommand)


def test_a_suspend_waits_for_a_write_under_way_and_gives_up_one_not_begun(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One reader, held by kz1's write: kz2's write cannot begin before its suspend.
    monkeypatch.setattr(readahead, "BOOT_TIME_READERS", 1)
    monkeypatch.setattr(readahead, "BOOT_TIME_TIMEOUT", 0.05)
    plans = tuple(
        ZonePlan(name, (Action.SUSPEND,), (60.0,), None, 1.0, "test", ()) for name in ("kz1", "kz2")
    )
    plan = StopPlan(deadline=100.0, reserve=0.0, parallel=2, zones=plans, skipped=())
    host = SlowMarkerHost()
    journal = Journal(None)
    journal.begin_cycle(StopCycle())
    stop = StopRun(plan, host, journal, record_boot_time=False, write_marker=True)  # type: ignore[arg-type]
    threading.Timer(0.3, host.release.set).start()
    report = stop.run()
    assert [outcome.result for outcome in report.outcomes] == [ZoneState.SUSPENDED] * 2
    kz1 = [what for zone, what in host.events if zone == "kz1"]
    assert kz1 == ["write begins", "write ends", "suspend"]
    time.sleep(0.1)  # kz2's reading, run once kz1's ends, finds the gate closed
    assert [what for zone, what in host.events if zone == "kz2"] == ["suspend"]
    cycle = journal.cycle
    assert cycle is not None
    nonce = cycle.zones["kz1"].marker
    assert nonce is not None
    assert nonce.nonce is not None
    assert len(nonce.nonce) == 32
    assert cycle.zones["kz2"].marker == MarkerEvidence(None, "the suspend could not wait for it")


# -- kzguard status ------------------------------------------------------------------


def test_status_names_the_proof_of_the_last_boot() -> None:
    moved = Proof("marker", "found", 100, 3700, MOVED)
    fallback = Proof("boot time", "unreadable", 100, 100, "marker unreadable (x); judged by …")
    document = JournalDocument(
        start=StartRecord(
            zones={
                "kz1": ResumedZone(
                    "resumed (running state preserved)", Severity.OK, 1.0, MOVED, proof=moved
                ),
                "kz2": ResumedZone(
                    "resumed (running state preserved)", Severity.OK, 1.0, proof=fallback
                ),
                "kz3": ResumedZone("booted", Severity.OK, 1.0),
            }
        )
    )
    health = assess(
        document,
        policy_problems=[],
        policy_in_force="/p.toml",
        journal_problem=None,
        host_boot_time=None,
    )
    assert {
        name: (zone.last_boot, zone.last_boot_proof) for name, zone in health.zones.items()
    } == {
        "kz1": (
            f"resumed (running state preserved) in 1.0s ({MOVED}) [proof: resume marker]",
            moved,
        ),
        "kz2": (
            "resumed (running state preserved) in 1.0s [proof: boot time (marker unreadable)]",
            fallback,
        ),
        "kz3": ("booted in 1.0s", None),
    }
    assert proof_words(Proof("host boot time", "not written")) == (
        "global zone's boot time (marker not written)"
    )
    assert proof_words(Proof("later", "found")) == "later"


def test_a_marker_that_cannot_be_written_is_recorded_with_the_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    refused = CommandFailed([*ZLOGIN, "/usr/bin/mkdir"], 1, "zlogin: Connection refused\n")
    # The nonce is random: the runner refuses every command line.
    runner = RefusingRunner(refused)
    with caplog.at_level("WARNING", logger="kzguard"):
        evidence = marker.write(host_with(runner), "kz1", timeout=5.0)
    assert evidence == MarkerEvidence(None, str(refused))
    assert [record.getMessage() for record in caplog.records] == [
        f"kz1: resume marker not written ({refused.brief()}); its resume will be judged by its "
        "boot time"
    ]
    written = marker.write(host_with(ScriptedRunner()), "kz1", timeout=5.0)
    assert written.error == ""
    assert written.nonce is not None
    assert len(written.nonce) == 32


# -- the evidence after the boot (start/verify.py) ---------------------------------


class EvidenceHost:
    """Answers the combined read from ``answers`` (the last repeats), and the
    marker's read alone with ``alone``; records what was asked."""

    def __init__(
        self, answers: list[tuple[int, str | CommandFailed | None] | Exception], alone: str
    ) -> None:
        self.answers, self.alone = answers, alone
        self.asked: list[str] = []

    def boot_time_and_marker(
        self, zone_name: str, *, timeout: float
    ) -> tuple[int, str | CommandFailed | None]:
        self.asked.append("both")
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def read_resume_marker(self, zone_name: str, *, timeout: float) -> str | None:
        self.asked.append("marker")
        return self.alone


def verifier(host: EvidenceHost) -> Verifier:
    found = Verifier()
    now = [0.0]
    found.host = host  # type: ignore[assignment]
    found.clock = lambda: now[0]
    found.sleep = lambda seconds: now.__setitem__(0, now[0] + seconds)
    found.deadline_end = 1000.0
    return found


def resumed(nonce: str | None) -> Item:
    evidence = None if nonce is None else MarkerEvidence(nonce)
    return Item("kz1", Kind.RESUME, "suspended at shutdown", 1700000000, None, marker=evidence)


def test_the_boot_time_and_the_marker_come_together_once_zlogin_lets_in() -> None:
    refused = CommandFailed(["zlogin"], 1, "zlogin: could not enter zone kz1\n")
    host = EvidenceHost([refused, refused, (1700000000, NONCE)], alone="unused")
    assert verifier(host)._read_evidence(resumed(NONCE)) == (1700000000, MarkerReading(NONCE))
    assert host.asked == ["both", "both", "both"]


def test_cat_s_failure_after_kstat_is_an_unreadable_marker_not_a_retry() -> None:
    broken = CommandFailed(["zlogin"], 2, "cat: I/O error\n", KSTAT_LINE)
    host = EvidenceHost([(1700000000, broken)], alone="unused")
    assert verifier(host)._read_evidence(resumed(NONCE)) == (
        1700000000,
        MarkerReading(error=str(broken)),
    )
    assert host.asked == ["both"]


def test_without_a_boot_time_the_marker_is_read_alone_once() -> None:
    refused = CommandFailed(["zlogin"], 1, "zlogin: could not enter zone kz1\n")
    host = EvidenceHost([refused], alone=NONCE)
    now, reading = verifier(host)._read_evidence(resumed(NONCE))
    assert now == f"boot time unreadable: {refused}"
    assert reading == MarkerReading(NONCE)
    # Every POLL_INTERVAL for VERIFY_TIMEOUT, then the marker alone.
    assert host.asked == ["both"] * 120 + ["marker"]


def test_no_marker_written_no_marker_read() -> None:
    class BootTimeOnly(EvidenceHost):
        def boot_time(self, zone_name: str, *, timeout: float) -> int:
            self.asked.append("boot time")
            return 1700000000

    host = BootTimeOnly([], alone="unused")
    assert verifier(host)._read_evidence(resumed(None)) == (1700000000, None)
    assert host.asked == ["boot time"]

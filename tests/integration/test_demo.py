"""``kzguard demo``: an init 6 and the next boot of a simulated host, with kzguard's
SMF methods run from the rendered manifest as svc.startd would run them."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kzguard import cli
from kzguard.journal.document import ResumedZone
from kzguard.journal.records import Severity, UnknownState, ZoneRecord, ZoneState
from kzguard.sim import control, demo, demo_report, method_script, shutdown, svcstartd
from kzguard.sim.state import SimHost
from tests.integration.conftest import Completed

HEADER = "  ID NAME             STATUS      PATH                         BRAND      IP"
RESULT_HEADER = "ZONE  MANAGED  SUSPEND  RESUME  BOOT TIME BEFORE  BOOT TIME AFTER  VERDICT"
EXEC = "/lib/svc/method/svc-kzguard %m %{config/policy}"


def run_demo(*args: str) -> tuple[Completed, float]:
    """``kzguard demo`` in a subprocess (``python -m kzguard.sim.demo``) and its wall time."""
    started = time.monotonic()
    completed = subprocess.run(
        [sys.executable, "-m", "kzguard", "demo", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
        check=False,
    )
    elapsed = time.monotonic() - started
    return Completed(completed.returncode, completed.stdout, completed.stderr), elapsed


def listings(stdout: str) -> list[dict[str, str]]:
    """Each ``zoneadm list -cv`` printed: zone name -> status."""
    tables = []
    lines = stdout.splitlines()
    for index, line in enumerate(lines):
        if line != HEADER:
            continue
        table = {}
        for row in lines[index + 1 :]:
            fields = row.split()
            if len(fields) != 6:
                break
            table[fields[1]] = fields[2]
        tables.append(table)
    return tables


def verdicts(stdout: str) -> dict[str, list[str]]:
    """The final table: zone -> [managed, suspend, resume, before, after, verdict]."""
    lines = stdout.splitlines()
    start = lines.index(RESULT_HEADER)
    table = {}
    for row in lines[start + 1 :]:
        if not row:
            break
        zone, *cells = re.split(r" {2,}", row)
        table[zone] = cells
    return table


def test_demo_reboots_the_host_and_every_managed_zone_keeps_its_running_state() -> None:
    result, elapsed = run_demo()
    assert result.status == 0, result.stdout + result.stderr
    assert result.stderr == ""
    assert elapsed < 60
    before, after = listings(result.stdout)
    zones = {"global", "kz1", "kz2", "kz3", "kz4", "kz5", "ngz1"}
    assert before == dict.fromkeys(zones, "running")
    assert after == dict.fromkeys(zones, "running")
    table = verdicts(result.stdout)
    assert sorted(table) == sorted(zones - {"global"})
    for zone in ("kz1", "kz2", "kz3", "kz4"):
        managed, suspend, resume, then, now, verdict = table[zone]
        assert (managed, verdict) == ("yes", "running state preserved"), table[zone]
        assert re.fullmatch(r"\d+\.\ds", suspend), table[zone]
        assert re.fullmatch(r"\d+\.\ds", resume), table[zone]
        assert then == now != "-"
    # The contrast: the kernel zone without a suspend resource and the native zone
    # were shut down by the zones service and booted fresh.
    for zone in ("kz5", "ngz1"):
        managed, suspend, resume, then, now, verdict = table[zone]
        assert (managed, suspend, resume, verdict) == ("no", "-", "-", "running state LOST")
        assert then != now
    out = result.stdout
    assert "kz5   solaris-kz" in out
    assert "no suspend resource (select.auto needs one)" in out
    # The real shutdown order: kzguard's dependencies hold the managed zones' instances
    # until its stop method has ended; the others are leaves of the SMF graph, and the
    # zones service shuts them down while the stop method runs.
    lines = out.splitlines()
    graph = lines.index(
        "held until the stop method of svc:/site/kzguard:default ends (its dependencies):"
    )
    assert lines[graph + 1 : graph + 8] == [
        "  svc:/system/zones/zone:kz1",
        "  svc:/system/zones/zone:kz2",
        "  svc:/system/zones/zone:kz3",
        "  svc:/system/zones/zone:kz4",
        "leaves, stopped now (the zones service applies their autoshutdown):",
        "  svc:/system/zones/zone:kz5 (autoshutdown=shutdown)",
        "  svc:/system/zones/zone:ngz1 (autoshutdown=shutdown)",
    ]
    stop_method = [n for n, line in enumerate(lines) if "Executing stop method" in line]
    assert len(stop_method) == 1
    assert graph < stop_method[0]
    done = lines.index("== What the zones service did (each zone's own autoshutdown)")
    ran = re.fullmatch(r"\(the stop method ran from \+0\.0s to \+(\d+\.\d)s\)", lines[done + 1])
    assert ran is not None, lines[done + 1]
    for offset, zone in ((2, "kz5"), (3, "ngz1")):
        span = re.fullmatch(
            zone + r": shut down \(autoshutdown=shutdown\), \+0\.\ds to \+(\d+\.\d)s, "
            r"while the stop method ran",
            lines[done + offset],
        )
        assert span is not None, lines[done + offset]
    assert lines[done + 4] == (
        "kz1, kz2, kz3, kz4: released when the stop method ended, no longer running: nothing to do"
    )
    assert lines[done + 5 : done + 8] == [
        "",
        "== svc:/system/zones:default stops: each zone still running gets its own autoshutdown",
        "(no zone was still running)",
    ]
    assert "kz5: booted (autoboot=true)" in out
    # svc.startd's view: the manifest's methods, expanded, with their timeouts.
    assert f'start    exec "{EXEC}", timeout 1920s' in out
    assert f'stop     exec "{EXEC}", timeout 1020s' in out
    assert "depends on svc:/system/zones/zone:kz4 (optional_all, zone-kz4)" in out
    assert "depends on svc:/system/zones/zone:kz5" not in out
    policy = re.search(r"config/policy = (\S+)", out)
    assert policy is not None
    for method in ("start", "stop"):
        assert f'Executing {method} method ("/lib/svc/method/svc-kzguard {method} ' in out
        assert f'Method "{method}" exited with status 0. ]' in out
    assert re.search(r"^\[ \w{3} [ \d]\d \d\d:\d\d:\d\d Executing stop method", out, re.M)
    assert "kzguard: stop done in" in out
    assert "kzguard: kz4 resumed (running state preserved) in" in out
    assert "every managed zone came back resumed: 4 of 4 kept their running state" in out
    assert "not managed by kzguard, shut down and booted again: kz5, ngz1 lost theirs" in out
    # The temporary host is gone.
    assert not Path(policy.group(1)).parent.exists()


def test_a_zone_that_does_not_come_back_resumed_fails_the_demo(tmp_path: Path) -> None:
    host_dir = tmp_path / "host"
    result, _ = run_demo("--zones", "2", "--fault", "kz2:resume:corrupt", str(host_dir))
    assert result.status == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "kzguard demo: FAILED: kz2 did not come back resumed (1 of 2 managed zones)" in lines
    assert "(fault injected: resume of kz2 will fail: corrupt)" in lines
    table = verdicts(result.stdout)
    assert table["kz1"][0] == "yes"
    assert table["kz1"][-1] == "running state preserved"
    assert table["kz2"][0] == "yes"
    assert table["kz2"][2:] == ["failed", table["kz2"][3], "-", "not resumed (still suspended)"]
    assert table["kz3"][-1] == "running state LOST"
    assert listings(result.stdout)[1]["kz2"] == "installed"
    # A DIR given on the command line is kept, journal and all.
    assert f"the simulated host is kept in {host_dir}" in lines
    journal = json.loads((host_dir / "var/share/kzguard/journal.json").read_text())
    assert journal["resume"]["zones"]["kz2"]["severity"] == "error"
    assert (host_dir / "lib/svc/manifest/site/kzguard.xml").is_file()


def test_demo_refuses_a_directory_in_use(tmp_path: Path) -> None:
    (tmp_path / "something").write_text("")
    result, _ = run_demo(str(tmp_path))
    assert result.status == 2
    assert result.stderr == f"kzguard demo: {tmp_path} exists and is not an empty directory\n"
    assert result.stdout == ""


def test_importing_the_demo_does_not_import_jinja2() -> None:
    # kzguard.cli imports kzguard.sim.demo, and the SMF methods go through kzguard.cli.
    completed = subprocess.run(
        [sys.executable, "-c", "import sys, kzguard.sim.demo; print('jinja2' in sys.modules)"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert completed.stdout == "False\n"


def test_method_command_lines_are_expanded_as_svc_startd_does() -> None:
    manifest = svcstartd.ServiceManifest(
        fmri="svc:/site/kzguard:default",
        methods={"stop": svcstartd.ExecMethod("stop", EXEC, 1020.0)},
        properties={"config/policy": "/etc/kz guard/it's.toml"},
        dependencies=(),
    )
    line = svcstartd.expand_method(manifest, manifest.methods["stop"])
    assert line == "/lib/svc/method/svc-kzguard stop '/etc/kz guard/it'\"'\"'s.toml'"
    # The shell's words, the script found in the simulated host's directory.
    assert svcstartd.method_argv(Path("/sim/host"), line) == [
        "/sim/host/lib/svc/method/svc-kzguard",
        "stop",
        "/etc/kz guard/it's.toml",
    ]
    assert method_script.kzguard_arguments(["stop", "/etc/kz guard/it's.toml"]) == [
        "-c",
        "/etc/kz guard/it's.toml",
        "method",
        "stop",
    ]
    assert svcstartd.method_environment(manifest, "stop")["SMF_METHOD"] == "stop"
    percent = svcstartd.ExecMethod("stop", "/lib/svc/method/svc-kzguard %m%% %f", None)
    assert svcstartd.expand_method(manifest, percent) == (
        "/lib/svc/method/svc-kzguard stop% svc:/site/kzguard:default"
    )


def test_a_method_that_overruns_its_timeout_is_killed_with_its_commands(tmp_path: Path) -> None:
    host = demo.prepare_host(tmp_path / "host", zones=1, seed=demo.DEFAULT_SEED)
    host.set_fault("kz1", "suspend", "hang")
    shutdown.begin(host, "6")
    manifest = svcstartd.ServiceManifest(
        fmri="svc:/site/kzguard:default",
        # Long enough for the survey and the resume marker before the suspend hangs,
        # on a loaded machine.
        methods={"stop": svcstartd.ExecMethod("stop", EXEC, 6.0)},
        properties={"config/policy": str(host.policy_path)},
        dependencies=(),
    )
    out = io.StringIO()
    started = time.monotonic()
    try:
        result = svcstartd.run_method(host, manifest, "stop", out)
        survivors = _processes_of(host.bin_dir)
    finally:
        control.power_off(host)  # a hung zoneadm ends when its zone is lost
    assert time.monotonic() - started < 15
    assert result.status is None
    assert not result.ok
    text = out.getvalue()
    assert "kzguard: suspending kz1 (1/1, " in text
    assert re.search(r"Method or service exit timed out\.  Killing process group \d+\. \]\n", text)
    assert text.endswith('Method "stop" failed due to signal KILL. ]\n')
    # The hung `zoneadm -z kz1 suspend` died with the method, as it would with the
    # method's contract (checked where /proc tells who runs what).
    assert survivors == []


def _processes_of(bin_dir: Path) -> list[str]:
    """Live processes running a simulated command of the host (Linux /proc)."""
    if not os.path.isdir("/proc/self"):
        return []
    time.sleep(0.5)  # SIGKILL is delivered at once, but the reaping is not
    return [
        pid
        for pid in os.listdir("/proc")
        if pid.isdigit() and any(word.startswith(str(bin_dir)) for word in _cmdline(pid))
    ]


def _cmdline(pid: str) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [word.decode(errors="replace") for word in raw.split(b"\0")]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--zones", "0"], "argument --zones: from 1 to 12 managed zones, not 0"),
        (["--zones", "13"], "argument --zones: from 1 to 12 managed zones, not 13"),
        (["--zones", "many"], "argument --zones: not a number: 'many'"),
        (
            ["--fault", "kz1:suspend"],
            "argument --fault: expected ZONE:OPERATION:FAULT, not 'kz1:suspend'",
        ),
        (
            ["--fault", "kz1::hang"],
            "argument --fault: expected ZONE:OPERATION:FAULT, not 'kz1::hang'",
        ),
        (
            ["--fault", "kz1:suspend:melt"],
            "argument --fault: unknown fault suspend:melt (suspend: enospc, hang, lose-image; "
            "resume: corrupt; shutdown: hang; boot: fail; zlogin: fail; volatile: readonly)",
        ),
    ],
)
def test_demo_usage_errors_say_what_is_accepted(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        demo.main(argv)
    assert caught.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines()[-1] == f"kzguard demo: error: {message}"


def test_demo_refuses_a_policy_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["-c", "/etc/kzguard/policy.toml", "demo"]) == 2
    assert capsys.readouterr() == (
        "",
        "kzguard demo: -c/--policy does not apply: the demo writes its own policy into "
        "the simulated host\n",
    )


MANIFEST = svcstartd.ServiceManifest(
    fmri="svc:/site/kzguard:default",
    methods={},
    properties={"config/policy": "/etc/kzguard/policy.toml"},
    dependencies=(),
)


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (
            "/lib/svc/method/svc-kzguard %m %{config/nothing}",
            "'/lib/svc/method/svc-kzguard %m %{config/nothing}': no property "
            "%{config/nothing} to expand",
        ),
        (
            "/lib/svc/method/svc-kzguard %{config/policy",
            "'/lib/svc/method/svc-kzguard %{config/policy': %{ without a closing }",
        ),
        (
            "/lib/svc/method/svc-kzguard %m %z",
            "'/lib/svc/method/svc-kzguard %m %z': unknown token %z",
        ),
    ],
)
def test_a_method_line_svc_startd_could_not_expand_is_refused(command: str, message: str) -> None:
    with pytest.raises(ValueError, match="svc-kzguard") as caught:
        svcstartd.expand_method(MANIFEST, svcstartd.ExecMethod("stop", command, None))
    assert str(caught.value) == message


def test_every_simple_token_is_expanded() -> None:
    method = svcstartd.ExecMethod("start", "/lib/svc/method/svc-kzguard %m %s %i %r %f", None)
    assert svcstartd.expand_method(MANIFEST, method) == (
        "/lib/svc/method/svc-kzguard start site/kzguard default "
        "svc:/system/svc/restarter:default svc:/site/kzguard:default"
    )


@pytest.mark.parametrize(
    "line",
    ["", "/usr/bin/true stop", "/lib/svc/method/svc-kzguard", "/lib/svc/method/svc-kzguard a b c"],
)
def test_only_kzguards_method_script_is_run(line: str) -> None:
    with pytest.raises(ValueError, match="not kzguard's method script") as caught:
        svcstartd.method_argv(Path("/sim/host"), line)
    assert str(caught.value) == f"not kzguard's method script: {line!r}"


def test_a_method_line_without_a_policy_runs_the_default_policy() -> None:
    line = "/lib/svc/method/svc-kzguard start ''"
    assert svcstartd.method_argv(Path("/h"), line) == ["/h/lib/svc/method/svc-kzguard", "start", ""]
    assert method_script.kzguard_arguments(["start", ""]) == ["method", "start"]
    assert method_script.kzguard_arguments(["start"]) == ["method", "start"]


def test_a_manifest_without_a_service_is_refused() -> None:
    with pytest.raises(ValueError, match="no <service>"):
        svcstartd.read_manifest("<service_bundle type='manifest' name='x'/>")


def test_a_manifest_with_an_explicit_instance_reads_its_methods_and_properties() -> None:
    manifest = svcstartd.read_manifest(
        "<service_bundle type='manifest' name='site/kzguard'>"
        "<service name='site/kzguard' type='service' version='1'>"
        "<instance name='main' enabled='true'>"
        "<exec_method type='method' name='start' exec='/lib/svc/method/svc-kzguard %m %i'"
        " timeout_seconds='60'/>"
        "<property_group name='config' type='application'>"
        "<propval name='policy' type='astring' value='/p.toml'/>"
        "</property_group>"
        "</instance></service></service_bundle>"
    )
    assert manifest.fmri == "svc:/site/kzguard:main"
    assert manifest.properties == {"config/policy": "/p.toml"}
    assert svcstartd.expand_method(manifest, manifest.methods["start"]) == (
        "/lib/svc/method/svc-kzguard start main"
    )


def _row(
    zone: str, *, managed: bool = True, verdict: str = demo_report.PRESERVED
) -> demo_report.ZoneResult:
    return demo_report.ZoneResult(zone, managed, "2.0s", "1.0s", 100, 100, verdict)


def test_the_verdict_names_failed_methods_and_zones_that_lost_their_state() -> None:
    out = io.StringIO()
    status = demo_report.verdict(
        [_row("kz1"), _row("kz2", verdict=demo_report.NOT_RESUMED), _row("kz3", managed=False)],
        [svcstartd.MethodRun("stop", 95, 1.0), svcstartd.MethodRun("start", None, 900.0)],
        out,
    )
    assert status == 1
    assert out.getvalue().splitlines() == [
        "kzguard demo: the stop method exited with status 95",
        "kzguard demo: the start method was killed at its timeout",
        "kzguard demo: FAILED: kz2 did not come back resumed (1 of 2 managed zones)",
    ]


def test_the_verdict_of_a_clean_reboot_without_an_unmanaged_zone() -> None:
    out = io.StringIO()
    assert demo_report.verdict([_row("kz1")], [svcstartd.MethodRun("stop", 0, 1.0)], out) == 0
    assert out.getvalue() == (
        "every managed zone came back resumed: 1 of 1 kept their running state\n"
    )


@pytest.mark.parametrize(
    ("record", "suspend"),
    [
        (None, "-"),
        (ZoneRecord(state=ZoneState.SUSPENDED, seconds=2.25), "2.2s"),
        (ZoneRecord(state=ZoneState.SUSPENDED), "suspended"),
        (ZoneRecord(state=ZoneState.SHUT_DOWN, seconds=30), "shut-down"),
        (ZoneRecord(state=UnknownState("odd")), "odd"),
    ],
)
def test_stop_records_become_suspend_cells(record: ZoneRecord | None, suspend: str) -> None:
    assert demo_report._suspend_cell(record) == suspend


@pytest.mark.parametrize(
    ("resumed", "resume"),
    [
        (None, "-"),
        (ResumedZone("resumed", Severity.OK, 4), "4.0s"),
        (ResumedZone("boot failed", Severity.ERROR), "failed"),
        (ResumedZone("cold-booted", Severity.LOST), "lost"),
        (ResumedZone("left alone", Severity.LEFT), "left alone"),
        (ResumedZone("?", None), "?"),
    ],
)
def test_start_records_become_resume_cells(resumed: ResumedZone | None, resume: str) -> None:
    assert demo_report._resume_cell(resumed) == resume


def test_the_method_script_runs_only_under_smf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    script = method_script.install(tmp_path)
    assert script == tmp_path / "lib" / "svc" / "method" / "svc-kzguard"
    assert os.access(script, os.X_OK)
    monkeypatch.delenv("SMF_FMRI", raising=False)
    completed = subprocess.run(
        [str(script), "stop", "/etc/kzguard/policy.toml"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (completed.returncode, completed.stdout) == (99, "")
    assert completed.stderr == (
        "svc-kzguard: run by SMF only (svc:/site/kzguard:default); use kzguard(8)\n"
    )
    # The same check in this process, where coverage sees it.
    assert method_script.outside_smf()
    assert capsys.readouterr().err == completed.stderr
    monkeypatch.setenv("SMF_FMRI", "svc:/site/kzguard:default")
    assert not method_script.outside_smf()


def test_the_method_script_runs_kzguards_method_under_smf(tmp_path: Path, host: SimHost) -> None:
    # The simulated host's policy: the refresh method also reads kzguard's zone
    # dependencies (svcprop), which only a simulated host may answer here.
    script = method_script.install(tmp_path / "scripts")
    policy = host.policy_path
    completed = subprocess.run(
        [str(script), "refresh", str(policy)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "SMF_FMRI": "svc:/site/kzguard:default"},
    )
    assert (completed.returncode, completed.stdout) == (0, "")
    assert completed.stderr == f"kzguard: policy {policy} is valid\n"

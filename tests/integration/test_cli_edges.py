"""The edges of the ``kzguard`` command line, adversarially: a reader that goes away,
-v on an expected error, a user who types half a command or a misspelt flag, a
machine that is not Solaris, a host that is simulated.

Each rule holds for the whole class (every command), not only the example that
broke it (issue #12):

- No traceback for an expected condition, ever, and the exit status keeps its
  documented meaning (README "Exit statuses").
- A closed stdout (``kzguard status | head -1``) discards the rest of the answer:
  the command still does all its work and exits with its own status.
- A command line that is incomplete says what to type; a misspelt flag or word
  gets "did you mean"; every command accepts ``--version`` and has a description.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import platform
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kzguard import __version__, cli
from kzguard.log import StdoutGuard
from kzguard.policy.file import load_policy
from kzguard.policy.model import Policy, default_policy
from kzguard.sim.state import SimHost
from kzguard.solaris import simulated
from kzguard.solaris.runner import ALLOWED_PREFIX_VARIABLE
from kzguard.stop import progress
from kzguard.units import format_duration
from tests.integration.conftest import Completed, apply_manifest, kzguard
from tests.support import write_policy


def kzguard_into_closed_pipe(*args: str) -> Completed:
    """Run ``kzguard`` with its stdout a pipe whose read end is already closed, as
    under ``kzguard ... | head -1`` once head has exited."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "kzguard", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    return Completed(completed.returncode, "", completed.stderr)


@pytest.fixture
def manifest(host: SimHost) -> Path:
    path = host.path / "lib" / "svc" / "manifest" / "site" / "kzguard.xml"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def every_command(host: SimHost) -> Iterator[tuple[tuple[str, ...], int]]:
    """Every command a user may pipe into ``head``, with the status it exits with on
    a fresh simulated host (2 for status: never armed, README "Exit statuses")."""
    policy = ("-c", str(host.policy_path))
    yield (*policy, "check"), 0
    yield (*policy, "check", "--json"), 0
    yield (*policy, "status"), 2
    yield (*policy, "status", "--json"), 2
    yield (*policy, "plan", "stop"), 0
    yield (*policy, "plan", "stop", "--json"), 0
    yield (*policy, "stop", "--dry-run"), 0
    yield (*policy, "render", "manifest"), 0
    yield (*policy, "apply", "--dry-run"), 0
    yield ("sim", "show", str(host.path)), 0
    yield ("demo", "--help"), 0
    yield ("--help",), 0
    yield ("--version",), 0
    yield ("status", "--help"), 0


def test_a_closed_stdout_ends_no_command_with_a_traceback_or_another_status(
    host: SimHost, manifest: Path
) -> None:
    for argv, status in every_command(host):
        result = kzguard_into_closed_pipe(*argv)
        assert (result.status, result.stderr) == (status, ""), argv


def test_a_stop_into_a_closed_stdout_still_suspends_every_zone(host: SimHost) -> None:
    """The answer is discarded, the work is not: a stop that gave up at its first
    line of output would leave the zones running into the reboot."""
    result = kzguard_into_closed_pipe("-c", str(host.policy_path), "-q", "stop")
    assert (result.status, result.stderr) == (0, "")
    zones = host.read()["zones"]
    assert [(name, zones[name]["state"], zones[name]["aux"]) for name in sorted(zones)] == [
        *[(f"kz{n}", "installed", ["suspended"]) for n in range(1, 5)],
        ("ngz1", "running", []),
    ]


def test_a_guard_sends_what_follows_a_closed_pipe_to_dev_null() -> None:
    """Mid-answer (a line-buffered stdout flushes at every line), not only at exit."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    with open(write_end, "w", encoding="utf-8", buffering=1) as stream:
        guard = StdoutGuard(stream)
        assert (guard.write("first\n"), guard.reader_gone) == (6, True)
        assert guard.write("second\n") == 7
        guard.flush()
        assert os.path.samestat(os.fstat(write_end), os.stat(os.devnull))
        assert guard.encoding == "utf-8"


def test_a_guard_over_a_stream_without_a_descriptor_drops_the_rest() -> None:
    class ClosedPipe(io.StringIO):
        def flush(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

    stream = ClosedPipe()
    guard = StdoutGuard(stream)
    assert guard.write("kept until the flush\n") == 21
    guard.flush()
    assert (guard.reader_gone, guard.write("dropped\n")) == (True, 8)
    assert stream.getvalue() == "kept until the flush\n"


def invalid_policy(host: SimHost) -> str:
    with open(host.policy_path, "a", encoding="utf-8") as policy:
        policy.write("\n[shutdown]\nparallel = 0\n")
    lines = host.policy_path.read_text(encoding="utf-8").splitlines()
    return (
        f"kzguard: {host.policy_path}:{len(lines)}: shutdown.parallel: "
        'must be "auto" or between 1 and 256, got 0\n'
    )


@pytest.mark.parametrize(
    "command",
    [["check"], ["stop"], ["render", "manifest"], ["apply", "--dry-run"]],
)
def test_verbose_shows_an_invalid_policy_as_its_message_not_a_traceback(
    host: SimHost, command: list[str]
) -> None:
    expected = invalid_policy(host)
    result = kzguard("-v", "-c", str(host.policy_path), *command)
    assert (result.status, result.stdout, result.stderr) == (2, "", expected)


def test_check_json_of_an_invalid_policy_prints_its_problems_as_a_document(host: SimHost) -> None:
    expected = invalid_policy(host)
    result = kzguard("-v", "-c", str(host.policy_path), "check", "--json")
    assert (result.status, result.stderr) == (2, expected)
    assert json.loads(result.stdout) == {
        "format": 1,
        "policy": str(host.policy_path),
        "managed": [],
        "findings": [{"level": "error", "zone": None, "message": expected[len("kzguard: ") : -1]}],
    }


@pytest.mark.parametrize(
    "command", [["plan", "stop"], ["plan", "stop", "--json"], ["stop", "--dry-run"]]
)
def test_the_plan_of_an_invalid_policy_is_the_one_the_stop_method_would_act_on(
    host: SimHost, command: list[str]
) -> None:
    # A deadline of its own, so that its plan is not the built-in defaults'.
    write_policy(host, '[shutdown]\ndeadline = "20m"\n')
    path = str(host.policy_path)
    assert kzguard("-c", path, "method", "start").status == 0  # kept as the last good copy
    valid = kzguard("-c", path, *command)
    assert valid.status == 0
    write_policy(host, '[shutdown]\ndeadline = "20m"\nparallel = 0\n')
    line = len(host.policy_path.read_text(encoding="utf-8").splitlines())
    result = kzguard("-c", path, *command)
    assert result.stderr == (
        f'kzguard: {path}:{line}: shutdown.parallel: must be "auto" or between 1 and 256, got 0\n'
        "kzguard: policy unusable: the stop method would act on the last known good copy "
        f"{path}.last-good, planned here\n"
    )
    assert (result.status, result.stdout) == (2, valid.stdout)


def test_verbose_status_of_an_invalid_policy_is_degraded_without_a_traceback(
    host: SimHost,
) -> None:
    assert kzguard("-c", str(host.policy_path), "method", "start").status == 0
    expected = invalid_policy(host)
    result = kzguard("-v", "-c", str(host.policy_path), "status")
    assert result.status == 2
    assert result.stderr.startswith(expected)
    assert "Traceback" not in result.stderr


# -- help and usage -------------------------------------------------------------------


def every_parser(
    parser: argparse.ArgumentParser | None = None,
) -> Iterator[argparse.ArgumentParser]:
    """The parser of ``kzguard`` and of every (sub)command under it, depth first."""
    parser = parser or cli.build_parser()
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for inner in action.choices.values():
                yield from every_parser(inner)


def words(parser: argparse.ArgumentParser) -> list[str]:
    return parser.prog.split()[1:]


def run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> Completed:
    try:
        status = cli.main(list(argv))
    except SystemExit as leaving:
        status = int(leaving.code or 0)
    out, err = capsys.readouterr()
    return Completed(status, out, err)


def test_every_command_has_a_description_and_accepts_version(
    capsys: pytest.CaptureFixture[str],
) -> None:
    parsers = list(every_parser())
    commands = {parser.prog for parser in parsers}
    assert {
        "kzguard",
        "kzguard plan",
        "kzguard demo",
        "kzguard sim",
        "kzguard sim show",
    } <= commands
    for parser in parsers:
        assert parser.description, parser.prog
        result = run_main(capsys, *words(parser), "--version")
        assert (result.status, result.stdout, result.stderr) == (0, f"kzguard {__version__}\n", "")


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (
            [],
            "kzguard: say which command: kzguard check|status|plan|stop|method|sim|demo|render|apply|reboot|wait",
        ),
        (["plan"], "kzguard plan: say what to plan: kzguard plan stop"),
        (["render"], "kzguard render: say what to render: kzguard render manifest"),
        (["method"], "kzguard method: say which method: kzguard method start|stop|refresh"),
        (["sim", "create"], "kzguard sim create: say what to do: kzguard sim create DIR"),
    ],
)
def test_an_incomplete_command_line_says_what_to_type(
    capsys: pytest.CaptureFixture[str], argv: list[str], line: str
) -> None:
    result = run_main(capsys, *argv)
    assert (result.status, result.stdout) == (2, "")
    assert result.stderr.splitlines()[-1] == line
    assert result.stderr.startswith(f"usage: {' '.join(['kzguard', *argv])} ")


def test_every_incomplete_command_line_says_what_to_type(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The rule behind the examples: every (sub)command that needs a word names the
    whole command line to type, every positional in it, its choices spelt out."""
    needing = [p for p in every_parser() if any(a.required for a in p._get_positional_actions())]
    assert len(needing) >= 19
    for parser in needing:
        result = run_main(capsys, *words(parser))
        assert isinstance(parser, cli.Parser)
        last = result.stderr.splitlines()[-1]
        assert (result.status, last) == (2, f"{parser.prog}: say {parser.what}: {parser.example()}")
        for action in parser._get_positional_actions():
            shown = "|".join(action.choices) if action.choices else action.metavar
            assert f" {shown}" in parser.example(), (parser.prog, shown)


def misspelt(flag: str) -> str:
    """``--json`` as ``--jsno``: its last two letters swapped (dropping one would be an
    abbreviation, which argparse accepts)."""
    return flag[:-2] + flag[-1] + flag[-2]


def test_every_misspelt_flag_gets_did_you_mean(capsys: pytest.CaptureFixture[str]) -> None:
    leaves = [p for p in every_parser() if not p._subparsers]
    checked = 0
    for parser in leaves:
        positionals = [
            (action.choices and next(iter(action.choices))) or "x"
            for action in parser._get_positional_actions()
        ]
        for action in parser._actions:
            for flag in action.option_strings:
                if not flag.startswith("--") or misspelt(flag) == flag:
                    continue
                result = run_main(capsys, *words(parser), *positionals, misspelt(flag))
                assert result.stderr.splitlines()[-1] == (
                    f"{parser.prog}: unrecognized arguments: {misspelt(flag)}; did you mean {flag}?"
                ), (parser.prog, flag)
                assert result.status == 2
                checked += 1
    assert checked > 60


def test_a_misspelt_command_or_word_gets_did_you_mean(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_main(capsys, "stats")
    assert (result.status, result.stderr.splitlines()[-1]) == (
        2,
        "kzguard: argument COMMAND: invalid choice: 'stats'; did you mean 'status'?",
    )
    result = run_main(capsys, "plan", "stpo")
    assert result.stderr.splitlines()[-1] == (
        "kzguard plan: argument kind: invalid choice: 'stpo'; did you mean 'stop'?"
    )
    far = run_main(capsys, "frobnicate").stderr.splitlines()[-1]
    assert far.startswith("kzguard: argument COMMAND: invalid choice: 'frobnicate' (choose from ")
    words_only = run_main(capsys, "check", "extra")
    assert words_only.stderr.splitlines()[-1] == "kzguard check: unrecognized arguments: extra"


# -- a new user's path ----------------------------------------------------------------

NOT_SOLARIS = (
    "kzguard: this is {system}, not Solaris: to try kzguard on a simulated Solaris host, "
    "run kzguard sim create DIR and give -c DIR/policy.toml to every command "
    '(README.md: "Trying it on a simulated host")\n'
)
not_on_solaris = pytest.mark.skipif(platform.system() == "SunOS", reason="this is Solaris")


@not_on_solaris
def test_a_missing_solaris_command_elsewhere_points_to_the_simulator(tmp_path: Path) -> None:
    zoneadm = tmp_path / "usr" / "sbin" / "zoneadm"
    policy = tmp_path / "policy.toml"
    policy.write_text(f'[commands]\nzoneadm = "{zoneadm}"\n', encoding="utf-8")
    for command in (["check"], ["status"], ["plan", "stop"], ["stop", "--dry-run"]):
        result = kzguard("-c", str(policy), *command)
        assert (result.status, result.stdout, result.stderr) == (
            3,
            "",
            f"kzguard: {zoneadm} list -cp: cannot run {zoneadm}: no such file\n"
            + NOT_SOLARIS.format(system=platform.system()),
        ), command


@not_on_solaris
@pytest.mark.skipif(
    any(os.path.exists(path) for path in ("/usr/sbin/zoneadm", "/etc/kzguard/policy.toml")),
    reason="this machine has a zoneadm or a kzguard policy",
)
def test_a_bare_check_on_a_new_users_machine_points_to_the_simulator(tmp_path: Path) -> None:
    """What a new user types first, with the defaults: no policy file, no zoneadm."""
    environment = {k: v for k, v in os.environ.items() if k != ALLOWED_PREFIX_VARIABLE}
    completed = subprocess.run(
        [sys.executable, "-m", "kzguard", "check"],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        cwd=tmp_path,
        check=False,
    )
    assert (completed.returncode, completed.stdout, completed.stderr) == (
        3,
        "",
        "kzguard: /usr/sbin/zoneadm list -cp: cannot run /usr/sbin/zoneadm: no such file\n"
        + NOT_SOLARIS.format(system=platform.system()),
    )


NOT_IN_SMF = (
    "svc:/site/kzguard:default is not in the SMF repository, so no stop method will run at "
    "shutdown: import its manifest (kzguard apply)"
)
NEVER_ARMED = "never armed: the start method has not run (svcs -xv site/kzguard)"


def test_a_simulated_host_says_how_to_arm_it_instead_of_svcs(host: SimHost) -> None:
    """A new simulated host: its manifest imported (kzguard apply), then the start
    method run, as the package and svc.startd do on Solaris (README.md)."""
    apply = f"kzguard -c {host.policy_path} apply"
    arm = f"kzguard -c {host.policy_path} method start"
    result = kzguard("-c", str(host.policy_path), "status")
    assert result.status == 2
    assert result.stdout.splitlines()[:2] == [
        f"guard: DEGRADED: {NOT_IN_SMF}; {NEVER_ARMED}",
        "simulated host: import the manifest as the package would, then arm the guard as "
        f"svc.startd would at boot: {apply}, then {arm}",
    ]
    assert kzguard(*apply.split()[1:]).status == 0
    result = kzguard("-c", str(host.policy_path), "status")
    assert (result.status, result.stdout.splitlines()[:2]) == (
        2,
        [
            f"guard: DEGRADED: {NEVER_ARMED}",
            "simulated host: it has no svcs and no svc.startd to run the start method; "
            f"arm the guard as svc.startd would at boot: {arm}",
        ],
    )
    assert kzguard(*arm.split()[1:]).status == 0
    armed = kzguard("-c", str(host.policy_path), "status")
    assert (armed.status, armed.stdout.splitlines()[:2]) == (
        0,
        ["guard: armed", f"policy: {host.policy_path}"],
    )


def test_an_armed_guard_without_its_smf_instance_is_degraded_and_refuses_to_reboot(
    host: SimHost,
) -> None:
    """Armed by hand, its manifest never imported: no stop method would run at the
    shutdown, so every zone would lose its state (found by review)."""
    assert kzguard("-c", str(host.policy_path), "method", "start").status == 0
    result = kzguard("-c", str(host.policy_path), "status")
    assert (result.status, result.stdout.splitlines()[:2]) == (
        2,
        [
            f"guard: DEGRADED: {NOT_IN_SMF}",
            "simulated host: import the manifest as the package would: "
            f"kzguard -c {host.policy_path} apply",
        ],
    )
    reboot = kzguard("-c", str(host.policy_path), "reboot", "--dry-run")
    assert (reboot.status, reboot.stdout, reboot.stderr) == (
        2,
        "",
        f"kzguard: not rebooting: {NOT_IN_SMF}\n",
    )


def test_a_deadline_raised_without_kzguard_apply_is_said_by_refresh_status_and_reboot(
    host: SimHost,
) -> None:
    """shutdown.deadline raised to 1h and taken in with svcadm refresh alone: the
    manifest's stop timeout stays 17m (15m + 2m), and svc.startd would kill the stop
    method at it (found by review)."""
    apply_manifest(host)
    assert kzguard("-c", str(host.policy_path), "method", "start").status == 0
    write_policy(host, '[shutdown]\ndeadline = "1h"\n')
    short = (
        "the stop method's SMF timeout is 1020s, less than the 3720s its shutdown.deadline "
        "needs: svc.startd would kill it before it ends; run kzguard apply"
    )
    refresh = kzguard("-c", str(host.policy_path), "method", "refresh")
    assert (refresh.status, refresh.stderr) == (
        0,
        f"kzguard: policy {host.policy_path} is valid\nkzguard: {short}\n",
    )
    status = kzguard("-c", str(host.policy_path), "status")
    assert (status.status, status.stdout.splitlines()[0]) == (2, f"guard: DEGRADED: {short}")
    reboot = kzguard("-c", str(host.policy_path), "reboot", "--dry-run")
    assert (reboot.status, reboot.stderr) == (2, f"kzguard: not rebooting: {short}\n")
    assert kzguard("-c", str(host.policy_path), "apply").status == 0
    assert kzguard("-c", str(host.policy_path), "status").stdout.splitlines()[0] == "guard: armed"


def test_a_real_hosts_status_keeps_the_solaris_advice(host: SimHost) -> None:
    """The marker, not the layout, makes a host simulated."""
    (host.path / "simulated-solaris-host").unlink()
    lines = kzguard("-c", str(host.policy_path), "status").stdout.splitlines()
    assert lines[1] == f"policy: {host.policy_path}"


@pytest.mark.parametrize(("command", "argv"), [("sim", ["sim", "show", "x"]), ("demo", ["demo"])])
def test_without_the_simulator_package_sim_and_demo_name_it(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    argv: list[str],
) -> None:
    """The IPS package system/kzguard ships without kzguard/sim (packaging/README)."""
    for module in ("kzguard.sim", "kzguard.sim.cli", "kzguard.sim.demo"):
        monkeypatch.setitem(sys.modules, module, None)
    for words_given in (argv, [command, "--help"]):
        result = run_main(capsys, *words_given)
        assert (result.status, result.stdout, result.stderr) == (
            2,
            "",
            f"kzguard {command}: the simulator is not installed; it is the package "
            "system/kzguard/simulator (pkg install system/kzguard/simulator)\n",
        )
    assert run_main(capsys, "--help").status == 0


def readme_section(title: str) -> str:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    return readme.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_readmes_simulated_host_walk_through_works(tmp_path: Path) -> None:
    """Every command the README shows a new user, as shown, against a host in tmp."""
    block = readme_section("Trying it on a simulated host").split("```sh\n")[1].split("```")[0]
    lines = [line.split("  #")[0].split() for line in block.splitlines()]
    assert [line[0] for line in lines] == [".venv/bin/kzguard"] * len(lines)
    target = str(tmp_path / "host")
    for line in lines:
        argv = [word.replace("/tmp/host", target) for word in line[1:]]
        result = kzguard(*argv)
        assert (result.status, "Traceback" in result.stderr) == (0, False), (line, result)
    zones = SimHost(target).read()["zones"]
    assert {name: (zone["state"], zone["aux"]) for name, zone in zones.items()} == {
        "kz1": ("installed", ["suspended"]),
        "kz2": ("installed", ["suspended"]),
        "kz3": ("installed", []),
        "kz4": ("installed", ["suspended"]),
        "ngz1": ("running", []),
    }


def test_on_solaris_or_on_a_simulated_host_a_missing_command_needs_no_pointer(
    host: SimHost,
) -> None:
    """On Solaris the command is really missing; on a simulated host (whose zoneadm
    test_cli_foundation deletes) the user already found the simulator."""
    assert simulated.not_solaris("/usr/sbin/zoneadm", "SunOS") is None
    assert simulated.not_solaris(str(host.bin_dir / "zoneadm"), "Linux") is None
    assert simulated.not_solaris("/usr/sbin/zoneadm", "Linux") == NOT_SOLARIS.format(
        system="Linux"
    ).removeprefix("kzguard: ").removesuffix("\n")


# -- a simulated host's clock ------------------------------------------------------------


def sim_created_policy(capsys: pytest.CaptureFixture[str], target: Path, *options: str) -> Policy:
    assert run_main(capsys, "sim", "create", str(target), *options).status == 0
    return load_policy(str(target / "policy.toml"), explicit=True)


def test_sim_create_scales_the_policys_limits_to_the_hosts_clock(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Time scale 0.01: the 10m suspend timeout is 6s, and the steps that would be
    shorter than a simulated command takes in real time (a Python process) get 3s;
    the deadline holds the three steps and 3s more; the planner predicts at the
    simulator's rate (400M per simulated second)."""
    policy = sim_created_policy(capsys, tmp_path / "host")
    assert (policy.shutdown.deadline, policy.shutdown.assumed_rate, policy.shutdown.parallel) == (
        15.0,
        40000 << 20,
        "auto",
    )
    assert (policy.resume.deadline, policy.resume.stagger) == (18.0, 0.05)
    defaults = policy.defaults
    assert (
        defaults.suspend_timeout,
        defaults.shutdown_timeout,
        defaults.halt_timeout,
        defaults.readiness_timeout,
    ) == (6.0, 3.0, 3.0, 3.0)


def test_a_real_time_simulated_host_gets_the_real_limits(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    policy = sim_created_policy(capsys, tmp_path / "host", "--time-scale", "1")
    built_in = default_policy()
    assert (policy.shutdown.deadline, policy.resume, policy.defaults) == (
        built_in.shutdown.deadline,
        built_in.resume,
        built_in.defaults,
    )
    assert policy.shutdown.assumed_rate == 400 << 20


def test_a_hung_suspend_on_a_simulated_host_times_out_on_its_clock_and_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`kzguard sim fault DIR kz3 suspend hang`, then `kzguard stop`: kz3's suspend
    says every 0.6s that it is still running, times out after 6s (10 minutes on the
    simulated clock) and falls back to a shutdown; the stop takes seconds."""
    target = tmp_path / "host"
    sim_created_policy(capsys, target, "--zones", "3")
    assert run_main(capsys, "sim", "fault", str(target), "kz3", "suspend", "hang").status == 0
    result = kzguard("-c", str(target / "policy.toml"), "stop")
    assert result.status == 0, result.stderr
    progress = [line for line in result.stderr.splitlines() if "suspend still running" in line]
    assert progress == [
        f"kzguard: kz3: suspend still running after {format_duration(n * 0.6)} (timeout 6s)"
        for n in range(1, len(progress) + 1)
    ]
    assert 5 <= len(progress) <= 10  # the tenth as the timeout strikes, before the kill
    assert "kzguard: kz3: suspend timed out after 6s; zone is running" in result.stderr
    zones = SimHost(target).read()["zones"]
    assert [(zones[n]["state"], zones[n]["aux"]) for n in ("kz1", "kz2", "kz3")] == [
        ("installed", ["suspended"]),
        ("installed", ["suspended"]),
        ("installed", []),
    ]


def test_a_step_reports_progress_until_it_ends(caplog: pytest.LogCaptureFixture) -> None:
    """Every 30 s, or a tenth of the timeout when shorter; nothing after the step."""
    assert (progress.interval(600.0), progress.interval(6.0)) == (30.0, 0.6)
    caplog.set_level(logging.INFO, logger="kzguard")
    with progress.reported("kz3", "suspend", 1.0):
        time.sleep(0.35)
    lines = [record.getMessage() for record in caplog.records]
    assert lines == [
        f"kz3: suspend still running after {format_duration(n * 0.1)} (timeout 1s)"
        for n in range(1, len(lines) + 1)
    ]
    assert 1 <= len(lines) <= 3
    time.sleep(0.25)
    assert len(caplog.records) == len(lines)


def test_steps_running_at_once_are_reported_by_one_thread(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Two steps at once: each has its own lines on its own interval, from one
    watcher thread; the one that ended has none after it."""
    caplog.set_level(logging.INFO, logger="kzguard")
    with progress.reported("kz1", "suspend", 1.0):
        with progress.reported("kz2", "shutdown", 2.0):
            time.sleep(0.45)
            assert [thread.name for thread in threading.enumerate()].count("progress") == 1
        ended = len(caplog.records)
        time.sleep(0.25)
    lines = [record.getMessage() for record in caplog.records]
    kz1 = [text for text in lines if text.startswith("kz1: ")]
    kz2 = [text for text in lines if text.startswith("kz2: ")]
    assert kz1 == [
        f"kz1: suspend still running after {format_duration(n * 0.1)} (timeout 1s)"
        for n in range(1, len(kz1) + 1)
    ]
    assert kz2 == [
        f"kz2: shutdown still running after {format_duration(n * 0.2)} (timeout 2s)"
        for n in range(1, len(kz2) + 1)
    ]
    assert 4 <= len(kz1) <= 7
    assert 1 <= len(kz2) <= 2
    assert not [text for text in lines[ended:] if text.startswith("kz2: ")]

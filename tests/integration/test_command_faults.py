"""Solaris commands that misbehave, through the real runner and host adapter and the
real ``kzguard`` command: missing, not executable, killed by a signal, hanging,
writing megabytes or garbage (the simulator's output faults, kzguard/sim/tools.py).
And zone names that would be dangerous in a shell: refused, never in an argv.

Every message is asserted exactly; none may be a traceback, none may hang.
"""

from __future__ import annotations

import ast
import copy
import json
import os
import re
import time
from pathlib import Path
from typing import Any

import pytest

import kzguard
import kzguard.solaris.host as host_module
from kzguard.errors import (
    CommandFailed,
    CommandMissing,
    CommandOutputTooLarge,
    CommandTimedOut,
    OutputParseError,
    excerpt,
)
from kzguard.policy.file import load_policy
from kzguard.sim.state import SimHost
from kzguard.solaris.host import Host
from tests import support
from tests.integration.conftest import Completed
from tests.integration.conftest import kzguard as run_kzguard
from tests.support import FAST_RATES, set_rates, write_policy

KSTAT = "/usr/bin/kstat -p unix:0:system_misc:boot_time"

GARBAGE_LINE = "\x00\ufffd\ufffd\ufffdgarbage \ufffd( not what this command prints"


def adapter(host: SimHost) -> Host:
    return Host(load_policy(str(host.policy_path), explicit=True).commands)


def cli(host: SimHost, *args: str) -> Completed:
    return run_kzguard("-c", str(host.policy_path), *args)


def prepare_shutdown(host: SimHost, policy: str = "") -> None:
    """Fast simulated storage, run level 6, and a planner that knows it; ``policy``
    added to the host's policy."""
    set_rates(host, **FAST_RATES)
    host.set_runlevel("6", "3")
    write_policy(host, policy, stagger=None)


def states(host: SimHost) -> dict[str, tuple[str, tuple[str, ...]]]:
    zones = host.read()["zones"]
    return {name: (zone["state"], tuple(zone["aux"])) for name, zone in zones.items()}


def started_argvs(host: SimHost) -> list[list[str]]:
    return [event["argv"] for event in host.commands() if event["event"] == "start"]


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().split()[2] == "Z"


# ---------------------------------------------------------------------------------
# The runner and the host adapter


def test_missing_and_not_executable_commands_name_the_whole_command(host: SimHost) -> None:
    zoneadm = host.executable("zoneadm")
    os.chmod(zoneadm, 0o644)
    with pytest.raises(CommandMissing) as caught:
        adapter(host).list_zones()
    assert str(caught.value) == (
        f"{zoneadm} list -cp: cannot run {zoneadm}: permission denied (not executable?)"
    )
    os.unlink(zoneadm)
    with pytest.raises(CommandMissing) as caught:
        adapter(host).list_zones()
    assert str(caught.value) == f"{zoneadm} list -cp: cannot run {zoneadm}: no such file"


@pytest.mark.parametrize(
    ("fault", "signal"), [("sigkill", "9 (SIGKILL)"), ("sigsegv", "11 (SIGSEGV)")]
)
def test_a_command_killed_by_a_signal(host: SimHost, fault: str, signal: str) -> None:
    host.set_output_fault("zonecfg -z kz1 export", fault)
    with pytest.raises(CommandFailed) as caught:
        adapter(host).zone_config("kz1")
    zonecfg = host.executable("zonecfg")
    assert str(caught.value) == f"{zonecfg} -z kz1 export: was killed by signal {signal}"
    assert not (Path.cwd() / "core").exists()


def test_twenty_megabytes_of_output_are_refused_and_the_command_killed(host: SimHost) -> None:
    host.set_output_fault("zoneadm list -cp", "huge")
    started = time.monotonic()
    with pytest.raises(CommandOutputTooLarge) as caught:
        adapter(host).list_zones()
    assert time.monotonic() - started < 20
    assert str(caught.value) == (
        f"{host.executable('zoneadm')} list -cp: wrote more than 8388608 bytes and was killed"
    )
    ends = [event for event in host.commands() if event["event"] == "end"]
    assert ends == []  # killed before it could finish


def test_a_hanging_command_and_its_child_are_killed_at_the_timeout(
    host: SimHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(host_module, "QUERY_TIMEOUT", 1.5)
    host.set_output_fault("zoneadm list -cp", "hang")
    started = time.monotonic()
    with pytest.raises(CommandTimedOut) as caught:
        adapter(host).list_zones()
    assert 1.5 <= time.monotonic() - started < 10
    assert str(caught.value) == (
        f"{host.executable('zoneadm')} list -cp: timed out after 1.5s and was killed"
    )
    (fault,) = [event for event in host.commands() if event["event"] == "fault"]
    deadline = time.monotonic() + 5
    while not gone(fault["child"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gone(fault["pid"])
    assert gone(fault["child"]), "the hanging command's child outlived the timeout"


def test_garbage_output_is_a_parse_error_naming_the_command(host: SimHost) -> None:
    host.set_output_fault("zoneadm list -cp", "garbage")
    with pytest.raises(OutputParseError) as caught:
        adapter(host).list_zones()
    assert str(caught.value) == (
        f"{host.executable('zoneadm')} list -cp: unexpected output: expected at least 7 "
        f"colon-separated fields, found 1: {GARBAGE_LINE!r}"
    )


def test_empty_output_from_zoneadm_list_is_not_an_empty_host(host: SimHost) -> None:
    host.set_output_fault("zoneadm list -cp", "empty")
    with pytest.raises(OutputParseError) as caught:
        adapter(host).list_zones()
    assert str(caught.value) == (
        f"{host.executable('zoneadm')} list -cp: unexpected output: no line for the global "
        "zone, which zoneadm always lists: ''"
    )


def test_truncated_zoneadm_list_keeps_the_whole_lines(
    host: SimHost, caplog: pytest.LogCaptureFixture
) -> None:
    host.set_output_fault("zoneadm list -cp", "truncate")
    names = [listing.name for listing in adapter(host).list_zones()]
    assert names == ["kz1", "kz2"]
    (record,) = caplog.records
    assert record.getMessage().startswith(
        f"{host.executable('zoneadm')} list -cp: refusing the line '3:kz3:running:/sy"
    )
    assert record.getMessage().endswith("; kzguard will not act on that zone")


# ---------------------------------------------------------------------------------
# The kzguard command


def test_status_with_garbage_from_zoneadm(host: SimHost) -> None:
    host.set_output_fault("zoneadm list -cp", "garbage")
    result = cli(host, "status")
    assert (result.status, result.stdout) == (3, "")
    assert result.stderr == (
        f"kzguard: {host.executable('zoneadm')} list -cp: unexpected output: expected at "
        f"least 7 colon-separated fields, found 1: {GARBAGE_LINE!r}\n"
    )


def test_plan_stop_with_a_zonecfg_killed_by_sigsegv(host: SimHost) -> None:
    host.set_output_fault("zonecfg -z kz2 export", "sigsegv")
    result = cli(host, "plan", "stop")
    assert (result.status, result.stdout) == (3, "")
    assert result.stderr == (
        f"kzguard: {host.executable('zonecfg')} -z kz2 export: was killed by signal 11 (SIGSEGV)\n"
    )


def test_method_stop_acts_on_every_zone_it_can(host: SimHost) -> None:
    prepare_shutdown(host)
    host.set_output_fault("zonecfg -z kz2 export", "garbage")
    host.set_output_fault("zoneadm list -cs", "sigkill")
    host.set_zone_command("kz3", KSTAT, status=1, stderr="kstat: I/O error\n")
    result = cli(host, "method", "stop")
    assert result.status == 0, result.stderr
    zoneadm, zonecfg = host.executable("zoneadm"), host.executable("zonecfg")
    lines = result.stderr.splitlines()
    assert lines[:2] == [
        f"kzguard: {zoneadm} list -cs: was killed by signal 9 (SIGKILL); auxiliary states "
        "(suspended) unknown",
        f"kzguard: kz2: configuration unknown: {zonecfg} -z kz2 export: unexpected output: "
        f"a command before 'create': {GARBAGE_LINE!r}",
    ]
    # One zlogin reads the boot time and then writes the marker; kstat failed, so
    # the marker was written alone after it.
    both, alone = (argv for argv in started_argvs(host) if argv[1:3] == ["-n", "kz3"])
    assert (both[3:7], alone[3:4]) == ([*KSTAT.split(), "&&"], ["/usr/bin/mkdir"])
    assert (
        "kzguard: kz3: boot time not recorded (zlogin: exited with status 1: kstat: I/O error); "
        "its resume cannot be verified"
    ) in lines
    assert lines[-1].endswith(": 4 suspended, 0 shut down, 0 halted, 0 lost, 0 failed")
    assert states(host) == {
        "kz1": ("installed", ("suspended",)),
        "kz2": ("installed", ("suspended",)),
        "kz3": ("installed", ("suspended",)),
        "kz4": ("installed", ("suspended",)),
        "ngz1": ("running", ()),
    }


def test_method_stop_without_a_usable_zone_list_exits_95(host: SimHost) -> None:
    prepare_shutdown(host)
    host.set_output_fault("zoneadm list -cp", "empty")
    result = cli(host, "method", "stop")
    assert result.status == 95
    assert result.stderr == (
        f"kzguard: {host.executable('zoneadm')} list -cp: unexpected output: no line for the "
        "global zone, which zoneadm always lists: ''\n"
    )
    assert all(state == ("running", ()) for state in states(host).values())


def test_method_stop_does_not_take_garbage_for_a_run_level(host: SimHost) -> None:
    prepare_shutdown(host)
    # who -r, the first source, prints garbage; the milestone is not set (set_runlevel
    # is the instant before svc.startd reacts), so the run-level property decides.
    host.set_output_fault("who -r", "garbage")
    result = cli(host, "method", "stop")
    assert result.status == 0, result.stderr
    journal = support.journal(host)
    assert (journal["cycle"]["runlevel"], journal["cycle"]["runlevel_source"]) == (
        "6",
        "options_ovr/runlevel",
    )
    assert states(host)["kz1"] == ("installed", ("suspended",))


def test_method_stop_with_a_hanging_zoneadm_suspend_falls_back(host: SimHost) -> None:
    prepare_shutdown(host, '[zone.kz1]\nsuspend_timeout = "1s"\n')
    host.set_output_fault("zoneadm -z kz1 suspend", "hang")
    result = cli(host, "method", "stop")
    assert result.status == 0, result.stderr
    assert "kzguard: kz1 shut down in " in result.stderr
    assert states(host)["kz1"] == ("installed", ())
    (fault,) = [event for event in host.commands() if event["event"] == "fault"]
    assert gone(fault["child"])


def test_method_start_with_zoneadm_killed_still_exits_0(host: SimHost) -> None:
    host.set_output_fault("zoneadm list -cp", "sigkill")
    result = cli(host, "method", "start")
    assert result.status == 0
    assert result.stderr == (
        f"kzguard: {host.executable('zoneadm')} list -cp: was killed by signal 9 (SIGKILL)\n"
        "kzguard: start method failed: nothing was resumed; the guard stays enabled for the "
        "next shutdown\n"
    )


# ---------------------------------------------------------------------------------
# Zone names that a shell would interpret

DANGEROUS = ["kz1;reboot", "$(touch {marker})", "a b", "-z", "../x", "kz\n2", "`id`"]


def add_zone(host: SimHost, name: str, zone_id: int, like: str = "kz1") -> None:
    with host.edit() as state:
        zone: dict[str, Any] = copy.deepcopy(state["zones"][like])
        zone["id"] = zone_id
        zone["uuid"] = f"00000000-0000-4000-8000-{zone_id:012d}"
        zone["zonepath"] = f"/system/zones/{name}"
        state["zones"][name] = zone
        state["next_zone_id"] = max(state["next_zone_id"], zone_id + 1)


def test_dangerous_zone_names_never_reach_a_command(host: SimHost, tmp_path: Path) -> None:
    marker = tmp_path / "x"
    names = [name.format(marker=marker) for name in DANGEROUS]
    for index, name in enumerate(names):
        add_zone(host, name, 20 + index)
    add_zone(host, "kz-a.b_c", 40)
    prepare_shutdown(host)
    with host.edit() as state:
        for filesystem in state["filesystems"]:
            filesystem["available"] += 1 << 40  # room for the extra zone's image
    result = cli(host, "method", "stop")
    assert result.status == 0, result.stderr
    zoneadm = host.executable("zoneadm")

    def refused(line: str, reason: str) -> str:
        return (
            f"kzguard: {zoneadm} list -cp: refusing the line {excerpt(line)!r}: {reason}; "
            "kzguard will not act on that zone"
        )

    def printed(index: int, name: str) -> str:
        uuid = f"00000000-0000-4000-8000-{20 + index:012d}"
        return f"{20 + index}:{name}:running:/system/zones/{name}:{uuid}:solaris-kz:excl:-::"

    expected = [
        refused(printed(index, name), f"invalid zone name {name!r}")
        for index, name in enumerate(names)
        if "\n" not in name
    ]
    # "kz\n2" splits its line in three; none of them is a zone kzguard acts on.
    expected[5:5] = [
        refused("25:kz", "expected at least 7 colon-separated fields, found 2"),
        refused(
            "2:running:/system/zones/kz", "expected at least 7 colon-separated fields, found 3"
        ),
        refused(
            "2:00000000-0000-4000-8000-000000000025:solaris-kz:excl:-::",
            "'solaris-kz' is not a zone state",
        ),
    ]
    lines = result.stderr.splitlines()
    assert lines[: len(expected) + 1] == [
        *expected,
        f"kzguard: {zoneadm} list -cs: ignoring the line 'kz': expected NAME STATUS "
        "[AUXILIARY STATE]; that zone's auxiliary state is unknown",
    ]
    assert "Traceback" not in result.stderr
    assert lines[-1].endswith(": 5 suspended, 0 shut down, 0 halted, 0 lost, 0 failed")
    assert not marker.exists()
    after = states(host)
    assert {name: after[name] for name in names} == dict.fromkeys(names, ("running", ()))
    for name in ("kz1", "kz2", "kz3", "kz4", "kz-a.b_c"):
        assert after[name] == ("installed", ("suspended",)), name
    # The command log holds each argv exactly as the program received it: no
    # argument ever carries a refused name (the "-z" option is zoneadm's own), and
    # the unusual but valid name arrives as one untouched element -- no shell.
    argvs = started_argvs(host)
    for argv in argvs:
        for name in names:
            if name == "-z":
                assert argv[1:2] != ["-z"] or argv[2] != "-z", argv
            else:
                assert not any(name in arg for arg in argv), argv
    # The resume marker's nonce is random: 32 hex digits, one argument.
    marker_dir = "/system/volatile/kzguard"
    seen = [argv[1:] for argv in argvs if "kz-a.b_c" in argv]
    nonce = next(argv[11] for argv in seen if argv[10:11] == ["/usr/bin/echo"])
    assert re.fullmatch(r"[0-9a-f]{32}", nonce)
    marker_file = f"{marker_dir}/resume-marker"
    assert sorted(seen) == sorted(
        [
            ["-z", "kz-a.b_c", "export"],
            [
                *("-n", "kz-a.b_c", *KSTAT.split(), "&&"),
                *("/usr/bin/mkdir", "-p", marker_dir, "&&"),
                *("/usr/bin/echo", nonce, ">", f"{marker_file}.tmp", "&&"),
                *("/usr/bin/mv", "-f", f"{marker_file}.tmp", marker_file),
            ],
            ["-z", "kz-a.b_c", "suspend"],
        ]
    )
    # The configuration comes first and the suspend last: the in-zone reads and the
    # marker's write finish before the zone is suspended.
    assert (seen[0], seen[-1]) == (["-z", "kz-a.b_c", "export"], ["-z", "kz-a.b_c", "suspend"])


def test_status_refuses_dangerous_names_and_lists_the_rest(host: SimHost) -> None:
    add_zone(host, "kz1;reboot", 30)
    result = cli(host, "status", "--json")
    assert result.status == 2, result.stderr  # degraded: the guard never ran here
    names = [zone["name"] for zone in json.loads(result.stdout)["zones"]]
    assert "kz1;reboot" not in names
    assert {"kz1", "kz2", "kz3", "kz4", "ngz1"} <= set(names)
    line = (
        "30:kz1;reboot:running:/system/zones/kz1;reboot:00000000-0000-4000-8000-000000000030"
        ":solaris-kz:excl:-::"
    )
    assert (
        f"kzguard: {host.executable('zoneadm')} list -cp: refusing the line {line!r}: invalid "
        "zone name 'kz1;reboot'; kzguard will not act on that zone"
    ) in result.stderr.splitlines()


# ---------------------------------------------------------------------------------
# No shell anywhere

PACKAGE = Path(kzguard.__file__).resolve().parent
SHELL_FUNCTIONS = {"system", "popen", "execl", "execlp", "execv", "execvp", "spawnl", "spawnv"}


def test_no_module_uses_a_shell_and_only_the_runner_runs_solaris_commands() -> None:
    importers = set()
    spawners = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        relative = str(path.relative_to(PACKAGE))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                modules = [alias.name for alias in node.names]
                if isinstance(node, ast.ImportFrom):
                    modules = [node.module or ""]
                if "subprocess" in modules:
                    importers.add(relative)
            if isinstance(node, ast.Call):
                keywords = {keyword.arg for keyword in node.keywords}
                assert "shell" not in keywords, f"{relative}:{node.lineno}: shell= in a call"
                function = node.func
                if isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name):
                    call = f"{function.value.id}.{function.attr}"
                    if call in {"os.posix_spawn", "os.posix_spawnp"}:
                        spawners.add(relative)
                    assert not (function.value.id == "os" and function.attr in SHELL_FUNCTIONS), (
                        f"{relative}:{node.lineno}: {call}"
                    )
    # runner: Solaris commands, and the SMF methods the simulated svc.startd runs;
    # sim/tools: the "hang" fault's child; sim/shutdown: the zones service's
    # autoshutdown in the background; sim/reboot: the simulated host going down,
    # detached from the init 6 that started it.  Each passes an argument list
    # (checked above: no shell).
    assert importers == {"solaris/runner.py", "sim/tools.py", "sim/shutdown.py", "sim/reboot.py"}
    runner = (PACKAGE / "solaris" / "runner.py").read_text(encoding="utf-8")
    assert "argv = tuple(argv)" in runner
    assert spawners == {"solaris/runner.py"}
    assert "subprocess.Popen(\n            argv," in runner
    assert "os.posix_spawn(\n            argv[0],\n            argv," in runner

"""``kzguard apply`` and ``kzguard render manifest`` against simulated hosts."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from kzguard.cli import main
from kzguard.manifest.apply import manifest_diff, write_atomically
from kzguard.manifest.render import render_manifest
from kzguard.policy.file import load_policy
from kzguard.policy.model import Policy
from kzguard.sim.state import SimHost
from tests.packaging.conftest import DTD_PATH, GOLDEN, require
from tests.support import write_policy

KZ = [f"svc:/system/zones/zone:kz{n}" for n in range(1, 5)]
INSTANCE = "svc:/site/kzguard:default"


@pytest.fixture
def host_options() -> dict[str, Any]:
    return {"seed": 0}


@pytest.fixture
def manifest(host: SimHost) -> Path:
    return host.path / "lib" / "svc" / "manifest" / "site" / "kzguard.xml"


def apply(host: SimHost, manifest: Path, *options: str) -> int:
    manifest.parent.mkdir(parents=True, exist_ok=True)
    return main(["-c", str(host.policy_path), "apply", "--manifest-path", str(manifest), *options])


def host_policy(host: SimHost) -> Policy:
    return load_policy(str(host.policy_path), explicit=True)


def expected_manifest(host: SimHost, zones: list[str]) -> str:
    return render_manifest(
        host_policy(host), zone_instances=zones, policy_path=str(host.policy_path)
    )


def smf_calls(host: SimHost) -> list[list[str]]:
    """svccfg and svcadm runs, in order."""
    return [
        entry["argv"][1:]
        for entry in host.commands()
        if entry["event"] == "start" and entry["tool"] in ("svccfg", "svcadm")
    ]


def zone_lines(zones: list[str]) -> list[str]:
    return [f"zone {fmri.rpartition(':')[2]}: depends on {fmri}" for fmri in zones]


def test_apply_installs_imports_and_refreshes_the_manifest(
    host: SimHost, manifest: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert apply(host, manifest) == 0
    out, err = capsys.readouterr()
    rendered = expected_manifest(host, KZ)
    assert out == "".join(
        line + "\n"
        for line in [
            *zone_lines(KZ),
            *manifest_diff(None, rendered, str(manifest)).splitlines(),
            f"wrote {manifest}",
            f"ran: {host.bin_dir}/svccfg import {manifest}",
            f"ran: {host.bin_dir}/svcadm refresh {INSTANCE}",
        ]
    )
    assert err == ""
    assert manifest.read_text(encoding="utf-8") == rendered
    assert stat.S_IMODE(manifest.stat().st_mode) == 0o444
    assert [p.name for p in manifest.parent.iterdir()] == ["kzguard.xml"]  # no temporary left
    assert smf_calls(host) == [["import", str(manifest)], ["refresh", INSTANCE]]
    state = host.read()
    assert state["smf"][INSTANCE]["stop/timeout_seconds"] == ["count", "1020"]
    assert state["smf"][INSTANCE]["zone-kz3/entities"] == ["fmri", ["svc:/system/zones/zone:kz3"]]
    assert state["services"]["instances"][INSTANCE]["refresh_count"] == 1


def test_the_applied_manifest_validates_against_the_dtd(host: SimHost, manifest: Path) -> None:
    assert apply(host, manifest) == 0
    require(DTD_PATH.is_file(), f"the service_bundle DTD ({DTD_PATH})")
    dtd = etree.DTD(str(DTD_PATH))
    assert dtd.validate(etree.parse(str(manifest))), dtd.error_log.filter_from_errors()


def test_apply_again_changes_nothing(
    host: SimHost, manifest: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert apply(host, manifest) == 0
    capsys.readouterr()
    assert apply(host, manifest) == 0
    assert capsys.readouterr().out.splitlines() == [
        *zone_lines(KZ),
        f"manifest unchanged: {manifest}",
    ]
    assert smf_calls(host) == [["import", str(manifest)], ["refresh", INSTANCE]]


def test_apply_shows_a_changed_deadline_as_a_diff(
    host: SimHost, manifest: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert apply(host, manifest) == 0
    write_policy(host, '[shutdown]\ndeadline = "1h"\n', assumed_rate=None, stagger=None)
    capsys.readouterr()
    assert apply(host, manifest, "--dry-run") == 0
    lines = capsys.readouterr().out.splitlines()
    changed = [line for line in lines if line[:1] in "+-" and line[:3] not in ("---", "+++")]
    method = '    <exec_method type="method" name="stop" exec="/lib/svc/method/svc-kzguard %m %{config/policy}"'
    assert changed == [
        "-    stop    1020s = shutdown.deadline 900s + 120s margin",
        "+    stop    3720s = shutdown.deadline 3600s + 120s margin",
        f'-{method} timeout_seconds="1020"/>',
        f'+{method} timeout_seconds="3720"/>',
    ]
    assert lines[len(KZ) : len(KZ) + 2] == [
        f"--- {manifest} (installed)",
        f"+++ {manifest} (from the policy)",
    ]
    assert lines[-1] == "(dry run; not making any changes)"


def test_a_dry_run_changes_nothing(
    host: SimHost, manifest: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert apply(host, manifest, "-n") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[len(KZ) : len(KZ) + 2] == ["--- /dev/null", f"+++ {manifest} (from the policy)"]
    assert lines[-1] == "(dry run; not making any changes)"
    assert not manifest.exists()
    assert smf_calls(host) == []


def test_an_invalid_policy_is_refused_before_anything_runs(
    host: SimHost, manifest: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    host.policy_path.write_text('[shutdown]\ndeadline = "5s"\n', encoding="utf-8")
    assert apply(host, manifest) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"kzguard: {host.policy_path}:2: shutdown.deadline: must be between 10s and 24h, got 5s\n"
    )
    assert not manifest.exists()
    assert host.commands() == []


def test_only_managed_zones_with_an_instance_get_a_dependency(
    host: SimHost, manifest: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_policy(host, '[select]\nexclude = ["kz2"]\n', assumed_rate=None, stagger=None)
    with host.edit() as state:
        # Configured but not installed: 11.4 makes no instance for it yet (docs/solaris.md 3.1).
        state["zones"]["kz3"].update(state="configured", id=None)
        del state["smf"]["svc:/system/zones/zone:kz3"]
    assert apply(host, manifest) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:3] == [
        "zone kz1: depends on svc:/system/zones/zone:kz1",
        "zone kz4: depends on svc:/system/zones/zone:kz4",
        "zone kz3: no SMF instance svc:/system/zones/zone:kz3; no dependency",
    ]
    expected = expected_manifest(host, ["svc:/system/zones/zone:kz1", "svc:/system/zones/zone:kz4"])
    assert manifest.read_text(encoding="utf-8") == expected
    lookups = [
        entry["argv"][1:]
        for entry in host.commands()
        if entry["event"] == "start" and entry["tool"] == "svcprop"
    ]
    # ngz1 (not a kernel zone) and the excluded kz2 are never looked up; lookups run concurrently.
    assert sorted(lookups) == [["-p", "general/enabled", fmri] for fmri in (KZ[0], KZ[2], KZ[3])]


def test_on_solaris_11_3_there_are_no_zone_instances(
    host: SimHost, manifest: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with host.edit() as state:
        state["release"] = "11.3"
        for fmri in [*KZ, "svc:/system/zones/zone:ngz1"]:
            del state["smf"][fmri]
    assert apply(host, manifest) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:4] == [
        f"zone kz{n}: no SMF instance svc:/system/zones/zone:kz{n}; no dependency"
        for n in range(1, 5)
    ]
    assert manifest.read_text(encoding="utf-8") == expected_manifest(host, [])


def test_a_host_without_managed_zones_says_so(
    host: SimHost, manifest: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_policy(host, "[select]\nauto = false\n", assumed_rate=None, stagger=None)
    assert apply(host, manifest, "-n") == 0
    assert capsys.readouterr().out.splitlines()[0] == "no managed zones"


def test_a_failed_import_is_an_error_that_says_what_to_run(
    host: SimHost, manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    failing = tmp_path / "svccfg"
    failing.write_text("#!/bin/sh\necho 'svccfg: import failed' >&2\nexit 1\n", encoding="utf-8")
    failing.chmod(0o755)
    write_policy(host, svccfg=failing, assumed_rate=None, stagger=None)
    assert apply(host, manifest) == 3
    out, err = capsys.readouterr()
    assert out.splitlines()[-1] == f"wrote {manifest}"
    assert err.splitlines() == [
        f"kzguard: the manifest is installed but SMF has not read it; run: {failing} import {manifest}",
        f"kzguard: {failing} import {manifest}: exited with status 1: svccfg: import failed",
    ]
    assert smf_calls(host) == []


def test_an_unwritable_manifest_path_is_an_error(
    host: SimHost, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no-such-directory" / "kzguard.xml"
    code = main(["-c", str(host.policy_path), "apply", "--manifest-path", str(missing)])
    assert code == 2
    assert capsys.readouterr().err == (
        f"kzguard: {missing}: cannot write: No such file or directory\n"
    )
    assert smf_calls(host) == []


def test_apply_keeps_the_mode_of_an_installed_manifest(host: SimHost, manifest: Path) -> None:
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_text("<old/>\n", encoding="utf-8")
    os.chmod(manifest, 0o440)
    assert apply(host, manifest) == 0
    assert stat.S_IMODE(manifest.stat().st_mode) == 0o440


# -- render -----------------------------------------------------------------------


def test_render_defaults_prints_the_packaged_manifest(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["render", "manifest", "--defaults"]) == 0
    out, err = capsys.readouterr()
    assert out == (GOLDEN / "manifest-default.xml").read_text(encoding="utf-8")
    assert err == ""


def test_render_uses_the_policy_and_its_absolute_path(
    host: SimHost, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.chdir(host.path)
    output = tmp_path / "out.xml"
    assert (
        main(["-c", "policy.toml", "render", "manifest", "--zone", "kz2", "-o", str(output)]) == 0
    )
    assert capsys.readouterr() == ("", "")
    assert output.read_text(encoding="utf-8") == expected_manifest(
        host, ["svc:/system/zones/zone:kz2"]
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["-c", "/etc/kzguard/policy.toml", "render", "manifest", "--defaults"],
            "--defaults and -c/--policy exclude each other",
        ),
        (
            ["render", "manifest", "--defaults", "--zone", "bad name"],
            'invalid zone name "bad name" (it contains " "): a zone name is 1-63 characters, '
            'starts with a letter or digit, then letters, digits, "-", "_" or "."',
        ),
        (
            ["render", "manifest", "--defaults", "-o", "/nonexistent/dir/kzguard.xml"],
            "/nonexistent/dir/kzguard.xml: cannot write: No such file or directory",
        ),
    ],
)
def test_render_refuses_bad_usage(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert capsys.readouterr() == ("", f"kzguard: {message}\n")


def test_render_with_a_missing_policy_file_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.toml"
    assert main(["-c", str(missing), "render", "manifest"]) == 2
    assert capsys.readouterr() == ("", f"kzguard: {missing}: no such file\n")


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda path: path.mkdir(parents=True), "Is a directory"),
        (
            lambda path: (
                path.parent.mkdir(parents=True, exist_ok=True),
                path.write_bytes(b"<\xff/>\n"),
            ),
            "'utf-8' codec can't decode byte 0xff in position 1: invalid start byte",
        ),
    ],
    ids=["directory", "not-utf-8"],
)
def test_an_unreadable_installed_manifest_is_an_error_before_anything_is_written(
    host: SimHost,
    manifest: Path,
    capsys: pytest.CaptureFixture[str],
    make: Callable[[Path], object],
    reason: str,
) -> None:
    make(manifest)
    assert apply(host, manifest) == 2
    assert capsys.readouterr().err == (
        f"kzguard: {manifest}: cannot read the installed manifest: {reason}\n"
    )
    assert smf_calls(host) == []


def test_a_policy_path_svc_startd_cannot_use_is_refused_by_apply(
    host: SimHost, manifest: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    odd = host.path / "odd\tname.toml"
    odd.write_bytes(host.policy_path.read_bytes())
    manifest.parent.mkdir(parents=True, exist_ok=True)
    assert main(["-c", str(odd), "apply", "--manifest-path", str(manifest)]) == 2
    assert capsys.readouterr().err == (
        f"kzguard: the policy path must not contain control characters: {str(odd)!r}\n"
    )
    assert not manifest.exists()
    assert smf_calls(host) == []


def test_render_without_a_policy_reads_the_default_path(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """No /etc/kzguard/policy.toml here: the built-in defaults, as the package ships."""
    assert not os.path.exists("/etc/kzguard/policy.toml")
    assert main(["render", "manifest"]) == 0
    out, err = capsys.readouterr()
    assert out == (GOLDEN / "manifest-default.xml").read_text(encoding="utf-8")
    assert err == ""


def test_a_manifest_that_cannot_be_replaced_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "kzguard.xml"
    target.mkdir()
    (target / "keep").write_text("", encoding="utf-8")
    with pytest.raises(OSError, match=r"Is a directory|Directory not empty"):
        write_atomically(str(target), "<service_bundle/>\n")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["kzguard.xml"]
    assert [path.name for path in target.iterdir()] == ["keep"]


def test_python_m_kzguard_renders_the_manifest_as_the_ips_build_runs_it() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "kzguard", "render", "manifest", "--defaults"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert (completed.returncode, completed.stderr) == (0, "")
    assert completed.stdout == (GOLDEN / "manifest-default.xml").read_text(encoding="utf-8")


def test_apply_on_a_simulated_host_installs_the_manifest_inside_it(
    host: SimHost, capsys: pytest.CaptureFixture[str]
) -> None:
    """End to end, as the README's walk-through runs it: no --manifest-path; the
    manifest goes where the package would put it, under the host's root, and the
    simulated svccfg imports it from there."""
    manifest = host.path / "lib" / "svc" / "manifest" / "site" / "kzguard.xml"
    assert main(["-c", str(host.policy_path), "apply"]) == 0
    out, err = capsys.readouterr()
    assert (out.splitlines()[-3:], err) == (
        [
            f"wrote {manifest}",
            f"ran: {host.bin_dir}/svccfg import {manifest}",
            f"ran: {host.bin_dir}/svcadm refresh {INSTANCE}",
        ],
        "",
    )
    assert manifest.read_text(encoding="utf-8") == expected_manifest(host, KZ)
    assert host.read()["services"]["manifests"][-1]["path"] == str(manifest)
    assert main(["-c", str(host.policy_path), "apply"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"manifest unchanged: {manifest}"


def test_apply_on_a_real_host_uses_the_packages_manifest_path(
    host: SimHost, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without the simulator's marker the host is taken for a real one."""
    (host.path / "simulated-solaris-host").unlink()
    assert main(["-c", str(host.policy_path), "apply", "--dry-run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "+++ /lib/svc/manifest/site/kzguard.xml (from the policy)" in lines

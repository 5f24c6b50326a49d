"""packaging/svc-kzguard, the SMF method script, run with sh.

The script honours no environment override (it runs as root at every boot and
shutdown), so the test runs a copy whose two build- and host-specific parts are
rewritten: the smf_include.sh it sources, and the interpreter token.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.packaging.conftest import REPO

SCRIPT = REPO / "packaging" / "svc-kzguard"
SOURCE_LINE = ". /lib/svc/share/smf_include.sh"
INTERPRETER_MARK = "@PYTHON@"
# The values of /lib/svc/share/smf_include.sh (docs/solaris.md 5.4).
SMF_INCLUDE = """\
SMF_EXIT_OK=0
SMF_EXIT_ERR_FATAL=95
SMF_EXIT_ERR_CONFIG=96
SMF_EXIT_ERR_NOSMF=99
SMF_EXIT_ERR_PERM=100
"""
# Records its arguments one per line, then exits with the status asked for.
FAKE_PYTHON = """\
#!/bin/sh
for argument in "$@"; do printf '%s\\n' "$argument"; done > "{record}"
exit {status}
"""
FMRI = "svc:/site/kzguard:default"


@dataclass
class MethodRun:
    status: int
    stdout: str
    stderr: str
    argv: list[str] | None  # what the fake python received; None if it never ran


def method_copy(tmp_path: Path, status: int = 0) -> Path:
    text = SCRIPT.read_text(encoding="utf-8")
    assert text.count(SOURCE_LINE) == 1
    include = tmp_path / "smf_include.sh"
    include.write_text(SMF_INCLUDE, encoding="utf-8")
    python = tmp_path / "python3.11"
    python.write_text(FAKE_PYTHON.format(record=tmp_path / "argv", status=status), encoding="utf-8")
    python.chmod(0o755)
    copy = tmp_path / "svc-kzguard"
    copy.write_text(
        text.replace(SOURCE_LINE, f". {include}").replace(INTERPRETER_MARK, str(python)),
        encoding="utf-8",
    )
    return copy


def run_method(tmp_path: Path, *args: str, fmri: str | None = FMRI, status: int = 0) -> MethodRun:
    copy = method_copy(tmp_path, status)
    environment = {"PATH": "/usr/sbin:/usr/bin:/bin"}
    if fmri is not None:
        environment["SMF_FMRI"] = fmri
    completed = subprocess.run(
        ["sh", str(copy), *args],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
        cwd=tmp_path,
    )
    record = tmp_path / "argv"
    argv = record.read_text(encoding="utf-8").splitlines() if record.exists() else None
    return MethodRun(completed.returncode, completed.stdout, completed.stderr, argv)


def test_outside_smf_it_exits_99_and_says_why(tmp_path: Path) -> None:
    result = run_method(tmp_path, "stop", "/etc/kzguard/policy.toml", fmri=None)
    assert (result.status, result.stdout, result.argv) == (99, "", None)
    assert result.stderr == (
        "svc-kzguard: run by SMF only (svc:/site/kzguard:default); use kzguard(8)\n"
    )


def test_an_empty_smf_fmri_counts_as_outside_smf(tmp_path: Path) -> None:
    result = run_method(tmp_path, "start", "/etc/kzguard/policy.toml", fmri="")
    assert (result.status, result.argv) == (99, None)


@pytest.mark.parametrize("method", ["start", "stop", "refresh"])
def test_under_smf_it_runs_the_packaged_python_with_the_method(tmp_path: Path, method: str) -> None:
    result = run_method(tmp_path, method, "/etc/kzguard/policy.toml")
    assert (result.status, result.stdout, result.stderr) == (0, "", "")
    assert result.argv == [
        "-I", "-B", "-m", "kzguard", "-c", "/etc/kzguard/policy.toml", "method", method,
    ]  # fmt: skip


def test_a_policy_path_with_spaces_stays_one_argument(tmp_path: Path) -> None:
    # svc.startd backslash-quotes the %{config/policy} value for the shell that
    # runs the exec string; the script must keep it whole.
    result = run_method(tmp_path, "stop", "/etc/kzguard/site policy.toml")
    assert result.argv == [
        "-I", "-B", "-m", "kzguard", "-c", "/etc/kzguard/site policy.toml", "method", "stop",
    ]  # fmt: skip


def test_an_empty_policy_property_leaves_kzguard_on_its_default_policy(tmp_path: Path) -> None:
    # An empty astring expands to nothing, so $2 is missing altogether.
    result = run_method(tmp_path, "stop")
    assert result.argv == ["-I", "-B", "-m", "kzguard", "method", "stop"]


def test_kzguards_exit_status_is_the_methods(tmp_path: Path) -> None:
    result = run_method(tmp_path, "stop", "/etc/kzguard/policy.toml", status=95)
    assert result.status == 95


def test_the_script_reads_no_environment_beyond_smf_fmri() -> None:
    code = [
        line
        for line in SCRIPT.read_text(encoding="utf-8").splitlines()
        if not line.lstrip().startswith("#")
    ]
    variables = set(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*|[0-9])", "\n".join(code)))
    assert variables == {"SMF_FMRI", "SMF_EXIT_ERR_NOSMF", "1", "2"}
    assert SOURCE_LINE in code
    assert sum(line.count(INTERPRETER_MARK) for line in code) == 2


def test_the_script_is_posix_sh(tmp_path: Path) -> None:
    completed = subprocess.run(
        ["sh", "-n", str(method_copy(tmp_path))], capture_output=True, text=True, check=False
    )
    assert (completed.returncode, completed.stderr) == (0, "")
    assert SCRIPT.read_text(encoding="utf-8").startswith("#!/bin/sh\n")

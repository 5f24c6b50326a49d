"""ansible-lint passes the collection kzguard.fleet with its strictest profile,
offline.  It lints a copy, installed as a collection under tmp_path, so that it
resolves the collection's own roles and module and writes its cache there, not in
the repository."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.ansible.conftest import BIN, COLLECTION


def test_ansible_lint_passes_the_collection_offline(
    ansible_env: dict[str, str], tmp_path: Path
) -> None:
    installed = tmp_path / "lint" / "ansible_collections" / "kzguard" / "fleet"
    shutil.copytree(COLLECTION, installed, ignore=shutil.ignore_patterns("__pycache__", ".ansible"))
    env = dict(
        ansible_env,
        ANSIBLE_COLLECTIONS_PATH=str(tmp_path / "lint"),
        ANSIBLE_LINT_SKIP_SCHEMA_UPDATE="1",
        NO_COLOR="1",
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    linted = subprocess.run(
        [str(BIN / "ansible-lint"), "--offline", "--nocolor", "--profile", "production"],
        capture_output=True,
        text=True,
        env=env,
        cwd=installed,
        timeout=300,
        check=False,
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr
    assert "Passed: 0 failure(s), 0 warning(s)" in linted.stderr + linted.stdout

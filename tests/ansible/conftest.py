"""Running the collection kzguard.fleet (ansible/kzguard) with the real ansible-core
against simulated hosts: each host is an inventory host reached with
``ansible_connection: local``, whose variables point kzguard at it (the kzguard
executable of this interpreter's environment, ``-c HOSTDIR/policy.toml``).

Ansible's home, its temporary directories and the collection (a link to
ansible/kzguard, so no build or install step) live under the test's tmp_path; no
forks beyond 2, no network."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kzguard.sim.state import SimHost

REPO = Path(__file__).resolve().parents[2]
COLLECTION = REPO / "ansible" / "kzguard"
BIN = Path(sys.executable).parent
KZGUARD = BIN / "kzguard"
# A playbook run against simulated hosts takes seconds; one that hangs is a failure.
PLAYBOOK_TIMEOUT = 300


@dataclass
class Played:
    status: int
    stdout: str
    stderr: str

    def recap(self, host: str) -> dict[str, int]:
        """The PLAY RECAP counters of ``host``: ok, changed, failed..."""
        line = next(
            line
            for line in self.stdout.splitlines()
            if line.split(" ", 1)[0] == host and ": ok=" in line
        )
        return {
            key: int(value)
            for key, value in (item.split("=") for item in line.split(":", 1)[1].split())
        }


@pytest.fixture
def ansible_env(tmp_path: Path) -> dict[str, str]:
    """The environment of ansible-playbook: everything Ansible writes under
    tmp_path, the collection found through a link, 2 forks, plain output."""
    collections = tmp_path / "ansible-collections"
    (collections / "ansible_collections" / "kzguard").mkdir(parents=True)
    (collections / "ansible_collections" / "kzguard" / "fleet").symlink_to(COLLECTION)
    home = tmp_path / "ansible-home"
    config = tmp_path / "ansible.cfg"
    config.write_text("# empty: no ansible.cfg of the machine or the user applies\n")
    env = dict(os.environ)
    env.update(
        ANSIBLE_HOME=str(home),
        ANSIBLE_LOCAL_TEMP=str(home / "tmp"),
        ANSIBLE_REMOTE_TEMP=str(home / "remote-tmp"),
        ANSIBLE_COLLECTIONS_PATH=str(collections),
        ANSIBLE_CONFIG=str(config),
        ANSIBLE_FORKS="2",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_STDOUT_CALLBACK="default",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_HOST_KEY_CHECKING="0",
        ANSIBLE_GALAXY_DISABLE_GPG_VERIFY="1",
    )
    return env


def host_vars(host: SimHost, **extra: Any) -> dict[str, Any]:
    """An inventory host for ``host``: reached locally, kzguard pointed at it."""
    return {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        "kzguard_command": str(KZGUARD),
        "kzguard_policy_path": str(host.policy_path),
        "kzguard_install_package": False,
        **extra,
    }


def write_inventory(path: Path, hosts: Mapping[str, Mapping[str, Any]]) -> Path:
    """An inventory file (JSON is YAML) with ``hosts`` in this order."""
    path.write_text(json.dumps({"all": {"hosts": dict(hosts)}}, indent=1), encoding="utf-8")
    return path


def run_playbook(
    env: Mapping[str, str], inventory: Path, playbook: str, *args: str, cwd: Path
) -> Played:
    """``ansible-playbook -i INVENTORY PLAYBOOK ARGS`` (a collection playbook's name or
    a file) in ``cwd``."""
    completed = subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(inventory), playbook, *args],
        capture_output=True,
        text=True,
        timeout=PLAYBOOK_TIMEOUT,
        env=dict(env),
        cwd=cwd,
        check=False,
    )
    return Played(completed.returncode, completed.stdout, completed.stderr)


def extra_vars(**values: Any) -> Sequence[str]:
    return ["-e", json.dumps(values)]

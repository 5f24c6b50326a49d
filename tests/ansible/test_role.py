"""The role kzguard.fleet.kzguard (playbook kzguard.fleet.deploy) on two simulated
hosts: the first run deploys each policy and applies it; the second changes nothing
where the policy is the same, and an invalid policy never reaches its host: the task
fails with kzguard check's message and the host keeps its policy."""

from __future__ import annotations

import json
import re
from pathlib import Path

from kzguard.sim.state import SimHost
from tests.ansible.conftest import host_vars, run_playbook, write_inventory
from tests.conftest import MakeHost
from tests.support import FAST_RATES

HEADER = (
    "# Ansible managed: the kzguard policy, see kzguard.toml(5).\n"
    "# Deployed by the role kzguard.fleet.kzguard only after `kzguard check` accepted it.\n"
)


def manifest(host: SimHost) -> Path:
    return host.path / "lib" / "svc" / "manifest" / "site" / "kzguard.xml"


def inventory(path: Path, hosts: dict[str, SimHost], contents: dict[str, str]) -> Path:
    return write_inventory(
        path,
        {
            name: host_vars(host, kzguard_policy_content=contents[name])
            for name, host in hosts.items()
        },
    )


def test_deploys_applies_then_changes_nothing_and_never_deploys_an_invalid_policy(
    make_host: MakeHost, ansible_env: dict[str, str], tmp_path: Path
) -> None:
    hosts = {name: make_host(name, zones=2, rates=FAST_RATES, policy="") for name in ("h1", "h2")}
    contents = {name: host.policy_path.read_text() for name, host in hosts.items()}
    path = tmp_path / "inventory.yml"

    first = run_playbook(
        ansible_env, inventory(path, hosts, contents), "kzguard.fleet.deploy", cwd=tmp_path
    )
    assert first.status == 0, first.stdout + first.stderr
    for name, host in hosts.items():
        # the policy (its header added), and apply's manifest, imported
        assert host.policy_path.read_text() == HEADER + contents[name]
        assert manifest(host).is_file()
        assert first.recap(name) == {
            "ok": 3,
            "changed": 2,
            "unreachable": 0,
            "failed": 0,
            "skipped": 2,
            "rescued": 0,
            "ignored": 0,
        }
    assert f'"policy {hosts["h1"].policy_path}: changed",' in first.stdout
    assert f'"wrote {manifest(hosts["h1"])}",' in first.stdout

    # The second run: h2's policy as before (nothing changes), h1's made invalid
    # (never deployed).  One run for both: ansible-playbook runs are the slow tests.
    deployed = hosts["h1"].policy_path.read_text()
    bad = dict(contents, h1=contents["h1"] + '\n[defaults]\nactoin = "halt"\n')
    second = run_playbook(
        ansible_env, inventory(path, hosts, bad), "kzguard.fleet.deploy", cwd=tmp_path
    )
    assert second.status == 2, second.stdout + second.stderr
    assert hosts["h1"].policy_path.read_text() == deployed
    assert second.recap("h1")["failed"] == 1
    assert second.recap("h2") == {
        "ok": 3,
        "changed": 0,
        "unreachable": 0,
        "failed": 0,
        "skipped": 2,
        "rescued": 0,
        "ignored": 0,
    }
    assert f'"policy {hosts["h2"].policy_path}: unchanged",' in second.stdout
    assert '"manifest: unchanged"' in second.stdout
    failure = next(line for line in second.stdout.splitlines() if line.startswith("fatal: [h1]"))
    line = (HEADER + bad["h1"]).splitlines().index('actoin = "halt"') + 1
    result = json.loads(failure.split(" => ", 1)[1])
    assert (result["msg"], result["exit_status"]) == ("failed to validate", 2)
    assert re.fullmatch(
        "kzguard: .*/ansible-home/remote-tmp/[^/]+/[.]source[.]toml:"
        f'{line}: defaults.actoin: unknown key; did you mean "action"[?]\n',
        result["stderr"],
    ), result["stderr"]

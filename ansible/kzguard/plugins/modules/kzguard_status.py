#!/usr/bin/python
# Copyright: kzguard contributors
# License: CDDL-1.0
"""Ansible module kzguard.fleet.kzguard_status: ``kzguard status --json`` on the target.

Runs on the managed host (a Solaris global zone, or a simulated one in the tests)
under the host's own Python, so it imports nothing from kzguard: it runs the
``kzguard`` command and reads its JSON document (docs/formats.md, "kzguard status
--json").  Read-only, so it runs in check mode too.
"""

from __future__ import annotations

import json

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
---
module: kzguard_status
short_description: Read kzguard's state on a Solaris global zone
version_added: "1.0.0"
description:
  - Runs C(kzguard status --json) and returns its document, also as the fact
    C(kzguard_status).
  - The document says whether the guard is armed or degraded (and why), what the
    next shutdown would do, and the last reboot cycle with a verdict per zone
    (C(preserved), C(booted), C(lost), C(failed), C(left-alone), C(pending)).
  - Fails when kzguard is not installed, when the command fails, and, unless
    O(fail_on_degraded=false), when the guard is degraded (not armed, an invalid
    policy, a managed zone not held at shutdown, an unusable journal).
options:
  kzguard:
    description:
      - The kzguard command, an absolute path or a name looked up in PATH,
        /usr/sbin and /usr/bin.
    type: str
    default: kzguard
  policy:
    description:
      - The policy file (C(kzguard -c)); by default kzguard's own,
        /etc/kzguard/policy.toml.
    type: path
  fail_on_degraded:
    description:
      - Fail when the guard is degraded (C(kzguard status) exit status 2).
      - With V(false) the document is returned all the same, for instance to
        watch a host that is rebooting.
    type: bool
    default: true
  preflight:
    description:
      - Also judge whether C(kzguard reboot) would go ahead, from the same document
        (one call; C(kzguard reboot) judges the same again before it reboots) and
        return the reasons it would refuse as RV(refusals).
    type: bool
    default: false
attributes:
  check_mode:
    support: full
author:
  - kzguard contributors
"""

EXAMPLES = r"""
- name: Read kzguard's state
  kzguard.fleet.kzguard_status:
  register: guard

- name: Read it on a simulated host
  kzguard.fleet.kzguard_status:
    kzguard: /opt/venv/bin/kzguard
    policy: /tmp/host1/policy.toml
"""

RETURN = r"""
status:
  description: The whole document of C(kzguard status --json).
  returned: success
  type: dict
armed:
  description: Whether the guard is armed.
  returned: success
  type: bool
degraded:
  description: Why the guard is degraded, one reason an item; empty when it is not.
  returned: success
  type: list
  elements: str
exit_status:
  description: The exit status of C(kzguard status) (0 healthy, 1 an error is
    recorded, 2 degraded); null when kzguard is not installed, and nothing ran.
  returned: always
  type: int
host_boot_time:
  description: When the global zone booted (epoch seconds), as kzguard read it.
  returned: success
  type: int
last_cycle:
  description: The last reboot cycle (C(last_cycle) of the document).
  returned: success
  type: dict
refusals:
  description:
    - With O(preflight=true), why C(kzguard reboot) would refuse, one reason an item
      ("degraded" and the reason, per reason the guard is degraded; a stop running
      now; the stop plan not fitting its deadline; each zone the plan would not
      suspend, with the plan's note); empty when it would go ahead.
  returned: success and O(preflight=true)
  type: list
  elements: str
"""

# kzguard status: 0 healthy, 1 an error is recorded (a zone lost or failed: data,
# not a failure of this module), 2 degraded; 3 and 4 are kzguard's own failures.
RECORDED_ERROR = 1
DEGRADED = 2


def find_kzguard(module: AnsibleModule, name: str) -> str:
    if name.startswith("/"):
        return name if module.get_bin_path(name) else ""
    return module.get_bin_path(name, opt_dirs=["/usr/sbin", "/usr/bin"]) or ""


def refusals(document: dict) -> list:
    """Why ``kzguard reboot`` would refuse (kzguard.status.cycle.reboot_refusals), as
    far as the document of ``kzguard status --json`` tells: the guard degraded, a
    stop running, the stop plan over its deadline, a zone the plan would not
    suspend, or whose suspend only the assumed rate expects to outlast its timeout."""
    guard = document.get("guard") or {}
    plan = document.get("next_shutdown") or {}
    reasons = [f"degraded: {reason}" for reason in guard.get("degraded") or []]
    if guard.get("stop_running"):
        # Its suspends would race init's shutdown (kzguard reboot refuses too).
        reasons.append(f"a stop is running now: {guard['stop_running']}; wait for it to end")
    if plan and not plan.get("fits", True):
        reasons.append(
            "the stop plan does not fit its deadline: expected {}s of the {}s budget".format(
                plan.get("predicted_makespan"), plan.get("budget")
            )
        )
    reasons += [
        "{} would not be suspended: {}".format(zone.get("zone"), zone.get("note"))
        for zone in plan.get("zones") or []
        if zone.get("note")
    ]
    reasons += [
        "{} may not be suspended: {}".format(zone.get("zone"), zone.get("at_risk"))
        for zone in plan.get("zones") or []
        if zone.get("at_risk")
    ]
    return reasons


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "kzguard": {"type": "str", "default": "kzguard"},
            "policy": {"type": "path"},
            "fail_on_degraded": {"type": "bool", "default": True},
            "preflight": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    command = find_kzguard(module, module.params["kzguard"])
    if not command:
        module.fail_json(
            msg="kzguard is not installed here: no executable {} (install the package "
            "system/kzguard, or set the kzguard option)".format(module.params["kzguard"]),
            exit_status=None,
        )
    argv = [command]
    if module.params["policy"]:
        argv += ["-c", module.params["policy"]]
    argv += ["status", "--json"]
    rc, out, err = module.run_command(argv)
    result = {"changed": False, "exit_status": rc, "cmd": argv, "stderr": err}
    if rc not in (0, RECORDED_ERROR, DEGRADED):
        module.fail_json(
            msg=f"kzguard status failed (exit {rc}): {err.strip() or out.strip()}",
            **result,
        )
    try:
        document = json.loads(out)
    except ValueError as error:
        module.fail_json(msg=f"kzguard status --json printed no JSON: {error}", **result)
    guard = document.get("guard") or {}
    cycle = document.get("last_cycle") or {}
    result.update(
        status=document,
        armed=bool(guard.get("armed")),
        degraded=list(guard.get("degraded") or []),
        host_boot_time=cycle.get("host_boot_time"),
        last_cycle=cycle,
        ansible_facts={"kzguard_status": document},
    )
    if module.params["preflight"]:
        result["refusals"] = refusals(document)
    if rc == DEGRADED and module.params["fail_on_degraded"]:
        reasons = "; ".join(result["degraded"]) or err.strip() or "no reason given"
        module.fail_json(msg=f"kzguard is degraded: {reasons}", **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

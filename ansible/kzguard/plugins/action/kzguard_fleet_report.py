# Copyright: kzguard contributors
# License: CDDL-1.0
"""Action kzguard.fleet.kzguard_fleet_report: the fleet report of the rolling reboot,
built, written as JSON and returned as a table, on the controller.

An action plugin, not a module: the report is the controller's, made of what every
host recorded (its ``kzguard_rolling_result``), so nothing is sent to a host and no
interpreter starts -- the rolling reboot writes it after every batch, and at one host
a batch that is after every host (docs/performance.md, "Fleet").
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.kzguard.fleet.plugins.filter.fleet import (
    kzguard_fleet_report,
    kzguard_fleet_table,
)


def write_report(path: str, report: dict[str, Any]) -> None:
    """Replace ``path`` with the report: a reader sees the old one or the new one."""
    directory = os.path.dirname(os.path.abspath(path))
    descriptor, temporary = tempfile.mkstemp(prefix=".kzguard-fleet-", dir=directory)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(json.dumps(report, indent=4) + "\n")
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("hosts", "path"))

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result: dict[str, Any] = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        hosts = self._task.args.get("hosts")
        path = self._task.args.get("path") or ""
        if not isinstance(hosts, list):
            raise AnsibleActionFail("hosts: a list of inventory host names is required")
        report = kzguard_fleet_report(task_vars["hostvars"], [str(host) for host in hosts])
        if path:
            try:
                write_report(str(path), report)
            except OSError as error:
                message = f"cannot write the fleet report to {path}: {error}"
                raise AnsibleActionFail(message) from None
        result.update(changed=False, report=report, table=kzguard_fleet_table(report).split("\n"))
        return result

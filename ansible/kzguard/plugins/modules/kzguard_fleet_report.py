#!/usr/bin/python
# Copyright: kzguard contributors
# License: CDDL-1.0
"""The documentation of the action kzguard.fleet.kzguard_fleet_report, which runs on
the controller only (plugins/action/kzguard_fleet_report.py)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: kzguard_fleet_report
short_description: Build, write and show the fleet report of a rolling reboot
version_added: "1.0.0"
description:
  - Builds the fleet report of the playbook kzguard.fleet.rolling_reboot from what
    each host recorded in the fact C(kzguard_rolling_result), writes it as JSON on
    the controller and returns it, with the report as a table.
  - Runs on the controller only; nothing is sent to the hosts.
options:
  hosts:
    description:
      - The hosts of the report, in play order (C(ansible_play_hosts_all)).
    type: list
    elements: str
    required: true
  path:
    description:
      - Where the JSON report is written on the controller, replaced atomically;
        V("") for nowhere.
    type: str
    default: ""
attributes:
  check_mode:
    support: full
    details: The report is the controller's, written in check mode too.
author:
  - kzguard contributors
"""

EXAMPLES = r"""
- name: Fleet report
  kzguard.fleet.kzguard_fleet_report:
    hosts: "{{ ansible_play_hosts_all }}"
    path: /tmp/kzguard-fleet-report.json
  register: report
  run_once: true
"""

RETURN = r"""
report:
  description: The fleet report (docs/fleet.md).
  returned: always
  type: dict
table:
  description: The report as a table, one string a line.
  returned: always
  type: list
  elements: str
"""

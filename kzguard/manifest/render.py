"""Render the SMF manifest of svc:/site/kzguard:default from the policy.

The only module that imports jinja2.  It is never imported on the SMF method path:
``kzguard.cli`` reaches it only inside the ``render`` and ``apply`` handlers, so a
stop method at shutdown does not pay for jinja2, nor fail if it is missing.

The template ships inside the package (``kzguard/templates/kzguard.xml.j2``;
``manifests/kzguard.xml.j2`` is a link to it) and is rendered with
``StrictUndefined`` and XML autoescaping: a variable the code forgets to pass is an
error, not an empty attribute, and a policy path with ``&`` or ``"`` stays one
attribute value.
"""

from __future__ import annotations

import math
import posixpath
import unicodedata
from collections.abc import Sequence
from importlib import resources
from typing import Any

import jinja2

from kzguard.manifest.timeouts import METHOD_MARGIN, method_timeouts
from kzguard.policy.model import Policy
from kzguard.solaris.argv import zone_instance
from kzguard.zonename import is_valid_zone_name

TEMPLATE_NAME = "kzguard.xml.j2"
SERVICE_FMRI = "svc:/site/kzguard"
INSTANCE_FMRI = "svc:/site/kzguard:default"
ZONE_INSTANCE_PREFIX = "svc:/system/zones/zone:"


def _zone_dependencies(zone_instances: Sequence[str]) -> list[dict[str, str]]:
    """Return name and FMRI of each zone instance, sorted, each once.

    Sorted so that the manifest, and the diff ``kzguard apply`` prints, do not
    change with the order the host lists its zones in.
    """
    names = set()
    for fmri in zone_instances:
        name = fmri[len(ZONE_INSTANCE_PREFIX) :]
        if not fmri.startswith(ZONE_INSTANCE_PREFIX) or not is_valid_zone_name(name):
            raise ValueError(f"not the SMF instance of a zone: {fmri!r}")
        names.add(name)
    # The dependency name becomes a property group name; "zone-" makes it start
    # with a letter, and zone names only use characters SMF names allow.
    return [{"name": name, "fmri": zone_instance(name)} for name in sorted(names)]


# svc.startd puts %{config/policy} into the line it runs with /bin/sh -c, escaping
# only ;&()|^<> newline space tab \ " ' and ` (illumos startd/expand.c,
# quote_for_shell()): the shell would expand $, the patterns * ? [...] and braces
# (ksh93, /bin/sh on Solaris 11, expands {a,b}), and the method read another file.
_SHELL_EXPANDED = frozenset("$*?[]{}")


def _check_policy_path(path: str) -> str:
    """The path svc.startd hands to the method script; it must be usable by root."""
    if not path.startswith("/") or posixpath.normpath(path) != path or path.startswith("//"):
        raise ValueError(f"the policy path must be absolute and normalised: {path!r}")
    if any(unicodedata.category(char) == "Cc" for char in path):
        raise ValueError(f"the policy path must not contain control characters: {path!r}")
    expanded = sorted(set(path) & _SHELL_EXPANDED)
    if expanded:
        raise ValueError(
            f"the policy path must not contain {' '.join(expanded)}: svc.startd passes it "
            f"to the method through the shell, which would expand them: {path!r}"
        )
    return path


def manifest_context(
    policy: Policy, *, zone_instances: Sequence[str], policy_path: str
) -> dict[str, Any]:
    """Return every variable the template uses."""
    timeouts = method_timeouts(policy)
    return {
        "policy_path": _check_policy_path(policy_path),
        "zones": _zone_dependencies(zone_instances),
        "start_timeout": timeouts["start"],
        "stop_timeout": timeouts["stop"],
        "refresh_timeout": timeouts["refresh"],
        "shutdown_deadline": math.ceil(policy.shutdown.deadline),
        "resume_deadline": math.ceil(policy.resume.deadline),
        "margin": METHOD_MARGIN,
    }


def manifest_template() -> jinja2.Template:
    """Return the packaged template, strict about undefined variables, XML-escaping."""
    text = (resources.files("kzguard.manifest.templates") / TEMPLATE_NAME).read_text("utf-8")
    environment = jinja2.Environment(
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment.from_string(text)


def render_manifest(policy: Policy, *, zone_instances: Sequence[str], policy_path: str) -> str:
    """Return the manifest text for ``policy``.

    ``zone_instances`` are the SMF instances (``svc:/system/zones/zone:NAME``) of the
    managed zones that exist on the host; ``policy_path`` is the file the methods
    read, stored as ``config/policy``.

    Raises:
        ValueError: a timeout would be 0 or less, a zone instance is not one, or the
            policy path is not absolute.
    """
    context = manifest_context(policy, zone_instances=zone_instances, policy_path=policy_path)
    return manifest_template().render(context)

"""Where a zone's suspend image is written, and which directory ``df`` is asked
about before the stop plan counts on the space.  Pure.

Shared by the stop plan (space pre-flight), the stop path (which runs ``df``) and
``kzguard check``.
"""

from __future__ import annotations

import posixpath

from kzguard.policy.model import Action
from kzguard.policy.selection import Decision
from kzguard.solaris.parse.zonecfg import image_file


def plans_suspend(decision: Decision) -> bool:
    """Whether the policy has kzguard suspend this zone (first step or fallback)."""
    return bool(
        decision.managed and decision.settings and Action.SUSPEND in decision.settings.steps
    )


def suspend_image_path(decision: Decision) -> str | None:
    """The local file the zone's suspend image is written to, or None (storage URI,
    no suspend resource, or suspend not planned)."""
    if not plans_suspend(decision):
        return None
    # zonecfg may print %{zonename} unexpanded (docs/solaris.md 2.1, UNCONFIRMED).
    return image_file(decision.zone.name, decision.zone.config)


def space_query_path(image_path: str) -> str:
    """The directory to ask ``df`` about: the image file itself may not exist yet."""
    return posixpath.dirname(image_path) or "/"

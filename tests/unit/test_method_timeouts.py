"""kzguard.manifest.timeouts: whether the installed SMF methods outlive the policy's
deadlines (svc.startd kills a method at its timeout_seconds)."""

from __future__ import annotations

import pytest

from kzguard.manifest.timeouts import short_timeouts
from kzguard.policy.model import Policy, ResumePolicy, ShutdownPolicy
from kzguard.solaris.parse.svcprop import Property

# shutdown.deadline 15m and resume.deadline 30m: timeouts of 1020 s and 1920 s.
POLICY = Policy(shutdown=ShutdownPolicy(deadline=900.0), resume=ResumePolicy(deadline=1800.0))


def running(
    stop: tuple[str, ...], start: tuple[str, ...] = ("1920",)
) -> dict[str, dict[str, Property]]:
    return {
        "start": {"timeout_seconds": Property("count", start)},
        "stop": {"timeout_seconds": Property("count", stop)},
        "general": {"enabled": Property("boolean", ("true",))},
    }


@pytest.mark.parametrize("stop", [("1020",), ("5000",), ("0",), ("-1",), (), ("x",), ("1", "2")])
def test_a_timeout_as_long_as_the_deadline_needs_none_or_unreadable_is_no_problem(
    stop: tuple[str, ...],
) -> None:
    assert short_timeouts(POLICY, running(stop)) == []
    assert short_timeouts(POLICY, {}) == []


def test_a_timeout_shorter_than_the_deadline_needs_names_the_method_and_the_key() -> None:
    """A deadline raised in the policy and taken in with svcadm refresh alone."""
    assert short_timeouts(POLICY, running(("1019",), ("300",))) == [
        "the start method's SMF timeout is 300s, less than the 1920s its resume.deadline "
        "needs: svc.startd would kill it before it ends; run kzguard apply",
        "the stop method's SMF timeout is 1019s, less than the 1020s its shutdown.deadline "
        "needs: svc.startd would kill it before it ends; run kzguard apply",
    ]

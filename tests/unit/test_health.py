from __future__ import annotations

from typing import Any

from kzguard.status.health import Health, ZoneRecord, assess


def judged(document: dict[str, Any] | None, **kwargs: Any) -> Health:
    options: dict[str, Any] = {
        "policy_problems": [],
        "policy_in_force": "/etc/kzguard/policy.toml",
        "journal_problem": None,
        "host_boot_time": 100,
    }
    options.update(kwargs)
    return assess(document, **options)


ARMED = {"armed": {"host_boot_time": 100, "running": ["kz1"]}}


def test_armed_for_this_boot_with_nothing_recorded_is_healthy() -> None:
    health = judged(ARMED)
    assert (health.armed, health.reasons, health.errors, health.exit_status) == (True, (), (), 0)
    assert health.headline == "guard: armed"


def test_each_reason_to_be_degraded() -> None:
    assert judged(None).reasons == (
        "never armed: the start method has not run (svcs -xv site/kzguard)",
    )
    assert judged({"armed": {"host_boot_time": 99}}).reasons == (
        "not armed since this boot: the start method has not run yet",
    )
    disarmed = judged({"armed": {"host_boot_time": 100, "disarmed": {"time": 1}}})
    assert (disarmed.armed, disarmed.reasons) == (
        False,
        ("disarmed: the service was stopped without a shutdown (svcadm enable it)",),
    )
    invalid = judged(
        ARMED, policy_problems=["a", "b"], policy_in_force="/p.last-good", journal_problem="j"
    )
    assert invalid.reasons == (
        "the policy file is invalid (2 problem(s)); acting on /p.last-good until it is fixed and refreshed",
        "j",
    )
    assert invalid.exit_status == 2
    assert invalid.headline.startswith("guard: DEGRADED: the policy file is invalid")
    assert judged({"armed": {"host_boot_time": 5}}, host_boot_time=None).reasons == ()


def test_last_shutdown_and_boot_per_zone_errors_and_pending() -> None:
    document = {
        **ARMED,
        "cycle": {
            "summary": "stop done in 40s: ...",
            "zones": {
                "kz1": {"state": "suspended", "seconds": 36.44},
                "kz2": {"state": "lost", "reason": "suspend failed: x"},
                "kz3": {"state": "failed"},
                "kz4": "garbage",
            },
        },
        "resume": {
            "summary": "start done",
            "zones": {
                "kz1": {
                    "result": "resumed (running state preserved)",
                    "severity": "ok",
                    "seconds": 2.0,
                },
                "kz5": {
                    "result": "cold-booted (running state LOST)",
                    "severity": "lost",
                    "detail": "boot time 1 before",
                },
            },
        },
    }
    health = judged(document)
    assert health.zones == {
        "kz1": ZoneRecord("suspended in 36.4s", "resumed (running state preserved) in 2.0s"),
        "kz2": ZoneRecord("lost (suspend failed: x)", "-"),
        "kz3": ZoneRecord("failed", "-"),
        "kz4": ZoneRecord("?", "-"),
        "kz5": ZoneRecord("-", "cold-booted (running state LOST) (boot time 1 before)"),
    }
    assert health.errors == (
        "kz2: lost at the last shutdown",
        "kz3: failed at the last shutdown",
        "kz5: cold-booted (running state LOST) at the last boot",
    )
    assert health.pending == ("kz1",)
    assert (health.exit_status, health.headline) == (1, "guard: armed; 3 error(s) recorded")
    assert (health.last_stop, health.last_start) == ("stop done in 40s: ...", "start done")
    document["cycle"]["resumed_at"] = 5.0  # type: ignore[index]
    assert judged(document).pending == ()


def test_a_bypassed_shutdown_is_an_error() -> None:
    health = judged(
        {**ARMED, "resume": {"bypassed": True, "note": "the host went down without kzguard"}}
    )
    assert health.errors == ("the host went down without kzguard",)

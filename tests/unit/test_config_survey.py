"""kzguard.solaris.survey: when the survey of live configurations is complete."""

from __future__ import annotations

import queue
import threading

from kzguard.model import ZoneConfig
from kzguard.solaris.survey import ConfigSurvey


class GatedConfigs:
    """A host whose configuration reads fail with a text, kz2's only once released."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def stamped_config(self, name: str) -> tuple[ZoneConfig | str, str | None]:
        if name == "kz2":
            self.release.wait(10)
        return f"zonecfg: {name}: no such zone configured", None


def test_the_survey_is_complete_once_every_configuration_is_read_or_failed() -> None:
    host = GatedConfigs()
    survey = ConfigSurvey(host, ["kz1", "kz2"], {}, readers=1)  # type: ignore[arg-type]
    arrived: queue.Queue[str] = queue.Queue()
    assert survey.complete() is False
    survey.start(arrived.put)
    assert arrived.get(timeout=10) == "kz1"
    assert survey.complete() is False
    host.release.set()
    assert arrived.get(timeout=10) == "kz2"
    assert survey.complete() is True


def test_a_survey_of_nothing_is_complete_at_once() -> None:
    assert ConfigSurvey(GatedConfigs(), [], {}).complete() is True  # type: ignore[arg-type]

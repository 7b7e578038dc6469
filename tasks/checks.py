"""System checks of the job system: every job's time limits fit the broker's settings."""

from collections.abc import Sequence
from typing import Any

from celery import current_app
from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error

from tasks.base import RecordedTask

# A message is restored by the broker `visibility_timeout` seconds after a worker took
# it: the job must be over by then, with room for the wait between taking and starting.
START_MARGIN_SECONDS = 30


def check_time_limits(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS or {}
    visibility = options.get("visibility_timeout")
    visibility = visibility if isinstance(visibility, int) else 0
    errors: list[CheckMessage] = []
    for name, task in sorted(current_app.tasks.items()):
        if not isinstance(task, RecordedTask):
            continue
        soft, hard = task.soft_time_limit, task.time_limit
        if not hard or not soft or soft >= hard:
            errors.append(
                Error(
                    f"Job {name} needs a soft time limit below its hard one "
                    f"(soft_time_limit={soft}, time_limit={hard}).",
                    id="tasks.E001",
                )
            )
        elif visibility and hard + START_MARGIN_SECONDS > visibility:
            errors.append(
                Error(
                    f"Job {name} may run {hard} s, but the broker hands its message to "
                    f"another worker after CELERY_VISIBILITY_TIMEOUT={visibility} s: it "
                    "would run twice at once.",
                    hint=f"Raise CELERY_VISIBILITY_TIMEOUT above {hard + START_MARGIN_SECONDS} s "
                    "or lower the job's time_limit.",
                    id="tasks.E002",
                )
            )
    return errors

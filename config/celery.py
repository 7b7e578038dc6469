"""The Celery app. Settings come from Django settings under the CELERY_ namespace."""

import os
from typing import Any

from celery import Celery
from celery.signals import setup_logging, task_postrun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


@setup_logging.connect
def use_django_logging(**kwargs: Any) -> None:
    """Workers log like the web processes (settings.LOGGING: structured lines, with the
    job's context): a receiver of this signal keeps Celery from installing its own
    handlers on the root logger. LOG_LEVEL, not `--loglevel`, sets the level."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)


@task_postrun.connect(dispatch_uid="config.flush_shared_metrics")
def flush_shared_metrics(**kwargs: Any) -> None:
    """The events a job published and the receivers that failed reach Redis when it ends:
    an idle worker must not sit on them until its next job
    (`config.observability.metrics.shared`)."""
    from config.observability.metrics.shared import shared_counters_flush

    shared_counters_flush()


@task_postrun.connect(dispatch_uid="config.retry_missed_invalidations")
def make_missed_invalidations(**kwargs: Any) -> None:
    """A job whose cache invalidation met a Redis outage makes it after its next job,
    not only at its next cache read (`config.cache._missed_invalidations`)."""
    from config.cache import retry_missed_invalidations

    retry_missed_invalidations()


app = Celery("blog")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

"""The Celery app. Settings come from Django settings under the CELERY_ namespace.

The receivers of its signals that need the plumbing (after each job: flush the shared
metrics, make missed cache invalidations) are connected by config/apps.py.
"""

import os
from typing import Any

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


@setup_logging.connect
def use_django_logging(**kwargs: Any) -> None:
    """Workers log like the web processes (settings.LOGGING: structured lines, with the
    job's context): a receiver of this signal keeps Celery from installing its own
    handlers on the root logger. LOG_LEVEL, not `--loglevel`, sets the level."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)


app = Celery("blog")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Each worker announces the queues it consumes (/health/'s `queues`, /metrics'
# `blog_queue_consumers`). Named, not imported: the step is plumbing, loaded by the worker.
app.steps["consumer"].add("config.observability.worker_presence:QueuePresence")

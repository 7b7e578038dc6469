from typing import Any

from celery.signals import task_postrun
from django.apps import AppConfig

from config.cache import retry_missed_invalidations
from config.observability import log_context
from config.observability.metrics.shared import shared_counters_flush


def _flush_shared_metrics(**kwargs: Any) -> None:
    """The events a job published and the receivers that failed reach Redis when it ends:
    an idle worker must not sit on them until its next job
    (`config.observability.metrics.shared`)."""
    shared_counters_flush()


def _make_missed_invalidations(**kwargs: Any) -> None:
    """A job whose cache invalidation met a Redis outage makes it after its next job,
    not only at its next cache read (`config.cache._missed_invalidations`)."""
    retry_missed_invalidations()


class ConfigConfig(AppConfig):
    """Holds no models: registered so that shared templates and checks are found."""

    name = "config"
    verbose_name = "Configuration"

    def ready(self) -> None:
        log_context.connect()
        # Connected here, not in config.celery (which config/__init__.py imports first):
        # the Celery app's module imports no plumbing, so wiring and plumbing never import
        # each other in a circle.
        task_postrun.connect(_flush_shared_metrics, dispatch_uid="config.flush_shared_metrics")
        task_postrun.connect(
            _make_missed_invalidations, dispatch_uid="config.retry_missed_invalidations"
        )

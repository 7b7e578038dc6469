"""Structured logging: structlog for our lines and for every stdlib logger (Django,
Celery, `logging.getLogger` in our modules), rendered as JSON lines or readable console
lines, each carrying the context bound for the request or job (request id, user id, job
id), and never a password, token, e-mail address or public IP address.

Imported by the settings, so nothing here may touch Django models or settings at import.
"""

import sys
from typing import Any

import structlog
from django.core.exceptions import ImproperlyConfigured
from structlog.typing import EventDict, Processor, WrappedLogger

from config.observability.redaction import redact_log

# Keys the pipeline itself sets: plain values that redaction must not rewrite.
_OWN_KEYS = frozenset({"timestamp", "level", "logger"})
USER_AGENT_MAX_CHARS = 200


def redact_event(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """Mask secrets and personal data in every field of a line, and nothing else
    (`config.observability.redaction.redact_log`): values under secret-looking keys,
    e-mail addresses, public IP addresses, bearer and JWT tokens, URL passwords and
    secret query parameters. A broker URL without a password or a user agent's version
    stays readable."""
    fields = {k: v for k, v in event_dict.items() if not k.startswith("_") and k not in _OWN_KEYS}
    event_dict.update(redact_log(fields))
    return event_dict


def _tidy_stdlib_extras(
    logger: WrappedLogger, method_name: str, event_dict: EventDict
) -> EventDict:
    """Extras that Django and other formatters leave on a record: `message` repeats the
    event; `request` is an object (Django's request: its method and path are kept;
    runserver's socket, which names the client's address, is dropped)."""
    event_dict.pop("message", None)
    request = event_dict.get("request")
    if request is not None and not isinstance(request, str):
        if hasattr(request, "get_full_path"):
            event_dict["request"] = f"{request.method} {request.get_full_path()}"
        else:
            del event_dict["request"]
    return event_dict


# Run on every line, ours and the stdlib's, before it reaches the formatter.
_SHARED: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    """Configure structlog and return the `LOGGING` dict for Django.

    `log_format` is "json" (one JSON object a line, for collectors) or "console"
    (aligned, readable lines for development).
    """
    if log_format not in {"json", "console"}:
        raise ImproperlyConfigured(f"LOG_FORMAT must be json or console, not {log_format!r}")
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatters = {
        name: {
            "()": structlog.stdlib.ProcessorFormatter,
            "processors": [
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                # Tracebacks become a string first, so that redaction sees them too.
                structlog.processors.format_exc_info,
                redact_event,
                renderer,
            ],
            # stdlib lines: `extra={...}` becomes fields, like structlog's keywords.
            "foreign_pre_chain": [*_SHARED, structlog.stdlib.ExtraAdder(), _tidy_stdlib_extras],
        }
        for name, renderer in (
            ("json", structlog.processors.JSONRenderer()),
            ("console", structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())),
        )
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": formatters,
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": log_format}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's defaults give these their own plain handlers: ours only, instead.
            "django": {"handlers": [], "propagate": True},
            # runserver's access lines repeat what request_finished says.
            "django.server": {"handlers": [], "level": "WARNING", "propagate": True},
            # Its 4xx lines repeat request_finished's, logged after the middleware, where
            # the request id is no longer bound; errors (with tracebacks) are kept.
            "django.request": {"level": "ERROR"},
            # Celery's "Task ... succeeded" lines repeat job.completed (tasks.base), which
            # carries the job's context; its failure lines (errors) are kept.
            "celery.app.trace": {"level": "WARNING"},
        },
    }

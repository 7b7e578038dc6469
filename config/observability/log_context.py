"""What django-structlog binds for a request: our request id, and no personal data.

`RequestIdMiddleware` chooses the request id (the client's `X-Request-ID` if sane) and
stores it in events and job records; django-structlog would bind a second, random one.
Its `bind_extra_request_metadata` signal is sent after that binding and before the
`request_started` line, so the receiver below puts ours back: one id per request.
"""

from typing import Any

import structlog
from django.http import HttpRequest

from config.observability.logs import USER_AGENT_MAX_CHARS
from config.observability.request_context import get_request_id


def bind_request_id(
    sender: object,
    request: HttpRequest,
    logger: object,
    log_kwargs: dict[str, Any],
    **kwargs: Any,
) -> None:
    request_id = getattr(request, "request_id", None) or get_request_id()
    if request_id:
        structlog.contextvars.bind_contextvars(request_id=request_id)
    # A user agent is kept for debugging clients, cut short: a long one is a fingerprint.
    user_agent = log_kwargs.get("user_agent")
    if user_agent:
        log_kwargs["user_agent"] = user_agent[:USER_AGENT_MAX_CHARS]


def connect() -> None:
    from django_structlog import signals

    signals.bind_extra_request_metadata.connect(
        bind_request_id, dispatch_uid="config.observability.log_context.bind_request_id"
    )

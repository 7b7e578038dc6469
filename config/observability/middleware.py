"""The request id: chosen once per request, echoed, and bound to every log line."""

import re
import uuid
from collections.abc import Callable
from typing import cast

import structlog
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from config.observability.request_context import RequestWithId, request_id_var

# Accept a client's request id only if it cannot smuggle anything into logs or headers.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestIdMiddleware:
    """Gives each request an id (the client's `X-Request-ID` if sane) and echoes it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, http_request: HttpRequest) -> HttpResponseBase:
        request = cast(RequestWithId, http_request)  # it is one from the next line on
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _SANE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request.request_id)
        try:
            # Every log line of the request carries it, also those logged before
            # django-structlog's middleware (which takes this id, see log_context.py).
            with structlog.contextvars.bound_contextvars(request_id=request.request_id):
                response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request.request_id
        return response

"""Middleware that every request passes through."""

import re
import uuid

import structlog
from django.conf import settings

from config.api.problems import problem_response
from config.request_context import request_id_var

# Accept a client's request id only if it cannot smuggle anything into logs or headers.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestIdMiddleware:
    """Gives each request an id (the client's `X-Request-ID` if sane) and echoes it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _SANE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request.request_id)
        try:
            # Every log line of the request carries it, also those logged before
            # django-structlog's middleware (which takes this id, config/log_context.py).
            with structlog.contextvars.bound_contextvars(request_id=request.request_id):
                response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request.request_id
        return response


class BodySizeLimitMiddleware:
    """Answers 413 before reading an API body larger than DATA_UPLOAD_MAX_MEMORY_SIZE."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and request.path.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                return problem_response(
                    413, "payload_too_large", f"The request body exceeds {limit} bytes."
                )
        return self.get_response(request)

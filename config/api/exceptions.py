"""Maps every exception an API view can raise to a problem document."""

import logging
import math
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import set_rollback
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from config.api.problems import PROBLEM_CONTENT_TYPE, problem_body
from config.errors import DomainError

logger = logging.getLogger(__name__)

# DRF's own codes, renamed where the API contract names them differently.
_CODE_ALIASES = {
    "invalid": "validation_error",
    "token_not_valid": "authentication_failed",
    "error": "server_error",
}


def _flatten(detail: Any) -> dict[str, list[str]]:
    """DRF error details as `{field: [message, ...]}`; nested errors get dotted names."""
    fields: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), item)
        elif isinstance(value, list):
            if all(not isinstance(item, (dict, list)) for item in value):
                fields.setdefault(prefix or "non_field_errors", []).extend(str(v) for v in value)
            else:
                for index, item in enumerate(value):
                    walk(f"{prefix}.{index}" if prefix else str(index), item)
        else:
            fields.setdefault(prefix or "non_field_errors", []).append(str(value))

    walk("", detail)
    return fields


def _first_message(fields: dict[str, list[str]]) -> str:
    for name, messages in fields.items():
        if messages:
            return messages[0] if name == "non_field_errors" else f"{name}: {messages[0]}"
    return "Invalid input."


def _response(
    status_code: int,
    code: str,
    detail: str,
    fields: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    return Response(
        problem_body(status_code, code, detail, fields),
        status=status_code,
        headers=headers,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def _token_error_message(exc: Exception) -> str:
    """simplejwt's InvalidToken carries a dict (detail, code, messages); keep the most
    telling human message ("Token is expired") rather than the dict's repr."""
    detail = getattr(exc, "detail", None)
    if isinstance(detail, dict):
        for item in detail.get("messages") or []:
            if isinstance(item, dict) and item.get("message"):
                return str(item["message"])
        if detail.get("detail"):
            return str(detail["detail"])
    return str(detail or exc)


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    request = context.get("request")
    if request is not None:
        # A problem document is JSON whatever the client prefers: without this, a browser's
        # `Accept: text/html` would get the browsable API's HTML page for an error.
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = PROBLEM_CONTENT_TYPE
    return _problem_for(exc)


def _problem_for(exc: Exception) -> Response:
    if isinstance(exc, DomainError):
        set_rollback()
        retry_after = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(math.ceil(retry_after))} if retry_after else None
        return _response(exc.status, exc.code, exc.message, exc.fields, headers)
    if isinstance(exc, DjangoValidationError):
        set_rollback()
        fields = _flatten(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
        return _response(400, "validation_error", _first_message(fields), fields)
    if isinstance(exc, RequestDataTooBig):
        return _response(413, "payload_too_large", "The request body is too large.")
    # APIView sets WWW-Authenticate on a 401's exception; the response must keep it (RFC 9110).
    auth_header = getattr(exc, "auth_header", None)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, (InvalidToken, TokenError)):
        exc = exceptions.AuthenticationFailed(_token_error_message(exc))

    if not isinstance(exc, exceptions.APIException):
        logger.exception("Unhandled error in API view", exc_info=exc)
        set_rollback()
        return _response(500, "server_error", "An unexpected error occurred.")

    headers = {}
    if auth_header:
        headers["WWW-Authenticate"] = auth_header
    wait = getattr(exc, "wait", None)
    if wait:
        headers["Retry-After"] = str(math.ceil(wait))
    set_rollback()

    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        return _response(400, "validation_error", _first_message(fields), fields, headers)

    detail = exc.detail
    if isinstance(detail, (list, dict)):
        fields = _flatten(detail)
        message = _first_message(fields)
        code = next(iter(_flatten(exc.get_codes()).values()), [exc.default_code])[0]
    else:
        message = str(detail)
        code = getattr(detail, "code", None) or exc.default_code
    if exc.status_code == status.HTTP_401_UNAUTHORIZED and code != "not_authenticated":
        code = "authentication_failed"
    code = _CODE_ALIASES.get(code, code)
    return _response(exc.status_code, code, message, headers=headers)

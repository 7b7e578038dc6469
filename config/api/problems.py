"""RFC 9457 problem documents, the one error shape of the API."""

from http import HTTPStatus
from typing import Any

from django.http import JsonResponse

PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem_body(
    status: int, code: str, detail: str, fields: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if fields is not None:
        body["fields"] = fields
    return body


def problem_response(
    status: int, code: str, detail: str, fields: dict[str, list[str]] | None = None
) -> JsonResponse:
    """A plain Django response, for errors raised outside DRF views (middleware, 404s)."""
    return JsonResponse(
        problem_body(status, code, detail, fields),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
    )


# The `code` of a problem made from a bare status (an error Django answered itself).
_STATUS_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "throttled",
}


def problem_for_status(status: int) -> JsonResponse:
    """The problem document of a status alone: its phrase as the detail."""
    phrase = HTTPStatus(status).phrase
    code = _STATUS_CODES.get(status, phrase.lower().replace(" ", "_").replace("-", "_"))
    return problem_response(status, code, f"{phrase}.")

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

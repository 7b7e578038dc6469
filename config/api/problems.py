"""RFC 9457 problem documents, the one error shape of the API."""

from http import HTTPStatus

from django.http import JsonResponse

PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem_body(status: int, code: str, detail: str, fields: dict | None = None) -> dict:
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if fields is not None:
        body["fields"] = fields
    return body


def problem_response(status: int, code: str, detail: str, fields: dict | None = None):
    """A plain Django response, for errors raised outside DRF views (middleware, 404s)."""
    return JsonResponse(
        problem_body(status, code, detail, fields),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
    )

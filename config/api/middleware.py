"""API middleware that must answer before a view reads the request, or after every other
layer has answered."""

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from config.api import error_views
from config.api.problems import PROBLEM_CONTENT_TYPE, problem_for_status, problem_response

Handler = Callable[[HttpRequest], HttpResponseBase]

# Headers of Django's own error answers that a client still needs on the problem document.
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


class BodySizeLimitMiddleware:
    """Answers 413 before reading an API body larger than DATA_UPLOAD_MAX_MEMORY_SIZE, or
    for a path that takes a file (API_UPLOAD_LIMITS), larger than that and the file's
    limit together (the view's upload handler holds the file itself to its limit, also
    when the body's length is not announced)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and request.path.startswith("/api/"):
            limit += settings.API_UPLOAD_LIMITS.get(request.path, 0)
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                return problem_response(
                    413, "payload_too_large", f"The request body exceeds {limit} bytes."
                )
        return self.get_response(request)


def _url_has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path:
        return True
    return any(
        "\x00" in name or any("\x00" in value for value in values)
        for name, values in request.GET.lists()
    )


class NulByteMiddleware:
    """Answers 400 to a URL with a NUL byte in its path or query string.

    PostgreSQL refuses NUL in text: a slug, a username or a search term carrying one
    fails its query, as a 500, wherever it reaches the database. No URL of the site
    names anything with a NUL in it, so the whole request is refused before any view.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if _url_has_nul(request):
            if request.path.startswith("/api/"):
                return problem_response(400, "bad_request", "The URL contains a NUL byte.")
            return error_views.bad_request(request, SuspiciousOperation("NUL byte in the URL"))
        return self.get_response(request)


class ProblemDocumentMiddleware:
    """Under /api/, a 4xx that Django answered itself becomes a problem document.

    DRF and the error views already answer problems; this catches what bypasses both,
    chiefly the technical 404 page that DEBUG shows for an unknown URL instead of calling
    handler404. It sits outside CommonMiddleware, whose redirect to the URL with a slash
    must still happen. 5xx pages are left alone: with DEBUG they carry the traceback.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if not request.path.startswith("/api/") or not 400 <= response.status_code < 500:
            return response
        media_type = response.get("Content-Type", "").split(";")[0].strip()
        if media_type == PROBLEM_CONTENT_TYPE:
            return response
        problem = problem_for_status(response.status_code)
        for header in _KEPT_HEADERS:
            if header in response:
                problem[header] = response[header]
        return problem

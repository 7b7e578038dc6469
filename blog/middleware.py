"""The redirects' 404 fallback, like `django.contrib.redirects`' fallback middleware but
on our own table: a hit counter, host safety checked again when serving, normalised old
paths, and no database query on the hot path.

Not `django.contrib.redirects` itself: it needs `django.contrib.sites`, queries the
database on every 404, has no hits, and sends to any URL its table holds.

It acts on a response that is a 404 (a path no view answers, or a view's Http404, such
as an old slug), so a live page always wins over a redirect. GET and HEAD only: an old
permalink is something a reader or a crawler follows, not something one posts to. The
API, the admin, static and media files keep their own 404s.
"""

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from blog.redirect_paths import redirect_location, redirect_path_key, redirect_target_safe
from blog.selectors.redirects import redirect_match
from blog.services.redirects import redirect_hit_count

_SKIPPED_PREFIXES = ("/api/", "/admin/", "/health/", "/metrics")


class _Redirect(HttpResponse):
    """A redirect of any of the four codes, without HttpResponseRedirect's body check."""

    def __init__(self, location: str, status: int) -> None:
        super().__init__(status=status)
        self["Location"] = location


def _url_path(setting: str | None) -> str:
    """The path of STATIC_URL or MEDIA_URL (`static/`, `/media/`, or a CDN's URL)."""
    path = urlsplit(setting or "").path
    return "/" + path.lstrip("/") if path.strip("/") else ""


def _skipped(path: str) -> bool:
    prefixes = (*_SKIPPED_PREFIXES, _url_path(settings.STATIC_URL), _url_path(settings.MEDIA_URL))
    return any(prefix and path.startswith(prefix) for prefix in prefixes)


class RedirectFallbackMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 404 or request.method not in ("GET", "HEAD"):
            return response
        if _skipped(request.path):
            return response
        match = redirect_match(path_key=redirect_path_key(request.path))
        # Checked again here: the table is written through the services, which refuse
        # another host, but a row is only data (an old version, a hand-made fix).
        if match is None or not redirect_target_safe(match.target):
            return response
        redirect_hit_count(redirect_id=match.redirect_id)
        location = redirect_location(match.target, request.META.get("QUERY_STRING", ""))
        return _Redirect(location, match.status_code)

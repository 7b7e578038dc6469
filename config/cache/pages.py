"""Public server-rendered pages (feeds, sitemap, post and category pages) from the cache.

The whole 200 response (body, content type, headers) is kept with an ETag of its body,
in a namespace family that depends on `posts`: every change that could show on such a
page (a post, a comment count, a category, a tag, an author's name) bumps it. Other
statuses are never cached; a 404 must not hide a post published a moment later.
"""

import functools
import hashlib
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.http.response import HttpResponseBase
from django.template.response import SimpleTemplateResponse

from config.api.conditional import etag_matches, request_key
from config.cache.reads import cache_read, reads_cached

# Set again on every response by the middleware, or personal: never replayed.
_NOT_STORED = frozenset({"set-cookie", "content-length", "x-request-id"})

View = Callable[..., HttpResponseBase]


def cached_page(family: str, depends_on: tuple[str, ...] = ("posts",)) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method not in ("GET", "HEAD") or not reads_cached():
                return view(request, *args, **kwargs)
            uncached: dict[str, HttpResponseBase] = {}

            def compute() -> dict[str, Any] | None:
                response = view(request, *args, **kwargs)
                if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
                    response.render()
                # A streaming response (StreamingHttpResponse, FileResponse) is no HttpResponse.
                if response.status_code != 200 or not isinstance(response, HttpResponse):
                    uncached["response"] = response
                    return None
                content = response.content
                headers = {k: v for k, v in response.items() if k.lower() not in _NOT_STORED}
                etag = '"' + hashlib.sha256(content).hexdigest()[:32] + '"'
                return {"content": content, "headers": headers, "etag": etag}

            entry = cache_read(
                family,
                request_key(request),
                compute,
                depends_on=depends_on,
                store_if=lambda entry: entry is not None,
            )
            if entry is None:
                return uncached["response"]
            not_modified = etag_matches(request, entry["etag"])
            response: HttpResponse = (
                HttpResponseNotModified() if not_modified else HttpResponse(entry["content"])
            )
            for name, value in entry["headers"].items():
                if not (not_modified and name.lower() == "content-type"):
                    response[name] = value
            response["ETag"] = entry["etag"]
            return response

        return wrapper

    return decorate

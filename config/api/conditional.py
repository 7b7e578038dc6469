"""Public reads served from the cache, with entity tags.

A cached read stores the response data with its ETag, so a conditional request that
matches is answered 304 before anything is rendered, and a hit renders no serializer and
runs no query. Only representations that are the same for every caller are cached: the
links in them are absolute, so the scheme and host are part of the key.
"""

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from config.cache import cache_read


def etag_of(data: Any) -> str:
    """A strong tag of a JSON representation (its canonical encoding)."""
    encoded = json.dumps(data, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"))
    return '"' + hashlib.sha256(encoded.encode()).hexdigest()[:32] + '"'


def etag_matches(request: HttpRequest | Request, etag: str) -> bool:
    """If-None-Match compares weakly (RFC 9110 13.1.2): `W/"x"` matches `"x"` (proxies that
    compress weaken tags); `*` matches any current representation."""
    header = request.headers.get("If-None-Match", "")
    if not header:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in tags or etag in tags


def request_key(request: HttpRequest | Request, *parts: object) -> str:
    """The cache key of a public read: scheme, host, path, every query parameter."""
    raw = repr(
        (request.scheme, request.get_host(), request.path, sorted(request.GET.lists()), parts)
    )
    return hashlib.sha256(raw.encode()).hexdigest()[:40]


def reads_cached() -> bool:
    return settings.CACHE_READS


def cached_entry(
    family: str, key: str, compute_data: Callable[[], Any], **options: Any
) -> dict[str, Any] | None:
    """`{"data", "etag"}` from the cache, or from `compute_data()` (then stored); None when
    `compute_data()` finds nothing."""

    def compute() -> dict[str, Any] | None:
        data = compute_data()
        return None if data is None else {"data": data, "etag": etag_of(data)}

    if not reads_cached():
        return compute()
    return cache_read(family, key, compute, store_if=lambda entry: entry is not None, **options)


def entry_response(request: Request, entry: dict[str, Any]) -> Response:
    """304 when the caller holds the entry's tag, else 200 with the data; both with it."""
    if etag_matches(request, entry["etag"]):
        return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": entry["etag"]})
    return Response(entry["data"], headers={"ETag": entry["etag"]})


def cached_read_response(
    request: Request, family: str, compute_data: Callable[[], Any], **options: Any
) -> Response:
    """A public list or object read through the cache, keyed by the request."""
    entry = cached_entry(family, request_key(request), compute_data, **options)
    if entry is None:
        raise Http404
    return entry_response(request, entry)

"""Public reads served from the cache, with entity tags.

A cached read stores the response data with its ETag, so a conditional request that
matches is answered 304 before anything is rendered, and a hit renders no serializer and
runs no query. Only representations that are the same for every caller are cached: the
links in them are absolute, so the scheme and host are part of the key.

The apps' selectors decide what is cached and answer a `ConditionalRead`
(`cached_conditional_read`); the views turn it into a response (`conditional_response`).
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest
from rest_framework import status
from rest_framework.response import Response

from config.cache import cache_read, reads_cached


@dataclass(frozen=True)
class ConditionalRead:
    """A read's answer to a conditional request: its data and entity tag, or only the tag
    when the caller already holds it (`not_modified`: a 304). A read that is not the same
    for every caller has no tag."""

    data: Any = None
    etag: str | None = None
    not_modified: bool = False


def etag_of(data: Any) -> str:
    """A strong tag of a JSON representation (its canonical encoding)."""
    encoded = json.dumps(data, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"))
    return '"' + hashlib.sha256(encoded.encode()).hexdigest()[:32] + '"'


def etag_in(if_none_match: str | None, etag: str) -> bool:
    """If-None-Match compares weakly (RFC 9110 13.1.2): `W/"x"` matches `"x"` (proxies that
    compress weaken tags); `*` matches any current representation."""
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


def etag_matches(request: HttpRequest, etag: str) -> bool:
    """`etag_in` with the request's If-None-Match header."""
    return etag_in(request.headers.get("If-None-Match"), etag)


def conditional_read_of(data: Any, etag: str, *, if_none_match: str | None) -> ConditionalRead:
    """The data with its tag, or "not modified" when the caller holds that tag."""
    if etag_in(if_none_match, etag):
        return ConditionalRead(etag=etag, not_modified=True)
    return ConditionalRead(data=data, etag=etag)


def request_key(request: HttpRequest, *parts: object) -> str:
    """The cache key of a public read: scheme, host, path, every query parameter."""
    raw = repr(
        (request.scheme, request.get_host(), request.path, sorted(request.GET.lists()), parts)
    )
    return hashlib.sha256(raw.encode()).hexdigest()[:40]


def cached_entry(
    family: str, key: str, compute_data: Callable[[], Any], **options: Any
) -> dict[str, Any] | None:
    """`{"data", "etag"}` from the cache, or from `compute_data()` (then stored)."""

    def compute() -> dict[str, Any] | None:
        data = compute_data()
        return None if data is None else {"data": data, "etag": etag_of(data)}

    if not reads_cached():
        return compute()
    return cache_read(family, key, compute, store_if=lambda entry: entry is not None, **options)


def cached_conditional_read(
    family: str,
    key: str,
    compute_data: Callable[[], Any],
    *,
    if_none_match: str | None,
    **options: Any,
) -> ConditionalRead | None:
    """A public read through the cache (`cached_entry`), answered for the caller's
    If-None-Match; None when `compute_data()` found nothing (a 404, never cached)."""
    entry = cached_entry(family, key, compute_data, **options)
    if entry is None:
        return None
    return conditional_read_of(entry["data"], entry["etag"], if_none_match=if_none_match)


def conditional_response(read: ConditionalRead | None) -> Response:
    """304 with the tag, or 200 with the data (and its tag, if it has one); 404 when the
    read found nothing."""
    if read is None:
        raise Http404
    headers = {"ETag": read.etag} if read.etag else None
    if read.not_modified:
        return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(read.data, headers=headers)

"""The media library's files, served by the platform at MEDIA_URL (also with DEBUG off), so a
one-machine site needs no other web server; `MEDIA_SERVE=0` leaves that URL to one.

Only names the platform generates are served: `library/<yyyy>/<mm>/<32 hex>.<ext>` and their
renditions `...<32 hex>-<name>.webp` (with the storage's suffix for a name it found taken).
Anything else under MEDIA_URL (the private `reports/`, a `..`, an absolute path, another
extension) does not even match the URL pattern: 404.

The Content-Type comes from the extension, without a database query: the platform chose
that extension from the format Pillow verified when it wrote the file, no client ever names
a stored file, and nothing else writes under `library/`. So the extension is the verified
format, for originals and renditions alike, and the hottest path of the site (every image
of every page) costs no query. A file whose row is gone (see `manage.py media_orphans`)
stays reachable until it is deleted, as it would from a CDN's cache anyway.

An original's name is unique per content, so it may be cached for a year (`immutable`); a
rendition keeps its name when made again, so it is cached for a day; the
ETag (size and modification time, as nginx makes it) and Last-Modified answer revalidations
with 304. A single byte range is answered with 206 (several: the whole file).

Reads go through the default storage (`default_storage.open`), so this works on S3 too,
though there the bucket's own URLs are what `storage.url()` gives, and this view is not
asked (docs/operations.md, "Media files").
"""

import re
from collections.abc import Iterator
from typing import IO

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.urls import URLPattern, re_path
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from config.storage import LIBRARY_CONTENT_TYPES, library_cache_control

# The suffix `_` + 7 letters or digits is the storage's own, when it finds a name taken
# (Storage.get_available_name; a renditions job run twice at once could meet one).
MEDIA_NAME = (
    r"library/[0-9]{4}/[0-9]{2}/[0-9a-f]{32}(?:-[a-z0-9]+)?(?:_[A-Za-z0-9]{7})?"
    rf"\.(?:{'|'.join(LIBRARY_CONTENT_TYPES)})"
)
_RANGE = re.compile(r"^bytes=([0-9]*)-([0-9]*)$")
_CHUNK = 64 * 1024


def media_urlpatterns() -> list[URLPattern]:
    """The media view's URL under MEDIA_URL; none when MEDIA_URL is another host's."""
    prefix = settings.MEDIA_URL
    if "://" in prefix or prefix.startswith("//"):
        return []
    pattern = rf"^{re.escape(prefix.lstrip('/'))}(?P<name>{MEDIA_NAME})$"
    return [re_path(pattern, media_file, name="media-file")]


def _etag(size: int, modified: float) -> str:
    return f'"{int(modified):x}-{size:x}"'


def _byte_range(request: HttpRequest, size: int, etag: str) -> tuple[int, int] | None:
    """The (first, last) byte of a single satisfiable `Range`, or None for the whole file;
    raises ValueError when the range cannot be satisfied (416)."""
    header = request.headers.get("Range", "")
    match = _RANGE.match(header.replace(" ", ""))
    if match is None or not any(match.groups()):
        return None  # absent, several ranges, another unit: ignored, as RFC 9110 allows
    if request.headers.get("If-Range", etag) != etag:
        return None  # the client's copy is another version: send all of this one
    first, last = match.groups()
    if not first:  # the last N bytes
        if int(last) == 0:
            raise ValueError("empty suffix range")
        return max(0, size - int(last)), size - 1
    if int(first) >= size:
        raise ValueError("range starts past the end")
    return int(first), min(int(last), size - 1) if last else size - 1


def _read(file: IO[bytes], first: int, last: int) -> Iterator[bytes]:
    try:
        file.seek(first)
        left = last - first + 1
        while left > 0:
            chunk = file.read(min(_CHUNK, left))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk
    finally:
        file.close()


@require_safe
def media_file(request: HttpRequest, name: str) -> HttpResponseBase:
    if not settings.MEDIA_SERVE:
        raise Http404
    content_type = LIBRARY_CONTENT_TYPES[name.rsplit(".", 1)[1]]
    try:
        file = default_storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    try:
        size = file.size
        modified = default_storage.get_modified_time(name).timestamp()
    except BaseException:
        file.close()
        raise
    etag = _etag(size, modified)
    headers = {
        "Content-Type": content_type,
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": library_cache_control(name),
        "ETag": etag,
        "Last-Modified": http_date(modified),
        "Accept-Ranges": "bytes",
    }
    validators = HttpResponse(headers=headers)
    conditional = get_conditional_response(
        request, etag=etag, last_modified=int(modified), response=validators
    )
    if conditional is not None and conditional is not validators:  # 304 or 412
        file.close()
        return conditional
    if request.method == "HEAD":  # the headers of a GET, no body
        file.close()
        validators["Content-Length"] = str(size)
        return validators
    try:
        byte_range = _byte_range(request, size, etag)
    except ValueError:
        file.close()
        return HttpResponse(status=416, headers={"Content-Range": f"bytes */{size}", "ETag": etag})
    if byte_range is None:
        response: HttpResponseBase = FileResponse(file, content_type=content_type)
    else:
        first, last = byte_range
        response = StreamingHttpResponse(_read(file, first, last), status=206)
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
        response["Content-Length"] = str(last - first + 1)
    for header, value in headers.items():
        response[header] = value
    return response

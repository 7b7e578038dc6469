"""Paths and targets of redirects: how an old path is normalised, which targets are
safe, and the Location a request is sent to.

Pure functions, no database: the middleware checks a cached target again with
`redirect_target_safe` before it answers, so a bad row (written by hand, by an older
version) never sends a reader to another host.

Normal form of an old path (what `Redirect.old_path` stores and what a request is looked
up by): percent-decoded (UTF-8), lower case (WordPress permalinks are case-insensitive:
its slugs are lower case and MySQL compares without case), runs of `/` collapsed, no
trailing slash except for `/` itself. `/Caf%C3%A9/` and `/café` are one path.
"""

import re
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from django.conf import settings

MAX_LENGTH = 2000
# Whitespace and control characters have no place in a URL a browser follows; a
# backslash is read as a slash by browsers (`/\evil.com` is `//evil.com`).
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f\\]")
_SLASHES = re.compile(r"/{2,}")
# What the request's query string may keep as it is when copied into a Location.
_QUERY_SAFE = "=&;%+/?:@!$'()*,~-._"


class UnsafeTarget(ValueError):
    """A target that is not a path or URL of this site."""


def redirect_path_key(decoded_path: str) -> str:
    """The normal form of a path that is already percent-decoded (`request.path`)."""
    path = _SLASHES.sub("/", "/" + decoded_path.lstrip("/")).lower()
    return path.rstrip("/") or "/"


def redirect_old_path_normalize(raw: str) -> str:
    """The normal form of an old path as an editor or an import gives it (encoded or
    not). Raises ValueError for what cannot be a path of this site."""
    raw = raw.strip()
    if not raw.startswith("/") or raw.startswith("//"):
        raise ValueError("An old path starts with a single /, like /2019/05/hello-world/.")
    if "?" in raw or "#" in raw:
        raise ValueError("An old path has no query string or fragment.")
    try:
        decoded = unquote(raw, errors="strict")
    except UnicodeDecodeError as exc:
        raise ValueError("An old path is UTF-8 once percent-decoded.") from exc
    if _UNSAFE.search(decoded):
        raise ValueError("An old path has no spaces, control characters or backslashes.")
    key = redirect_path_key(decoded)
    if len(key) > MAX_LENGTH:
        raise ValueError(f"An old path has at most {MAX_LENGTH} characters.")
    return key


def _site_netloc() -> str:
    return urlsplit(settings.SITE_URL).netloc.lower()


def redirect_target_check(target: str) -> str:
    """`target` when it is a path of this site (`/new/`) or an absolute http(s) URL of
    this site (SITE_URL's host and port); raises UnsafeTarget otherwise: another host,
    a scheme-relative `//host`, a backslash, a relative path, another scheme."""
    if not target or len(target) > MAX_LENGTH:
        raise UnsafeTarget(f"A target has 1 to {MAX_LENGTH} characters.")
    if _UNSAFE.search(target) or _UNSAFE.search(unquote(target)):
        raise UnsafeTarget("A target has no spaces, control characters or backslashes.")
    parts = urlsplit(target)
    if target.startswith("/"):
        if target.startswith("//") or parts.netloc or parts.scheme:
            raise UnsafeTarget("A target path starts with a single /.")
        return target
    if parts.scheme not in ("http", "https"):
        raise UnsafeTarget("A target is a path (/new/) or an http(s) URL of this site.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeTarget("A target URL has no user name or password.")
    if not parts.hostname or parts.netloc.lower() != _site_netloc():
        raise UnsafeTarget(f"A target URL is on this site ({settings.SITE_URL}), no other host.")
    return target


def redirect_target_safe(target: str) -> bool:
    try:
        redirect_target_check(target)
    except UnsafeTarget:
        return False
    return True


def redirect_target_key(target: str) -> str | None:
    """The normal form of the path a (safe) target points to, to find loops."""
    try:
        return redirect_path_key(unquote(urlsplit(target).path, errors="strict"))
    except UnicodeDecodeError:
        return None


def redirect_location(target: str, query_string: str) -> str:
    """Where a request is sent: the target, with the request's query string added
    (after the target's own query, if it has one), so that tracking parameters and
    `?page=2` survive the move. The query is re-quoted: it cannot break the header or
    change the host, which comes from the target alone."""
    if not query_string:
        return target
    query = quote(query_string, safe=_QUERY_SAFE)
    parts = urlsplit(target)
    joined = f"{parts.query}&{query}" if parts.query else query
    return urlunsplit(parts._replace(query=joined))

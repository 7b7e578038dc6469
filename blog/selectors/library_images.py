"""Images of the media library in posts: which <img> of a rendered body show one (and
what they get from it: size, alt text, renditions), and which posts use a media.

An image is the library's when its `src` is the URL of a stored original or rendition
(`library/<yyyy>/<mm>/<hex>[-<rendition>].<ext>`): as the storage writes it, or as a path
under MEDIA_URL, relative or on one of the site's own hosts (the API hands out absolute
URLs on the host it was asked on, and authors paste those).
"""

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import Q, QuerySet
from django.http.request import validate_host

from blog.models import Media, MediaStatus, Post

_NAME = re.compile(
    r"(?P<stem>library/\d{4}/\d{2}/(?P<key>[0-9a-f]{32}))(?:-(?P<rendition>[a-z0-9_]+))?"
    r"\.(?:jpg|png|gif|webp)"
)
_PROBE = "library/probe"


def _storage_prefix() -> str:
    """What the storage writes before a name in its URLs: MEDIA_URL on the file system,
    the bucket's address on object storage."""
    return default_storage.url(_PROBE).split(_PROBE, 1)[0]


def _is_site_host(host: str | None) -> bool:
    if not host:
        return False
    return host == urlsplit(settings.SITE_URL).hostname or validate_host(
        host, settings.ALLOWED_HOSTS
    )


def _under_media_url(src: str) -> str | None:
    """What follows MEDIA_URL's path in `src`, a path or a URL on the site's own host."""
    parts = urlsplit(src)
    if (parts.scheme or parts.netloc) and (
        parts.scheme not in ("http", "https") or not _is_site_host(parts.hostname)
    ):
        return None
    media_path = urlsplit(settings.MEDIA_URL).path
    return parts.path[len(media_path) :] if parts.path.startswith(media_path) else None


def library_name(src: str) -> re.Match[str] | None:
    """The library name `src` points to (groups `stem`, `key`, `rendition`), or None for
    any other image."""
    candidates = [_under_media_url(src)]
    prefix = _storage_prefix()
    if prefix.startswith(("http://", "https://")) and src.startswith(prefix):
        candidates.append(urlsplit(src[len(prefix) :]).path)
    for candidate in candidates:
        match = _NAME.fullmatch(candidate) if candidate else None
        if match:
            return match
    return None


def _origin(src: str) -> str:
    """`scheme://host` of an absolute `src`, "" for a path."""
    parts = urlsplit(src)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _srcset(media: Media, origin: str) -> str:
    """Every rendition, and the original, by width; "" until there are renditions."""

    def url(name: str) -> str:
        found = default_storage.url(name)
        return origin + found if found.startswith("/") else found

    widths = {r["width"]: url(r["name"]) for r in (media.renditions or {}).values()}
    if not widths:
        return ""
    if media.width and media.file:
        widths.setdefault(media.width, url(media.file.name or ""))
    return ", ".join(f"{widths[w]} {w}w" for w in sorted(widths))


def featured_image_attributes(media: Media) -> dict[str, str]:
    """The attributes of a post page's featured image: the original with its size, alt
    text and the renditions (not lazy: it is the top of the page)."""
    src = (
        media.source_url
        if media.status == MediaStatus.REMOTE or not media.file
        else default_storage.url(media.file.name or "")
    )
    attributes = {"src": src, "alt": media.alt_text}
    if media.width and media.height:
        attributes.update(width=str(media.width), height=str(media.height))
    srcset = _srcset(media, "")
    if srcset and media.width:
        attributes.update(
            srcset=srcset, sizes=f"(max-width: {media.width}px) 100vw, {media.width}px"
        )
    return attributes


def library_image_attributes(srcs: Iterable[str]) -> dict[str, dict[str, str]]:
    """For each `src` that shows an image of the library: the attributes its <img> gets
    (`width` and `height` of what it shows, the library's `alt` text, a `srcset` of the
    renditions). One query, none when no `src` is the library's."""
    names = {src: match for src in set(srcs) if (match := library_name(src))}
    if not names:
        return {}
    stems = {match["stem"] for match in names.values()}
    query = Q()
    for stem in stems:
        query |= Q(file__startswith=f"{stem}.")
    found = Media.objects.filter(query).exclude(status=MediaStatus.REMOTE)
    by_stem = {(media.file.name or "").rsplit(".", 1)[0]: media for media in found}
    attributes: dict[str, dict[str, str]] = {}
    for src, match in names.items():
        media = by_stem.get(match["stem"])
        if media is None:
            continue
        shown = (media.renditions or {}).get(match["rendition"]) if match["rendition"] else None
        if match["rendition"] and shown is None:
            continue  # a rendition this media does not have (any more)
        width, height = (shown["width"], shown["height"]) if shown else (media.width, media.height)
        wanted = {"alt": media.alt_text}
        if width and height:
            wanted.update(width=str(width), height=str(height))
        srcset = _srcset(media, _origin(src))
        if srcset:
            wanted["srcset"] = srcset
        attributes[src] = wanted
    return attributes


def media_featured_post_ids(*, media_id: int) -> list[int]:
    """The posts that have the media as their featured image."""
    return list(Post.objects.filter(featured_image_id=media_id).values_list("pk", flat=True))


def _in_body(media: Media) -> QuerySet[Post]:
    match = _NAME.fullmatch(media.file.name or "")
    if match is None:
        return Post.objects.none()
    return Post.objects.filter(body__contains=match["key"])


def media_post_ids_in_body(*, media: Media) -> list[int]:
    """The posts whose body shows the media (its original or a rendition).

    A substring scan of the bodies: it runs when a media changes (renditions made, alt
    text edited), not on reads, and the generated name is unique to the media.
    """
    return list(_in_body(media).values_list("pk", flat=True))


def media_in_some_body(*, media_id: int) -> bool:
    """Whether any post's body shows the media (False for a media that is gone)."""
    media = Media.objects.filter(pk=media_id).first()
    return media is not None and _in_body(media).exists()

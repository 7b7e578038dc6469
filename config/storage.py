"""Where files live: Django's default storage (`STORAGES["default"]`) from the environment.

The media library's images (`library/...`) and the report files (`reports/...`) are written
and read through the default storage only, never by path, so both work on either backend:

- the file system under `MEDIA_ROOT` (the default);
- S3-compatible object storage through django-storages when `MEDIA_STORAGE_URL` is set:

      s3://ACCESS_KEY:SECRET@host[:port]/bucket[/prefix]?region=R&secure=0&addressing=path&domain=D

  An empty host (`s3://KEY:SECRET@/bucket?region=eu-west-1`) is AWS's own endpoint; no
  user part leaves the credentials to boto3 (instance role, `~/.aws`, its variables).
  Key and secret are percent-decoded (`/` is `%2F`). `secure=0` talks plain HTTP to the
  endpoint (a local MinIO); `addressing` is `path`, `virtual` or `auto`; `domain` is the
  public host of the files (a CDN, the bucket's website host) used in their URLs;
- or, without `MEDIA_STORAGE_URL`, the usual AWS variables when `AWS_STORAGE_BUCKET_NAME`
  is set (docs/operations.md, "Media files").

On S3, media URLs are the bucket's (or `domain`'s), unsigned and permanent, so the library's
`library/` prefix must be publicly readable (a bucket policy) while `reports/` stays
private: reports are only ever downloaded through the API, which reads them with the
storage's credentials.
"""

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

from config.env import env

# Imported only when configured: boto3 is slow to import.
S3_BACKEND = "config.storage_s3.MediaS3Storage"
FILE_SYSTEM_BACKEND = "django.core.files.storage.FileSystemStorage"

# The media library's files: names the platform generated, extension from the format it
# verified, content never rewritten under the same name.
LIBRARY_PREFIX = "library/"
LIBRARY_CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
}
# An original's name is unique per content: caches may keep the file for good. A
# rendition keeps its name when it is made again (`media_rebuild_renditions`, after a
# change of sizes or encoder), so caches keep it a day and then revalidate (ETag).
LIBRARY_CACHE_CONTROL = "public, max-age=31536000, immutable"
RENDITION_CACHE_CONTROL = "public, max-age=86400"
_RENDITION_NAME = re.compile(r"-[a-z]+(?:_[A-Za-z0-9]{7})?\.webp$")


def library_cache_control(name: str) -> str:
    return RENDITION_CACHE_CONTROL if _RENDITION_NAME.search(name) else LIBRARY_CACHE_CONTROL


_QUERY_KEYS = {"region", "secure", "addressing", "domain"}
_ADDRESSING = {"path", "virtual", "auto"}


def library_content_type(name: str) -> str | None:
    """The Content-Type of a library file from its generated extension; None for a name
    outside the library or with another extension."""
    if not name.startswith(LIBRARY_PREFIX):
        return None
    return LIBRARY_CONTENT_TYPES.get(name.rsplit(".", 1)[-1])


def _s3_options(**options: Any) -> dict[str, Any]:
    # Unsigned URLs: a media URL ends up in cached post HTML and feeds, so it must not
    # expire. No overwrite: a name is never reused for other content.
    base = {"querystring_auth": False, "file_overwrite": False}
    return {"BACKEND": S3_BACKEND, "OPTIONS": base | {k: v for k, v in options.items() if v}}


def storage_from_url(url: str) -> dict[str, Any]:
    """The `STORAGES["default"]` entry that `MEDIA_STORAGE_URL` describes."""
    parts = urlsplit(url)
    if parts.scheme != "s3":
        raise ImproperlyConfigured(f"MEDIA_STORAGE_URL: expected s3://..., got {parts.scheme!r}")
    segments = [unquote(s) for s in parts.path.split("/") if s]
    if not segments:
        raise ImproperlyConfigured("MEDIA_STORAGE_URL: no bucket (s3://host/BUCKET)")
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    unknown = set(query) - _QUERY_KEYS
    if unknown:
        raise ImproperlyConfigured(
            f"MEDIA_STORAGE_URL: unknown parameter(s) {sorted(unknown)} "
            f"(known: {', '.join(sorted(_QUERY_KEYS))})"
        )
    secure = query.get("secure", "1").lower() not in {"0", "false", "no", "off"}
    addressing = query.get("addressing", "")
    if addressing and addressing not in _ADDRESSING:
        raise ImproperlyConfigured(f"MEDIA_STORAGE_URL: addressing must be one of {_ADDRESSING}")
    scheme = "https" if secure else "http"
    endpoint = ""
    if parts.hostname:
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        endpoint = f"{scheme}://{host}" + (f":{parts.port}" if parts.port else "")
    return _s3_options(
        bucket_name=segments[0],
        location="/".join(segments[1:]),
        access_key=unquote(parts.username or ""),
        secret_key=unquote(parts.password or ""),
        endpoint_url=endpoint,
        region_name=query.get("region", ""),
        addressing_style=addressing,
        custom_domain=query.get("domain", ""),
        url_protocol=f"{scheme}:",
    )


def storage_from_aws(variables: Mapping[str, str]) -> dict[str, Any]:
    """The `STORAGES["default"]` entry of the usual AWS variables (bucket, endpoint, region,
    public domain, key and secret; unset ones are left to boto3 and django-storages)."""
    return _s3_options(
        bucket_name=variables["AWS_STORAGE_BUCKET_NAME"],
        endpoint_url=variables.get("AWS_S3_ENDPOINT_URL", ""),
        region_name=variables.get("AWS_S3_REGION_NAME", ""),
        custom_domain=variables.get("AWS_S3_CUSTOM_DOMAIN", ""),
        access_key=variables.get("AWS_ACCESS_KEY_ID", ""),
        secret_key=variables.get("AWS_SECRET_ACCESS_KEY", ""),
    )


def default_storage_settings() -> dict[str, Any]:
    """`STORAGES["default"]` from the environment: MEDIA_STORAGE_URL, else the AWS variables
    when a bucket is named, else the file system. The file system storage is given no
    location: it follows `MEDIA_ROOT` (which tests point at a scratch directory)."""
    url = env("MEDIA_STORAGE_URL")
    if url:
        return storage_from_url(url)
    aws = {
        "AWS_STORAGE_BUCKET_NAME": env("AWS_STORAGE_BUCKET_NAME"),
        "AWS_S3_ENDPOINT_URL": env("AWS_S3_ENDPOINT_URL"),
        "AWS_S3_REGION_NAME": env("AWS_S3_REGION_NAME"),
        "AWS_S3_CUSTOM_DOMAIN": env("AWS_S3_CUSTOM_DOMAIN"),
        "AWS_ACCESS_KEY_ID": env("AWS_ACCESS_KEY_ID"),
        "AWS_SECRET_ACCESS_KEY": env("AWS_SECRET_ACCESS_KEY"),
    }
    if aws["AWS_STORAGE_BUCKET_NAME"]:
        return storage_from_aws(aws)
    return {"BACKEND": FILE_SYSTEM_BACKEND}

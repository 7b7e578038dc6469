"""django-storages' S3 storage as the platform uses it (`config.storage` configures it)."""

from typing import Any

from storages.backends.s3 import S3Storage

from config.storage import library_cache_control, library_content_type


class MediaS3Storage(S3Storage):
    """S3Storage giving library objects their headers in the bucket: when the bucket serves
    them directly, they carry the type of their generated extension (never a client's
    claim, which S3Storage would otherwise copy from an uploaded file's `content_type`) and
    the long-lived caching of the platform's own media view."""

    def get_object_parameters(self, name: str) -> dict[str, Any]:
        params: dict[str, Any] = super().get_object_parameters(name)
        relative = name.removeprefix(self.location).lstrip("/") if self.location else name
        content_type = library_content_type(relative)
        if content_type is not None:
            params["ContentType"] = content_type
            params["CacheControl"] = library_cache_control(relative)
        return params

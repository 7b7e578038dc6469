"""Media files made for tests: real images drawn with Pillow, stored through the default
storage under the names the platform generates, with their Media rows written directly
(the upload service is tested on its own)."""

import io
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from blog.models import Media, MediaStatus

EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (64, 48)) -> bytes:
    """An image in `fmt`, with enough detail that its encoding is not a few bytes."""
    image = Image.new("RGB", size)
    image.putdata(
        [
            ((x * 7) % 256, (y * 11) % 256, (x * y) % 256)
            for y in range(size[1])
            for x in range(size[0])
        ]
    )
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def library_stem() -> str:
    """A generated name without extension: `library/<yyyy>/<mm>/<uuid hex>`."""
    return f"library/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


def media_stored(
    *,
    fmt: str = "PNG",
    size: tuple[int, int] = (64, 48),
    renditions: tuple[str, ...] = ("thumbnail",),
    **fields,
) -> Media:
    """A media object whose original (and renditions, WebP) are in the default storage."""
    data = image_bytes(fmt, size)
    stem = library_stem()
    name = default_storage.save(f"{stem}.{EXTENSIONS[fmt]}", ContentFile(data))
    made = {}
    for rendition in renditions:
        small = (max(1, size[0] // 2), max(1, size[1] // 2))
        rendition_name = default_storage.save(
            f"{stem}-{rendition}.webp", ContentFile(image_bytes("WEBP", small))
        )
        made[rendition] = {
            "name": rendition_name,
            "width": small[0],
            "height": small[1],
            "content_type": "image/webp",
        }
    fields.setdefault("alt_text", "A test image")
    fields.setdefault("status", MediaStatus.READY)
    return Media.objects.create(
        file=name,
        content_type=CONTENT_TYPES[fmt],
        size=len(data),
        width=size[0],
        height=size[1],
        renditions=made,
        original_name=f"photo.{EXTENSIONS[fmt]}",
        **fields,
    )

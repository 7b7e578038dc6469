"""Writes on the media library: upload, alt text and caption, delete, renditions again.

An upload is checked and cleaned in the request (`blog.images`: only real images, no
metadata), stored under a generated name, and recorded `processing`; a job on the
`default` queue makes its renditions (`blog.services.renditions`) and marks it `ready`.
"""

import posixpath
import uuid
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from accounts.models import User
from blog.images import image_clean
from blog.models import Media, MediaStatus
from blog.selectors.media import media_check_can_edit, media_file_names, media_in_use
from blog.services.renditions import media_renditions_fail as media_renditions_fail
from blog.services.renditions import media_renditions_make as media_renditions_make
from blog.services.renditions import storage_delete
from blog.tasks import media_make_renditions
from config.errors import ConflictError, InvalidInput, PayloadTooLarge, PermissionDeniedError
from config.events.bus import publish

LIBRARY = "library"


def _library_name(extension: str) -> str:
    """A generated storage name, `library/<yyyy>/<mm>/<uuid hex>.<ext>`: nothing of the
    client's file name reaches a path."""
    return f"{LIBRARY}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{extension}"


def _clean_text(value: str, *, field: str, required: bool) -> str:
    value = value.replace("\x00", "").strip()
    if required and not value:
        message = "Describe the image for those who cannot see it."
        raise InvalidInput(message, fields={field: [message]})
    return value


def _original_name(file: IO[bytes]) -> str:
    name = posixpath.basename(str(getattr(file, "name", "") or "").replace("\\", "/"))
    return "".join(char for char in name if char.isprintable())[:255]


def _file_size(file: IO[bytes]) -> int | None:
    size = getattr(file, "size", None)
    return size if isinstance(size, int) else None


def media_upload(*, uploaded_by: User, file: IO[bytes], alt_text: str, caption: str = "") -> Media:
    """Add an image to the library: 201-ready media in status `processing`, its
    renditions queued.

    Refused (nothing stored): callers below the author role (PermissionDeniedError), a
    file over MEDIA_MAX_UPLOAD_BYTES (PayloadTooLarge), anything but a JPEG, PNG, GIF or
    WebP image, or one over MEDIA_MAX_PIXELS or that does not decode (InvalidInput, see
    `blog.images.image_clean`), an empty `alt_text`. What is stored is the image without
    its metadata (EXIF, GPS, XMP, comments, colour profile), upright.
    """
    if not uploaded_by.is_author:
        raise PermissionDeniedError("Only authors, editors and admins may upload media.")
    alt_text = _clean_text(alt_text, field="alt_text", required=True)
    caption = _clean_text(caption, field="caption", required=False)
    limit = settings.MEDIA_MAX_UPLOAD_BYTES
    size = _file_size(file)
    if size is not None and size > limit:
        raise PayloadTooLarge(f"The file exceeds {limit} bytes.")
    image = image_clean(file)
    storage = default_storage
    name = storage.save(_library_name(image.format.extension), ContentFile(image.data))
    try:
        with transaction.atomic():
            media = Media.objects.create(
                file=name,
                content_type=image.format.content_type,
                size=len(image.data),
                width=image.width,
                height=image.height,
                alt_text=alt_text,
                caption=caption,
                original_name=_original_name(file),
                status=MediaStatus.PROCESSING,
                uploaded_by=uploaded_by,
            )
            publish(
                "media.uploaded",
                aggregate_id=media.pk,
                actor=uploaded_by,
                data={"media_id": media.pk, "content_type": media.content_type},
            )
            # Sent when the row is committed (RecordedTask): the job always finds it.
            media_make_renditions.apply_async(args=(media.pk,), actor=uploaded_by)
    except BaseException:
        # Nothing refused, or failed, leaves a file behind. (A caller's own transaction
        # rolled back later would: `manage.py media_orphans` finds such files.)
        storage.delete(name)
        raise
    return media


@transaction.atomic
def media_update(
    *, media: Media, actor: User, alt_text: str | None = None, caption: str | None = None
) -> Media:
    """Change the alt text or caption (the uploader, editors); `media.updated` names the
    fields that changed, and nothing is recorded when none did."""
    media_check_can_edit(media=media, actor=actor)
    changes = {}
    if alt_text is not None:
        changes["alt_text"] = _clean_text(alt_text, field="alt_text", required=True)
    if caption is not None:
        changes["caption"] = _clean_text(caption, field="caption", required=False)
    changes = {field: value for field, value in changes.items() if getattr(media, field) != value}
    if changes:
        for field, value in changes.items():
            setattr(media, field, value)
        media.save(update_fields=[*changes, "updated_at"])
        publish(
            "media.updated",
            aggregate_id=media.pk,
            actor=actor,
            data={"media_id": media.pk, "fields": sorted(changes)},
        )
    return media


def _in_use() -> ConflictError:
    return ConflictError(
        "A post uses this media (as its featured image): change the post first.",
        code="media_in_use",
    )


def media_delete(*, media: Media, actor: User) -> None:
    """Delete the media and, once that is committed, its files. Media that a post uses
    answers ConflictError `media_in_use` (the uploader, editors)."""
    media_check_can_edit(media=media, actor=actor)
    if media_in_use(media=media):
        raise _in_use()
    storage = media.file.storage
    names = media_file_names(media=media)
    media_id = media.pk
    try:
        with transaction.atomic():
            media.delete()
            publish(
                "media.deleted", aggregate_id=media_id, actor=actor, data={"media_id": media_id}
            )
            transaction.on_commit(lambda: storage_delete(storage, names))
    except ProtectedError as exc:
        # A post took it as its featured image since the check above.
        raise _in_use() from exc


def media_renditions_request(*, media: Media, queue: bool = True) -> bool:
    """Make the media's renditions again (`manage.py media_rebuild_renditions`): back to
    `processing`, and a job queued (unless the caller makes them itself). False for
    media without a file (`remote`)."""
    if not media.file:
        return False
    with transaction.atomic():
        Media.objects.filter(pk=media.pk).update(
            status=MediaStatus.PROCESSING, error="", updated_at=timezone.now()
        )
        if queue:
            media_make_renditions.apply_async(args=(media.pk,))
    return True

"""What the renditions job does: make a media object's renditions, or say that it could
not. Below the job (`blog.tasks.media_make_renditions`), which `blog.services.media`
queues: the job imports this module, the services import the job, nothing imports back.
"""

import posixpath
from collections.abc import Iterable

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import transaction

from blog.images import image_renditions
from blog.models import RENDITION_WIDTHS, Media, MediaStatus
from blog.selectors.media import media_get_by_id
from config.events.bus import publish


def rendition_name(original: str, rendition: str) -> str:
    """`library/2026/12/<hex>.jpg` -> `library/2026/12/<hex>-<rendition>.webp`: fixed, so
    that making the renditions again overwrites them rather than adding files."""
    stem, _ = posixpath.splitext(original)
    return f"{stem}-{rendition}.webp"


def media_renditions_complete(media: Media) -> bool:
    return media.status == MediaStatus.READY and set(media.renditions or {}) == set(
        RENDITION_WIDTHS
    )


def storage_delete(storage: Storage, names: Iterable[str]) -> None:
    """Delete files (absent ones are no error)."""
    for name in names:
        storage.delete(name)


def media_renditions_make(*, media_id: int) -> Media | None:
    """Make the media's renditions (RENDITION_WIDTHS, WebP, never wider than the
    original), store them and record them: status `ready`, `media.processed`.

    Idempotent: media already ready with every rendition is left alone, and a run after
    a crash overwrites what the crashed run wrote. Returns None when the media is gone
    (deleted before its job ran: nothing to do) and the media as it is when it has no
    file (`remote`: not downloaded yet).
    """
    media = media_get_by_id(media_id=media_id)
    if media is None:
        return None
    original_name = media.file.name
    if not original_name or media_renditions_complete(media):
        return media
    storage = media.file.storage
    with storage.open(original_name, "rb") as original:
        data = original.read()
    written: dict[str, dict[str, object]] = {}
    for name, image in image_renditions(data, RENDITION_WIDTHS).items():
        wanted = rendition_name(original_name, name)
        storage.delete(wanted)  # a no-op when absent; Storage.save would not overwrite
        stored = storage.save(wanted, ContentFile(image.data))
        written[name] = {
            "name": stored,
            "width": image.width,
            "height": image.height,
            "content_type": image.format.content_type,
        }
    new_names = [str(r["name"]) for r in written.values()]
    with transaction.atomic():
        current = Media.objects.select_for_update().filter(pk=media_id).first()
        if current is not None:
            stale = [
                r["name"] for r in (current.renditions or {}).values() if r["name"] not in new_names
            ]
            current.renditions = written
            current.status = MediaStatus.READY
            current.error = ""
            current.save(update_fields=["renditions", "status", "error", "updated_at"])
            publish(
                "media.processed",
                aggregate_id=current.pk,
                data={"media_id": current.pk, "status": MediaStatus.READY},
            )
            transaction.on_commit(lambda: storage_delete(storage, stale))
    if current is None:
        # Deleted while its renditions were being made: they go too.
        storage_delete(storage, new_names)
    return current


def media_renditions_fail(*, media_id: int, error: str) -> None:
    """The renditions job gave up: the media says so (`failed`, with the error; its job
    record has the traceback)."""
    with transaction.atomic():
        media = Media.objects.select_for_update().filter(pk=media_id).first()
        if media is None or media.status == MediaStatus.READY:
            return
        media.status = MediaStatus.FAILED
        media.error = error[:2000]
        media.save(update_fields=["status", "error", "updated_at"])
        publish(
            "media.processed",
            aggregate_id=media.pk,
            data={"media_id": media.pk, "status": MediaStatus.FAILED},
        )

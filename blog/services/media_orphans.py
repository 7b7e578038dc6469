"""Repairs after `media_orphans_find` (`manage.py media_orphans --delete`).

Files without a row are deleted: nothing refers to them (no row, so no API object, no
post's featured image, no rendered `srcset`), and the platform never reuses a name.

Rows whose original is missing are not deleted but marked `failed` with the reason: a row
holds an editor's work (alt text, caption), posts may use it (`featured_image` protects
it; bodies link it), and the file may come back from a backup. Failed, it shows as broken
in the API and the admin, where an editor replaces or deletes it; with the file restored,
`manage.py media_rebuild_renditions --id ID` makes it whole again.
"""

from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.db import transaction

from blog.models import Media, MediaStatus
from blog.selectors.media_orphans import MediaOrphans

MISSING_ORIGINAL = "The original file {name} is missing from the storage (media_orphans)."


@dataclass(frozen=True)
class OrphansRepaired:
    files_deleted: int
    bytes_freed: int
    media_failed: int


def media_orphans_delete(*, orphans: MediaOrphans) -> OrphansRepaired:
    """Delete the old unclaimed files of `orphans` (recent ones are left alone) and mark
    the rows whose original is missing `failed`. Idempotent."""
    for orphan in orphans.files:
        default_storage.delete(orphan.name)
    failed = 0
    for missing in orphans.missing_originals:
        with transaction.atomic():
            media = Media.objects.select_for_update().filter(pk=missing.media_id).first()
            # Gone meanwhile, or given another file since the listing: nothing to mark.
            if media is None or media.file.name != missing.name:
                continue
            error = MISSING_ORIGINAL.format(name=missing.name)
            if media.status == MediaStatus.FAILED and media.error == error:
                continue
            media.status = MediaStatus.FAILED
            media.error = error
            # save(), not update(): receivers of the model's changes (caches) hear of it.
            media.save(update_fields=["status", "error", "updated_at"])
            failed += 1
    return OrphansRepaired(
        files_deleted=len(orphans.files),
        bytes_freed=sum(orphan.size for orphan in orphans.files),
        media_failed=failed,
    )

"""What the storage and the media library disagree on (`manage.py media_orphans`): files
under `library/` that no row claims, and rows whose files are gone.

The storage is listed through Django's storage API (`listdir`), so this works on the file
system and on S3 alike: one listing per month directory, then one look-up per file found
unclaimed (its age and size), none per claimed file.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.files.storage import Storage, default_storage
from django.utils import timezone

from blog.models import Media

LIBRARY = "library"


@dataclass(frozen=True)
class OrphanFile:
    name: str
    size: int
    modified: datetime


@dataclass(frozen=True)
class MissingFile:
    media_id: int
    name: str
    status: str
    rendition: str = ""  # empty for the original


@dataclass
class MediaOrphans:
    # Unclaimed files older than the grace period: safe to delete.
    files: list[OrphanFile] = field(default_factory=list)
    # Unclaimed but recent: perhaps an upload or a renditions job that has written its
    # file and not yet committed its row. Left alone.
    recent_files: list[OrphanFile] = field(default_factory=list)
    missing_originals: list[MissingFile] = field(default_factory=list)
    missing_renditions: list[MissingFile] = field(default_factory=list)


def library_files(storage: Storage | None = None, directory: str = LIBRARY) -> Iterator[str]:
    """Every file name under `library/`, through the storage's `listdir`."""
    storage = storage or default_storage
    try:
        directories, files = storage.listdir(directory)
    except FileNotFoundError:  # the file system before the first upload
        return
    for name in sorted(files):
        yield f"{directory}/{name}"
    for sub in sorted(directories):
        yield from library_files(storage, f"{directory}/{sub}")


def media_orphans_find(*, min_age: timedelta = timedelta(hours=1)) -> MediaOrphans:
    """Files under `library/` without a row (older than `min_age`, or recent), and rows
    whose original or a rendition is missing. A row without a file name (imported media not
    yet downloaded, `remote`) is not missing one."""
    stored = set(library_files())
    claimed: set[str] = set()
    found = MediaOrphans()
    rows = Media.objects.order_by("pk").values_list("pk", "file", "status", "renditions")
    for pk, name, status, renditions in rows.iterator(chunk_size=2000):
        if name:
            claimed.add(name)
            if name not in stored:
                found.missing_originals.append(MissingFile(pk, name, status))
        for rendition, made in sorted((renditions or {}).items()):
            claimed.add(made["name"])
            if made["name"] not in stored:
                found.missing_renditions.append(MissingFile(pk, made["name"], status, rendition))
    oldest_recent = timezone.now() - min_age
    for name in sorted(stored - claimed):
        try:
            orphan = OrphanFile(
                name=name,
                size=default_storage.size(name),
                modified=default_storage.get_modified_time(name),
            )
        except FileNotFoundError:  # deleted since the listing
            continue
        (found.files if orphan.modified < oldest_recent else found.recent_files).append(orphan)
    return found

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template.defaultfilters import filesizeformat

from blog.selectors.media_orphans import media_orphans_find
from blog.services.media_orphans import media_orphans_delete


class Command(BaseCommand):
    help = (
        "List what the storage and the media library disagree on: files under library/ "
        "that no media row claims, and media whose original or renditions are missing. "
        "With --delete, delete those files (not the recent ones: an upload may be under "
        "way) and mark media whose original is missing as failed (rows are kept: posts may "
        "use them, and a restored file makes them whole with media_rebuild_renditions)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--delete",
            action="store_true",
            help="Delete the files without a row; mark media without their original failed.",
        )
        parser.add_argument(
            "--min-age",
            type=int,
            default=60,
            metavar="MINUTES",
            help="A file without a row counts as orphaned only when older (default 60).",
        )

    def handle(self, *args: Any, delete: bool = False, min_age: int = 60, **options: Any) -> None:
        if min_age < 0:
            raise CommandError("--min-age must be 0 or more.")
        found = media_orphans_find(min_age=timedelta(minutes=min_age))
        size = sum(orphan.size for orphan in found.files)
        self.stdout.write(f"Files without a row: {len(found.files)} ({filesizeformat(size)})")
        for orphan in found.files:
            self.stdout.write(f"  {orphan.name}  {orphan.size} B  {orphan.modified:%Y-%m-%d %H:%M}")
        if found.recent_files:
            self.stdout.write(
                f"Files without a row, younger than {min_age} min, left alone: "
                f"{len(found.recent_files)}"
            )
            for orphan in found.recent_files:
                self.stdout.write(f"  {orphan.name}")
        self.stdout.write(f"Media whose original is missing: {len(found.missing_originals)}")
        for missing in found.missing_originals:
            self.stdout.write(f"  media {missing.media_id} ({missing.status}): {missing.name}")
        self.stdout.write(f"Missing renditions: {len(found.missing_renditions)}")
        for missing in found.missing_renditions:
            self.stdout.write(f"  media {missing.media_id} {missing.rendition}: {missing.name}")
        if found.missing_renditions:
            self.stdout.write("  (manage.py media_rebuild_renditions --missing makes them again)")
        if not delete:
            if found.files or found.missing_originals:
                self.stdout.write("Nothing changed; --delete repairs.")
            return
        repaired = media_orphans_delete(orphans=found)
        freed = filesizeformat(repaired.bytes_freed)
        self.stdout.write(
            self.style.SUCCESS(
                f"Deleted {repaired.files_deleted} file(s) ({freed}); "
                f"marked {repaired.media_failed} media failed."
            )
        )

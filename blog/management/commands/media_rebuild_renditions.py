from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from blog.selectors.media import media_renditions_missing, media_with_files
from blog.services.media import (
    media_renditions_fail,
    media_renditions_make,
    media_renditions_request,
)


class Command(BaseCommand):
    help = (
        "Make the renditions of media again: every media object with a file, or the --id "
        "ones, or with --missing only those whose renditions are not all recorded and "
        "stored (failed or stuck jobs, files lost, a size added). Queues a job per media "
        "object (queue `default`) unless --now makes them here (exit 1 if some fail)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--id", type=int, action="append", dest="ids", help="A media id.")
        parser.add_argument(
            "--missing", action="store_true", help="Only media with a rendition missing."
        )
        parser.add_argument(
            "--now", action="store_true", help="Make them in this process, one by one."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        done = failed = 0
        for media in media_with_files(media_ids=options["ids"]).iterator(chunk_size=200):
            if options["missing"] and not media_renditions_missing(media=media):
                continue
            media_renditions_request(media=media, queue=not options["now"])
            if options["now"]:
                try:
                    media_renditions_make(media_id=media.pk)
                except Exception as exc:  # one bad image does not stop the others
                    media_renditions_fail(media_id=media.pk, error=f"{type(exc).__name__}: {exc}")
                    self.stderr.write(f"media {media.pk}: {type(exc).__name__}: {exc}")
                    failed += 1
                    continue
            done += 1
        verb = "Made" if options["now"] else "Queued"
        self.stdout.write(self.style.SUCCESS(f"{verb} the renditions of {done} media."))
        if failed:
            raise CommandError(f"{failed} failed (now in status `failed`).")

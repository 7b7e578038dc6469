from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from blog.services.posts import post_search_vectors_refresh


class Command(BaseCommand):
    help = (
        "Recompute the stored full-text search vector of every post (or of --post ids), in "
        "batches: after changing SEARCH_CONFIG, restoring a dump without the vectors, or "
        "editing posts outside the application. Exit 1 if it cannot run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--post", type=int, action="append", help="Only this post id.")
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        if connection.vendor != "postgresql":
            self.stdout.write("Not on PostgreSQL: search is a substring match, nothing to build.")
            return
        done = post_search_vectors_refresh(
            post_ids=options["post"], batch_size=options["batch_size"]
        )
        self.stdout.write(self.style.SUCCESS(f"Rebuilt the search vector of {done} post(s)."))

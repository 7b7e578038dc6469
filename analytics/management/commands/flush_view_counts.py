from typing import Any

from django.core.management.base import BaseCommand, CommandError

from analytics.counters import CounterUnavailable
from analytics.services import view_counts_flush


class Command(BaseCommand):
    help = "Move the post views counted in Redis into the database (what the beat job does)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = view_counts_flush()
        except CounterUnavailable as exc:
            raise CommandError(f"Redis is unavailable: {exc}") from exc
        self.stdout.write(f"Flushed {result['views']} view(s) from {result['batches']} batch(es).")

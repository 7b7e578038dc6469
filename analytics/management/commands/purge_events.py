from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from analytics.retention import event_purge, event_retention_policy


class Command(BaseCommand):
    help = (
        "Delete events past their retention (EVENT_RETENTION_DAYS, "
        "EVENT_RETENTION_DAYS_BY_TYPE), in batches: what the daily job does."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be deleted; delete nothing."
        )

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        default, by_type = event_retention_policy()
        overrides = ", ".join(f"{name} {days} d" for name, days in sorted(by_type.items()))
        self.stdout.write(f"Retention: {default} d" + (f" ({overrides})" if overrides else ""))
        counts = event_purge(dry_run=dry_run)
        for name, count in counts.items():
            self.stdout.write(f"  {name}: {count}")
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(f"{verb} {sum(counts.values())} event(s).")

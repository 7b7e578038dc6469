import argparse
from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from analytics.replay import event_replay
from config.errors import DomainError
from config.events.registry import EVENT_TYPES


def _moment(value: str) -> datetime:
    """An ISO 8601 date or date-time; without a zone it is UTC."""
    try:
        moment = parse_datetime(value)
    except ValueError:
        moment = None
    if moment is None:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date or date-time: {value!r}")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    return moment


class Command(BaseCommand):
    help = (
        "Run a consumer again on the stored events of a time range (e.g. to rebuild the "
        "daily stats). Events it already handled are skipped unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--consumer", required=True, help="Consumer name (e.g. analytics).")
        parser.add_argument("--since", type=_moment, help="ISO 8601, inclusive.")
        parser.add_argument("--until", type=_moment, help="ISO 8601, exclusive.")
        parser.add_argument(
            "--type",
            dest="types",
            action="append",
            choices=list(EVENT_TYPES),
            metavar="TYPE",
            help="Only this event type (repeat for several).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Also run it on events it already consumed (its writes may then repeat).",
        )

    def handle(
        self,
        *args: Any,
        consumer: str,
        since: datetime | None = None,
        until: datetime | None = None,
        types: list[str] | None = None,
        force: bool = False,
        **options: Any,
    ) -> None:
        try:
            result = event_replay(
                consumer_name=consumer, since=since, until=until, types=types or (), force=force
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        for error in result.errors:
            self.stderr.write(error)
        self.stdout.write(
            f"{consumer}: {result.matched} event(s) matched, {result.consumed} consumed, "
            f"{result.skipped} skipped (already consumed), {result.failed} failed."
        )
        if result.failed:
            raise CommandError(f"{result.failed} event(s) failed.")

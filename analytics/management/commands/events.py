import json
import time
from datetime import datetime, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from analytics.models import Event
from analytics.selectors import event_log
from config.events.registry import EVENT_TYPES

# An event's time is taken when it is published, before its transaction commits, so a
# follower also looks this far back for events that committed late.
_FOLLOW_LOOKBACK = timedelta(seconds=60)


def format_event(event: Event) -> str:
    """One line: time, type, actor, aggregate, request id, data."""
    actor = event.actor.username if event.actor_id and event.actor else "-"
    return "  ".join(
        [
            event.occurred_at.isoformat(timespec="milliseconds"),
            f"{event.type:<22}",
            f"{actor:<16}",
            f"{event.aggregate_type}:{event.aggregate_id:<10}",
            f"{event.request_id or '-':<32}",
            json.dumps(event.data, sort_keys=True, separators=(",", ":")),
        ]
    )


class Command(BaseCommand):
    help = "Show the event log, oldest first, one line per event; --follow for new ones."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--type",
            dest="types",
            action="append",
            choices=list(EVENT_TYPES),
            metavar="TYPE",
            help="Only this event type (repeat for several).",
        )
        parser.add_argument("--aggregate", metavar="TYPE:ID", help="e.g. post:42, or just post.")
        parser.add_argument("--limit", type=int, default=20, help="The last N events (20).")
        parser.add_argument("--follow", action="store_true", help="Keep printing new events.")
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds between polls with --follow."
        )

    def handle(
        self,
        *args: Any,
        types: list[str] | None = None,
        aggregate: str | None = None,
        limit: int = 20,
        follow: bool = False,
        **options: Any,
    ) -> None:
        if limit < 1:
            raise CommandError("--limit must be at least 1.")
        aggregate_type, _, aggregate_id = (aggregate or "").partition(":")
        filters: dict[str, Any] = {
            "types": types or (),
            "aggregate_type": aggregate_type or None,
            "aggregate_id": aggregate_id or None,
        }
        latest = list(event_log(**filters)[:limit])[::-1]
        for event in latest:
            self.stdout.write(format_event(event))
        if follow:
            horizon = latest[-1].occurred_at if latest else timezone.now()
            self._follow(filters, horizon, options["interval"])

    def _follow(self, filters: dict[str, Any], horizon: datetime, interval: float) -> None:
        """Poll for events newer than the last shown. Everything already stored within
        the look-back window counts as seen (shown, or left out by --limit); whatever
        appears there later committed late and is shown."""
        since = horizon - _FOLLOW_LOOKBACK
        seen = dict(event_log(**filters, since=since).values_list("pk", "occurred_at"))
        try:
            while True:
                self.stdout.flush()
                time.sleep(interval)
                since = horizon - _FOLLOW_LOOKBACK
                new = event_log(**filters, since=since).exclude(pk__in=list(seen))
                for event in reversed(list(new)):
                    self.stdout.write(format_event(event))
                    seen[event.pk] = event.occurred_at
                    horizon = max(horizon, event.occurred_at)
                # What is older than the window cannot come back: the set stays small.
                since = horizon - _FOLLOW_LOOKBACK
                seen = {pk: at for pk, at in seen.items() if at >= since}
        except KeyboardInterrupt:
            return

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from config.errors import InvalidInput
from tasks.models import JobRecord, JobStatus
from tasks.schedule import QUEUES
from tasks.selectors import job_list


def format_job(record: JobRecord) -> str:
    """One line: created, id, name, status, priority, attempts/max, duration, error."""
    duration = f"{record.duration_ms}ms" if record.duration_ms is not None else "-"
    error = record.error.splitlines()[0][:80] if record.error else ""
    return "  ".join(
        [
            record.created_at.isoformat(timespec="seconds"),
            str(record.pk),
            f"{record.name:<28}",
            f"{record.status:<9}",
            f"{record.priority:<8}",
            f"{record.attempts}/{record.max_attempts or '-'}",
            f"{duration:>8}",
            error,
        ]
    ).rstrip()


class Command(BaseCommand):
    help = (
        "List recorded jobs, newest first, one line each: created, id, name, status, "
        "priority, attempts/max, duration, error. Exit status 0 (none matching too); 2 on bad "
        "usage."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--status", choices=JobStatus.values, help="Only jobs in this status.")
        parser.add_argument("--name", help="Only jobs of this name (e.g. tasks.send_email).")
        parser.add_argument("--priority", choices=QUEUES, help="Only jobs of this queue.")
        parser.add_argument("--limit", type=int, default=20, help="At most N jobs (20).")

    def handle(
        self,
        *args: Any,
        status: str | None = None,
        name: str | None = None,
        priority: str | None = None,
        limit: int = 20,
        **options: Any,
    ) -> None:
        if limit < 1:
            raise CommandError("--limit must be at least 1.", returncode=2)
        params = {
            k: v for k, v in {"status": status, "name": name, "priority": priority}.items() if v
        }
        try:
            records = list(job_list(params=params)[:limit])
        except InvalidInput as exc:
            raise CommandError(exc.message, returncode=2) from exc
        for record in records:
            self.stdout.write(format_job(record))
        if not records:
            self.stderr.write("No jobs.")

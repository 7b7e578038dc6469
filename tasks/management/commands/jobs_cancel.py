from collections.abc import Sequence
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from config.errors import DomainError
from tasks.services import job_cancel


class Command(BaseCommand):
    help = (
        "Cancel jobs waiting to run (pending or retrying): they never run. Running and "
        "finished jobs cannot be cancelled. Exit status: 0 if every job named was "
        "cancelled; 1 if some could not be; 2 on bad usage."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ids", nargs="+", metavar="ID", help="Jobs' ids.")

    def handle(self, *args: Any, ids: Sequence[str] = (), **options: Any) -> None:
        refused = 0
        for job_id in ids:
            try:
                record = job_cancel(job_id=job_id)
            except DomainError as exc:
                refused += 1
                self.stderr.write(f"{job_id}: {exc.message}")
                continue
            self.stdout.write(f"{record.pk}  {record.name}: cancelled")
        if refused:
            raise CommandError(f"{refused} job(s) could not be cancelled.", returncode=1)

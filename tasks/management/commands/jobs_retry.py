from collections.abc import Sequence
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from config.errors import DomainError
from tasks.models import JobStatus
from tasks.selectors import job_list
from tasks.services import job_retry


class Command(BaseCommand):
    help = (
        "Queue failed jobs again, with the same arguments (their records reset to pending). "
        "Exit status: 0 if every job named was queued again; 1 if some could not be "
        "(not found, not failed, arguments redacted); 2 on bad usage."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ids", nargs="*", metavar="ID", help="Failed jobs' ids.")
        parser.add_argument(
            "--all-failed", action="store_true", help="Every failed job (or of --name)."
        )
        parser.add_argument("--name", help="With --all-failed: only jobs of this name.")

    def handle(
        self,
        *args: Any,
        ids: Sequence[str] = (),
        all_failed: bool = False,
        name: str | None = None,
        **options: Any,
    ) -> None:
        if bool(ids) == bool(all_failed):
            raise CommandError("Give job ids, or --all-failed (not both).", returncode=2)
        if name and not all_failed:
            raise CommandError("--name goes with --all-failed.", returncode=2)
        if all_failed:
            params = {"status": JobStatus.FAILED, **({"name": name} if name else {})}
            ids = [str(pk) for pk in job_list(params=params).values_list("pk", flat=True)]
        retried, refused = 0, 0
        for job_id in ids:
            try:
                record = job_retry(job_id=job_id)
            except DomainError as exc:
                refused += 1
                self.stderr.write(f"{job_id}: {exc.message}")
                continue
            retried += 1
            self.stdout.write(f"{record.pk}  {record.name}: queued again")
        self.stdout.write(f"{retried} job(s) queued again, {refused} refused.")
        if refused:
            raise CommandError(f"{refused} job(s) could not be retried.", returncode=1)

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from analytics.models import ReportFormat, ReportKind
from analytics.reports.generation import report_fail, report_generate
from analytics.reports.services import report_create, report_request
from config.errors import InvalidInput


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value!r}", returncode=2) from exc


class Command(BaseCommand):
    help = (
        "Generate a report (content, engagement or users) for a range of days, here and "
        "now (or on the workers with --queue). It is stored like the API's reports "
        "(admin, /api/v1/admin/reports/<id>/); --output also writes it to a file, or to "
        "standard output with '-'. Exit status: 0 done; 1 failed; 2 bad usage."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kind", required=True, choices=ReportKind.values)
        parser.add_argument("--start", required=True, type=_day, help="First day, YYYY-MM-DD.")
        parser.add_argument("--end", required=True, type=_day, help="Last day (included).")
        parser.add_argument("--format", default=ReportFormat.CSV, choices=ReportFormat.values)
        parser.add_argument("--output", metavar="PATH", help="Also write it here ('-': stdout).")
        parser.add_argument(
            "--queue", action="store_true", help="Queue it for the workers instead."
        )

    def handle(
        self,
        *args: Any,
        kind: str,
        start: date,
        end: date,
        format: str,
        output: str | None = None,
        queue: bool = False,
        **options: Any,
    ) -> None:
        if queue and output:
            raise CommandError("--output needs the report now: not with --queue.", returncode=2)
        # The summary goes to stderr when the report itself goes to stdout.
        say = self.stderr if output == "-" else self.stdout
        fields: dict[str, Any] = {"kind": kind, "start": start, "end": end, "format": format}
        try:
            if queue:
                report = report_request(requested_by=None, **fields)
                say.write(f"Report {report.pk} queued (job {report.task_id}).")
                return
            report = report_create(**fields)
        except InvalidInput as exc:
            raise CommandError(exc.message, returncode=2) from exc
        try:
            summary = report_generate(report_id=report.pk)
        except Exception as exc:
            report_fail(report_id=report.pk, error=f"{type(exc).__name__}: {exc}")
            raise CommandError(f"Report {report.pk} failed: {exc}", returncode=1) from exc
        report.refresh_from_db()
        if output:
            with report.file.open("rb") as stored:
                content = stored.read()
            if output == "-":
                self.stdout.write(content.decode("utf-8"), ending="")
            else:
                with open(output, "wb") as target:
                    target.write(content)
        say.write(f"Report {report.pk}: {summary['rows']} row(s), stored as {report.file.name}.")

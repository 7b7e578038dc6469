"""`manage.py health`: the `/health/` checks, run in this process, without a web server."""

import asyncio
import json
import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from config.observability.health import health_results_failed, health_run, is_critical


class Command(BaseCommand):
    help = (
        "Run the health checks of /health/ (database, cache, Redis, storage, migrations; "
        "broker and workers when jobs use a broker). Exit 0 when healthy (warnings of "
        "non-critical checks, such as a missing worker, included), 1 when a critical part "
        "is down."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the results as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verbosity"] < 2:
            # The library logs every failed check with its traceback; -v 2 shows them.
            logging.getLogger("health_check").setLevel(logging.ERROR)
        results = asyncio.run(health_run())
        failed = health_results_failed(results)
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "healthy": not failed,
                        "checks": {
                            repr(r.check): {
                                "status": str(r.error) if r.error else "OK",
                                "critical": is_critical(r.check),
                                "seconds": round(r.time_taken, 3),
                            }
                            for r in results
                        },
                    },
                    indent=2,
                )
            )
        else:
            for r in results:
                line = f"{r.check!r}: {r.error if r.error else 'OK'} ({r.time_taken:.3f}s)"
                if not r.error:
                    self.stdout.write(line)
                elif is_critical(r.check):
                    self.stdout.write(self.style.ERROR(line))
                else:
                    self.stdout.write(self.style.WARNING(line + " [not critical]"))
        if failed:
            # CommandError exits with status 1 from the command line.
            raise CommandError("unhealthy: a critical check failed")

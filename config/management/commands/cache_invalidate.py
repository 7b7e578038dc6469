from collections.abc import Sequence
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from config.cache import invalidate, known_namespaces


class Command(BaseCommand):
    help = "Invalidate cache namespaces (O(1) each); every known namespace when none is given."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("namespaces", nargs="*", metavar="namespace")

    def handle(self, *args: Any, namespaces: Sequence[str] = (), **options: Any) -> None:
        wanted = list(namespaces) or known_namespaces()
        done = invalidate(*wanted)
        for namespace in done:
            self.stdout.write(f"invalidated {namespace}")
        failed = [n for n in wanted if n not in done]
        if failed:
            raise CommandError(f"cache unavailable, not invalidated: {', '.join(failed)}")

from django.core.management.base import BaseCommand, CommandError

from config.cache import invalidate, known_namespaces


class Command(BaseCommand):
    help = "Invalidate cache namespaces (O(1) each); every known namespace when none is given."

    def add_arguments(self, parser):
        parser.add_argument("namespaces", nargs="*", metavar="namespace")

    def handle(self, *args, namespaces=(), **options):
        wanted = list(namespaces) or known_namespaces()
        done = invalidate(*wanted)
        for namespace in done:
            self.stdout.write(f"invalidated {namespace}")
        failed = [n for n in wanted if n not in done]
        if failed:
            raise CommandError(f"cache unavailable, not invalidated: {', '.join(failed)}")

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from config.cache import cache_server_info, cache_stats, cache_stats_reset


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


class Command(BaseCommand):
    help = "Cache backend, hit rate per namespace (all processes), key count and memory."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reset", action="store_true", help="then set the counters to 0")

    def handle(self, *args: Any, reset: bool = False, **options: Any) -> None:
        stats = cache_stats()
        self.stdout.write(f"backend: {stats['backend']}")
        self.stdout.write(
            f"total: hits {stats['hits']}, misses {stats['misses']}, "
            f"hit rate {_rate(stats['hit_rate'])}"
        )
        for name, numbers in stats["namespaces"].items():
            self.stdout.write(
                f"  {name}: hits {numbers['hits']}, misses {numbers['misses']}, "
                f"hit rate {_rate(numbers['hit_rate'])}"
            )
        self.stdout.write(f"errors (this process): {stats['degraded']}")
        try:
            info = cache_server_info()
        except Exception as exc:  # Redis down: say so, the counts above read as zero
            self.stdout.write(f"redis: unavailable ({type(exc).__name__}: {exc})")
            info = None
        if info:
            self.stdout.write(f"keys: {info['keys']}")
            self.stdout.write(f"memory: {info['used_memory_human']} ({info['used_memory']} bytes)")
        if reset:
            cache_stats_reset()
            self.stdout.write("counters reset")

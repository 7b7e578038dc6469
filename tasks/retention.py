"""What the daily `tasks.purge_jobs` job deletes besides job records.

The apps above tasks keep rows that expire with the jobs that wrote them (analytics: the
reports and their files); tasks may not import them, so they register their purge here,
in their `ready()`, under the name the job's result reports it.
"""

from collections.abc import Callable, Mapping
from types import MappingProxyType

# Seconds a purge job deletes for before it stops (between two batches) and queues its
# next run, which goes on where it stopped: well inside the purges' soft time limit (150 s),
# whatever the backlog. At a million expired rows a purge needs longer (docs/operations.md,
# "Time limits").
PURGE_TIME_BUDGET = 120.0

_purges: dict[str, Callable[[], int]] = {}


def retention_purge_register(name: str, purge: Callable[[], int]) -> None:
    """`purge()` deletes what is past its retention and answers how many it deleted."""
    _purges[name] = purge


def retention_purges() -> Mapping[str, Callable[[], int]]:
    return MappingProxyType(_purges)

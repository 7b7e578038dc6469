"""The project's in-process counters.

Imported by the modules that count (the event bus, the cache), so it imports nothing
of the project. Under `PROMETHEUS_MULTIPROC_DIR` prometheus_client writes each value to
the process's own file; Counters need nothing more to add up over processes.
"""

from prometheus_client import Counter

# Counted when an event reaches its after-commit receivers: a rolled-back change counts
# nothing, and `post.viewed`, which is not stored, still counts. These two count only
# without Redis; with it `shared` counts them for every process under the same names.
EVENTS = Counter(
    "blog_events_total",
    "Domain events delivered after commit, by type (in the processes scraped).",
    ["type"],
)

RECEIVER_FAILURES = Counter(
    "blog_event_receiver_failures_total",
    "After-commit event receivers that raised, by receiver and event type.",
    ["receiver", "event_type"],
)

# config/cache/ talks to the django-redis client directly (to see its errors), so the
# backend-level counters of django-prometheus would not see these operations.
CACHE_OPERATIONS = Counter(
    "blog_cache_operations_total",
    "Operations of the namespaced cache (config/cache/) by operation and result.",
    ["operation", "result"],
)


def receiver_name(receiver: object) -> str:
    module = getattr(receiver, "__module__", None) or ""
    name = getattr(receiver, "__qualname__", None) or type(receiver).__qualname__
    return f"{module}.{name}" if module else name

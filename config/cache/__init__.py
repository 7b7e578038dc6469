"""The project's cache: namespaces with O(1) invalidation, a result-caching decorator,
per-namespace TTLs and counters, encryption of sensitive values, stampede protection.

One module per job:

- `namespaces`: namespaces, their generations and TTLs (`CACHE_TTLS`);
- `invalidation`: `invalidate`, and the invalidations a Redis outage made us miss;
- `fetch`: `cache_fetch`, one value with a stale copy and a stampede lock;
- `results`: `cached_result`, a function's result by its arguments;
- `reads`: `cache_read`, a value depending on several namespaces; `reads_cached`;
- `encryption`: values with personal data, encrypted (`sensitive=True`);
- `stats`: hit and miss counters shared by the processes;
- `backend`: operations that show Redis errors, behind the circuit (`config.redis`);
- `pages`: whole server-rendered pages (imported by the URLconfs, not here).

Redis errors are cache misses: the function is called, and the error counted and logged
by the one circuit breaker of Redis (`config.redis.circuit`).

The names other modules use are imported here, so `from config.cache import X` names
the cache's interface rather than its layout.
"""

from config.cache.fetch import cache_fetch
from config.cache.invalidation import (
    invalidate,
    invalidate_all,
    known_namespaces,
    retry_missed_invalidations,
)
from config.cache.namespaces import namespace_generation, namespace_ttl
from config.cache.reads import cache_read, reads_cached
from config.cache.results import cached_result
from config.cache.stats import cache_server_info, cache_stats, cache_stats_reset

__all__ = [
    "cache_fetch",
    "cache_read",
    "cache_server_info",
    "cache_stats",
    "cache_stats_reset",
    "cached_result",
    "invalidate",
    "invalidate_all",
    "known_namespaces",
    "namespace_generation",
    "namespace_ttl",
    "reads_cached",
    "retry_missed_invalidations",
]

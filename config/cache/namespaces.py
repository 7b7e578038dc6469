"""Namespaces and their generations: O(1) invalidation without scanning keys.

A key lives in a namespace (`posts`, `post:42`, ...). Each namespace has a generation
number stored in the cache; it is part of every key of the namespace, so bumping it
orphans them all at once (they expire by their TTL). A new generation starts from the
clock, not from 1, so a generation evicted by Redis can never bring back values written
under an earlier one.
"""

import time

from django.conf import settings

from config.cache.backend import ERROR, backend_call

GENERATION_KEY = "ns-gen:{}"


def namespace_ttl(namespace: str) -> int:
    """Seconds a value of the namespace stays fresh: `CACHE_TTLS` by family, else the
    default."""
    return settings.CACHE_TTLS.get(namespace.split(":", 1)[0], settings.CACHE_DEFAULT_TTL)


def generation_new() -> int:
    """A generation from the clock (microseconds): larger than any earlier one."""
    return time.time_ns() // 1000


def namespace_generation(namespace: str) -> int:
    """The namespace's current generation (created if missing); 0 when the cache is
    unavailable."""
    gen_key = GENERATION_KEY.format(namespace)
    generation = backend_call("get", gen_key)
    if generation is None:
        candidate = generation_new()
        added = backend_call("add", gen_key, candidate, timeout=None)
        generation = candidate if added is True else backend_call("get", gen_key)
    if generation is ERROR or generation is None or generation is False:
        return 0
    return int(generation)

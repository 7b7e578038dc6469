"""Cache namespaces with O(1) invalidation.

A key lives in a namespace (`posts`, `post:42`, ...). Each namespace has a generation
number stored in the cache; it is part of every key of the namespace, so bumping it
orphans them all at once (they expire by their TTL), without scanning the key space.
Redis errors count as misses: the site answers from the database while Redis is down.
"""

import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)

_GENERATION_KEY = "ns-gen:{}"


def namespace_generation(namespace: str) -> int:
    try:
        return cache.get_or_set(_GENERATION_KEY.format(namespace), 1, timeout=None) or 1
    except Exception:  # the cache is down: no generation, no cached value will match
        logger.warning("cache unavailable reading generation of %s", namespace, exc_info=True)
        return 0


def namespace_key(namespace: str, key: str) -> str:
    return f"{namespace}:g{namespace_generation(namespace)}:{key}"


def invalidate(*namespaces: str) -> list[str]:
    """Invalidate whole namespaces (O(1) each); returns the namespaces invalidated."""
    done = []
    for namespace in namespaces:
        gen_key = _GENERATION_KEY.format(namespace)
        try:
            try:
                cache.incr(gen_key)
            except ValueError:  # no generation yet: nothing cached under it
                cache.set(gen_key, 2, timeout=None)
            done.append(namespace)
        except Exception:
            logger.warning("cache unavailable invalidating %s", namespace, exc_info=True)
    return done

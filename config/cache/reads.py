"""`cache_read`: a value that depends on several namespaces, in one or two round trips;
and `reads_cached`, the switch of every read served from the cache."""

import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings

from config.cache.backend import ERROR, LOCK_POLL_SECONDS, backend_call
from config.cache.invalidation import retry_missed_invalidations
from config.cache.namespaces import GENERATION_KEY, namespace_generation, namespace_ttl
from config.cache.stats import stats_count

T = TypeVar("T")

_READ_KEY = "read:{}:{}"
_READ_FORMAT = "r1"
# value key -> the namespaces its last seen value depended on: read with the value in the
# first MGET, they spare a second round trip. Only a hint: the stored value's own list is
# what is checked. Bounded; cleared when full.
_DEPS_HINTS: dict[str, tuple[str, ...]] = {}
_DEPS_HINTS_MAX = 10_000


def reads_cached() -> bool:
    """Whether reads are served from the cache (`CACHE_READS`; off: always the database):
    the public reads, the editors' statistics, one's own profile."""
    return settings.CACHE_READS


def _generations(namespaces: list[str], known: dict[str, Any]) -> dict[str, int] | None:
    """The current generation of each namespace (created where missing), or None when the
    cache is unavailable. `known` holds values already fetched (None: missing)."""
    current = {}
    for namespace in namespaces:
        value = known.get(namespace)
        current[namespace] = int(value) if value is not None else namespace_generation(namespace)
        if not current[namespace]:
            return None
    return current


def _read_envelope(envelope: Any, depends_on: tuple[str, ...]) -> tuple | None:
    """(generations, fresh_until, payload) of a stored read, None if unusable."""
    if not (isinstance(envelope, tuple) and len(envelope) == 4 and envelope[0] == _READ_FORMAT):
        return None
    _, deps, fresh_until, payload = envelope
    if not isinstance(deps, dict) or not set(depends_on) <= set(deps):
        return None
    return deps, fresh_until, payload


def cache_read(
    family: str,
    key: str,
    compute: Callable[[], T],
    *,
    depends_on: tuple[str, ...] | list[str] = (),
    resolve: Callable[[], list[str]] | None = None,
    store_if: Callable[[T], bool] | None = None,
    ttl: int | None = None,
    _wait: bool = True,
) -> T:
    """A value that depends on several namespaces, in one or two round trips.

    The value lives under a fixed key, with the generation of every namespace it depends
    on at the time it was computed; it is current while all of them still are. The
    namespaces named in `depends_on` are read with the value in one MGET; those only
    `resolve()` can name (the post behind a slug, its author) are stored with the value
    and read in a second MGET. On a miss the generations are read before `compute()`
    runs, so a change committed while it runs leaves the stored value already stale.
    `store_if(value)` False keeps a value out of the cache (a 404 must not hide a post
    published a moment later). The family (`post`, `posts`, ...) names the counters, the
    TTL and a namespace every value of the family depends on. Stale values are served
    while one caller recomputes, as in `cache_fetch`; invalidated values never are.
    """
    retry_missed_invalidations()
    ttl = namespace_ttl(family) if ttl is None else ttl
    # Every read also depends on its family's own namespace: invalidating `post` (the
    # admin endpoint, `manage.py cache_invalidate`) drops every post's cached detail.
    depends_on = (family, *(ns for ns in depends_on if ns != family))
    value_key = _READ_KEY.format(family, key)
    hinted = (*depends_on, *(ns for ns in _DEPS_HINTS.get(value_key, ()) if ns not in depends_on))
    gen_keys = {ns: GENERATION_KEY.format(ns) for ns in hinted}
    got = backend_call("get_many", [value_key, *gen_keys.values()])
    if got is ERROR:
        stats_count(family, "misses")
        return compute()
    known = {ns: got.get(gen_key) for ns, gen_key in gen_keys.items()}

    fresh = stale = None
    deps = _read_envelope(got.get(value_key), depends_on)
    if deps is not None:
        deps, fresh_until, payload = deps
        if len(_DEPS_HINTS) >= _DEPS_HINTS_MAX:
            _DEPS_HINTS.clear()
        _DEPS_HINTS[value_key] = tuple(deps)
        extra = [ns for ns in deps if ns not in known]
        if extra:
            more = backend_call("get_many", [GENERATION_KEY.format(ns) for ns in extra])
            if more is ERROR:
                stats_count(family, "misses")
                return compute()
            known.update({ns: more.get(GENERATION_KEY.format(ns)) for ns in extra})
        if all(known.get(ns) is not None and int(known[ns]) == g for ns, g in deps.items()):
            if time.time() < fresh_until:
                fresh = payload
            else:
                stale = payload
    if fresh is not None:
        stats_count(family, "hits")
        return fresh

    def recompute() -> T:
        namespaces = list(depends_on) + [ns for ns in (resolve() if resolve else []) if ns]
        generations = _generations(namespaces, known)
        value = compute()
        if generations is not None and (store_if is None or store_if(value)):
            envelope = (_READ_FORMAT, generations, time.time() + ttl, value)
            backend_call("set", value_key, envelope, timeout=ttl + settings.CACHE_STALE_SECONDS)
        return value

    lock_key = f"{value_key}:lock"
    locked = backend_call("add", lock_key, 1, timeout=settings.CACHE_LOCK_TIMEOUT)
    if locked is True:
        try:
            stats_count(family, "misses")
            return recompute()
        finally:
            backend_call("delete", lock_key)
    if locked is ERROR or not _wait:
        stats_count(family, "misses")
        return compute()
    # Someone else is recomputing: serve the previous value, or wait for theirs.
    if stale is not None:
        stats_count(family, "hits")
        return stale
    deadline = time.monotonic() + settings.CACHE_LOCK_WAIT_MS / 1000
    while time.monotonic() < deadline:
        time.sleep(LOCK_POLL_SECONDS)
        held = backend_call("get", lock_key)
        if held is None or held is ERROR:
            # The winner is done (or gone): read once more, without waiting again.
            return cache_read(
                family,
                key,
                compute,
                depends_on=depends_on,
                resolve=resolve,
                store_if=store_if,
                ttl=ttl,
                _wait=False,
            )
    stats_count(family, "misses")
    return compute()

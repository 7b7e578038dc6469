"""The project's cache: namespaces with O(1) invalidation, a result-caching decorator,
per-namespace TTLs and counters, encryption of sensitive values, stampede protection.

A key lives in a namespace (`posts`, `post:42`, ...). Each namespace has a generation
number stored in the cache; it is part of every key of the namespace, so bumping it
orphans them all at once (they expire by their TTL), without scanning the key space. A new
generation starts from the clock, not from 1, so a generation evicted by Redis can never
bring back values written under an earlier one.

A cached value is stored as an envelope `(fresh_until, payload)` that lives
`CACHE_STALE_SECONDS` longer than its TTL. Past `fresh_until` one caller (the one that
wins a short `add` lock) recomputes it while the others serve that previous value; with
no value at all, the others wait a bounded time (`CACHE_LOCK_WAIT_MS`) for the winner's,
then compute it themselves. An invalidated namespace has a new generation, so an old
value is never served after an invalidation: staleness is bounded by the TTL alone.

Redis errors are cache misses: the function is called, the degradation is counted and
logged (at most once per `CACHE_DEGRADED_LOG_SECONDS` per process). django-redis swallows
errors (IGNORE_EXCEPTIONS), so this module talks to its client directly to see them.

Hits and misses are counted per namespace family (the namespace before ":"), buffered in
the process and added to a Redis hash in one pipeline every `CACHE_STATS_FLUSH_EVERY`
operations or `CACHE_STATS_FLUSH_SECONDS` seconds, so a hit costs no extra round trip on
average. Every namespace that counted an operation is added to a Redis set: the "known"
namespaces that `invalidate_all()` bumps. With the local-memory cache all of this stays in
the process.
"""

import atexit
import base64
import functools
import hashlib
import logging
import pickle
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache

from config.observability.metrics.instruments import CACHE_OPERATIONS

logger = logging.getLogger(__name__)

_GENERATION_KEY = "ns-gen:{}"
_ERROR = object()  # what `_call` returns when the cache backend failed
_POLL_SECONDS = 0.02


# --- talking to the backend, seeing its errors ----------------------------------------


def is_redis() -> bool:
    return "django_redis" in settings.CACHES["default"]["BACKEND"]


def _redis_prefix() -> str:
    return f"{settings.CACHES['default'].get('KEY_PREFIX') or 'blog'}:cache"


def _raw_redis():
    from django_redis import get_redis_connection

    return get_redis_connection("default")


class _Degradation:
    """Counts backend errors in this process and logs them, rate-limited; after an error
    the backend is skipped for `CACHE_CIRCUIT_SECONDS` (a circuit breaker), so a Redis
    that hangs costs a request one socket timeout, not one per cache operation."""

    def __init__(self):
        self.lock = threading.Lock()
        self.count = 0
        self.skipped = 0
        self.unlogged = 0
        self.logged_at = 0.0
        self.open_until = 0.0

    def is_open(self) -> bool:
        if time.monotonic() < self.open_until:
            with self.lock:
                self.skipped += 1
            return True
        return False

    def close(self) -> None:
        self.open_until = 0.0

    def record(self, what: str, exc: BaseException) -> None:
        with self.lock:
            self.count += 1
            self.unlogged += 1
            now = time.monotonic()
            self.open_until = now + settings.CACHE_CIRCUIT_SECONDS
            if now - self.logged_at < settings.CACHE_DEGRADED_LOG_SECONDS:
                return
            self.logged_at, suppressed, self.unlogged = now, self.unlogged - 1, 0
        logger.warning(
            "cache unavailable (%s): %s: %s; %d more errors since the last report",
            what,
            type(exc).__name__,
            exc,
            suppressed,
        )


_degradation = _Degradation()


def cache_available() -> bool:
    """False while the circuit is open after a Redis error: callers with a fallback (the
    view counter, throttles) take it at once instead of waiting for a timeout."""
    return not _degradation.is_open()


def cache_unavailable(what: str, exc: BaseException) -> None:
    """Record a Redis error seen outside this module (counted, logged, circuit opened)."""
    _degradation.record(what, exc)


def _call(method: str, *args, **kwargs):
    """A cache operation whose failure is returned as `_ERROR` (and recorded), not raised
    and not silently turned into a default by django-redis; skipped (`_ERROR`) while the
    circuit is open."""
    if _degradation.is_open():
        return _ERROR
    target = cache.client if is_redis() else cache
    try:
        result = getattr(target, method)(*args, **kwargs)
    except ValueError:  # incr of a missing key: the caller handles it
        CACHE_OPERATIONS.labels(operation=method, result="ok").inc()
        raise
    except Exception as exc:
        CACHE_OPERATIONS.labels(operation=method, result="error").inc()
        _degradation.record(method, exc)
        return _ERROR
    CACHE_OPERATIONS.labels(operation=method, result="ok").inc()
    return result


# --- counters ----------------------------------------------------------------------------


class _Stats:
    """Hit and miss counts, buffered in the process and flushed to Redis in batches."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pending: Counter = Counter()  # (family, "hits"|"misses") -> n
        self.namespaces: set[str] = set()  # seen since the last flush
        self.local: Counter = Counter()  # the locmem backend: the totals themselves
        self.known_local: set[str] = set()
        self.ops = 0
        self.flushed_at = time.monotonic()

    def count(self, namespace: str, kind: str) -> None:
        family = namespace.split(":", 1)[0]
        with self.lock:
            if not is_redis():
                self.local[(family, kind)] += 1
                self.known_local.add(namespace)
                return
            self.pending[(family, kind)] += 1
            self.namespaces.add(namespace)
            self.ops += 1
            due = (
                self.ops >= settings.CACHE_STATS_FLUSH_EVERY
                or time.monotonic() - self.flushed_at >= settings.CACHE_STATS_FLUSH_SECONDS
            )
        if due:
            self.flush()

    def flush(self) -> None:
        if not is_redis() or _degradation.is_open():
            return
        with self.lock:
            pending, namespaces = self.pending, self.namespaces
            self.pending, self.namespaces, self.ops = Counter(), set(), 0
            self.flushed_at = time.monotonic()
        if not pending and not namespaces:
            return
        try:
            pipe = _raw_redis().pipeline(transaction=False)
            for (family, kind), n in pending.items():
                pipe.hincrby(f"{_redis_prefix()}:stats", f"{family}:{kind}", n)
            if namespaces:
                pipe.sadd(f"{_redis_prefix()}:namespaces", *sorted(namespaces))
            pipe.execute()
        except Exception as exc:  # keep the counts for the next flush
            _degradation.record("stats flush", exc)
            with self.lock:
                self.pending.update(pending)
                self.namespaces |= namespaces

    def reset(self) -> None:
        with self.lock:
            self.pending, self.namespaces, self.local = Counter(), set(), Counter()
            self.known_local, self.ops = set(), 0
        if is_redis():
            try:
                _raw_redis().delete(f"{_redis_prefix()}:stats", f"{_redis_prefix()}:namespaces")
            except Exception as exc:
                _degradation.record("stats reset", exc)

    def totals(self) -> Counter:
        if not is_redis():
            with self.lock:
                return Counter(self.local)
        self.flush()
        raw = _raw_redis().hgetall(f"{_redis_prefix()}:stats")
        totals: Counter = Counter()
        for field, value in raw.items():
            family, kind = field.decode().rsplit(":", 1)
            totals[(family, kind)] = int(value)
        return totals

    def known(self) -> set[str]:
        if not is_redis():
            with self.lock:
                return set(self.known_local)
        self.flush()
        return {m.decode() for m in _raw_redis().smembers(f"{_redis_prefix()}:namespaces")}


_stats = _Stats()
atexit.register(_stats.flush)


def _rate(hits: int, misses: int) -> float | None:
    return round(hits / (hits + misses), 4) if hits + misses else None


def cache_stats() -> dict:
    """Hits, misses and hit rate, in total and per namespace family (`post` sums every
    `post:<id>`), over all processes when on Redis; `degraded` counts this process's
    backend errors. With Redis down the counts read as zero."""
    totals = Counter()
    if not _degradation.is_open():
        try:
            totals = _stats.totals()
        except Exception as exc:
            _degradation.record("stats read", exc)
    families: dict[str, dict] = {}
    for (family, kind), n in sorted(totals.items()):
        families.setdefault(family, {"hits": 0, "misses": 0})[kind] = n
    for numbers in families.values():
        numbers["hit_rate"] = _rate(numbers["hits"], numbers["misses"])
    hits = sum(n["hits"] for n in families.values())
    misses = sum(n["misses"] for n in families.values())
    return {
        "backend": settings.CACHES["default"]["BACKEND"],
        "hits": hits,
        "misses": misses,
        "hit_rate": _rate(hits, misses),
        "namespaces": families,
        "degraded": _degradation.count,
        "skipped": _degradation.skipped,
    }


def cache_stats_reset() -> None:
    """Start the counters again from zero."""
    _stats.reset()


def cache_server_info() -> dict | None:
    """Key count and memory of the Redis database (INFO), or None when not on Redis."""
    if not is_redis():
        return None
    conn = _raw_redis()
    memory = conn.info("memory")
    return {
        "keys": conn.dbsize(),
        "used_memory": memory.get("used_memory"),
        "used_memory_human": memory.get("used_memory_human"),
    }


# --- namespaces ----------------------------------------------------------------------------


def namespace_ttl(namespace: str) -> int:
    """Seconds a value of the namespace stays fresh: `CACHE_TTLS` by family, else the
    default."""
    return settings.CACHE_TTLS.get(namespace.split(":", 1)[0], settings.CACHE_DEFAULT_TTL)


def _new_generation() -> int:
    return time.time_ns() // 1000


def namespace_generation(namespace: str) -> int:
    """The namespace's current generation; 0 when the cache is unavailable."""
    gen_key = _GENERATION_KEY.format(namespace)
    generation = _call("get", gen_key)
    if generation is None:
        candidate = _new_generation()
        added = _call("add", gen_key, candidate, timeout=None)
        generation = candidate if added is True else _call("get", gen_key)
    if generation is _ERROR or generation is None or generation is False:
        return 0
    return int(generation)


# Invalidations this process could not make (Redis down, or skipped by the open
# circuit): made as soon as Redis answers again, before this process's next cache read
# or invalidation, so values cached before the outage are not served after it. (A
# process that dies first leaves them to their TTL.)
_missed_invalidations: set[str] = set()
_missed_lock = threading.Lock()


def retry_missed_invalidations() -> None:
    if not _missed_invalidations or _degradation.is_open():
        return
    with _missed_lock:
        missed = sorted(_missed_invalidations)
        _missed_invalidations.clear()
    invalidate(*missed)


def invalidate(*namespaces: str) -> list[str]:
    """Invalidate whole namespaces (O(1) each: one INCR of the generation); returns the
    namespaces invalidated now. The others are made when Redis answers again (see
    `_missed_invalidations`): with the circuit open they are not even tried, so a hanging
    Redis does not cost a write one timeout per namespace."""
    retry_missed_invalidations()
    done = []
    for namespace in namespaces:
        gen_key = _GENERATION_KEY.format(namespace)
        try:
            result = _call("incr", gen_key)
        except ValueError:  # no generation yet: start a new one from the clock
            result = _call("set", gen_key, _new_generation(), timeout=None)
        if result is _ERROR:
            with _missed_lock:
                _missed_invalidations.add(namespace)
        else:
            done.append(namespace)
    return done


def known_namespaces() -> list[str]:
    """The namespace families of `CACHE_TTLS` and every namespace that was ever used."""
    try:
        used = _stats.known()
    except Exception as exc:
        _degradation.record("known namespaces", exc)
        used = set()
    return sorted(set(settings.CACHE_TTLS) | used)


def invalidate_all() -> list[str]:
    return invalidate(*known_namespaces())


# --- encryption ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]):
    from cryptography.fernet import Fernet, MultiFernet

    # Any string is a key: it is stretched to the 32 bytes Fernet needs, so a rotation
    # can use `openssl rand -base64 32` as well as Fernet.generate_key().
    def derive(secret: str) -> Fernet:
        digest = hashlib.sha256(b"blog-cache-encryption:" + secret.encode()).digest()
        return Fernet(base64.urlsafe_b64encode(digest))

    return MultiFernet([derive(k) for k in keys])


def _encryption():
    keys = tuple(settings.CACHE_ENCRYPTION_KEYS) or (settings.SECRET_KEY,)
    return _fernet(keys)


def _seal(value: Any, sensitive: bool) -> Any:
    if not sensitive:
        return value
    return _encryption().encrypt(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def _unseal(payload: Any, sensitive: bool) -> Any:
    if not sensitive:
        return payload
    # Only this module writes encrypted payloads, and only after pickling its own value:
    # a payload that decrypts was written by us, with one of our keys.
    return pickle.loads(_encryption().decrypt(payload))  # noqa: S301


# --- fetching ------------------------------------------------------------------------------


def _open(envelope: Any, sensitive: bool):
    """(fresh, value) from a stored envelope, or None when it is unusable (a key that
    was rotated out, a foreign value)."""
    if envelope is None or envelope is _ERROR:
        return None
    try:
        fresh_until, payload = envelope
        return time.time() < fresh_until, _unseal(payload, sensitive)
    except Exception:
        logger.info("unusable cached value ignored", exc_info=True)
        return None


def _store(full_key: str, value: Any, ttl: int, sensitive: bool) -> None:
    envelope = (time.time() + ttl, _seal(value, sensitive))
    _call("set", full_key, envelope, timeout=ttl + settings.CACHE_STALE_SECONDS)


def cache_fetch(
    namespace: str,
    key: str,
    compute: Callable[[], Any],
    *,
    ttl: int | None = None,
    sensitive: bool = False,
    refresh: bool = False,
) -> Any:
    """The cached value of `key` in `namespace`, computed by `compute()` on a miss (or
    always, with `refresh`, which then stores the new value)."""
    retry_missed_invalidations()
    ttl = namespace_ttl(namespace) if ttl is None else ttl
    generation = namespace_generation(namespace)
    if not generation:  # the cache is down: no value can be trusted or stored
        _stats.count(namespace, "misses")
        return compute()
    full_key = f"{namespace}:g{generation}:{key}"
    if refresh:
        _stats.count(namespace, "misses")
        value = compute()
        _store(full_key, value, ttl, sensitive)
        return value

    envelope = _call("get", full_key)
    if envelope is _ERROR:
        _stats.count(namespace, "misses")
        return compute()
    opened = _open(envelope, sensitive)
    if opened and opened[0]:
        _stats.count(namespace, "hits")
        return opened[1]

    lock_key = f"{full_key}:lock"
    locked = _call("add", lock_key, 1, timeout=settings.CACHE_LOCK_TIMEOUT)
    if locked is True:
        try:
            # Another caller may have stored it between our read and our lock.
            again = _open(_call("get", full_key), sensitive) if envelope is None else None
            if again and again[0]:
                _stats.count(namespace, "hits")
                return again[1]
            _stats.count(namespace, "misses")
            value = compute()
            _store(full_key, value, ttl, sensitive)
            return value
        finally:
            _call("delete", lock_key)
    if locked is _ERROR:
        _stats.count(namespace, "misses")
        return compute()

    # Someone else is recomputing: serve the previous value, or wait for theirs.
    if opened:
        _stats.count(namespace, "hits")
        return opened[1]
    deadline = time.monotonic() + settings.CACHE_LOCK_WAIT_MS / 1000
    while time.monotonic() < deadline:
        time.sleep(_POLL_SECONDS)
        envelope = _call("get", full_key)
        if envelope is _ERROR:
            break
        opened = _open(envelope, sensitive)
        if opened:
            _stats.count(namespace, "hits")
            return opened[1]
    _stats.count(namespace, "misses")
    return compute()


def _arguments_key(func: Callable, args: tuple, kwargs: dict) -> str:
    # The repr of the arguments: ids, strings, numbers, tuples, dicts, dates have a
    # faithful one; for anything else (model instances...) give the decorator `key=`.
    signature = repr((args, sorted(kwargs.items())))
    digest = hashlib.sha256(signature.encode()).hexdigest()[:32]
    return f"{_function_name(func)}:{digest}"


def _function_name(func: Callable) -> str:
    qualname = getattr(func, "__qualname__", type(func).__qualname__)
    return f"{func.__module__}.{qualname}"


def cached_result(
    namespace: str | Callable[..., str],
    *,
    ttl: int | None = None,
    key: Callable[..., str] | None = None,
    sensitive: bool = False,
):
    """Cache a function's result by its arguments.

    `namespace` is a name or a callable of the function's arguments
    (`lambda post_id: f"post:{post_id}"`); `key`, a callable of the arguments, replaces
    the hash of their repr. The TTL is the namespace's (`CACHE_TTLS`) unless given.
    `sensitive=True` encrypts the value before it reaches the cache.

    Call `f(..., cache_bypass=True)` (or `f.bypass(...)`) to skip the cache, and
    `f(..., cache_refresh=True)` (or `f.refresh(...)`) to recompute and store.
    """

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, cache_bypass: bool = False, cache_refresh: bool = False, **kwargs):
            if cache_bypass:
                return func(*args, **kwargs)
            name = namespace(*args, **kwargs) if callable(namespace) else namespace
            cache_key = (
                f"{_function_name(func)}:{key(*args, **kwargs)}"
                if key
                else _arguments_key(func, args, kwargs)
            )
            return cache_fetch(
                name,
                cache_key,
                lambda: func(*args, **kwargs),
                ttl=ttl,
                sensitive=sensitive,
                refresh=cache_refresh,
            )

        wrapper.bypass = functools.partial(wrapper, cache_bypass=True)
        wrapper.refresh = functools.partial(wrapper, cache_refresh=True)
        wrapper.uncached = func
        return wrapper

    return decorate


# --- reads that depend on several namespaces -----------------------------------------------

_READ_KEY = "read:{}:{}"
_READ_FORMAT = "r1"
# value key -> the namespaces its last seen value depended on: read with the value in the
# first MGET, they spare a second round trip. Only a hint: the stored value's own list is
# what is checked. Bounded; cleared when full.
_DEPS_HINTS: dict[str, tuple[str, ...]] = {}
_DEPS_HINTS_MAX = 10_000


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


def _read_envelope(envelope: Any, depends_on) -> tuple | None:
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
    compute: Callable[[], Any],
    *,
    depends_on: tuple[str, ...] | list[str] = (),
    resolve: Callable[[], list[str]] | None = None,
    store_if: Callable[[Any], bool] | None = None,
    ttl: int | None = None,
    _wait: bool = True,
) -> Any:
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
    gen_keys = {ns: _GENERATION_KEY.format(ns) for ns in hinted}
    got = _call("get_many", [value_key, *gen_keys.values()])
    if got is _ERROR:
        _stats.count(family, "misses")
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
            more = _call("get_many", [_GENERATION_KEY.format(ns) for ns in extra])
            if more is _ERROR:
                _stats.count(family, "misses")
                return compute()
            known.update({ns: more.get(_GENERATION_KEY.format(ns)) for ns in extra})
        if all(known.get(ns) is not None and int(known[ns]) == g for ns, g in deps.items()):
            if time.time() < fresh_until:
                fresh = payload
            else:
                stale = payload
    if fresh is not None:
        _stats.count(family, "hits")
        return fresh

    def recompute():
        namespaces = list(depends_on) + [ns for ns in (resolve() if resolve else []) if ns]
        generations = _generations(namespaces, known)
        value = compute()
        if generations is not None and (store_if is None or store_if(value)):
            envelope = (_READ_FORMAT, generations, time.time() + ttl, value)
            _call("set", value_key, envelope, timeout=ttl + settings.CACHE_STALE_SECONDS)
        return value

    lock_key = f"{value_key}:lock"
    locked = _call("add", lock_key, 1, timeout=settings.CACHE_LOCK_TIMEOUT)
    if locked is True:
        try:
            _stats.count(family, "misses")
            return recompute()
        finally:
            _call("delete", lock_key)
    if locked is _ERROR or not _wait:
        _stats.count(family, "misses")
        return compute()
    # Someone else is recomputing: serve the previous value, or wait for theirs.
    if stale is not None:
        _stats.count(family, "hits")
        return stale
    deadline = time.monotonic() + settings.CACHE_LOCK_WAIT_MS / 1000
    while time.monotonic() < deadline:
        time.sleep(_POLL_SECONDS)
        held = _call("get", lock_key)
        if held is None or held is _ERROR:
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
    _stats.count(family, "misses")
    return compute()

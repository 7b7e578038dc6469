"""`cached_result`: a function's result cached by its arguments (`cache_fetch`)."""

import functools
import hashlib
from collections.abc import Callable
from typing import Any, Protocol, cast

from config.cache.fetch import cache_fetch


def _function_name(func: Callable[..., Any]) -> str:
    qualname = getattr(func, "__qualname__", type(func).__qualname__)
    return f"{func.__module__}.{qualname}"


def _arguments_key(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    # The repr of the arguments: ids, strings, numbers, tuples, dicts, dates have a
    # faithful one; for anything else (model instances...) give the decorator `key=`.
    signature = repr((args, sorted(kwargs.items())))
    digest = hashlib.sha256(signature.encode()).hexdigest()[:32]
    return f"{_function_name(func)}:{digest}"


class CachedFunction(Protocol):
    """A function decorated by `cached_result`."""

    bypass: Callable[..., Any]
    refresh: Callable[..., Any]
    uncached: Callable[..., Any]

    def __call__(
        self, *args: Any, cache_bypass: bool = False, cache_refresh: bool = False, **kwargs: Any
    ) -> Any: ...


def cached_result(
    namespace: str | Callable[..., str],
    *,
    ttl: int | None = None,
    key: Callable[..., str] | None = None,
    sensitive: bool = False,
) -> Callable[[Callable[..., Any]], CachedFunction]:
    """Cache a function's result by its arguments.

    `namespace` is a name or a callable of the function's arguments
    (`lambda post_id: f"post:{post_id}"`); `key`, a callable of the arguments, replaces
    the hash of their repr. The TTL is the namespace's (`CACHE_TTLS`) unless given.
    `sensitive=True` encrypts the value before it reaches the cache.

    Call `f(..., cache_bypass=True)` (or `f.bypass(...)`) to skip the cache, and
    `f(..., cache_refresh=True)` (or `f.refresh(...)`) to recompute and store.
    """

    def decorate(func: Callable[..., Any]) -> CachedFunction:
        @functools.wraps(func)
        def wrapper(
            *args: Any, cache_bypass: bool = False, cache_refresh: bool = False, **kwargs: Any
        ) -> Any:
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

        cached = cast(CachedFunction, wrapper)  # it is one from the next three lines on
        cached.bypass = functools.partial(wrapper, cache_bypass=True)
        cached.refresh = functools.partial(wrapper, cache_refresh=True)
        cached.uncached = func
        return cached

    return decorate

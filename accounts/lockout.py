"""Sign-in lockout per username: the defence against password guessing that a per-address
throttle cannot give (a botnet has many addresses, one account has one name).

`LOGIN_FAILURE_LIMIT` failed sign-ins for one username within `LOGIN_FAILURE_WINDOW`
seconds lock it for `LOGIN_LOCKOUT_SECONDS`; a lockout that comes within a window of the
end of the previous one lasts twice as long, up to `LOGIN_LOCKOUT_MAX_SECONDS`. While
locked, every attempt is refused before the password is checked, even a right one. A
successful sign-in forgets the failures. Usernames are compared case-insensitively, and
unknown usernames are counted like the others (the answer never tells whether one exists).

State lives in Redis, shared by every process, updated by atomic scripts. It must not fail
open when Redis is down, so then (and on the embedded default without Redis) the lockout
is computed from the event store, which records every failure (`user.login_failed`) in
PostgreSQL whatever happens to Redis: a username with `LOGIN_FAILURE_LIMIT` failures in
the last window, since its last successful sign-in, is locked until the oldest of them
leaves the window (no doubling in that mode). E-mail-like usernames of unknown accounts
are redacted in the store and so not counted in that mode.

A known trade-off: anyone can lock an account by failing on purpose; the doubling is capped
and the per-address throttles slow that down.
"""

import hashlib
import logging
import math
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from redis import Redis
from redis.exceptions import RedisError

from config.cache import cache_available, cache_unavailable, is_redis

logger = logging.getLogger(__name__)

# KEYS: failures, lock, strikes. ARGV: window, limit, base lockout, max lockout.
# Returns the lockout in seconds that this failure started, or 0.
_REGISTER_FAILURE = """
local failures = redis.call('INCR', KEYS[1])
if failures == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
if failures < tonumber(ARGV[2]) then return 0 end
local strikes = redis.call('INCR', KEYS[3])
local seconds = math.min(tonumber(ARGV[3]) * 2 ^ (strikes - 1), tonumber(ARGV[4]))
seconds = math.floor(seconds)
redis.call('SET', KEYS[2], strikes, 'EX', seconds)
redis.call('EXPIRE', KEYS[3], seconds + tonumber(ARGV[1]))
redis.call('DEL', KEYS[1])
return seconds
"""

# `user.login_failed` reasons that are no password guess, so not counted: an attempt
# refused by the lockout itself, or a right password of an account the admin refuses.
NOT_GUESSES = frozenset({"locked", "not_staff"})


def _keys(username: str) -> list[str]:
    digest = hashlib.sha256(username.lower().encode()).hexdigest()[:32]
    return [cache.make_key(f"login:{part}:{digest}") for part in ("failures", "lock", "strikes")]


def _redis() -> Redis:
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def _redis_usable() -> bool:
    # Not while config.cache's circuit is open after a Redis error: a hanging Redis
    # must not cost every sign-in a timeout; the event store answers meanwhile.
    return is_redis() and cache_available()


def _redis_down(what: str, exc: BaseException) -> None:
    cache_unavailable(f"login lockout ({what})", exc)
    logger.warning(
        "login lockout: Redis unavailable for %s (%s: %s); using the event store",
        what,
        type(exc).__name__,
        exc,
    )


def login_locked_for(username: str) -> int | None:
    """Seconds until `username` may try again, or None if it is not locked."""
    if _redis_usable():
        try:
            remaining_ms = _redis().pttl(_keys(username)[1])
        except (RedisError, OSError) as exc:
            _redis_down("check", exc)
        else:
            return math.ceil(remaining_ms / 1000) if remaining_ms > 0 else None
    return _locked_for_from_events(username)


def login_failure_register(username: str) -> int:
    """Count a failed sign-in; answers the lockout (seconds) it started, or 0. Without
    Redis there is nothing to do: the caller's `user.login_failed` event is the record."""
    if not _redis_usable():
        return 0
    try:
        return int(
            _redis().register_script(_REGISTER_FAILURE)(
                keys=_keys(username),
                args=[
                    settings.LOGIN_FAILURE_WINDOW,
                    settings.LOGIN_FAILURE_LIMIT,
                    settings.LOGIN_LOCKOUT_SECONDS,
                    settings.LOGIN_LOCKOUT_MAX_SECONDS,
                ],
            )
        )
    except (RedisError, OSError) as exc:
        _redis_down("a failure", exc)
        return 0


def login_failures_reset(username: str) -> None:
    """A successful sign-in: the failures and past lockouts are forgiven. Tried even with
    the circuit open: failures left in Redis would lock the account when it is back."""
    if not is_redis():
        return
    try:
        _redis().delete(*_keys(username))
    except (RedisError, OSError) as exc:
        _redis_down("a reset", exc)


def _locked_for_from_events(username: str) -> int | None:
    from accounts.models import User
    from analytics.models import Event

    now = timezone.now()
    since = now - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)
    failures = Event.objects.filter(type="user.login_failed", occurred_at__gt=since).exclude(
        data__reason__in=sorted(NOT_GUESSES)
    )
    user = User.objects.filter(username__iexact=username).only("pk", "last_login").first()
    if user is None:
        failures = failures.filter(data__username__iexact=username)
    else:
        failures = failures.filter(aggregate_type="user", aggregate_id=str(user.pk))
        if user.last_login:
            failures = failures.filter(occurred_at__gt=user.last_login)
        # An operator's unlock forgives the failures before it, as a sign-in does.
        unlocked = (
            Event.objects.filter(
                type="user.login_unlocked", aggregate_type="user", aggregate_id=str(user.pk)
            )
            .order_by("-occurred_at")
            .values_list("occurred_at", flat=True)
            .first()
        )
        if unlocked:
            failures = failures.filter(occurred_at__gt=unlocked)
    limit = settings.LOGIN_FAILURE_LIMIT
    # The limit-th most recent failure: the lock lasts until it leaves the window.
    counted = list(
        failures.order_by("-occurred_at").values_list("occurred_at", flat=True)[limit - 1 : limit]
    )
    if not counted:
        return None
    window_end = counted[0] + timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)
    remaining = (window_end - now).total_seconds()
    return math.ceil(remaining) if remaining > 0 else None

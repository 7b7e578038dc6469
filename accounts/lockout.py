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
is computed from the event store (kept by analytics, read through `config.events.store`;
without it the check raises, refusing the sign-in), which records every failure
(`user.login_failed`) in PostgreSQL whatever happens to Redis: a username with
`LOGIN_FAILURE_LIMIT` failures in the last window, since its last successful sign-in, is
locked until the oldest of them leaves the window (no doubling in that mode). E-mail-like
usernames of unknown accounts are redacted in the store and so not counted in that mode.

A known trade-off: anyone can lock an account by failing on purpose; the doubling is capped
and the per-address throttles slow that down.
"""

import contextlib
import hashlib
import math
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from redis import Redis

from accounts.models import User
from config.events.store import event_times
from config.redis.client import RedisUnavailable, redis_enabled, redis_run

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


def _outage_note(what: str) -> str:
    # Logged by the circuit breaker, which then skips Redis for a while: a hanging Redis
    # must not cost every sign-in a timeout; the event store answers meanwhile.
    return f"login lockout: Redis unavailable for {what}, using the event store"


def login_locked_for(username: str) -> int | None:
    """Seconds until `username` may try again, or None if it is not locked."""
    if redis_enabled():
        try:
            remaining_ms = redis_run(_outage_note("check"), lambda r: r.pttl(_keys(username)[1]))
        except RedisUnavailable:
            pass  # the event store answers
        else:
            return math.ceil(remaining_ms / 1000) if remaining_ms > 0 else None
    return _locked_for_from_events(username)


def login_failure_register(username: str) -> int:
    """Count a failed sign-in; answers the lockout (seconds) it started, or 0. Without
    Redis there is nothing to do: the caller's `user.login_failed` event is the record."""
    if not redis_enabled():
        return 0

    def register(redis: Redis) -> int:
        return redis.register_script(_REGISTER_FAILURE)(
            keys=_keys(username),
            args=[
                settings.LOGIN_FAILURE_WINDOW,
                settings.LOGIN_FAILURE_LIMIT,
                settings.LOGIN_LOCKOUT_SECONDS,
                settings.LOGIN_LOCKOUT_MAX_SECONDS,
            ],
        )

    try:
        return int(redis_run(_outage_note("a failure"), register))
    except RedisUnavailable:
        return 0


def login_failures_reset(username: str) -> None:
    """A successful sign-in: the failures and past lockouts are forgiven. Tried even with
    the circuit open: failures left in Redis would lock the account when it is back."""
    if not redis_enabled():
        return
    # Recorded by the circuit breaker; what Redis still holds expires with its window.
    with contextlib.suppress(RedisUnavailable):
        redis_run(_outage_note("a reset"), lambda r: r.delete(*_keys(username)), even_if_open=True)


def _locked_for_from_events(username: str) -> int | None:
    now = timezone.now()
    after = now - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)
    limit = settings.LOGIN_FAILURE_LIMIT
    not_guesses = {"reason": NOT_GUESSES}
    user = User.objects.filter(username__iexact=username).only("pk", "last_login").first()
    if user is None:
        failures = event_times(
            type="user.login_failed",
            limit=limit,
            after=after,
            data_iexact={"username": username},
            data_exclude=not_guesses,
        )
    else:
        aggregate = ("user", str(user.pk))
        # A sign-in, or an operator's unlock, forgives the failures before it.
        forgiven = event_times(type="user.login_unlocked", limit=1, aggregate=aggregate)
        if user.last_login:
            forgiven.append(user.last_login)
        failures = event_times(
            type="user.login_failed",
            limit=limit,
            after=max([after, *forgiven]),
            aggregate=aggregate,
            data_exclude=not_guesses,
        )
    if len(failures) < limit:
        return None
    # The limit-th most recent failure: the lock lasts until it leaves the window.
    window_end = failures[limit - 1] + timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)
    remaining = (window_end - now).total_seconds()
    return math.ceil(remaining) if remaining > 0 else None

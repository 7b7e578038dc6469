"""Reads on redirects, and the lookup the 404 fallback makes on the hot path.

`redirect_match` answers from the cache: one entry per path asked for, the redirect or
a miss (a negative entry, so a flood of random 404s queries the database once per path,
not once per request), in the `redirects` namespace that every `redirect.*` event
invalidates (`blog.receivers`). With the cache down it reads the database, so redirects
keep working through a Redis outage.
"""

import hashlib
from dataclasses import dataclass

from django.db.models import QuerySet

from blog.models import Redirect
from config.cache import cache_fetch

NAMESPACE = "redirects"
# Hops followed when looking for a loop: an import makes one hop per old URL, so a longer
# chain is a mistake anyway.
MAX_CHAIN = 20
# Every change invalidates the namespace, so the TTL only bounds what a lost
# invalidation could leave behind.
TTL_SECONDS = 3600


@dataclass(frozen=True)
class RedirectMatch:
    redirect_id: int
    target: str
    status_code: int


def redirect_list() -> QuerySet[Redirect]:
    return Redirect.objects.order_by("old_path", "id")


def redirect_get(*, redirect_id: int) -> Redirect | None:
    return Redirect.objects.filter(pk=redirect_id).first()


def redirect_get_by_old_path(*, old_path: str) -> Redirect | None:
    """The redirect of a normalised old path (`blog.redirect_paths`), from the database."""
    return Redirect.objects.filter(old_path=old_path).first()


def _match_from_db(path_key: str) -> RedirectMatch | None:
    row = (
        Redirect.objects.filter(old_path=path_key)
        .values_list("pk", "target", "status_code")
        .first()
    )
    return RedirectMatch(*row) if row else None


def redirect_match(*, path_key: str) -> RedirectMatch | None:
    """The redirect of a normalised path, or None: from the cache, no query when cached
    (hit or miss)."""
    digest = hashlib.sha256(path_key.encode()).hexdigest()
    match: RedirectMatch | None = cache_fetch(
        NAMESPACE, f"path:{digest}", lambda: _match_from_db(path_key), ttl=TTL_SECONDS
    )
    return match

"""Reads of analytics: post stats, trending posts, the site's statistics."""

from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db.models import Count, F, Model, Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import Role, User
from analytics import counters
from analytics.filters import EventFilter
from analytics.models import Event, PostDailyStats, SiteDailyStats
from blog.models import Comment, CommentStatus, Media, MediaStatus, Post, PostStatus
from blog.selectors.posts import post_get_editable
from config import cache as config_cache
from config.cache import cached_result, reads_cached
from config.db.filtering import QueryParams, apply_filterset
from tasks.base import PRIORITIES
from tasks.models import JobRecord, JobStatus

# Trending: a comment weighs as much as this many views.
TRENDING_COMMENT_WEIGHT = 5


def _today() -> date:
    return timezone.now().astimezone(UTC).date()


def post_view_count_live(*, post: Post, just_counted: bool = False) -> int:
    """The post's stored view count plus its views still pending in Redis.

    `just_counted`: a view was counted after `post` was loaded. Without a Redis counter
    (or with Redis down) it went to the database, so the loaded count lacks it; with
    Redis it is among the pending views. One Redis round trip; a view in a flush that is
    running at this very moment is missed, for that moment.
    """
    return post_view_count_live_of(
        post_id=post.pk, stored=post.view_count, just_counted=just_counted
    )


def post_view_count_live_of(*, post_id: int, stored: int, just_counted: bool = False) -> int:
    """`post_view_count_live` from the post's id and stored count (a cached read)."""
    try:
        return stored + counters.view_pending_get(post_id=post_id, today=_today())
    except counters.CounterUnavailable:
        return stored + (1 if just_counted else 0)


def post_stats(*, post: Post, days: int = 30) -> dict[str, Any]:
    """Totals, and the rolled-up views and approved comments of the last `days` days
    (UTC, newest first, days without either left out).

    The daily numbers are `PostDailyStats`: views as of the last flush (within a minute),
    comments as of the last roll-up (the `analytics` consumer, a job after each change).
    """
    since = _today() - timedelta(days=days - 1)
    daily = (
        PostDailyStats.objects.filter(post=post, date__gte=since)
        .filter(Q(views__gt=0) | Q(comments__gt=0))
        .order_by("-date")
        .values("date", "views", "comments")
    )
    return {
        "view_count": post_view_count_live(post=post),
        "comment_count": post.comment_count,
        "daily": list(daily),
    }


def post_stats_for_editor(*, slug: str, user: User, days: int = 30) -> dict[str, Any] | None:
    """`post_stats` of a post, for whoever may change it (`post_get_editable`: None when
    the caller cannot see the post, PermissionDeniedError when they only see it)."""
    post = post_get_editable(slug=slug, user=user)
    return None if post is None else post_stats(post=post, days=days)


def post_trending(*, days: int = 7, limit: int = 10) -> list[dict[str, Any]]:
    """Published posts with the most views and approved comments in the last `days` days
    (a comment weighs `TRENDING_COMMENT_WEIGHT` views), from the rolled-up daily stats."""
    since = _today() - timedelta(days=days - 1)
    rows = (
        # The filter comes before the sums, so they add up only the recent days.
        Post.objects.filter(status=PostStatus.PUBLISHED, daily_stats__date__gte=since)
        .annotate(
            recent_views=Sum("daily_stats__views"), recent_comments=Sum("daily_stats__comments")
        )
        .annotate(score=F("recent_views") + F("recent_comments") * TRENDING_COMMENT_WEIGHT)
        .filter(score__gt=0)
        .order_by("-score", "-id")
        .values_list("id", "slug", "title", "recent_views", "recent_comments", "score")[:limit]
    )
    keys = ("id", "slug", "title", "views", "comments", "score")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def _counts_by(queryset: QuerySet[Model], field: str, keys: Iterable[str]) -> dict[str, int]:
    """Counts of `queryset` per value of `field`: every one of `keys` (0 if none), and
    any other value found."""
    found = dict(queryset.order_by().values_list(field).annotate(n=Count("pk")))
    return {**dict.fromkeys(keys, 0), **found}


def user_stats() -> dict[str, Any]:
    users = User.objects.all()
    by_role = _counts_by(users.filter(is_superuser=False), "role", Role.values)
    # A superuser is an admin whatever its stored role (`User.effective_role`).
    by_role[Role.ADMIN] += users.filter(is_superuser=True).count()
    return {
        "total": users.count(),
        "active": users.filter(is_active=True).count(),
        "by_role": by_role,
    }


def post_status_stats() -> dict[str, Any]:
    by_status = _counts_by(Post.objects.all(), "status", PostStatus.values)
    return {"total": sum(by_status.values()), "by_status": by_status}


def comment_status_stats() -> dict[str, Any]:
    by_status = _counts_by(Comment.objects.all(), "status", CommentStatus.values)
    return {"total": sum(by_status.values()), "by_status": by_status}


def media_stats() -> dict[str, Any]:
    """The media library: media per status and the bytes of their originals, in one query
    (renditions are not counted: their sizes are not recorded)."""
    rows = Media.objects.order_by().values_list("status").annotate(n=Count("pk"), size=Sum("size"))
    by_status = dict.fromkeys(MediaStatus.values, 0)
    total_bytes = 0
    for status, n, size in rows:
        by_status[status] = n
        total_bytes += size or 0
    return {"total": sum(by_status.values()), "bytes": total_bytes, "by_status": by_status}


def event_stats() -> dict[str, Any]:
    """Counts of the event store (which retention keeps bounded)."""
    by_type = _counts_by(Event.objects.all(), "type", ())
    since = timezone.now() - timedelta(hours=24)
    return {
        "total": sum(by_type.values()),
        "last_24h": Event.objects.filter(occurred_at__gte=since).count(),
        "by_type": dict(sorted(by_type.items())),
    }


def job_stats() -> dict[str, Any]:
    jobs = JobRecord.objects.all()
    return {
        "by_status": _counts_by(jobs, "status", JobStatus.values),
        "by_queue": _counts_by(jobs, "queue", PRIORITIES),
    }


def cache_stats() -> dict[str, Any]:
    """The cache backend and its hits, misses and hit rate over all processes
    (`config.cache.cache_stats`)."""
    stats = config_cache.cache_stats()
    return {key: stats[key] for key in ("backend", "hits", "misses", "hit_rate")}


@cached_result("stats")
def site_figures() -> dict[str, Any]:
    """`site_stats` but the cache's own counters, cached in the `stats` namespace.

    Counts over whole tables that every post, comment, sign-up, event and job changes:
    invalidating them on each change would keep them uncached, so they are not
    invalidated, and are as old as `CACHE_TTLS["stats"]` seconds at most (30 by default).
    """
    return {
        "users": user_stats(),
        "posts": post_status_stats(),
        "comments": comment_status_stats(),
        "media": media_stats(),
        "events": event_stats(),
        "tasks": job_stats(),
        "trending": post_trending(),
    }


def site_stats() -> dict[str, Any]:
    """The editors' dashboard numbers (`GET /api/v1/admin/stats/`): the figures of
    `site_figures`, cached (unless `CACHE_READS` is off), and the cache's counters, live."""
    return {**site_figures(cache_bypass=not reads_cached()), "cache": cache_stats()}


def site_daily_series(*, days: int = 30) -> list[dict[str, Any]]:
    """The site's views and approved comments per day (UTC) of the last `days` days,
    oldest first, every day present: a day nothing was rolled up for counts 0, so a
    chart has one column per day."""
    since = _today() - timedelta(days=days - 1)
    stored: dict[date, Mapping[str, Any]] = {
        row["date"]: row
        for row in SiteDailyStats.objects.filter(date__gte=since).values(
            "date", "views", "comments"
        )
    }
    series: list[dict[str, Any]] = []
    for offset in range(days):
        day = since + timedelta(days=offset)
        row = stored.get(day, {})
        series.append(
            {"date": day, "views": row.get("views", 0), "comments": row.get("comments", 0)}
        )
    return series


def event_counts_by_type(*, days: int = 7) -> list[tuple[str, int]]:
    """Stored events per type over the last `days` days, most frequent first (`post.viewed`
    is counted, not stored, so it is not among them)."""
    since = timezone.now() - timedelta(days=days)
    rows = (
        Event.objects.filter(occurred_at__gte=since)
        .order_by()
        .values_list("type")
        .annotate(n=Count("pk"))
    )
    return sorted(rows, key=lambda row: (-row[1], row[0]))


# --- the event store ---------------------------------------------------------------------


def event_list(*, params: QueryParams) -> QuerySet[Event]:
    """Stored events, newest first, filtered by query parameters (`EventFilter`); bad
    filters raise InvalidInput. Served with keyset pagination on `occurred_at`."""
    queryset = Event.objects.select_related("actor").order_by("-occurred_at", "-id")
    return apply_filterset(EventFilter, params, queryset)


def event_log(
    *,
    types: Iterable[str] = (),
    aggregate_type: str | None = None,
    aggregate_id: str | None = None,
    since: datetime | None = None,
) -> QuerySet[Event]:
    """Stored events for the terminal log (`manage.py events`), newest first."""
    queryset = Event.objects.select_related("actor").order_by("-occurred_at", "-id")
    if types:
        queryset = queryset.filter(type__in=list(types))
    if aggregate_type:
        queryset = queryset.filter(aggregate_type=aggregate_type)
    if aggregate_id:
        queryset = queryset.filter(aggregate_id=aggregate_id)
    if since is not None:
        queryset = queryset.filter(occurred_at__gte=since)
    return queryset


def event_times_list(
    *,
    type: str,
    limit: int,
    after: datetime | None = None,
    aggregate: tuple[str, str] | None = None,
    data_iexact: Mapping[str, str] | None = None,
    data_exclude: Mapping[str, Collection[str]] | None = None,
) -> list[datetime]:
    """The reader of `config.events.store.event_times` (registered in ready())."""
    queryset = Event.objects.filter(type=type)
    if after is not None:
        queryset = queryset.filter(occurred_at__gt=after)
    if aggregate is not None:
        queryset = queryset.filter(aggregate_type=aggregate[0], aggregate_id=aggregate[1])
    for key, value in (data_iexact or {}).items():
        queryset = queryset.filter(**{f"data__{key}__iexact": value})
    for key, values in (data_exclude or {}).items():
        queryset = queryset.exclude(**{f"data__{key}__in": sorted(values)})
    return list(queryset.order_by("-occurred_at").values_list("occurred_at", flat=True)[:limit])

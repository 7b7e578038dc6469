"""Writes of analytics: the view counter and its flush, the daily roll-ups, and the
event store's bookkeeping (dispatch marks, consumers' marks, retention's deletes; the
rows themselves are written by the `store_event` receiver, in the change's transaction).

Views go to Redis (`analytics.counters`) and reach the database once a minute, by
`view_counts_flush`; without Redis they are counted in the database at once. Approved
comments per post and day, and the site's daily totals, are rolled up from events by the
`analytics` consumer (`analytics.rollups`), which calls `daily_stats_apply_event`.
"""

import logging
import uuid
from datetime import UTC, date
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import Count, F, Model, Q
from django.db.models.functions import Greatest, TruncDate
from django.utils import timezone

from analytics import counters
from analytics.models import ConsumedEvent, Event, PostDailyStats, SiteDailyStats
from blog.models import Comment, CommentStatus, Post
from config.cache import invalidate

logger = logging.getLogger(__name__)

# A flushed batch is recorded as "consumed" under this name, with its id, in the flush's
# transaction: a batch applied just before a crash is dropped, not applied again.
VIEW_FLUSH_CONSUMER = "analytics.view_flush"
_CHUNK = 500


def _today() -> date:
    return timezone.now().astimezone(UTC).date()


def _daily_upsert(
    model: type[Model],
    *,
    unique: tuple[str, ...],
    rows: list[dict[str, Any]],
    replace: bool = False,
) -> None:
    """Insert daily rows, or add to (`replace`: overwrite) the counters of existing ones.

    One `INSERT ... ON CONFLICT DO UPDATE` (PostgreSQL and SQLite): atomic against
    concurrent writers of the same row, which the ORM's update-then-create is not.
    Counters missing from a row are 0 when inserted and untouched when updated.
    """
    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    # A concrete field has a column (Django types `column` optional, for the others).
    column = {f.name: cast(str, f.column) for f in fields}
    unique_columns = {column[name] for name in unique}
    counted = [
        column[f.name]
        for f in fields
        if column[f.name] not in unique_columns and f.attname in rows[0]
    ]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    values: list[str] = []
    params: list[Any] = []
    for row in rows:
        values.append("(" + ", ".join(["%s"] * len(fields)) + ")")
        for f in fields:
            value = row.get(f.attname, f.get_default())
            if f.get_internal_type() == "DateField":
                value = connection.ops.adapt_datefield_value(value)
            params.append(value)
    updates = ", ".join(
        f"{quote(c)} = EXCLUDED.{quote(c)}"
        if replace
        else f"{quote(c)} = {table}.{quote(c)} + EXCLUDED.{quote(c)}"
        for c in counted
    )
    columns = ", ".join(quote(column[f.name]) for f in fields)
    conflict = ", ".join(quote(c) for c in sorted(unique_columns))
    # Only quoted identifiers from the model's meta are formatted in; values are params.
    insert = f"INSERT INTO {table} ({columns}) VALUES {', '.join(values)}"  # noqa: S608
    sql = f"{insert} ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def site_daily_add(*, day: date, **counts: int) -> None:
    """Add to the site's totals of `day` (views, comments, posts_published, ...).

    A negative change (a comment no longer approved) lowers a total, never below 0.
    """
    added = {name: n for name, n in counts.items() if n > 0}
    if added:
        _daily_upsert(SiteDailyStats, unique=("date",), rows=[{"date": day, **added}])
    removed = {name: Greatest(F(name) + n, 0) for name, n in counts.items() if n < 0}
    if removed:
        SiteDailyStats.objects.filter(date=day).update(**removed)


# --- views -----------------------------------------------------------------------------


@transaction.atomic
def post_view_count_in_db(*, post_id: int, views: int = 1, day: date | None = None) -> None:
    """Add views to a post's total, its day and the site's day, in the database."""
    day = day or _today()
    if not Post.objects.filter(pk=post_id).update(view_count=F("view_count") + views):
        return  # the post is gone
    _daily_upsert(
        PostDailyStats,
        unique=("post", "date"),
        rows=[{"post_id": post_id, "date": day, "views": views}],
    )
    site_daily_add(day=day, views=views)


def post_view_count(*, post_id: int, views: int = 1, day: date | None = None) -> str:
    """Count views of a post: in Redis, flushed to the database within a minute; in the
    database at once when Redis is not the cache or is down. Returns where it counted."""
    day = day or _today()
    try:
        counters.view_pending_add(post_id=post_id, day=day, views=views)
        return "redis"
    except counters.CounterUnavailable as exc:
        if counters.view_counter_enabled():  # Redis is configured but failing: say so
            logger.warning(
                "view_counter.degraded",
                extra={"error": f"{type(exc).__name__}: {exc}", "fallback": "database"},
            )
    post_view_count_in_db(post_id=post_id, views=views, day=day)
    return "database"


def _view_counts_add(*, counts: dict[int, int]) -> None:
    """Add views to the posts' totals in one UPDATE joined to a VALUES list (PostgreSQL
    and SQLite), where a CASE WHEN per post cost Django milliseconds a post to build."""
    post = Post._meta
    quote = connection.ops.quote_name
    table, pk, total = quote(post.db_table), quote(cast(str, post.pk.column)), quote("view_count")
    values = ", ".join(["(CAST(%s AS BIGINT), CAST(%s AS BIGINT))"] * len(counts))
    # Only quoted identifiers from the model's meta are formatted in; values are params.
    sql = (
        f"UPDATE {table} SET {total} = {total} + added.views "  # noqa: S608
        f"FROM (VALUES {values}) AS added (post_id, views) WHERE {table}.{pk} = added.post_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [n for item in counts.items() for n in item])


def _view_batch_apply(batch: counters.ViewBatch) -> int:
    """Apply one staged batch in one transaction, at most once; returns the views added."""
    with transaction.atomic():
        _, created = ConsumedEvent.objects.get_or_create(
            consumer=VIEW_FLUSH_CONSUMER, event_id=batch.id
        )
        if not created:
            return 0  # applied by a flush that died before dropping it
        # Locked in id order: a post deleted meanwhile is skipped, not a foreign-key error.
        live = list(
            Post.objects.select_for_update()
            .filter(pk__in=list(batch.counts))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for start in range(0, len(live), _CHUNK):
            chunk = live[start : start + _CHUNK]
            _view_counts_add(counts={pk: batch.counts[pk] for pk in chunk})
            _daily_upsert(
                PostDailyStats,
                unique=("post", "date"),
                rows=[
                    {"post_id": pk, "date": batch.day, "views": batch.counts[pk]} for pk in chunk
                ],
            )
        total = sum(batch.counts[pk] for pk in live)
        if total:
            site_daily_add(day=batch.day, views=total)
        return total


def view_counts_flush() -> dict[str, int]:
    """Move the views pending in Redis into `Post.view_count` and the daily stats.

    Safe to run concurrently and to crash anywhere: see `analytics.counters`.
    """
    if not counters.view_counter_enabled():
        return {"batches": 0, "views": 0}
    keys = counters.view_batches_stage()
    views = 0
    for key in keys:
        batch = counters.view_batch_read(key)
        views += _view_batch_apply(batch)
        # Cached reads show the stored count plus the pending one: the views just moved
        # from one to the other, so those posts (and lists ordered by views) are stale.
        invalidate("posts", *(f"post:{post_id}" for post_id in batch.counts))
        counters.view_batch_drop(key)
    return {"batches": len(keys), "views": views}


# --- roll-ups from events --------------------------------------------------------------


@transaction.atomic
def post_daily_comments_refresh(*, post_id: int) -> dict[date, int]:
    """Recount the approved comments of a post per day of their creation (UTC).

    A recount, not an increment: a deleted comment's event does not say whether it was
    approved, and an edit may send an approved comment back to moderation. The post is
    locked first, so two recounts of one post run one after the other and the later one
    sees every change committed before it. Returns the change of each day that changed,
    for the site totals.
    """
    if not list(Post.objects.select_for_update().filter(pk=post_id).values_list("pk")):
        return {}
    fresh = dict(
        Comment.objects.filter(post_id=post_id, status=CommentStatus.APPROVED)
        .annotate(day=TruncDate("created_at", tzinfo=UTC))
        .order_by()
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    stored = dict(
        PostDailyStats.objects.filter(post_id=post_id)
        .filter(Q(comments__gt=0) | Q(date__in=list(fresh)))
        .values_list("date", "comments")
    )
    changes = {
        day: fresh.get(day, 0) - stored.get(day, 0)
        for day in sorted(set(fresh) | set(stored))
        if fresh.get(day, 0) != stored.get(day, 0)
    }
    _daily_upsert(
        PostDailyStats,
        unique=("post", "date"),
        rows=[{"post_id": post_id, "date": day, "comments": fresh.get(day, 0)} for day in changes],
        replace=True,
    )
    return changes


def _may_change_approved_comments(event: Event) -> bool:
    """Whether a comment event may change the number of approved comments."""
    data, approved = event.data or {}, CommentStatus.APPROVED
    if event.type == "comment.created":
        return data.get("status") == approved
    if event.type == "comment.moderated":
        return approved in (data.get("old_status"), data.get("new_status"))
    if event.type == "comment.updated":
        # An edit may send an approved comment back to moderation, never approve one.
        return data.get("status") != approved
    # A deleted comment's event does not say whether it was approved.
    return event.type == "comment.deleted"


def _post_comments_changed(post_id: int | str) -> None:
    for day, change in post_daily_comments_refresh(post_id=int(post_id)).items():
        # The site's day follows its posts' days by their changes, so comments of a post
        # deleted since stay in the site's history (like its views).
        site_daily_add(day=day, comments=change)


@transaction.atomic
def daily_stats_apply_event(*, event: Event) -> None:
    """Roll one event up into the daily stats (the `analytics` consumer)."""
    day = event.occurred_at.astimezone(UTC).date()
    if _may_change_approved_comments(event):
        _post_comments_changed(event.data["post_id"])
    elif event.type == "post.published":
        site_daily_add(day=day, posts_published=1)
    elif event.type == "user.registered":
        site_daily_add(day=day, users_registered=1)


# --- the event store's bookkeeping -------------------------------------------------------


@transaction.atomic
def event_mark_dispatched(*, event_id: uuid.UUID | str) -> None:
    """Its consumers' jobs are queued: the outbox relay leaves it alone from now on."""
    Event.objects.filter(pk=event_id, dispatched_at__isnull=True).update(
        dispatched_at=timezone.now()
    )


@transaction.atomic
def consumed_event_record(*, consumer: str, event_id: uuid.UUID | str) -> bool:
    """Mark the event consumed by `consumer`; False if it already was. Called in the
    consumer's transaction, so the mark and the consumer's effects commit together."""
    _, created = ConsumedEvent.objects.get_or_create(consumer=consumer, event_id=event_id)
    return created


@transaction.atomic
def event_delete_many(*, event_ids: list[uuid.UUID]) -> None:
    """Delete events with their consumers' marks (their webhook deliveries cascade)."""
    Event.objects.filter(pk__in=event_ids).delete()
    ConsumedEvent.objects.filter(event_id__in=event_ids).delete()

"""What each report holds, and how it is written (CSV or JSON).

A report is a table over a range of days (UTC, both ends included), built by one
aggregate query per source, so its cost grows with the rows it returns, not with the
number of views or comments behind them. No report holds an e-mail or an IP address.
"""

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from analytics.models import PostDailyStats, ReportFormat, ReportKind
from blog.models import Comment, CommentStatus, Post, PostStatus


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[list]


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in UTC."""
    return (
        datetime.combine(start, time.min, tzinfo=UTC),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC),
    )


def content_table(start: date, end: date) -> Table:
    """Posts published in the range, with the views and approved comments they had in it."""
    since, until = _bounds(start, end)
    posts = (
        Post.objects.filter(
            status=PostStatus.PUBLISHED, published_at__gte=since, published_at__lt=until
        )
        .select_related("author", "category")
        .order_by("published_at", "id")
    )
    views = dict(
        PostDailyStats.objects.filter(post__in=posts, date__gte=start, date__lte=end)
        .values_list("post")
        .annotate(total=Sum("views"))
        .order_by()
    )
    comments = dict(
        Comment.objects.filter(
            post__in=posts,
            status=CommentStatus.APPROVED,
            created_at__gte=since,
            created_at__lt=until,
        )
        .values_list("post")
        .annotate(total=Count("id"))
        .order_by()
    )
    columns = [
        "id", "slug", "title", "author", "category", "published_at", "reading_time_minutes",
        "views_in_range", "comments_in_range", "view_count", "comment_count",
    ]  # fmt: skip
    rows = [
        [
            post.pk,
            post.slug,
            post.title,
            post.author.username,
            post.category.slug if post.category else "",
            # Never None: the filter above reads published_at in the range.
            post.published_at.isoformat() if post.published_at else "",
            post.reading_time_minutes,
            views.get(post.pk, 0),
            comments.get(post.pk, 0),
            post.view_count,
            post.comment_count,
        ]
        for post in posts
    ]
    return Table(columns, rows)


def engagement_table(start: date, end: date) -> Table:
    """One row per day: views, approved comments, posts published, users registered."""
    since, until = _bounds(start, end)

    def per_day(queryset: QuerySet[Any], field: str) -> dict[date, int]:
        return dict(
            queryset.filter(**{f"{field}__gte": since, f"{field}__lt": until})
            .annotate(day=TruncDate(field, tzinfo=UTC))
            .values_list("day")
            .annotate(n=Count("id"))
            .order_by()
        )

    views = dict(
        PostDailyStats.objects.filter(date__gte=start, date__lte=end)
        .values_list("date")
        .annotate(n=Sum("views"))
        .order_by()
    )
    comments = per_day(Comment.objects.filter(status=CommentStatus.APPROVED), "created_at")
    published = per_day(Post.objects.exclude(published_at=None), "published_at")
    registered = per_day(get_user_model().objects.all(), "date_joined")
    columns = ["date", "views", "comments", "posts_published", "users_registered"]
    rows = []
    day = start
    while day <= end:
        rows.append(
            [
                day.isoformat(),
                views.get(day, 0),
                comments.get(day, 0),
                published.get(day, 0),
                registered.get(day, 0),
            ]
        )
        day += timedelta(days=1)
    return Table(columns, rows)


def users_table(start: date, end: date) -> Table:
    """Users who joined in the range, with what they wrote (no e-mail addresses)."""
    since, until = _bounds(start, end)
    users = (
        get_user_model()
        .objects.filter(date_joined__gte=since, date_joined__lt=until)
        .annotate(
            published_posts=Count(
                "posts", filter=Q(posts__status=PostStatus.PUBLISHED), distinct=True
            ),
            approved_comments=Count(
                "comments", filter=Q(comments__status=CommentStatus.APPROVED), distinct=True
            ),
        )
        .order_by("date_joined", "id")
    )
    columns = [
        "username", "display_name", "role", "is_active", "date_joined", "last_login",
        "published_posts", "approved_comments",
    ]  # fmt: skip
    rows = [
        [
            user.username,
            user.display_name,
            user.role,
            user.is_active,
            user.date_joined.isoformat(),
            user.last_login.isoformat() if user.last_login else "",
            user.published_posts,
            user.approved_comments,
        ]
        for user in users
    ]
    return Table(columns, rows)


BUILDERS: dict[str, Callable[[date, date], Table]] = {
    ReportKind.CONTENT: content_table,
    ReportKind.ENGAGEMENT: engagement_table,
    ReportKind.USERS: users_table,
}

CONTENT_TYPES: dict[str, str] = {
    ReportFormat.CSV: "text/csv",
    ReportFormat.JSON: "application/json",
}


def report_render(*, table: Table, fmt: str, meta: dict[str, Any]) -> bytes:
    """The file's bytes: CSV with a header row, or JSON `{...meta, columns, rows: [{}]}`."""
    if fmt == ReportFormat.CSV:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(table.columns)
        for row in table.rows:
            # A cell starting with = + - @ is a formula to a spreadsheet: quote it as text.
            writer.writerow([_csv_safe(cell) for cell in row])
        return buffer.getvalue().encode("utf-8")
    document = {
        **meta,
        "columns": table.columns,
        "rows": [dict(zip(table.columns, row, strict=True)) for row in table.rows],
    }
    return json.dumps(document, cls=DjangoJSONEncoder, indent=1).encode("utf-8")


def _csv_safe(value: object) -> object:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value

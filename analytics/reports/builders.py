"""What each report holds, and how it is written (CSV or JSON).

A report is a table over a range of days (UTC, both ends included), built by one
query per source, so its cost grows with the rows it returns, not with the number of
views or comments behind them. The long ones (content: a row per post, users: a row per
user) stream from a server-side cursor into the file, so a report over a million posts
needs no more memory than one over ten (docs/operations.md, "Time limits", has their
run times). No report holds an e-mail or an IP address.
"""

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import IO, Any

from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Aggregate, Count, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncDate

from analytics.models import PostDailyStats, ReportFormat, ReportKind
from blog.models import Comment, CommentStatus, Post, PostStatus

# Rows fetched per round trip from the server-side cursor of a streamed report.
ROWS_PER_FETCH = 2000


@dataclass(frozen=True)
class Table:
    """A report's columns and rows. `rows` may be a generator (the content and users
    reports stream theirs from a server-side cursor): it can be read once."""

    columns: list[str]
    rows: Iterable[list[Any]]


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in UTC."""
    return (
        datetime.combine(start, time.min, tzinfo=UTC),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC),
    )


def _total(queryset: QuerySet[Any], *, per: str, total: Aggregate) -> Coalesce:
    """`total` over the rows of `queryset` (filtered on an OuterRef through `per`), as a
    column of the outer query; 0 when there are none. A correlated subquery costs an index
    lookup per outer row, where joining two related tables to the outer one multiplies
    their rows (a user's posts x their comments) before counting distinct ids."""
    return Coalesce(
        Subquery(queryset.order_by().values(per).annotate(total=total).values("total")),
        Value(0),
    )


def content_table(start: date, end: date) -> Table:
    """Posts published in the range, with the views and approved comments they had in it."""
    since, until = _bounds(start, end)
    views = PostDailyStats.objects.filter(post=OuterRef("pk"), date__gte=start, date__lte=end)
    comments = Comment.objects.filter(
        post=OuterRef("pk"),
        status=CommentStatus.APPROVED,
        created_at__gte=since,
        created_at__lt=until,
    )
    # Only the columns shown: a post's body, HTML and search vector weigh kilobytes.
    fields = [
        "pk", "slug", "title", "author__username", "category__slug", "published_at",
        "reading_time_minutes", "views_in_range", "comments_in_range", "view_count",
        "comment_count",
    ]  # fmt: skip
    posts = (
        Post.objects.filter(
            status=PostStatus.PUBLISHED, published_at__gte=since, published_at__lt=until
        )
        .annotate(
            views_in_range=_total(views, per="post", total=Sum("views")),
            comments_in_range=_total(comments, per="post", total=Count("id")),
        )
        .order_by("published_at", "id")
        .values_list(*fields)
    )
    columns = [
        "id", "slug", "title", "author", "category", "published_at", "reading_time_minutes",
        "views_in_range", "comments_in_range", "view_count", "comment_count",
    ]  # fmt: skip

    def rows() -> Iterator[list[Any]]:
        # A million posts stream through a server-side cursor, never all in memory.
        for pk, slug, title, author, category, published_at, *counts in posts.iterator(
            chunk_size=ROWS_PER_FETCH
        ):
            # Never None: the filter above reads published_at in the range.
            published = published_at.isoformat() if published_at else ""
            yield [pk, slug, title, author, category or "", published, *counts]

    return Table(columns, rows())


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
    posts = Post.objects.filter(author=OuterRef("pk"), status=PostStatus.PUBLISHED)
    comments = Comment.objects.filter(author=OuterRef("pk"), status=CommentStatus.APPROVED)
    columns = [
        "username", "display_name", "role", "is_active", "date_joined", "last_login",
        "published_posts", "approved_comments",
    ]  # fmt: skip
    users = (
        get_user_model()
        .objects.filter(date_joined__gte=since, date_joined__lt=until)
        .annotate(
            published_posts=_total(posts, per="author", total=Count("id")),
            approved_comments=_total(comments, per="author", total=Count("id")),
        )
        .order_by("date_joined", "id")
        .values_list(*columns)
    )

    def rows() -> Iterator[list[Any]]:
        for username, name, role, active, joined, last_login, *counts in users.iterator(
            chunk_size=ROWS_PER_FETCH
        ):
            last = last_login.isoformat() if last_login else ""
            yield [username, name, role, active, joined.isoformat(), last, *counts]

    return Table(columns, rows())


BUILDERS: dict[str, Callable[[date, date], Table]] = {
    ReportKind.CONTENT: content_table,
    ReportKind.ENGAGEMENT: engagement_table,
    ReportKind.USERS: users_table,
}

CONTENT_TYPES: dict[str, str] = {
    ReportFormat.CSV: "text/csv",
    ReportFormat.JSON: "application/json",
}


def report_write(*, table: Table, fmt: str, meta: dict[str, Any], target: IO[bytes]) -> int:
    """Write the file to `target` as the rows come, and answer how many rows it has: CSV
    with a header row, or JSON `{...meta, columns, rows: [{}]}` (a row per line)."""
    text = io.TextIOWrapper(target, encoding="utf-8", newline="")
    count = 0
    if fmt == ReportFormat.CSV:
        writer = csv.writer(text)
        writer.writerow(table.columns)
        for row in table.rows:
            # A cell starting with = + - @ is a formula to a spreadsheet: quote it as text.
            writer.writerow([_csv_safe(cell) for cell in row])
            count += 1
    else:
        head = {**meta, "columns": table.columns}
        text.write(json.dumps(head, cls=DjangoJSONEncoder, indent=1)[:-2] + ',\n "rows": [')
        for row in table.rows:
            text.write(",\n  " if count else "\n  ")
            text.write(
                json.dumps(dict(zip(table.columns, row, strict=True)), cls=DjangoJSONEncoder)
            )
            count += 1
        text.write("\n ]\n}\n")
    text.flush()
    text.detach()  # the caller's file stays open
    return count


def _csv_safe(value: object) -> object:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value

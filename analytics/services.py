"""Writes of analytics: view counts per post and day."""

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from analytics.models import PostDailyStats
from blog.models import Post


def post_view_record(*, post_id: int, day: date | None = None, views: int = 1) -> None:
    """Add `views` to the post's count for `day` (today, UTC, by default)."""
    day = day or timezone.now().date()
    updated = PostDailyStats.objects.filter(post_id=post_id, date=day).update(
        views=F("views") + views
    )
    if updated:
        return
    try:
        with transaction.atomic():
            PostDailyStats.objects.create(post_id=post_id, date=day, views=views)
    except IntegrityError:
        # Another request created the row first: add to it instead.
        PostDailyStats.objects.filter(post_id=post_id, date=day).update(views=F("views") + views)


def post_view_count(*, post_id: int, views: int = 1, day: date | None = None) -> None:
    """Add views to a post's total and to its daily stats, in the database."""
    Post.objects.filter(pk=post_id).update(view_count=F("view_count") + views)
    post_view_record(post_id=post_id, day=day, views=views)

"""Writes of analytics: view counts per post and day."""

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from analytics.models import PostDailyStats


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

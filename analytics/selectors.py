"""Reads of analytics."""

from django.db.models import Count
from django.db.models.functions import TruncDate

from analytics.models import PostDailyStats
from blog.models import CommentStatus, Post


def post_stats(*, post: Post, days: int = 30) -> dict:
    """Totals and the last `days` days of views and approved comments of one post."""
    views = dict(
        PostDailyStats.objects.filter(post=post)
        .order_by("-date")
        .values_list("date", "views")[:days]
    )
    comments = dict(
        post.comments.filter(status=CommentStatus.APPROVED)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(n=Count("id"))
        .order_by("-day")
        .values_list("day", "n")[:days]
    )
    dates = sorted(set(views) | set(comments), reverse=True)[:days]
    return {
        "view_count": post.view_count,
        "comment_count": post.comment_count,
        "daily": [
            {"date": day, "views": views.get(day, 0), "comments": comments.get(day, 0)}
            for day in dates
        ],
    }

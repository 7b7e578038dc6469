"""The editors' analytics dashboard in the admin: one selector gathering its numbers.

Everything here is a read through the apps' own selectors, so the page shows what the
API's statistics show, and costs a fixed number of queries whatever the data.
"""

from analytics import selectors as analytics_selectors
from blog.models import CommentStatus
from blog.selectors.comments import comment_moderation_queue
from tasks.models import JobStatus
from tasks.selectors import job_list

DAYS = 30
EVENT_DAYS = 7
TOP_POSTS = 10
LIST_LENGTH = 5


def dashboard_get() -> dict:
    """The dashboard's figures: daily series, top posts, the moderation queue, failed
    jobs, the cache's hit rate and the recent events per type."""
    daily = analytics_selectors.site_daily_series(days=DAYS)
    pending = comment_moderation_queue(params={"status": CommentStatus.PENDING})
    failed = job_list(params={"status": JobStatus.FAILED})
    events = analytics_selectors.event_counts_by_type(days=EVENT_DAYS)
    return {
        "days": DAYS,
        "event_days": EVENT_DAYS,
        "daily": daily,
        "views_total": sum(row["views"] for row in daily),
        "comments_total": sum(row["comments"] for row in daily),
        "top_posts": analytics_selectors.post_trending(days=DAYS, limit=TOP_POSTS),
        "pending_count": pending.count(),
        "pending": list(pending[:LIST_LENGTH]),
        "failed_count": failed.count(),
        "failed": list(failed[:LIST_LENGTH]),
        "cache": analytics_selectors.cache_stats(),
        "events": events,
        "events_total": sum(n for _, n in events),
    }

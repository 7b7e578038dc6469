"""The editors' analytics dashboard in the admin: one selector gathering its numbers.

Everything here is a read through the apps' own selectors, so the page shows what the
API's statistics show, and costs a fixed number of queries whatever the data.

The aggregates (daily series, top posts, events per type) come from the cache, like the
API's statistics: `stats` namespace, not invalidated, at most `CACHE_TTLS["stats"]`
seconds old. The work lists (comments waiting for moderation, failed jobs) are read
live: an editor who has just moderated a comment must not find it still waiting.
"""

from typing import Any

from analytics import selectors as analytics_selectors
from blog.models import CommentStatus
from blog.selectors.comments import comment_moderation_queue
from config.cache import cached_result, reads_cached
from tasks.models import JobStatus
from tasks.selectors import job_list

DAYS = 30
EVENT_DAYS = 7
TOP_POSTS = 10
LIST_LENGTH = 5


@cached_result("stats")
def dashboard_figures() -> dict[str, Any]:
    """The dashboard's aggregates: daily series, top posts, recent events per type, the
    media library's size."""
    daily = analytics_selectors.site_daily_series(days=DAYS)
    events = analytics_selectors.event_counts_by_type(days=EVENT_DAYS)
    return {
        "daily": daily,
        "views_total": sum(row["views"] for row in daily),
        "comments_total": sum(row["comments"] for row in daily),
        "top_posts": analytics_selectors.post_trending(days=DAYS, limit=TOP_POSTS),
        "events": events,
        "events_total": sum(n for _, n in events),
        "media": analytics_selectors.media_stats(),
    }


def dashboard_get() -> dict[str, Any]:
    """The dashboard's figures: daily series, top posts, the moderation queue, failed
    jobs, the cache's hit rate and the recent events per type."""
    pending = comment_moderation_queue(params={"status": CommentStatus.PENDING})
    failed = job_list(params={"status": JobStatus.FAILED})
    return {
        "days": DAYS,
        "event_days": EVENT_DAYS,
        **dashboard_figures(cache_bypass=not reads_cached()),
        "pending_count": pending.count(),
        "pending": list(pending[:LIST_LENGTH]),
        "failed_count": failed.count(),
        "failed": list(failed[:LIST_LENGTH]),
        "cache": analytics_selectors.cache_stats(),
    }

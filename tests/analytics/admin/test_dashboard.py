"""The analytics dashboard in the admin (`/admin/dashboard/`): who may open it, the figures
it shows, its charts, its empty state and its query cost."""

import re
import uuid
from datetime import UTC, date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Role
from analytics import charts
from analytics.models import Event, PostDailyStats, SiteDailyStats
from analytics.selectors import event_counts_by_type, site_daily_series
from blog.models import CommentStatus
from config.cache import cache_fetch, cache_stats_reset
from tasks.models import JobRecord, JobStatus
from tests.factories import (
    AuthorFactory,
    CommentFactory,
    PostFactory,
    ReaderFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

DASHBOARD = "/admin/dashboard/"


def today():
    return timezone.now().astimezone(UTC).date()


def web(user):
    client = Client()
    client.force_login(user)
    return client


def _event(event_type, *, days_ago=0):
    return Event.objects.create(
        id=uuid.uuid4(),
        type=event_type,
        occurred_at=timezone.now() - timedelta(days=days_ago, minutes=1),
        aggregate_type=event_type.split(".")[0],
        aggregate_id="1",
    )


def _bars(html, chart):
    """(height, date, value) of each column of a daily chart."""
    svg = re.search(rf'<svg class="adash-chart" data-chart="{chart}".*?</svg>', html, re.S)
    assert svg, f"no {chart} chart drawn"
    return re.findall(
        r'<rect class="adash-bar[^"]*"[^>]* height="([\d.]+)" data-date="([^"]+)"'
        r' data-value="(\d+)"',
        svg.group(0),
    )


def _ranked(html, chart):
    """(width in %, label, value) of each bar of a ranked chart."""
    table = re.search(rf'<table class="adash-ranked" data-chart="{chart}".*?</table>', html, re.S)
    assert table, f"no {chart} chart drawn"
    return re.findall(
        r'<rect class="adash-bar"[^>]* width="([\d.]+)"[^>]* data-label="([^"]+)"'
        r' data-value="(\d+)"',
        table.group(0),
    )


@pytest.fixture
def site_with_activity():
    post = PostFactory(title="The popular one")
    quiet = PostFactory(title="The quiet one")
    SiteDailyStats.objects.create(date=today(), views=12, comments=3)
    SiteDailyStats.objects.create(date=today() - timedelta(days=5), views=7)
    SiteDailyStats.objects.create(date=today() - timedelta(days=45), views=999)  # too old
    PostDailyStats.objects.create(post=post, date=today(), views=12, comments=3)
    PostDailyStats.objects.create(post=quiet, date=today() - timedelta(days=5), views=7)
    CommentFactory(post=post, status=CommentStatus.PENDING, body="Please look at me")
    CommentFactory(post=post, status=CommentStatus.PENDING)
    CommentFactory(post=post)  # approved: not in the queue
    JobRecord.objects.create(name="tasks.send_email", status=JobStatus.FAILED, error="SMTP down")
    JobRecord.objects.create(name="tasks.ok", status=JobStatus.COMPLETED)
    _event("post.published")
    _event("post.published")
    _event("comment.created")
    _event("user.registered", days_ago=10)  # older than the events window
    cache_stats_reset()
    for _ in range(4):  # one miss, then three hits: 75 %
        cache_fetch("posts", "dashboard-test", lambda: 1)
    return post


# --- who may open it -------------------------------------------------------------------


def test_editors_and_admins_open_the_dashboard(editor, admin_user):
    assert web(editor).get(DASHBOARD).status_code == 200
    assert web(admin_user).get(DASHBOARD).status_code == 200


@pytest.mark.parametrize("factory", [ReaderFactory, AuthorFactory])
def test_readers_and_authors_get_the_admin_login_page(factory):
    response = web(factory()).get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={DASHBOARD}"


def test_anonymous_visitors_get_the_admin_login_page():
    response = Client().get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_without_the_editor_role_is_refused():
    # Staff flag out of step with the role: the role decides, as on the content pages.
    staff_author = UserFactory(role=Role.AUTHOR, is_staff=True)
    assert web(staff_author).get(DASHBOARD).status_code == 403


def test_the_admin_index_links_to_the_dashboard_for_editors(editor):
    response = web(editor).get("/admin/")
    assert response.status_code == 200
    assert f'href="{DASHBOARD}"' in response.content.decode()


# --- what it shows ---------------------------------------------------------------------


def test_the_dashboard_shows_the_figures(editor, site_with_activity):
    response = web(editor).get(DASHBOARD)
    assert response.status_code == 200
    context, html = response.context, response.content.decode()

    assert context["views_total"] == 19
    assert context["comments_total"] == 3
    assert context["pending_count"] == 2
    assert context["failed_count"] == 1
    assert context["hit_rate"] == "75.0 %"
    assert context["events"] == [("post.published", 2), ("comment.created", 1)]
    assert [p["title"] for p in context["top_posts"]] == ["The popular one", "The quiet one"]

    # One column per day, today's the tallest; days without data are flat.
    views = _bars(html, "views")
    assert len(views) == 30
    heights = {day: (float(height), int(value)) for height, day, value in views}
    assert heights[today().isoformat()][1] == 12
    assert heights[(today() - timedelta(days=5)).isoformat()][1] == 7
    assert heights[today().isoformat()][0] > heights[(today() - timedelta(days=5)).isoformat()][0]
    assert heights[(today() - timedelta(days=1)).isoformat()] == (0.0, 0)
    assert "12 views" in html  # the bar's tooltip
    assert len(_bars(html, "comments")) == 30
    assert _ranked(html, "events") == [
        ("100", "post.published", "2"),
        ("50", "comment.created", "1"),
    ]

    assert "Please look at me" in html
    assert 'href="/admin/blog/comment/?queue=pending"' in html
    assert "tasks.send_email" in html and "SMTP down" in html
    # Job records are an admins' page: an editor is not sent to a refusal.
    assert "/admin/tasks/jobrecord/" not in html


def test_admins_get_a_link_to_the_failed_jobs(admin_user, site_with_activity):
    html = web(admin_user).get(DASHBOARD).content.decode()
    assert 'href="/admin/tasks/jobrecord/?status__exact=failed"' in html


def test_an_empty_site_reads_sensibly(editor):
    cache_stats_reset()
    response = web(editor).get(DASHBOARD)
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["views_total"] == 0
    assert response.context["hit_rate"] == "–"
    assert "No views counted in these days yet." in html
    assert "No approved comments in these days yet." in html
    assert "No comment is waiting." in html
    assert "No job has failed." in html
    assert "No events stored in these days." in html
    assert 'class="adash-chart"' not in html and 'class="adash-ranked"' not in html


def test_the_query_count_does_not_grow_with_the_data(
    editor, site_with_activity, django_assert_max_num_queries
):
    client = web(editor)
    for n in range(8):
        post = PostFactory()
        PostDailyStats.objects.create(post=post, date=today(), views=n + 1)
        CommentFactory.create_batch(2, post=post, status=CommentStatus.PENDING)
        JobRecord.objects.create(name=f"job{n}", status=JobStatus.FAILED)
        _event(f"type.number{n}")
    # Session and user; one query per figure: series, top posts, queue (count, rows),
    # failed jobs (count, rows), events per type; the user's permissions (two, for the
    # admin's app list of models registered without the role mixin).
    with django_assert_max_num_queries(11):
        response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert len(response.context["pending"]) == 5


# --- the selectors and the chart geometry ----------------------------------------------


def test_site_daily_series_has_every_day_oldest_first():
    SiteDailyStats.objects.create(date=today() - timedelta(days=2), views=4, comments=1)
    series = site_daily_series(days=3)
    assert [row["date"] for row in series] == [today() - timedelta(days=n) for n in (2, 1, 0)]
    assert [(row["views"], row["comments"]) for row in series] == [(4, 1), (0, 0), (0, 0)]


def test_event_counts_by_type_are_recent_and_most_frequent_first():
    _event("b.done")
    _event("a.done")
    _event("a.done")
    _event("c.done", days_ago=8)
    assert event_counts_by_type(days=7) == [("a.done", 2), ("b.done", 1)]


@pytest.mark.parametrize(
    ("value", "top"), [(0, 1), (1, 1), (2, 2), (3, 5), (7, 10), (12, 20), (999, 1000)]
)
def test_the_y_axis_ends_on_a_round_number(value, top):
    assert charts.nice_ceiling(value) == top


def test_daily_columns_scale_to_the_peak():
    chart = charts.daily_columns([(date(2025, 3, 1), 0), (date(2025, 3, 2), 5)], noun="views")
    zero, peak = chart["bars"]
    assert zero["height"] == "0"
    assert float(peak["height"]) == chart["baseline"] - charts.TOP  # the full height
    assert peak["title"] == "Sun 2 Mar: 5 views"
    assert [t["label"] for t in chart["ticks"]] == [0, 5]
    assert not chart["empty"]
    assert charts.daily_columns([(date(2025, 3, 1), 0)], noun="views")["empty"]


def test_ranked_bars_without_values_divide_by_nothing():
    chart = charts.ranked_bars([("post.viewed", 0)], noun="events")
    assert chart["empty"] and chart["bars"][0]["percent"] == "0"
    assert charts.ranked_bars([], noun="events")["empty"]

"""The analytics dashboard in the admin (`/admin/dashboard/`): who may open it, the figures
it shows, its charts, its empty state and its query cost."""

import re
from datetime import timedelta

import pytest
from django.test import Client

from accounts.models import Role
from blog.models import CommentStatus, Media
from config.cache import cache_fetch, cache_stats_reset
from tasks.models import JobStatus
from tests.factories import (
    AuthorFactory,
    CommentFactory,
    EventFactory,
    JobRecordFactory,
    PostDailyStatsFactory,
    PostFactory,
    ReaderFactory,
    SiteDailyStatsFactory,
    UserFactory,
)
from tests.helpers import today, web_client

pytestmark = pytest.mark.django_db

DASHBOARD = "/admin/dashboard/"


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
    SiteDailyStatsFactory(date=today(), views=12, comments=3)
    SiteDailyStatsFactory(date=today() - timedelta(days=5), views=7)
    SiteDailyStatsFactory(date=today() - timedelta(days=45), views=999)  # too old
    PostDailyStatsFactory(post=post, date=today(), views=12, comments=3)
    PostDailyStatsFactory(post=quiet, date=today() - timedelta(days=5), views=7)
    CommentFactory(post=post, status=CommentStatus.PENDING, body="Please look at me")
    CommentFactory(post=post, status=CommentStatus.PENDING)
    CommentFactory(post=post)  # approved: not in the queue
    JobRecordFactory(name="tasks.send_email", status=JobStatus.FAILED, error="SMTP down")
    JobRecordFactory(name="tasks.ok", status=JobStatus.COMPLETED)
    EventFactory(type="post.published", ago=timedelta(minutes=1))
    EventFactory(type="post.published", ago=timedelta(minutes=1))
    EventFactory(type="comment.created", ago=timedelta(minutes=1))
    EventFactory(
        type="user.registered", ago=timedelta(days=10, minutes=1)
    )  # older than the events window
    cache_stats_reset()
    for _ in range(4):  # one miss, then three hits: 75 %
        cache_fetch("posts", "dashboard-test", lambda: 1)
    return post


# --- who may open it -------------------------------------------------------------------


def test_editors_and_admins_open_the_dashboard(editor, admin_user):
    assert web_client(editor).get(DASHBOARD).status_code == 200
    assert web_client(admin_user).get(DASHBOARD).status_code == 200


@pytest.mark.parametrize("factory", [ReaderFactory, AuthorFactory])
def test_readers_and_authors_get_the_admin_login_page(factory):
    response = web_client(factory()).get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={DASHBOARD}"


def test_anonymous_visitors_get_the_admin_login_page():
    response = Client().get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_without_the_editor_role_is_refused():
    # Staff flag out of step with the role: the role decides, as on the content pages.
    staff_author = UserFactory(role=Role.AUTHOR, is_staff=True)
    assert web_client(staff_author).get(DASHBOARD).status_code == 403


def test_the_admin_index_links_to_the_dashboard_for_editors(editor):
    response = web_client(editor).get("/admin/")
    assert response.status_code == 200
    assert f'href="{DASHBOARD}"' in response.content.decode()


# --- what it shows ---------------------------------------------------------------------


def test_the_dashboard_shows_the_figures(editor, site_with_activity):
    response = web_client(editor).get(DASHBOARD)
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
    html = web_client(admin_user).get(DASHBOARD).content.decode()
    assert 'href="/admin/tasks/jobrecord/?status__exact=failed"' in html


def test_the_media_tile(editor):
    for size, status in [(3 * 1024 * 1024, "ready"), (1024 * 1024, "ready"), (10, "failed")]:
        Media.objects.create(
            file=f"library/2026/01/{size:032x}.png", size=size, status=status, alt_text="a"
        )

    response = web_client(editor).get(DASHBOARD)

    tile = re.search(
        r'<div class="adash-tile" data-tile="media">(.*?)</div>', response.content.decode(), re.S
    )
    assert tile, "no media tile"
    assert re.search(r'<span class="adash-figure">3</span>', tile.group(1))
    assert "4.0\xa0MB of originals, 1 failed" in tile.group(1)


def test_an_empty_site_reads_sensibly(editor):
    cache_stats_reset()
    response = web_client(editor).get(DASHBOARD)
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
    client = web_client(editor)
    for n in range(8):
        post = PostFactory()
        PostDailyStatsFactory(post=post, date=today(), views=n + 1)
        CommentFactory.create_batch(2, post=post, status=CommentStatus.PENDING)
        JobRecordFactory(name=f"job{n}", status=JobStatus.FAILED)
        EventFactory(type=f"type.number{n}", ago=timedelta(minutes=1))
    # Session and user; one query per figure: series, top posts, queue (count, rows),
    # failed jobs (count, rows), events per type, media; the user's permissions (two, for
    # the admin's app list of models registered without the role mixin).
    with django_assert_max_num_queries(12):
        response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert len(response.context["pending"]) == 5

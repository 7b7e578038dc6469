"""What a newcomer sees around the admin: the site's name, the favicon, plain labels, and
a dashboard that says how it ranks."""

from datetime import timedelta

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.utils import timezone

from analytics.models import PostDailyStats
from analytics.selectors import TRENDING_COMMENT_WEIGHT
from blog.services import posts as post_services
from tests.factories import AdminFactory, EditorFactory, PostFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_web():
    client = Client()
    client.force_login(EditorFactory())
    return client


def test_the_admin_carries_the_site_name(settings):
    client = Client()
    client.force_login(AdminFactory())

    html = client.get("/admin/").content.decode()

    assert f"{settings.SITE_NAME} administration" in html
    assert "Django administration" not in html


def test_favicon_is_found(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"] == "/static/favicon.svg"
    assert finders.find("favicon.svg")  # collected with the other static files


def test_webhook_deliveries_are_spelled_right():
    client = Client()
    client.force_login(AdminFactory())

    html = client.get("/admin/").content.decode()

    assert "Webhook deliveries" in html
    assert "deliverys" not in html


def test_revision_rows_say_what_they_are(editor_web):
    post = PostFactory(title="First title")
    post_services.post_update(post=post, actor=post.author, title="Second title")

    html = editor_web.get(f"/admin/blog/post/{post.pk}/change/").content.decode()

    assert "Revision of “Second title”, " in html
    assert f"{post.pk} @ " not in html


def test_the_dashboard_says_how_top_posts_are_ranked(editor_web):
    post = PostFactory(title="Read and discussed")
    today = timezone.now().date()
    PostDailyStats.objects.create(post=post, date=today, views=4, comments=2)
    PostDailyStats.objects.create(post=post, date=today - timedelta(days=1), views=1)

    html = editor_web.get("/admin/dashboard/").content.decode()

    assert f"views plus {TRENDING_COMMENT_WEIGHT} × approved comments" in html
    score = 4 + 1 + 2 * TRENDING_COMMENT_WEIGHT
    assert f'<td class="adash-num">{score}</td>' in html

"""The read-only Event admin: for admins, filters, nothing to change."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import EventFactory
from tests.helpers import web_client

pytestmark = pytest.mark.django_db

ADMIN = "/admin/analytics/event/"


def test_admin_lists_and_filters_events(admin_web, author):
    published = EventFactory(
        type="post.published", actor=author, aggregate_id="77", request_id="r-9"
    )
    login = EventFactory(type="user.logged_in", aggregate_type="user", aggregate_id="5")
    old = EventFactory(type="post.created", ago=timedelta(days=40))

    def listed(params):
        response = admin_web.get(ADMIN, params)
        assert response.status_code == 200
        return {e.pk for e in response.context["cl"].result_list}

    assert listed({}) == {published.pk, login.pk, old.pk}
    assert listed({"type": "user.logged_in"}) == {login.pk}
    assert listed({"aggregate_type": "post"}) == {published.pk, old.pk}
    since = str(timezone.now() - timedelta(days=7))  # as the "Past 7 days" link gives it
    assert listed({"occurred_at__gte": since}) == {published.pk, login.pk}
    assert listed({"q": "77"}) == {published.pk}
    assert listed({"q": author.username}) == {published.pk}
    assert listed({"q": "r-9"}) == {published.pk}


def test_admin_event_pages_are_read_only(admin_web):
    event = EventFactory(data={"slug": "hello"})

    detail = admin_web.get(f"{ADMIN}{event.pk}/change/")
    assert detail.status_code == 200
    content = detail.content.decode()
    assert "hello" in content
    assert 'name="_save"' not in content

    assert admin_web.get(f"{ADMIN}add/").status_code == 403
    assert admin_web.get(f"{ADMIN}{event.pk}/delete/").status_code == 403
    assert admin_web.post(f"{ADMIN}{event.pk}/change/", {"type": "post.deleted"}).status_code == 403
    changelist = admin_web.get(ADMIN)
    assert "delete_selected" not in changelist.content.decode()
    event.refresh_from_db()
    assert event.type == "post.created"


def test_editors_do_not_see_the_event_admin(editor):
    client = web_client(editor)
    assert client.get(ADMIN).status_code == 403
    assert ADMIN not in client.get("/admin/").content.decode()

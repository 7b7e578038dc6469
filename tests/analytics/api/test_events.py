"""Reading the event store: `GET /api/v1/admin/events/` (shape, filters, keyset
pagination, permissions)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics.models import Event
from tests.factories import AuthorFactory, EventFactory
from tests.helpers import assert_problem, client_for, ids

pytestmark = pytest.mark.django_db

URL = "/api/v1/admin/events/"
FIELDS = {
    "id", "type", "occurred_at", "actor", "aggregate_type", "aggregate_id", "data", "request_id",
}  # fmt: skip


# --- shape and order --------------------------------------------------------------------


def test_admin_lists_events_newest_first_with_the_documented_fields(admin_client_api, author):
    older = EventFactory(
        type="post.published",
        ago=timedelta(hours=1),
        actor=author,
        aggregate_id="42",
        data={"slug": "hello", "published_at": "2026-01-01T00:00:00+00:00", "author_id": 3},
        request_id="req-1",
    )
    newer = EventFactory(type="post.published", aggregate_id="43", data={"slug": "x"})

    response = admin_client_api.get(URL)

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) >= {"next", "previous", "results"}
    assert ids(response) == [str(newer.pk), str(older.pk)]
    item = body["results"][1]
    assert set(item) == FIELDS
    assert item == {
        "id": str(older.pk),
        "type": "post.published",
        "occurred_at": older.occurred_at.isoformat().replace("+00:00", "Z"),
        "actor": author.username,
        "aggregate_type": "post",
        "aggregate_id": "42",
        "data": {"slug": "hello", "published_at": "2026-01-01T00:00:00+00:00", "author_id": 3},
        "request_id": "req-1",
    }
    assert body["results"][0]["actor"] is None  # the scheduler, or a deleted user


def test_events_of_real_requests_are_listed(admin_client_api, author):
    client_for(author).post(
        "/api/v1/posts/", {"title": "T", "body": "B"}, HTTP_X_REQUEST_ID="abc-123"
    )

    results = admin_client_api.get(URL).json()["results"]
    assert [(r["type"], r["actor"], r["request_id"]) for r in results] == [
        ("post.created", author.username, "abc-123")
    ]


# --- permissions ------------------------------------------------------------------------


@pytest.mark.parametrize("role_client", ["editor_client", "author_client", "reader_client"])
def test_only_admins_may_read_the_event_store(request, role_client):
    EventFactory()
    assert_problem(request.getfixturevalue(role_client).get(URL), 403, "permission_denied")


def test_anonymous_is_401(anon_client):
    assert_problem(anon_client.get(URL), 401, "not_authenticated")


# --- filters ----------------------------------------------------------------------------


def test_filter_by_type_one_or_several(admin_client_api):
    created = EventFactory(type="post.created")
    deleted = EventFactory(type="post.deleted")
    EventFactory(type="comment.created")

    assert ids(admin_client_api.get(URL, {"type": "post.created"})) == [str(created.pk)]
    both = admin_client_api.get(URL + "?type=post.created&type=post.deleted")
    assert set(ids(both)) == {str(created.pk), str(deleted.pk)}


def test_filter_by_actor_username(admin_client_api, author, editor):
    mine = EventFactory(actor=author)
    EventFactory(actor=editor)
    EventFactory()

    assert ids(admin_client_api.get(URL, {"actor": author.username})) == [str(mine.pk)]
    assert ids(admin_client_api.get(URL, {"actor": "nobody-at-all"})) == []


def test_filter_by_aggregate(admin_client_api):
    post_7 = EventFactory(type="post.updated", aggregate_id="7")
    EventFactory(type="post.updated", aggregate_id="8")
    comment_7 = EventFactory(type="comment.created", aggregate_id="7")

    only_posts = admin_client_api.get(URL, {"aggregate_type": "post", "aggregate_id": "7"})
    assert ids(only_posts) == [str(post_7.pk)]
    by_id = admin_client_api.get(URL, {"aggregate_id": "7"})
    assert set(ids(by_id)) == {str(post_7.pk), str(comment_7.pk)}


def test_filter_by_time_range(admin_client_api):
    now = timezone.now()
    EventFactory(ago=timedelta(days=3))
    inside = EventFactory(ago=timedelta(days=2))
    EventFactory(ago=timedelta(hours=1))

    since = (now - timedelta(days=2, hours=1)).isoformat()
    until = (now - timedelta(days=1)).isoformat()
    response = admin_client_api.get(URL, {"since": since, "until": until})
    assert ids(response) == [str(inside.pk)]


def test_since_is_inclusive_and_until_exclusive(admin_client_api):
    event = EventFactory()
    at = event.occurred_at.isoformat()

    assert ids(admin_client_api.get(URL, {"since": at})) == [str(event.pk)]
    assert ids(admin_client_api.get(URL, {"until": at})) == []


def test_a_date_alone_is_midnight_utc(admin_client_api):
    event = EventFactory()
    today = event.occurred_at.date().isoformat()
    assert ids(admin_client_api.get(URL, {"since": today})) == [str(event.pk)]
    assert ids(admin_client_api.get(URL, {"until": today})) == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"type": "post.exploded"}, "type"),
        ({"aggregate_type": "planet"}, "aggregate_type"),
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-13-45"}, "until"),
        ({"since": "2026-02-01", "until": "2026-01-01"}, "until"),
    ],
)
def test_bad_filters_are_400(admin_client_api, params, field):
    body = assert_problem(admin_client_api.get(URL, params), 400, "validation_error")
    assert field in body["fields"]


# --- keyset pagination ------------------------------------------------------------------


def _walk(client, url, params=None):
    """Every page from `url`, following `next`; returns the ids in order, and the pages."""
    seen, pages = [], 0
    response = client.get(url, params)
    while True:
        assert response.status_code == 200, response.content
        pages += 1
        seen += ids(response)
        next_url = response.json()["next"]
        if not next_url:
            return seen, pages
        assert "cursor=" in next_url
        response = client.get(next_url)


def test_pages_walk_every_event_once_newest_first(admin_client_api):
    events = [EventFactory(ago=timedelta(minutes=n)) for n in range(25)]

    seen, pages = _walk(admin_client_api, URL, {"page_size": 10})

    assert pages == 3
    assert seen == [str(e.pk) for e in events]  # created newest first


def test_events_at_the_same_instant_are_neither_lost_nor_repeated(admin_client_api):
    moment = timezone.now()
    same = [EventFactory() for _ in range(5)]
    Event.objects.filter(pk__in=[e.pk for e in same]).update(occurred_at=moment)

    seen, _ = _walk(admin_client_api, URL, {"page_size": 2})

    assert sorted(seen) == sorted(str(e.pk) for e in same)


def test_filters_are_kept_across_pages(admin_client_api):
    wanted = [EventFactory(type="post.deleted", ago=timedelta(minutes=n)) for n in range(3)]
    EventFactory(type="post.created")

    seen, pages = _walk(admin_client_api, URL, {"type": "post.deleted", "page_size": 1})

    assert pages == 3
    assert seen == [str(e.pk) for e in wanted]


def test_previous_goes_back(admin_client_api):
    for n in range(4):
        EventFactory(ago=timedelta(minutes=n))
    first = admin_client_api.get(URL, {"page_size": 2})
    second = admin_client_api.get(first.json()["next"])

    back = admin_client_api.get(second.json()["previous"])

    assert ids(back) == ids(first)


def test_page_size_is_capped(admin_client_api):
    for n in range(105):
        EventFactory(aggregate_id=str(n))
    assert len(ids(admin_client_api.get(URL, {"page_size": 500}))) == 100


def test_a_page_costs_the_same_number_of_queries_whatever_its_length(admin_client_api):
    authors = AuthorFactory.create_batch(3)

    def queries_for(count):
        Event.objects.all().delete()
        for n in range(count):
            EventFactory(actor=authors[n % 3], ago=timedelta(seconds=n))
        with CaptureQueriesContext(connection) as captured:
            response = admin_client_api.get(URL)
        assert len(ids(response)) == count
        return len(captured)

    assert queries_for(2) == queries_for(20)

"""Redirects served by the 404 fallback (blog.middleware): from the cache with no query,
hits counted in Redis and flushed, through a Redis outage from the database, never to
another host; and the services' rules (loops, duplicates, events)."""

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from blog import redirect_hits
from blog.models import Redirect
from blog.services.redirects import (
    redirect_create,
    redirect_delete,
    redirect_ensure,
    redirect_hits_flush,
)
from blog.tasks import flush_redirect_hits
from config.errors import InvalidInput
from tasks.models import JobRecord, JobStatus
from tests.factories import DraftPostFactory, PostFactory
from tests.helpers import assert_event, only

SITE = "https://blog.example.com"


def serving(test):
    """Committed for real: the cache is invalidated after commit."""
    return pytest.mark.cached_reads(pytest.mark.django_db(transaction=True)(test))


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


def get(path: str, **extra):
    return Client().get(path, **extra)


def stored_hits(redirect: Redirect) -> int:
    return Redirect.objects.values_list("hits", flat=True).get(pk=redirect.pk)


# --- serving --------------------------------------------------------------------------


@serving
def test_an_old_path_answers_its_redirect_with_the_query_string_kept():
    redirect_create(old_path="/2019/05/hello-world/", target="/posts/hello-world/")
    redirect_create(old_path="/about-us", target=f"{SITE}/pages/about/", status_code=308)

    response = get("/2019/05/hello-world/", QUERY_STRING="utm_source=feed&page=2")
    assert response.status_code == 301
    assert response["Location"] == "/posts/hello-world/?utm_source=feed&page=2"
    response = get("/about-us/")
    assert response.status_code == 308
    assert response["Location"] == f"{SITE}/pages/about/"
    assert Client().head("/about-us").status_code == 308


@serving
@pytest.mark.parametrize(
    "path", ["/2019/05/Hello-World/", "/2019/05/hello-world", "/2019//05/hello-world/"]
)
def test_case_slashes_and_trailing_slash_do_not_matter(path):
    redirect_create(old_path="/2019/05/hello-world/", target="/new/")
    assert get(path)["Location"] == "/new/"


@serving
def test_a_percent_encoded_old_path_matches_the_request_either_way():
    redirect_create(old_path="/%CE%B5%CE%BB%CE%BB%CE%B7%CE%BD%CE%B9%CE%BA%CE%AC/", target="/gr/")
    assert get("/%CE%B5%CE%BB%CE%BB%CE%B7%CE%BD%CE%B9%CE%BA%CE%AC/")["Location"] == "/gr/"
    assert get("/%CE%95%CE%BB%CE%BB%CE%B7%CE%BD%CE%B9%CE%BA%CE%AC")["Location"] == "/gr/"
    redirect_create(old_path="/100%2541/", target="/sale/")  # a literal %
    assert get("/100%2541/")["Location"] == "/sale/"
    assert get("/100a/").status_code == 404


@serving
def test_a_live_page_wins_and_other_methods_the_api_and_files_keep_their_404():
    post = PostFactory(slug="live")
    draft = DraftPostFactory(slug="not-yet")
    redirect_create(old_path=f"/posts/{post.slug}/", target="/elsewhere/")
    redirect_create(old_path=f"/posts/{draft.slug}/", target="/elsewhere/")
    redirect_create(old_path="/api/v1/old/", target="/elsewhere/")
    redirect_create(old_path="/form/", target="/elsewhere/")
    redirect_create(old_path="/static/gone.css", target="/elsewhere/")
    redirect_create(old_path="/media/gone.png", target="/elsewhere/")

    assert get(f"/posts/{post.slug}/").status_code == 200
    assert get(f"/posts/{draft.slug}/").status_code == 301  # a view's Http404 falls back too
    assert get("/api/v1/old/").status_code == 404
    assert get("/static/gone.css").status_code == 404
    assert get("/media/gone.png").status_code == 404
    assert Client().post("/form/").status_code != 301


@serving
def test_a_row_pointing_to_another_host_is_not_served():
    # Not through the services (they refuse it): a row is data, checked again at serve time.
    for i, target in enumerate(["//evil.com", "http://evil", "/\\evil.com", "https://evil.com/"]):
        Redirect.objects.create(old_path=f"/bad{i}", target=target)
        response = get(f"/bad{i}")
        assert response.status_code == 404
        assert "Location" not in response


@serving
def test_a_cached_redirect_and_a_cached_miss_cost_no_query():
    redirect = redirect_create(old_path="/old/", target="/new/")
    assert get("/old/").status_code == 301  # cached from here on
    assert get("/nothing-here/").status_code == 404

    for path, status in (("/old/", 301), ("/OLD", 301), ("/nothing-here/", 404)):
        with CaptureQueriesContext(connection) as queries:
            assert get(path).status_code == status
        assert len(queries) == 0, [q["sql"] for q in queries]
    assert redirect_hits.redirect_hits_pending() == {redirect.pk: 3}


@serving
def test_a_new_or_deleted_redirect_is_seen_at_once_despite_the_cached_miss():
    assert get("/later/").status_code == 404  # a miss, cached
    redirect = redirect_create(old_path="/later/", target="/now/")
    assert get("/later/").status_code == 301
    redirect_delete(redirect=redirect)
    assert get("/later/").status_code == 404


# --- hits -----------------------------------------------------------------------------


@serving
def test_hits_are_counted_in_redis_and_flushed_by_the_job():
    first = redirect_create(old_path="/a/", target="/x/")
    second = redirect_create(old_path="/b/", target="/x/")
    for path in ["/a/", "/a", "/A/", "/b/"]:
        get(path)

    assert (stored_hits(first), stored_hits(second)) == (0, 0)
    assert redirect_hits.redirect_hits_pending() == {first.pk: 3, second.pk: 1}
    result = flush_redirect_hits.delay()
    assert result.get() == 4
    record = JobRecord.objects.get(pk=result.id)
    assert record.status == JobStatus.COMPLETED and record.queue == "low"
    # Run by the beat every minute, on the low queue.
    schedule = [
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == flush_redirect_hits.name
    ]
    assert schedule and schedule[0]["schedule"] <= 60
    assert settings.CELERY_TASK_ROUTES[flush_redirect_hits.name] == {"queue": "low"}
    assert (stored_hits(first), stored_hits(second)) == (3, 1)
    assert redirect_hits.redirect_hits_pending() == {}

    get("/a/")
    assert redirect_hits_flush() == 1
    assert stored_hits(first) == 4
    assert redirect_hits_flush() == 0


@serving
def test_hits_a_dead_flush_left_staged_are_applied_by_the_next():
    redirect = redirect_create(old_path="/a/", target="/x/")
    get("/a/")
    assert redirect_hits.redirect_hits_stage() == {redirect.pk: 1}  # then the flush died
    get("/a/")  # into a fresh pending hash

    assert redirect_hits_flush() == 1  # the staged batch first
    assert redirect_hits_flush() == 1
    assert stored_hits(redirect) == 2


@serving
def test_with_redis_down_redirects_are_served_from_the_database_and_hits_stored(redis_down):
    redirect = redirect_create(old_path="/old/", target="/new/")
    assert get("/old/")["Location"] == "/new/"
    assert get("/old/").status_code == 301
    assert get("/missing/").status_code == 404
    assert stored_hits(redirect) == 2  # at once: there is no counter to flush
    with pytest.raises(redirect_hits.HitCounterUnavailable):
        redirect_hits_flush()


# --- rules and events -----------------------------------------------------------------


@pytest.mark.django_db
def test_loops_are_refused():
    with pytest.raises(InvalidInput) as self_loop:
        redirect_create(old_path="/a/", target="/A")
    assert self_loop.value.fields == {"target": [self_loop.value.message]}

    redirect_create(old_path="/a/", target="/b/")
    with pytest.raises(InvalidInput):
        redirect_create(old_path="/b", target="/a/?x=1")
    redirect_create(old_path="/b/", target="/c/")
    with pytest.raises(InvalidInput):
        redirect_create(old_path="/c/", target=f"{SITE}/a")
    redirect_create(old_path="/c/", target="/d/")  # a chain, not a loop
    assert Redirect.objects.count() == 3


@pytest.mark.django_db
def test_another_host_a_duplicate_or_a_bad_code_are_refused():
    redirect_create(old_path="/a/", target="/b/")
    for kwargs, field in [
        ({"old_path": "/A", "target": "/c/"}, "old_path"),
        ({"old_path": "/x/", "target": "//evil.com"}, "target"),
        ({"old_path": "/x/", "target": "https://evil.com/"}, "target"),
        ({"old_path": "/x/", "target": "/\\evil.com"}, "target"),
        ({"old_path": "https://old.example.com/x/", "target": "/c/"}, "old_path"),
        ({"old_path": "/x/", "target": "/c/", "status_code": 303}, "status_code"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            redirect_create(**kwargs)
        assert set(refused.value.fields) == {field}
    assert Redirect.objects.count() == 1


def test_creating_and_deleting_publish_their_events(events, editor):
    redirect = redirect_create(old_path="/Old/", target="/new/", status_code=302, actor=editor)
    assert_event(
        only(events, "redirect.created"),
        "redirect.created",
        aggregate_id=redirect.pk,
        actor=editor,
        data={"old_path": "/old", "target": "/new/", "status_code": 302},
    )
    events.mark()
    redirect_id = redirect.pk
    redirect_delete(redirect=redirect, actor=editor)
    assert_event(
        only(events, "redirect.deleted"),
        "redirect.deleted",
        aggregate_id=redirect_id,
        actor=editor,
        data={"old_path": "/old"},
    )


def test_an_import_run_again_creates_nothing(events):
    first, created = redirect_ensure(old_path="/2019/05/Hello/", target="/posts/hello/")
    assert created
    again, created_again = redirect_ensure(old_path="/2019/05/hello", target="/posts/other/")
    assert (again.pk, again.target, created_again) == (first.pk, "/posts/hello/", False)
    assert events.types() == ["redirect.created"]
    literal, _ = redirect_ensure(old_path="/100%2541/", target="/sale/")
    assert literal.old_path == "/100%41"
    with pytest.raises(InvalidInput):
        redirect_ensure(old_path="/x/", target="https://evil.com/")

"""The post view counter: views in Redis, flushed into the database, exact.

Against the real Redis of the test settings; "Redis down" is a django-redis cache on a
port where nothing listens.
"""

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import Client

from analytics import counters
from analytics.models import ConsumedEvent, PostDailyStats, SiteDailyStats
from analytics.schedule import BEAT_SCHEDULE, TASK_ROUTES
from analytics.services import VIEW_FLUSH_CONSUMER, post_view_count, view_counts_flush
from analytics.tasks import flush_view_counts
from blog.models import Post
from tasks.models import JobRecord, JobStatus
from tests.factories import DraftPostFactory, PostFactory
from tests.helpers import client_for, post_url, today


@pytest.fixture(autouse=True)
def _redis_counter(settings):
    if not counters.view_counter_enabled():
        pytest.skip("the view counter needs the django-redis cache (REDIS_URL)")


def stored(post):
    return Post.objects.get(pk=post.pk).view_count


def daily_views(post, day=None):
    row = PostDailyStats.objects.filter(post=post, date=day or today()).first()
    return row.views if row else 0


def site_views(day=None):
    row = SiteDailyStats.objects.filter(date=day or today()).first()
    return row.views if row else 0


def run_in_threads(target, n_threads):
    """Start n threads on `target(i)`, wait for them; re-raise the first error."""
    errors = []

    def run(i):
        try:
            target(i)
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    if errors:
        raise errors[0]


# --- Redis up ------------------------------------------------------------------------------


def test_concurrent_http_views_are_counted_exactly_after_the_flush(transactional_db):
    post = PostFactory()
    threads, per_thread = 8, 6
    seen = []

    def view(_):
        client = Client()
        for _ in range(per_thread):
            response = client.get(post_url(post.slug))
            assert response.status_code == 200
            seen.append(response.json()["view_count"])

    run_in_threads(view, threads)
    total = threads * per_thread

    # Counted in Redis, not in the database...
    assert stored(post) == 0
    assert daily_views(post) == 0
    assert counters.view_pending_get(post_id=post.pk, today=today()) == total
    # ...and every response showed the stored count plus the pending views.
    assert len(seen) == total and max(seen) == total and min(seen) >= 1

    assert view_counts_flush() == {"batches": 1, "views": total}
    assert stored(post) == total
    assert daily_views(post) == total
    assert site_views() == total
    assert counters.view_pending_get(post_id=post.pk, today=today()) == 0
    # Nothing left: a second flush changes nothing.
    assert view_counts_flush() == {"batches": 0, "views": 0}
    assert stored(post) == total


def test_views_counted_while_flushes_run_are_all_counted_once(transactional_db):
    """Views keep coming while two flushes run in a loop: each counted exactly once."""
    posts = [PostFactory(), PostFactory()]
    threads, per_thread = 6, 150
    done, flushed_some = threading.Event(), threading.Event()
    flushes = []

    def count(i):
        for n in range(per_thread):
            if n == per_thread // 2:
                # Half-way, wait for a flush to have moved views: the rest race the flushes.
                assert flushed_some.wait(timeout=30)
            post_view_count(post_id=posts[i % 2].pk)

    def flush_until_done():
        try:
            while not done.is_set():
                flushes.append(view_counts_flush())
                if flushes[-1]["views"]:
                    flushed_some.set()
        finally:
            connections.close_all()

    # Two flushers, as when the beat's job and an operator's command overlap.
    flushers = [threading.Thread(target=flush_until_done) for _ in range(2)]
    for flusher in flushers:
        flusher.start()
    try:
        run_in_threads(count, threads)
    finally:
        done.set()
        for flusher in flushers:
            flusher.join(timeout=60)
    view_counts_flush()

    assert len([f for f in flushes if f["views"]]) >= 1
    for post in posts:
        assert stored(post) == threads // 2 * per_thread
        assert daily_views(post) == threads // 2 * per_thread
    assert site_views() == threads * per_thread


def test_the_detail_shows_stored_plus_pending_views(db):
    post = PostFactory()
    client = Client()
    for _ in range(3):
        client.get(post_url(post.slug))
    view_counts_flush()
    assert stored(post) == 3

    assert client.get(post_url(post.slug)).json()["view_count"] == 4
    assert client.get(post_url(post.slug)).json()["view_count"] == 5
    assert stored(post) == 3
    # The list shows the stored count.
    listed = client.get("/api/v1/posts/").json()["results"]
    assert [p["view_count"] for p in listed if p["slug"] == post.slug] == [3]


def test_drafts_count_no_view(db, author):
    post = DraftPostFactory(author=author)
    assert client_for(author).get(post_url(post.slug)).json()["view_count"] == 0
    assert counters.view_pending_get(post_id=post.pk, today=today()) == 0


def test_views_land_on_their_day(db):
    post = PostFactory()
    yesterday = today() - timedelta(days=1)
    post_view_count(post_id=post.pk, day=yesterday, views=2)
    post_view_count(post_id=post.pk)

    assert view_counts_flush() == {"batches": 2, "views": 3}
    assert daily_views(post, yesterday) == 2
    assert daily_views(post) == 1
    assert site_views(yesterday) == 2 and site_views() == 1
    assert stored(post) == 3


def test_a_flush_of_many_posts_adds_each_its_own_views(db, monkeypatch):
    from analytics import services

    monkeypatch.setattr(services, "_CHUNK", 2)  # three chunks of updates
    posts = PostFactory.create_batch(5, view_count=10)
    for n, post in enumerate(posts, 1):
        post_view_count(post_id=post.pk, views=n)

    assert view_counts_flush() == {"batches": 1, "views": 15}

    assert [stored(post) for post in posts] == [11, 12, 13, 14, 15]
    assert [daily_views(post) for post in posts] == [1, 2, 3, 4, 5]
    assert site_views() == 15


def test_a_post_deleted_before_the_flush_is_skipped(db):
    kept, gone = PostFactory(), PostFactory()
    post_view_count(post_id=kept.pk, views=2)
    post_view_count(post_id=gone.pk, views=5)
    gone.delete()

    assert view_counts_flush()["views"] == 2
    assert stored(kept) == 2
    assert not PostDailyStats.objects.filter(post_id=gone.pk).exists()


def test_a_flush_that_dies_before_applying_loses_nothing(db):
    post = PostFactory()
    post_view_count(post_id=post.pk, views=4)
    staged = counters.view_batches_stage()  # ...and the process dies here
    assert len(staged) == 1
    post_view_count(post_id=post.pk, views=3)  # views go on meanwhile, into a new hash

    assert view_counts_flush() == {"batches": 2, "views": 7}
    assert stored(post) == 7 and daily_views(post) == 7


def test_a_flush_that_dies_after_applying_counts_nothing_twice(db, monkeypatch):
    post = PostFactory()
    post_view_count(post_id=post.pk, views=4)

    def die(key):
        raise SystemExit("killed between the commit and the drop")

    monkeypatch.setattr(counters, "view_batch_drop", die)
    with pytest.raises(SystemExit):
        view_counts_flush()
    assert stored(post) == 4  # applied and committed; the batch is still in Redis
    monkeypatch.undo()

    post_view_count(post_id=post.pk, views=1)
    assert view_counts_flush() == {"batches": 2, "views": 1}
    assert stored(post) == 5 and daily_views(post) == 5 and site_views() == 5
    assert ConsumedEvent.objects.filter(consumer=VIEW_FLUSH_CONSUMER).count() == 2
    assert counters.view_batches_stage() == []


def test_the_flush_job_is_recorded_and_scheduled(db):
    post = PostFactory()
    post_view_count(post_id=post.pk, views=2)

    result = flush_view_counts.delay()
    assert result.get() == {"batches": 1, "views": 2}
    record = JobRecord.objects.get(pk=result.id)
    assert record.status == JobStatus.COMPLETED and record.queue == "low"
    assert stored(post) == 2

    schedule = [e for e in BEAT_SCHEDULE.values() if e["task"] == "analytics.flush_view_counts"]
    assert schedule and schedule[0]["schedule"] <= 60
    assert TASK_ROUTES["analytics.flush_view_counts"] == {"queue": "low"}


def test_the_flush_command(db, capsys):
    post = PostFactory()
    post_view_count(post_id=post.pk, views=3)
    call_command("flush_view_counts")
    assert "Flushed 3 view(s)" in capsys.readouterr().out
    assert stored(post) == 3


# --- Redis down, or not the cache -------------------------------------------------------------


def test_with_redis_down_views_are_counted_in_the_database(transactional_db, redis_down):
    post = PostFactory()
    client = Client()

    response = client.get(post_url(post.slug))
    assert response.status_code == 200
    assert response.json()["view_count"] == 1
    assert stored(post) == 1  # at once, no flush needed
    assert client.get(post_url(post.slug)).json()["view_count"] == 2

    threads, per_thread = 4, 10
    run_in_threads(lambda _: [post_view_count(post_id=post.pk) for _ in range(per_thread)], threads)

    total = 2 + threads * per_thread
    assert stored(post) == total
    assert daily_views(post) == total
    assert site_views() == total
    with pytest.raises(counters.CounterUnavailable):
        view_counts_flush()


def test_without_a_redis_cache_views_are_counted_in_the_database(db, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    post = PostFactory()

    assert post_view_count(post_id=post.pk) == "database"
    assert Client().get(post_url(post.slug)).json()["view_count"] == 2
    assert stored(post) == 2 and daily_views(post) == 2
    assert view_counts_flush() == {"batches": 0, "views": 0}

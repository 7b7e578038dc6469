"""The post detail as a selector and a service: `post_detail_read` (cache, visibility,
ETag, 304) and `post_detail_visit` (the read, the view counted, the live count), and the
port through which the blog reads live view counts without importing analytics."""

import pytest
from django.utils import timezone

from analytics import counters
from analytics.selectors import post_view_count_live_of
from blog.selectors import view_counts
from blog.selectors.posts import post_etag
from blog.selectors.public_reads import PostDetail, post_detail_read
from blog.services.post_views import post_detail_visit
from tests.factories import (
    AuthorFactory,
    DraftPostFactory,
    EditorFactory,
    PostFactory,
    ReaderFactory,
)

KEY = "test-detail-key"


class Renders:
    """A render that records the posts it rendered."""

    def __init__(self):
        self.posts = []

    def __call__(self, post):
        self.posts.append(post.pk)
        return {"slug": post.slug, "title": post.title, "view_count": post.view_count}


def read(slug, user=None, if_none_match=None, render=None, key=KEY):
    return post_detail_read(
        slug=slug,
        user=user,
        if_none_match=if_none_match,
        cache_key=key,
        render=render or Renders(),
    )


def visit(slug, user=None, if_none_match=None, count_view=True, key=KEY):
    return post_detail_visit(
        slug=slug,
        user=user,
        if_none_match=if_none_match,
        cache_key=key,
        render=Renders(),
        count_view=count_view,
    )


def pending(post):
    return counters.view_pending_get(post_id=post.pk, today=timezone.now().date())


@pytest.fixture
def redis_counter():
    if not counters.view_counter_enabled():
        pytest.skip("the view counter needs the django-redis cache (REDIS_URL)")


# --- post_detail_read ---------------------------------------------------------------------


def test_a_published_post_is_read_with_its_tag_and_is_a_view(db):
    post = PostFactory(title="Hello")
    detail = read(post.slug)
    assert isinstance(detail, PostDetail)
    assert detail.data["title"] == "Hello"
    assert detail.etag == post_etag(post)
    assert not detail.not_modified
    assert detail.viewed_post_id == post.pk


@pytest.mark.parametrize("header", ["{etag}", "W/{etag}", '"other", {etag}', "*"])
def test_the_callers_tag_gives_not_modified(db, header):
    post = PostFactory()
    render = Renders()
    etag = post_etag(post)
    detail = read(post.slug, if_none_match=header.format(etag=etag), render=render)
    assert detail == PostDetail(etag=etag, not_modified=True)
    assert detail.viewed_post_id is None  # a 304 is not a view
    assert detail.data is None


def test_a_stale_tag_gives_the_data(db):
    post = PostFactory()
    detail = read(post.slug, if_none_match='"stale"')
    assert detail.data is not None and not detail.not_modified


def test_no_such_post_is_none(db):
    assert read("nope") is None


def test_a_draft_is_for_its_author_and_editors_only_and_never_a_view(db):
    author = AuthorFactory()
    post = DraftPostFactory(author=author)
    assert read(post.slug) is None
    assert read(post.slug, user=ReaderFactory()) is None
    assert read(post.slug, user=AuthorFactory()) is None
    for user in (author, EditorFactory()):
        detail = read(post.slug, user=user)
        assert detail.data["slug"] == post.slug
        assert detail.etag == post_etag(post)
        assert detail.viewed_post_id is None


def test_a_drafts_304_renders_nothing(db):
    author = AuthorFactory()
    post = DraftPostFactory(author=author)
    render = Renders()
    detail = read(post.slug, user=author, if_none_match=post_etag(post), render=render)
    assert detail.not_modified
    assert render.posts == []


@pytest.mark.cached_reads
@pytest.mark.django_db(transaction=True)
def test_a_cached_read_and_its_304_run_no_query_and_render_nothing(django_assert_num_queries):
    post = PostFactory()
    first = read(post.slug)
    render = Renders()
    with django_assert_num_queries(0):
        hit = read(post.slug, render=render)
        not_modified = read(post.slug, if_none_match=first.etag, render=render)
    assert hit == first
    assert not_modified == PostDetail(etag=first.etag, not_modified=True)
    assert render.posts == []


@pytest.mark.cached_reads
@pytest.mark.django_db(transaction=True)
def test_a_draft_is_never_cached():
    author = AuthorFactory()
    post = DraftPostFactory(author=author)
    for _ in range(2):
        render = Renders()
        assert read(post.slug, user=author, render=render).data["slug"] == post.slug
        assert render.posts == [post.pk]


# --- post_detail_visit --------------------------------------------------------------------


def test_a_visit_counts_one_view_and_shows_it(db, redis_counter):
    post = PostFactory(view_count=10)
    detail = visit(post.slug)
    assert pending(post) == 1
    assert detail.data["view_count"] == 11
    assert visit(post.slug).data["view_count"] == 12


def test_a_visit_without_counting_shows_the_pending_views(db, redis_counter):
    post = PostFactory(view_count=10)
    visit(post.slug)
    detail = visit(post.slug, count_view=False)  # a HEAD
    assert pending(post) == 1
    assert detail.data["view_count"] == 11


def test_a_304_visit_counts_nothing(db, redis_counter):
    post = PostFactory()
    etag = visit(post.slug).etag
    detail = visit(post.slug, if_none_match=etag)
    assert detail.not_modified and detail.data is None
    assert pending(post) == 1


def test_a_visit_of_a_draft_counts_nothing_and_shows_the_stored_count(db, redis_counter):
    author = AuthorFactory()
    post = DraftPostFactory(author=author, view_count=4)
    assert visit(post.slug, user=author).data["view_count"] == 4
    assert pending(post) == 0
    assert visit(post.slug) is None


# --- the live view count port -------------------------------------------------------------


def test_analytics_registers_the_live_view_count_reader():
    assert view_counts._reader is post_view_count_live_of


def test_without_a_reader_the_stored_count_is_the_live_count(db, monkeypatch, redis_counter):
    monkeypatch.setattr(view_counts, "_reader", None)
    post = PostFactory(view_count=7)
    assert view_counts.post_view_count_live_read(post_id=post.pk, stored=7) == 7
    assert visit(post.slug).data["view_count"] == 7


def test_a_registered_reader_gives_the_live_count(monkeypatch):
    calls = []

    def reader(*, post_id, stored, just_counted=False):
        calls.append((post_id, stored, just_counted))
        return stored + 100

    monkeypatch.setattr(view_counts, "_reader", None)
    view_counts.post_view_count_reader_register(reader)
    assert view_counts.post_view_count_live_read(post_id=1, stored=2, just_counted=True) == 102
    assert calls == [(1, 2, True)]

"""Lists of posts over HTTP: cursor pagination, filters and ordering, the status lists of
drafts and others, full-text search ranking (PostgreSQL) and query-count budgets."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from blog.models import Post, PostStatus
from tests.factories import (
    AuthorFactory,
    CategoryFactory,
    DraftPostFactory,
    PostFactory,
    TagFactory,
)
from tests.helpers import assert_validation_error, client_for, make_post, post_url, slugs

pytestmark = pytest.mark.django_db

POSTS = "/api/v1/posts/"


# --- cursor pagination ---------------------------------------------------------------------


def walk(client, url, params):
    """Every page of a cursor-paginated list: (items, pages)."""
    pages = []
    response = client.get(url, params)
    while True:
        assert response.status_code == 200, response.content[:500]
        body = response.json()
        assert set(body) == {"next", "previous", "results"}
        pages.append(body)
        if not body["next"]:
            return [item for page in pages for item in page["results"]], pages
        response = client.get(body["next"])


@pytest.fixture
def published_posts():
    """23 published posts, some sharing a `published_at` (ties must not break pages)."""
    base = timezone.now() - timedelta(days=30)
    posts = []
    for i in range(23):
        when = base + timedelta(hours=i // 3)  # groups of three share a time
        posts.append(PostFactory(published_at=when, view_count=i % 4, comment_count=i % 5))
    return posts


def test_cursor_pagination_walks_every_post_once(anon_client, published_posts):
    items, pages = walk(anon_client, POSTS, {"page_size": 5})
    ids = [item["id"] for item in items]
    expected = [
        p.pk for p in sorted(published_posts, key=lambda p: (p.published_at, p.pk), reverse=True)
    ]
    assert ids == expected
    assert len(set(ids)) == 23
    assert [len(page["results"]) for page in pages] == [5, 5, 5, 5, 3]
    assert pages[0]["previous"] is None
    assert all(page["previous"] for page in pages[1:])
    assert all(page["next"] for page in pages[:-1])
    assert "cursor=" in pages[0]["next"]
    assert "page_size=5" in pages[0]["next"]
    assert "body" not in items[0] and "body_html" not in items[0]


def test_cursor_previous_returns_the_page_before(anon_client, published_posts):
    _, pages = walk(anon_client, POSTS, {"page_size": 4})
    for before, page in zip(pages, pages[1:], strict=False):
        back = anon_client.get(page["previous"]).json()
        assert [i["id"] for i in back["results"]] == [i["id"] for i in before["results"]]


@pytest.mark.parametrize("ordering", ["published_at", "-view_count", "-comment_count"])
def test_cursor_pagination_with_each_ordering(anon_client, published_posts, ordering):
    items, _ = walk(anon_client, POSTS, {"page_size": 4, "ordering": ordering})
    everything = anon_client.get(POSTS, {"page_size": 100, "ordering": ordering}).json()
    assert [i["id"] for i in items] == [i["id"] for i in everything["results"]]
    assert len({i["id"] for i in items}) == 23


def test_page_size_default_and_maximum(anon_client):
    PostFactory.create_batch(105)
    assert len(anon_client.get(POSTS).json()["results"]) == 20
    assert len(anon_client.get(POSTS, {"page_size": 7}).json()["results"]) == 7
    body = anon_client.get(POSTS, {"page_size": 1000}).json()
    assert len(body["results"]) == 100
    assert body["next"]


def test_an_invalid_cursor_is_a_problem(anon_client, published_posts):
    response = anon_client.get(POSTS, {"cursor": "not-a-cursor"})
    assert 400 <= response.status_code < 500
    assert response["Content-Type"].startswith("application/problem+json")


# --- filters and ordering ------------------------------------------------------------------


def test_filter_by_category_tag_and_author(anon_client):
    news, sport = CategoryFactory(slug="news"), CategoryFactory(slug="sport")
    python, rust = TagFactory(slug="python", name="python"), TagFactory(slug="rust", name="rust")
    alice, bob = AuthorFactory(username="alice"), AuthorFactory(username="bob")
    a = PostFactory(slug="a", author=alice, category=news, tags=[python])
    b = PostFactory(slug="b", author=bob, category=sport, tags=[python, rust])
    c = PostFactory(slug="c", author=alice, category=None, tags=[rust])
    DraftPostFactory(slug="draft", author=alice, category=news, tags=[python])
    del a, b, c

    assert sorted(slugs(anon_client.get(POSTS, {"category": "news"}))) == ["a"]
    assert sorted(slugs(anon_client.get(POSTS, {"category": "sport"}))) == ["b"]
    assert slugs(anon_client.get(POSTS, {"category": "nothing"})) == []
    assert sorted(slugs(anon_client.get(POSTS, {"tag": "python"}))) == ["a", "b"]
    assert sorted(slugs(anon_client.get(POSTS, {"tag": "rust"}))) == ["b", "c"]
    assert sorted(slugs(anon_client.get(POSTS, {"author": "alice"}))) == ["a", "c"]
    assert sorted(slugs(anon_client.get(POSTS, {"author": "nobody"}))) == []
    assert slugs(anon_client.get(POSTS, {"author": "alice", "tag": "rust"})) == ["c"]
    assert slugs(anon_client.get(POSTS, {"category": "news", "tag": "rust"})) == []


def test_filter_by_published_dates(anon_client):
    for slug, day in (("jan", 10), ("feb", 40), ("mar", 70)):
        PostFactory(slug=slug, published_at=datetime(2024, 1, 1, 12, tzinfo=UTC) + timedelta(day))
    # Dates and datetimes (with an offset, which must survive URL encoding).
    assert slugs(anon_client.get(POSTS, {"published_after": "2024-02-01"})) == ["mar", "feb"]
    assert slugs(anon_client.get(POSTS, {"published_before": "2024-02-28"})) == ["feb", "jan"]
    assert slugs(
        anon_client.get(POSTS, {"published_after": "2024-02-01", "published_before": "2024-02-28"})
    ) == ["feb"]
    assert slugs(anon_client.get(POSTS, {"published_after": "2024-03-11T00:00:00+00:00"})) == [
        "mar"
    ]
    assert slugs(anon_client.get(POSTS, {"published_before": "2024-01-01T00:00:00Z"})) == []


@pytest.mark.parametrize(
    "params",
    [
        {"published_after": "yesterday"},
        {"published_before": "2024-13-45"},
    ],
)
def test_bad_date_filters_are_400(anon_client, params):
    assert_validation_error(anon_client.get(POSTS, params), *params)


def test_orderings(anon_client):
    now = timezone.now()
    PostFactory(slug="old", published_at=now - timedelta(days=3), view_count=5, comment_count=1)
    PostFactory(slug="mid", published_at=now - timedelta(days=2), view_count=50, comment_count=0)
    PostFactory(slug="new", published_at=now - timedelta(days=1), view_count=1, comment_count=9)

    assert slugs(anon_client.get(POSTS)) == ["new", "mid", "old"]
    assert slugs(anon_client.get(POSTS, {"ordering": "-published_at"})) == ["new", "mid", "old"]
    assert slugs(anon_client.get(POSTS, {"ordering": "published_at"})) == ["old", "mid", "new"]
    assert slugs(anon_client.get(POSTS, {"ordering": "-view_count"})) == ["mid", "old", "new"]
    assert slugs(anon_client.get(POSTS, {"ordering": "-comment_count"})) == ["new", "old", "mid"]


@pytest.mark.parametrize("ordering", ["title", "-id", "view_count", "published_at,-id", "?"])
def test_bad_ordering_is_400(anon_client, ordering):
    PostFactory()
    assert_validation_error(anon_client.get(POSTS, {"ordering": ordering}), "ordering")


# --- status lists --------------------------------------------------------------------------


@pytest.fixture
def mixed_posts(author, other_author):
    future = timezone.now() + timedelta(days=1)
    return {
        "mine-draft": make_post(author, title="mine draft"),
        "mine-draft-2": make_post(author, title="mine draft 2"),
        "theirs-draft": make_post(other_author, title="theirs draft"),
        "mine-scheduled": make_post(
            author, title="mine scheduled", status="published", publish_at=future
        ),
        "theirs-scheduled": make_post(
            other_author, title="theirs scheduled", status="published", publish_at=future
        ),
        "mine-published": make_post(author, title="mine published", status="published"),
        "theirs-archived": PostFactory(
            slug="theirs-archived", author=other_author, status=PostStatus.ARCHIVED
        ),
        "mine-archived": PostFactory(slug="mine-archived", author=author, status="archived"),
    }


def test_default_list_is_published_only(author_client, mixed_posts):
    assert slugs(author_client.get(POSTS)) == ["mine-published"]
    assert slugs(author_client.get(POSTS, {"status": "published"})) == ["mine-published"]


def test_status_lists_show_own_posts_to_authors(author_client, mixed_posts):
    assert sorted(slugs(author_client.get(POSTS, {"status": "draft"}))) == [
        "mine-draft",
        "mine-draft-2",
    ]
    assert slugs(author_client.get(POSTS, {"status": "scheduled"})) == ["mine-scheduled"]
    assert slugs(author_client.get(POSTS, {"status": "archived"})) == ["mine-archived"]


def test_status_lists_show_all_posts_to_editors(editor_client, mixed_posts):
    assert sorted(slugs(editor_client.get(POSTS, {"status": "draft"}))) == [
        "mine-draft",
        "mine-draft-2",
        "theirs-draft",
    ]
    assert sorted(slugs(editor_client.get(POSTS, {"status": "scheduled"}))) == [
        "mine-scheduled",
        "theirs-scheduled",
    ]


@pytest.mark.parametrize("status", ["draft", "scheduled", "archived"])
def test_status_lists_are_empty_for_anonymous_and_readers(
    anon_client, reader_client, mixed_posts, status
):
    assert slugs(anon_client.get(POSTS, {"status": status})) == []
    assert slugs(reader_client.get(POSTS, {"status": status})) == []


def test_unknown_status_is_400(anon_client):
    assert_validation_error(anon_client.get(POSTS, {"status": "deleted"}), "status")


def test_drafts_list_pages_with_a_cursor(editor_client, author):
    for i in range(8):
        DraftPostFactory(slug=f"draft-{i}", author=author)
    items, pages = walk(editor_client, POSTS, {"status": "draft", "page_size": 3})
    assert sorted(i["slug"] for i in items) == sorted(f"draft-{i}" for i in range(8))
    assert len(pages) == 3


# --- search (PostgreSQL) -------------------------------------------------------------------

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text search runs on PostgreSQL"
)


@postgres_only
def test_search_title_match_ranks_above_body_match(anon_client, author):
    body_only = make_post(
        author,
        title="Notes from the weekend",
        body="We drove out to see a volcano and it was quiet.",
        status="published",
    )
    title_match = make_post(
        author, title="Volcano season", body="Mountains, heat and ash.", status="published"
    )
    make_post(author, title="Gardening", body="Roses and tulips.", status="published")
    make_post(author, title="Volcano draft", body="Volcano volcano.")  # not published

    response = anon_client.get(POSTS, {"search": "volcano"})
    assert slugs(response) == [title_match.slug, body_only.slug]

    # Stemming: another form of the word finds the same posts.
    assert sorted(slugs(anon_client.get(POSTS, {"search": "volcanoes"}))) == sorted(
        [title_match.slug, body_only.slug]
    )
    assert slugs(anon_client.get(POSTS, {"search": "nothing-like-this"})) == []


@postgres_only
def test_search_with_ordering_uses_the_ordering(anon_client, author):
    older = make_post(author, title="Volcano one", body="x", status="published")
    newer = make_post(author, title="Other", body="a volcano", status="published")
    Post.objects.filter(pk=older.pk).update(published_at=timezone.now() - timedelta(days=2))
    Post.objects.filter(pk=newer.pk).update(view_count=10)
    assert slugs(anon_client.get(POSTS, {"search": "volcano"})) == [older.slug, newer.slug]
    assert slugs(anon_client.get(POSTS, {"search": "volcano", "ordering": "-published_at"})) == [
        newer.slug,
        older.slug,
    ]
    assert slugs(anon_client.get(POSTS, {"search": "volcano", "ordering": "-view_count"})) == [
        newer.slug,
        older.slug,
    ]


@postgres_only
def test_search_combines_with_filters(anon_client, author, other_author):
    mine = make_post(author, title="Volcano", body="x", status="published")
    make_post(other_author, title="Volcano too", body="x", status="published")
    assert slugs(anon_client.get(POSTS, {"search": "volcano", "author": author.username})) == [
        mine.slug
    ]


@postgres_only
def test_search_results_page_with_a_cursor(anon_client, author):
    for i in range(6):
        make_post(author, title=f"Volcano {i}", body="lava " * i, status="published")
    for i in range(6):
        make_post(author, title=f"Trip {i}", body="volcano " * (i + 1), status="published")
    everything = slugs(anon_client.get(POSTS, {"search": "volcano", "page_size": 100}))
    assert len(everything) == 12
    items, _ = walk(anon_client, POSTS, {"search": "volcano", "page_size": 5})
    assert [i["slug"] for i in items] == everything


# --- query budgets -------------------------------------------------------------------------


@pytest.fixture
def many_posts():
    categories = CategoryFactory.create_batch(4)
    tags = TagFactory.create_batch(6)
    authors = AuthorFactory.create_batch(5)
    for i in range(60):
        PostFactory(
            author=authors[i % 5],
            category=categories[i % 4],
            tags=[tags[i % 6], tags[(i + 1) % 6], tags[(i + 2) % 6]],
        )
    return {"category": categories[0].slug, "tag": tags[1].slug}


def _count_queries(client, params):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(POSTS, params)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.json()


@pytest.mark.parametrize("variant", ["plain", "category", "tag", "ordering"])
def test_list_queries_do_not_grow_with_page_size(anon_client, many_posts, variant):
    params = {
        "plain": {},
        "category": {"category": many_posts["category"]},
        "tag": {"tag": many_posts["tag"]},
        "ordering": {"ordering": "-view_count"},
    }[variant]
    small, small_body = _count_queries(anon_client, {**params, "page_size": 5})
    large, large_body = _count_queries(anon_client, {**params, "page_size": 50})
    assert len(small_body["results"]) == 5
    assert len(large_body["results"]) > 5
    assert all(item["tags"] and item["category"] for item in large_body["results"])
    assert small == large
    # The page (with author and category), and the tags of its posts; a category filter
    # first reads its subtree's ids (the planner then knows how many posts they have).
    assert large <= (3 if variant == "category" else 2)


def test_list_queries_for_an_author_do_not_grow(author, many_posts):
    client = client_for(author)
    for _ in range(30):
        DraftPostFactory(author=author, tags=[TagFactory()], category=CategoryFactory())
    small, _ = _count_queries(client, {"status": "draft", "page_size": 5})
    large, body = _count_queries(client, {"status": "draft", "page_size": 50})
    assert len(body["results"]) == 30
    assert small == large <= 3  # plus the authenticated user


@postgres_only
def test_search_queries_do_not_grow(anon_client, author):
    for i in range(30):
        make_post(author, title=f"Volcano {i}", body="lava", tags=[f"t{i}"], status="published")
    small, _ = _count_queries(anon_client, {"search": "volcano", "page_size": 5})
    large, body = _count_queries(anon_client, {"search": "volcano", "page_size": 50})
    assert len(body["results"]) == 30
    assert small == large <= 2


def test_list_queries_do_not_grow_with_cursor_depth(anon_client, many_posts):
    first, body = _count_queries(anon_client, {"page_size": 10})
    with CaptureQueriesContext(connection) as ctx:
        response = anon_client.get(body["next"])
    assert response.status_code == 200
    assert len(ctx.captured_queries) == first


# A 200 on a published post: the post (with author and category), its tags. The view is
# counted in Redis, not in the database (it reaches the database in the minute's flush),
# so the first view of a post on a day costs no more than the next ones. (Without Redis,
# views are counted in the database: the post's count, its day's and the site's day's
# rows, three more statements.)
DETAIL_BUDGET = 2
DETAIL_BUDGET_FIRST_VIEW_OF_THE_DAY = DETAIL_BUDGET


def test_detail_query_budget(anon_client, django_assert_max_num_queries):
    few = PostFactory(category=CategoryFactory(), tags=TagFactory.create_batch(1))
    many = PostFactory(category=CategoryFactory(), tags=TagFactory.create_batch(15))
    counts = []
    for post in (few, many):  # the first view of each: the same work
        with CaptureQueriesContext(connection) as ctx:
            assert anon_client.get(post_url(post.slug)).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] <= DETAIL_BUDGET_FIRST_VIEW_OF_THE_DAY  # tags add nothing
    for post in (few, many):
        with django_assert_max_num_queries(DETAIL_BUDGET):
            assert anon_client.get(post_url(post.slug)).status_code == 200


def test_detail_304_is_cheap(anon_client, django_assert_max_num_queries):
    post = PostFactory(tags=TagFactory.create_batch(3))
    etag = anon_client.get(post_url(post.slug))["ETag"]
    with django_assert_max_num_queries(2):
        response = anon_client.get(post_url(post.slug), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304


def test_detail_query_budget_for_an_author(author, django_assert_max_num_queries):
    post = make_post(author, tags=["a", "b", "c"], category=CategoryFactory())
    client = client_for(author)
    with django_assert_max_num_queries(3):  # the user, the post, its tags (no view counted)
        assert client.get(post_url(post.slug)).status_code == 200

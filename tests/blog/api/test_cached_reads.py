"""Public reads from the cache: no query on a hit, ETags without rendering, and every kind
of change visible on the very next read.

These tests commit for real (`transactional_db`): the invalidation receivers run after
commit, as in production, and the cache is the real Redis.
"""

import io
from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics.services import post_view_count, view_counts_flush
from blog.models import Comment, CommentStatus, PostStatus
from blog.services import posts as post_services
from blog.services.comments import comment_create
from blog.services.taxonomy import category_create
from blog.tasks import publish_due_posts
from config import cache as cache_module
from tests.factories import AuthorFactory, EditorFactory, ReaderFactory, TagFactory
from tests.helpers import client_for, make_post, post_url, web_client

pytestmark = [pytest.mark.cached_reads, pytest.mark.django_db(transaction=True)]

POSTS = "/api/v1/posts/"


def publish_post(author, **kwargs):
    return make_post(author, status="published", **kwargs)


def ok(response):
    assert response.status_code == 200, response.content[:500]
    return response.json()


def titles(client, query=""):
    return [p["title"] for p in ok(client.get(POSTS + query))["results"]]


@pytest.fixture
def author():
    return AuthorFactory(username="writer", display_name="The Writer")


@pytest.fixture
def editor():
    return EditorFactory()


@pytest.fixture
def anon():
    return client_for(None)


# --- hits ---------------------------------------------------------------------------------


def test_a_cached_detail_runs_no_query_and_still_counts_the_view(
    author, anon, django_assert_num_queries
):
    post = publish_post(author, title="Hello")
    first = ok(anon.get(post_url(post.slug)))
    with django_assert_num_queries(0):
        second = anon.get(post_url(post.slug))
    assert ok(second)["title"] == "Hello"
    # Views are counted on hits too (in Redis): the live count goes up.
    assert ok(second)["view_count"] == first["view_count"] + 1
    assert second["ETag"] == anon.get(post_url(post.slug))["ETag"]


def test_a_cached_list_and_taxonomy_and_profile_run_no_query(
    author, anon, django_assert_num_queries
):
    category = category_create(name="News")
    publish_post(author, title="One", category=category, tags=["x"])
    reads = [POSTS, POSTS + "?category=news", "/api/v1/categories/", "/api/v1/tags/"]
    reads += ["/api/v1/categories/news/", "/api/v1/users/writer/"]
    for path in reads:
        ok(anon.get(path))
    for path in reads:
        with django_assert_num_queries(0):
            response = anon.get(path)
        assert response.status_code == 200, path
        assert response["ETag"], path


def test_if_none_match_answers_304_from_the_cache_without_counting_a_view(
    author, anon, django_assert_num_queries
):
    post = publish_post(author)
    etag = anon.get(post_url(post.slug))["ETag"]
    views = ok(anon.get(post_url(post.slug)))["view_count"]
    with django_assert_num_queries(0):
        response = anon.get(post_url(post.slug), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response["ETag"] == etag
    assert not response.content
    assert ok(anon.get(post_url(post.slug)))["view_count"] == views + 1  # the 304 was not

    list_etag = anon.get(POSTS)["ETag"]
    with django_assert_num_queries(0):
        assert anon.get(POSTS, HTTP_IF_NONE_MATCH=f"W/{list_etag}").status_code == 304


def test_the_list_etag_changes_with_the_list(author, anon):
    publish_post(author, title="One")
    etag = anon.get(POSTS)["ETag"]
    publish_post(author, title="Two")
    response = anon.get(POSTS, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag


def test_different_filters_and_cursors_are_different_entries(author, anon):
    for n in range(3):
        publish_post(author, title=f"Post {n}", tags=["even" if n % 2 == 0 else "odd"])
    assert titles(anon, "?tag=even") == ["Post 2", "Post 0"]
    assert titles(anon, "?tag=odd") == ["Post 1"]
    page = ok(anon.get(POSTS + "?page_size=2"))
    assert [p["title"] for p in page["results"]] == ["Post 2", "Post 1"]
    assert [p["title"] for p in ok(anon.get(page["next"]))["results"]] == ["Post 0"]


def test_authors_and_editors_get_the_same_public_entry_and_their_drafts_uncached(
    author, editor, anon
):
    post = publish_post(author, title="Public")
    draft = post_services.post_create(author=author, title="Secret", body="x")
    ok(anon.get(post_url(post.slug)))
    assert ok(client_for(author).get(post_url(post.slug)))["title"] == "Public"
    assert anon.get(post_url(draft.slug)).status_code == 404
    assert ok(client_for(author).get(post_url(draft.slug)))["title"] == "Secret"
    assert ok(client_for(editor).get(post_url(draft.slug)))["title"] == "Secret"
    assert anon.get(post_url(draft.slug)).status_code == 404  # the 200s were not cached
    assert titles(client_for(author), "?status=draft") == ["Secret"]
    assert titles(anon, "?status=draft") == []


def test_a_404_is_not_cached(author, anon):
    assert anon.get(post_url("soon")).status_code == 404
    publish_post(author, title="Soon")
    assert ok(anon.get(post_url("soon")))["title"] == "Soon"


def test_with_cache_reads_off_every_read_queries(author, anon, settings, django_assert_num_queries):
    settings.CACHE_READS = False
    post = publish_post(author)
    ok(anon.get(post_url(post.slug)))
    with django_assert_num_queries(2):  # the post with its author and category, its tags
        ok(anon.get(post_url(post.slug)))


# --- every kind of change, visible on the very next read ------------------------------------


def test_api_edit_is_visible_at_once(author, anon):
    post = publish_post(author, title="Before")
    assert ok(anon.get(post_url(post.slug)))["title"] == "Before"
    assert titles(anon) == ["Before"]
    response = client_for(author).patch(post_url(post.slug), {"title": "After"}, format="json")
    assert response.status_code == 200
    assert ok(anon.get(post_url(post.slug)))["title"] == "After"
    assert titles(anon) == ["After"]


def test_api_unpublish_and_delete_are_visible_at_once(author, anon):
    post = publish_post(author, title="Here")
    other = publish_post(author, title="Also here")
    ok(anon.get(post_url(post.slug)))
    assert titles(anon) == ["Also here", "Here"]
    assert client_for(author).post(f"{post_url(post.slug)}unpublish/").status_code == 200
    assert anon.get(post_url(post.slug)).status_code == 404
    assert titles(anon) == ["Also here"]
    assert client_for(author).delete(post_url(other.slug)).status_code == 204
    assert anon.get(post_url(other.slug)).status_code == 404
    assert titles(anon) == []


def test_admin_edit_and_bulk_action_are_visible_at_once(author, editor, anon):
    post = publish_post(author, title="Admin before", body="Body.")
    assert ok(anon.get(post_url(post.slug)))["title"] == "Admin before"
    assert titles(anon) == ["Admin before"]

    web = web_client(editor)
    url = f"/admin/blog/post/{post.pk}/change/"
    page = web.get(url)
    form = page.context["adminform"].form
    data = {
        "title": "Admin after",
        "excerpt": form["excerpt"].value() or "",
        "body": form["body"].value(),
        "body_format": form["body_format"].value(),
        "tag_list": "",
        "category": "",
        "publish_at_0": "",
        "publish_at_1": "",
        "allow_comments": "on",
    }
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data[f"{management.prefix}-{name}"] = management[name].value()
    assert web.post(url, data).status_code == 302
    assert ok(anon.get(post_url(post.slug)))["title"] == "Admin after"
    assert titles(anon) == ["Admin after"]

    response = web.post(
        "/admin/blog/post/",
        {"action": "post_archive", ACTION_CHECKBOX_NAME: [str(post.pk)], "index": "0"},
    )
    assert response.status_code == 302
    assert anon.get(post_url(post.slug)).status_code == 404
    assert titles(anon) == []


def test_scheduled_publish_is_visible_at_once(author, anon, settings):
    when = timezone.now() + timedelta(seconds=1)
    post = post_services.post_create(
        author=author, title="Later", body="B", status="published", publish_at=when
    )
    assert post.status == PostStatus.SCHEDULED
    assert titles(anon) == []
    assert anon.get(post_url(post.slug)).status_code == 404
    profile = ok(anon.get("/api/v1/users/writer/"))
    assert profile["post_count"] == 0

    # The job publishes it once it is due (the clock moves on by a second).
    post.publish_at = timezone.now() - timedelta(seconds=1)
    post.save(update_fields=["publish_at"])
    assert publish_due_posts.delay().get() == 1

    assert titles(anon) == ["Later"]
    assert ok(anon.get(post_url(post.slug)))["status"] == "published"
    assert ok(anon.get("/api/v1/users/writer/"))["post_count"] == 1


def test_comment_approval_is_visible_at_once(author, editor, anon, settings):
    settings.COMMENTS_REQUIRE_MODERATION = True
    post = publish_post(author)
    comment = comment_create(post=post, author=ReaderFactory(), body="Nice")
    assert comment.status == CommentStatus.PENDING
    assert ok(anon.get(post_url(post.slug)))["comment_count"] == 0
    assert ok(anon.get(POSTS))["results"][0]["comment_count"] == 0

    response = client_for(editor).post(
        f"/api/v1/comments/{comment.pk}/moderate/", {"status": "approved"}, format="json"
    )
    assert response.status_code == 200
    assert ok(anon.get(post_url(post.slug)))["comment_count"] == 1
    assert ok(anon.get(POSTS))["results"][0]["comment_count"] == 1

    # And through the admin's bulk action.
    second = comment_create(post=post, author=ReaderFactory(), body="Also nice")
    response = web_client(editor).post(
        "/admin/blog/comment/",
        {"action": "mark_approved", ACTION_CHECKBOX_NAME: [str(second.pk)], "index": "0"},
    )
    assert response.status_code == 302
    assert Comment.objects.get(pk=second.pk).status == CommentStatus.APPROVED
    assert ok(anon.get(post_url(post.slug)))["comment_count"] == 2
    assert ok(anon.get(POSTS))["results"][0]["comment_count"] == 2


def test_category_rename_is_visible_at_once_in_lists_details_and_filters(author, editor, anon):
    category = category_create(name="Old name")
    post = publish_post(author, category=category)
    assert ok(anon.get(post_url(post.slug)))["category"]["name"] == "Old name"
    assert ok(anon.get(POSTS))["results"][0]["category"]["name"] == "Old name"
    assert [c["name"] for c in ok(anon.get("/api/v1/categories/"))["results"]] == ["Old name"]
    assert ok(anon.get(f"/api/v1/categories/{category.slug}/"))["name"] == "Old name"

    response = client_for(editor).patch(
        f"/api/v1/categories/{category.slug}/", {"name": "New name"}, format="json"
    )
    assert response.status_code == 200
    assert ok(anon.get(post_url(post.slug)))["category"]["name"] == "New name"
    assert ok(anon.get(POSTS))["results"][0]["category"]["name"] == "New name"
    assert [c["name"] for c in ok(anon.get("/api/v1/categories/"))["results"]] == ["New name"]
    assert ok(anon.get(f"/api/v1/categories/{category.slug}/"))["name"] == "New name"

    # The admin renames through the same service.
    response = web_client(editor).post(
        f"/admin/blog/category/{category.pk}/change/",
        {"name": "Admin name", "description": ""},
    )
    assert response.status_code == 302
    assert ok(anon.get(post_url(post.slug)))["category"]["name"] == "Admin name"
    assert ok(anon.get(POSTS))["results"][0]["category"]["name"] == "Admin name"


def test_category_tree_changes_are_visible_at_once_in_counts_and_filters(author, editor, anon):
    tech, life = category_create(name="Tech"), category_create(name="Life")
    python = category_create(name="Snakes", slug="python", parent=tech)
    publish_post(author, title="Snake", category=python)

    def counts():
        return {c["slug"]: c["post_count"] for c in ok(anon.get("/api/v1/categories/"))["results"]}

    assert counts()["tech"] == 1 and counts()["life"] == 0
    assert titles(anon, "?category=tech") == ["Snake"]
    assert ok(anon.get("/api/v1/categories/python/"))["parent"] == "tech"

    editor_api = client_for(editor)
    response = editor_api.patch("/api/v1/categories/python/", {"parent": "life"}, format="json")
    assert response.status_code == 200
    assert counts()["tech"] == 0 and counts()["life"] == 1
    assert titles(anon, "?category=tech") == []
    assert titles(anon, "?category=life") == ["Snake"]
    assert ok(anon.get("/api/v1/categories/python/"))["parent"] == "life"

    # Deleting the parent moves the child up (to the root): its detail says so at once.
    assert editor_api.delete(f"/api/v1/categories/{life.slug}/").status_code == 204
    assert ok(anon.get("/api/v1/categories/python/"))["parent"] is None
    assert titles(anon, "?category=python") == ["Snake"]


def test_tag_rename_in_the_admin_is_visible_at_once(author, editor, anon):
    post = publish_post(author, tags=["old-tag"])
    assert ok(anon.get(post_url(post.slug)))["tags"] == ["old-tag"]
    assert [t["slug"] for t in ok(anon.get("/api/v1/tags/"))["results"]] == ["old-tag"]
    tag = post.tags.get()

    response = web_client(editor).post(
        f"/admin/blog/tag/{tag.pk}/change/", {"name": "Fresh", "slug": "fresh"}
    )
    assert response.status_code == 302
    assert ok(anon.get(post_url(post.slug)))["tags"] == ["fresh"]
    assert ok(anon.get(POSTS))["results"][0]["tags"] == ["fresh"]
    assert [t["name"] for t in ok(anon.get("/api/v1/tags/"))["results"]] == ["Fresh"]
    assert titles(anon, "?tag=fresh") == ["A post"]
    assert titles(anon, "?search=fresh") == ["A post"]  # the search vector followed


def test_new_tag_in_the_admin_and_new_post_counts_are_visible_at_once(author, editor, anon):
    TagFactory(slug="existing", name="Existing")
    assert [t["slug"] for t in ok(anon.get("/api/v1/tags/"))["results"]] == ["existing"]
    response = web_client(editor).post("/admin/blog/tag/add/", {"name": "Added", "slug": "added"})
    assert response.status_code == 302
    assert [t["slug"] for t in ok(anon.get("/api/v1/tags/"))["results"]] == ["added", "existing"]

    publish_post(author, tags=["added"])
    counts = {t["slug"]: t["post_count"] for t in ok(anon.get("/api/v1/tags/"))["results"]}
    assert counts == {"added": 1, "existing": 0}


def test_author_rename_is_visible_at_once_on_profile_lists_and_details(author, anon):
    post = publish_post(author)
    assert ok(anon.get("/api/v1/users/writer/"))["display_name"] == "The Writer"
    assert ok(anon.get(post_url(post.slug)))["author"]["display_name"] == "The Writer"
    assert ok(anon.get(POSTS))["results"][0]["author"]["display_name"] == "The Writer"

    response = client_for(author).patch(
        "/api/v1/users/me/", {"display_name": "Renamed"}, format="json"
    )
    assert response.status_code == 200
    assert ok(anon.get("/api/v1/users/writer/"))["display_name"] == "Renamed"
    assert ok(anon.get(post_url(post.slug)))["author"]["display_name"] == "Renamed"
    assert ok(anon.get(POSTS))["results"][0]["author"]["display_name"] == "Renamed"


def test_view_counts_stay_right_across_a_flush(author, anon):
    post = publish_post(author)
    other = publish_post(author, title="Other")
    assert ok(anon.get(post_url(post.slug)))["view_count"] == 1
    post_view_count(post_id=other.pk, views=5)
    assert titles(anon, "?ordering=-view_count") == ["Other", "A post"]

    post_view_count(post_id=post.pk, views=10)
    assert ok(anon.get(post_url(post.slug)))["view_count"] == 12  # 1 + 10 pending + this one
    view_counts_flush()  # pending views move into the stored count
    assert ok(anon.get(post_url(post.slug)))["view_count"] == 13
    assert titles(anon, "?ordering=-view_count") == ["A post", "Other"]


def test_a_change_during_a_recompute_is_not_hidden(author, anon, monkeypatch):
    """The generations are read before the value is computed: a change committed while a
    slow recompute runs makes the value it stores stale at once."""
    post = publish_post(author, title="v1")
    real = post_services.post_update
    from blog.selectors import posts as post_selectors

    fetch = post_selectors.post_get_by_slug

    def fetch_then_change(*, slug):
        found = fetch(slug=slug)
        monkeypatch.setattr(post_selectors, "post_get_by_slug", fetch)
        real(post=post, actor=author, title="v2")  # committed after the read
        return found

    monkeypatch.setattr(post_selectors, "post_get_by_slug", fetch_then_change)
    assert ok(anon.get(post_url(post.slug)))["title"] == "v1"  # what was read
    assert ok(anon.get(post_url(post.slug)))["title"] == "v2"  # not the stored v1


def test_hits_and_misses_are_counted_per_family(author, anon):
    cache_module.cache_stats_reset()
    post = publish_post(author)
    for _ in range(3):
        ok(anon.get(post_url(post.slug)))
        ok(anon.get(POSTS))
    stats = cache_module.cache_stats()["namespaces"]
    assert stats["post"]["hits"] == 2 and stats["post"]["misses"] == 1
    assert stats["posts"]["hits"] == 2 and stats["posts"]["misses"] == 1


def test_operators_invalidate_cached_reads_by_family_or_all(author, anon):
    post = publish_post(author)
    for path in (post_url(post.slug), POSTS):
        ok(anon.get(path))

    def queries(path):
        with CaptureQueriesContext(connection) as captured:
            ok(anon.get(path))
        return len(captured)

    assert queries(post_url(post.slug)) == 0
    call_command("cache_invalidate", "post", stdout=io.StringIO())
    assert queries(post_url(post.slug)) > 0  # every post's detail, though no post changed
    assert queries(POSTS) == 0  # the lists were not named
    call_command("cache_invalidate", stdout=io.StringIO())  # everything
    assert queries(POSTS) > 0


def test_a_head_request_is_not_a_view(author, anon):
    post = publish_post(author)
    views = ok(anon.get(post_url(post.slug)))["view_count"]
    head = anon.head(post_url(post.slug))
    assert head.status_code == 200
    assert head["ETag"]
    assert ok(anon.get(post_url(post.slug)))["view_count"] == views + 1  # this GET only

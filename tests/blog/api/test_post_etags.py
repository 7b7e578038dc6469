"""Conditional requests on a post: ETag and If-None-Match (304, which counts no view), and
If-Match (412 for a stale one, which changes nothing)."""

import pytest

from analytics.services import view_counts_flush
from blog.models import Post, PostStatus, Revision, Tag
from tests.helpers import assert_problem, client_for, make_post, patch_json, post_url, put_json

pytestmark = pytest.mark.django_db


def test_detail_etag_and_if_none_match(author):
    post = make_post(author, status="published")
    anon = client_for(None)
    first = anon.get(post_url(post.slug))
    assert first.status_code == 200
    etag = first["ETag"]
    assert etag.startswith('"') and etag.endswith('"')

    response = anon.get(post_url(post.slug), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response["ETag"] == etag
    assert not response.content

    response = anon.get(post_url(post.slug), HTTP_IF_NONE_MATCH='"stale", ' + etag)
    assert response.status_code == 304

    response = anon.get(post_url(post.slug), HTTP_IF_NONE_MATCH='"something-else"')
    assert response.status_code == 200
    assert response["ETag"] == etag  # a view does not change the representation's tag


def test_if_none_match_uses_weak_comparison(author):
    """RFC 9110 13.1.2: If-None-Match compares weakly, so `W/"x"` (as proxies that compress
    send back) matches `"x"`; `*` matches any current representation."""
    post = make_post(author, status="published")
    anon = client_for(None)
    etag = anon.get(post_url(post.slug))["ETag"]
    assert anon.get(post_url(post.slug), HTTP_IF_NONE_MATCH=f"W/{etag}").status_code == 304
    assert anon.get(post_url(post.slug), HTTP_IF_NONE_MATCH="*").status_code == 304


def test_a_304_does_not_count_a_view_and_a_200_counts_one(author):
    post = make_post(author, status="published")
    anon = client_for(None)

    def stored_views():  # views wait in Redis for the flush (tests/analytics/...counter)
        view_counts_flush()
        return Post.objects.get(pk=post.pk).view_count

    response = anon.get(post_url(post.slug))
    assert response.json()["view_count"] == 1
    etag = response["ETag"]
    assert stored_views() == 1

    assert anon.get(post_url(post.slug), HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert stored_views() == 1

    response = anon.get(post_url(post.slug))
    assert response.json()["view_count"] == 2
    assert stored_views() == 2


def test_viewing_a_draft_counts_no_view(author_client, author):
    post = make_post(author)
    assert author_client.get(post_url(post.slug)).json()["view_count"] == 0
    assert Post.objects.get(pk=post.pk).view_count == 0


def test_etag_changes_when_the_post_changes(author_client, author):
    post = make_post(author, status="published")
    etag = author_client.get(post_url(post.slug))["ETag"]
    response = patch_json(author_client, post_url(post.slug), {"title": "New"})
    assert response["ETag"] != etag
    assert author_client.get(post_url(post.slug), HTTP_IF_NONE_MATCH=etag).status_code == 200
    assert response["ETag"] == author_client.get(post_url(post.slug))["ETag"]


def test_if_match_current_applies(author_client, author):
    post = make_post(author, title="Before")
    etag = author_client.get(post_url(post.slug))["ETag"]
    response = patch_json(
        author_client, post_url(post.slug), {"title": "After"}, HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200
    assert response.json()["title"] == "After"
    assert response["ETag"] != etag
    # The new tag is current for the next write.
    response = put_json(
        author_client,
        post_url(post.slug),
        {"title": "Again", "body": "B"},
        HTTP_IF_MATCH=response["ETag"],
    )
    assert response.status_code == 200


def test_if_match_stale_is_412_and_changes_nothing(author_client, editor_client, author):
    post = make_post(author, title="Before", body="Body")
    stale = author_client.get(post_url(post.slug))["ETag"]
    assert patch_json(editor_client, post_url(post.slug), {"title": "Editor's"}).status_code == 200
    before = Post.objects.get(pk=post.pk)
    revisions = Revision.objects.filter(post=post).count()

    for send in (patch_json, put_json):
        response = send(
            author_client,
            post_url(post.slug),
            {"title": "Mine", "body": "Mine", "tags": ["t"], "status": "published"},
            HTTP_IF_MATCH=stale,
        )
        assert_problem(response, 412, "precondition_failed")

    after = Post.objects.get(pk=post.pk)
    assert (after.title, after.body, after.status) == ("Editor's", "Body", PostStatus.DRAFT)
    assert after.updated_at == before.updated_at
    assert list(after.tags.all()) == []
    assert Revision.objects.filter(post=post).count() == revisions
    assert not Tag.objects.filter(slug="t").exists()

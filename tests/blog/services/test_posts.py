"""The post services: lifecycle, slugs, revisions, sanitized HTML, tags, If-Match, and the
stored search vector (PostgreSQL). (`post_publish_due`: test_publish_due.py.)"""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from blog.models import Post, PostStatus, Revision, Tag
from blog.selectors.posts import post_etag, post_list
from blog.services.posts import (
    post_archive,
    post_create,
    post_delete,
    post_publish,
    post_unpublish,
    post_update,
)
from config.errors import ConflictError, InvalidInput, PermissionDeniedError, PreconditionFailed
from tests.blog.xss import XSS_PAYLOADS, assert_safe_html
from tests.factories import CategoryFactory, PostFactory, TagFactory

pytestmark = pytest.mark.django_db


def _create(author, **kwargs):
    kwargs.setdefault("title", "A post")
    kwargs.setdefault("body", "Some *body* text.")
    return post_create(author=author, **kwargs)


def _reload(post):
    return Post.objects.get(pk=post.pk)


# --- creation ------------------------------------------------------------------------------


def test_create_defaults_to_draft_with_derived_fields(author):
    category = CategoryFactory()
    post = _create(author, title="Hello World", body="Some **bold** words.", category=category)

    post = _reload(post)
    assert post.status == PostStatus.DRAFT
    assert post.published_at is None
    assert post.slug == "hello-world"
    assert post.author == author
    assert post.category == category
    assert "<strong>bold</strong>" in post.body_html
    assert post.excerpt == "Some bold words."
    assert post.reading_time_minutes == 1


def test_create_keeps_a_handwritten_excerpt(author):
    post = _create(author, body="The body.", excerpt="Hand written.")
    assert _reload(post).excerpt == "Hand written."


def test_reading_time_grows_with_the_body(author):
    post = _create(author, body="word " * 1000)
    assert _reload(post).reading_time_minutes == 5


def test_create_published_now(author):
    before = timezone.now()
    post = _reload(_create(author, status=PostStatus.PUBLISHED))
    assert post.status == PostStatus.PUBLISHED
    assert before <= post.published_at <= timezone.now()


def test_create_published_with_future_publish_at_is_scheduled(author):
    when = timezone.now() + timedelta(days=2)
    post = _reload(_create(author, status=PostStatus.PUBLISHED, publish_at=when))
    assert post.status == PostStatus.SCHEDULED
    assert post.publish_at == when
    assert post.published_at is None


def test_create_draft_with_future_publish_at_stays_draft(author):
    when = timezone.now() + timedelta(days=2)
    post = _reload(_create(author, publish_at=when))
    assert post.status == PostStatus.DRAFT


def test_create_published_with_past_publish_at_is_published(author):
    when = timezone.now() - timedelta(days=2)
    post = _reload(_create(author, status=PostStatus.PUBLISHED, publish_at=when))
    assert post.status == PostStatus.PUBLISHED
    assert post.published_at is not None


@pytest.mark.parametrize("status", [PostStatus.SCHEDULED, PostStatus.ARCHIVED, "bogus"])
def test_create_rejects_other_statuses(author, status):
    with pytest.raises(InvalidInput) as excinfo:
        _create(author, status=status)
    assert "status" in excinfo.value.fields
    assert not Post.objects.exists()


def test_reader_cannot_create(reader):
    with pytest.raises(PermissionDeniedError):
        _create(reader)
    assert not Post.objects.exists()


# --- slugs ---------------------------------------------------------------------------------


def test_slug_clashes_get_numbered_suffixes(author, other_author):
    first = _create(author, title="Hello World")
    second = _create(author, title="Hello World")
    third = _create(other_author, title="Hello, World!")
    fourth = _create(author, title="hello world")
    assert [first.slug, second.slug, third.slug, fourth.slug] == [
        "hello-world",
        "hello-world-2",
        "hello-world-3",
        "hello-world-4",
    ]


def test_slug_suffix_skips_taken_numbers(author):
    PostFactory(slug="hello-world")
    PostFactory(slug="hello-world-2")
    PostFactory(slug="hello-world-3")
    assert _create(author, title="Hello World").slug == "hello-world-4"


def test_slug_prefix_of_another_slug_is_free(author):
    PostFactory(slug="hello-world-and-more")
    assert _create(author, title="Hello World").slug == "hello-world"


def test_slug_keeps_unicode_letters(author):
    assert _create(author, title="Café crème").slug == "café-crème"


def test_slug_falls_back_when_the_title_has_no_letters(author):
    first = _create(author, title="!!! ???")
    second = _create(author, title="***")
    assert (first.slug, second.slug) == ("post", "post-2")


def test_slug_of_a_long_title_fits_the_column(author):
    title = "word " * 40  # 200 characters
    first = _create(author, title=title)
    second = _create(author, title=title)
    max_length = Post._meta.get_field("slug").max_length
    assert len(first.slug) <= max_length
    assert second.slug == f"{first.slug}-2"


def test_slug_is_stable_when_the_title_changes(author):
    post = _create(author, title="Original title")
    post = post_update(post=post, actor=author, title="A completely new title")
    assert _reload(post).slug == "original-title"
    assert _reload(post).title == "A completely new title"
    # The old title's slug stays taken; a new post with the new title gets its own slug.
    assert _create(author, title="Original title").slug == "original-title-2"
    assert _create(author, title="A completely new title").slug == "a-completely-new-title"


def test_slug_is_stable_across_publishing(author):
    post = _create(author, title="Stable")
    post = post_publish(post=post, actor=author)
    post = post_unpublish(post=post, actor=author)
    post = post_archive(post=post, actor=author)
    assert _reload(post).slug == "stable"


# --- revisions -----------------------------------------------------------------------------


def _revisions(post):
    return list(Revision.objects.filter(post=post).order_by("-created_at", "-id"))


def test_revision_kept_on_create(author):
    post = _create(author, title="First", body="Body one")
    (revision,) = _revisions(post)
    assert (revision.title, revision.body, revision.author) == ("First", "Body one", author)


def test_revision_kept_on_each_title_or_body_change(author, editor):
    post = _create(author, title="First", body="Body one")
    post = post_update(post=post, actor=author, title="Second")
    post = post_update(post=post, actor=editor, body="Body two")
    post = post_update(post=post, actor=author, title="Third", body="Body three")

    revisions = _revisions(post)
    assert [(r.title, r.body) for r in revisions] == [
        ("Third", "Body three"),
        ("Second", "Body two"),
        ("Second", "Body one"),
        ("First", "Body one"),
    ]
    assert [r.author for r in revisions] == [author, editor, author, author]


def test_no_revision_for_other_changes(author):
    post = _create(author, title="First", body="Body one")
    post = post_update(
        post=post,
        actor=author,
        excerpt="New excerpt",
        allow_comments=False,
        tags=["python"],
        category=CategoryFactory(),
        publish_at=timezone.now() + timedelta(days=3),
    )
    post = post_update(post=post, actor=author, title="First", body="Body one")  # same values
    post = post_publish(post=post, actor=author)
    post = post_unpublish(post=post, actor=author)
    post = post_archive(post=post, actor=author)
    assert len(_revisions(post)) == 1


# --- updates -------------------------------------------------------------------------------


def test_update_re_renders_body_and_derived_excerpt(author):
    post = _create(author, body="Old body.")
    post = post_update(post=post, actor=author, body="New **body**.")
    post = _reload(post)
    assert "<strong>body</strong>" in post.body_html
    assert post.excerpt == "New body."


def test_update_keeps_a_handwritten_excerpt(author):
    post = _create(author, body="Old body.", excerpt="Mine.")
    post = post_update(post=post, actor=author, body="New body.")
    assert _reload(post).excerpt == "Mine."


def test_update_by_other_author_is_denied_and_changes_nothing(author, other_author):
    post = _create(author, title="Mine")
    with pytest.raises(PermissionDeniedError):
        post_update(post=post, actor=other_author, title="Theirs")
    assert _reload(post).title == "Mine"


def test_editor_may_update_any_post(author, editor):
    post = _create(author, title="Mine")
    post_update(post=post, actor=editor, title="Edited")
    assert _reload(post).title == "Edited"


def test_update_rejects_fields_that_are_not_editable(author):
    post = _create(author)
    with pytest.raises(InvalidInput):
        post_update(post=post, actor=author, slug="hijack")
    assert _reload(post).slug == "a-post"


def test_update_with_current_if_match_applies(author):
    post = _create(author, title="Before")
    etag = post_etag(_reload(post))
    post_update(post=post, actor=author, if_match=etag, title="After")
    assert _reload(post).title == "After"


def test_update_with_wildcard_if_match_applies(author):
    post = _create(author, title="Before")
    post_update(post=post, actor=author, if_match="*", title="After")
    assert _reload(post).title == "After"


def test_update_with_stale_if_match_fails_and_changes_nothing(author):
    post = _create(author, title="Before", body="Body")
    stale = post_etag(_reload(post))
    post_update(post=post, actor=author, title="Meanwhile")
    current = _reload(post)

    with pytest.raises(PreconditionFailed):
        post_update(post=post, actor=author, if_match=stale, title="Lost update", tags=["x"])

    after = _reload(post)
    assert after.title == "Meanwhile"
    assert after.updated_at == current.updated_at
    assert list(after.tags.all()) == []
    assert len(_revisions(post)) == 2


def test_etag_changes_with_content_not_with_views(author):
    post = _reload(_create(author, status=PostStatus.PUBLISHED))
    etag = post_etag(post)
    Post.objects.filter(pk=post.pk).update(view_count=10)
    assert post_etag(_reload(post)) == etag
    post_update(post=post, actor=author, body="Changed")
    assert post_etag(_reload(post)) != etag


def test_moving_a_scheduled_post_into_the_past_publishes_it(author):
    post = _create(
        author, status=PostStatus.PUBLISHED, publish_at=timezone.now() + timedelta(days=1)
    )
    assert post.status == PostStatus.SCHEDULED
    post = post_update(post=post, actor=author, publish_at=timezone.now() - timedelta(minutes=1))
    post = _reload(post)
    assert post.status == PostStatus.PUBLISHED
    assert post.published_at is not None


def test_rescheduling_a_scheduled_post_keeps_it_scheduled(author):
    post = _create(
        author, status=PostStatus.PUBLISHED, publish_at=timezone.now() + timedelta(days=1)
    )
    later = timezone.now() + timedelta(days=5)
    post = _reload(post_update(post=post, actor=author, publish_at=later))
    assert post.status == PostStatus.SCHEDULED
    assert post.publish_at == later


# --- status transitions --------------------------------------------------------------------


def test_publish_a_draft(author):
    post = _create(author)
    post = _reload(post_publish(post=post, actor=author))
    assert post.status == PostStatus.PUBLISHED
    assert post.published_at is not None


def test_publish_with_future_publish_at_schedules(author):
    post = _create(author, publish_at=timezone.now() + timedelta(hours=1))
    post = _reload(post_publish(post=post, actor=author))
    assert post.status == PostStatus.SCHEDULED
    assert post.published_at is None


def test_unpublish_a_published_post(author):
    post = _create(author, status=PostStatus.PUBLISHED)
    post = _reload(post_unpublish(post=post, actor=author))
    assert post.status == PostStatus.DRAFT
    assert post.published_at is None


def test_unpublish_a_scheduled_post(author):
    post = _create(
        author, status=PostStatus.PUBLISHED, publish_at=timezone.now() + timedelta(hours=1)
    )
    post = _reload(post_unpublish(post=post, actor=author))
    assert post.status == PostStatus.DRAFT


@pytest.mark.parametrize("status", [PostStatus.DRAFT, PostStatus.PUBLISHED])
def test_archive(author, status):
    post = _create(author, status=status)
    assert _reload(post_archive(post=post, actor=author)).status == PostStatus.ARCHIVED


def test_publish_an_archived_post_brings_it_back(author):
    post = _create(author, status=PostStatus.PUBLISHED)
    post = post_archive(post=post, actor=author)
    assert _reload(post_publish(post=post, actor=author)).status == PostStatus.PUBLISHED


@pytest.mark.parametrize(
    ("setup", "service"),
    [
        ("published", post_publish),
        ("scheduled", post_publish),
        ("draft", post_unpublish),
        ("archived", post_unpublish),
        ("archived", post_archive),
    ],
)
def test_invalid_transitions_conflict_and_change_nothing(author, setup, service):
    future = timezone.now() + timedelta(days=1)
    if setup == "draft":
        post = _create(author)
    elif setup == "scheduled":
        post = _create(author, status=PostStatus.PUBLISHED, publish_at=future)
    else:
        post = _create(author, status=PostStatus.PUBLISHED)
        if setup == "archived":
            post = post_archive(post=post, actor=author)
    before = _reload(post)

    with pytest.raises(ConflictError):
        service(post=post, actor=author)

    after = _reload(post)
    assert after.status == before.status == setup
    assert after.updated_at == before.updated_at


@pytest.mark.parametrize("service", [post_publish, post_unpublish, post_archive, post_delete])
def test_transitions_by_other_author_are_denied(author, other_author, service):
    post = _create(author, status=PostStatus.PUBLISHED)
    with pytest.raises(PermissionDeniedError):
        service(post=post, actor=other_author)
    assert _reload(post).status == PostStatus.PUBLISHED


def test_editor_may_move_any_post(author, editor):
    post = _create(author)
    post = post_publish(post=post, actor=editor)
    post = post_archive(post=post, actor=editor)
    assert _reload(post).status == PostStatus.ARCHIVED


def test_delete(author):
    post = _create(author, tags=["python"])
    post_delete(post=post, actor=author)
    assert not Post.objects.filter(pk=post.pk).exists()
    assert not Revision.objects.filter(post_id=post.pk).exists()
    assert Tag.objects.filter(slug="python").exists()


# --- tags ----------------------------------------------------------------------------------


def test_unknown_tags_are_created_and_known_ones_reused(author):
    existing = TagFactory(name="Python", slug="python")
    post = _create(author, tags=["python", "Web Dev", "web-dev", "django"])
    slugs = sorted(t.slug for t in post.tags.all())
    assert slugs == ["django", "python", "web-dev"]
    assert Tag.objects.get(slug="python").pk == existing.pk
    assert Tag.objects.get(slug="web-dev").name == "Web Dev"
    assert Tag.objects.count() == 3


def test_update_replaces_tags(author):
    post = _create(author, tags=["a", "b"])
    post_update(post=post, actor=author, tags=["b", "c"])
    assert sorted(t.slug for t in _reload(post).tags.all()) == ["b", "c"]
    post_update(post=post, actor=author, tags=[])
    assert list(_reload(post).tags.all()) == []


@pytest.mark.parametrize("bad", ["!!!", "   ", ""])
def test_a_tag_without_letters_is_invalid(author, bad):
    with pytest.raises(InvalidInput) as excinfo:
        _create(author, tags=["ok", bad])
    assert "tags" in excinfo.value.fields


# --- search (PostgreSQL) -------------------------------------------------------------------

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text search runs on PostgreSQL"
)


@postgres_only
def test_search_vector_is_stored_and_kept_up_to_date(author):
    post = _create(author, title="Elephants", body="Large animals.", status="published")
    vector = Post.objects.values_list("search_vector", flat=True).get(pk=post.pk)
    assert "eleph" in vector
    post_update(post=post, actor=author, title="Giraffes")
    vector = Post.objects.values_list("search_vector", flat=True).get(pk=post.pk)
    assert "giraff" in vector and "eleph" not in vector
    post_update(post=post, actor=author, tags=["savanna"])
    vector = Post.objects.values_list("search_vector", flat=True).get(pk=post.pk)
    assert "savanna" in vector


@postgres_only
def test_search_ranks_title_matches_above_body_matches(author):
    body_only = _create(
        author, title="A day out", body="We talked about volcanoes all day.", status="published"
    )
    title_match = _create(
        author, title="Volcanoes", body="Mountains that are hot inside.", status="published"
    )
    _create(author, title="Gardens", body="Flowers and trees.", status="published")
    _create(author, title="Volcano draft", body="Volcanoes, unpublished.")

    results = list(post_list(user=None, params={"search": "volcano"}))
    assert [p.pk for p in results] == [title_match.pk, body_only.pk]
    assert results[0].rank > results[1].rank


def test_post_body_html_is_sanitized_on_create_and_update(author):
    # NUL cannot be stored in PostgreSQL text; the API's serializers reject it (400).
    payloads = [p for p in XSS_PAYLOADS if "\0" not in p]
    post = _create(author, body="\n\n".join(payloads[:40]))
    assert_safe_html(_reload(post).body_html)
    post_update(post=post, actor=author, body="\n\n".join(payloads[40:]))
    assert_safe_html(_reload(post).body_html)

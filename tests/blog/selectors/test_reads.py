"""The blog's selectors behind the admin, the sitemap, the server pages and the
editors-only reads (revisions, statistics): who gets what, and what is None."""

import pytest

from blog.models import Category, CommentStatus, Post
from blog.selectors.comments import comment_filter_pending, comment_thread_of
from blog.selectors.posts import (
    post_check_can_edit,
    post_get_by_id,
    post_get_editable,
    post_get_published,
    post_revisions_for_editor,
    post_sitemap_list,
    post_tag_names,
)
from blog.selectors.taxonomy import (
    category_get_by_id,
    category_page_get,
    category_sitemap_list,
    tag_get_by_id,
)
from blog.services import posts as post_services
from config.errors import PermissionDeniedError
from tests.factories import (
    AuthorFactory,
    CategoryFactory,
    CommentFactory,
    DraftPostFactory,
    EditorFactory,
    PostFactory,
    ReaderFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db


def test_a_post_is_editable_by_its_author_and_editors_only():
    author = AuthorFactory()
    post = PostFactory(author=author)
    for user in (author, EditorFactory()):
        post_check_can_edit(post=post, actor=user)
        assert post_get_editable(slug=post.slug, user=user) == post
    for user in (ReaderFactory(), AuthorFactory()):
        with pytest.raises(PermissionDeniedError):
            post_get_editable(slug=post.slug, user=user)


def test_a_post_one_cannot_see_is_none_not_forbidden():
    draft = DraftPostFactory()
    assert post_get_editable(slug=draft.slug, user=AuthorFactory()) is None
    assert post_revisions_for_editor(slug=draft.slug, user=ReaderFactory()) is None
    assert post_get_editable(slug="nope", user=EditorFactory()) is None


def test_revisions_for_an_editor_newest_first():
    author = AuthorFactory()
    post = post_services.post_create(author=author, title="One", body="x", status="published")
    post_services.post_update(post=post, actor=author, title="Two")
    revisions = post_revisions_for_editor(slug=post.slug, user=EditorFactory())
    assert [r.title for r in revisions] == ["Two", "One"]
    with pytest.raises(PermissionDeniedError):
        post_revisions_for_editor(slug=post.slug, user=ReaderFactory())


def test_the_public_pages_and_the_sitemap_show_published_posts_only():
    older, newer = PostFactory(), PostFactory()
    draft = DraftPostFactory()
    assert post_get_published(slug=newer.slug) == newer
    assert post_get_published(slug=draft.slug) is None
    assert list(post_sitemap_list()) == sorted(
        [older, newer], key=lambda p: (p.published_at, p.pk), reverse=True
    )


def test_a_category_page_and_the_category_sitemap():
    news = CategoryFactory(name="News", slug="news")
    CategoryFactory(name="Art", slug="art")
    post = PostFactory(category=news)
    DraftPostFactory(category=news)
    page = category_page_get(slug="news")
    assert page.category == news and list(page.posts) == [post]
    assert category_page_get(slug="nope") is None
    assert [c.slug for c in category_sitemap_list()] == ["art", "news"]


def test_the_admins_before_of_an_edit_is_the_stored_row():
    post, category, tag = PostFactory(title="Stored"), CategoryFactory(), TagFactory()
    post.title = "Edited in the form"
    assert post_get_by_id(post_id=post.pk).title == "Stored"
    assert category_get_by_id(category_id=category.pk) == category
    assert tag_get_by_id(tag_id=tag.pk) == tag
    with pytest.raises(Post.DoesNotExist):
        post_get_by_id(post_id=0)
    with pytest.raises(Category.DoesNotExist):
        category_get_by_id(category_id=0)


def test_post_tag_names_and_the_moderation_queue_filter():
    post = PostFactory(tags=[TagFactory(name="b"), TagFactory(name="a")])
    assert sorted(post_tag_names(post=post)) == ["a", "b"]
    pending = CommentFactory(post=post, status=CommentStatus.PENDING)
    CommentFactory(post=post)
    assert list(comment_filter_pending(queryset=post.comments.all())) == [pending]


def test_a_posts_thread_is_none_when_the_post_is_hidden():
    post = PostFactory()
    approved = CommentFactory(post=post)
    CommentFactory(post=post, status=CommentStatus.PENDING)
    assert list(comment_thread_of(slug=post.slug, user=None)) == [approved]
    draft = DraftPostFactory()
    assert comment_thread_of(slug=draft.slug, user=None) is None
    assert comment_thread_of(slug=draft.slug, user=draft.author) is not None

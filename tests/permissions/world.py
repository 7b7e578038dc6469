"""The world of the permission tests: a user per kind of caller, and one post, comment and
category of each kind the rules tell apart."""

from datetime import timedelta
from types import SimpleNamespace

from django.utils import timezone

from blog.models import CommentStatus, PostStatus
from tests import factories

# The callers (see test_matrix.py).
ROLES = ("anon", "reader", "author", "other", "editor", "admin")


def make_world(reader, author, other_author, editor, admin_user) -> SimpleNamespace:
    """One of everything the matrix needs; every post is `author`'s, every comment `reader`'s."""
    now = timezone.now()
    published = factories.PostFactory(author=author, title="Published", slug="published")
    draft = factories.DraftPostFactory(author=author, title="Draft", slug="draft")
    scheduled = factories.PostFactory(
        author=author,
        slug="scheduled",
        status=PostStatus.SCHEDULED,
        published_at=None,
        publish_at=now + timedelta(days=1),
    )
    archived = factories.PostFactory(author=author, slug="archived", status=PostStatus.ARCHIVED)
    closed = factories.PostFactory(author=author, slug="closed", allow_comments=False)
    for post in (published, draft):
        factories.RevisionFactory(post=post)
    approved = factories.CommentFactory(post=published, author=reader)
    pending = factories.CommentFactory(post=published, author=reader, status=CommentStatus.PENDING)
    # Written while the post was published; the post went back to draft since.
    on_draft = factories.CommentFactory(post=draft, author=reader)
    return SimpleNamespace(
        users={
            "anon": None,
            "reader": reader,
            "author": author,
            "other": other_author,
            "editor": editor,
            "admin": admin_user,
        },
        target=factories.ReaderFactory(username="target"),
        published=published,
        draft=draft,
        scheduled=scheduled,
        archived=archived,
        closed=closed,
        approved=approved,
        pending=pending,
        on_draft=on_draft,
        category=factories.CategoryFactory(name="Science", slug="science"),
    )

"""`post_stats_for_editor`: a post's statistics for whoever may change it."""

import pytest

from analytics.selectors import post_stats_for_editor
from config.errors import PermissionDeniedError
from tests.factories import (
    AuthorFactory,
    DraftPostFactory,
    EditorFactory,
    PostFactory,
    ReaderFactory,
)

pytestmark = pytest.mark.django_db


def test_the_author_and_editors_get_the_stats():
    author = AuthorFactory()
    post = PostFactory(author=author, view_count=3, comment_count=2)
    for user in (author, EditorFactory()):
        assert post_stats_for_editor(slug=post.slug, user=user) == {
            "view_count": 3,
            "comment_count": 2,
            "daily": [],
        }


def test_others_are_refused_and_hidden_drafts_are_none():
    post = PostFactory()
    with pytest.raises(PermissionDeniedError):
        post_stats_for_editor(slug=post.slug, user=ReaderFactory())
    assert post_stats_for_editor(slug=DraftPostFactory().slug, user=ReaderFactory()) is None
    assert post_stats_for_editor(slug="nope", user=EditorFactory()) is None

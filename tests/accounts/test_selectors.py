"""A user's public profile as a selector: cached for everyone, 304 on the caller's tag,
None for no such active user."""

import pytest

from accounts.selectors import user_public_profile_read
from config.api.conditional import ConditionalRead
from tests.factories import AuthorFactory, PostFactory, ReaderFactory


def read(username, if_none_match=None):
    return user_public_profile_read(
        username=username,
        if_none_match=if_none_match,
        cache_key=f"profile-{username}",
        render=lambda user: {"username": user.username, "post_count": user.post_count},
    )


def test_a_profile_with_its_post_count_and_tag(db):
    author = AuthorFactory(username="writer")
    PostFactory(author=author)
    profile = read("writer")
    assert profile.data == {"username": "writer", "post_count": 1}
    assert read("writer", if_none_match=profile.etag) == ConditionalRead(
        etag=profile.etag, not_modified=True
    )


def test_no_such_active_user_is_none(db):
    ReaderFactory(username="gone", is_active=False)
    assert read("gone") is None
    assert read("nobody") is None


@pytest.mark.cached_reads
@pytest.mark.django_db(transaction=True)
def test_a_profile_is_cached(django_assert_num_queries):
    AuthorFactory(username="writer")
    first = read("writer")
    with django_assert_num_queries(0):
        assert read("writer") == first

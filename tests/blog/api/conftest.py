import pytest

from tests import factories


@pytest.fixture
def post(author):
    """A published post by `author`, open to comments."""
    return factories.PostFactory(author=author)


@pytest.fixture
def comment(post, reader):
    """An approved comment of `reader` on `post`."""
    return factories.CommentFactory(post=post, author=reader, body="Original.")

import pytest

from tests.permissions.world import make_world


@pytest.fixture
def world(reader, author, other_author, editor, admin_user):
    return make_world(reader, author, other_author, editor, admin_user)

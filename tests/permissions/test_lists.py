"""The other half of the permission matrix: what each caller sees in the lists, which
answer 200 to everyone."""

import pytest

from tests.helpers import client_for, ids, slugs
from tests.permissions.world import ROLES

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ROLES)
def test_public_post_list_shows_only_published_posts(world, role):
    response = client_for(world.users[role]).get("/api/v1/posts/")
    assert set(slugs(response)) == {"published", "closed"}


# fmt: off
@pytest.mark.parametrize(
    ("status", "role", "expected"),
    [
        ("draft",     "anon",   set()),
        ("draft",     "reader", set()),
        ("draft",     "author", {"draft"}),
        ("draft",     "other",  set()),
        ("draft",     "editor", {"draft"}),
        ("draft",     "admin",  {"draft"}),
        ("scheduled", "anon",   set()),
        ("scheduled", "reader", set()),
        ("scheduled", "author", {"scheduled"}),
        ("scheduled", "other",  set()),
        ("scheduled", "editor", {"scheduled"}),
        ("scheduled", "admin",  {"scheduled"}),
        ("archived",  "anon",   set()),
        ("archived",  "reader", set()),
        ("archived",  "author", {"archived"}),
        ("archived",  "other",  set()),
        ("archived",  "editor", {"archived"}),
        ("archived",  "admin",  {"archived"}),
    ],
)
# fmt: on
def test_post_list_by_status_shows_own_posts_or_all_to_editors(world, status, role, expected):
    response = client_for(world.users[role]).get(f"/api/v1/posts/?status={status}")
    assert set(slugs(response)) == expected


@pytest.mark.parametrize("role", ["anon", "author", "other", "editor", "admin"])
def test_thread_hides_pending_comments_of_others(world, role):
    response = client_for(world.users[role]).get("/api/v1/posts/published/comments/")
    assert set(ids(response)) == {world.approved.pk}


def test_thread_shows_the_reader_their_own_pending_comment(world):
    response = client_for(world.users["reader"]).get("/api/v1/posts/published/comments/")
    assert set(ids(response)) == {world.approved.pk, world.pending.pk}


@pytest.mark.parametrize("role", ["editor", "admin"])
def test_editors_filter_a_thread_by_status(world, role):
    response = client_for(world.users[role]).get(
        "/api/v1/posts/published/comments/?status=pending"
    )
    assert set(ids(response)) == {world.pending.pk}


@pytest.mark.parametrize("role", ["anon", "author", "other"])
def test_status_filter_of_a_thread_reveals_nothing_to_others(world, role):
    # A non-editor's `status=` does not open the moderation queue: they get the public thread.
    response = client_for(world.users[role]).get(
        "/api/v1/posts/published/comments/?status=pending"
    )
    assert set(ids(response)) == {world.approved.pk}


@pytest.mark.parametrize("role", ["editor", "admin"])
def test_moderation_queue_shows_every_comment_to_editors(world, role):
    response = client_for(world.users[role]).get("/api/v1/comments/")
    assert set(ids(response)) == {world.approved.pk, world.pending.pk, world.on_draft.pk}

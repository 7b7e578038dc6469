"""The user admin: the role actions go through the accounts services (one event per user)."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from tests.factories import ReaderFactory

pytestmark = pytest.mark.django_db


def test_admin_bulk_role_action_records_one_event_per_user(admin_web, admin_user, events):
    readers = ReaderFactory.create_batch(2)
    response = admin_web.post(
        "/admin/accounts/user/",
        {"action": "make_author", ACTION_CHECKBOX_NAME: [u.pk for u in readers]},
    )
    assert response.status_code == 302

    new = events.new()
    assert [e.type for e in new] == ["user.role_changed", "user.role_changed"]
    assert {e.aggregate_id for e in new} == {str(u.pk) for u in readers}
    assert all(e.actor_id == admin_user.pk for e in new)

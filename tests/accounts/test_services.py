"""The account services behind the admin's bulk actions and the demo seed."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client

from accounts import services
from accounts.models import Role, User
from tests.factories import AdminFactory, ReaderFactory

pytestmark = pytest.mark.django_db


def test_roles_are_set_in_bulk():
    readers = [ReaderFactory(), ReaderFactory()]
    count = services.user_set_role_many(
        users=User.objects.filter(pk__in=[u.pk for u in readers]), role=Role.AUTHOR
    )
    assert count == 2
    assert set(
        User.objects.filter(pk__in=[u.pk for u in readers]).values_list("role", flat=True)
    ) == {Role.AUTHOR}


def test_an_admin_never_deactivates_themself_in_bulk():
    admin, reader = AdminFactory(), ReaderFactory()
    users = User.objects.filter(pk__in=[admin.pk, reader.pk])
    left_alone = services.user_set_active_many(users=users, is_active=False, actor=admin)
    assert left_alone == [admin]
    admin.refresh_from_db(), reader.refresh_from_db()
    assert admin.is_active and not reader.is_active
    assert services.user_set_active_many(users=users, is_active=True, actor=admin) == []
    reader.refresh_from_db()
    assert reader.is_active


def test_the_admin_action_says_so_and_deactivates_the_others():
    admin, reader = AdminFactory(), ReaderFactory()
    client = Client()
    client.force_login(admin)
    response = client.post(
        "/admin/accounts/user/",
        {"action": "deactivate", ACTION_CHECKBOX_NAME: [str(admin.pk), str(reader.pk)]},
        follow=True,
    )
    assert "You cannot deactivate yourself." in [str(m) for m in response.context["messages"]]
    admin.refresh_from_db(), reader.refresh_from_db()
    assert admin.is_active and not reader.is_active


def test_a_superuser_is_created_as_createsuperuser_does():
    user = services.user_create_superuser(
        username="root2", email="root2@example.com", password="x-long-pass-42", display_name="R"
    )
    assert user.is_superuser and user.is_staff and user.is_admin
    assert user.check_password("x-long-pass-42")
    assert user.display_name == "R"

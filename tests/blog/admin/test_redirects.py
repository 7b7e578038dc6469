"""Redirects in the Django admin: added and deleted through the services (events, the
same rules as the API), not edited."""

import pytest

from analytics.models import Event
from blog.models import Redirect
from tests.helpers import web_client

pytestmark = pytest.mark.django_db

ADD = "/admin/blog/redirect/add/"


def test_an_editor_adds_a_redirect_through_the_service(editor_web, editor):
    response = editor_web.post(
        ADD, {"old_path": "/Old-Post/", "target": "/new/", "status_code": 302}
    )
    assert response.status_code == 302, response.content[:2000]
    redirect = Redirect.objects.get()
    assert (redirect.old_path, redirect.target, redirect.status_code) == ("/old-post", "/new/", 302)
    event = Event.objects.get(type="redirect.created")
    assert (event.aggregate_id, event.actor_id) == (str(redirect.pk), editor.pk)


@pytest.mark.parametrize(
    "data, field",
    [
        ({"old_path": "/x/", "target": "//evil.com"}, "target"),
        ({"old_path": "/x/", "target": "https://evil.com/"}, "target"),
        ({"old_path": "/a", "target": "/c/"}, "old_path"),  # /a/ is taken
        ({"old_path": "/b/", "target": "/A/"}, "target"),  # a loop
    ],
)
def test_the_service_s_rules_are_shown_on_the_form(editor_web, data, field):
    Redirect.objects.create(old_path="/a", target="/b/")
    response = editor_web.post(ADD, {**data, "status_code": 301})
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert Redirect.objects.count() == 1
    assert not Event.objects.filter(type="redirect.created").exists()


def test_a_redirect_is_shown_read_only_and_deleted_with_its_event(editor_web):
    redirect = Redirect.objects.create(old_path="/a", target="/b/")
    page = editor_web.get(f"/admin/blog/redirect/{redirect.pk}/change/")
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert editor_web.get("/admin/blog/redirect/").status_code == 200

    response = editor_web.post(f"/admin/blog/redirect/{redirect.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Redirect.objects.exists()
    assert Event.objects.filter(type="redirect.deleted", aggregate_id=str(redirect.pk)).exists()


def test_authors_do_not_see_redirects(author):
    author.is_staff = True
    author.save()
    assert web_client(author).get("/admin/blog/redirect/").status_code == 403

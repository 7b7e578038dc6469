"""Categories and tags in the Django admin, written through the blog's services (with
their events)."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from analytics.models import Event
from blog.models import Category
from blog.services import posts as post_services
from tests.factories import (
    AuthorFactory,
    CategoryFactory,
    DraftPostFactory,
    PostFactory,
    TagFactory,
)
from tests.helpers import admin_action

pytestmark = pytest.mark.django_db


# --- categories ---------------------------------------------------------------------------


def test_adding_a_category_in_the_admin(editor_web):
    response = editor_web.post(
        "/admin/blog/category/add/", {"name": "Deep Dives", "slug": "", "description": "Long."}
    )
    assert response.status_code == 302
    category = Category.objects.get(name="Deep Dives")
    assert category.slug == "deep-dives"


def test_duplicate_category_name_is_refused(editor_web):
    CategoryFactory(name="News", slug="news")
    response = editor_web.post(
        "/admin/blog/category/add/", {"name": "News", "slug": "news-2", "description": ""}
    )
    assert response.status_code == 200
    assert Category.objects.filter(name="News").count() == 1


def test_deleting_a_category_keeps_its_posts(editor_web):
    category = CategoryFactory()
    posts = [PostFactory(category=category), DraftPostFactory(category=category)]
    url = f"/admin/blog/category/{category.pk}/delete/"
    assert editor_web.get(url).status_code == 200
    response = editor_web.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not Category.objects.filter(pk=category.pk).exists()
    for post in posts:
        post.refresh_from_db()
        assert post.category is None


def test_bulk_deleting_categories_keeps_their_posts(editor_web):
    categories = [CategoryFactory(), CategoryFactory()]
    post = PostFactory(category=categories[0])
    response = editor_web.post(
        "/admin/blog/category/",
        {
            "action": "delete_selected",
            ACTION_CHECKBOX_NAME: [str(c.pk) for c in categories],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert not Category.objects.exists()
    post.refresh_from_db()
    assert post.category is None


def test_category_with_explicit_slug_and_stable_slug_on_change(editor_web):
    response = editor_web.post(
        "/admin/blog/category/add/", {"name": "How-tos", "slug": "howto", "description": ""}
    )
    assert response.status_code == 302
    category = Category.objects.get(slug="howto")
    url = f"/admin/blog/category/{category.pk}/change/"
    assert editor_web.get(url).status_code == 200
    response = editor_web.post(url, {"name": "How-to guides", "slug": "ignored", "description": ""})
    assert response.status_code == 302
    category.refresh_from_db()
    assert (category.name, category.slug) == ("How-to guides", "howto")


# --- tags: through the services, with their events ------------------------------------------


def test_tag_admin_adds_renames_and_deletes_through_the_services(editor_web):
    from blog.models import Tag

    response = editor_web.post("/admin/blog/tag/add/", {"name": "Python", "slug": "python"})
    assert response.status_code == 302
    tag = Tag.objects.get(slug="python")
    post = post_services.post_create(
        author=AuthorFactory(), title="T", body="b", tags=["python"], status="published"
    )

    response = editor_web.post(
        f"/admin/blog/tag/{tag.pk}/change/", {"name": "Python 3", "slug": "python"}
    )
    assert response.status_code == 302
    assert Tag.objects.get(pk=tag.pk).name == "Python 3"

    response = editor_web.post(f"/admin/blog/tag/{tag.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Tag.objects.filter(pk=tag.pk).exists()
    assert list(post.tags.all()) == []

    events = Event.objects.filter(aggregate_type="tag", aggregate_id=str(tag.pk))
    assert list(events.order_by("occurred_at").values_list("type", "data")) == [
        ("tag.created", {"slug": "python"}),
        ("tag.updated", {"slug": "python", "fields": ["name"]}),
        ("tag.deleted", {"slug": "python"}),
    ]


def test_tag_admin_bulk_delete_goes_through_the_service(editor_web):

    tags = [TagFactory(), TagFactory()]
    response = admin_action(editor_web, "/admin/blog/tag/", "delete_selected", tags)
    assert response.status_code == 200  # the confirmation page
    response = editor_web.post(
        "/admin/blog/tag/",
        {
            "action": "delete_selected",
            ACTION_CHECKBOX_NAME: [str(t.pk) for t in tags],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert Event.objects.filter(type="tag.deleted").count() == 2


def test_admin_bulk_delete_of_categories_records_one_event_each(admin_web, events):
    categories = CategoryFactory.create_batch(2)
    response = admin_web.post(
        "/admin/blog/category/",
        {
            "action": "delete_selected",
            ACTION_CHECKBOX_NAME: [c.pk for c in categories],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert events.types() == ["category.deleted", "category.deleted"]

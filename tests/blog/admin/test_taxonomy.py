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


# --- the category tree ---------------------------------------------------------------------


@pytest.fixture
def tree():
    """tech > programming > python; life is another root."""
    tech = CategoryFactory(name="Tech", slug="tech")
    programming = CategoryFactory(name="Programming", slug="programming", parent=tech)
    python = CategoryFactory(name="Python", slug="python", parent=programming)
    life = CategoryFactory(name="Life", slug="life")
    return {c.slug: c for c in (tech, programming, python, life)}


def test_adding_a_category_under_a_parent_in_the_admin(editor_web, tree):
    response = editor_web.post(
        "/admin/blog/category/add/",
        {"name": "Rust", "slug": "", "description": "", "parent": str(tree["programming"].pk)},
    )
    assert response.status_code == 302
    rust = Category.objects.get(slug="rust")
    assert rust.parent == tree["programming"]
    assert rust.path == f"{tree['programming'].path}{rust.pk}/"


def test_moving_a_category_in_the_admin_moves_its_subtree(editor_web, tree):
    events_before = set(Event.objects.values_list("pk", flat=True))
    url = f"/admin/blog/category/{tree['programming'].pk}/change/"
    response = editor_web.post(
        url, {"name": "Programming", "description": "A category.", "parent": str(tree["life"].pk)}
    )
    assert response.status_code == 302
    python = Category.objects.get(slug="python")
    assert python.path.startswith(tree["life"].path)
    [event] = Event.objects.exclude(pk__in=events_before)
    assert event.type == "category.updated"
    assert event.data == {"slug": "programming", "fields": ["parent"], "parent": "life"}


def test_the_admin_offers_no_parent_that_would_make_a_loop(editor_web, tree):
    url = f"/admin/blog/category/{tree['programming'].pk}/change/"
    form = editor_web.get(url).context["adminform"].form
    assert {c.slug for c in form.fields["parent"].queryset} == {"tech", "life"}

    response = editor_web.post(
        url, {"name": "Programming", "description": "", "parent": str(tree["python"].pk)}
    )
    assert response.status_code == 200  # the form again, with its error
    assert "parent" in response.context["adminform"].form.errors
    assert Category.objects.get(slug="programming").parent == tree["tech"]


def test_deleting_a_category_in_the_admin_moves_its_children_up(editor_web, tree):
    url = f"/admin/blog/category/{tree['programming'].pk}/delete/"
    assert editor_web.get(url).status_code == 200
    response = editor_web.post(url, {"post": "yes"})
    assert response.status_code == 302
    python = Category.objects.get(slug="python")
    assert python.parent == tree["tech"]
    assert python.path == f"{tree['tech'].path}{python.pk}/"


def test_bulk_deleting_a_parent_and_its_child_in_the_admin(editor_web, tree):
    selected = [tree["tech"], tree["programming"]]
    response = editor_web.post(
        "/admin/blog/category/",
        {
            "action": "delete_selected",
            ACTION_CHECKBOX_NAME: [str(c.pk) for c in selected],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    python = Category.objects.get(slug="python")
    assert python.parent is None
    assert python.path == f"/{python.pk}/"


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

"""The category and tag endpoints of docs/api.md, and tags created from posts."""

import pytest

from blog.models import Category, Post, PostStatus, Tag
from tests import factories
from tests.helpers import assert_problem, client_for, results, slugs

pytestmark = pytest.mark.django_db

CATEGORIES = "/api/v1/categories/"
TAGS = "/api/v1/tags/"
CATEGORY_FIELDS = {"id", "slug", "name", "description", "parent", "post_count"}


def posts_in(category=None, tags=(), published=0, draft=0, scheduled=0, archived=0):
    """Posts in each status, all by one author (a user per post would only cost time)."""
    author = factories.AuthorFactory()
    post_kwargs = {"author": author, "category": category, "tags": list(tags)}
    for _ in range(published):
        factories.PostFactory(**post_kwargs)
    for _ in range(draft):
        factories.DraftPostFactory(**post_kwargs)
    for _ in range(scheduled):
        factories.PostFactory(**post_kwargs, status=PostStatus.SCHEDULED, published_at=None)
    for _ in range(archived):
        factories.PostFactory(**post_kwargs, status=PostStatus.ARCHIVED)


# --- categories: reading --------------------------------------------------------------------


@pytest.fixture
def categories():
    python = factories.CategoryFactory(name="Python", slug="python", description="Snakes.")
    django = factories.CategoryFactory(name="Django", slug="django")
    empty = factories.CategoryFactory(name="Astronomy", slug="astronomy")
    posts_in(python, published=1, draft=2, scheduled=1, archived=1)
    posts_in(django, published=3, draft=1)
    posts_in(None, published=2)
    return {"python": python, "django": django, "empty": empty}


def test_category_list_counts_published_posts_only(anon_client, categories):
    response = anon_client.get(CATEGORIES)

    items = results(response)
    assert [item["slug"] for item in items] == ["astronomy", "django", "python"]  # by name
    assert set(items[0]) == CATEGORY_FIELDS
    counts = {item["slug"]: item["post_count"] for item in items}
    assert counts == {"astronomy": 0, "django": 3, "python": 1}
    python = next(item for item in items if item["slug"] == "python")
    assert python == {
        "id": categories["python"].pk,
        "slug": "python",
        "name": "Python",
        "description": "Snakes.",
        "parent": None,
        "post_count": 1,
    }
    body = response.json()
    assert body["count"] == 3
    assert body["next"] is None
    assert body["previous"] is None


def test_category_list_search(anon_client, categories):
    assert slugs(anon_client.get(CATEGORIES, {"search": "PYT"})) == ["python"]
    assert slugs(anon_client.get(CATEGORIES, {"search": "o"})) == ["astronomy", "django", "python"]
    assert slugs(anon_client.get(CATEGORIES, {"search": "nothing-matches"})) == []


def test_category_list_ordering(anon_client, categories):
    assert slugs(anon_client.get(CATEGORIES, {"ordering": "name"})) == [
        "astronomy",
        "django",
        "python",
    ]
    assert slugs(anon_client.get(CATEGORIES, {"ordering": "-post_count"})) == [
        "django",
        "python",
        "astronomy",
    ]


def test_category_list_search_and_ordering_combine(anon_client, categories):
    response = anon_client.get(CATEGORIES, {"search": "o", "ordering": "-post_count"})

    assert slugs(response) == ["django", "python", "astronomy"]


@pytest.mark.parametrize("ordering", ["post_count", "-name", "description", "id; drop table"])
def test_category_list_bad_ordering_is_400(anon_client, categories, ordering):
    response = anon_client.get(CATEGORIES, {"ordering": ordering})

    body = assert_problem(response, 400, "validation_error")
    assert "ordering" in body["fields"]


def test_category_list_paginates(anon_client):
    factories.CategoryFactory.create_batch(3)

    body = anon_client.get(CATEGORIES, {"page_size": 2}).json()

    assert len(body["results"]) == 2
    assert body["count"] == 3
    assert body["next"]


def test_category_detail(anon_client, categories):
    response = anon_client.get(f"{CATEGORIES}django/")

    assert response.status_code == 200
    assert response.json() == {
        "id": categories["django"].pk,
        "slug": "django",
        "name": "Django",
        "description": "A category.",
        "parent": None,
        "post_count": 3,
    }


def test_category_detail_unknown_is_404(anon_client):
    assert_problem(anon_client.get(f"{CATEGORIES}nope/"), 404, "not_found")


# --- categories: writing --------------------------------------------------------------------


def test_editor_creates_category(editor):
    response = client_for(editor).post(
        CATEGORIES, {"name": "Machine Learning", "description": "Models."}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["slug"] == "machine-learning"
    assert body["name"] == "Machine Learning"
    assert body["description"] == "Models."
    assert body["post_count"] == 0
    assert Category.objects.get(pk=body["id"]).slug == "machine-learning"


def test_editor_creates_category_with_own_slug(editor):
    response = client_for(editor).post(CATEGORIES, {"name": "Web", "slug": "www"}, format="json")

    assert response.status_code == 201
    assert response.json()["slug"] == "www"


def test_admin_creates_category(admin_user):
    response = client_for(admin_user).post(CATEGORIES, {"name": "Ops"}, format="json")

    assert response.status_code == 201


@pytest.mark.parametrize("name", ["Python", "python", "  PYTHON "])
def test_create_category_with_duplicate_name_is_400(editor, name):
    factories.CategoryFactory(name="Python", slug="python")

    response = client_for(editor).post(CATEGORIES, {"name": name, "slug": "py2"}, format="json")

    body = assert_problem(response, 400, "validation_error")
    assert body["fields"]["name"]
    assert Category.objects.count() == 1


def test_create_category_with_duplicate_slug_is_400(editor):
    factories.CategoryFactory(name="Python", slug="python")

    response = client_for(editor).post(
        CATEGORIES, {"name": "Python 3", "slug": "python"}, format="json"
    )

    body = assert_problem(response, 400, "validation_error")
    assert body["fields"]["slug"]
    assert Category.objects.count() == 1


def test_create_category_whose_derived_slug_is_taken_gets_a_suffix(editor):
    factories.CategoryFactory(name="Something else", slug="news")

    response = client_for(editor).post(CATEGORIES, {"name": "News"}, format="json")

    assert response.status_code == 201
    assert response.json()["slug"] == "news-2"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "Fine", "slug": "not a slug!"}, "slug"),
        ({"name": "Fine", "post_count": 3}, "post_count"),
        ({"name": "Fine", "colour": "red"}, "colour"),
    ],
)
def test_create_category_validates_input(editor, data, field):
    response = client_for(editor).post(CATEGORIES, data, format="json")

    body = assert_problem(response, 400, "validation_error")
    assert field in body["fields"]
    assert not Category.objects.exists()


@pytest.mark.parametrize("who", ["reader", "author"])
def test_create_category_is_for_editors(request, who):
    client = client_for(request.getfixturevalue(who))

    assert_problem(client.post(CATEGORIES, {"name": "X"}, format="json"), 403, "permission_denied")
    assert not Category.objects.exists()


def test_create_category_anonymous_is_401(anon_client):
    assert_problem(
        anon_client.post(CATEGORIES, {"name": "X"}, format="json"), 401, "not_authenticated"
    )


def test_editor_updates_category(editor, categories):
    response = client_for(editor).patch(
        f"{CATEGORIES}python/", {"name": "Python 3", "description": "Newer snakes."}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "Python 3"
    assert body["description"] == "Newer snakes."
    assert body["slug"] == "python"  # a rename keeps the slug (stable URLs)
    assert body["post_count"] == 1


def test_editor_changes_category_slug(editor, anon_client, categories):
    response = client_for(editor).patch(f"{CATEGORIES}python/", {"slug": "py"}, format="json")

    assert response.status_code == 200
    assert response.json()["slug"] == "py"
    assert anon_client.get(f"{CATEGORIES}py/").status_code == 200
    assert anon_client.get(f"{CATEGORIES}python/").status_code == 404


def test_update_category_to_its_own_name_is_fine(editor, categories):
    response = client_for(editor).patch(
        f"{CATEGORIES}python/", {"name": "python", "slug": "python"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["name"] == "python"


@pytest.mark.parametrize(
    ("data", "field"), [({"name": "DJANGO"}, "name"), ({"slug": "django"}, "slug")]
)
def test_update_category_to_duplicate_is_400(editor, categories, data, field):
    response = client_for(editor).patch(f"{CATEGORIES}python/", data, format="json")

    body = assert_problem(response, 400, "validation_error")
    assert body["fields"][field]
    categories["python"].refresh_from_db()
    assert categories["python"].name == "Python"
    assert categories["python"].slug == "python"


def test_update_category_rejects_unknown_fields(editor, categories):
    response = client_for(editor).patch(f"{CATEGORIES}python/", {"id": 7}, format="json")

    body = assert_problem(response, 400, "validation_error")
    assert "id" in body["fields"]


def test_update_unknown_category_is_404(editor):
    response = client_for(editor).patch(f"{CATEGORIES}nope/", {"name": "X"}, format="json")

    assert_problem(response, 404, "not_found")


@pytest.mark.parametrize("who", ["reader", "author"])
def test_update_category_is_for_editors(request, categories, who):
    client = client_for(request.getfixturevalue(who))

    response = client.patch(f"{CATEGORIES}python/", {"name": "Mine"}, format="json")

    assert_problem(response, 403, "permission_denied")
    categories["python"].refresh_from_db()
    assert categories["python"].name == "Python"


def test_put_on_category_is_405(editor, categories):
    response = client_for(editor).put(f"{CATEGORIES}python/", {"name": "X"}, format="json")

    assert_problem(response, 405, "method_not_allowed")


def test_delete_category_keeps_its_posts(editor, anon_client, categories):
    post_ids = set(Post.objects.filter(category=categories["python"]).values_list("id", flat=True))
    assert len(post_ids) == 5

    response = client_for(editor).delete(f"{CATEGORIES}python/")

    assert response.status_code == 204
    assert not Category.objects.filter(slug="python").exists()
    assert set(Post.objects.filter(id__in=post_ids).values_list("id", flat=True)) == post_ids
    assert not Post.objects.filter(id__in=post_ids, category__isnull=False).exists()
    assert anon_client.get(f"{CATEGORIES}python/").status_code == 404
    published = Post.objects.get(id__in=post_ids, status=PostStatus.PUBLISHED)
    detail = anon_client.get(f"/api/v1/posts/{published.slug}/")
    assert detail.status_code == 200
    assert detail.json()["category"] is None


@pytest.mark.parametrize("who", ["reader", "author"])
def test_delete_category_is_for_editors(request, categories, who):
    client = client_for(request.getfixturevalue(who))

    assert_problem(client.delete(f"{CATEGORIES}python/"), 403, "permission_denied")
    assert Category.objects.filter(slug="python").exists()


def test_delete_category_anonymous_is_401(anon_client, categories):
    assert_problem(anon_client.delete(f"{CATEGORIES}python/"), 401, "not_authenticated")


def test_delete_unknown_category_is_404(editor):
    assert_problem(client_for(editor).delete(f"{CATEGORIES}nope/"), 404, "not_found")


# --- tags -----------------------------------------------------------------------------------


@pytest.fixture
def tags():
    python = factories.TagFactory(name="python", slug="python")
    web = factories.TagFactory(name="web", slug="web")
    async_ = factories.TagFactory(name="asyncio", slug="asyncio")
    posts_in(tags=[python], published=1, draft=3)
    posts_in(tags=[python, web], published=2, archived=1)
    posts_in(tags=[async_], draft=1, scheduled=1)
    return {"python": python, "web": web, "asyncio": async_}


def test_tag_list_counts_published_posts_only(anon_client, tags):
    response = anon_client.get(TAGS)

    items = results(response)
    assert items == [
        {"slug": "asyncio", "name": "asyncio", "post_count": 0},
        {"slug": "python", "name": "python", "post_count": 3},
        {"slug": "web", "name": "web", "post_count": 2},
    ]
    assert {"next", "previous", "results"} <= set(response.json())


def test_tag_list_search(anon_client, tags):
    assert slugs(anon_client.get(TAGS, {"search": "PY"})) == ["python"]
    assert slugs(anon_client.get(TAGS, {"search": "zzz"})) == []


def test_tag_list_ordering(anon_client, tags):
    assert slugs(anon_client.get(TAGS, {"ordering": "name"})) == ["asyncio", "python", "web"]
    assert slugs(anon_client.get(TAGS, {"ordering": "-post_count"})) == [
        "python",
        "web",
        "asyncio",
    ]


def test_tag_list_bad_ordering_is_400(anon_client, tags):
    body = assert_problem(anon_client.get(TAGS, {"ordering": "slug"}), 400, "validation_error")
    assert "ordering" in body["fields"]


def test_tags_are_read_only(editor):
    response = client_for(editor).post(TAGS, {"name": "new"}, format="json")

    assert_problem(response, 405, "method_not_allowed")


def test_post_with_unknown_tags_creates_them(author, anon_client):
    factories.TagFactory(name="python", slug="python")

    response = client_for(author).post(
        "/api/v1/posts/",
        {
            "title": "Tagged",
            "body": "Body.",
            "status": "published",
            "tags": ["python", "Brand New", "brand-new", "rust"],
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["tags"] == ["brand-new", "python", "rust"]
    assert Tag.objects.count() == 3
    assert Tag.objects.get(slug="brand-new").name == "Brand New"
    post = Post.objects.get(slug=response.json()["slug"])
    assert set(post.tags.values_list("slug", flat=True)) == {"python", "brand-new", "rust"}
    counts = {item["slug"]: item["post_count"] for item in results(anon_client.get(TAGS))}
    assert counts == {"brand-new": 1, "python": 1, "rust": 1}


def test_draft_with_new_tags_creates_them_with_zero_published_count(author, anon_client):
    response = client_for(author).post(
        "/api/v1/posts/", {"title": "Draft", "body": "Body.", "tags": ["later"]}, format="json"
    )

    assert response.status_code == 201
    assert results(anon_client.get(TAGS)) == [{"slug": "later", "name": "later", "post_count": 0}]


def test_post_with_blank_tag_is_400(author):
    response = client_for(author).post(
        "/api/v1/posts/", {"title": "T", "body": "B", "tags": ["!!!"]}, format="json"
    )

    body = assert_problem(response, 400, "validation_error")
    assert "tags" in body["fields"]
    assert not Post.objects.exists()
    assert not Tag.objects.exists()

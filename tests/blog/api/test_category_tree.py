"""The category tree in the API: `parent` read and written by slug, no loops (400
`category_cycle`), deletes that move the children up, `?category=` on the posts list with
the descendants' posts, and `post_count` of the subtree."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from blog.models import Category
from blog.selectors.posts import post_list
from tests import factories
from tests.helpers import assert_problem, client_for, results, slugs

pytestmark = pytest.mark.django_db

CATEGORIES = "/api/v1/categories/"
POSTS = "/api/v1/posts/"


@pytest.fixture
def tree():
    """tech > programming > python, tech > hardware; life is another root."""
    tech = factories.CategoryFactory(name="Tech", slug="tech")
    programming = factories.CategoryFactory(name="Programming", slug="programming", parent=tech)
    python = factories.CategoryFactory(name="Python", slug="python", parent=programming)
    hardware = factories.CategoryFactory(name="Hardware", slug="hardware", parent=tech)
    life = factories.CategoryFactory(name="Life", slug="life")
    return {c.slug: c for c in (tech, programming, python, hardware, life)}


@pytest.fixture
def posts(tree):
    """Published posts titled by their category; a draft in python."""
    author = factories.AuthorFactory()
    made = {}
    for slug in ("tech", "programming", "python", "hardware", "life"):
        made[slug] = factories.PostFactory(author=author, category=tree[slug], title=slug)
    factories.DraftPostFactory(author=author, category=tree["python"], title="draft")
    factories.PostFactory(author=author, category=None, title="none")
    return made


def titles(response):
    return sorted(item["title"] for item in results(response))


# --- reading ------------------------------------------------------------------------------


def test_categories_show_their_parent_slug_and_subtree_count(anon_client, posts):
    items = {item["slug"]: item for item in results(anon_client.get(CATEGORIES))}

    assert {slug: item["parent"] for slug, item in items.items()} == {
        "hardware": "tech",
        "life": None,
        "programming": "tech",
        "python": "programming",
        "tech": None,
    }
    # Published posts of the category and its descendants (the draft is not counted).
    assert {slug: item["post_count"] for slug, item in items.items()} == {
        "hardware": 1,
        "life": 1,
        "programming": 2,
        "python": 1,
        "tech": 4,
    }
    detail = anon_client.get(f"{CATEGORIES}programming/").json()
    assert detail["parent"] == "tech"
    assert detail["post_count"] == 2


def test_ordering_by_post_count_uses_the_subtree_count(anon_client, posts):
    ordered = slugs(anon_client.get(CATEGORIES, {"ordering": "-post_count"}))
    assert ordered == ["tech", "programming", "hardware", "life", "python"]


def test_the_category_list_does_not_query_per_category(anon_client, tree, posts):
    with CaptureQueriesContext(connection) as few:
        anon_client.get(CATEGORIES)
    for n in range(5):
        factories.CategoryFactory(parent=tree["python"], slug=f"extra-{n}")
    with CaptureQueriesContext(connection) as more:
        assert len(results(anon_client.get(CATEGORIES))) == 10
    assert len(more) == len(few)


# --- the posts list -----------------------------------------------------------------------


def test_posts_of_a_category_include_its_descendants(anon_client, posts):
    assert titles(anon_client.get(POSTS, {"category": "tech"})) == [
        "hardware",
        "programming",
        "python",
        "tech",
    ]
    assert titles(anon_client.get(POSTS, {"category": "programming"})) == ["programming", "python"]
    assert titles(anon_client.get(POSTS, {"category": "python"})) == ["python"]
    assert titles(anon_client.get(POSTS, {"category": "life"})) == ["life"]
    assert titles(anon_client.get(POSTS, {"category": "no-such-category"})) == []


def test_a_category_filter_follows_a_move(anon_client, editor, posts):
    response = client_for(editor).patch(
        f"{CATEGORIES}programming/", {"parent": "life"}, format="json"
    )
    assert response.status_code == 200, response.content

    assert titles(anon_client.get(POSTS, {"category": "tech"})) == ["hardware", "tech"]
    assert titles(anon_client.get(POSTS, {"category": "life"})) == ["life", "programming", "python"]


def test_the_category_filter_reads_the_subtree_in_one_query_whatever_its_depth(tree, posts):
    # The subtree's ids in one query on the categories, then the posts: no query per level.
    deeper = factories.CategoryFactory(slug="deeper", parent=tree["python"])
    factories.PostFactory(category=factories.CategoryFactory(slug="deepest", parent=deeper))
    for slug, expected in (("python", 2), ("tech", 5)):
        with CaptureQueriesContext(connection) as queries:
            qs = post_list(user=None, params={"category": slug})
            assert len(list(qs.values_list("pk", flat=True))) == expected
        assert len(queries) == 2
        assert "LIKE" in queries[0]["sql"]


def test_a_small_categorys_posts_come_from_the_category_index(posts):
    """With the subtree's ids as constants, the posts of one category come newest first
    from `post_category_pub_idx`, not from a walk of every published post. The tables are
    small here, so the planner is told to avoid sequential scans."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    qs = post_list(user=None, params={"category": "python"})
    plan = qs.values_list("pk", flat=True)[:20].explain()
    assert "post_category_pub_idx" in plan


def test_a_subtree_by_its_path_can_use_the_path_index(tree):
    """The moves, deletes and category pages select a subtree by a constant path prefix:
    the index (text_pattern_ops, whatever the database's collation) answers it. The table
    is small here, so the planner is told to avoid sequential scans."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = Category.objects.filter(path__startswith=tree["tech"].path).explain()
    # A range of the index (`~>=~`, `~<~`), not a scan of all of it with a filter.
    assert "category_path_idx" in plan
    assert "Index Cond" in plan and "~>=~" in plan


# --- writing ------------------------------------------------------------------------------


def test_create_a_category_under_a_parent(editor, tree):
    response = client_for(editor).post(
        CATEGORIES, {"name": "Rust", "parent": "programming"}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["parent"] == "programming"
    rust = Category.objects.get(slug="rust")
    assert rust.parent == tree["programming"]
    assert rust.path == f"{tree['programming'].path}{rust.pk}/"


def test_create_under_an_unknown_parent_is_400(editor):
    response = client_for(editor).post(
        CATEGORIES, {"name": "Rust", "parent": "nowhere"}, format="json"
    )

    body = assert_problem(response, 400, "validation_error")
    assert "parent" in body["fields"]
    assert not Category.objects.filter(slug="rust").exists()


def test_move_a_category_and_back_to_the_root(editor, anon_client, tree):
    client = client_for(editor)
    response = client.patch(f"{CATEGORIES}python/", {"parent": "life"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["parent"] == "life"

    response = client.patch(f"{CATEGORIES}python/", {"parent": None}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["parent"] is None
    assert anon_client.get(f"{CATEGORIES}python/").json()["parent"] is None


@pytest.mark.parametrize("parent", ["tech", "programming", "python"])
def test_a_category_under_itself_or_its_descendants_is_400(editor, tree, parent):
    response = client_for(editor).patch(f"{CATEGORIES}tech/", {"parent": parent}, format="json")

    body = assert_problem(response, 400, "category_cycle")
    assert "parent" in body["fields"]
    assert Category.objects.get(slug="tech").parent is None


def test_deleting_a_category_moves_its_children_up(editor, anon_client, posts):
    response = client_for(editor).delete(f"{CATEGORIES}programming/")
    assert response.status_code == 204

    assert anon_client.get(f"{CATEGORIES}python/").json()["parent"] == "tech"
    # Its own post has no category now; python's posts still count under tech.
    assert anon_client.get(f"{CATEGORIES}tech/").json()["post_count"] == 3
    assert titles(anon_client.get(POSTS, {"category": "tech"})) == ["hardware", "python", "tech"]


def test_a_category_written_without_a_path_matches_no_post(anon_client, posts):
    # A row written around the services (a bulk insert) has no path yet: an empty prefix
    # would match every category.
    factories.PostFactory(category=Category.objects.create(name="Raw", slug="raw"), title="raw")

    assert titles(anon_client.get(POSTS, {"category": "raw"})) == []

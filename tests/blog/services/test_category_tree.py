"""The category tree: parents, moves (no loops), deletes that move the children up, the
subtree's posts and counts, and the events of each change."""

import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from blog.models import Category
from blog.selectors.posts import post_latest_published
from blog.selectors.taxonomy import category_get, category_parent_choices
from blog.services.taxonomy import category_create, category_delete, category_update
from config.errors import InvalidInput
from tests import factories
from tests.helpers import assert_event

pytestmark = pytest.mark.django_db


def paths():
    return dict(Category.objects.values_list("slug", "path"))


@pytest.fixture
def tree():
    """tech > programming > python > django, and tech > hardware; life is another root."""
    tech = category_create(name="Tech")
    programming = category_create(name="Programming", parent=tech)
    python = category_create(name="Python", parent=programming)
    django = category_create(name="Django", parent=python)
    hardware = category_create(name="Hardware", parent=tech)
    life = category_create(name="Life")
    return {c.slug: c for c in (tech, programming, python, django, hardware, life)}


def test_created_categories_carry_the_path_of_their_ancestors(tree):
    t, p, py, d = (tree[s].pk for s in ("tech", "programming", "python", "django"))
    assert paths() == {
        "tech": f"/{t}/",
        "programming": f"/{t}/{p}/",
        "python": f"/{t}/{p}/{py}/",
        "django": f"/{t}/{p}/{py}/{d}/",
        "hardware": f"/{t}/{tree['hardware'].pk}/",
        "life": f"/{tree['life'].pk}/",
    }
    assert Category.objects.get(slug="django").parent == tree["python"]


def test_moving_a_category_moves_its_whole_subtree(tree, editor, events):
    category_update(category=tree["programming"], parent=tree["life"], actor=editor)

    life, p = tree["life"].pk, tree["programming"].pk
    py, d = tree["python"].pk, tree["django"].pk
    moved = paths()
    assert moved["programming"] == f"/{life}/{p}/"
    assert moved["python"] == f"/{life}/{p}/{py}/"
    assert moved["django"] == f"/{life}/{p}/{py}/{d}/"
    assert moved["hardware"] == f"/{tree['tech'].pk}/{tree['hardware'].pk}/"  # untouched
    [event] = events.new()
    assert_event(
        event,
        "category.updated",
        aggregate_id=p,
        actor=editor,
        data={"slug": "programming", "fields": ["parent"], "parent": "life"},
    )


def test_moving_to_the_root(tree):
    category_update(category=tree["python"], parent=None)

    py, d = tree["python"].pk, tree["django"].pk
    assert paths()["django"] == f"/{py}/{d}/"
    assert Category.objects.get(slug="python").parent is None


def test_a_category_cannot_be_its_own_parent(tree):
    with pytest.raises(InvalidInput) as caught:
        category_update(category=tree["python"], parent=tree["python"])
    assert caught.value.code == "category_cycle"
    assert "parent" in caught.value.fields


@pytest.mark.parametrize("descendant", ["programming", "python", "django"])
def test_a_category_cannot_move_under_its_descendants(tree, descendant):
    before = paths()
    with pytest.raises(InvalidInput) as caught:
        category_update(category=tree["tech"], parent=tree[descendant])
    assert caught.value.code == "category_cycle"
    assert paths() == before


def test_a_move_checks_the_stored_tree_not_the_callers_copy(tree):
    # The caller loaded `tech` and `django` before python moved out from under tech:
    # django is no longer tech's descendant, so tech may go under it.
    stale_tech, stale_django = tree["tech"], tree["django"]
    category_update(category=Category.objects.get(slug="python"), parent=None)

    category_update(category=stale_tech, parent=stale_django)

    py, d, t = tree["python"].pk, tree["django"].pk, tree["tech"].pk
    assert paths()["tech"] == f"/{py}/{d}/{t}/"
    assert paths()["hardware"] == f"/{py}/{d}/{t}/{tree['hardware'].pk}/"


def test_an_update_without_a_new_parent_still_says_the_parent(tree, events):
    category_update(category=tree["python"], description="Snakes.")

    [event] = events.new()
    assert event.data == {"slug": "python", "fields": ["description"], "parent": "programming"}


def test_setting_the_same_parent_changes_nothing(tree, events):
    category_update(category=tree["python"], parent=tree["programming"])

    assert events.new() == []


def test_created_event_carries_the_parent(events, editor):
    root = category_create(name="Root", actor=editor)
    child = category_create(name="Child", parent=root, actor=editor)

    first, second = events.new()
    assert_event(
        first,
        "category.created",
        aggregate_id=root.pk,
        actor=editor,
        data={"slug": "root", "parent": None},
    )
    assert_event(
        second,
        "category.created",
        aggregate_id=child.pk,
        actor=editor,
        data={"slug": "child", "parent": "root"},
    )


def test_deleting_a_category_moves_its_children_up_to_its_parent(tree, editor, events):
    post = factories.PostFactory(category=tree["programming"])

    category_delete(category=tree["programming"], actor=editor)

    t, py, d = tree["tech"].pk, tree["python"].pk, tree["django"].pk
    assert paths() == {
        "tech": f"/{t}/",
        "python": f"/{t}/{py}/",
        "django": f"/{t}/{py}/{d}/",
        "hardware": f"/{t}/{tree['hardware'].pk}/",
        "life": f"/{tree['life'].pk}/",
    }
    assert Category.objects.get(slug="python").parent == tree["tech"]
    assert Category.objects.get(slug="django").parent == tree["python"]
    post.refresh_from_db()
    assert post.category is None
    updated, deleted = events.new()
    assert_event(
        updated,
        "category.updated",
        aggregate_id=py,
        actor=editor,
        data={"slug": "python", "fields": ["parent"], "parent": "tech"},
    )
    assert_event(
        deleted,
        "category.deleted",
        aggregate_id=tree["programming"].pk,
        actor=editor,
        data={"slug": "programming"},
    )


def test_deleting_a_root_makes_its_children_roots(tree):
    category_delete(category=tree["tech"])

    assert Category.objects.get(slug="programming").parent is None
    assert Category.objects.get(slug="hardware").parent is None
    p, py = tree["programming"].pk, tree["python"].pk
    assert paths()["python"] == f"/{p}/{py}/"


def test_a_stale_copy_of_a_deleted_categorys_child_is_deleted_cleanly(tree):
    # The admin's bulk delete loads every selected category first, then deletes them one
    # by one: python was moved up by programming's delete before its own.
    stale_python = tree["python"]
    category_delete(category=tree["programming"])
    category_delete(category=stale_python)

    t, d = tree["tech"].pk, tree["django"].pk
    assert paths()["django"] == f"/{t}/{d}/"


def test_post_count_counts_the_published_posts_of_the_subtree(tree):
    factories.PostFactory(category=tree["tech"])
    factories.PostFactory.create_batch(2, category=tree["python"])
    factories.PostFactory(category=tree["django"])
    factories.DraftPostFactory(category=tree["django"])
    factories.PostFactory(category=tree["life"])

    counts = {slug: category_get(slug=slug).post_count for slug in tree}
    assert counts == {
        "tech": 4,
        "programming": 3,
        "python": 3,
        "django": 1,
        "hardware": 0,
        "life": 1,
    }


def test_the_category_page_lists_the_subtree_posts(tree):
    own = factories.PostFactory(category=tree["python"])
    below = factories.PostFactory(category=tree["django"])
    factories.PostFactory(category=tree["hardware"])

    assert set(post_latest_published(category=category_get(slug="python"))) == {own, below}


def test_parent_choices_exclude_the_category_and_its_descendants(tree):
    choices = {c.slug for c in category_parent_choices(category=tree["programming"])}
    assert choices == {"tech", "hardware", "life"}
    assert {c.slug for c in category_parent_choices(category=None)} == set(tree)


def test_moves_take_the_tree_lock(tree):
    # Two concurrent moves could each pass the cycle check; the lock serializes them.
    with CaptureQueriesContext(connection) as queries:
        category_update(category=tree["python"], parent=tree["life"])
    assert any("LOCK TABLE" in q["sql"] for q in queries.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_opposite_moves_make_no_loop():
    """A under B and, at the same time, B under A: each alone passes the cycle check
    against what it can see. The tree lock makes the second wait for the first's commit,
    then see it and refuse."""
    a, b = category_create(name="A"), category_create(name="B")
    moved, release = threading.Event(), threading.Event()
    outcome = {}

    def first():
        try:
            with transaction.atomic():
                category_update(category=Category.objects.get(pk=a.pk), parent=b)
                moved.set()
                release.wait(timeout=30)
        finally:
            moved.set()
            connection.close()

    def second():
        try:
            category_update(category=Category.objects.get(pk=b.pk), parent=a)
            outcome["second"] = "moved"
        except InvalidInput as exc:
            outcome["second"] = exc.code
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    try:
        assert moved.wait(timeout=30)
        threads[1].start()
        threads[1].join(timeout=1)
        assert threads[1].is_alive()  # waiting for the first move's commit
    finally:
        release.set()
        for thread in threads:
            thread.join(timeout=30)
    assert outcome == {"second": "category_cycle"}
    assert Category.objects.get(pk=a.pk).parent_id == b.pk
    assert Category.objects.get(pk=b.pk).parent_id is None

"""The Django admin for editors: access by role, and writes through the blog's services."""

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from blog.models import Category, Comment, CommentStatus, Post, PostStatus
from blog.services import comments as comment_services
from blog.services import posts as post_services
from tests.factories import (
    AuthorFactory,
    CategoryFactory,
    CommentFactory,
    DraftPostFactory,
    PostFactory,
    ReaderFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db

CONTENT_CHANGELISTS = [
    "/admin/blog/post/",
    "/admin/blog/comment/",
    "/admin/blog/category/",
    "/admin/blog/tag/",
]


def login(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def editor_web(editor):
    return login(editor)


@pytest.fixture
def admin_web(admin_user):
    return login(admin_user)


def _management_data(response):
    """The management forms of the inline formsets shown on an add/change page."""
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data[f"{management.prefix}-{name}"] = management[name].value()
    return data


def _post_form_data(response, **overrides):
    """The post form as the change page shows it, with `overrides` applied."""
    form = response.context["adminform"].form
    data = {
        "title": form["title"].value() or "",
        "excerpt": form["excerpt"].value() or "",
        "body": form["body"].value() or "",
        "tag_list": form["tag_list"].value() or "",
        "category": form["category"].value() or "",
        "publish_at_0": "",
        "publish_at_1": "",
    }
    if form["allow_comments"].value():
        data["allow_comments"] = "on"
    data.update(_management_data(response))
    data.update(overrides)
    return data


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- access by role ---------------------------------------------------------------------


def test_editor_sees_the_admin_index(editor_web):
    response = editor_web.get("/admin/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "/admin/blog/post/" in content
    assert "/admin/blog/comment/" in content
    assert "/admin/accounts/user/" not in content


@pytest.mark.parametrize("path", CONTENT_CHANGELISTS)
def test_editor_sees_content_changelists(editor_web, path):
    PostFactory()
    CommentFactory()
    CategoryFactory()
    TagFactory()
    assert editor_web.get(path).status_code == 200


@pytest.mark.parametrize(
    "path", ["/admin/accounts/user/", "/admin/accounts/user/add/", "/admin/accounts/"]
)
def test_editor_may_not_manage_users(editor_web, path):
    assert editor_web.get(path).status_code in (403, 404)


def test_editor_gets_403_on_users_changelist(editor_web):
    assert editor_web.get("/admin/accounts/user/").status_code == 403


def test_editor_may_not_open_a_user(editor_web, reader):
    assert editor_web.get(f"/admin/accounts/user/{reader.pk}/change/").status_code == 403


def test_admin_sees_users(admin_web, reader):
    response = admin_web.get("/admin/accounts/user/")
    assert response.status_code == 200
    assert reader.username in response.content.decode()
    assert admin_web.get(f"/admin/accounts/user/{reader.pk}/change/").status_code == 200
    assert "/admin/accounts/user/" in admin_web.get("/admin/").content.decode()


@pytest.mark.parametrize("path", CONTENT_CHANGELISTS)
def test_admin_sees_content_changelists(admin_web, path):
    assert admin_web.get(path).status_code == 200


@pytest.mark.parametrize("path", ["/admin/", "/admin/blog/post/", "/admin/accounts/user/"])
def test_reader_without_staff_is_redirected_to_login(reader, path):
    assert reader.is_staff is False
    response = login(reader).get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_anonymous_is_redirected_to_login():
    response = Client().get("/admin/blog/post/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_flag_without_editor_role_grants_no_content(db):
    # Roles, not the staff flag alone, decide: a staff author manages nothing here.
    author = AuthorFactory(is_staff=True)
    client = login(author)
    index = client.get("/admin/")
    assert index.status_code == 200
    assert "/admin/blog/post/" not in index.content.decode()
    assert client.get("/admin/blog/post/").status_code == 403


# --- posts: add and change through the services -----------------------------------------


def test_adding_a_post_goes_through_the_service(editor, editor_web, monkeypatch):
    category = CategoryFactory()
    PostFactory(slug="hello-admin-world")  # the slug clashes: the service adds -2
    calls = []
    real_create = post_services.post_create

    def spy(**kwargs):
        calls.append(kwargs)
        return real_create(**kwargs)

    monkeypatch.setattr(post_services, "post_create", spy)
    add_page = editor_web.get("/admin/blog/post/add/")
    assert add_page.status_code == 200
    data = _post_form_data(
        add_page,
        title="Hello admin world",
        body="Some *text* <script>alert(1)</script>",
        tag_list="Django, admin",
        category=str(category.pk),
        allow_comments="on",
    )
    response = editor_web.post("/admin/blog/post/add/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors

    assert len(calls) == 1
    post = Post.objects.get(title="Hello admin world")
    assert post.slug == "hello-admin-world-2"
    assert post.author == editor
    assert post.status == PostStatus.DRAFT
    assert post.category == category
    assert sorted(post.tags.values_list("slug", flat=True)) == ["admin", "django"]
    assert "<em>text</em>" in post.body_html
    assert "<script" not in post.body_html
    assert post.excerpt
    (revision,) = post.revisions.all()
    assert revision.title == "Hello admin world"
    assert revision.author == editor
    assert response["Location"] == "/admin/blog/post/"


def test_adding_a_post_with_invalid_data_redisplays_the_form(editor_web):
    add_page = editor_web.get("/admin/blog/post/add/")
    response = editor_web.post(
        "/admin/blog/post/add/", _post_form_data(add_page, title="", body="")
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not Post.objects.exists()


def test_editing_the_title_keeps_a_revision(editor, editor_web):
    post = post_services.post_create(
        author=AuthorFactory(), title="First title", body="The body.", status="published"
    )
    original_slug = post.slug
    url = f"/admin/blog/post/{post.pk}/change/"
    change_page = editor_web.get(url)
    assert change_page.status_code == 200
    response = editor_web.post(url, _post_form_data(change_page, title="Second title"))
    assert response.status_code == 302, response.context["adminform"].form.errors

    post.refresh_from_db()
    assert post.title == "Second title"
    assert post.slug == original_slug  # slugs are stable
    assert post.status == PostStatus.PUBLISHED
    revisions = list(post.revisions.order_by("-created_at", "-id"))
    assert [r.title for r in revisions] == ["Second title", "First title"]
    assert revisions[0].author == editor


def test_saving_without_text_changes_keeps_no_revision(editor_web):
    post = post_services.post_create(author=AuthorFactory(), title="Same", body="Same body.")
    url = f"/admin/blog/post/{post.pk}/change/"
    change_page = editor_web.get(url)
    response = editor_web.post(url, _post_form_data(change_page, allow_comments=""))
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.allow_comments is False
    assert post.revisions.count() == 1


def test_editing_body_rerenders_sanitized_html(editor_web):
    post = post_services.post_create(author=AuthorFactory(), title="T", body="old")
    url = f"/admin/blog/post/{post.pk}/change/"
    change_page = editor_web.get(url)
    body = '**new** <img src=x onerror="alert(1)">'
    response = editor_web.post(url, _post_form_data(change_page, body=body))
    assert response.status_code == 302
    post.refresh_from_db()
    assert "<strong>new</strong>" in post.body_html
    assert "onerror" not in post.body_html
    assert post.revisions.count() == 2


def test_post_change_page_shows_revisions(editor_web, editor):
    post = post_services.post_create(author=AuthorFactory(), title="Rev one", body="Body one")
    post_services.post_update(post=post, actor=editor, title="Rev two")
    response = editor_web.get(f"/admin/blog/post/{post.pk}/change/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Rev one" in content
    assert "Rev two" in content
    inline_prefixes = [i.formset.prefix for i in response.context["inline_admin_formsets"]]
    assert "revisions" in inline_prefixes


def test_post_changelist_filters_and_search(editor_web):
    PostFactory(title="Findable needle")
    DraftPostFactory(title="A draft haystack")
    response = editor_web.get("/admin/blog/post/", {"status__exact": "draft"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "A draft haystack" in content
    assert "Findable needle" not in content
    response = editor_web.get("/admin/blog/post/", {"q": "needle"})
    content = response.content.decode()
    assert "Findable needle" in content
    assert "A draft haystack" not in content


def test_deleting_a_post_in_the_admin(editor_web):
    post = PostFactory()
    response = editor_web.post(f"/admin/blog/post/{post.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Post.objects.filter(pk=post.pk).exists()


# --- posts: bulk actions ----------------------------------------------------------------


def _action(client, path, action, objects):
    return client.post(
        path,
        {"action": action, ACTION_CHECKBOX_NAME: [str(o.pk) for o in objects], "index": "0"},
    )


def test_bulk_publish_publishes_drafts(editor_web):
    drafts = [DraftPostFactory(), DraftPostFactory()]
    untouched = DraftPostFactory()
    response = _action(editor_web, "/admin/blog/post/", "post_publish", drafts)
    assert response.status_code == 302
    for post in drafts:
        post.refresh_from_db()
        assert post.status == PostStatus.PUBLISHED
        assert post.published_at is not None
    untouched.refresh_from_db()
    assert untouched.status == PostStatus.DRAFT


def test_bulk_publish_schedules_posts_with_a_future_publish_at(editor_web):
    later = timezone.now() + timedelta(days=2)
    post = DraftPostFactory(publish_at=later)
    _action(editor_web, "/admin/blog/post/", "post_publish", [post])
    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED
    assert post.published_at is None


def test_bulk_archive_archives(editor_web):
    posts = [PostFactory(), DraftPostFactory()]
    response = _action(editor_web, "/admin/blog/post/", "post_archive", posts)
    assert response.status_code == 302
    for post in posts:
        post.refresh_from_db()
        assert post.status == PostStatus.ARCHIVED


def test_bulk_unpublish_returns_posts_to_draft(editor_web):
    post = PostFactory()
    _action(editor_web, "/admin/blog/post/", "post_unpublish", [post])
    post.refresh_from_db()
    assert post.status == PostStatus.DRAFT
    assert post.published_at is None


def test_bulk_action_reports_posts_it_could_not_change(editor_web):
    published = PostFactory()
    draft = DraftPostFactory()
    response = _action(editor_web, "/admin/blog/post/", "post_publish", [published, draft])
    assert response.status_code == 302
    draft.refresh_from_db()
    published.refresh_from_db()
    assert draft.status == PostStatus.PUBLISHED
    assert published.status == PostStatus.PUBLISHED
    messages = _messages(response)
    assert "1 post(s) updated." in messages
    assert any(published.slug in m for m in messages)


# --- comments: moderation ---------------------------------------------------------------


@pytest.fixture
def post_with_comments():
    post = PostFactory()
    readers = [ReaderFactory() for _ in range(3)]
    comments = [
        comment_services.comment_create(post=post, author=reader, body=f"Comment {i}")
        for i, reader in enumerate(readers)
    ]
    post.refresh_from_db()
    assert post.comment_count == 3
    return post, comments


def test_bulk_mark_spam_updates_statuses_and_comment_count(editor_web, post_with_comments):
    post, comments = post_with_comments
    response = _action(editor_web, "/admin/blog/comment/", "mark_spam", comments[:2])
    assert response.status_code == 302
    statuses = dict(Comment.objects.values_list("pk", "status"))
    assert statuses[comments[0].pk] == CommentStatus.SPAM
    assert statuses[comments[1].pk] == CommentStatus.SPAM
    assert statuses[comments[2].pk] == CommentStatus.APPROVED
    post.refresh_from_db()
    assert post.comment_count == 1
    assert "2 comment(s) marked spam." in _messages(response)


@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("mark_rejected", CommentStatus.REJECTED),
        ("mark_pending", CommentStatus.PENDING),
        ("mark_spam", CommentStatus.SPAM),
    ],
)
def test_every_moderation_action_hides_comments(editor_web, post_with_comments, action, status):
    post, comments = post_with_comments
    _action(editor_web, "/admin/blog/comment/", action, comments)
    assert set(Comment.objects.values_list("status", flat=True)) == {status}
    post.refresh_from_db()
    assert post.comment_count == 0


def test_bulk_approve_counts_comments_again(editor_web):
    post = PostFactory()
    pending = [CommentFactory(post=post, status=CommentStatus.PENDING) for _ in range(2)]
    spam = CommentFactory(post=post, status=CommentStatus.SPAM)
    response = _action(editor_web, "/admin/blog/comment/", "mark_approved", [*pending, spam])
    assert response.status_code == 302
    assert set(Comment.objects.values_list("status", flat=True)) == {CommentStatus.APPROVED}
    post.refresh_from_db()
    assert post.comment_count == 3


def test_moderation_across_posts_updates_each_count(editor_web):
    first, second = PostFactory(), PostFactory()
    comments = [
        CommentFactory(post=first, status=CommentStatus.PENDING),
        CommentFactory(post=second, status=CommentStatus.PENDING),
        CommentFactory(post=second, status=CommentStatus.PENDING),
    ]
    _action(editor_web, "/admin/blog/comment/", "mark_approved", comments)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.comment_count, second.comment_count) == (1, 2)


def test_pending_queue_filter(editor_web):
    CommentFactory(body="Held for review", status=CommentStatus.PENDING)
    CommentFactory(body="Already fine", status=CommentStatus.APPROVED)
    response = editor_web.get("/admin/blog/comment/", {"queue": "pending"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "Held for review" in content
    assert "Already fine" not in content


def test_comment_cannot_be_added_in_the_admin(editor_web):
    assert editor_web.get("/admin/blog/comment/add/").status_code == 403


def test_editing_a_comment_body_in_the_admin(editor_web):
    comment = CommentFactory(body="Original")
    url = f"/admin/blog/comment/{comment.pk}/change/"
    assert editor_web.get(url).status_code == 200
    response = editor_web.post(url, {"body": "Edited by an editor"})
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.body == "Edited by an editor"


# --- categories -------------------------------------------------------------------------


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


def test_superuser_can_add_and_edit_posts(db):
    # A superuser (manage.py createsuperuser) sees the revisions inline through Django's
    # permissions too; saving must work with it on the page.
    from accounts.models import User

    superuser = User.objects.create_superuser("root", "root@example.com", "x-Strong-pass-42")
    client = login(superuser)
    add_page = client.get("/admin/blog/post/add/")
    data = _post_form_data(add_page, title="By root", body="Root's body.")
    assert client.post("/admin/blog/post/add/", data).status_code == 302
    post = Post.objects.get(title="By root")
    url = f"/admin/blog/post/{post.pk}/change/"
    change_page = client.get(url)
    assert "By root" in change_page.content.decode()
    response = client.post(url, _post_form_data(change_page, title="Renamed by root"))
    assert response.status_code == 302
    assert post.revisions.count() == 2


def test_revisions_cannot_be_edited_through_the_change_form(editor_web):
    post = post_services.post_create(author=AuthorFactory(), title="Kept", body="Body")
    revision = post.revisions.get()
    url = f"/admin/blog/post/{post.pk}/change/"
    change_page = editor_web.get(url)
    data = _post_form_data(change_page)
    data.update(
        {
            "revisions-0-id": str(revision.pk),
            "revisions-0-post": str(post.pk),
            "revisions-0-title": "Tampered",
            "revisions-0-body": "Tampered",
            "revisions-0-DELETE": "on",
        }
    )
    assert editor_web.post(url, data).status_code == 302
    revision.refresh_from_db()
    assert (revision.title, revision.body) == ("Kept", "Body")


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
    from analytics.models import Event
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
    from analytics.models import Event

    tags = [TagFactory(), TagFactory()]
    response = _action(editor_web, "/admin/blog/tag/", "delete_selected", tags)
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

"""Posts in the Django admin: adding and changing them through the blog's services, the
bulk actions, revisions. (Access by role: test_access.py.)"""

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.utils import timezone

from accounts.models import User
from blog.models import Post, PostStatus
from blog.services import posts as post_services
from tests.factories import AuthorFactory, CategoryFactory, DraftPostFactory, PostFactory
from tests.helpers import admin_action, admin_messages, web_client

pytestmark = pytest.mark.django_db


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
        "body_format": form["body_format"].value() or "",
        "tag_list": form["tag_list"].value() or "",
        "category": form["category"].value() or "",
        "featured_image": form["featured_image"].value() or "",
        "publish_at_0": "",
        "publish_at_1": "",
    }
    if form["allow_comments"].value():
        data["allow_comments"] = "on"
    data.update(_management_data(response))
    data.update(overrides)
    return data


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


def test_switching_a_post_to_html_in_the_admin(editor_web):
    post = post_services.post_create(author=AuthorFactory(), title="T", body="*old*")
    url = f"/admin/blog/post/{post.pk}/change/"
    change_page = editor_web.get(url)
    assert 'name="body_format"' in change_page.content.decode()
    body = '<p>*kept*</p><iframe src="https://player.vimeo.com/video/1" onload="x"></iframe>'
    response = editor_web.post(url, _post_form_data(change_page, body=body, body_format="html"))
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.body_format == "html"
    assert post.body_html.startswith('<p>*kept*</p><iframe src="https://player.vimeo.com/video/1"')
    assert "sandbox=" in post.body_html and "onload" not in post.body_html
    assert list(post.revisions.values_list("body_format", flat=True)) == ["html", "markdown"]


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


def test_bulk_publish_publishes_drafts(editor_web):
    drafts = [DraftPostFactory(), DraftPostFactory()]
    untouched = DraftPostFactory()
    response = admin_action(editor_web, "/admin/blog/post/", "post_publish", drafts)
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
    admin_action(editor_web, "/admin/blog/post/", "post_publish", [post])
    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED
    assert post.published_at is None


def test_bulk_archive_archives(editor_web):
    posts = [PostFactory(), DraftPostFactory()]
    response = admin_action(editor_web, "/admin/blog/post/", "post_archive", posts)
    assert response.status_code == 302
    for post in posts:
        post.refresh_from_db()
        assert post.status == PostStatus.ARCHIVED


def test_bulk_unpublish_returns_posts_to_draft(editor_web):
    post = PostFactory()
    admin_action(editor_web, "/admin/blog/post/", "post_unpublish", [post])
    post.refresh_from_db()
    assert post.status == PostStatus.DRAFT
    assert post.published_at is None


def test_bulk_action_reports_posts_it_could_not_change(editor_web):
    published = PostFactory()
    draft = DraftPostFactory()
    response = admin_action(editor_web, "/admin/blog/post/", "post_publish", [published, draft])
    assert response.status_code == 302
    draft.refresh_from_db()
    published.refresh_from_db()
    assert draft.status == PostStatus.PUBLISHED
    assert published.status == PostStatus.PUBLISHED
    messages = admin_messages(response)
    assert "1 post(s) updated." in messages
    assert any(published.slug in m for m in messages)


# --- superusers and the revisions inline ------------------------------------------------


def test_superuser_can_add_and_edit_posts(db):
    # A superuser (manage.py createsuperuser) sees the revisions inline through Django's
    # permissions too; saving must work with it on the page.
    superuser = User.objects.create_superuser("root", "root@example.com", "x-Strong-pass-42")
    client = web_client(superuser)
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


# --- posts: one event per post a bulk action changed --------------------------------------


@pytest.mark.parametrize(
    ("action", "start", "unchangeable", "event_type"),
    [
        ("post_publish", PostStatus.DRAFT, PostStatus.PUBLISHED, "post.published"),
        ("post_unpublish", PostStatus.PUBLISHED, PostStatus.DRAFT, "post.unpublished"),
        ("post_archive", PostStatus.PUBLISHED, PostStatus.ARCHIVED, "post.archived"),
    ],
)
def test_admin_post_action_records_one_event_per_changed_post(
    admin_web, admin_user, events, action, start, unchangeable, event_type
):
    posts = [PostFactory(status=start, published_at=None) for _ in range(2)]
    # One the action refuses (a conflict): it must record nothing.
    refused = PostFactory(status=unchangeable)
    selected = [p.pk for p in posts] + [refused.pk]

    response = admin_web.post(
        "/admin/blog/post/", {"action": action, ACTION_CHECKBOX_NAME: selected}
    )
    assert response.status_code == 302

    new = events.new()
    assert [e.type for e in new] == [event_type, event_type]
    assert {e.aggregate_id for e in new} == {str(p.pk) for p in posts}
    assert all(e.actor_id == admin_user.pk for e in new)


def test_admin_bulk_delete_of_posts_records_one_event_per_post(admin_web, events):
    posts = PostFactory.create_batch(2)
    response = admin_web.post(
        "/admin/blog/post/",
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [p.pk for p in posts], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Post.objects.filter(pk__in=[p.pk for p in posts]).exists()

    new = events.new()
    assert [e.type for e in new] == ["post.deleted", "post.deleted"]
    assert {(e.aggregate_id, e.data["slug"]) for e in new} == {(str(p.pk), p.slug) for p in posts}

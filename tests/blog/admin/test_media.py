"""The media library in the Django admin: thumbnails, search and filters; uploads, alt
text and caption, deletes through blog.services.media; editors see every media, authors
with admin access their own. And the featured-image picker of the post form."""

import pytest

from blog.models import Media, MediaStatus, Post
from tests.blog.admin.test_posts import _post_form_data
from tests.factories import (
    AuthorFactory,
    EditorFactory,
    MediaFactory,
    PostFactory,
    ReadyMediaFactory,
)
from tests.helpers import (
    admin_action,
    admin_messages,
    image_bytes,
    stored_files,
    upload_file,
    web_client,
)

pytestmark = pytest.mark.django_db

LIBRARY = "/admin/blog/media/"
ADD = "/admin/blog/media/add/"


def change_url(media) -> str:
    return f"/admin/blog/media/{media.pk}/change/"


@pytest.fixture
def staff_author():
    """An author let into the admin (authors are not, by default): their media only."""
    return AuthorFactory(is_staff=True)


def listed(response) -> list[Media]:
    assert response.status_code == 200, response.content[:300]
    return list(response.context["cl"].result_list)


# --- the library ------------------------------------------------------------------------


def test_the_library_lists_every_media_with_thumbnails(editor_web):
    ready = ReadyMediaFactory(alt_text="A red barn")
    processing = MediaFactory(alt_text="Still working")
    remote = MediaFactory(status=MediaStatus.REMOTE, file="", source_url="https://x.example/a.png")
    response = editor_web.get(LIBRARY)
    assert set(listed(response)) == {ready, processing, remote}
    content = response.content.decode()
    thumbnail = ready.renditions["thumbnail"]["name"]
    assert f'<img src="/media/{thumbnail}" alt="A red barn"' in content
    assert f'<img src="/media/{processing.file.name}"' in content  # no thumbnail yet
    assert "x.example" not in content  # remote images are not loaded by the admin
    assert "/admin/blog/media/" in editor_web.get("/admin/").content.decode()


@pytest.mark.parametrize(
    "query, expected",
    [("barn", ["barn"]), ("sunset", ["caption"]), ("holiday-2024", ["name"]), ("nothing", [])],
)
def test_search_by_alt_text_caption_and_file_name(editor_web, query, expected):
    made = {
        "barn": ReadyMediaFactory(alt_text="A red barn"),
        "caption": ReadyMediaFactory(caption="At sunset"),
        "name": ReadyMediaFactory(original_name="holiday-2024.jpg"),
    }
    found = listed(editor_web.get(LIBRARY, {"q": query}))
    assert found == [made[key] for key in expected]


def test_filters_by_status_and_uploader(editor_web, author):
    mine = MediaFactory(uploaded_by=author)
    ready = ReadyMediaFactory()
    assert listed(editor_web.get(LIBRARY, {"status__exact": "ready"})) == [ready]
    assert listed(editor_web.get(LIBRARY, {"uploaded_by__id__exact": author.pk})) == [mine]


def test_an_author_in_the_admin_sees_and_manages_only_their_own(staff_author):
    client = web_client(staff_author)
    mine = ReadyMediaFactory(uploaded_by=staff_author)
    theirs = ReadyMediaFactory()
    assert listed(client.get(LIBRARY)) == [mine]
    assert client.get(change_url(mine)).status_code == 200
    # Someone else's: as if it did not exist (the admin redirects with a message).
    assert client.get(change_url(theirs)).status_code == 302
    assert client.post(f"/admin/blog/media/{theirs.pk}/delete/", {"post": "yes"}).status_code == 302
    assert Media.objects.filter(pk=theirs.pk).exists()
    # Posts stay the editors' (tests/blog/admin/test_access.py).
    assert client.get("/admin/blog/post/").status_code == 403


def test_readers_and_anonymous_users_do_not_get_in(reader, client):
    assert web_client(reader).get(LIBRARY).status_code == 302
    assert client.get(LIBRARY).status_code == 302
    assert web_client(AuthorFactory()).get(LIBRARY).status_code == 302  # no admin access


# --- upload -------------------------------------------------------------------------------


def test_upload_goes_through_the_service(editor, editor_web, events, media_root):
    page = editor_web.get(ADD)
    assert page.status_code == 200 and 'type="file"' in page.content.decode()
    response = editor_web.post(
        ADD,
        {
            "upload": upload_file(image_bytes("JPEG", (900, 600)), name="lake.jpg"),
            "alt_text": "A lake",
            "caption": "At dawn",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    media = Media.objects.get()
    assert (media.alt_text, media.caption, media.uploaded_by) == ("A lake", "At dawn", editor)
    assert media.original_name == "lake.jpg"
    assert media.content_type == "image/jpeg" and (media.width, media.height) == (900, 600)
    assert media.file.name.startswith("library/") and not media.file.name.endswith("lake.jpg")
    assert media.status == MediaStatus.READY  # the renditions job ran (eager in tests)
    assert "media.uploaded" in events.types()
    assert response["Location"] == LIBRARY


@pytest.mark.parametrize(
    "data, name, field",
    [
        (b"<html><script>alert(1)</script></html>", "page.png", "upload"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "logo.svg", "upload"),
        (image_bytes("PNG", (20, 20))[:40], "cut.png", "upload"),
    ],
    ids=["html-named-png", "svg", "truncated"],
)
def test_a_refused_file_is_a_form_error_and_leaves_nothing(
    editor_web, media_root, data, name, field
):
    response = editor_web.post(ADD, {"upload": upload_file(data, name=name), "alt_text": "x"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field]
    assert not Media.objects.exists()
    assert stored_files(media_root) == []


def test_alt_text_is_required(editor_web, media_root):
    response = editor_web.post(ADD, {"upload": upload_file(image_bytes()), "alt_text": ""})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["alt_text"]
    assert not Media.objects.exists() and stored_files(media_root) == []


# --- alt text and caption -------------------------------------------------------------------


def test_alt_text_and_caption_are_edited_through_the_service(editor_web, events):
    media = ReadyMediaFactory(alt_text="Old", caption="")
    page = editor_web.get(change_url(media))
    assert page.status_code == 200
    assert f'<img src="/media/{media.renditions["thumbnail"]["name"]}"' in page.content.decode()
    response = editor_web.post(change_url(media), {"alt_text": "New", "caption": "A caption"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    media.refresh_from_db()
    assert (media.alt_text, media.caption) == ("New", "A caption")
    (updated,) = [e for e in events.new() if e.type == "media.updated"]
    assert updated.data["fields"] == ["alt_text", "caption"]


def test_the_change_page_shows_the_file_and_where_it_is_used(editor_web):
    media = ReadyMediaFactory()
    post = PostFactory(title="Uses it", featured_image=media)
    content = editor_web.get(change_url(media)).content.decode()
    assert f"/media/{media.file.name}" in content
    assert f"/admin/blog/post/{post.pk}/change/" in content and "Uses it" in content


# --- delete -------------------------------------------------------------------------------


def test_deleting_unused_media_goes_through_the_service(editor_web, events):
    media = ReadyMediaFactory()
    response = editor_web.post(f"/admin/blog/media/{media.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Media.objects.filter(pk=media.pk).exists()
    assert "media.deleted" in events.types()


def test_media_in_use_is_not_deleted(editor_web):
    media = ReadyMediaFactory()
    PostFactory(title="Featuring it", featured_image=media)
    page = editor_web.post(f"/admin/blog/media/{media.pk}/delete/", {"post": "yes"})
    assert page.status_code == 200  # Django's page of protected objects
    assert "Featuring it" in page.content.decode()
    assert Media.objects.filter(pk=media.pk).exists()


def test_a_409_from_the_service_is_a_message(editor, editor_web, monkeypatch):
    # A post took the media as its featured image after the delete page was shown: the
    # service answers media_in_use, the admin says so and deletes nothing.
    media = ReadyMediaFactory()
    unused = ReadyMediaFactory()
    from blog import admin as blog_admin

    real_delete = blog_admin.media_services.media_delete

    def taken_meanwhile(*, media, actor):
        PostFactory(featured_image=media)
        return real_delete(media=media, actor=actor)

    monkeypatch.setattr(blog_admin.media_services, "media_delete", taken_meanwhile)
    response = editor_web.post(f"/admin/blog/media/{media.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert response["Location"] == change_url(media)
    (message,) = admin_messages(response)
    assert "not deleted" in message and "uses this media" in message
    assert Media.objects.filter(pk=media.pk).exists()

    response = admin_action(editor_web, LIBRARY, "delete_selected", [unused])
    assert response.status_code == 200  # the confirmation page
    response = editor_web.post(
        LIBRARY,
        {"action": "delete_selected", "_selected_action": [unused.pk], "post": "yes"},
    )
    assert "not deleted" in " ".join(admin_messages(response))
    assert Media.objects.filter(pk=unused.pk).exists()


# --- the featured-image picker on the post form ------------------------------------------


def test_the_post_form_has_a_featured_image_picker_with_a_preview(editor_web):
    media = ReadyMediaFactory(alt_text="The chosen one")
    post = PostFactory(featured_image=media)
    content = editor_web.get(f"/admin/blog/post/{post.pk}/change/").content.decode()
    assert 'name="featured_image"' in content
    assert f'value="{media.pk}"' in content
    assert "/admin/blog/media/?_to_field=id" in content  # the library, as the picker
    thumbnail = media.renditions["thumbnail"]["name"]
    assert f'<img src="/media/{thumbnail}" alt="The chosen one"' in content
    assert editor_web.get(LIBRARY, {"_to_field": "id", "_popup": "1"}).status_code == 200


def test_picking_a_featured_image_goes_through_the_service(editor_web, events):
    media = ReadyMediaFactory(uploaded_by=EditorFactory())
    post = PostFactory(author=AuthorFactory())
    url = f"/admin/blog/post/{post.pk}/change/"
    response = editor_web.post(url, _post_form_data(editor_web.get(url), featured_image=media.pk))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Post.objects.get(pk=post.pk).featured_image == media
    (updated,) = [e for e in events.new() if e.type == "post.updated"]
    assert updated.data["fields"] == ["featured_image"]
    # And removed again.
    response = editor_web.post(url, _post_form_data(editor_web.get(url), featured_image=""))
    assert response.status_code == 302
    assert Post.objects.get(pk=post.pk).featured_image is None

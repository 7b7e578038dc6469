"""The media library's API: upload (only real images, size and pixel limits, nothing left
behind by a refusal, no metadata kept), who may do what, the list, alt text and caption,
delete (409 in use)."""

import io
from urllib.parse import urlsplit

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from PIL import ExifTags, Image

from blog.models import RENDITION_WIDTHS, Media, MediaStatus
from config.celery import app as celery_app
from tasks.models import JobRecord
from tests.blog.test_images import assert_bare, jpeg_with_gps
from tests.factories import MediaFactory, PostFactory, ReadyMediaFactory
from tests.helpers import (
    assert_problem,
    assert_validation_error,
    client_for,
    ids,
    image_bytes,
    stored_files,
    upload_file,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/media/"
MEDIA_FIELDS = {
    "id", "url", "content_type", "size", "width", "height", "alt_text", "caption", "status",
    "renditions", "uploaded_by", "created_at", "source_url",
}  # fmt: skip


def upload(client, data: bytes, *, name="photo.png", content_type="image/png", **fields):
    fields.setdefault("alt_text", "A red square")
    return client.post(
        URL, {"file": upload_file(data, name, content_type), **fields}, format="multipart"
    )


def detail(media) -> str:
    return f"{URL}{media.pk}/"


def assert_nothing_stored(media_root):
    assert stored_files(media_root) == []
    assert not Media.objects.exists()


# --- upload -----------------------------------------------------------------------------


def test_an_author_uploads_an_image(author_client, author, media_root):
    response = upload(
        author_client, image_bytes("PNG", (640, 480)), name="holiday.png", caption="At sea"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == MEDIA_FIELDS
    assert body["content_type"] == "image/png"
    assert (body["width"], body["height"]) == (640, 480)
    assert (body["alt_text"], body["caption"]) == ("A red square", "At sea")
    assert body["status"] == MediaStatus.PROCESSING  # the renditions come later
    assert body["uploaded_by"]["username"] == author.username
    assert body["source_url"] == ""
    media = Media.objects.get(pk=body["id"])
    # A generated name: nothing of the client's file name reaches a path.
    assert media.file.name.startswith("library/") and "holiday" not in media.file.name
    assert media.file.name.endswith(".png") and media.original_name == "holiday.png"
    assert body["url"].endswith("/media/" + media.file.name)
    assert body["size"] == media.file.size == default_storage.size(media.file.name)


def test_the_upload_answers_before_the_renditions_are_made(author_client):
    # With a broker, the job is queued with the commit; nobody waits for it. (The
    # `_eager_jobs` fixture puts eager mode back.)
    celery_app.conf.task_always_eager = False

    response = upload(author_client, image_bytes("PNG", (64, 48)))

    assert response.status_code == 201, response.content
    assert response.json()["status"] == MediaStatus.PROCESSING
    job = JobRecord.objects.get(name="blog.media_make_renditions")
    assert job.queue == "default" and job.arguments["args"] == [response.json()["id"]]
    assert job.status == "pending"
    assert Media.objects.get().status == MediaStatus.PROCESSING


def test_the_renditions_job_makes_the_media_ready(author_client):
    response = upload(author_client, image_bytes("JPEG", (2000, 1000)), name="a.jpg")
    assert response.status_code == 201, response.content

    body = author_client.get(f"{URL}{response.json()['id']}/").json()

    assert body["status"] == MediaStatus.READY
    assert set(body["renditions"]) == set(RENDITION_WIDTHS)
    sizes = {name: (r["width"], r["height"]) for name, r in body["renditions"].items()}
    assert sizes == {"thumbnail": (300, 150), "medium": (800, 400), "large": (1600, 800)}
    for rendition in body["renditions"].values():
        assert rendition["content_type"] == "image/webp"
        assert rendition["url"].startswith("http://testserver/media/library/")


def test_a_jpeg_with_gps_tags_is_stored_and_rendered_without_them(author_client):
    sideways = jpeg_with_gps(size=(1200, 600), orientation=6)
    assert Image.open(io.BytesIO(sideways)).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    response = upload(author_client, sideways, name="gps.jpg", content_type="image/jpeg")

    assert response.status_code == 201, response.content
    assert (response.json()["width"], response.json()["height"]) == (600, 1200)  # upright
    media = Media.objects.get(pk=response.json()["id"])
    names = [media.file.name] + [r["name"] for r in media.renditions.values()]
    assert len(names) == 4
    for name in names:
        with default_storage.open(name) as stored:
            assert_bare(stored.read())
    # And what a reader's browser gets, at every URL the API gives, carries none either.
    data = author_client.get(detail(media)).json()
    urls = [data["url"], *(r["url"] for r in data["renditions"].values())]
    assert len(urls) == 4
    for url in urls:
        served = Client().get(urlsplit(url).path)
        assert served.status_code == 200, url
        assert_bare(b"".join(served.streaming_content))


@pytest.mark.parametrize(
    ("data", "name", "content_type"),
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "a.svg",
         "image/svg+xml"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "photo.png",
         "image/png"),
        (b"<html><body><script>alert(document.cookie)</script></body></html>", "photo.png",
         "image/png"),
        (b"plain text, not a picture", "photo.jpg", "image/jpeg"),
    ],
    ids=["svg", "svg-named-png", "html-named-png", "text-named-jpg"],
)  # fmt: skip
def test_what_is_not_an_image_is_refused_whatever_its_name(
    author_client, media_root, data, name, content_type
):
    response = upload(author_client, data, name=name, content_type=content_type)

    body = assert_problem(response, 400, "unsupported_media")
    assert "file" in body["fields"]
    assert_nothing_stored(media_root)


def test_a_truncated_image_is_refused(author_client, media_root):
    noise = Image.effect_noise((300, 300), 80).convert("RGB")
    out = io.BytesIO()
    noise.save(out, "JPEG")

    response = upload(author_client, out.getvalue()[:5000], name="cut.jpg")

    assert_problem(response, 400, "invalid_image")
    assert_nothing_stored(media_root)


def test_a_decompression_bomb_is_refused(author_client, media_root):
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, "PNG")

    response = upload(author_client, out.getvalue(), name="bomb.png")

    assert_problem(response, 400, "image_too_large")
    assert_nothing_stored(media_root)


def test_a_file_over_the_limit_is_413_and_leaves_nothing(author_client, settings, media_root):
    data = image_bytes("PNG", (64, 64))
    settings.MEDIA_MAX_UPLOAD_BYTES = len(data) - 1
    settings.API_UPLOAD_LIMITS = {URL: settings.MEDIA_MAX_UPLOAD_BYTES}

    # The body's length is within what the middleware lets through (the file's limit and
    # the form's fields): the upload handler counts the file and stops reading it.
    response = upload(author_client, data)

    assert_problem(response, 413, "payload_too_large")
    assert_nothing_stored(media_root)
    settings.MEDIA_MAX_UPLOAD_BYTES = len(data)
    assert upload(author_client, data).status_code == 201


class _Unreadable(io.RawIOBase):
    def read(self, *args):
        raise AssertionError("the body was read")


def test_an_announced_body_over_the_limit_is_413_before_it_is_read(author, media_root):
    # 2 GB announced: refused on the Content-Length alone, before authentication even.
    response = client_for(author).generic(
        "POST",
        URL,
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(2 * 1024**3),
        **{"wsgi.input": _Unreadable()},
    )

    assert_problem(response, 413, "payload_too_large")
    assert_nothing_stored(media_root)


def test_alt_text_is_required(author_client, media_root):
    response = author_client.post(URL, {"file": upload_file(image_bytes())}, format="multipart")
    assert_validation_error(response, "alt_text")

    assert_validation_error(upload(author_client, image_bytes(), alt_text="   "), "alt_text")
    assert_nothing_stored(media_root)


def test_the_file_is_required_and_unknown_fields_are_refused(author_client):
    assert_validation_error(author_client.post(URL, {"alt_text": "x"}, format="multipart"), "file")
    assert_validation_error(upload(author_client, image_bytes(), title="x"), "title")


def test_an_upload_must_be_multipart(author_client):
    response = author_client.post(URL, {"alt_text": "x"}, format="json")

    assert_problem(response, 415)


# --- who may ----------------------------------------------------------------------------


def test_anonymous_callers_get_401(anon_client):
    assert_problem(anon_client.get(URL), 401, "not_authenticated")
    assert_problem(upload(anon_client, image_bytes()), 401, "not_authenticated")


def test_readers_are_refused_the_library(reader_client, media_root):
    media = MediaFactory()

    assert_problem(reader_client.get(URL), 403, "permission_denied")
    assert_problem(upload(reader_client, image_bytes()), 403, "permission_denied")
    assert_problem(reader_client.get(detail(media)), 403, "permission_denied")
    assert_problem(reader_client.delete(detail(media)), 403, "permission_denied")
    assert Media.objects.count() == 1


def test_authors_see_and_manage_only_their_own(author, author_client):
    own = MediaFactory(uploaded_by=author)
    others = MediaFactory()

    assert ids(author_client.get(URL)) == [own.pk]
    assert author_client.get(detail(own)).status_code == 200
    # Someone else's media is not found, whatever the method.
    assert_problem(author_client.get(detail(others)), 404)
    assert_problem(author_client.patch(detail(others), {"alt_text": "x"}, format="json"), 404)
    assert_problem(author_client.delete(detail(others)), 404)
    others.refresh_from_db()
    assert others.alt_text != "x"


def test_editors_see_and_manage_all(editor_client, django_capture_on_commit_callbacks):
    media = [MediaFactory(), MediaFactory()]

    assert ids(editor_client.get(URL)) == [media[1].pk, media[0].pk]
    response = editor_client.patch(detail(media[0]), {"caption": "By an editor"}, format="json")
    assert response.status_code == 200 and response.json()["caption"] == "By an editor"
    with django_capture_on_commit_callbacks(execute=True):
        assert editor_client.delete(detail(media[1])).status_code == 204


# --- list -------------------------------------------------------------------------------


def test_the_list_is_newest_first_and_cursor_paginated(editor_client):
    media = [MediaFactory() for _ in range(3)]

    first = editor_client.get(URL, {"page_size": 2}).json()
    second = editor_client.get(first["next"]).json()

    assert [m["id"] for m in first["results"]] == [media[2].pk, media[1].pk]
    assert [m["id"] for m in second["results"]] == [media[0].pk]
    assert "count" not in first and second["next"] is None


def test_the_list_filters_by_search_and_uploader(editor_client, author):
    boat = MediaFactory(alt_text="A sailing boat", uploaded_by=author)
    harbour = MediaFactory(caption="The old harbour")
    named = MediaFactory(original_name="lighthouse-at-dusk.jpg")

    assert ids(editor_client.get(URL, {"search": "BOAT"})) == [boat.pk]
    assert ids(editor_client.get(URL, {"search": "harbour"})) == [harbour.pk]
    assert ids(editor_client.get(URL, {"search": "lighthouse"})) == [named.pk]
    assert ids(editor_client.get(URL, {"uploaded_by": author.username})) == [boat.pk]
    assert ids(editor_client.get(URL, {"uploaded_by": "nobody"})) == []


def test_a_forged_cursor_is_a_400(editor_client):
    assert_problem(editor_client.get(URL, {"cursor": "not-a-cursor"}), 400, "invalid_cursor")


# --- one media object -------------------------------------------------------------------


def test_a_ready_media_object_shows_its_renditions(author, author_client):
    media = ReadyMediaFactory(uploaded_by=author, width=1000, height=500)

    body = author_client.get(detail(media)).json()

    assert body["status"] == MediaStatus.READY
    assert body["renditions"]["large"]["width"] == 1000  # never wider than the original


def test_patch_changes_alt_text_and_caption(author, author_client):
    media = MediaFactory(uploaded_by=author)

    response = author_client.patch(
        detail(media), {"alt_text": "A blue square", "caption": ""}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["alt_text"] == "A blue square"
    media.refresh_from_db()
    assert (media.alt_text, media.caption) == ("A blue square", "")


def test_patch_refuses_an_empty_alt_text_and_other_fields(author, author_client):
    media = MediaFactory(uploaded_by=author)

    assert_validation_error(
        author_client.patch(detail(media), {"alt_text": ""}, format="json"), "alt_text"
    )
    assert_validation_error(
        author_client.patch(detail(media), {"status": "ready"}, format="json"), "status"
    )


def test_delete_removes_the_row_and_every_file(
    author, author_client, media_root, django_capture_on_commit_callbacks
):
    media = ReadyMediaFactory(uploaded_by=author)
    assert len(stored_files(media_root)) == 4  # the original and three renditions

    with django_capture_on_commit_callbacks(execute=True):
        response = author_client.delete(detail(media))

    assert response.status_code == 204
    assert not Media.objects.filter(pk=media.pk).exists()
    assert stored_files(media_root) == []


def test_media_a_post_uses_cannot_be_deleted(
    author, author_client, media_root, django_capture_on_commit_callbacks
):
    media = ReadyMediaFactory(uploaded_by=author)
    PostFactory(author=author, featured_image=media)

    with django_capture_on_commit_callbacks(execute=True):
        response = author_client.delete(detail(media))

    assert_problem(response, 409, "media_in_use")
    assert Media.objects.filter(pk=media.pk).exists()
    assert len(stored_files(media_root)) == 4


def test_an_unknown_or_malformed_id_is_404(editor_client):
    assert_problem(editor_client.get(f"{URL}999999/"), 404)
    assert_problem(editor_client.get(f"{URL}abc/"), 404)

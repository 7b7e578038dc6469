"""The media library's files at MEDIA_URL (blog/media_files.py): what is served, with which
headers, conditional and range requests, and everything that is not served."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.test.client import RequestFactory

from blog.api.serializers import MediaSerializer
from tests.media_storage import library_stem, media_stored

pytestmark = pytest.mark.django_db

IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.DEBUG = False  # served in production too


def url_of(name: str) -> str:
    return f"/media/{name}"


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def stored(name: str) -> bytes:
    with default_storage.open(name, "rb") as file:
        return file.read()


def test_an_original_is_served_with_its_verified_type_and_caching_headers():
    media = media_stored(fmt="PNG")

    response = Client().get(url_of(media.file.name))

    assert response.status_code == 200
    assert body(response) == stored(media.file.name)
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == IMMUTABLE
    assert response["Content-Length"] == str(media.size)
    assert response["ETag"].startswith('"') and response["ETag"].endswith('"')
    assert response["Last-Modified"].endswith(" GMT")
    assert response["Accept-Ranges"] == "bytes"
    # Nothing personal in the answer: shared caches may keep it.
    assert "Cookie" not in response.get("Vary", "")
    assert "Set-Cookie" not in response


def test_serving_costs_no_query(django_assert_num_queries):
    media = media_stored()
    client = Client()

    with django_assert_num_queries(0):
        full = client.get(url_of(media.file.name))
        body(full)
        assert (
            client.get(url_of(media.file.name), HTTP_IF_NONE_MATCH=full["ETag"]).status_code == 304
        )


@pytest.mark.parametrize(("fmt", "content_type"), [("JPEG", "image/jpeg"), ("GIF", "image/gif")])
def test_each_format_has_its_type(fmt, content_type):
    media = media_stored(fmt=fmt, renditions=())

    response = Client().get(url_of(media.file.name))

    assert response.status_code == 200
    assert response["Content-Type"] == content_type


def test_a_rendition_is_served_as_webp():
    media = media_stored(renditions=("thumbnail", "medium"))
    name = media.renditions["medium"]["name"]

    response = Client().get(url_of(name))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    content = body(response)
    assert content == stored(name)
    assert content[:4] == b"RIFF" and content[8:12] == b"WEBP"
    # Made again under the same name by media_rebuild_renditions: a day, then revalidated.
    assert response["Cache-Control"] == "public, max-age=86400"


def test_a_name_the_storage_found_taken_is_still_served():
    # The storage adds `_` and 7 characters to a taken name (a renditions job run twice).
    name = f"{library_stem()}-thumbnail.webp"
    default_storage.save(name, ContentFile(b"first"))
    second = default_storage.save(name, ContentFile(b"RIFF....WEBP"))

    assert second != name
    response = Client().get(url_of(second))

    assert response.status_code == 200
    assert body(response) == b"RIFF....WEBP"


def test_every_url_of_the_api_representation_answers_a_get():
    media = media_stored(renditions=("thumbnail", "medium", "large"))
    request = RequestFactory().get("/api/v1/media/")
    data = MediaSerializer(media, context={"request": request}).data
    urls = [data["url"], *(r["url"] for r in data["renditions"].values())]

    for url in urls:
        assert url.startswith("http://testserver/media/library/")
        response = Client().get(url.removeprefix("http://testserver"))
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("image/")


def test_a_matching_etag_or_date_answers_304_without_the_file():
    media = media_stored()
    first = Client().get(url_of(media.file.name))

    by_etag = Client().get(url_of(media.file.name), HTTP_IF_NONE_MATCH=first["ETag"])
    by_date = Client().get(url_of(media.file.name), HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    other = Client().get(url_of(media.file.name), HTTP_IF_NONE_MATCH='"something-else"')

    for response in (by_etag, by_date):
        assert response.status_code == 304
        assert response.content == b""
        assert response["ETag"] == first["ETag"]
        assert response["Cache-Control"] == IMMUTABLE
    assert other.status_code == 200
    assert body(other) == stored(media.file.name)


def test_head_gives_the_headers_of_a_get_without_a_body():
    media = media_stored()

    response = Client().head(url_of(media.file.name))

    assert response.status_code == 200
    assert response.content == b""
    assert response["Content-Length"] == str(media.size)
    assert response["Content-Type"] == "image/png"
    assert response["ETag"] == Client().get(url_of(media.file.name))["ETag"]


def test_only_get_and_head():
    media = media_stored()

    assert Client().post(url_of(media.file.name)).status_code == 405
    assert Client().delete(url_of(media.file.name)).status_code == 405
    assert default_storage.exists(media.file.name)


# --- ranges ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-9", 0, 9),
        ("bytes=10-", 10, None),
        ("bytes=-7", -7, None),
        ("bytes=5-99999", 5, None),
    ],
)
def test_a_single_range_is_answered_with_206(header, first, last):
    media = media_stored()
    whole = stored(media.file.name)
    expected = whole[first : (last + 1 if last is not None else None)]

    response = Client().get(url_of(media.file.name), HTTP_RANGE=header)

    assert response.status_code == 206
    assert body(response) == expected
    start = first if first >= 0 else len(whole) + first
    assert response["Content-Range"] == f"bytes {start}-{start + len(expected) - 1}/{len(whole)}"
    assert response["Content-Length"] == str(len(expected))
    assert response["Content-Type"] == "image/png"


def test_a_range_past_the_end_is_416():
    media = media_stored()

    response = Client().get(url_of(media.file.name), HTTP_RANGE=f"bytes={media.size}-")

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{media.size}"


@pytest.mark.parametrize("header", ["bytes=0-1,4-5", "items=0-3", "bytes=x-y", "bytes=-"])
def test_other_ranges_get_the_whole_file(header):
    media = media_stored()

    response = Client().get(url_of(media.file.name), HTTP_RANGE=header)

    assert response.status_code == 200
    assert body(response) == stored(media.file.name)


def test_if_range_of_another_version_gets_the_whole_file():
    media = media_stored()
    etag = Client().head(url_of(media.file.name))["ETag"]

    same = Client().get(url_of(media.file.name), HTTP_RANGE="bytes=0-3", HTTP_IF_RANGE=etag)
    other = Client().get(url_of(media.file.name), HTTP_RANGE="bytes=0-3", HTTP_IF_RANGE='"old"')

    assert same.status_code == 206 and body(same) == stored(media.file.name)[:4]
    assert other.status_code == 200 and body(other) == stored(media.file.name)


# --- what is not served ----------------------------------------------------------------


def test_a_report_file_is_never_served():
    # Reports share the default storage; their names are not the library's.
    name = default_storage.save("reports/2026/01/content-report.csv", ContentFile(b"a,b\n1,2\n"))

    assert Client().get(url_of(name)).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/media/library/../reports/2026/01/content-report.csv",
        "/media/library/2026/01/%2e%2e/%2e%2e/%2e%2e/reports/2026/01/content-report.csv",
        "/media/library/2026/01/..%2f..%2f..%2freports/2026/01/content-report.csv",
        "/media//etc/passwd",
        "/media/%2Fetc%2Fpasswd",
        "/media/reports/2026/01/content-report.csv",
    ],
)
def test_no_path_leads_out_of_the_library(path):
    default_storage.save("reports/2026/01/content-report.csv", ContentFile(b"secret,1\n"))

    response = Client().get(path)

    assert response.status_code == 404
    assert b"secret" not in response.content


def test_names_the_platform_does_not_generate_are_not_served():
    stem = library_stem()
    for name in (f"{stem}.svg", f"{stem}.html", f"{stem}.PNG", "library/photo.png"):
        default_storage.save(name, ContentFile(b"<svg onload=alert(1)>"))
        assert Client().get(url_of(name)).status_code == 404, name


def test_a_missing_file_is_404_not_a_redirect():
    response = Client().get(url_of(f"{library_stem()}.png"))

    assert response.status_code == 404


def test_media_serve_off_leaves_the_url_to_a_web_server(settings):
    media = media_stored()
    settings.MEDIA_SERVE = False

    assert Client().get(url_of(media.file.name)).status_code == 404

"""The default storage on S3 (config/storage.py, config/storage_s3.py), against an
S3-compatible server started in the test (moto's server mode on a free local port): media
files written, read, served and deleted through the storage API, and reports."""

import io
import json
import urllib.error
import urllib.request
import uuid
from urllib.parse import quote

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client
from django.test.client import RequestFactory
from moto.server import ThreadedMotoServer

from analytics.models import Report
from blog.api.serializers import MediaSerializer
from config.storage import storage_from_url
from tests.media_storage import image_bytes, library_stem, media_stored

pytestmark = pytest.mark.django_db

KEY, SECRET, REGION = "test-key", "test/secret+1", "us-east-1"


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings):
    """A fresh bucket, made the default storage through MEDIA_STORAGE_URL's form."""
    name = f"blog-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=f"http://{s3_endpoint}",
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
        region_name=REGION,
    )
    client.create_bucket(Bucket=name)
    credentials = f"{KEY}:{quote(SECRET, safe='')}"
    url = f"s3://{credentials}@{s3_endpoint}/{name}?region={REGION}&secure=0&addressing=path"
    settings.STORAGES = {**settings.STORAGES, "default": storage_from_url(url)}
    return client, name


def public_library(bucket):
    """The bucket policy docs/operations.md gives: the library readable by anyone, nothing
    else."""
    client, name = bucket
    statement = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{name}/library/*",
    }
    client.put_bucket_policy(
        Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    )


def get(url):
    """An anonymous GET, as a reader's browser sends it: (status, headers, body)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, b""


def head(bucket, key):
    client, name = bucket
    return client.head_object(Bucket=name, Key=key)


def keys(bucket):
    client, name = bucket
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=name).get("Contents", []))


def test_a_library_file_is_written_read_and_deleted_through_the_storage(bucket):
    data = image_bytes("PNG")
    name = default_storage.save(f"{library_stem()}.png", ContentFile(data))

    assert type(default_storage._wrapped).__name__ == "MediaS3Storage"
    assert keys(bucket) == [name]
    assert default_storage.exists(name)
    assert default_storage.size(name) == len(data)
    with default_storage.open(name, "rb") as file:
        assert file.read() == data
    stored = head(bucket, name)
    assert stored["ContentType"] == "image/png"
    assert stored["CacheControl"] == "public, max-age=31536000, immutable"

    default_storage.delete(name)

    assert not default_storage.exists(name)
    assert keys(bucket) == []


def test_the_url_is_the_buckets_permanent_one_and_answers_a_get(bucket, s3_endpoint):
    public_library(bucket)
    media = media_stored(fmt="JPEG", renditions=("thumbnail",))
    request = RequestFactory().get("/api/v1/media/")
    data = MediaSerializer(media, context={"request": request}).data

    caching = {
        "original": "public, max-age=31536000, immutable",
        "rendition": "public, max-age=86400",
    }
    urls = {"original": data["url"], "rendition": data["renditions"]["thumbnail"]["url"]}
    for kind, url in urls.items():
        # Unsigned: it does not expire in cached pages and feeds.
        assert url.startswith(f"http://{s3_endpoint}/{bucket[1]}/library/")
        assert "Signature" not in url and "Expires" not in url
        status, headers, content = get(url)
        assert status == 200
        assert headers["Content-Type"].startswith("image/")
        assert headers["Cache-Control"] == caching[kind]
        assert content[:3] in (b"\xff\xd8\xff", b"RIF")


def test_a_clients_content_type_never_reaches_the_bucket(bucket):
    # S3Storage would copy an uploaded file's content_type into the object's metadata,
    # and the bucket would serve an "image" as HTML.
    upload = ContentFile(image_bytes("GIF"))
    upload.content_type = "text/html"

    name = default_storage.save(f"{library_stem()}.gif", upload)

    assert head(bucket, name)["ContentType"] == "image/gif"


def test_a_name_is_never_overwritten(bucket):
    name = f"{library_stem()}.png"

    first = default_storage.save(name, ContentFile(image_bytes("PNG")))
    second = default_storage.save(name, ContentFile(b"other content"))

    assert first == name and second != name
    with default_storage.open(first, "rb") as file:
        assert file.read() == image_bytes("PNG")


def test_the_platform_view_also_reads_from_the_bucket(bucket):
    media = media_stored(fmt="PNG", renditions=())

    response = Client().get(f"/media/{media.file.name}")
    cached = Client().get(f"/media/{media.file.name}", HTTP_IF_NONE_MATCH=response["ETag"])

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == default_storage.open(media.file.name).read()
    assert cached.status_code == 304
    assert Client().get(f"/media/{library_stem()}.png").status_code == 404


def test_reports_are_written_to_the_bucket_and_downloaded_through_the_api(
    bucket, editor_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(
            "/api/v1/admin/reports/",
            {"kind": "users", "format": "csv", "start": "2026-01-01", "end": "2026-01-31"},
        )
    report = Report.objects.get(pk=response.json()["id"])

    assert report.status == "completed"
    assert keys(bucket) == [report.file.name]
    assert report.file.name.startswith("reports/")
    stored = head(bucket, report.file.name)
    assert stored["ContentType"] == "text/csv"
    assert "CacheControl" not in stored  # private: no public caching given
    download = editor_client.get(f"/api/v1/admin/reports/{report.pk}/download/")
    assert download.status_code == 200
    content = b"".join(download.streaming_content)
    assert content.decode().splitlines()[0].startswith("username,display_name,role,")
    client, name = bucket
    assert content == client.get_object(Bucket=name, Key=report.file.name)["Body"].read()
    # Neither under the media URL nor from the bucket without credentials.
    assert Client().get(f"/media/{report.file.name}").status_code == 404
    public_library(bucket)
    assert get(default_storage.url(report.file.name))[0] == 403


def test_media_orphans_lists_and_deletes_in_the_bucket(bucket):
    media = media_stored(renditions=("thumbnail",))
    orphan = default_storage.save(f"{library_stem()}.png", ContentFile(image_bytes("PNG")))
    gone = media_stored(renditions=())
    default_storage.delete(gone.file.name)
    out = io.StringIO()

    call_command("media_orphans", "--delete", "--min-age", "0", stdout=out)

    assert f"{orphan}  " in out.getvalue()
    assert "Deleted 1 file(s)" in out.getvalue() and "marked 1 media failed" in out.getvalue()
    assert keys(bucket) == sorted([media.file.name, media.renditions["thumbnail"]["name"]])
    gone.refresh_from_db()
    assert gone.status == "failed"

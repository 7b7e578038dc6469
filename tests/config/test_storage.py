"""The default storage from the environment (config/storage.py): the file system by
default, S3 from MEDIA_STORAGE_URL or the AWS variables, configuration errors at start."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.storage import (
    FILE_SYSTEM_BACKEND,
    S3_BACKEND,
    default_storage_settings,
    library_content_type,
    storage_from_url,
)

AWS = [
    "MEDIA_STORAGE_URL", "AWS_STORAGE_BUCKET_NAME", "AWS_S3_ENDPOINT_URL", "AWS_S3_REGION_NAME",
    "AWS_S3_CUSTOM_DOMAIN", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
]  # fmt: skip


@pytest.fixture
def clean_env(monkeypatch):
    for name in AWS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_the_file_system_by_default_following_media_root(clean_env):
    # No location: FileSystemStorage reads MEDIA_ROOT, which tests point elsewhere.
    assert default_storage_settings() == {"BACKEND": FILE_SYSTEM_BACKEND}


def test_a_full_url():
    entry = storage_from_url(
        "s3://AKIA%2Fkey:se%2Fcr%2Bet@minio.internal:9000/blog-media/site/a"
        "?region=eu-west-1&secure=0&addressing=path&domain=cdn.example.com"
    )

    assert entry["BACKEND"] == S3_BACKEND
    assert entry["OPTIONS"] == {
        "bucket_name": "blog-media",
        "location": "site/a",
        "access_key": "AKIA/key",
        "secret_key": "se/cr+et",
        "endpoint_url": "http://minio.internal:9000",
        "region_name": "eu-west-1",
        "addressing_style": "path",
        "custom_domain": "cdn.example.com",
        "url_protocol": "http:",
        # Permanent URLs, never an overwrite.
        "querystring_auth": False,
        "file_overwrite": False,
    }


def test_aws_itself_without_host_or_credentials():
    options = storage_from_url("s3:///blog-media?region=eu-central-1")["OPTIONS"]

    # Nothing for endpoint and keys: boto3's defaults (AWS, instance role, ~/.aws).
    assert options == {
        "bucket_name": "blog-media",
        "region_name": "eu-central-1",
        "url_protocol": "https:",
        "querystring_auth": False,
        "file_overwrite": False,
    }


def test_https_by_default():
    options = storage_from_url("s3://k:s@s3.example.com/b")["OPTIONS"]

    assert options["endpoint_url"] == "https://s3.example.com"
    assert options["url_protocol"] == "https:"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://k:s@host/bucket", "expected s3://"),
        ("s3://k:s@host/", "no bucket"),
        ("s3://k:s@host/b?regoin=x", "unknown parameter"),
        ("s3://k:s@host/b?addressing=sideways", "addressing"),
    ],
)
def test_a_wrong_url_stops_the_start(url, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        storage_from_url(url)


def test_the_url_wins_over_the_aws_variables(clean_env):
    clean_env.setenv("AWS_STORAGE_BUCKET_NAME", "other")
    clean_env.setenv("MEDIA_STORAGE_URL", "s3://k:s@host/chosen")

    assert default_storage_settings()["OPTIONS"]["bucket_name"] == "chosen"


def test_the_aws_variables_when_a_bucket_is_named(clean_env):
    clean_env.setenv("AWS_STORAGE_BUCKET_NAME", "blog-media")
    clean_env.setenv("AWS_S3_ENDPOINT_URL", "https://minio.internal:9000")
    clean_env.setenv("AWS_S3_REGION_NAME", "us-east-1")
    clean_env.setenv("AWS_ACCESS_KEY_ID", "key")
    clean_env.setenv("AWS_SECRET_ACCESS_KEY", "secret")

    entry = default_storage_settings()

    assert entry["BACKEND"] == S3_BACKEND
    assert entry["OPTIONS"] == {
        "bucket_name": "blog-media",
        "endpoint_url": "https://minio.internal:9000",
        "region_name": "us-east-1",
        "access_key": "key",
        "secret_key": "secret",
        "querystring_auth": False,
        "file_overwrite": False,
    }


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("library/2026/01/" + "a" * 32 + ".jpg", "image/jpeg"),
        ("library/2026/01/" + "a" * 32 + "-thumbnail.webp", "image/webp"),
        ("library/2026/01/" + "a" * 32 + ".svg", None),
        ("reports/2026/01/x.png", None),
    ],
)
def test_library_content_type(name, content_type):
    assert library_content_type(name) == content_type

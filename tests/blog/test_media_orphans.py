"""`manage.py media_orphans [--delete]`: files under library/ without a row, media without
their files; what --delete does to each, and what it leaves alone."""

import io
import os
import time

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from blog.models import Media, MediaStatus
from tests.media_storage import image_bytes, library_stem, media_stored

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def age(name: str, hours: float) -> None:
    """Make a stored file look `hours` old (the file system storage's modification time)."""
    then = time.time() - hours * 3600
    os.utime(default_storage.path(name), (then, then))


def run(*args) -> str:
    out = io.StringIO()
    call_command("media_orphans", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def library():
    """A whole media object, an old and a recent file without a row, a media whose original
    is gone, one whose rendition is gone, a remote one (no file), a report file."""
    whole = media_stored(renditions=("thumbnail", "medium"))
    old = default_storage.save(f"{library_stem()}.png", ContentFile(image_bytes()))
    old_rendition = default_storage.save(f"{library_stem()}-large.webp", ContentFile(b"x" * 10))
    recent = default_storage.save(f"{library_stem()}.jpg", ContentFile(image_bytes("JPEG")))
    for name in (
        whole.file.name,
        old,
        old_rendition,
        *(r["name"] for r in whole.renditions.values()),
    ):
        age(name, 3)
    no_original = media_stored(renditions=("thumbnail",))
    default_storage.delete(no_original.file.name)
    no_rendition = media_stored(renditions=("thumbnail",))
    default_storage.delete(no_rendition.renditions["thumbnail"]["name"])
    remote = Media.objects.create(
        alt_text="Imported", status=MediaStatus.REMOTE, source_url="https://example.com/a.png"
    )
    report = default_storage.save("reports/2026/01/users.csv", ContentFile(b"a,b\n"))
    age(report, 100)
    return {
        "whole": whole, "old": old, "old_rendition": old_rendition, "recent": recent,
        "no_original": no_original, "no_rendition": no_rendition, "remote": remote,
        "report": report,
    }  # fmt: skip


def test_it_lists_both_kinds_and_changes_nothing(library):
    out = run()

    assert "Files without a row: 2 " in out
    assert library["old"] in out and library["old_rendition"] in out
    assert "younger than 60 min, left alone: 1" in out and library["recent"] in out
    assert "Media whose original is missing: 1" in out
    assert f"media {library['no_original'].pk} (ready): {library['no_original'].file.name}" in out
    assert "Missing renditions: 1" in out
    assert f"media {library['no_rendition'].pk} thumbnail:" in out
    # Neither the whole media's files, nor the remote one, nor a report.
    for name in (library["whole"].file.name, library["report"]):
        assert name not in out
    assert f"media {library['remote'].pk} " not in out
    assert "Nothing changed" in out
    assert default_storage.exists(library["old"])
    assert Media.objects.get(pk=library["no_original"].pk).status == MediaStatus.READY


def test_delete_removes_old_orphans_and_marks_media_without_original_failed(library):
    out = run("--delete")

    assert "Deleted 2 file(s)" in out and "marked 1 media failed" in out
    assert not default_storage.exists(library["old"])
    assert not default_storage.exists(library["old_rendition"])
    # Left alone: a recent file (an upload under way?), every claimed file, the reports.
    assert default_storage.exists(library["recent"])
    whole = library["whole"]
    for name in (whole.file.name, *(r["name"] for r in whole.renditions.values())):
        assert default_storage.exists(name)
    assert default_storage.exists(library["report"])
    assert default_storage.exists(library["no_rendition"].file.name)
    # The row stays (posts may use it), failed with the reason.
    failed = Media.objects.get(pk=library["no_original"].pk)
    assert failed.status == MediaStatus.FAILED
    assert failed.file.name in failed.error and "missing" in failed.error
    assert Media.objects.get(pk=library["no_rendition"].pk).status == MediaStatus.READY
    assert Media.objects.get(pk=library["remote"].pk).status == MediaStatus.REMOTE


def test_a_second_run_has_nothing_more_to_do(library):
    run("--delete")

    out = run("--delete")

    assert "Files without a row: 0 " in out
    assert "Deleted 0 file(s)" in out and "marked 0 media failed" in out


def test_min_age_zero_takes_recent_files_too(library):
    out = run("--delete", "--min-age", "0")

    assert "Deleted 3 file(s)" in out
    assert not default_storage.exists(library["recent"])


def test_an_empty_storage():
    out = run("--delete")

    assert "Files without a row: 0 " in out
    assert "Media whose original is missing: 0" in out


def test_a_negative_age_is_refused():
    with pytest.raises(CommandError):
        call_command("media_orphans", "--min-age", "-1")

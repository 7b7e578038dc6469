"""`manage.py media_rebuild_renditions`: all media, `--id`, `--missing`, `--now`."""

import io

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from blog.models import Media, MediaStatus
from tasks.models import JobRecord
from tests.factories import MediaFactory, ReadyMediaFactory
from tests.helpers import upload_file

pytestmark = pytest.mark.django_db


def _rebuild(*args) -> str:
    out = io.StringIO()
    call_command("media_rebuild_renditions", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _jobs() -> list:
    return sorted(
        j.arguments["args"][0] for j in JobRecord.objects.filter(name="blog.media_make_renditions")
    )


def test_every_media_with_a_file_or_the_given_ids():
    ready, processing = ReadyMediaFactory(), MediaFactory()
    MediaFactory(file="", status=MediaStatus.REMOTE, source_url="https://example.com/a.jpg")

    assert "Queued the renditions of 2 media." in _rebuild()
    assert _jobs() == [ready.pk, processing.pk]
    assert Media.objects.get(pk=processing.pk).status == MediaStatus.READY

    JobRecord.objects.all().delete()
    assert "of 1 media" in _rebuild("--id", str(ready.pk))
    assert _jobs() == [ready.pk]


def test_missing_takes_media_without_all_its_renditions():
    complete = ReadyMediaFactory()
    lost_file = ReadyMediaFactory()
    default_storage.delete(lost_file.renditions["medium"]["name"])
    failed = MediaFactory(status=MediaStatus.FAILED, error="Boom")

    assert "of 2 media" in _rebuild("--missing")

    assert _jobs() == [lost_file.pk, failed.pk]
    assert default_storage.exists(lost_file.renditions["medium"]["name"])
    failed.refresh_from_db()
    assert failed.status == MediaStatus.READY and failed.error == ""
    assert complete.pk not in _jobs()


def test_now_makes_them_here_and_marks_the_ones_that_fail():
    good = MediaFactory()
    broken = MediaFactory()
    default_storage.delete(broken.file.name)
    default_storage.save(broken.file.name, upload_file(b"\x89PNG\r\n\x1a\n broken"))

    with pytest.raises(CommandError, match="1 failed"):
        _rebuild("--now")

    assert _jobs() == []
    assert Media.objects.get(pk=good.pk).status == MediaStatus.READY
    assert Media.objects.get(pk=broken.pk).status == MediaStatus.FAILED

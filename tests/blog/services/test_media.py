"""The media services and the renditions job: events with each change, nothing left behind
by a failed upload, renditions made once (idempotent), a job that gives up marks the media
failed, deleted media's job does nothing."""

import pytest
from django.core.files.storage import default_storage

from blog.models import RENDITION_WIDTHS, Media, MediaStatus
from blog.services import media as media_services
from blog.services.renditions import media_renditions_make, rendition_name
from blog.tasks import media_make_renditions
from config.errors import ConflictError, InvalidInput, PayloadTooLarge, PermissionDeniedError
from tasks.models import JobRecord, JobStatus
from tests.factories import MediaFactory, PostFactory, ReadyMediaFactory
from tests.helpers import assert_event, image_bytes, only, stored_files, upload_file

pytestmark = pytest.mark.django_db


def _upload(user, data=None, **kwargs):
    kwargs.setdefault("alt_text", "A picture")
    return media_services.media_upload(
        uploaded_by=user, file=upload_file(data or image_bytes("PNG", (400, 200))), **kwargs
    )


# --- upload -----------------------------------------------------------------------------


def test_upload_records_media_uploaded_and_the_job_media_processed(author, events):
    media = _upload(author)

    uploaded, processed = events.new()
    assert_event(
        uploaded,
        "media.uploaded",
        aggregate_id=media.pk,
        actor=author,
        data={"media_id": media.pk, "content_type": "image/png"},
    )
    assert_event(
        processed,
        "media.processed",
        aggregate_id=media.pk,
        actor=None,
        data={"media_id": media.pk, "status": MediaStatus.READY},
    )


def test_readers_cannot_upload(reader, media_root):
    with pytest.raises(PermissionDeniedError):
        _upload(reader)
    assert stored_files(media_root) == []


def test_a_file_over_the_limit_is_refused_before_it_is_read(author, settings, media_root):
    settings.MEDIA_MAX_UPLOAD_BYTES = 10
    with pytest.raises(PayloadTooLarge):
        _upload(author)
    assert stored_files(media_root) == []


def test_a_failed_insert_leaves_no_file(author, media_root, events):
    # An alt text over the column's 500 characters (the API's serializer would have said
    # so first): PostgreSQL refuses the row after the file was stored.
    with pytest.raises(Exception, match="too long"):
        _upload(author, alt_text="x" * 600)

    assert stored_files(media_root) == []
    assert not Media.objects.exists() and events.new() == []


def test_a_refused_image_records_nothing(author, events, media_root):
    with pytest.raises(InvalidInput):
        _upload(author, data=b"GIF89a not really")
    assert events.new() == [] and stored_files(media_root) == []


# --- update and delete ------------------------------------------------------------------


def test_update_records_the_changed_fields_only(author, events):
    media = MediaFactory(uploaded_by=author, caption="Same")

    media_services.media_update(media=media, actor=author, alt_text="New", caption="Same")

    assert_event(
        only(events, "media.updated"),
        "media.updated",
        aggregate_id=media.pk,
        actor=author,
        data={"media_id": media.pk, "fields": ["alt_text"]},
    )
    events.mark()
    media_services.media_update(media=media, actor=author, alt_text="New")
    assert events.new() == []


def test_another_author_cannot_update_or_delete(author, other_author):
    media = MediaFactory(uploaded_by=author)

    with pytest.raises(PermissionDeniedError):
        media_services.media_update(media=media, actor=other_author, alt_text="Mine")
    with pytest.raises(PermissionDeniedError):
        media_services.media_delete(media=media, actor=other_author)


def test_delete_records_media_deleted_and_removes_the_files_after_commit(
    editor, events, media_root, django_capture_on_commit_callbacks
):
    media = ReadyMediaFactory()
    media_id = media.pk
    events.mark()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        media_services.media_delete(media=media, actor=editor)
    assert len(stored_files(media_root)) == 4  # not before the commit
    for callback in callbacks:
        callback()

    assert stored_files(media_root) == []
    assert_event(
        only(events, "media.deleted"),
        "media.deleted",
        aggregate_id=media_id,
        actor=editor,
        data={"media_id": media_id},
    )


def test_media_in_use_cannot_be_deleted(editor, events):
    media = MediaFactory()
    PostFactory(featured_image=media)
    events.mark()

    with pytest.raises(ConflictError) as refused:
        media_services.media_delete(media=media, actor=editor)

    assert refused.value.code == "media_in_use"
    assert Media.objects.filter(pk=media.pk).exists() and events.new() == []


# --- renditions -------------------------------------------------------------------------


def test_renditions_are_recorded_with_their_files(media_root):
    media = MediaFactory(width=1000, height=400)

    media = media_renditions_make(media_id=media.pk)

    assert media is not None and media.status == MediaStatus.READY and media.error == ""
    assert set(media.renditions) == set(RENDITION_WIDTHS)
    for name, rendition in media.renditions.items():
        assert rendition["name"] == rendition_name(media.file.name, name)
        assert rendition["content_type"] == "image/webp"
        assert default_storage.exists(rendition["name"])
    assert media.renditions["thumbnail"]["width"] == 300
    assert media.renditions["medium"]["width"] == 800
    assert media.renditions["large"]["width"] == 1000  # not 1600: never wider
    assert len(stored_files(media_root)) == 4


def test_making_renditions_again_adds_no_file(media_root):
    media = MediaFactory()
    media_renditions_make(media_id=media.pk)
    files = stored_files(media_root)
    ready = Media.objects.get(pk=media.pk)

    # A redelivered job: the media is ready, nothing is done.
    assert media_renditions_make(media_id=media.pk).updated_at == ready.updated_at
    # A rebuild (status back to processing): the same files, overwritten.
    Media.objects.filter(pk=media.pk).update(status=MediaStatus.PROCESSING)
    media_renditions_make(media_id=media.pk)
    assert stored_files(media_root) == files


def test_the_job_of_deleted_media_does_nothing(media_root):
    media = MediaFactory()
    media_id = media.pk
    media.delete()

    result = media_make_renditions.delay(media_id).get()

    assert result == {"media": media_id, "skipped": "deleted"}
    assert JobRecord.objects.get(name="blog.media_make_renditions").status == JobStatus.COMPLETED


def test_a_job_that_gives_up_marks_the_media_failed(events, eager_retries):
    media = MediaFactory()
    # The stored original is damaged since its upload: no retry can render it.
    default_storage.delete(media.file.name)
    default_storage.save(media.file.name, upload_file(b"\x89PNG\r\n\x1a\n broken"))
    events.mark()

    media_make_renditions.delay(media.pk)

    media.refresh_from_db()
    assert media.status == MediaStatus.FAILED and "damaged" in media.error
    assert media.renditions == {}
    job = JobRecord.objects.get(name="blog.media_make_renditions")
    assert job.status == JobStatus.FAILED
    assert_event(
        only(events, "media.processed"),
        "media.processed",
        aggregate_id=media.pk,
        actor=None,
        data={"media_id": media.pk, "status": MediaStatus.FAILED},
    )


def test_rebuild_request_puts_the_media_back_to_processing_and_queues_the_job():
    media = ReadyMediaFactory()

    assert media_services.media_renditions_request(media=media)

    media.refresh_from_db()
    assert media.status == MediaStatus.READY  # eager: the job ran at once
    assert JobRecord.objects.filter(name="blog.media_make_renditions").count() == 1
    assert not media_services.media_renditions_request(media=MediaFactory(file=""))

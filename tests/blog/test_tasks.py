from datetime import timedelta

import pytest
from django.utils import timezone

from blog.models import PostStatus
from blog.tasks import publish_overdue_at_worker_start
from tasks.models import JobRecord
from tests.factories import DraftPostFactory

pytestmark = pytest.mark.django_db


def test_a_starting_worker_publishes_posts_that_fell_due_while_none_ran():
    due = DraftPostFactory(
        status=PostStatus.SCHEDULED, publish_at=timezone.now() - timedelta(hours=3)
    )
    future = DraftPostFactory(
        status=PostStatus.SCHEDULED, publish_at=timezone.now() + timedelta(hours=3)
    )

    publish_overdue_at_worker_start(sender=None)

    due.refresh_from_db()
    future.refresh_from_db()
    assert due.status == PostStatus.PUBLISHED
    assert due.published_at == due.publish_at
    assert future.status == PostStatus.SCHEDULED
    record = JobRecord.objects.get(name="blog.publish_due_posts")
    assert (record.status, record.queue, record.result) == ("completed", "high", 1)

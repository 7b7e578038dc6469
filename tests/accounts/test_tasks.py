from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from tasks.models import JobRecord, JobStatus
from tasks.tasks import purge_expired_tokens

pytestmark = pytest.mark.django_db


def test_expired_tokens_and_their_blacklist_entries_are_purged_live_ones_kept(reader):
    live = RefreshToken.for_user(reader)
    expired = RefreshToken.for_user(reader)
    expired.blacklist()
    OutstandingToken.objects.filter(jti=expired["jti"]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    result = purge_expired_tokens.delay()

    assert result.get() == 2  # the expired token and its blacklist entry
    assert list(OutstandingToken.objects.values_list("jti", flat=True)) == [live["jti"]]
    assert not BlacklistedToken.objects.exists()
    record = JobRecord.objects.get(name="accounts.purge_expired_tokens")
    assert record.status == JobStatus.COMPLETED
    assert record.queue == "low"

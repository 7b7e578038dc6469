"""The accounts' background jobs."""

from celery import shared_task

from accounts.services import token_purge_expired
from tasks.base import RecordedTask


@shared_task(base=RecordedTask, name="accounts.purge_expired_tokens")
def purge_expired_tokens() -> int:
    """Expired refresh tokens and their blacklist entries (daily, from the beat)."""
    return token_purge_expired()

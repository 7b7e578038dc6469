"""The job records' admin: read-only, for admins, with a retry action for failed jobs."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from tasks.models import JobRecord, JobStatus
from tests.factories import JobRecordFactory
from tests.helpers import web_client
from tests.tasks import jobs

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/tasks/jobrecord/"


def failed_job(**fields) -> JobRecord:
    return JobRecordFactory.create(
        **{
            "status": JobStatus.FAILED,
            "attempts": 1,
            "max_attempts": 1,
            "error": "OSError: down",
            **fields,
        }
    )


def test_admins_see_the_jobs_read_only_with_filters(admin_user):
    job = failed_job(arguments={"args": ["log", "x"], "kwargs": {}})
    client = web_client(admin_user)

    changelist = client.get(CHANGELIST, {"status__exact": "failed"})
    assert changelist.status_code == 200
    assert str(job.pk) in changelist.content.decode()
    assert client.get(f"{CHANGELIST}{job.pk}/change/").status_code == 200
    assert client.get(f"{CHANGELIST}add/").status_code == 403
    assert client.post(f"{CHANGELIST}{job.pk}/delete/", {"post": "yes"}).status_code == 403
    assert JobRecord.objects.filter(pk=job.pk).exists()


def test_editors_do_not_see_the_jobs(editor):
    assert web_client(editor).get(CHANGELIST).status_code == 403


def test_the_retry_action_queues_a_failed_job_again_with_its_arguments(
    admin_user, django_capture_on_commit_callbacks
):
    log = f"testjobs:{jobs.new_key()}:starts"
    job = failed_job(arguments={"args": [log, "again"], "kwargs": {}})
    done = failed_job(status=JobStatus.COMPLETED)

    with django_capture_on_commit_callbacks(execute=True):
        response = web_client(admin_user).post(
            CHANGELIST,
            {"action": "retry_failed", ACTION_CHECKBOX_NAME: [str(job.pk), str(done.pk)]},
            follow=True,
        )

    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert "1 job(s) queued again." in messages
    job.refresh_from_db()
    # Eager here: queued again and run at once, same id, a fresh count of attempts.
    assert job.status == JobStatus.COMPLETED
    assert job.attempts == 1
    assert jobs.notes().lrange(log, 0, -1) == ["again"]
    done.refresh_from_db()
    assert done.status == JobStatus.COMPLETED


def test_a_job_whose_arguments_were_redacted_is_not_retried(admin_user):
    job = failed_job(arguments={"args": ["[redacted]", "x"], "kwargs": {}})

    response = web_client(admin_user).post(
        CHANGELIST, {"action": "retry_failed", ACTION_CHECKBOX_NAME: [str(job.pk)]}, follow=True
    )

    messages = " ".join(str(m) for m in response.context["messages"])
    assert "0 job(s) queued again." in messages
    assert "redacted" in messages
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED

"""GET /api/v1/admin/tasks/, detail, and cancel."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tasks.models import JobRecord, JobStatus
from tests.factories import JobRecordFactory
from tests.helpers import assert_problem, client_for

pytestmark = pytest.mark.django_db

LIST = "/api/v1/admin/tasks/"
FIELDS = {
    "id", "name", "status", "priority", "queue", "attempts", "max_attempts", "created_at",
    "started_at", "finished_at", "duration_ms", "result", "error", "run_after",
}  # fmt: skip


def make_job(**fields) -> JobRecord:
    fields.setdefault("name", "tasks.send_email")
    fields.setdefault("queue", fields.get("priority", "default"))
    fields.setdefault("priority", fields["queue"])
    return JobRecordFactory.create(**fields)


def detail(job) -> str:
    return f"{LIST}{job.pk}/"


@pytest.mark.parametrize(
    ("who", "expected"), [(None, 401), ("reader", 403), ("author", 403), ("editor", 403)]
)
def test_jobs_are_for_admins_only(request, who, expected):
    job = make_job()
    client = client_for(request.getfixturevalue(who) if who else None)

    assert client.get(LIST).status_code == expected
    assert client.get(detail(job)).status_code == expected
    assert_problem(client.post(f"{detail(job)}cancel/"), expected)
    job.refresh_from_db()
    assert job.status == JobStatus.PENDING


def test_the_list_is_newest_first_with_the_contract_fields(admin_client_api):
    old = make_job(name="old")
    JobRecord.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=1))
    new = make_job(name="new")

    body = admin_client_api.get(LIST).json()

    assert [item["id"] for item in body["results"]] == [str(new.pk), str(old.pk)]
    assert set(body["results"][0]) == FIELDS
    assert body["count"] == 2
    assert body["next"] is None


def test_the_list_filters_by_status_name_and_priority(admin_client_api):
    failed_email = make_job(status=JobStatus.FAILED, priority="high")
    make_job(status=JobStatus.COMPLETED, priority="high")
    failed_report = make_job(status=JobStatus.FAILED, name="tasks.generate_report", priority="low")

    def ids(query):
        response = admin_client_api.get(LIST, query)
        assert response.status_code == 200
        return {item["id"] for item in response.json()["results"]}

    assert ids({"status": "failed"}) == {str(failed_email.pk), str(failed_report.pk)}
    assert ids({"status": "failed", "priority": "high"}) == {str(failed_email.pk)}
    assert ids({"name": "tasks.generate_report"}) == {str(failed_report.pk)}
    assert ids({"priority": "critical"}) == set()


@pytest.mark.parametrize("query", [{"status": "done"}, {"priority": "urgent"}])
def test_an_unknown_filter_value_is_a_400(admin_client_api, query):
    response = admin_client_api.get(LIST, query)

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert set(response.json()["fields"]) == set(query)


def test_the_list_is_paginated(admin_client_api):
    for _ in range(3):
        make_job()

    body = admin_client_api.get(LIST, {"page_size": 2}).json()

    assert len(body["results"]) == 2
    assert body["count"] == 3
    assert body["next"] is not None


def test_the_detail_adds_arguments_traceback_request_id_and_actor(admin_client_api, admin_user):
    job = make_job(
        arguments={"args": [1], "kwargs": {}},
        traceback="Traceback ...",
        request_id="req-1",
        actor=admin_user,
        status=JobStatus.FAILED,
        error="ValueError: no",
    )

    body = admin_client_api.get(detail(job)).json()

    assert set(body) >= FIELDS
    assert body["arguments"] == {"args": [1], "kwargs": {}}
    assert body["traceback"] == "Traceback ..."
    assert body["request_id"] == "req-1"
    assert body["actor"] == admin_user.username
    assert body["error"] == "ValueError: no"
    assert body["worker"] == "" and body["lease_until"] is None


def test_a_waiting_job_says_when_it_will_run_and_a_running_one_where(admin_client_api):
    when = timezone.now() + timedelta(minutes=5)
    waiting = make_job(status=JobStatus.RETRYING, run_after=when)
    running = make_job(
        status=JobStatus.RUNNING,
        attempt_started_at=timezone.now(),
        worker="celery@web-1",
        lease_until=when,
    )

    listed = {row["id"]: row for row in admin_client_api.get(LIST).json()["results"]}
    assert parse_datetime(listed[str(waiting.pk)]["run_after"]) == when
    assert listed[str(running.pk)]["run_after"] is None
    body = admin_client_api.get(detail(running)).json()
    assert body["worker"] == "celery@web-1"
    assert parse_datetime(body["lease_until"]) == when


def test_an_unknown_job_is_a_404(admin_client_api):
    response = admin_client_api.get(f"{LIST}{uuid.uuid4()}/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert admin_client_api.post(f"{LIST}{uuid.uuid4()}/cancel/").status_code == 404


@pytest.mark.parametrize("status", [JobStatus.PENDING, JobStatus.RETRYING])
def test_cancelling_a_waiting_job(admin_client_api, status):
    job = make_job(status=status)

    response = admin_client_api.post(f"{detail(job)}cancel/")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["finished_at"] is not None
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED


@pytest.mark.parametrize(
    "status",
    [JobStatus.RUNNING, JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED],
)
def test_cancelling_a_running_or_finished_job_is_a_conflict(admin_client_api, status):
    job = make_job(status=status)

    response = admin_client_api.post(f"{detail(job)}cancel/")

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    job.refresh_from_db()
    assert job.status == status


def test_the_list_costs_a_constant_number_of_queries(
    admin_client_api, admin_user, django_assert_max_num_queries
):
    for _ in range(15):
        make_job(actor=admin_user)
    with django_assert_max_num_queries(6):
        response = admin_client_api.get(LIST)
    assert len(response.json()["results"]) == 15

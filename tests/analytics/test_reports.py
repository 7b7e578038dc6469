"""Reports: the API, the job, the files (through Django's storage) and `run_report`."""

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest
from django.core.management import CommandError, call_command

from analytics.models import Event, Report, ReportStatus
from analytics.reports.builders import content_table, engagement_table, users_table
from tasks.models import JobRecord, JobStatus
from tests.factories import (
    CommentFactory,
    PostDailyStatsFactory,
    PostFactory,
    ReaderFactory,
    ReportFactory,
)
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

CREATE = "/api/v1/admin/reports/"
JAN = {"start": "2026-01-01", "end": "2026-01-31"}


def at(day: int, month: int = 1) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    # Files go through the default storage: a scratch directory for each test.
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def january():
    """A post published in January with views and comments, one outside the range."""
    post = PostFactory(slug="in-range", published_at=at(10))
    PostFactory(slug="too-late", published_at=at(1, month=2))
    PostDailyStatsFactory(post=post, date=date(2026, 1, 10), views=7)
    PostDailyStatsFactory(post=post, date=date(2026, 1, 11), views=3)
    PostDailyStatsFactory(post=post, date=date(2026, 2, 1), views=100)
    comment = CommentFactory(post=post)
    type(comment).objects.filter(pk=comment.pk).update(created_at=at(11))
    return post


def request_report(client, capture, **body):
    with capture(execute=True):
        response = client.post(CREATE, {"kind": "content", "format": "csv", **JAN, **body})
    return response


def test_an_editor_requests_a_report_and_downloads_it(
    editor_client, editor, january, django_capture_on_commit_callbacks
):
    response = request_report(editor_client, django_capture_on_commit_callbacks)

    assert response.status_code == 202
    assert set(response.json()) == {"id", "status", "task_id"}
    report_id, task_id = response.json()["id"], response.json()["task_id"]
    job = JobRecord.objects.get(pk=task_id)
    assert (job.name, job.priority, job.status) == ("tasks.generate_report", "low", "completed")
    assert job.actor == editor

    detail = editor_client.get(f"{CREATE}{report_id}/").json()
    assert detail["status"] == "completed"
    assert detail["row_count"] == 1
    assert detail["download_url"].endswith(f"/api/v1/admin/reports/{report_id}/download/")

    download = editor_client.get(f"{CREATE}{report_id}/download/")
    assert download.status_code == 200
    assert download["Content-Type"] == "text/csv"
    assert "attachment" in download["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert [row["slug"] for row in rows] == ["in-range"]
    assert rows[0]["views_in_range"] == "10"
    assert rows[0]["comments_in_range"] == "1"

    event = Event.objects.get(type="report.completed")
    assert event.aggregate_id == report_id
    assert event.data == {"kind": "content", "format": "csv"}
    assert event.actor_id == editor.pk


def test_a_json_report(editor_client, january, django_capture_on_commit_callbacks):
    response = request_report(
        editor_client, django_capture_on_commit_callbacks, kind="engagement", format="json"
    )
    report_id = response.json()["id"]

    download = editor_client.get(f"{CREATE}{report_id}/download/")

    assert download["Content-Type"] == "application/json"
    document = json.loads(b"".join(download.streaming_content))
    assert document["kind"] == "engagement"
    assert len(document["rows"]) == 31
    assert document["rows"][9] == {
        "date": "2026-01-10",
        "views": 7,
        "comments": 0,
        "posts_published": 1,
        "users_registered": 0,
    }
    assert document["rows"][10]["comments"] == 1


def test_the_file_is_not_there_before_the_job_ran(editor_client):
    # The job is queued after the commit, which never comes in this test's transaction.
    response = editor_client.post(CREATE, {"kind": "users", "format": "csv", **JAN})

    report_id = response.json()["id"]
    assert response.json()["status"] == "pending"
    assert editor_client.get(f"{CREATE}{report_id}/").json()["download_url"] is None
    download = editor_client.get(f"{CREATE}{report_id}/download/")
    assert download.status_code == 404
    assert download.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "sales"}, "kind"),
        ({"format": "xlsx"}, "format"),
        ({"start": "2026-02-01", "end": "2026-01-01"}, "end"),
        ({"start": "yesterday"}, "start"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_requests_are_400(editor_client, body, field):
    response = editor_client.post(CREATE, {"kind": "content", "format": "csv", **JAN, **body})

    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not Report.objects.exists()


@pytest.mark.parametrize(("who", "expected"), [(None, 401), ("reader", 403), ("author", 403)])
def test_reports_are_for_editors(request, who, expected):
    client = client_for(request.getfixturevalue(who) if who else None)
    report = ReportFactory()

    assert client.post(CREATE, {"kind": "content", "format": "csv", **JAN}).status_code == expected
    assert client.get(f"{CREATE}{report.pk}/").status_code == expected
    assert client.get(f"{CREATE}{report.pk}/download/").status_code == expected


def test_a_report_whose_job_gives_up_is_failed(editor, monkeypatch):
    from analytics.reports import builders as report_module
    from analytics.reports.tasks import generate_report

    def broken(start, end):
        raise ValueError("no such column")

    monkeypatch.setitem(report_module.BUILDERS, "users", broken)
    report = ReportFactory()

    with pytest.raises(ValueError):
        generate_report.apply_async(args=(str(report.pk),), task_id=str(report.pk))

    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert "no such column" in report.error
    assert JobRecord.objects.get(pk=report.pk).status == JobStatus.FAILED


def test_generating_twice_keeps_one_file_and_one_event(editor):
    from analytics.reports.generation import report_generate

    report = ReportFactory()

    first = report_generate(report_id=report.pk)
    second = report_generate(report_id=report.pk)

    assert first == second
    assert Event.objects.filter(type="report.completed").count() == 1


def test_a_run_after_a_crash_replaces_the_file_the_crashed_run_left(settings):
    """A run that died after writing its file but before its commit (worker killed) left
    a file that no row names: the next run writes over it, not beside it."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from analytics.reports.generation import report_generate

    report = ReportFactory(format="csv")
    name = f"{report.kind}-{report.start}-{report.end}-{report.pk}.csv"
    leftover = Report._meta.get_field("file").generate_filename(report, name)
    assert default_storage.save(leftover, ContentFile(b"half a report")) == leftover

    report_generate(report_id=report.pk)

    report.refresh_from_db()
    assert report.file.name == leftover
    files = [path for path in settings.MEDIA_ROOT.rglob("*") if path.is_file()]
    assert files == [settings.MEDIA_ROOT / leftover]
    assert report.file.read() != b"half a report"
    assert Event.objects.filter(type="report.completed").count() == 1


def test_the_users_report_has_no_email_addresses():
    user = ReaderFactory(email="ann@example.com")
    type(user).objects.filter(pk=user.pk).update(date_joined=at(5))

    table = users_table(date(2026, 1, 1), date(2026, 1, 31))

    assert "email" not in table.columns
    assert [row[0] for row in table.rows] == [user.username]
    assert "ann@example.com" not in repr(table.rows)


def test_range_ends_are_included(january):
    assert [row[1] for row in content_table(date(2026, 1, 10), date(2026, 1, 10)).rows] == [
        "in-range"
    ]
    assert content_table(date(2026, 1, 11), date(2026, 1, 31)).rows == []
    assert len(engagement_table(date(2026, 1, 30), date(2026, 2, 2)).rows) == 4


def test_run_report_writes_the_report_to_stdout_or_a_file(january, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "run_report", "--kind", "content", "--start", "2026-01-01", "--end", "2026-01-31",
        "--output", "-", stdout=out, stderr=err,
    )  # fmt: skip

    assert out.getvalue().splitlines()[0].startswith("id,slug,title")
    assert "in-range" in out.getvalue()
    assert "1 row(s)" in err.getvalue()

    target = tmp_path / "report.json"
    call_command(
        "run_report", "--kind", "users", "--start", "2026-01-01", "--end", "2026-01-31",
        "--format", "json", "--output", str(target), stdout=io.StringIO(),
    )  # fmt: skip
    assert json.loads(target.read_text())["kind"] == "users"
    assert Report.objects.filter(status=ReportStatus.COMPLETED).count() == 2


def test_run_report_usage_errors_exit_2():
    with pytest.raises(CommandError) as caught:
        call_command(
            "run_report", "--kind", "content", "--start", "2026-02-01", "--end", "2026-01-01"
        )
    assert caught.value.returncode == 2

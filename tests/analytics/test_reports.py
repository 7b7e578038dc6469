"""Reports: the API, the job, the files (through Django's storage) and `run_report`."""

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.models import Event, Report, ReportStatus
from analytics.reports import builders
from analytics.reports.builders import content_table, engagement_table, users_table
from analytics.reports.generation import report_generate
from tasks.models import JobRecord, JobStatus
from tests.factories import (
    AuthorFactory,
    CommentFactory,
    DraftPostFactory,
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
    rows = list(table.rows)

    assert "email" not in table.columns
    assert [row[0] for row in rows] == [user.username]
    assert "ann@example.com" not in repr(rows)


def test_range_ends_are_included(january):
    assert [row[1] for row in content_table(date(2026, 1, 10), date(2026, 1, 10)).rows] == [
        "in-range"
    ]
    assert list(content_table(date(2026, 1, 11), date(2026, 1, 31)).rows) == []
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


# --- at scale: streamed, a query per report -------------------------------------------


@pytest.fixture
def a_week_of_posts():
    """Seven posts, one a day from 1 January, each with views and comments on its day and
    the next, plus what a report must not count (another day, a pending comment)."""
    posts = []
    for day in range(1, 8):
        post = PostFactory(slug=f"day-{day}", published_at=at(day))
        PostDailyStatsFactory(post=post, date=date(2026, 1, day), views=day)
        PostDailyStatsFactory(post=post, date=date(2026, 1, day + 1), views=100)
        for created, status in ((at(day), "approved"), (at(day + 1), "approved")):
            comment = CommentFactory(post=post, status=status)
            type(comment).objects.filter(pk=comment.pk).update(created_at=created)
        CommentFactory(post=post, status="pending")
        posts.append(post)
    return posts


def test_a_content_report_streams_its_rows_in_chunks(a_week_of_posts, monkeypatch):
    # Fewer rows per fetch than rows: the cursor is read in several round trips.
    monkeypatch.setattr(builders, "ROWS_PER_FETCH", 2)

    rows = list(content_table(date(2026, 1, 2), date(2026, 1, 6)).rows)

    assert [row[1] for row in rows] == ["day-2", "day-3", "day-4", "day-5", "day-6"]
    by_slug = {row[1]: row for row in rows}
    # views_in_range, comments_in_range: the day after day-6 is outside the range.
    assert by_slug["day-3"][7:9] == [3 + 100, 2]
    assert by_slug["day-6"][7:9] == [6, 1]
    assert by_slug["day-2"][5] == "2026-01-02T12:00:00+00:00"


def test_a_content_report_reads_neither_bodies_nor_search_vectors(a_week_of_posts):
    with CaptureQueriesContext(connection) as queries:
        rows = list(content_table(date(2026, 1, 1), date(2026, 1, 31)).rows)

    assert len(rows) == 7
    # One query (declared as a server-side cursor), whatever the number of posts.
    selects = [q["sql"] for q in queries.captured_queries if "blog_post" in q["sql"]]
    assert len(selects) == 1
    assert '"blog_post"."body"' not in selects[0]
    assert '"blog_post"."body_html"' not in selects[0]
    assert "search_vector" not in selects[0]


def test_the_users_report_counts_posts_and_comments_apart():
    author = AuthorFactory(username="prolific")
    type(author).objects.filter(pk=author.pk).update(date_joined=at(3))
    others = PostFactory.create_batch(3, author=author)
    DraftPostFactory(author=author)
    for post in others[:2]:
        CommentFactory(post=post, author=author)
    CommentFactory(post=others[0], author=author, status="pending")

    rows = list(users_table(date(2026, 1, 1), date(2026, 1, 31)).rows)

    assert [(row[0], row[-2], row[-1]) for row in rows] == [("prolific", 3, 2)]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_long_report_is_written_whole(editor, a_week_of_posts, monkeypatch, fmt):
    monkeypatch.setattr(builders, "ROWS_PER_FETCH", 3)
    # A file larger than this goes through a temporary file on disk.
    monkeypatch.setattr("analytics.reports.generation.SPOOL_IN_MEMORY", 100)
    report = ReportFactory(
        kind="content", format=fmt, start=date(2026, 1, 1), end=date(2026, 1, 31)
    )

    summary = report_generate(report_id=report.pk)

    report.refresh_from_db()
    assert summary["rows"] == report.row_count == 7
    with report.file.open("rb") as stored:
        content = stored.read().decode()
    if fmt == "csv":
        slugs = [row["slug"] for row in csv.DictReader(io.StringIO(content))]
    else:
        document = json.loads(content)
        assert (document["kind"], document["start"], document["end"]) == (
            "content", "2026-01-01", "2026-01-31",
        )  # fmt: skip
        assert document["columns"][:2] == ["id", "slug"]
        slugs = [row["slug"] for row in document["rows"]]
    assert slugs == [f"day-{day}" for day in range(1, 8)]


def test_an_empty_json_report_is_valid_json(editor):
    report = ReportFactory(
        kind="content", format="json", start=date(2026, 1, 1), end=date(2026, 1, 2)
    )

    report_generate(report_id=report.pk)

    report.refresh_from_db()
    with report.file.open("rb") as stored:
        document = json.loads(stored.read())
    assert document["rows"] == []
    assert report.row_count == 0

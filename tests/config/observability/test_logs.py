"""Structured logs (config/observability/logs.py): the real pipeline, as rendered JSON lines.

Each test adds a handler with the configured JSON formatter to the root logger, so what
is asserted is what a log collector would receive: structlog's lines and the stdlib's.
"""

import io
import json
import logging

import pytest
import structlog
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config.observability.logs import logging_config
from tests.factories import ReaderFactory
from tests.helpers import client_for

REPORTS = "/api/v1/admin/reports/"
JAN = {"start": "2026-01-01", "end": "2026-01-31"}


class Lines:
    """The JSON lines logged while the fixture is active."""

    def __init__(self, stream: io.StringIO):
        self.stream = stream

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def all(self) -> list[dict]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]

    def named(self, event: str) -> list[dict]:
        return [line for line in self.all() if line["event"] == event]


def _formatter(name: str) -> logging.Formatter:
    options = {k: v for k, v in settings.LOGGING["formatters"][name].items() if k != "()"}
    return structlog.stdlib.ProcessorFormatter(**options)


@pytest.fixture
def log_lines():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(_formatter("json"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield Lines(stream)
    finally:
        root.removeHandler(handler)


@pytest.mark.django_db
def test_a_requests_lines_carry_its_sane_request_id_which_is_echoed(log_lines):
    response = client_for(None).get("/api/v1/posts/", HTTP_X_REQUEST_ID="trace-42.a:b")

    assert response["X-Request-ID"] == "trace-42.a:b"
    started, finished = log_lines.named("request_started"), log_lines.named("request_finished")
    assert len(started) == len(finished) == 1
    assert finished[0]["code"] == 200
    # One id per request: django-structlog's own random id is replaced by ours.
    assert {line["request_id"] for line in log_lines.all()} == {"trace-42.a:b"}
    # Nothing stays bound once the request is over.
    assert structlog.contextvars.get_contextvars() == {}


@pytest.mark.django_db
def test_an_insane_request_id_is_replaced_by_a_new_one(log_lines):
    response = client_for(None).get("/api/v1/posts/", HTTP_X_REQUEST_ID="evil id\t{injected}")

    new_id = response["X-Request-ID"]
    assert new_id != "evil id\t{injected}"
    assert len(new_id) == 32
    assert {line["request_id"] for line in log_lines.all()} == {new_id}
    assert "injected" not in log_lines.text


@pytest.mark.django_db
def test_the_user_id_of_a_jwt_request_is_on_its_lines(log_lines):
    reader = ReaderFactory()

    response = client_for(reader).get("/api/v1/users/me/", HTTP_X_REQUEST_ID="me-1")

    assert response.status_code == 200
    # Authenticated by DRF in the view, after the middleware's first line.
    assert log_lines.named("request_started")[0]["user_id"] is None
    assert log_lines.named("request_finished")[0]["user_id"] == reader.pk


@pytest.mark.django_db(transaction=True)
def test_a_job_started_by_a_request_logs_its_job_id_and_that_request_id(
    log_lines, editor, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    # A transactional test: the job is queued at the commit, inside the request, and
    # runs there in-process (eager), as in the embedded default.
    response = client_for(editor).post(
        REPORTS, {"kind": "content", "format": "csv", **JAN}, HTTP_X_REQUEST_ID="report-req-7"
    )

    assert response.status_code == 202
    job_id = response.json()["task_id"]
    # The report job, and the event consumer it queues in turn.
    queued = [line for line in log_lines.named("job.queued") if line["job_id"] == job_id]
    assert [line["job"] for line in queued] == ["tasks.generate_report"]
    # Logged by the view's service: the JWT user is already bound.
    assert queued[0]["request_id"] == "report-req-7"
    assert queued[0]["user_id"] == editor.pk
    job_lines = [line for line in log_lines.all() if line.get("job_id") == job_id]
    events = [line["event"] for line in job_lines]
    assert "job.started" in events
    assert "job.completed" in events
    assert {line["request_id"] for line in job_lines} == {"report-req-7"}
    assert {line["user_id"] for line in job_lines} == {editor.pk}  # the job's actor
    assert {line["job"] for line in job_lines if line["event"] != "job.queued"} == {
        "tasks.generate_report"
    }
    # The job's context was restored: the request's last line is the request's again.
    finished = log_lines.named("request_finished")[0]
    assert "job_id" not in finished
    assert (finished["request_id"], finished["user_id"]) == ("report-req-7", editor.pk)


@pytest.mark.django_db
def test_every_line_is_one_json_object_with_time_level_and_event(log_lines):
    client_for(None).get("/api/v1/posts/")
    logging.getLogger("some.library").warning("plain %s line", "stdlib")

    lines = log_lines.text.splitlines()
    assert len(lines) >= 3
    for line in lines:
        document = json.loads(line)
        assert {"timestamp", "level", "event", "logger"} <= set(document)
    assert log_lines.named("plain stdlib line")[0]["level"] == "warning"


@pytest.mark.django_db(transaction=True)
def test_a_login_with_a_wrong_password_logs_no_password(log_lines):
    user = ReaderFactory(username="walter")
    password = "Wr0ng-but-Secret-Pa55"

    response = client_for(None).post(
        "/api/v1/auth/token/", {"username": user.username, "password": password}
    )

    assert response.status_code == 401
    failed = log_lines.named("user.login_failed")
    assert failed and failed[0]["data"]["username"] == "walter"
    assert log_lines.named("request_finished")[0]["code"] == 401
    assert password not in log_lines.text


def test_e_mail_addresses_in_fields_and_messages_are_masked(log_lines):
    structlog.get_logger("tests").info(
        "user.invited", invitee="alice@example.com", note="copy to bob@example.org"
    )
    logging.getLogger("tests").warning("mail to %s bounced", "carol@example.net")
    logging.getLogger("tests").info("sent", extra={"user_email": "dave@example.com"})

    assert "@example" not in log_lines.text
    invited = log_lines.named("user.invited")[0]
    assert invited["invitee"] == "[redacted]"
    assert invited["note"] == "copy to [redacted]"
    assert log_lines.named("mail to [redacted] bounced")
    assert log_lines.named("sent")[0]["user_email"] == "[redacted]"


def test_tokens_and_secrets_in_fields_are_masked(log_lines):
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoxfQ.c2lnbmF0dXJl"
    structlog.get_logger("tests").info(
        "client.called",
        access_token="opaque-access-value",
        password="hunter2-hunter2",
        headers={"Authorization": f"Bearer {jwt}"},
        detail=f"token was {jwt}",
        url="/reset/?uid=5&token=opaque-reset-value&next=/",
    )

    line = log_lines.named("client.called")[0]
    for secret in ("opaque-access-value", "hunter2-hunter2", jwt, "opaque-reset-value"):
        assert secret not in log_lines.text
    assert line["access_token"] == line["password"] == "[redacted]"
    assert line["headers"] == {"Authorization": "[redacted]"}
    assert line["url"] == "/reset/?uid=5&token=[redacted]&next=/"


def test_an_exception_is_rendered_and_redacted(log_lines):
    try:
        raise ValueError("no account for erin@example.com")
    except ValueError:
        logging.getLogger("tests").exception("lookup.failed")

    line = log_lines.named("lookup.failed")[0]
    assert "ValueError: no account for [redacted]" in line["exception"]


def test_only_secrets_are_masked_not_what_an_operator_needs(log_lines):
    """A broker URL without a password, internal addresses and a browser's version stay
    readable; a URL's password and a client's public address do not."""
    user_agent = (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "HeadlessChrome/142.0.0.0 Safari/537.36"
    )
    logging.getLogger("celery.worker.consumer.connection").info(
        "Connected to %s", "redis://127.0.0.1:6379/0"
    )
    logging.getLogger("tests").info("db at %s", "postgres://blog:s3cret-pw@10.1.2.3:5432/blog")
    structlog.get_logger("tests").info(
        "request.seen",
        user_agent=user_agent,
        upstream="http://[::1]:8000/ and 192.168.0.7",
        note="from 203.0.113.9 and 8.8.8.8",
        cache="redis://:hunter2-hunter2@redis.internal:6379/1",
    )

    assert log_lines.named("Connected to redis://127.0.0.1:6379/0")
    assert log_lines.named("db at postgres://blog:[redacted]@10.1.2.3:5432/blog")
    line = log_lines.named("request.seen")[0]
    assert line["user_agent"] == user_agent
    assert line["upstream"] == "http://[::1]:8000/ and 192.168.0.7"
    # 203.0.113.9 is a documentation address (not global): kept like a private one.
    assert line["note"] == "from 203.0.113.9 and [redacted]"
    assert line["cache"] == "redis://:[redacted]@redis.internal:6379/1"
    for secret in ("s3cret-pw", "hunter2", "8.8.8.8"):
        assert secret not in log_lines.text


def test_the_console_format_is_one_readable_line():
    record = logging.LogRecord("blog", logging.INFO, __file__, 1, "post.published", (), None)
    record.post_id = 5

    text = _formatter("console").format(record)

    assert "post.published" in text
    assert "post_id" in text and "5" in text
    assert "\n" not in text.strip()


def test_an_unknown_log_format_is_refused():
    with pytest.raises(ImproperlyConfigured, match="LOG_FORMAT"):
        logging_config(log_format="xml", level="INFO")

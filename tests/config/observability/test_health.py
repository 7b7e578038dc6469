"""`/health/`, `/health/live/` and `manage.py health`."""

import pytest
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config.celery import app as celery_app
from config.observability import health
from tests.helpers import DEAD_REDIS_CACHES, DEAD_REDIS_URL

pytestmark = pytest.mark.django_db


def get_json(client, path="/health/"):
    return client.get(path, HTTP_ACCEPT="application/json")


def check_named(body, name):
    matches = [value for key, value in body.items() if key.startswith(name)]
    assert len(matches) == 1, body
    return matches[0]


def test_healthy_answers_200_json_with_every_check(client):
    response = get_json(client)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    for name in ("Database", "CacheCheck", "Storage", "Migrations", "Redis"):
        assert check_named(body, name) == "OK"
    # Jobs are eager in tests: no broker, no worker to ping.
    assert not any(key.startswith(("Broker", "WorkerPing")) for key in body)
    assert "no-cache" in response["Cache-Control"]


def test_dead_redis_cache_answers_500_despite_ignore_exceptions(client, settings):
    settings.CACHES = DEAD_REDIS_CACHES

    response = get_json(client)

    assert response.status_code == 500
    body = response.json()
    assert check_named(body, "CacheCheck").startswith("Unavailable: Redis cache does not answer")
    assert check_named(body, "Database") == "OK"


def test_dead_redis_server_answers_500(client, settings):
    settings.REDIS_URL = DEAD_REDIS_URL

    response = get_json(client)

    assert response.status_code == 500
    assert "Unable to connect to Redis" in check_named(response.json(), "Redis")


def test_pending_migration_answers_500(client, monkeypatch):
    class FakeExecutor:
        def __init__(self, connection):
            self.loader = type("L", (), {"graph": type("G", (), {"leaf_nodes": list})()})()

        def migration_plan(self, targets):
            migration = type("M", (), {"app_label": "blog", "name": "0099_future"})()
            return [(migration, False)]

    monkeypatch.setattr(health, "MigrationExecutor", FakeExecutor)

    response = get_json(client)

    assert response.status_code == 500
    assert "1 pending migration(s): blog.0099_future" in check_named(response.json(), "Migrations")


@pytest.fixture
def jobs_on_broker(monkeypatch):
    """Jobs go through the broker (this run's Redis db), as in production; no worker runs."""
    broker_url = celery_app.conf.broker_url
    celery_app.conf.task_always_eager = False  # restored by the autouse _eager_jobs
    monkeypatch.setattr(health, "WORKER_PING_SECONDS", 0.2)
    yield
    celery_app.conf.broker_url = broker_url


def test_missing_worker_is_reported_but_not_critical(client, jobs_on_broker):
    response = get_json(client)

    assert response.status_code == 200
    body = response.json()
    assert check_named(body, "Broker") == "OK"
    assert check_named(body, "WorkerPing") == "Warning: Celery workers unavailable"


def test_dead_broker_is_critical(client, jobs_on_broker):
    celery_app.conf.broker_url = DEAD_REDIS_URL

    response = get_json(client)

    assert response.status_code == 500
    assert check_named(response.json(), "Broker").startswith("Unavailable: Broker does not answer")


def test_command_exits_0_with_only_a_worker_warning(jobs_on_broker, capsys):
    call_command("health")

    assert "Celery workers unavailable" in capsys.readouterr().out


def test_html_page_by_default(client):
    response = client.get("/health/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_liveness_answers_ok_without_touching_the_database(client, settings):
    settings.CACHES = DEAD_REDIS_CACHES  # nor the cache
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/health/live/")

    assert response.status_code == 200
    assert response.content == b"ok"
    assert len(queries) == 0


def test_command_exits_0_when_healthy(capsys):
    call_command("health")

    out = capsys.readouterr().out
    assert "Database(alias='default'): OK" in out
    assert "Migrations(alias='default'): OK" in out


def test_command_json(capsys):
    call_command("health", "--json")

    out = capsys.readouterr().out
    assert '"healthy": true' in out


def test_command_fails_when_a_critical_part_is_down(settings, capsys):
    settings.CACHES = DEAD_REDIS_CACHES

    with pytest.raises(CommandError, match="unhealthy"):
        call_command("health")
    assert "CacheCheck(alias='default'): Unavailable: Redis cache" in capsys.readouterr().out


def test_command_exit_code_is_1_from_the_command_line(settings):
    settings.CACHES = DEAD_REDIS_CACHES

    with pytest.raises(SystemExit) as exit_info:
        call_command_from_argv("health")
    assert exit_info.value.code == 1


def call_command_from_argv(*args):
    ManagementUtility(["manage.py", *args]).execute()

"""`/health/`, `/health/live/` and `manage.py health`."""

import pytest
import redis
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config.celery import app as celery_app
from config.observability import health
from config.observability.queue_consumers import consumers_announce
from tests.helpers import DEAD_REDIS_CACHES, DEAD_REDIS_URL

pytestmark = pytest.mark.django_db


def get_json(client, path="/health/"):
    return client.get(path, HTTP_ACCEPT="application/json")


def check_named(body, name):
    assert name in body, body
    return body[name]


def test_healthy_answers_200_json_with_every_check(client):
    response = get_json(client)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    # Stable names, no reprs: jobs are eager in tests, so no broker, no worker to ping.
    assert body == dict.fromkeys(("database", "cache", "storage", "migrations", "redis"), "OK")
    assert "no-cache" in response["Cache-Control"]


def test_dead_redis_cache_answers_500_despite_ignore_exceptions(client, settings):
    settings.CACHES = DEAD_REDIS_CACHES

    response = get_json(client)

    assert response.status_code == 500
    body = response.json()
    assert check_named(body, "cache").startswith("Unavailable: Redis cache does not answer")
    assert check_named(body, "database") == "OK"


def test_dead_redis_server_answers_500(client, settings):
    settings.REDIS_URL = DEAD_REDIS_URL

    response = get_json(client)

    assert response.status_code == 500
    assert "Unable to connect to Redis" in check_named(response.json(), "redis")


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
    assert "1 pending migration(s): blog.0099_future" in check_named(response.json(), "migrations")


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
    # The worker ping's key is a name, not the repr of the Celery app (a memory address).
    assert set(body) == {
        "database", "cache", "storage", "migrations", "redis", "broker", "workers", "queues"
    }  # fmt: skip
    assert check_named(body, "broker") == "OK"
    assert check_named(body, "workers") == "Warning: Celery workers unavailable"
    assert (
        check_named(body, "queues") == "Warning: no worker consumes: critical, high, default, low"
    )


def announce(hostname, queues):
    """A worker's announcement of the queues it consumes, in the broker's Redis (as
    config/observability/worker_presence.py makes it)."""
    conf = celery_app.conf
    client = redis.Redis.from_url(conf.broker_url)
    consumers_announce(client, conf.broker_transport_options, hostname, queues, interval=10)


def test_queues_nobody_consumes_are_named_in_a_warning(client, jobs_on_broker):
    announce("urgent@a", ["critical", "high"])

    response = get_json(client)

    assert response.status_code == 200
    assert check_named(response.json(), "queues") == "Warning: no worker consumes: default, low"


def test_queues_are_fine_when_each_has_a_consumer(client, jobs_on_broker):
    announce("urgent@a", ["critical", "high"])
    announce("all@b", ["critical", "high", "default", "low"])

    response = get_json(client)

    assert response.status_code == 200
    assert check_named(response.json(), "queues") == "OK"


def test_html_page_shows_a_missing_worker_as_a_warning(client, jobs_on_broker):
    response = client.get("/health/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    page = response.content.decode()
    assert '<tr class="health-warning">' in page
    assert "Celery workers unavailable (not critical)" in page
    assert '<h1 class="health-up">Healthy</h1>' in page


def test_dead_broker_is_critical(client, jobs_on_broker):
    celery_app.conf.broker_url = DEAD_REDIS_URL

    response = get_json(client)

    assert response.status_code == 500
    assert check_named(response.json(), "broker").startswith("Unavailable: Broker does not answer")
    assert check_named(response.json(), "queues") == (
        "Warning: Queue consumers cannot be read (ConnectionError)"
    )


def test_command_exits_0_with_only_a_worker_warning(jobs_on_broker, capsys):
    call_command("health")

    assert "Celery workers unavailable" in capsys.readouterr().out


def test_html_page_by_default(client):
    response = client.get("/health/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert '<th scope="row">database</th>' in page


def test_html_page_is_styled_within_the_content_security_policy(client):
    """Its styles come from a file: the policy allows no inline style."""
    response = client.get("/health/", HTTP_ACCEPT="text/html")

    page = response.content.decode()
    assert "<style" not in page and "style=" not in page
    assert 'rel="stylesheet" href="/static/observability/health.css"' in page
    assert "style-src 'self'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]


def test_text_and_openmetrics_use_the_same_names(client):
    text = client.get("/health/?format=text").content.decode()
    metrics = client.get("/health/?format=openmetrics").content.decode()

    assert "database: OK" in text
    assert 'django_health_check_status{check="database"} 1' in metrics
    assert "0x" not in text + metrics


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
    assert "database: OK" in out
    assert "migrations: OK" in out


def test_command_json(capsys):
    call_command("health", "--json")

    out = capsys.readouterr().out
    assert '"healthy": true' in out


def test_command_fails_when_a_critical_part_is_down(settings, capsys):
    settings.CACHES = DEAD_REDIS_CACHES

    with pytest.raises(CommandError, match="unhealthy"):
        call_command("health")
    assert "cache: Unavailable: Redis cache" in capsys.readouterr().out


def test_command_exit_code_is_1_from_the_command_line(settings):
    settings.CACHES = DEAD_REDIS_CACHES

    with pytest.raises(SystemExit) as exit_info:
        call_command_from_argv("health")
    assert exit_info.value.code == 1


def call_command_from_argv(*args):
    ManagementUtility(["manage.py", *args]).execute()

"""`GET /api/v1/ping/`: the trivial view the benchmark measures the framework's ceiling with."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.throttling import SimpleRateThrottle

from tests.helpers import assert_problem, client_for

pytestmark = pytest.mark.django_db


def test_ping_answers_anyone_without_touching_the_database(anon_client):
    with CaptureQueriesContext(connection) as queries:
        response = anon_client.get("/api/v1/ping/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Content-Type"].startswith("application/json")
    assert len(queries) == 0


def test_ping_goes_through_the_api_stack(anon_client):
    response = anon_client.get("/api/v1/ping/")
    # The same middleware as every other route: the request id is echoed.
    assert response["X-Request-ID"]


def test_ping_accepts_an_authenticated_user(reader):
    response = client_for(reader).get("/api/v1/ping/")
    assert response.status_code == 200


def test_ping_is_throttled_like_everything_else(anon_client, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "1/min")
    assert anon_client.get("/api/v1/ping/").status_code == 200
    assert_problem(anon_client.get("/api/v1/ping/"), 429)


def test_ping_refuses_other_methods(anon_client):
    response = anon_client.post("/api/v1/ping/", {}, format="json")
    assert response.status_code == 405

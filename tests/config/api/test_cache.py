"""`POST /api/v1/admin/cache/invalidate/` (config/api/cache.py): for admins, by namespace or all."""

import pytest

from config.cache import cached_result, namespace_generation
from tests.helpers import CountingSource, client_for, needs_redis

pytestmark = [
    needs_redis,
    pytest.mark.usefixtures("fresh_cache_counters"),
]

URL = "/api/v1/admin/cache/invalidate/"


def test_invalidate_endpoint_for_admins(admin_user):
    cached_result(lambda post_id: f"post:{post_id}")(CountingSource())(5)
    before = namespace_generation("posts")
    client = client_for(admin_user)

    response = client.post(URL, {"namespace": "posts"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"invalidated": ["posts"]}
    assert namespace_generation("posts") == before + 1

    response = client.post(URL, {}, format="json")
    assert response.status_code == 200
    invalidated = response.json()["invalidated"]
    assert {"posts", "categories", "tags", "post:5"} <= set(invalidated)

    assert client.post(URL, {"namespaces": "posts"}, format="json").status_code == 400


def test_invalidate_endpoint_refuses_others(editor, anon_client):
    assert client_for(editor).post(URL, {}, format="json").status_code == 403
    assert anon_client.post(URL, {}, format="json").status_code == 401

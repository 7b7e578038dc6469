import pytest

from tests.factories import PostFactory

pytestmark = pytest.mark.django_db


def test_posts_list_answers(anon_client):
    PostFactory()
    response = anon_client.get("/api/v1/posts/")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1

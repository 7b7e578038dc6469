import io

import pytest
from django.core.management import CommandError, call_command

from blog.models import Post
from blog.selectors.posts import post_list
from blog.services.posts import post_create
from tests.factories import AuthorFactory

pytestmark = pytest.mark.django_db


def found(text):
    return [p.title for p in post_list(user=None, params={"search": text})]


def test_rebuild_restores_vectors_lost_outside_the_application():
    author = AuthorFactory()
    post_create(author=author, title="Zebra crossing", body="Stripes.", status="published")
    post_create(author=author, title="Other", body="Lions.", tags=["savanna"], status="published")
    Post.objects.update(search_vector=None)  # a dump restored without them, say
    assert found("zebra") == [] and found("savanna") == []

    out = io.StringIO()
    call_command("rebuild_search_index", "--batch-size", "1", stdout=out)
    assert "2 post(s)" in out.getvalue()
    assert found("zebra") == ["Zebra crossing"]
    assert found("savanna") == ["Other"]  # tags are in the vector


def test_rebuild_of_one_post_only():
    author = AuthorFactory()
    one = post_create(author=author, title="Alpha", body="x", status="published")
    post_create(author=author, title="Beta", body="x", status="published")
    Post.objects.update(search_vector=None)
    call_command("rebuild_search_index", "--post", str(one.pk), stdout=io.StringIO())
    assert found("alpha") == ["Alpha"]
    assert found("beta") == []


def test_a_bad_batch_size_is_an_error():
    with pytest.raises(CommandError, match="batch-size"):
        call_command("rebuild_search_index", "--batch-size", "0")

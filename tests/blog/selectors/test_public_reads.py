"""The blog's public reads as selectors (`blog.selectors.public_reads`): which are cached
and tagged, answered 304 from the cache, and which are per caller."""

import pytest
from django.http import Http404

from blog.selectors.public_reads import (
    category_list_read,
    category_read,
    post_list_read,
    tag_list_read,
)
from config.api.conditional import ConditionalRead, conditional_response
from tests.factories import (
    AuthorFactory,
    CategoryFactory,
    DraftPostFactory,
    PostFactory,
    TagFactory,
)

KEY = "test-read-key"


def slugs(queryset):
    return [obj.slug for obj in queryset]


def list_read(params, user=None, if_none_match=None):
    return post_list_read(
        user=user, params=params, if_none_match=if_none_match, cache_key=KEY, render=slugs
    )


def test_the_published_list_is_tagged_and_answers_304(db):
    post = PostFactory()
    read = list_read({})
    assert read.data == [post.slug]
    assert read.etag
    assert list_read({}, if_none_match=read.etag) == ConditionalRead(
        etag=read.etag, not_modified=True
    )


def test_other_statuses_are_per_caller_and_untagged(db):
    author = AuthorFactory()
    draft = DraftPostFactory(author=author)
    read = list_read({"status": "draft"}, user=author)
    assert read == ConditionalRead(data=[draft.slug])
    assert list_read({"status": "draft"}).data == []


@pytest.mark.cached_reads
@pytest.mark.django_db(transaction=True)
def test_the_published_list_is_cached_and_drafts_are_not(django_assert_num_queries):
    author = AuthorFactory()
    PostFactory(author=author)
    DraftPostFactory(author=author)
    first = list_read({})
    with django_assert_num_queries(0):
        assert list_read({}) == first
    list_read({"status": "draft"}, user=author)
    with django_assert_num_queries(2):  # from the database again: the posts, their tags
        list_read({"status": "draft"}, user=author)


@pytest.mark.cached_reads
@pytest.mark.django_db(transaction=True)
def test_categories_and_tags_are_cached(django_assert_num_queries):
    category = CategoryFactory(slug="news")
    PostFactory(category=category, tags=[TagFactory(slug="x")])

    def reads():
        return [
            category_list_read(params={}, if_none_match=None, cache_key="c", render=slugs),
            category_read(slug="news", if_none_match=None, cache_key="n", render=lambda c: c.slug),
            tag_list_read(params={}, if_none_match=None, cache_key="t", render=slugs),
        ]

    first = reads()
    assert [read.data for read in first] == [["news"], "news", ["x"]]
    with django_assert_num_queries(0):
        assert reads() == first


def test_no_such_category_is_none_and_a_404(db):
    assert category_read(slug="nope", if_none_match=None, cache_key="x", render=str) is None
    with pytest.raises(Http404):
        conditional_response(None)

"""Event types declared by the apps (config.events.registry) and the event store's read
port (config.events.store), which accounts' lockout reads without importing analytics."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from accounts import events as accounts_events
from accounts import lockout
from analytics import events as analytics_events
from analytics.webhooks.services import webhook_event_types
from blog import events as blog_events
from config.events import registry, store
from config.events.bus import publish
from tests import factories
from tests.helpers import DEAD_REDIS_CACHES


def test_every_app_s_declared_types_are_registered_in_order():
    declared = [accounts_events.EVENT_TYPES, blog_events.EVENT_TYPES, analytics_events.EVENT_TYPES]
    assert dict(registry.EVENT_TYPES) == {k: v for types in declared for k, v in types.items()}
    # Apps are registered in INSTALLED_APPS order: the schema's enums keep their order.
    assert list(registry.EVENT_TYPES)[:2] == ["user.registered", "user.logged_in"]
    assert registry.event_aggregate_types() == [
        "category",
        "comment",
        "media",
        "post",
        "redirect",
        "report",
        "tag",
        "user",
    ]


def test_types_not_stored_are_not_offered_to_webhooks():
    assert "post.viewed" not in registry.event_types_stored()
    assert "post.viewed" not in webhook_event_types()
    assert "post.created" in webhook_event_types()


def test_declaring_a_type_again_differently_is_an_error():
    registry.event_type_register(
        "post.created", aggregate="post", payload=("slug", "status", "author_id")
    )
    with pytest.raises(ImproperlyConfigured):
        registry.event_type_register("post.created", aggregate="comment", payload=("slug",))
    with pytest.raises(ImproperlyConfigured):
        registry.event_type_register("post.viewed", aggregate="post", payload=("slug",))
    assert registry.EVENT_TYPES["post.created"].aggregate == "post"


@pytest.mark.django_db
def test_an_undeclared_type_cannot_be_published():
    with pytest.raises(ValueError, match="Unknown event type"):
        publish("post.teleported", aggregate_id=1, store=False)


@pytest.mark.django_db
def test_the_lockout_never_fails_open_without_an_event_store(settings, monkeypatch):
    settings.CACHES = DEAD_REDIS_CACHES
    user = factories.ReaderFactory()
    assert lockout.login_locked_for(user.username) is None  # analytics' reader answers

    monkeypatch.setattr(store, "_reader", None)
    # No reader: the check raises (the sign-in is refused) rather than saying "not locked".
    with pytest.raises(store.EventStoreUnavailable):
        lockout.login_locked_for(user.username)

"""Factories of stored events, the consumers' marks, daily stats and webhooks."""

import secrets
import uuid
from datetime import date, timedelta

import factory
from django.utils import timezone

from analytics.models import (
    ConsumedEvent,
    Event,
    PostDailyStats,
    Report,
    ReportFormat,
    ReportKind,
    SiteDailyStats,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from tests.factories.blog import PostFactory
from tests.helpers import today


class EventFactory(factory.django.DjangoModelFactory):
    """An event as the event store holds it; `ago` dates it back from now."""

    class Meta:
        model = Event

    class Params:
        ago = timedelta(0)

    id = factory.LazyFunction(uuid.uuid4)
    type = "post.created"
    occurred_at = factory.LazyAttribute(lambda e: timezone.now() - e.ago)
    aggregate_type = factory.LazyAttribute(lambda e: e.type.split(".")[0])
    aggregate_id = "1"


class ConsumedEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConsumedEvent

    consumer = "analytics"
    event_id = factory.LazyFunction(uuid.uuid4)


class PostDailyStatsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PostDailyStats

    post = factory.SubFactory(PostFactory)
    date = factory.LazyFunction(today)


class SiteDailyStatsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SiteDailyStats

    date = factory.LazyFunction(today)


class WebhookSubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookSubscription

    url = "https://example.com/hook"
    events = factory.LazyFunction(lambda: ["post.updated"])
    secret = factory.LazyFunction(lambda: secrets.token_hex(16))


class WebhookDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookDelivery

    subscription = factory.SubFactory(WebhookSubscriptionFactory)
    event = factory.SubFactory(EventFactory)
    event_type = factory.LazyAttribute(lambda d: d.event.type)


class WebhookAttemptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookAttempt

    delivery = factory.SubFactory(WebhookDeliveryFactory)


class ReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Report

    kind = ReportKind.USERS
    format = ReportFormat.CSV
    start = factory.LazyFunction(date.today)
    end = factory.LazyFunction(date.today)

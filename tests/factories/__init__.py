"""factory-boy factories, a module per app. They write rows directly (fast, any state);
tests of behaviour call the services, which is what users do."""

from tests.factories.accounts import (
    PASSWORD,
    STRONG_PASSWORD,
    AdminFactory,
    AuthorFactory,
    EditorFactory,
    ReaderFactory,
    UserFactory,
)
from tests.factories.analytics import (
    ConsumedEventFactory,
    EventFactory,
    PostDailyStatsFactory,
    ReportFactory,
    SiteDailyStatsFactory,
    WebhookAttemptFactory,
    WebhookDeliveryFactory,
    WebhookSubscriptionFactory,
)
from tests.factories.blog import (
    CategoryFactory,
    CommentFactory,
    DraftPostFactory,
    MediaFactory,
    PostFactory,
    ReadyMediaFactory,
    RevisionFactory,
    TagFactory,
)
from tests.factories.tasks import JobRecordFactory

__all__ = [
    "PASSWORD",
    "STRONG_PASSWORD",
    "AdminFactory",
    "AuthorFactory",
    "CategoryFactory",
    "CommentFactory",
    "ConsumedEventFactory",
    "DraftPostFactory",
    "EditorFactory",
    "EventFactory",
    "JobRecordFactory",
    "MediaFactory",
    "PostDailyStatsFactory",
    "PostFactory",
    "ReaderFactory",
    "ReadyMediaFactory",
    "ReportFactory",
    "RevisionFactory",
    "SiteDailyStatsFactory",
    "TagFactory",
    "UserFactory",
    "WebhookAttemptFactory",
    "WebhookDeliveryFactory",
    "WebhookSubscriptionFactory",
]

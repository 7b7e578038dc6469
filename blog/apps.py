from django.apps import AppConfig

from blog import events
from config.events.registry import event_types_register

# At import, not in ready(): the admin's autodiscovery (the first app's ready()) and the
# modules it imports read the event types (config.events.registry).
event_types_register(events.EVENT_TYPES, not_stored=events.NOT_STORED)


class BlogConfig(AppConfig):
    name = "blog"
    verbose_name = "Blog"

    def ready(self) -> None:
        from blog import receivers
        from config.events.bus import event_committed

        event_committed.connect(
            receivers.invalidate_cache_for_event, dispatch_uid="blog.invalidate_cache_for_event"
        )
        event_committed.connect(
            receivers.rerender_posts_for_media, dispatch_uid="blog.rerender_posts_for_media"
        )

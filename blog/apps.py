from django.apps import AppConfig


class BlogConfig(AppConfig):
    name = "blog"
    verbose_name = "Blog"

    def ready(self) -> None:
        from blog import receivers
        from config.events.bus import event_committed

        event_committed.connect(
            receivers.invalidate_cache_for_event, dispatch_uid="blog.invalidate_cache_for_event"
        )

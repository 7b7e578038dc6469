from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """Holds no models: registered so that shared templates and checks are found."""

    name = "config"
    verbose_name = "Configuration"

    def ready(self) -> None:
        from config.observability import log_context

        log_context.connect()

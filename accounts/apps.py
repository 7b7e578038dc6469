from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # Registers the `notifications` consumer and its e-mail templates (and so the
        # `tasks.send_email` job) in every process: web, workers, commands.
        from accounts import notifications  # noqa: F401

from django.apps import AppConfig

from accounts import events
from config.events.registry import event_types_register

# At import, not in ready(): the admin's autodiscovery (the first app's ready()) and the
# modules it imports read the event types (config.events.registry).
event_types_register(events.EVENT_TYPES)


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

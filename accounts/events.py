"""The domain events accounts publishes: type -> (aggregate, payload keys).

Registered by accounts/apps.py (see `config.events.registry`).
"""

from config.events.registry import EventType

EVENT_TYPES = {
    "user.registered": EventType("user", ("username", "role")),
    "user.logged_in": EventType("user", ("username",)),
    "user.login_failed": EventType("user", ("username", "reason")),
    "user.login_unlocked": EventType("user", ()),
    "user.updated": EventType("user", ("fields",)),
    "user.password_changed": EventType("user", ()),
    "user.role_changed": EventType("user", ("old_role", "new_role")),
    "user.deactivated": EventType("user", ()),
    "user.activated": EventType("user", ()),
    # The aggregate is the account the address belongs to, or "unknown"; never the address.
    "user.password_reset_requested": EventType("user", ()),
    "user.password_reset": EventType("user", ("activated",)),
    "user.invited": EventType("user", ()),
}

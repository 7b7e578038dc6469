"""The domain events analytics publishes: type -> (aggregate, payload keys).

Registered by analytics/apps.py (see `config.events.registry`).
"""

from config.events.registry import EventType

EVENT_TYPES = {
    "report.completed": EventType("report", ("kind", "format")),
}

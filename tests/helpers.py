"""What many test modules need, in one place so that a check means the same everywhere:
API, browser and admin clients, what the API shows, posts made through the service,
problem documents and list pages, a Redis that is down, a port where nothing listens, a
function under cache, and the events a test stored."""

import io
import json
import socket
import threading
from datetime import UTC, date
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from analytics.models import Event
from blog.services.posts import post_create
from config.events.registry import EVENT_TYPES

# --- clients ----------------------------------------------------------------------------


def client_for(user) -> APIClient:
    """An API client with a bearer token for `user`; without credentials for None."""
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


def token_obtain(client, username: str, password: str):
    """Ask for a JWT pair, as a client signing in does."""
    return client.post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )


def web_client(user) -> Client:
    """A browser's client with `user` signed in (the admin, the server-rendered pages)."""
    client = Client()
    client.force_login(user)
    return client


def post_json(client, path, data=None, **extra):
    """POST `data` as a raw JSON body, the way any HTTP client sends it."""
    return client.post(path, data=json.dumps(data or {}), content_type="application/json", **extra)


def patch_json(client, path, data, **extra):
    return client.patch(path, data=json.dumps(data), content_type="application/json", **extra)


def put_json(client, path, data, **extra):
    return client.put(path, data=json.dumps(data), content_type="application/json", **extra)


def admin_action(client, path, action: str, objects):
    """Run an admin changelist action on `objects`, as the changelist's form posts it."""
    return client.post(
        path,
        {"action": action, ACTION_CHECKBOX_NAME: [str(o.pk) for o in objects], "index": "0"},
    )


def admin_messages(response) -> list[str]:
    """The messages the admin shows after `response` (e.g. an action's outcome)."""
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- what the API shows -----------------------------------------------------------------

# Of a user, to themselves.
PROFILE_FIELDS = {
    "id", "username", "email", "display_name", "bio", "role", "date_joined", "email_notifications",
}  # fmt: skip
# Of a comment.
COMMENT_FIELDS = {"id", "post", "author", "parent", "body", "status", "created_at", "updated_at"}


# --- posts and comments -----------------------------------------------------------------


def post_url(slug: str) -> str:
    """The API's URL of a post."""
    return f"/api/v1/posts/{slug}/"


def thread_url(post) -> str:
    """The API's URL of a post's comments."""
    return f"/api/v1/posts/{post.slug}/comments/"


def comment_url(comment) -> str:
    return f"/api/v1/comments/{comment.pk}/"


def make_post(author, **kwargs):
    """A post made the way users make them (through the service)."""
    kwargs.setdefault("title", "A post")
    kwargs.setdefault("body", "Some body text.")
    return post_create(author=author, **kwargs)


# --- images -----------------------------------------------------------------------------


def image_bytes(fmt: str = "PNG", size=(64, 48), color=(200, 40, 40), **save_options) -> bytes:
    """A real image made with Pillow (no binary fixtures): a plain colour with a lighter
    band, so that an upside-down copy differs."""
    mode = "RGBA" if fmt in ("PNG", "WEBP") and len(color) == 4 else "RGB"
    image = Image.new(mode, size, color)
    image.paste((255, 255, 255)[: len(mode)], (0, 0, size[0], max(1, size[1] // 4)))
    out = io.BytesIO()
    image.save(out, fmt, **save_options)
    return out.getvalue()


def upload_file(data: bytes, name: str = "photo.png", content_type: str = "image/png"):
    """An uploaded file as a multipart form carries it (name and type are the client's)."""
    return SimpleUploadedFile(name, data, content_type=content_type)


def stored_files(root) -> list[str]:
    """Every file under a storage root (MEDIA_ROOT), as sorted relative names."""
    return sorted(str(p.relative_to(root)) for p in Path(root).rglob("*") if p.is_file())


# --- answers ----------------------------------------------------------------------------

PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


def assert_problem(response, status: int, code: str | None = None) -> dict:
    """The response is a problem document (RFC 9457) with `status` (and `code`, when
    given); returns its body."""
    assert response.status_code == status, response.content[:800]
    assert response["Content-Type"].split(";")[0].strip() == "application/problem+json"
    body = json.loads(response.content)
    assert set(body) >= PROBLEM_KEYS, body
    assert set(body) - PROBLEM_KEYS <= {"fields"}, body
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    # A human message, not the repr of DRF's error structures.
    assert "ErrorDetail" not in body["detail"] and "{" not in body["detail"]
    assert isinstance(body["type"], str) and body["type"]
    if code is not None:
        assert body["code"] == code, body
    return body


def assert_validation_error(response, *fields: str) -> dict:
    """A 400 `validation_error` naming each of `fields` with its messages."""
    body = assert_problem(response, 400, "validation_error")
    assert "fields" in body, body
    for field in fields:
        # Errors inside a list or object are named with dots: `tags.0`.
        names = [name for name in body["fields"] if name.split(".")[0] == field]
        assert names, body
        for name in names:
            assert body["fields"][name] and all(isinstance(m, str) for m in body["fields"][name])
    return body


def results(response) -> list[dict]:
    """The items of a 200 list page."""
    assert response.status_code == 200, response.content[:800]
    return response.json()["results"]


def slugs(response) -> list[str]:
    return [item["slug"] for item in results(response)]


def ids(response) -> list:
    return [item["id"] for item in results(response)]


def today() -> date:
    """Today in UTC: the day stats and events are counted on."""
    return timezone.now().astimezone(UTC).date()


# --- what is down -----------------------------------------------------------------------

# For tests against the Redis of REDIS_URL (the test command's), not the embedded cache.
needs_redis = pytest.mark.skipif(
    "django_redis" not in settings.CACHES["default"]["BACKEND"],
    reason="runs against the Redis of REDIS_URL",
)

# A port where nothing listens: the Redis client fails at once with "connection refused".
DEAD_REDIS_URL = "redis://127.0.0.1:1/0"
DEAD_REDIS_CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": DEAD_REDIS_URL,
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": 0.2,
            "SOCKET_TIMEOUT": 0.2,
            # As in production: the cache swallows the errors (health checks must not).
            "IGNORE_EXCEPTIONS": True,
        },
    }
}


def dead_port() -> int:
    """A local TCP port nobody listens on (connections to it are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- under cache ------------------------------------------------------------------------


class CountingSource:
    """A function to put under cache: counts its calls, returns what it is told."""

    def __init__(self, value="v1"):
        self.value = value
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, *args, **kwargs):
        with self.lock:
            self.calls += 1
        return (self.value, args, kwargs)


# --- stored events ----------------------------------------------------------------------


class EventLog:
    """The events stored since `mark()`, oldest first (the `events` fixture)."""

    def __init__(self):
        self.before = set()

    def mark(self):
        self.before = set(Event.objects.values_list("pk", flat=True))

    def new(self) -> list[Event]:
        return list(
            Event.objects.exclude(pk__in=self.before)
            .select_related("actor")
            .order_by("occurred_at", "id")
        )

    def types(self) -> list[str]:
        return [event.type for event in self.new()]


def assert_event(event, event_type, *, aggregate_id, actor, data):
    """The event's type, aggregate, actor and exact payload (keys and values)."""
    aggregate_type, payload_keys = EVENT_TYPES[event_type]
    assert event.type == event_type
    assert event.aggregate_type == aggregate_type
    assert event.aggregate_id == str(aggregate_id)
    assert event.actor_id == (actor.pk if actor else None)
    assert set(event.data) == set(payload_keys), "payload keys differ from the documented ones"
    assert event.data == data


def only(log: EventLog, event_type: str) -> Event:
    """The one event stored since the mark, of `event_type`."""
    new = log.new()
    assert [e.type for e in new] == [event_type]
    return new[0]

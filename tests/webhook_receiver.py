"""A webhook receiver on 127.0.0.1 (the `receiver` fixture) and the steps of the webhook
tests: subscribe a URL, store an event, run the `webhooks` consumer, check a signature."""

import hashlib
import hmac
import json
import threading
import time
from collections import deque
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.db import transaction

from analytics.consumers import event_consume
from analytics.models import Event
from analytics.webhooks.services import webhook_subscription_create
from config.events.bus import publish

# --- the receiver -----------------------------------------------------------------------


class Receiver:
    """A local webhook receiver: records each request, answers from a script.

    Each scripted answer is a status code, or "hang" (answer nothing until the test ends,
    so the sender times out); when the script is used up it answers `default`.
    """

    def __init__(self, server):
        self.server = server
        host, port = server.server_address[:2]
        self.url = f"http://{host}:{port}/hook"
        self.requests: list[dict] = []
        self.script: deque = deque()
        self.default = 200
        self.release = threading.Event()
        self.lock = threading.Lock()

    def answer(self, *answers, default=200):
        self.script.extend(answers)
        self.default = default

    def next_answer(self):
        with self.lock:
            return self.script.popleft() if self.script else self.default

    def bodies(self) -> list[dict]:
        return [json.loads(request["body"]) for request in self.requests]


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        receiver = self.server.receiver
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        answer = receiver.next_answer()
        with receiver.lock:
            receiver.requests.append(
                {
                    "path": self.path,
                    "headers": dict(self.headers.items()),
                    "body": body,
                    "at": time.monotonic(),  # when it arrived: the drills check the gaps
                    "answer": answer,
                }
            )
        if answer == "hang":
            receiver.release.wait(10)  # bounded: the test's teardown releases it
            return
        try:
            self.send_response(answer)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if answer < 300 else b"receiver says no")
        except OSError:
            pass  # the sender gave up on us

    def log_message(self, *args):
        pass


@contextmanager
def running_receiver():
    """A receiver serving in a thread until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.receiver = Receiver(server)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.receiver
    finally:
        server.receiver.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


# --- the steps --------------------------------------------------------------------------


def subscribe(url, events=("post.updated",), **kwargs):
    return webhook_subscription_create(url=url, events=list(events), **kwargs)


def emit(event_type="post.updated", aggregate_id=1, data=None) -> Event:
    """Store an event as a service would (its after-commit dispatch does not run here)."""
    with transaction.atomic():
        event = publish(
            event_type, aggregate_id=aggregate_id, data=data or {"slug": "a", "fields": []}
        )
    return Event.objects.get(pk=event.id)


def consume(event, django_capture_on_commit_callbacks) -> str:
    """Run the `webhooks` consumer on the event and the delivery jobs it queues."""
    with django_capture_on_commit_callbacks(execute=True):
        return event_consume(consumer_name="webhooks", event_id=event.pk)


def verify(request, secret) -> dict:
    """What a receiver does: recompute the HMAC of "<t>.<body>" and compare."""
    parts = dict(item.split("=", 1) for item in request["headers"]["X-Signature"].split(","))
    expected = hmac.new(
        secret.encode(), parts["t"].encode() + b"." + request["body"], hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(parts["v1"], expected)
    return parts

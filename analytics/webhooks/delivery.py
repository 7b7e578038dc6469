"""The wire format of a webhook: the event as JSON, signed, POSTed to a checked address.

Receivers verify `X-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with
the subscription's secret, reject old timestamps (replays), and deduplicate by the event
`id` (delivery is at least once).
"""

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import datetime

import urllib3
from django.conf import settings

from analytics.models import Event
from analytics.webhooks.targets import WebhookTarget

USER_AGENT = "blog-webhooks/1"
# Enough of a failing receiver's answer to see what it said, not a whole error page.
ERROR_BODY_LIMIT = 512


def _iso(value: datetime) -> str:
    # The same form as the API's timestamps (DRF's iso-8601: UTC with a `Z`).
    text = value.isoformat()
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


def webhook_payload(event: Event) -> bytes:
    """The body of a delivery: the event as docs/api.md describes it, compact JSON."""
    document = {
        "id": str(event.pk),
        "type": event.type,
        "occurred_at": _iso(event.occurred_at),
        "aggregate_type": event.aggregate_type,
        "aggregate_id": event.aggregate_id,
        "data": event.data,
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def webhook_signature(*, secret: str, body: bytes, timestamp: int) -> str:
    """The `X-Signature` value: HMAC-SHA256 over "<t>.<body>", so the time is signed too."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


@dataclass(frozen=True)
class HttpResult:
    """What one POST gave: a status (the receiver answered) or an error (it did not)."""

    status: int | None
    error: str
    duration_ms: int
    timed_out: bool = False


def webhook_post(
    *, target: WebhookTarget, body: bytes, headers: dict[str, str], timeout: float | None = None
) -> HttpResult:
    """POST `body` to the target's checked address; never raises for network errors.

    The connection goes to `target.address` (not a fresh DNS answer), with the URL's host
    in `Host` and, for https, in SNI and the certificate check. Redirects are not
    followed: a redirect could point anywhere, including inward.
    """
    timeout = settings.WEBHOOK_TIMEOUT if timeout is None else timeout
    if target.scheme == "https":
        pool: urllib3.HTTPConnectionPool = urllib3.HTTPSConnectionPool(
            target.address,
            port=target.port,
            timeout=urllib3.Timeout(total=timeout),
            retries=False,
            maxsize=1,
            server_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
        )
    else:
        pool = urllib3.HTTPConnectionPool(
            target.address,
            port=target.port,
            timeout=urllib3.Timeout(total=timeout),
            retries=False,
            maxsize=1,
        )
    headers = {**headers, "Host": target.host_header, "User-Agent": USER_AGENT}
    started = time.monotonic()
    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers=headers,
            redirect=False,
            assert_same_host=False,
            preload_content=False,
        )
        try:
            error = ""
            if not 200 <= response.status < 300:
                text = response.read(ERROR_BODY_LIMIT).decode("utf-8", "replace").strip()
                error = f"HTTP {response.status}" + (f": {text}" if text else "")
        finally:
            response.release_conn()
        return HttpResult(status=response.status, error=error, duration_ms=_since(started))
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        timed_out = isinstance(exc, (urllib3.exceptions.TimeoutError, TimeoutError))
        return HttpResult(
            status=None,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            duration_ms=_since(started),
            timed_out=timed_out,
        )
    finally:
        pool.close()


def _since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)

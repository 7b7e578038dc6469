"""The two redaction policies (config/observability/redaction.py): stored values lose
every address, log lines only the public ones; both keep versions and lose secrets."""

import pytest

from config.observability.redaction import REDACTED, redact, redact_log


@pytest.mark.parametrize("policy", [redact, redact_log])
@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("redis://:hunter2@redis.internal:6379/0", f"redis://:{REDACTED}@redis.internal:6379/0"),
        (
            "postgres://blog:pw@db.example.com/blog",
            f"postgres://blog:{REDACTED}@db.example.com/blog",
        ),
        ("write to ann@example.com", f"write to {REDACTED}"),
        ("GET /reset/?uid=3&token=abc", f"GET /reset/?uid=3&token={REDACTED}"),
        ("Authorization: Bearer abc.def", f"Authorization: {REDACTED}"),
    ],
)
def test_secrets_are_masked_by_both_policies(policy, text, masked):
    assert policy(text) == masked


@pytest.mark.parametrize("policy", [redact, redact_log])
@pytest.mark.parametrize(
    "text",
    [
        "HeadlessChrome/142.0.0.0 Safari/537.36",
        "redis://localhost:6379/0",
        "release 1.2.3, at 10:00:00",
        "redis://user@localhost:6379/0 has no password",
    ],
)
def test_versions_and_urls_without_secrets_stay(policy, text):
    assert policy(text) == text


def test_stored_values_lose_every_address_logs_only_public_ones():
    text = "from 127.0.0.1, 10.0.0.5, fe80::1 and 8.8.8.8"

    assert redact(text) == f"from {REDACTED}, {REDACTED}, {REDACTED} and {REDACTED}"
    assert redact_log(text) == f"from 127.0.0.1, 10.0.0.5, fe80::1 and {REDACTED}"


def test_secret_keys_are_masked_whatever_their_value():
    value = {"client_ip": "127.0.0.1", "apiKey": "k", "nested": [{"password": "p"}], "n": 1}

    expected = {
        "client_ip": REDACTED,
        "apiKey": REDACTED,
        "nested": [{"password": REDACTED}],
        "n": 1,
    }
    assert redact(value) == redact_log(value) == expected

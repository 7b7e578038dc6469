"""EMAIL_URL: the e-mail transport from one variable (config.env.env_email)."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_email

SMTP = "django.core.mail.backends.smtp.EmailBackend"


def test_console_by_default(monkeypatch):
    monkeypatch.delenv("EMAIL_URL", raising=False)

    conf = env_email("EMAIL_URL", "console://")

    assert conf["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_smtp_with_starttls_and_quoted_credentials(monkeypatch):
    monkeypatch.setenv("EMAIL_URL", "smtp://mailer:p%40ss%2Fword@mail.example.com:587?tls=1")

    conf = env_email("EMAIL_URL", "console://")

    assert conf["EMAIL_BACKEND"] == SMTP
    assert (conf["EMAIL_HOST"], conf["EMAIL_PORT"]) == ("mail.example.com", 587)
    assert (conf["EMAIL_HOST_USER"], conf["EMAIL_HOST_PASSWORD"]) == ("mailer", "p@ss/word")
    assert (conf["EMAIL_USE_TLS"], conf["EMAIL_USE_SSL"]) == (True, False)


def test_smtp_with_implicit_tls_and_a_timeout(monkeypatch):
    monkeypatch.setenv("EMAIL_URL", "smtp://mail.example.com:465?ssl=1&timeout=5")

    conf = env_email("EMAIL_URL", "console://")

    assert (conf["EMAIL_USE_TLS"], conf["EMAIL_USE_SSL"]) == (False, True)
    assert conf["EMAIL_TIMEOUT"] == 5


def test_plain_smtp_defaults_to_port_25(monkeypatch):
    monkeypatch.setenv("EMAIL_URL", "smtp://relay.internal")

    conf = env_email("EMAIL_URL", "console://")

    assert (conf["EMAIL_HOST"], conf["EMAIL_PORT"]) == ("relay.internal", 25)
    assert (conf["EMAIL_USE_TLS"], conf["EMAIL_USE_SSL"]) == (False, False)


def test_unknown_scheme_is_a_configuration_error(monkeypatch):
    monkeypatch.setenv("EMAIL_URL", "smtq://mail.example.com")

    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL"):
        env_email("EMAIL_URL", "console://")

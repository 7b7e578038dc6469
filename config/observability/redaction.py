"""What may be written where people read it: event payloads, job records, log lines.

Two policies share one set of rules:

- `redact` (event payloads, job arguments, results and tracebacks) is strict: these are
  stored for months and shown to admins, so every IP address goes, public or not.
- `redact_log` (log lines) masks what is secret or personal and keeps the rest readable:
  an operator must see which Redis or database a process connected to. Addresses of
  people (public ones) go; loopback, private, link-local and other internal addresses stay.

Both mask: values under secret or personal keys (`password`, `access_token`, `userEmail`,
`client_ip`, ...), e-mail addresses, bearer and JWT tokens, the password of a URL
(`redis://:[redacted]@host`) and secret query parameters (`?token=[redacted]`). Neither
touches a version number such as the `Chrome/142.0.0.0` of a user agent, which looks like
an address but is none.

No Django import: the settings import the log configuration, which imports this.
"""

import ipaddress
import re
from collections.abc import Callable
from typing import Any

REDACTED = "[redacted]"

# Key words whose values are personal or secret, wherever they appear. A key is split into
# words (snake_case, kebab-case, camelCase) and matched word by word, so `author_id` or
# `publish_at` stay while `userEmail`, `new_password1` or `client_ip` go.
_SECRET_WORDS = frozenset(
    {
        "password", "passwd", "pass", "pwd", "passphrase", "token", "secret", "email",
        "mail", "ip", "ipaddress", "addr", "auth", "authorization", "cookie", "session",
        "sessionid", "apikey", "credential", "credentials", "otp",
    }
)  # fmt: skip
_SECRET_PAIRS = frozenset({("api", "key"), ("private", "key"), ("access", "key")})
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
# A plain address: the local part holds no `/` or `:`, so the `user:pass@host` of a URL
# is left to the URL rule and does not swallow the whole URL.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_BEARER = re.compile(r"\bBearer\s+\S+", re.I)
_JWT = re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]*")
# `scheme://user:password@host`: the password goes, the user and the host stay. Runs
# before the e-mail rule, which would otherwise take `password@host.name` for an address.
_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][\w+.-]*://[^:/@\s]*:)[^@/\s]+(@)")
# Values of query parameters named like these are secrets (a reset link's token, an API
# key in a URL); the path and the other parameters stay readable.
_SECRET_QUERY_VALUE = re.compile(
    r"(?i)([?&][^=&#\s]*(?:token|key|secret|password|passwd|signature|code|session)"
    r"[^=&#\s]*=)[^&#\s]*"
)
# Candidates only: an address is redacted when `ipaddress` accepts it, so a time of day
# ("10:00:00") or a version number that is no address stays as it is. A dotted quad right
# after `Product/` is a version (`HeadlessChrome/142.0.0.0`), never an address.
_IPV4 = re.compile(r"(?<![\d.])(?<![A-Za-z]/)\d{1,3}(?:\.\d{1,3}){3}(?![\d.])")
_IPV6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?![\w:])")


def is_secret_key(key: str) -> bool:
    """True when a field of this name holds a secret or personal value."""
    words = re.findall(r"[a-z]+", _CAMEL.sub(r"\1_\2", key).lower())
    return any(w in _SECRET_WORDS for w in words) or any(
        pair in _SECRET_PAIRS for pair in zip(words, words[1:], strict=False)
    )


# The replacement of an address matched in a string: itself, or REDACTED.
_AddressRedactor = Callable[[re.Match[str]], str]


def _address_redactor(*, keep_internal: bool) -> _AddressRedactor:
    def redact_address(match: re.Match[str]) -> str:
        try:
            address = ipaddress.ip_address(match.group(0))
        except ValueError:
            return match.group(0)
        if keep_internal and not address.is_global:
            return match.group(0)
        return REDACTED

    return redact_address


_REDACT_EVERY_ADDRESS = _address_redactor(keep_internal=False)
_REDACT_PUBLIC_ADDRESSES = _address_redactor(keep_internal=True)


def _redact(value: Any, redact_address: _AddressRedactor) -> Any:
    if isinstance(value, dict):
        return {
            str(k): (REDACTED if is_secret_key(str(k)) else _redact(v, redact_address))
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_redact(v, redact_address) for v in value]
    if isinstance(value, str):
        value = _URL_PASSWORD.sub(rf"\1{REDACTED}\2", value)
        value = _SECRET_QUERY_VALUE.sub(rf"\1{REDACTED}", value)
        value = _EMAIL.sub(REDACTED, value)
        value = _BEARER.sub(REDACTED, value)
        value = _JWT.sub(REDACTED, value)
        value = _IPV4.sub(redact_address, value)
        return _IPV6.sub(redact_address, value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return _redact(str(value), redact_address)


def redact(value: Any) -> Any:
    """Strip secrets and personal data from a value that is stored: values under secret
    or personal keys, and e-mail addresses, every IP address, bearer and JWT tokens, URL
    passwords and secret query parameters anywhere in a string."""
    return _redact(value, _REDACT_EVERY_ADDRESS)


def redact_log(value: Any) -> Any:
    """`redact` for log lines: the same, except that internal addresses (loopback,
    private, link-local, reserved) stay, so the log still says where a process connected."""
    return _redact(value, _REDACT_PUBLIC_ADDRESSES)

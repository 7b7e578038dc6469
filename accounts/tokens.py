"""Password-reset (and invitation) links: Django's token generator, one hour, one use.

The token is an HMAC of the account's state (password hash, last login, e-mail, invitation)
and a timestamp, so it stops working when the password is set (one use), when
PASSWORD_RESET_TIMEOUT has passed, or when the account changes under it. Nothing is
stored: the link is made when the e-mail is sent and checked when it comes back.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from accounts.models import User


class AccountTokenGenerator(PasswordResetTokenGenerator):
    # Its own salt: a token made for Django's own reset views does not work here.
    key_salt = "accounts.tokens.AccountTokenGenerator"

    def _make_hash_value(self, user: User, timestamp: int) -> str:
        # An invitation cancelled (the account deactivated) voids its link too.
        invited = "" if user.invited_at is None else user.invited_at.isoformat()
        return f"{super()._make_hash_value(user, timestamp)}{invited}{user.is_active}"


password_reset_tokens = AccountTokenGenerator()


def uid_encode(user: User) -> str:
    return urlsafe_base64_encode(force_bytes(user.pk))


def uid_decode(uid: str) -> int | None:
    try:
        return int(urlsafe_base64_decode(uid).decode())
    except (ValueError, TypeError, UnicodeDecodeError, OverflowError):
        return None


def password_reset_link(user: User) -> str:
    """The link of a reset or invitation e-mail, with a fresh token."""
    query = urlencode({"uid": uid_encode(user), "token": password_reset_tokens.make_token(user)})
    return f"{settings.PASSWORD_RESET_URL}?{query}"

"""Writes on users: registration, profiles, passwords, roles, activation, sign-out."""

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import lockout
from accounts.models import Role, User
from accounts.selectors import user_may_reset_password
from accounts.tokens import password_reset_tokens, uid_decode
from config.errors import InvalidInput, TooManyRequests
from config.events.bus import publish

# Names that would shadow API paths such as /api/v1/users/me/.
_RESERVED_USERNAMES = {"me", "admin", "api", "root", "system"}


def _check_password(password: str, user: User, field: str) -> None:
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        raise InvalidInput(exc.messages[0], fields={field: list(exc.messages)}) from exc


def _check_email_free(email: str, *, exclude_pk: int | None = None) -> None:
    others = User.objects.filter(email__iexact=email)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if others.exists():
        raise InvalidInput(
            "A user with that e-mail address already exists.",
            fields={"email": ["A user with that e-mail address already exists."]},
        )


@transaction.atomic
def user_register(*, username: str, email: str, password: str, display_name: str = "") -> User:
    """Create a reader account; the password is checked by Django's validators."""
    if username.lower() in _RESERVED_USERNAMES:
        raise InvalidInput(
            "That username is reserved.", fields={"username": ["That username is reserved."]}
        )
    if User.objects.filter(username__iexact=username).exists():
        raise InvalidInput(
            "A user with that username already exists.",
            fields={"username": ["A user with that username already exists."]},
        )
    email = User.objects.normalize_email(email)
    _check_email_free(email)
    user = User(username=username, email=email, display_name=display_name, role=Role.READER)
    _check_password(password, user, "password")
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    publish(
        "user.registered",
        aggregate_id=user.pk,
        actor=user,
        data={"username": user.username, "role": user.role},
    )
    return user


@transaction.atomic
def user_update_profile(*, user: User, **changes: Any) -> User:
    """Change the editable parts of one's own profile (not the role or the username)."""
    allowed = {"display_name", "bio", "email", "email_notifications"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(f"Not editable: {', '.join(sorted(unknown))}")
    if "email" in changes:
        changes["email"] = User.objects.normalize_email(changes["email"])
        _check_email_free(changes["email"], exclude_pk=user.pk)
    # Only what differs is a change (and gets into the event).
    changes = {name: value for name, value in changes.items() if getattr(user, name) != value}
    for name, value in changes.items():
        setattr(user, name, value)
    user.full_clean(exclude=["password"])
    if changes:
        user.save(update_fields=list(changes))
        publish("user.updated", aggregate_id=user.pk, actor=user, data={"fields": sorted(changes)})
    return user


def _blacklist_all_tokens(user: User) -> None:
    for token in OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False):
        BlacklistedToken.objects.get_or_create(token=token)


@transaction.atomic
def user_change_password(*, user: User, old_password: str, new_password: str) -> User:
    """Change the password; every refresh token issued before stops working."""
    if not user.check_password(old_password):
        raise InvalidInput(
            "The old password is wrong.", fields={"old_password": ["The old password is wrong."]}
        )
    _check_password(new_password, user, "new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    _blacklist_all_tokens(user)
    publish("user.password_changed", aggregate_id=user.pk, actor=user)
    return user


@transaction.atomic
def user_set_role(*, user: User, role: str, actor: User | None = None) -> User:
    """Give a user a role; editors and admins get the Django admin (`is_staff`)."""
    if role not in Role.values:
        raise InvalidInput(f"Unknown role {role!r}.", fields={"role": [f"Unknown role {role!r}."]})
    old_role = user.role
    user.role = role
    user.is_staff = role in (Role.EDITOR, Role.ADMIN) or user.is_superuser
    user.save(update_fields=["role", "is_staff"])
    if old_role != role:
        publish(
            "user.role_changed",
            aggregate_id=user.pk,
            actor=actor,
            data={"old_role": old_role, "new_role": role},
        )
    return user


@transaction.atomic
def user_set_active(*, user: User, is_active: bool, actor: User | None = None) -> User:
    """(De)activate an account; a deactivated user's tokens stop working at once."""
    was_active = user.is_active
    user.is_active = is_active
    # Whatever the direction, a pending invitation is over: an active account needs none,
    # and a deactivation cancels it (its link stops working, see accounts.tokens).
    user.invited_at = None
    user.save(update_fields=["is_active", "invited_at"])
    if not is_active:
        _blacklist_all_tokens(user)
    if was_active != is_active:
        publish(
            "user.activated" if is_active else "user.deactivated", aggregate_id=user.pk, actor=actor
        )
    return user


@transaction.atomic
def user_admin_update(
    *, user: User, actor: User, role: str | None = None, is_active: bool | None = None
) -> User:
    """An admin's change of another user's role or activation, as one change."""
    if role is not None:
        user = user_set_role(user=user, role=role, actor=actor)
    if is_active is not None:
        user = user_set_active(user=user, is_active=is_active, actor=actor)
    return user


@transaction.atomic
def user_set_role_many(*, users: Iterable[User], role: str, actor: User | None = None) -> int:
    """Give several users a role (the admin's bulk actions); returns how many."""
    count = 0
    for user in users:
        user_set_role(user=user, role=role, actor=actor)
        count += 1
    return count


@transaction.atomic
def user_set_active_many(*, users: Iterable[User], is_active: bool, actor: User) -> list[User]:
    """(De)activate several users (the admin's bulk actions), except that an admin never
    deactivates themself there: they would lose the admin in the middle of the action.
    Returns the users left alone (the actor, or nobody)."""
    left_alone = []
    for user in users:
        if not is_active and user.pk == actor.pk:
            left_alone.append(user)
            continue
        user_set_active(user=user, is_active=is_active, actor=actor)
    return left_alone


@transaction.atomic
def user_create_superuser(
    *, username: str, email: str, password: str, display_name: str = ""
) -> User:
    """A superuser (an admin whatever its role), as `createsuperuser` makes one."""
    return User.objects.create_superuser(username, email, password, display_name=display_name)


@transaction.atomic
def password_reset_request(*, email: str) -> None:
    """Someone asks for a reset link for `email`. Known or not, the same work is done (one
    query, one event stored), so neither the answer nor its time tells whether the address
    has an account. The `notifications` consumer sends the link (`password_reset`) to an
    account that may reset (checked again when the e-mail is sent)."""
    user = User.objects.filter(email__iexact=User.objects.normalize_email(email)).only("pk").first()
    publish(
        "user.password_reset_requested",
        aggregate_id=user.pk if user is not None else "unknown",
        actor=None,
    )


class InvalidToken(InvalidInput):
    code = "invalid_token"


@transaction.atomic
def password_reset_confirm(*, uid: str, token: str, new_password: str) -> User:
    """Set a password from a reset (or invitation) link: an invited account becomes
    active, and every refresh token of the account is revoked. A wrong, used or expired
    link is `InvalidToken`; a weak password, `InvalidInput` on `new_password` (the link
    still works then)."""
    pk = uid_decode(uid)
    # Locked: two uses of one link at once would both see the old password otherwise.
    user = User.objects.select_for_update().filter(pk=pk).first() if pk is not None else None
    if (
        user is None
        or not user_may_reset_password(user)
        or not password_reset_tokens.check_token(user, token)
    ):
        raise InvalidToken("This password-reset link is invalid, used or expired.")
    _check_password(new_password, user, "new_password")
    invited = user.is_invited
    user.set_password(new_password)
    user.save(update_fields=["password"])
    _blacklist_all_tokens(user)
    if invited:
        user_set_active(user=user, is_active=True, actor=user)
    publish("user.password_reset", aggregate_id=user.pk, actor=user, data={"activated": invited})
    return user


@transaction.atomic
def user_invite(*, user: User, actor: User | None = None) -> User:
    """Invite an inactive account (an imported author) to claim itself: it is sent a
    reset link (`invitation`), and becomes active when it sets its password. Inviting
    again sends a new link (and voids the older ones: `invited_at` is part of the token)."""
    if user.is_active:
        raise InvalidInput(f"{user.username} is already active.")
    if not user.email:
        raise InvalidInput(f"{user.username} has no e-mail address to invite.")
    user.invited_at = timezone.now()
    user.save(update_fields=["invited_at"])
    publish("user.invited", aggregate_id=user.pk, actor=actor)
    return user


@transaction.atomic
def user_invite_many(*, users: Iterable[User], actor: User | None = None) -> list[User]:
    """Invite several users (the admin's action); returns those that cannot be invited
    (active already, or without an e-mail address)."""
    left_alone = []
    for user in users:
        if user.is_active or not user.email:
            left_alone.append(user)
            continue
        user_invite(user=user, actor=actor)
    return left_alone


@transaction.atomic
def user_activate_many(*, users: Iterable[User], actor: User | None = None) -> list[User]:
    """The admin's "activate": an inactive account without a usable password (an imported
    author) could not sign in anyway, so it is invited instead (`user_invite`) and becomes
    active when it chooses its password. Returns the users invited."""
    invited = []
    for user in users:
        if not user.is_active and not user.has_usable_password() and user.email:
            invited.append(user_invite(user=user, actor=actor))
        else:
            user_set_active(user=user, is_active=True, actor=actor)
    return invited


class LoginLocked(TooManyRequests):
    code = "login_locked"


def user_login_guard(*, username: str) -> None:
    """Called before the password is checked: a locked-out username (`accounts.lockout`)
    is refused with `LoginLocked`, and the refusal is a `user.login_failed` ("locked")."""
    retry_after = lockout.login_locked_for(username)
    if retry_after is None:
        return
    _publish_login_failed(username=username, reason="locked")
    raise LoginLocked(
        f"Too many failed sign-ins for this account; try again in {retry_after} seconds.",
        retry_after=retry_after,
    )


def user_record_login(*, user: User) -> None:
    """A successful sign-in (token obtained, admin login); it forgives past failures."""
    lockout.login_failures_reset(user.username)
    with transaction.atomic():
        publish(
            "user.logged_in", aggregate_id=user.pk, actor=user, data={"username": user.username}
        )


@transaction.atomic
def user_login_unlock(*, user: User, actor: User | None = None) -> None:
    """An operator lifts a sign-in lockout (the failures and past lockouts are forgiven,
    also where the lockout is computed from the event store while Redis is down)."""
    lockout.login_failures_reset(user.username)
    publish("user.login_unlocked", aggregate_id=user.pk, actor=actor)


def user_record_login_failure(*, username: str, reason: str) -> None:
    """A failed sign-in: counted towards the lockout (unless the reason is no password
    guess) and published. The count is not part of the caller's transaction on purpose:
    a rolled-back request must not undo a failure."""
    if reason not in lockout.NOT_GUESSES:
        lockout.login_failure_register(username)
    _publish_login_failed(username=username, reason=reason)


@transaction.atomic
def _publish_login_failed(*, username: str, reason: str) -> None:
    # The aggregate is the account if one has that username (case-insensitively, as the
    # lockout counts), so the event store can answer for the lockout without Redis.
    user = User.objects.filter(username__iexact=username).only("pk").first()
    publish(
        "user.login_failed",
        aggregate_id=user.pk if user else "unknown",
        data={"username": username[:150], "reason": reason},
    )


def user_logout(*, user: User, refresh: str) -> None:
    """Blacklist one of the user's refresh tokens so that it can no longer be used."""
    try:
        # simplejwt annotates the argument as a Token; it is the encoded token it decodes.
        token = RefreshToken(refresh)  # type: ignore[arg-type]
        if str(token.get("user_id")) != str(user.pk):
            raise TokenError("Token is not one of yours")
        token.blacklist()
    except TokenError as exc:
        raise InvalidInput(str(exc), fields={"refresh": [str(exc)]}) from exc


def token_purge_expired() -> int:
    """Delete refresh-token records (and their blacklist entries) past their expiry:
    an expired token is refused anyway, so keeping it only grows the tables."""
    deleted, _ = OutstandingToken.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted

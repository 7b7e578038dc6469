from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower


class Role(models.TextChoices):
    READER = "reader", "Reader"
    AUTHOR = "author", "Author"
    EDITOR = "editor", "Editor"
    ADMIN = "admin", "Admin"


class BlogUserManager(UserManager["User"]):
    def create_superuser(
        self,
        username: str,
        email: str | None = None,
        password: str | None = None,
        **extra_fields: Any,
    ) -> "User":
        # A superuser made by `createsuperuser` is the platform's admin role.
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A person who reads, writes or runs the site; `role` decides what they may do.

    `is_staff` follows the role (editors and admins use the Django admin); the services in
    `accounts.services` keep the two in step.
    """

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.READER)
    display_name = models.CharField(max_length=150, blank=True)
    bio = models.TextField(blank=True, max_length=2000)
    email_notifications = models.BooleanField(
        default=True, help_text="Send e-mails about replies and comments on own posts."
    )
    # Set when an admin invites an inactive account (an imported author, who has no
    # usable password) to claim it: the reset link then also activates it. Cleared by any
    # (de)activation, so a deactivated account cannot reactivate itself by a reset.
    invited_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects: ClassVar[BlogUserManager] = BlogUserManager()

    class Meta:
        constraints = [
            # Blank e-mails (superusers made without one) may repeat; real ones may not.
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="accounts_user_email_ci_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def effective_role(self) -> str:
        return Role.ADMIN if self.is_superuser else self.role

    @property
    def is_author(self) -> bool:
        return self.effective_role in (Role.AUTHOR, Role.EDITOR, Role.ADMIN)

    @property
    def is_editor(self) -> bool:
        return self.effective_role in (Role.EDITOR, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.effective_role == Role.ADMIN

    @property
    def is_invited(self) -> bool:
        return self.invited_at is not None and not self.is_active

    @property
    def public_name(self) -> str:
        return self.display_name or self.username


class Notification(models.Model):
    """One e-mail notification decided for a user: the memory that keeps a fact (this
    comment was approved, this reply was written) from being announced twice, whatever
    events repeat it (re-moderation, a replayed or redelivered event).

    Written by `analytics.notifications` in the consumer's transaction; the e-mail itself is
    a `tasks.send_email` job queued after that commit.
    """

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32)
    # The subject of the notification: a user id for a welcome, a comment id otherwise.
    object_id = models.CharField(max_length=64)
    # The event that caused it (audit trail: analytics.Event), kept as a plain id.
    event_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id", "recipient"], name="notification_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} -> {self.recipient_id}"

"""E-mail notifications: who is told what, decided from domain events.

The consumer `notifications` (queue `high`) reads the outbox (`analytics.consumers`):

| event | e-mail (template) | to |
|---|---|---|
| `user.registered` | `welcome` | the new user, always (whatever their setting) |
| `comment.created` approved, `comment.moderated` to approved | `comment_on_post` | post author |
| the same, when the comment is a reply | `comment_reply` | parent comment's author |
| `comment.moderated` to rejected | `comment_rejected` | the comment's author |
| `user.password_reset_requested` | `password_reset` | the account, if it may reset |
| `user.invited` | `invitation` | the invited (inactive) account |

Nobody is told about their own comment, and a pending comment is announced only when
approved. Each fact is told once per recipient: a `Notification` row (unique per kind,
object and recipient), written in the consumer's transaction, remembers it across
re-moderations (approved, pending, approved again) and redelivered or replayed events.
The e-mail is a `tasks.send_email` job recorded in that transaction and sent after its
commit (a broker down then leaves it to the job sweep, never lost); the job checks the
recipient's `email_notifications` and activity when it runs, and re-fetches the comment
(one deleted or no longer approved by then is not announced).

The `Notification` rows are accounts' (a user's, deleted with them); the e-mail job and
its templates' registry are tasks' (`tasks.emails`).
"""

import uuid
from typing import Any

from django.conf import settings
from django.utils.text import Truncator

from accounts.models import Notification, User
from accounts.selectors import user_may_reset_password
from accounts.tokens import password_reset_link
from analytics.consumers import consumer
from analytics.models import Event
from blog.models import Comment, CommentStatus
from tasks.emails import email_template, send_email

EXCERPT_CHARS = 500


def notification_queue(
    *,
    kind: str,
    recipient_id: int,
    object_id: int | str,
    event_id: uuid.UUID | None = None,
    context: dict[str, Any] | None = None,
) -> bool:
    """Queue the e-mail `kind` (its template) for a recipient, unless that recipient was
    already told about this object. Call inside a transaction: the job's record is part
    of it, and its message is sent after the commit. Returns whether it was queued."""
    _, created = Notification.objects.get_or_create(
        kind=kind,
        object_id=str(object_id),
        recipient_id=recipient_id,
        defaults={"event_id": event_id},
    )
    if created:
        send_email.delay(kind, recipient_id, context or {})
    return created


def notify_registered(*, user_id: int, event_id: uuid.UUID | None = None) -> bool:
    return notification_queue(
        kind="welcome", recipient_id=user_id, object_id=user_id, event_id=event_id
    )


def notify_password_link(*, event: Event) -> bool:
    """A reset link for a reset request, an invitation for an invitation: each request is
    its own fact (the event is the object), and an address without an account ("unknown")
    gets nothing. The link itself is made when the e-mail is sent, so neither the event
    nor the job's arguments hold a token."""
    if not event.aggregate_id.isdigit():
        return False
    kind = "invitation" if event.type == "user.invited" else "password_reset"
    return notification_queue(
        kind=kind, recipient_id=int(event.aggregate_id), object_id=str(event.pk), event_id=event.pk
    )


def _comment_get(comment_id: int) -> Comment | None:
    return (
        Comment.objects.select_related("author", "post__author", "parent__author")
        .filter(pk=comment_id)
        .first()
    )


def notify_comment_approved(*, comment_id: int, event_id: uuid.UUID | None = None) -> list[str]:
    """Tell the post's author about a newly approved comment, or, for a reply, the parent
    comment's author (who, if they also wrote the post, gets the reply e-mail only)."""
    comment = _comment_get(comment_id)
    if comment is None or comment.status != CommentStatus.APPROVED:
        return []
    queued: list[str] = []
    context = {"comment_id": comment.pk}
    told = {comment.author_id}  # never about one's own comment
    if comment.parent is not None and comment.parent.author_id not in told:
        told.add(comment.parent.author_id)
        if notification_queue(
            kind="comment_reply",
            recipient_id=comment.parent.author_id,
            object_id=comment.pk,
            event_id=event_id,
            context=context,
        ):
            queued.append("comment_reply")
    if comment.post.author_id not in told and notification_queue(
        kind="comment_on_post",
        recipient_id=comment.post.author_id,
        object_id=comment.pk,
        event_id=event_id,
        context=context,
    ):
        queued.append("comment_on_post")
    return queued


def notify_comment_rejected(
    *, comment_id: int, actor_id: int | None = None, event_id: uuid.UUID | None = None
) -> bool:
    """Tell a comment's author that it was rejected (not when they rejected it themselves)."""
    comment = _comment_get(comment_id)
    if comment is None or comment.status != CommentStatus.REJECTED:
        return False
    if comment.author_id == actor_id:
        return False
    return notification_queue(
        kind="comment_rejected",
        recipient_id=comment.author_id,
        object_id=comment.pk,
        event_id=event_id,
        context={"comment_id": comment.pk},
    )


@consumer(
    "notifications",
    types=[
        "user.registered",
        "user.password_reset_requested",
        "user.invited",
        "comment.created",
        "comment.moderated",
    ],  # fmt: skip
    queue="high",
)
def send_notifications(event: Event) -> None:
    """Decide the e-mails an event causes (see the table above)."""
    data = event.data or {}
    if event.type == "user.registered":
        notify_registered(user_id=int(event.aggregate_id), event_id=event.pk)
    elif event.type in ("user.password_reset_requested", "user.invited"):
        notify_password_link(event=event)
    elif event.type == "comment.created":
        if data.get("status") == CommentStatus.APPROVED:
            notify_comment_approved(comment_id=int(event.aggregate_id), event_id=event.pk)
    elif event.type == "comment.moderated":
        new_status, old_status = data.get("new_status"), data.get("old_status")
        if new_status == old_status:
            return
        if new_status == CommentStatus.APPROVED:
            notify_comment_approved(comment_id=int(event.aggregate_id), event_id=event.pk)
        elif new_status == CommentStatus.REJECTED:
            notify_comment_rejected(
                comment_id=int(event.aggregate_id), actor_id=event.actor_id, event_id=event.pk
            )


# --- what each e-mail says (re-fetched by the job when it runs) -------------------------


@email_template("welcome", always_send=True)
def welcome_context(*, recipient: User) -> dict[str, Any]:
    return {}


@email_template("password_reset", always_send=True, inactive_too=True)
def password_reset_context(*, recipient: User) -> dict[str, Any] | None:
    # Checked when sending: deactivated since the request, nothing is sent.
    if not user_may_reset_password(recipient):
        return None
    return {"link": password_reset_link(recipient), "hours": _link_hours()}


@email_template("invitation", always_send=True, inactive_too=True)
def invitation_context(*, recipient: User) -> dict[str, Any] | None:
    # An invitation cancelled (the account deactivated) or claimed meanwhile is not sent.
    if not recipient.is_invited:
        return None
    return {"link": password_reset_link(recipient), "hours": _link_hours()}


def _link_hours() -> int:
    return max(1, settings.PASSWORD_RESET_TIMEOUT // 3600)


def _comment_context(comment: Comment) -> dict[str, Any]:
    return {
        "comment": comment,
        "post": comment.post,
        "commenter": comment.author.public_name,
        "excerpt": Truncator(comment.body).chars(EXCERPT_CHARS),
        "post_url": f"{settings.SITE_URL}{comment.post.get_absolute_url()}",
    }


@email_template("comment_on_post")
def comment_on_post_context(*, recipient: User, comment_id: int) -> dict[str, Any] | None:
    comment = _comment_get(comment_id)
    if comment is None or comment.status != CommentStatus.APPROVED:
        return None
    return _comment_context(comment)


@email_template("comment_reply")
def comment_reply_context(*, recipient: User, comment_id: int) -> dict[str, Any] | None:
    comment = _comment_get(comment_id)
    if comment is None or comment.status != CommentStatus.APPROVED or comment.parent is None:
        return None
    return {
        **_comment_context(comment),
        "parent_excerpt": Truncator(comment.parent.body).chars(EXCERPT_CHARS),
    }


@email_template("comment_rejected")
def comment_rejected_context(*, recipient: User, comment_id: int) -> dict[str, Any] | None:
    comment = _comment_get(comment_id)
    if comment is None or comment.status != CommentStatus.REJECTED:
        return None
    return _comment_context(comment)

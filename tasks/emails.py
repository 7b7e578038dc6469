"""E-mail: the `tasks.send_email` job and the registry of the e-mails it can send.

An e-mail is named after its templates: `templates/emails/<name>.subject.txt`, and the
bodies `<name>.txt` and `<name>.html`, which extend a shared layout (`base.txt`,
`base.html`). The app that owns an e-mail registers how to build its context from ids
(`@email_template`), so the job takes only a name, a recipient id and ids/primitives, and
re-fetches what it needs when it runs: the e-mail tells what is true at sending time
(a comment deleted or un-approved meanwhile is not announced).
"""

import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from tasks.base import PermanentError, RecordedTask

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmailTemplate:
    name: str
    # (recipient, **context) -> the template context, or None when there is nothing
    # to say any more (the subject of the e-mail is gone or changed).
    build_context: Callable[..., dict[str, Any] | None]
    # Sent even to users who turned notifications off (a welcome is not a notification
    # they can opt out of: it is the answer to their own registration).
    always_send: bool = False
    # Sent to inactive users too (an invitation goes to an account not active yet);
    # `build_context` then decides who may have it.
    inactive_too: bool = False


EMAIL_TEMPLATES: dict[str, EmailTemplate] = {}

ContextBuilder = TypeVar("ContextBuilder", bound=Callable[..., dict[str, Any] | None])


def email_template(
    name: str, *, always_send: bool = False, inactive_too: bool = False
) -> Callable[[ContextBuilder], ContextBuilder]:
    """Register `build_context(recipient, **context)` for the e-mail `name`."""

    def register(func: ContextBuilder) -> ContextBuilder:
        EMAIL_TEMPLATES[name] = EmailTemplate(
            name=name, build_context=func, always_send=always_send, inactive_too=inactive_too
        )
        return func

    return register


def email_render(*, template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """Render an e-mail's subject, text body and HTML body."""
    context = {"site_url": settings.SITE_URL, **context}
    rendered_subject = render_to_string(f"emails/{template}.subject.txt", context)
    # A header is one line: a title with a newline in it must not break (or inject) one.
    subject = " ".join(rendered_subject.split())
    text = render_to_string(f"emails/{template}.txt", context)
    html = render_to_string(f"emails/{template}.html", context)
    return subject, text, html


def _is_permanent(exc: smtplib.SMTPException) -> bool:
    """5xx answers about addresses or content will be the same on the next try."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, (smtplib.SMTPSenderRefused, smtplib.SMTPDataError)):
        return exc.smtp_code >= 500
    return False


def email_send(*, template: str, user_id: int, context: dict[str, Any] | None = None) -> str:
    """Send the e-mail `template` to a user, unless they are gone, inactive or opted out.

    Returns what happened (the job's result summary). SMTP and connection errors
    propagate (the job retries them); permanent refusals raise `PermanentError`.
    """
    spec = EMAIL_TEMPLATES.get(template)
    if spec is None:
        raise PermanentError(f"Unknown e-mail template {template!r}")
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        return "skipped: no such user"
    if not user.is_active and not spec.inactive_too:
        return "skipped: inactive user"
    if not user.email:
        return "skipped: no address"
    if not spec.always_send and not user.email_notifications:
        return "skipped: notifications off"
    built = spec.build_context(recipient=user, **(context or {}))
    if built is None:
        return "skipped: nothing to tell"
    subject, text, html = email_render(template=template, context={"recipient": user, **built})
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except smtplib.SMTPException as exc:
        if _is_permanent(exc):
            raise PermanentError(f"{type(exc).__name__}: {exc}") from exc
        raise
    logger.info("e-mail sent", extra={"template": template, "user_id": user.pk})
    return "sent"


# SMTP errors are OSErrors, and so retried with backoff by RecordedTask's policy (as are
# connection errors and timeouts); the queue (`high`) comes from tasks/schedule.py.
# EMAIL_TIMEOUT (10 s) bounds each exchange with the server.
@shared_task(
    base=RecordedTask, name="tasks.send_email", max_retries=5, soft_time_limit=30, time_limit=45
)
def send_email(template: str, user_id: int, context: dict[str, Any] | None = None) -> str:
    return email_send(template=template, user_id=user_id, context=context)

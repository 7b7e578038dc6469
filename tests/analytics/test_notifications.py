"""E-mail notifications: the `notifications` consumer decides who gets what, the
`tasks.send_email` job renders and sends it. Changes go through the real services, and
after-commit work (event dispatch, consumer jobs, e-mail jobs, eager here) runs inside
`django_capture_on_commit_callbacks(execute=True)`; e-mails land in Django's outbox."""

import pytest
from django.core import mail

from accounts import services as accounts_services
from accounts.models import Notification
from analytics.consumers import CONSUMERS, consume_event
from analytics.models import Event
from blog.models import CommentStatus
from blog.services.comments import comment_create, comment_moderate
from config.celery import app as celery_app
from tasks.base import PermanentError
from tasks.emails import send_email
from tasks.models import JobRecord, JobStatus
from tests import factories
from tests.accounts.email_backends import FailOnceBackend, RefuseRecipientsBackend
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

SITE = "https://blog.example"
ME = "/api/v1/users/me/"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def post(author):
    return factories.PostFactory(author=author, title='Tides & "Moons"')


def html_of(message) -> str:
    (html, mimetype) = message.alternatives[0]
    assert mimetype == "text/html"
    return html


def email_jobs():
    return JobRecord.objects.filter(name="tasks.send_email")


def post_url(post) -> str:
    return f"{SITE}/posts/{post.slug}/"


# --- welcome ----------------------------------------------------------------------------


def test_registration_sends_a_welcome_email(run_committed):
    user = run_committed(
        accounts_services.user_register,
        username="alice",
        email="alice@example.com",
        password="tangerine-lighthouse-917",
        display_name="Alice A.",
    )

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"]
    assert message.subject == "Welcome to the blog, Alice A."
    assert "Hello Alice A.," in message.body
    assert 'Your account "alice" is ready.' in message.body
    assert f"{SITE}/" in message.body
    html = html_of(message)
    assert "<strong>alice</strong>" in html
    assert f'href="{SITE}/"' in html
    job = email_jobs().get()
    assert job.status == JobStatus.COMPLETED
    assert job.queue == "high"
    assert job.result == "sent"
    assert job.arguments["args"][:2] == ["welcome", user.pk]


def test_registration_through_the_api_sends_the_welcome(
    anon_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = anon_client.post(
            "/api/v1/auth/register/",
            {"username": "bob", "email": "bob@example.com", "password": "tangerine-lighthouse-917"},
            format="json",
        )

    assert response.status_code == 201, response.content
    assert [m.to for m in mail.outbox] == [["bob@example.com"]]


def test_welcome_is_sent_even_with_notifications_off(reader):
    reader.email_notifications = False
    reader.save(update_fields=["email_notifications"])

    result = send_email.apply(args=("welcome", reader.pk, {})).get()

    assert result == "sent"
    assert [m.to for m in mail.outbox] == [[reader.email]]


# --- comments on one's post ---------------------------------------------------------------


def test_approved_comment_emails_the_posts_author(run_committed, post, author, reader):
    comment = run_committed(
        comment_create, post=post, author=reader, body="Lovely <b>tides</b>.\nMore."
    )

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [author.email]
    # Subjects and text bodies are not HTML-escaped; the HTML body is.
    assert message.subject == f'{reader.public_name} commented on "Tides & "Moons""'
    assert "Lovely <b>tides</b>.\nMore." in message.body
    assert f"Read it: {post_url(post)}" in message.body
    html = html_of(message)
    assert "Lovely &lt;b&gt;tides&lt;/b&gt;.<br>More." in html
    assert f'href="{post_url(post)}"' in html
    assert "Tides &amp; &quot;Moons&quot;" in html
    assert Notification.objects.filter(
        kind="comment_on_post", object_id=str(comment.pk), recipient=author
    ).exists()


def test_own_comment_on_own_post_sends_nothing(run_committed, post, author):
    run_committed(comment_create, post=post, author=author, body="Author's note.")

    assert mail.outbox == []
    assert not email_jobs().exists()


def test_reply_emails_the_parent_author_and_the_posts_author(run_committed, post, author, reader):
    replier = factories.ReaderFactory()
    parent = factories.CommentFactory(post=post, author=reader, body="First thoughts.")

    run_committed(comment_create, post=post, author=replier, body="A reply.", parent_id=parent.pk)

    by_recipient = {tuple(m.to): m for m in mail.outbox}
    assert set(by_recipient) == {(reader.email,), (author.email,)}
    reply = by_recipient[(reader.email,)]
    assert reply.subject == f'{replier.public_name} replied to your comment on "Tides & "Moons""'
    assert "You wrote:\nFirst thoughts." in reply.body
    assert "A reply." in reply.body
    assert "First thoughts." in html_of(reply)
    assert by_recipient[(author.email,)].subject.startswith(f"{replier.public_name} commented on")


def test_reply_to_oneself_tells_only_the_posts_author(run_committed, post, author, reader):
    parent = factories.CommentFactory(post=post, author=reader)

    run_committed(comment_create, post=post, author=reader, body="Also...", parent_id=parent.pk)

    assert [m.to for m in mail.outbox] == [[author.email]]
    assert "commented on your post" in mail.outbox[0].body


def test_reply_to_the_posts_author_sends_one_reply_email(run_committed, post, author, reader):
    parent = factories.CommentFactory(post=post, author=author, body="Thanks for reading.")

    run_committed(
        comment_create, post=post, author=reader, body="You're welcome.", parent_id=parent.pk
    )

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [author.email]
    assert "replied to your comment" in mail.outbox[0].subject


# --- moderation ---------------------------------------------------------------------------


def test_pending_comment_is_announced_only_when_approved(
    settings, run_committed, post, author, reader, editor
):
    settings.COMMENTS_REQUIRE_MODERATION = True
    comment = run_committed(comment_create, post=post, author=reader, body="Held for review.")

    assert comment.status == CommentStatus.PENDING
    assert mail.outbox == []

    run_committed(comment_moderate, comment=comment, actor=editor, status=CommentStatus.APPROVED)

    assert [m.to for m in mail.outbox] == [[author.email]]
    assert "Held for review." in mail.outbox[0].body


def test_a_comment_is_announced_once_whatever_its_moderation(
    settings, run_committed, post, author, reader, editor
):
    settings.COMMENTS_REQUIRE_MODERATION = True
    comment = run_committed(comment_create, post=post, author=reader, body="Back and forth.")
    for status in (CommentStatus.APPROVED, CommentStatus.PENDING, CommentStatus.APPROVED):
        run_committed(comment_moderate, comment=comment, actor=editor, status=status)

    assert [m.to for m in mail.outbox] == [[author.email]]
    assert Event.objects.filter(type="comment.moderated", aggregate_id=str(comment.pk)).count() == 3


def test_rejected_comment_emails_its_author(settings, run_committed, post, author, reader, editor):
    settings.COMMENTS_REQUIRE_MODERATION = True
    comment = run_committed(comment_create, post=post, author=reader, body="Buy cheap watches.")

    run_committed(comment_moderate, comment=comment, actor=editor, status=CommentStatus.REJECTED)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [reader.email]
    assert message.subject == 'Your comment on "Tides & "Moons"" was not published'
    assert "Buy cheap watches." in message.body
    assert post_url(post) in message.body
    assert "Buy cheap watches." in html_of(message)


def test_rejecting_ones_own_comment_sends_nothing(run_committed, post, editor):
    comment = run_committed(comment_create, post=post, author=editor, body="Never mind.")
    mail.outbox.clear()

    run_committed(comment_moderate, comment=comment, actor=editor, status=CommentStatus.REJECTED)

    assert mail.outbox == []


def test_comment_deleted_before_the_email_job_runs_is_not_announced(post, reader, author):
    comment = factories.CommentFactory(post=post, author=reader)
    comment_id = comment.pk
    comment.delete()

    result = send_email.apply(args=("comment_on_post", author.pk, {"comment_id": comment_id})).get()

    assert result == "skipped: nothing to tell"
    assert mail.outbox == []


# --- opting out ---------------------------------------------------------------------------


def test_profile_shows_and_changes_email_notifications(author, django_capture_on_commit_callbacks):
    client = client_for(author)
    assert client.get(ME).json()["email_notifications"] is True

    with django_capture_on_commit_callbacks(execute=True):
        response = client.patch(ME, {"email_notifications": False}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["email_notifications"] is False
    author.refresh_from_db()
    assert author.email_notifications is False
    assert client.get(ME).json()["email_notifications"] is False


def test_email_notifications_must_be_a_boolean(author):
    response = client_for(author).patch(ME, {"email_notifications": "sometimes"}, format="json")

    assert response.status_code == 400
    assert "email_notifications" in response.json()["fields"]


def test_opted_out_author_gets_no_comment_emails(run_committed, post, author, reader):
    run_committed(accounts_services.user_update_profile, user=author, email_notifications=False)

    run_committed(comment_create, post=post, author=reader, body="Hello?")

    assert mail.outbox == []
    assert email_jobs().get().result == "skipped: notifications off"


def test_opted_out_commenter_gets_no_rejection_email(settings, run_committed, post, reader, editor):
    settings.COMMENTS_REQUIRE_MODERATION = True
    run_committed(accounts_services.user_update_profile, user=reader, email_notifications=False)
    comment = run_committed(comment_create, post=post, author=reader, body="Spam?")

    run_committed(comment_moderate, comment=comment, actor=editor, status=CommentStatus.REJECTED)

    assert mail.outbox == []


def test_inactive_users_get_nothing(run_committed, post, author, reader):
    author.is_active = False
    author.save(update_fields=["is_active"])

    run_committed(comment_create, post=post, author=reader, body="Anyone there?")

    assert mail.outbox == []
    assert email_jobs().get().result == "skipped: inactive user"


# --- deduplication --------------------------------------------------------------------------


def test_consumer_run_twice_on_one_event_sends_one_email(run_committed, post, author, reader):
    comment = run_committed(comment_create, post=post, author=reader, body="Once.")
    event = Event.objects.get(type="comment.created", aggregate_id=str(comment.pk))
    assert len(mail.outbox) == 1

    # A redelivered job (at-least-once delivery, the relay, a replay) meets the dedupe.
    result = run_committed(consume_event.apply, args=("notifications", str(event.pk))).get()

    assert result == "duplicate"
    assert len(mail.outbox) == 1
    assert email_jobs().count() == 1


def test_handler_run_twice_on_one_event_sends_one_email(run_committed, post, author, reader):
    comment = run_committed(comment_create, post=post, author=reader, body="Once.")
    event = Event.objects.get(type="comment.created", aggregate_id=str(comment.pk))

    # Even past the consumer's dedupe (a replay under another consumer name, say), the
    # notification record keeps the fact from being told twice.
    run_committed(CONSUMERS["notifications"].handle, event=event)

    assert len(mail.outbox) == 1
    assert Notification.objects.filter(object_id=str(comment.pk)).count() == 1


# --- the job: retries and failures ----------------------------------------------------------


@pytest.fixture
def worker_like_eager():
    """Eager jobs that handle their errors as a worker does (retry, record the failure)
    instead of raising them into the caller, as the suite's eager setting makes them."""
    previous = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = previous


def test_send_email_retries_an_smtp_error_and_records_the_attempts(
    settings, worker_like_eager, reader
):
    settings.EMAIL_BACKEND = "tests.accounts.email_backends.FailOnceBackend"
    FailOnceBackend.reset()

    result = send_email.delay("welcome", reader.pk, {})

    assert result.get() == "sent"
    assert FailOnceBackend.calls == 2
    assert [m.to for m in mail.outbox] == [[reader.email]]
    job = email_jobs().get()
    assert job.status == JobStatus.COMPLETED
    assert job.attempts == 2
    assert job.max_attempts == 6
    assert job.finished_at is not None


def test_send_email_retried_from_a_notification(
    settings, worker_like_eager, run_committed, post, author, reader
):
    settings.EMAIL_BACKEND = "tests.accounts.email_backends.FailOnceBackend"
    FailOnceBackend.reset()

    run_committed(comment_create, post=post, author=reader, body="Through a flaky server.")

    assert [m.to for m in mail.outbox] == [[author.email]]
    job = email_jobs().get()
    assert (job.status, job.attempts) == (JobStatus.COMPLETED, 2)


def test_send_email_gives_up_at_once_when_the_recipient_is_refused(
    settings, worker_like_eager, reader
):
    settings.EMAIL_BACKEND = "tests.accounts.email_backends.RefuseRecipientsBackend"
    RefuseRecipientsBackend.reset()

    result = send_email.delay("welcome", reader.pk, {})

    assert isinstance(result.result, PermanentError)

    assert RefuseRecipientsBackend.calls == 1
    job = email_jobs().get()
    assert (job.status, job.attempts) == (JobStatus.FAILED, 1)
    assert "SMTPRecipientsRefused" in job.error
    assert mail.outbox == []


def test_send_email_with_an_unknown_template_fails_at_once(worker_like_eager, reader):
    result = send_email.delay("no_such_email", reader.pk, {})

    assert isinstance(result.result, PermanentError)
    job = email_jobs().get()
    assert (job.status, job.attempts) == (JobStatus.FAILED, 1)

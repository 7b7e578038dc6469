"""E-mail backends for tests: the outside world (an SMTP server) failing on cue.

They deliver into Django's test outbox (`mail.outbox`) like the locmem backend, after
raising the errors a real SMTP server gives. State is class-level (a backend is made per
send); tests reset it with `reset()`.
"""

import smtplib

from django.core.mail.backends.locmem import EmailBackend


class FailOnceBackend(EmailBackend):
    """The first send drops the connection (a passing error); later sends deliver."""

    calls = 0

    @classmethod
    def reset(cls):
        cls.calls = 0

    def send_messages(self, messages):
        type(self).calls += 1
        if type(self).calls == 1:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


class RefuseRecipientsBackend(EmailBackend):
    """Every recipient refused with 550 (a permanent error: no retry can fix it)."""

    calls = 0

    @classmethod
    def reset(cls):
        cls.calls = 0

    def send_messages(self, messages):
        type(self).calls += 1
        refused = {addr: (550, b"5.1.1 No such user") for m in messages for addr in m.to}
        raise smtplib.SMTPRecipientsRefused(refused)

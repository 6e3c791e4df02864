"""Email, the one way every app sends it: rendered from templates under templates/email/ (a
subject, a text part and an HTML part), delivered by a Celery task that retries with backoff when
the mail server fails, and enqueued only once the transaction that caused it has committed,
through the outbox (core.outbox) so that a broker down at that moment loses nothing.

The machinery only: what a message says, and to whom, is the business of the app whose event it
is: every email is sent by a subscriber of a recorded event (core.events, an app's
subscribers.py). The one exception is allauth's own security messages (a verification or reset
link, "an account already exists for this address"), which carry a secret or answer a sign-in
and go through the account adapter (accounts/adapter.py), still by this machinery.
"""

import logging
import smtplib
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import InterfaceError, OperationalError, transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext

from .outbox import outbox_enqueue

logger = logging.getLogger("portal.mail")

# What a mail server's failure looks like from here: worth trying again later. So is the
# database down or restarting under the worker (the task reads what its email says).
TRANSIENT_MAIL_ERRORS = (
    smtplib.SMTPException,
    OSError,
    ConnectionError,
    TimeoutError,
    OperationalError,
    InterfaceError,
)

# The retry policy of every task that sends mail: `@shared_task(**MAIL_RETRY)`.
MAIL_RETRY = {
    "autoretry_for": TRANSIENT_MAIL_ERRORS,
    "retry_backoff": 30,
    "retry_backoff_max": 30 * 60,
    "retry_jitter": True,
    "max_retries": 10,
}


def absolute_url(path: str) -> str:
    """A link for an email, which has no request to take the host from."""
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def subject_prefix() -> str:
    """The start of every email's subject (the portal's and allauth's), in the active language:
    "[City of Springfield Permit Portal] "."""
    return gettext("[%(city)s Permit Portal]") % {"city": settings.CITY_NAME} + " "


def without_subject_prefix(subject: str) -> str:
    """A subject without its prefix, whichever language it was written in."""
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            prefix = subject_prefix()
        if subject.startswith(prefix):
            return subject[len(prefix) :]
    return subject


def render_email(template: str, context: dict[str, Any]) -> dict[str, str]:
    """Render templates/email/<template>_subject.txt, _body.txt and _body.html, in the active
    language (a caller writing to a person activates theirs: accounts.language)."""
    context = {
        "CITY_NAME": settings.CITY_NAME,
        "CITY_OFFICE_PHONE": settings.CITY_OFFICE_PHONE,
        "PORTAL_URL": settings.PORTAL_BASE_URL,
        **context,
    }
    subject = render_to_string(f"email/{template}_subject.txt", context)
    return {
        "subject": subject_prefix() + " ".join(subject.split()),
        "text": render_to_string(f"email/{template}_body.txt", context).strip() + "\n",
        "html": render_to_string(f"email/{template}_body.html", context),
    }


def send_message(message: dict[str, Any]) -> EmailMultiAlternatives:
    """Send a rendered message now (inside a task); returns what was sent (its provider's
    status, with django-anymail: `anymail_status`)."""
    email = EmailMultiAlternatives(
        subject=message["subject"],
        body=message["text"],
        from_email=message.get("from_email") or settings.DEFAULT_FROM_EMAIL,
        to=message["to"],
        headers=message.get("headers") or None,
    )
    if message.get("html"):
        email.attach_alternative(message["html"], "text/html")
    email.send()
    logger.info("mail sent: %s to %d recipient(s)", message["subject"], len(message["to"]))
    return email


# Registered under the name it had in licenses/mail.py, so that messages queued before a deploy
# still find their task afterwards.
@shared_task(name="licenses.mail.deliver_email", **MAIL_RETRY)
def deliver_email(message: dict[str, Any]) -> None:
    """Deliver a message rendered earlier (allauth's own mail: verification, password reset)."""
    send_message(message)


def send_templated_email(*, template: str, to: list[str], context: dict[str, Any]) -> None:
    """Render and send now; for tasks, which retry on a transient failure."""
    recipients = [address for address in to if address]
    if not recipients:
        return
    send_message({**render_email(template, context), "to": recipients})


def enqueue_after_commit(task, *args: Any) -> None:
    """Queue a task once the current transaction commits, and never for one that rolls back.

    With a broker, the task is written to the outbox in this transaction (core.outbox): if
    Redis is down at the commit, the relay sends it once Redis is back. Without one (eager:
    the demo, the tests), it runs in-process after the commit."""
    if task.app.conf.task_always_eager:
        transaction.on_commit(lambda: task.delay(*args))
        return
    outbox_enqueue(task=task, args=args)

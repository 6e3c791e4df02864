"""Settings for what the portal sends: email (a mail service through django-anymail, a mail
server, or files for the demo), notifications (gathering, the digest's hour), text messages and
reminders. Read from the environment like the rest (portal/settings/base.py imports this)."""

import os
from importlib.util import find_spec
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

VAR_DIR = Path(__file__).resolve().parent.parent.parent / "var"
env = environ.Env()

# Email -----------------------------------------------------------------------------------------
# EMAIL_PROVIDER sends through an email service with django-anymail (its backend's name: mailgun,
# postmark, amazon_ses, brevo, sparkpost, ...), whose tracking webhook tells the portal what was
# delivered, bounced or marked as spam (notifications.tracking); its keys are anymail's settings,
# each given as ANYMAIL_<NAME> (ANYMAIL_MAILGUN_API_KEY, ANYMAIL_WEBHOOK_SECRET, ...). Else
# EMAIL_URL (e.g. smtp+tls://user:password@smtp.example.org:587) sends through a mail server, with
# no delivery news. Neither: messages are written as files under var/mail/ so a person can open a
# verification link.
EMAIL_FILE_PATH = env.path("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
EMAIL_PROVIDER = env("EMAIL_PROVIDER", default="").strip().lower()
ANYMAIL = {
    name.removeprefix("ANYMAIL_"): value
    for name, value in os.environ.items()
    if name.startswith("ANYMAIL_") and value
}
if EMAIL_PROVIDER:
    if not EMAIL_PROVIDER.isidentifier() or find_spec(f"anymail.backends.{EMAIL_PROVIDER}") is None:
        raise ImproperlyConfigured(
            f"EMAIL_PROVIDER={EMAIL_PROVIDER!r}: not one of django-anymail's email services "
            "(mailgun, postmark, amazon_ses, brevo, sparkpost, mailjet, resend, ...)"
        )
    EMAIL_BACKEND = f"anymail.backends.{EMAIL_PROVIDER}.EmailBackend"
elif env("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Permit Portal <permits@example.gov>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = 20

# Notifications: events on one permit within this many seconds go out as one message; the daily
# digest goes at this hour of the city's day. Without a broker (the demo) there is no beat to
# send a message later, so each goes at once.
NOTIFY_GATHER_SECONDS = env.int(
    "NOTIFY_GATHER_SECONDS", default=120 if env("CELERY_BROKER_URL", default="") else 0
)
NOTIFY_DIGEST_HOUR = env.int("NOTIFY_DIGEST_HOUR", default=7)
# Text messages (notifications.sms): "offline" writes each text to a file under SMS_FILE_PATH
# (the demo), "twilio" sends through Twilio, empty sends none (the phone page says so).
SMS_PROVIDER = env("SMS_PROVIDER", default="offline")
SMS_FILE_PATH = env.path("SMS_FILE_PATH", default=str(VAR_DIR / "sms"))
# A verification code lapses after this many minutes and after this many wrong tries; a user
# (and a number) is sent at most this many codes a day (each text costs the city money).
SMS_CODE_MINUTES = env.int("SMS_CODE_MINUTES", default=10)
SMS_CODE_TRIES = env.int("SMS_CODE_TRIES", default=5)
SMS_CODES_PER_DAY = env.int("SMS_CODES_PER_DAY", default=5)
TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env("TWILIO_AUTH_TOKEN", default="")
# Texts come from this number (E.164), or from a Messaging Service (which picks the number).
TWILIO_FROM_NUMBER = env("TWILIO_FROM_NUMBER", default="")
TWILIO_MESSAGING_SERVICE_SID = env("TWILIO_MESSAGING_SERVICE_SID", default="")
# Webhooks signed with a Twilio SharedKey (a Webhook Setting) instead of the Auth Token.
TWILIO_WEBHOOK_SHARED_KEY = env("TWILIO_WEBHOOK_SHARED_KEY", default="")
TWILIO_TIMEOUT_SECONDS = env.float("TWILIO_TIMEOUT_SECONDS", default=10.0)
# Tests speak to a fake Twilio at this address instead of https://api.twilio.com; empty in use.
TWILIO_API_URL = env("TWILIO_API_URL", default="")
# Reminders (notifications.reminders; each sent once per threshold): a permit expiring in this
# many days; an issued permit with no inspection for this many days (it lapses for inactivity
# at PERMIT_EXPIRY_DAYS); a contractor license expiring in this many days. A day's reminders of
# one kind go to each person as one message, at NOTIFY_DIGEST_HOUR.
PERMIT_EXPIRY_REMINDER_DAYS = env.list("PERMIT_EXPIRY_REMINDER_DAYS", cast=int, default=[30, 7])
PERMIT_INACTIVITY_REMINDER_DAYS = env.int("PERMIT_INACTIVITY_REMINDER_DAYS", default=150)
LICENSE_EXPIRY_REMINDER_DAYS = env.list("LICENSE_EXPIRY_REMINDER_DAYS", cast=int, default=[60, 30])

"""Settings shared by every environment, read from the environment with django-environ.

Every variable is listed, with its default, in the README's Configuration section.
"""

from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(BASE_DIR / ".env", overwrite=False)

# Which settings module is running: local, test or production. Commands that must never touch a
# real city's data (seed_demo, the offline card gateway) check it.
PORTAL_ENVIRONMENT = "base"

SECRET_KEY = env("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Apps ------------------------------------------------------------------------------------------
DJANGO_APPS = [
    "portal.admin_site.PortalAdminConfig",  # Django's admin, behind the staff second factor
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]
THIRD_PARTY_APPS = [
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "csp",
    "auditlog",
    "anymail",
]
LOCAL_APPS = [
    "core",
    "accounts",
    "licenses",
    "permits",
    "applications",
    "reviews",
    "inspections",
    "payments",
    "notifications",
    "portal",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS
# The demo city (seed_demo) is installed by the local and test settings only: a real city's
# deployment has no command that fills it with made-up people and permits.
DEMO_APPS = ["demo"]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.RejectNulInPathMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the visitor's cookie, else the browser's (Accept-Language); no URL prefix.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in person's pages in their account's language (after LocaleMiddleware).
    "accounts.language.AccountLanguageMiddleware",
    "accounts.middleware.IdleSignOutMiddleware",
    # The audit trail's actor: the request's user (portal.audit).
    "portal.middleware.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Last, as django-axes asks: it turns a lock-out raised by the backend into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
                "notifications.context_processors.notifications",
            ],
        },
    },
]

# Database --------------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A new connection per request costs more than the page itself (measured: about 8x slower).
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Authentication --------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out account before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

# NIST SP 800-63B: length and a blocklist, not composition rules. A city that wants the
# letter-and-digit rule sets PASSWORD_REQUIRE_LETTER_AND_DIGIT.
PASSWORD_MIN_LENGTH = env.int("PASSWORD_MIN_LENGTH", default=12)
PASSWORD_REQUIRE_LETTER_AND_DIGIT = env.bool("PASSWORD_REQUIRE_LETTER_AND_DIGIT", default=False)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "accounts.validators.MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if PASSWORD_REQUIRE_LETTER_AND_DIGIT:
    AUTH_PASSWORD_VALIDATORS.append({"NAME": "accounts.validators.LetterAndDigitValidator"})

# Internationalisation --------------------------------------------------------------------------
# English and Canadian French (docs/i18n.md). "fr-ca": pages say which French they are in, Django
# formats them the Canadian way (7 décembre 2026) and its French (gettext's fr) still applies;
# any French browser gets it. "en": as the pages always were ($1,234.56, Dec. 7, 2026). URLs carry
# no language: a bookmark, an emailed link or a card's QR code opens in the language chosen.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr-ca", "Français")]
USE_I18N = True
LOCALE_PATHS = [BASE_DIR / "locale"]  # .po and their compiled .mo, committed (tools/messages.py)
FORMAT_MODULE_PATH = ["portal.formats"]  # what Django's lack: how money is written (core.money)
# A visitor's choice of language, kept a year; a signed-in person's is kept on their account.
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env("TIME_ZONE", default="America/Chicago")
USE_TZ = True

# Static and media ------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "staticfiles"))
# Uploaded permit documents. Never served from a public URL: a view checks access on every
# download (see permits.views).
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
# Sessions are read through the cache (a query saved on every signed-in page) only when the cache
# is shared by every process: a worker's private memory cache could keep a session another
# worker has ended.
SHARED_CACHE = "locmem" not in CACHES["default"]["BACKEND"]
if SHARED_CACHE:
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"


def storage_from_url(url: str) -> dict:
    """Where uploaded documents are kept: a folder (MEDIA_ROOT) when empty, or an S3-compatible
    bucket, s3://bucket/prefix?endpoint_url=https://...&region=... (django-storages; the
    credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the machine's role)."""
    if not url:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    parts = urlsplit(url)
    if parts.scheme != "s3":
        raise ValueError(f"DOCUMENT_STORAGE_URL: only s3:// is understood, not {parts.scheme}://")
    query = dict(part.split("=", 1) for part in parts.query.split("&") if "=" in part)
    options = {
        "bucket_name": parts.netloc,
        "location": parts.path.strip("/"),
        "file_overwrite": False,
        "default_acl": "private",
        "querystring_auth": True,
    }
    if query.get("endpoint_url"):
        options["endpoint_url"] = query["endpoint_url"]
    if query.get("region"):
        options["region_name"] = query["region"]
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


# Several web servers share one S3-compatible bucket; one server may keep them in MEDIA_ROOT.
DOCUMENT_STORAGE_URL = env("DOCUMENT_STORAGE_URL", default="")
STORAGES = {
    "default": storage_from_url(DOCUMENT_STORAGE_URL),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Email, notifications, text messages and reminders: portal/settings/messaging.py -------------
from .messaging import *  # noqa: E402

# Celery ----------------------------------------------------------------------------------------
# Without a broker, tasks run in-process at once (the embedded default for `make demo`).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    # Just after midnight in the city's time zone: a permit expires the day after its date.
    "expire-permits-daily": {
        "task": "permits.tasks.expire_permits",
        "schedule": crontab(hour=0, minute=15),
    },
    # Card payments whose Stripe webhook never came are settled by asking Stripe.
    "reconcile-payments": {
        "task": "payments.tasks.reconcile_payments",
        "schedule": crontab(minute="*/15"),
    },
    # Drafts of online applications: reminders 5 days before they lapse, and lapsing.
    "expire-application-drafts": {
        "task": "applications.tasks.expire_application_drafts",
        "schedule": crontab(hour=0, minute=30),
    },
    # Tasks the broker did not take at their commit (core.outbox). `manage.py relay_outbox`,
    # its own process, sends them within seconds of Redis coming back; this is the backstop.
    "relay-outbox": {
        "task": "core.tasks.relay_outbox",
        "schedule": crontab(minute="*"),
    },
    # Reminders (notifications.reminders), after the night's expiries: each threshold once, a
    # day's of one kind for one person in one message at NOTIFY_DIGEST_HOUR.
    "remind-permits-expiring": {
        "task": "notifications.tasks.remind_permits_expiring",
        "schedule": crontab(hour=0, minute=45),
    },
    "remind-permits-inactive": {
        "task": "notifications.tasks.remind_permits_inactive",
        "schedule": crontab(hour=0, minute=50),
    },
    "remind-licenses-expiring": {
        "task": "notifications.tasks.remind_licenses_expiring",
        "schedule": crontab(hour=0, minute=55),
    },
    "remind-trust-accounts-below-alert": {
        "task": "notifications.tasks.remind_trust_accounts_below_alert",
        "schedule": crontab(hour=1, minute=0),
    },
    # Notifications (notifications.sending): a burst's message once its few minutes pass, the
    # daily digest at its hour, and any message a failure left for later.
    "send-due-messages": {
        "task": "notifications.tasks.send_due_messages",
        "schedule": crontab(minute="*"),
    },
}
# The outbox (core.outbox): a task the broker refused is tried again after 5 s, then 10, 20, ...
# up to this; sent rows are deleted after OUTBOX_KEEP_DAYS.
OUTBOX_BACKOFF_MAX_SECONDS = env.int("OUTBOX_BACKOFF_MAX_SECONDS", default=300)
OUTBOX_KEEP_DAYS = env.int("OUTBOX_KEEP_DAYS", default=7)

# Forms -----------------------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Sessions and security -------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# A strict Content Security Policy: every script and style is served from our own static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # Bootstrap draws its form controls with data: SVGs.
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", "https://checkout.stripe.com"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    },
}

# django-axes: lock an account out after 5 failures in 15 minutes, for the portal's sign-in and
# the Django admin's alike.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_MINUTES", default=15) / 60
# An account is locked for the address the failures came from: five wrong passwords from one
# place cannot lock its owner (or the admin) out everywhere else. Password spraying from one
# address is allauth's per-address limit (login_failed); staff also need a second factor.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "accounts.security.axes_client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "account/lockout.html"
AXES_USERNAME_CALLABLE = "accounts.security.axes_username"
AXES_VERBOSE = False
SILENCED_SYSTEM_CHECKS = [
    # SQLite (the demo) ignores the covering columns of PostgreSQL's indexes; nothing to fix.
    "models.W040",
]

# allauth ---------------------------------------------------------------------------------------
ACCOUNT_ADAPTER = "accounts.adapter.PortalAccountAdapter"
ACCOUNT_FORMS = {
    "signup": "accounts.forms.ContractorSignupForm",
    "login": "accounts.forms.ContractorLoginForm",
    "reset_password_from_key": "accounts.forms.SecurityAnswerResetPasswordKeyForm",
}
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
# Users sign in before verifying; until they verify (and staff approve a license) they have an
# anonymous visitor's access plus their own Account Management.
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_USERNAME_MIN_LENGTH = 4
ACCOUNT_USERNAME_VALIDATORS = "accounts.validators.username_validators"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# "Remember me on this computer" remembers the user name only (accounts.forms): the session
# always ends with the browser.
ACCOUNT_SESSION_REMEMBER = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = env("ACCOUNT_DEFAULT_HTTP_PROTOCOL", default="http")
ACCOUNT_RATE_LIMITS = {
    # Failed sign-ins per account and address are django-axes's job (it covers the Django admin
    # too); this stops one address trying many accounts.
    "login_failed": "30/15m/ip",
    # Guessing a business PIN (accounts.business_views.business_associate).
    "associate_pin": "10/1h/user,30/1h/ip",
}
# The security question: off by default (NIST 800-63B); asked with, never instead of, the
# emailed reset link.
ACCOUNT_SECURITY_QUESTION = env.bool("ACCOUNT_SECURITY_QUESTION", default=False)

# Staff: a second factor before Django admin, and idle sessions end ------------------------------
# Staff (is_staff) open admin only from a session that passed allauth's MFA (an authenticator
# app, or one of its recovery codes); a staff member without one is sent to set it up.
STAFF_REQUIRE_MFA = env.bool("STAFF_REQUIRE_MFA", default=True)
MFA_ADAPTER = "accounts.mfa_adapter.PortalMFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# Wrong second-factor codes per account, from every address together (allauth's own limit,
# login_failed above, counts per address): this many in the window, then the account waits and
# its owner is emailed (accounts.services.second_factor_attempt).
SECOND_FACTOR_WRONG_CODE_LIMIT = env.int("SECOND_FACTOR_WRONG_CODE_LIMIT", default=10)
SECOND_FACTOR_WINDOW_MINUTES = env.int("SECOND_FACTOR_WINDOW_MINUTES", default=15)
SECOND_FACTOR_LOCK_MINUTES = env.int("SECOND_FACTOR_LOCK_MINUTES", default=15)
MFA_FORMS = {
    "authenticate": "accounts.mfa_forms.PortalAuthenticateForm",
    "reauthenticate": "accounts.mfa_forms.PortalReauthenticateForm",
}
# A staff member's first authenticator app is set up through a one-time link an administrator
# sends to their email (admin's "Send authenticator set-up link"), good for this long.
STAFF_ENROLMENT_LINK_HOURS = env.int("STAFF_ENROLMENT_LINK_HOURS", default=24)
# A session with no request for this long ends at its next request (accounts.middleware).
STAFF_IDLE_MINUTES = env.int("STAFF_IDLE_MINUTES", default=30)
CONTRACTOR_IDLE_MINUTES = env.int("CONTRACTOR_IDLE_MINUTES", default=120)

# The client's address behind a reverse proxy, for rate limits, lock-outs and the security log
# (accounts.security.client_ip): how many proxies append to X-Forwarded-For, or the one header a
# proxy sets to the client's address (e.g. X-Real-IP). Neither: REMOTE_ADDR.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = env("TRUSTED_CLIENT_IP_HEADER", default="") or None

# Links in emails point here (an email has no request to take the host from).
PORTAL_BASE_URL = env("PORTAL_BASE_URL", default="http://127.0.0.1:8000")
# Who hears of a new license link request, beside the staff group "License Reviewers".
LICENSE_REVIEWER_EMAILS = env.list("LICENSE_REVIEWER_EMAILS", default=[])

# The city --------------------------------------------------------------------------------------
CITY_NAME = env("CITY_NAME", default="City of Springfield")
CITY_STATE = env("CITY_STATE", default="IL")
CITY_OFFICE_PHONE = env("CITY_OFFICE_PHONE", default="(217) 555-0100")
# Every email's subject (the portal's and allauth's) starts with the city's portal, in the
# recipient's language (core.mail.subject_prefix); this is the English one.
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{CITY_NAME} Permit Portal] "
# The search form's examples: an address and a license number that find something in this city
# (the defaults are the demo city's).
PERMIT_SEARCH_ADDRESS_EXAMPLE = env(
    "PERMIT_SEARCH_ADDRESS_EXAMPLE", default="2403 Wabash or W Iles Ave"
)
# Public search: how far back the applied-date range starts by default, and rows per page.
PERMIT_SEARCH_DEFAULT_YEARS = env.int("PERMIT_SEARCH_DEFAULT_YEARS", default=3)
# A permit expires this many days after it is issued (or renewed) unless work is inspected
# (IBC 105.5: 180 days).
PERMIT_EXPIRY_DAYS = env.int("PERMIT_EXPIRY_DAYS", default=180)
# Whether a permit may be issued while fees are due (a city that bills later).
PERMIT_ISSUE_WITH_FEES_DUE = env.bool("PERMIT_ISSUE_WITH_FEES_DUE", default=False)
PERMIT_SEARCH_PAGE_SIZE = 25
# Searches by visitors who are not signed in are the same page for everyone: kept this many
# seconds in the cache (0: never). Signed-in contractors always get a fresh page.
PERMIT_SEARCH_CACHE_SECONDS = env.int("PERMIT_SEARCH_CACHE_SECONDS", default=60)
# The public permit check page (/permits/verify/<code>/): guesses of a check code per client
# address and minute, then 429 with Retry-After (core.ratelimit; the address behind the proxy).
PERMIT_CHECK_LIMIT_PER_MINUTE = env.int("PERMIT_CHECK_LIMIT_PER_MINUTE", default=30)
MY_RECORDS_PAGE_SIZE = 10
DASHBOARD_PAGE_SIZE = 5
# Inspections: the city's scheduling rules (inspections.scheduling).
INSPECTION_CUTOFF = env("INSPECTION_CUTOFF", default="15:00")
INSPECTION_MAX_BUSINESS_DAYS_AHEAD = env.int("INSPECTION_MAX_BUSINESS_DAYS_AHEAD", default=10)
# If set, an inspection cannot be requested while the permit has fees due.
INSPECTION_REQUIRE_FEES_PAID = env.bool("INSPECTION_REQUIRE_FEES_PAID", default=False)
# Documents uploaded to a permit: PDF, PNG or JPEG, checked by content.
PERMIT_DOCUMENT_MAX_BYTES = env.int("PERMIT_DOCUMENT_MAX_MB", default=25) * 1_000_000
# Online applications: a draft lapses this many days after it was last saved (its applicant is
# reminded 5 days before); plans and drawings uploaded to an application may be this large.
APPLICATION_DRAFT_DAYS = env.int("APPLICATION_DRAFT_DAYS", default=30)
# Plan review: a resubmission goes back to every discipline of the last cycle (True) or only to
# those that asked for corrections (False, the default).
REVIEW_RESUBMIT_ALL_DISCIPLINES = env.bool("REVIEW_RESUBMIT_ALL_DISCIPLINES", default=False)
# A plan revision fee charged for each resubmission from this review cycle on (0: none).
REVIEW_REVISION_FEE = env("REVIEW_REVISION_FEE", default="0.00")
REVIEW_REVISION_FEE_FROM_CYCLE = env.int("REVIEW_REVISION_FEE_FROM_CYCLE", default=3)
APPLICATION_DOCUMENT_MAX_BYTES = env.int("APPLICATION_DOCUMENT_MAX_MB", default=100) * 1_000_000
# Request bodies: a file is read only up to the largest one the portal takes (core.uploads stops
# the parse past it, before the rest is read); other fields and non-form bodies are capped by
# Django; the proxy in front refuses a body past PERMIT_DOCUMENT_MAX_MB + 1 MB (README).
UPLOAD_MAX_BYTES = PERMIT_DOCUMENT_MAX_BYTES
FILE_UPLOAD_HANDLERS = [
    "core.uploads.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # 2.5 MB of fields (or of a JSON body, the webhook's)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # a larger file goes to a temporary file, not memory

# Stripe (absent: the offline card gateway, for the demo and tests) ------------------------------
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
# Tests speak to a fake Stripe through this HTTP client class (dotted path); empty in real use.
STRIPE_HTTP_CLIENT = env("STRIPE_HTTP_CLIENT", default="")
# Each Stripe call gives up after this many seconds and is retried this many times (with its
# idempotency key): all attempts must end well inside the web server's timeout (gunicorn's
# --timeout, 30 s by default), or a slow Stripe kills the request instead of showing a message.
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=10.0)
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=1)
# What each way of paying adds, shown before paying (payments.services.convenience_fee).
PAYMENT_CARD_FEE_PERCENT = env("PAYMENT_CARD_FEE_PERCENT", default="3.00")
PAYMENT_ACH_FEE = env("PAYMENT_ACH_FEE", default="1.50")
# Issue a permit Ready to Issue as soon as its last fee is paid and nothing else is missing (the
# documents needed before issuance, the conditions to meet first); False: a clerk issues it.
PAYMENTS_AUTO_ISSUE = env.bool("PAYMENTS_AUTO_ISSUE", default=True)

# Logging: one line per event on stderr; sign-ins and lock-outs under "portal.security".
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Twilio's client logs every request's headers at INFO.
        "twilio.http_client": {"level": "WARNING"},
    },
}


def redis_target(url: str) -> tuple[str, int, str]:
    """The Redis a URL names, however it is written: (host, port, database). localhost and
    127.0.0.1 are one host; no port is 6379; no database is 0 (a path or ?db=)."""
    parts = urlsplit(url)
    host = (parts.hostname or "localhost").lower()
    if host in ("localhost", "127.0.0.1", "::1"):
        host = "localhost"
    database = parts.path.strip("/") or "0"
    for pair in parts.query.split("&"):
        if pair.startswith("db="):
            database = pair[3:] or "0"
    return host, parts.port or 6379, database

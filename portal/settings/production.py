"""Production settings: everything secret or site-specific comes from the environment, and the
portal refuses to start without a real SECRET_KEY."""

from django.core.exceptions import ImproperlyConfigured

from .base import *
from .base import env, redis_target

PORTAL_ENVIRONMENT = "production"


DEBUG = False
SECRET_KEY = env("SECRET_KEY", default="")
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure"):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 50 characters in production "
        "(python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
if not env("DATABASE_URL", default=""):
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL in production.")
if not env("CELERY_BROKER_URL", default=""):
    raise ImproperlyConfigured("CELERY_BROKER_URL must point at Redis in production.")
# Card payments go through Stripe in production: the offline gateway is for the demo only.
for name in ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET"):
    if not env(name, default=""):
        raise ImproperlyConfigured(
            f"{name} must be set in production (the offline card gateway is refused)."
        )
# Rate limits (PIN guesses, sign-ups) must be shared by every worker: Redis, not process memory.
# Not the broker: the broker's Redis must never evict a queued task (noeviction), and a cache
# must be free to evict (allkeys-lru), so the cache is its own Redis (README, Production).
CACHE_URL = env("CACHE_URL", default="")
if not CACHE_URL:
    raise ImproperlyConfigured(
        "CACHE_URL must point at a Redis for the cache in production, apart from the broker "
        "(e.g. redis://127.0.0.1:6380/0, an instance with maxmemory-policy allkeys-lru)."
    )
if redis_target(CACHE_URL) == redis_target(env("CELERY_BROKER_URL")):
    raise ImproperlyConfigured(
        "CACHE_URL must not be the broker (CELERY_BROKER_URL): a full cache would stop the "
        "queue. Give the cache its own Redis instance with maxmemory-policy allkeys-lru (or, "
        "on the broker's instance, its own database with maxmemory-policy volatile-lru)."
    )
CACHES = {"default": env.cache("CACHE_URL")}
# ...and sessions read through it (saves a query on every signed-in page).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# HTTPS everywhere: the portal sits behind a TLS-terminating proxy that sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"

# Texts go through Twilio, or not at all: the offline provider only writes files.
SMS_PROVIDER = env("SMS_PROVIDER", default="")
if SMS_PROVIDER not in ("", "twilio"):
    raise ImproperlyConfigured('SMS_PROVIDER must be "twilio" or empty (no texts) in production.')
if SMS_PROVIDER == "twilio" and not (
    env("TWILIO_ACCOUNT_SID", default="")
    and env("TWILIO_AUTH_TOKEN", default="")
    and (env("TWILIO_FROM_NUMBER", default="") or env("TWILIO_MESSAGING_SERVICE_SID", default=""))
):
    raise ImproperlyConfigured(
        "SMS_PROVIDER=twilio needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER "
        "(or TWILIO_MESSAGING_SERVICE_SID)."
    )

# Real mail in production: an email service (EMAIL_PROVIDER, through django-anymail, with its
# delivery news) or a mail server (EMAIL_URL); files under var/mail are for the demo.
if not env("EMAIL_PROVIDER", default="") and not env("EMAIL_URL", default=""):
    raise ImproperlyConfigured(
        "EMAIL_PROVIDER (e.g. mailgun, with its ANYMAIL_ keys) or EMAIL_URL (e.g. "
        "smtp+tls://...) must be set in production."
    )

LOGGING["root"]["level"] = env("LOG_LEVEL", default="INFO")

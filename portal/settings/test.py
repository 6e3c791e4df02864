"""Settings for the test suite: fast hasher, mail kept in memory, Celery eager unless a broker is
given (CI gives the local Redis, and the broker tests start a real worker against it)."""

from .base import *
from .base import DATABASES, DEMO_APPS, INSTALLED_APPS, env

INSTALLED_APPS = [*INSTALLED_APPS, *DEMO_APPS]

PORTAL_ENVIRONMENT = "test"

DEBUG = False
SECRET_KEY = "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# No email service, whatever the environment says (tests/notifications/test_delivery.py sets one).
EMAIL_PROVIDER = ""
ANYMAIL: dict[str, str] = {}

# In tests, tasks run in-process so each test sees its own mail; the broker tests override this.
CELERY_TASK_ALWAYS_EAGER = True
# Each message at once (tests of gathering set their own window).
NOTIFY_GATHER_SECONDS = 0

# whitenoise's manifest storage needs collectstatic first; tests serve plain files.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

MEDIA_ROOT = env.path("TEST_MEDIA_ROOT", default="/tmp/permit-portal-test-media")  # noqa: S108

# The offline text provider writes here, not under var/ (tests of texts set their own folder).
SMS_FILE_PATH = env.path("TEST_SMS_FILE_PATH", default="/tmp/permit-portal-test-sms")  # noqa: S108

# Tests change permits between searches: the public search cache is tested on its own.
PERMIT_SEARCH_CACHE_SECONDS = 0

# Connections opened by live_server threads must not outlive their request, or the test database
# cannot be dropped at the end of the run.
DATABASES["default"]["CONN_MAX_AGE"] = 0

# Staff's second factor is off for the many admin tests; tests/accounts/test_mfa.py turns it on
# and proves it.
STAFF_REQUIRE_MFA = False

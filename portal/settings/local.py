"""Settings for `make demo` and development: embedded defaults, nothing else to install."""

from .base import *
from .base import DEMO_APPS, INSTALLED_APPS, VAR_DIR, env

INSTALLED_APPS = [*INSTALLED_APPS, *DEMO_APPS]

PORTAL_ENVIRONMENT = "local"

DEBUG = env.bool("DEBUG", default=True)
# Only for a laptop: the demo never runs with this key anywhere that matters.
SECRET_KEY = env("SECRET_KEY", default="django-insecure-local-demo-key-not-for-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])

# The SQLite file, mail folder and uploads live under var/, which a fresh clone does not have.
VAR_DIR.mkdir(exist_ok=True)

"""Settings for `make demo` and development: embedded defaults, nothing else to install."""

import sys

from core.served import runserver_base_url

from .base import *
from .base import DEMO_APPS, INSTALLED_APPS, PORTAL_BASE_URL, VAR_DIR, env

INSTALLED_APPS = [*INSTALLED_APPS, *DEMO_APPS]

PORTAL_ENVIRONMENT = "local"

DEBUG = env.bool("DEBUG", default=True)
# Only for a laptop: the demo never runs with this key anywhere that matters.
SECRET_KEY = env("SECRET_KEY", default="django-insecure-local-demo-key-not-for-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
# The card's verify link and the emails' links name the port runserver serves on (core.served),
# unless PORTAL_BASE_URL is set.
if not env("PORTAL_BASE_URL", default=""):
    PORTAL_BASE_URL = runserver_base_url(sys.argv) or PORTAL_BASE_URL

# The SQLite file, mail folder and uploads live under var/, which a fresh clone does not have.
VAR_DIR.mkdir(exist_ok=True)

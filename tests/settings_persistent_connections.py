"""The test settings with production's persistent database connections (CONN_MAX_AGE and
CONN_HEALTH_CHECKS), for a web process started by a test against a database of its own
(tests/security/test_outages.py): a restart of PostgreSQL leaves exactly these connections
broken."""

from portal.settings.test import *  # noqa: F403
from portal.settings.test import DATABASES

DATABASES["default"]["CONN_MAX_AGE"] = 600
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

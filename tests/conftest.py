import os
import re
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test's thread; the Django ORM calls the tests
# make around it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
REPO = Path(__file__).resolve().parent.parent
SCREENSHOTS = REPO / "docs" / "screenshots"


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in {"1", "true", "yes"}


def pytest_collection_modifyitems(config, items):
    """Browser, PostgreSQL, broker and gettext tests skip where their service is missing, except
    in CI, which sets PORTAL_REQUIRE_* so that a missing service fails the run instead."""
    from django.conf import settings

    have_browser = Path(CHROMIUM).exists() or shutil.which("chromium") is not None
    on_postgres = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    have_broker = bool(os.environ.get("CELERY_BROKER_URL"))
    have_gettext = all(shutil.which(tool) for tool in ("xgettext", "msgmerge"))
    rules = [
        ("e2e", have_browser, "PORTAL_REQUIRE_BROWSER", "Chromium is not installed"),
        ("postgres", on_postgres, "PORTAL_REQUIRE_POSTGRES", "DATABASE_URL is not PostgreSQL"),
        ("broker", have_broker, "PORTAL_REQUIRE_BROKER", "CELERY_BROKER_URL is not set"),
        ("gettext", have_gettext, "PORTAL_REQUIRE_GETTEXT", "GNU gettext is not installed"),
    ]
    for item in items:
        for marker, available, required_by, reason in rules:
            if marker not in item.keywords or available:
                continue
            if env_flag(required_by):
                item.user_properties.append(("missing", f"{reason} but {required_by} is set"))
            else:
                item.add_marker(
                    pytest.mark.skip(reason=f"{reason} (set {required_by}=1 to fail instead)")
                )


def pytest_runtest_setup(item):
    for name, value in item.user_properties:
        if name == "missing":
            pytest.fail(f"Required service missing: {value}.", pytrace=False)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """PORTAL_TEST_DB_SLOTS=N: each test session takes one of N PostgreSQL test databases (a
    file lock held while the session lasts), so that N sessions run side by side on one server
    without sharing a database. Mutation testing forks a session per mutant (mutation/run.py).
    With PORTAL_TEST_DB_TEMPLATE, the slot's database is first made afresh as a copy of that one
    (migrated once, before the run; with --reuse-db the session then uses it as it is): a
    session never starts from what the last one left (a transactional test's flush empties the
    rows the data migrations made)."""
    import fcntl
    import tempfile

    from django.conf import settings

    slots = int(os.environ.get("PORTAL_TEST_DB_SLOTS") or 0)
    database = settings.DATABASES["default"]
    if not slots or database["ENGINE"] != "django.db.backends.postgresql":
        yield
        return
    folder = Path(tempfile.gettempdir()) / "permit-portal-test-db-slots"
    folder.mkdir(exist_ok=True)
    # A session forked from one that took a slot inherits its settings: take the name without it.
    test_name = database.get("TEST", {}).get("NAME") or f"test_{database['NAME']}"
    test_name = re.sub(r"_slot\d+$", "", test_name)
    for slot in range(slots):
        held = (folder / f"{test_name}-{slot}.lock").open("w")
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            held.close()
            continue
        database.setdefault("TEST", {})["NAME"] = f"{test_name}_slot{slot}"
        if template := os.environ.get("PORTAL_TEST_DB_TEMPLATE"):
            _copy_database(database, template, f"{test_name}_slot{slot}")
        break
    else:
        raise RuntimeError(f"All {slots} test database slots are taken.")
    yield
    held.close()


def _copy_database(database: dict, template: str, name: str) -> None:
    import psycopg

    server = psycopg.connect(
        host=database["HOST"] or None,
        port=database["PORT"] or None,
        user=database["USER"] or None,
        password=database["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    with server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate limits live in the cache: each test starts with none used."""
    from django.core.cache import cache

    from core.calendar import forget_holidays

    cache.clear()
    forget_holidays()
    yield
    cache.clear()
    forget_holidays()


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts and ends in the default language: a French page served in one test
    leaves French active in the thread (Django's middleware activates, never resets)."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, live_server):
    # Asking for live_server here starts it before the browser, so it stops after the browser:
    # no request thread is left talking to a stopped server (and its database) at the end.
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def screenshot():
    """Save a screenshot for the README under docs/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(page, name: str, full_page: bool = True) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return save

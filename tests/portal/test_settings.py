"""The settings modules as an operator meets them: production refuses to start without real
values, and passes Django's deployment checks when they are given."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GOOD_KEY = "k3J9-hQ2xV7_pL0mZ5rT8wN1cB4yF6dG2sA9eU3iO7qW5vX1zR8tY0uI4oP6aS2dF"


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "SECRET_KEY",
            "DATABASE_URL",
            "EMAIL_URL",
            "CELERY_BROKER_URL",
            "CACHE_URL",
            "ALLOWED_HOSTS",
            "DJANGO_SETTINGS_MODULE",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
            "STRIPE_SECRET_KEY",
            "STRIPE_PUBLISHABLE_KEY",
            "STRIPE_WEBHOOK_SECRET",
        }
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "portal.settings.production",
    "SECRET_KEY": GOOD_KEY,
    "ALLOWED_HOSTS": "permits.example.gov",
    "DATABASE_URL": "postgres://portal@127.0.0.1:5432/portal",
    "EMAIL_URL": "smtp+tls://mailer:pw@smtp.example.gov:587",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "CACHE_URL": "redis://127.0.0.1:6380/0",
    "STRIPE_SECRET_KEY": "sk_live_placeholder_for_the_check",
    "STRIPE_PUBLISHABLE_KEY": "pk_live_placeholder_for_the_check",
    "STRIPE_WEBHOOK_SECRET": "whsec_placeholder_for_the_check",
}


def test_production_settings_pass_check_deploy_without_warnings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_production_has_no_demo_city_to_seed_and_the_demo_has_one():
    production = run_manage("help", "seed_demo", **PRODUCTION)
    assert production.returncode != 0
    assert "Unknown command: 'seed_demo'" in production.stderr
    local = run_manage("help", "seed_demo", DJANGO_SETTINGS_MODULE="portal.settings.local")
    assert local.returncode == 0, local.stderr
    assert "demo city" in local.stdout.lower()


@pytest.mark.parametrize("key", ["", "short", "django-insecure-" + "x" * 60, "a" * 60])
def test_production_refuses_to_start_without_a_real_secret_key(key):
    result = run_manage("check", **{**PRODUCTION, "SECRET_KEY": key})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize(
    "missing", ["DATABASE_URL", "EMAIL_URL", "CELERY_BROKER_URL", "CACHE_URL", "ALLOWED_HOSTS"]
)
def test_production_refuses_to_start_without_its_services(missing):
    env = {key: value for key, value in PRODUCTION.items() if key != missing}
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert missing in result.stderr


def test_production_refuses_a_cache_that_is_the_broker():
    """The broker's Redis must never evict a task; a cache must be free to evict."""
    env = {**PRODUCTION, "CACHE_URL": PRODUCTION["CELERY_BROKER_URL"]}
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert "CACHE_URL must not be the broker" in result.stderr


@pytest.mark.parametrize(
    ("broker", "cache", "same"),
    [
        ("redis://127.0.0.1:6379/0", "redis://localhost:6379", True),
        ("redis://127.0.0.1:6379", "redis://127.0.0.1/0/", True),
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379?db=0", True),
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/1", False),
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6380/0", False),
        ("redis://cache.internal:6379/0", "redis://queue.internal:6379/0", False),
    ],
)
def test_the_broker_is_recognised_however_its_url_is_written(broker, cache, same):
    from portal.settings.base import redis_target

    assert (redis_target(broker) == redis_target(cache)) is same


def test_local_settings_default_to_sqlite_eager_celery_and_mail_files():
    script = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE']);"
        "print(s.CELERY_TASK_ALWAYS_EAGER);"
        "print(s.EMAIL_BACKEND);"
        "print(s.EMAIL_FILE_PATH)"
    )
    result = run_manage(
        "shell", "--no-imports", "-c", script, DJANGO_SETTINGS_MODULE="portal.settings.local"
    )
    lines = result.stdout.split()
    assert lines[0] == "django.db.backends.sqlite3"
    assert lines[1] == "True"
    assert lines[2] == "django.core.mail.backends.filebased.EmailBackend"
    assert lines[3].endswith("var/mail")


def test_postgres_gets_persistent_connections():
    script = (
        "from django.conf import settings as s; print(s.DATABASES['default'].get('CONN_MAX_AGE'))"
    )
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        script,
        DJANGO_SETTINGS_MODULE="portal.settings.local",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/portal",
    )
    assert int(result.stdout.strip()) > 0


def test_a_broker_url_turns_eager_mode_off():
    script = "from django.conf import settings as s; print(s.CELERY_TASK_ALWAYS_EAGER)"
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        script,
        DJANGO_SETTINGS_MODULE="portal.settings.local",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
    )
    assert result.stdout.strip() == "False"


def test_the_user_model_is_custom_from_the_first_migration():
    from django.conf import settings

    assert settings.AUTH_USER_MODEL == "accounts.User"
    first = (REPO / "accounts" / "migrations" / "0001_initial.py").read_text()
    assert "name='User'" in first


def test_the_health_check_answers_with_one_query(client, django_assert_num_queries, db):
    with django_assert_num_queries(1):
        response = client.get("/health/")
    assert response.status_code == 200 and b"ok" in response.content

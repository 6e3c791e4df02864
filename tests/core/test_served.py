"""Issue 23, requirement 14: the demo served on another port prints that port in the permit
card's verify link (and the emails' links), not PORTAL_BASE_URL's default."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.served import runserver_base_url

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("argv", "url"),
    [
        (["manage.py", "runserver"], "http://127.0.0.1:8000"),
        (["manage.py", "runserver", "8123"], "http://127.0.0.1:8123"),
        (["manage.py", "runserver", "127.0.0.1:8150"], "http://127.0.0.1:8150"),
        (["manage.py", "runserver", "--noreload", "localhost:8151"], "http://localhost:8151"),
        (["manage.py", "runserver", "0.0.0.0:8152"], "http://127.0.0.1:8152"),
        (["manage.py", "runserver", "[::1]:8153"], "http://[::1]:8153"),
        (["manage.py", "runserver", "not a port"], None),
        (["manage.py", "migrate"], None),
        (["pytest"], None),
    ],
)
def test_the_served_address_of_runserver(argv, url):
    assert runserver_base_url(argv) == url


def base_url_of_local_settings(*args: str, **env: str) -> str:
    """PORTAL_BASE_URL as the local settings make it for `manage.py <args>`."""
    code = (
        "import sys; sys.argv = ['manage.py', *sys.argv[1:]]; "
        "import portal.settings.local as s; print(s.PORTAL_BASE_URL)"
    )
    environment = {
        key: value for key, value in os.environ.items() if key != "PORTAL_BASE_URL"
    } | env
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_the_demo_served_on_another_port_names_that_port():
    assert base_url_of_local_settings("runserver", "127.0.0.1:8123") == "http://127.0.0.1:8123"


def test_a_portal_base_url_that_is_set_wins():
    served = base_url_of_local_settings(
        "runserver", "127.0.0.1:8123", PORTAL_BASE_URL="https://permits.example.gov"
    )
    assert served == "https://permits.example.gov"

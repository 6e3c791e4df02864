"""Passwords after NIST SP 800-63B: long, not common, not like the user; no composition rules
unless the city turns the letter-and-digit rule on."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from accounts.models import User

pytestmark = pytest.mark.django_db


def problems(password: str, user=None) -> list[str]:
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        return error.messages
    return []


def test_twelve_characters_at_least():
    assert any("at least 12" in message for message in problems("short pass1"))
    assert problems("twelve chars") == []


def test_a_long_passphrase_of_64_characters_is_allowed():
    assert problems("correct horse battery staple " * 2 + "and some more here") == []
    assert problems("x7" * 64) == []  # 128


def test_an_absurdly_long_password_is_refused():
    assert any("too long" in message for message in problems("y" * 500))


def test_common_passwords_are_refused():
    assert any("too common" in message for message in problems("qwerty123456"))


def test_a_password_like_the_users_own_details_is_refused():
    user = User(username="sparkyelectric", email="sparkyelectric@example.com", first_name="Sam")
    assert any("similar" in message for message in problems("sparkyelectric", user))


def test_no_composition_rule_by_default():
    assert problems("all lower case words here") == []


def test_the_minimum_is_a_setting(settings):
    settings.AUTH_PASSWORD_VALIDATORS = [
        {
            "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
            "OPTIONS": {"min_length": 16},
        }
    ]
    assert problems("fifteen chars!!")


def test_a_city_can_turn_the_letter_and_digit_rule_on(settings):
    settings.AUTH_PASSWORD_VALIDATORS = [{"NAME": "accounts.validators.LetterAndDigitValidator"}]
    assert any(
        "one letter and one digit" in message for message in problems("only letters here ok")
    )
    assert problems("letters and 1 digit here") == []


def test_the_letter_and_digit_setting_adds_the_rule():
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "from django.conf import settings;"
        "print(any('LetterAndDigit' in v['NAME'] for v in settings.AUTH_PASSWORD_VALIDATORS))"
    )
    repo = Path(__file__).resolve().parents[2]

    def run(value: str) -> str:
        env = {"PASSWORD_REQUIRE_LETTER_AND_DIGIT": value, "PATH": "/usr/bin:/bin"}
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", script],
            cwd=repo,
            env={**env, "DJANGO_SETTINGS_MODULE": "portal.settings.local"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        return result.stdout.strip()

    assert run("true") == "True"
    assert run("false") == "False"

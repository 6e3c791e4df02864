"""The security question: off by default; when on, asked at registration and, with the emailed
link (never instead of it), at password reset."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User, normalize_answer
from tests.accounts.test_registration import accept, account_data, add
from tests.factories import TEST_PASSWORD, LicenseFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_off_by_default(client):
    accept(client)
    add(client, LicenseFactory())
    response = client.get(reverse("accounts:register_account"))
    assert "security_question" not in response.context["form"].fields
    client.force_login(UserFactory())
    assert client.get(reverse("accounts:security_question")).status_code == 404


def test_answers_compare_without_case_or_spacing():
    user = UserFactory()
    user.set_security_answer("birth_city", "  New   York ")
    user.save()
    assert user.check_security_answer("new york")
    assert user.check_security_answer("NEW YORK")
    assert not user.check_security_answer("Newark")
    assert "new york" not in user.security_answer_hash  # stored hashed
    assert normalize_answer("  A  b ") == "a b"


@pytest.fixture
def questions_on(settings):
    settings.ACCOUNT_SECURITY_QUESTION = True


def test_registration_asks_a_question_when_on(client, questions_on):
    accept(client)
    add(client, LicenseFactory())
    data = account_data(security_question="birth_city", security_answer="Peoria")
    response = client.post(reverse("accounts:register_account"), data)
    assert response.status_code == 302
    user = User.objects.get(username="sparky")
    assert user.security_question == "birth_city"
    assert user.check_security_answer("peoria")


def test_registration_requires_the_answer_when_on(client, questions_on):
    accept(client)
    add(client, LicenseFactory())
    response = client.post(reverse("accounts:register_account"), account_data())
    assert "security_question" in response.context["form"].errors


def reset_link(client, user, capture) -> str:
    with capture(execute=True):
        client.post(reverse("account_reset_password"), {"email": user.email})
    body = mail.outbox[-1].body
    link = re.search(r"https?://\S+/password/reset/key/\S+", body).group(0)
    page = client.get(re.sub(r"^https?://[^/]+", "", link), follow=True)
    return (
        page.redirect_chain[-1][0] if page.redirect_chain else re.sub(r"^https?://[^/]+", "", link)
    )


def test_password_reset_asks_the_question_as_well_as_the_link(
    client, questions_on, django_capture_on_commit_callbacks
):
    user = UserFactory(email="q@example.com")
    user.set_security_answer("birth_city", "Peoria")
    user.save()
    url = reset_link(client, user, django_capture_on_commit_callbacks)
    page = client.get(url)
    assert "In what city or town were you born?" in page.text
    new = "another long pass phrase 2"
    wrong = client.post(url, {"security_answer": "Chicago", "password1": new, "password2": new})
    assert wrong.status_code == 200
    assert "not the answer on record" in wrong.text
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)
    right = client.post(url, {"security_answer": " peoria ", "password1": new, "password2": new})
    assert right.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)


def test_the_question_never_replaces_the_link(client, questions_on):
    """There is no way to reset a password with the answer alone: the reset form is only
    reachable through the emailed key."""
    user = UserFactory()
    user.set_security_answer("birth_city", "Peoria")
    user.save()
    response = client.post(
        "/accounts/password/reset/key/1-bogus-key/",
        {"security_answer": "Peoria", "password1": "x" * 20, "password2": "x" * 20},
    )
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)
    assert response.status_code in (200, 302)


def test_account_management_sets_the_question_with_the_current_password(client, questions_on):
    user = UserFactory()
    client.force_login(user)
    url = reverse("accounts:security_question")
    bad = client.post(
        url, {"security_question": "mentor", "security_answer": "Smith", "current_password": "nope"}
    )
    assert "not your current password" in bad.text
    good = client.post(
        url,
        {
            "security_question": "mentor",
            "security_answer": "Smith",
            "current_password": TEST_PASSWORD,
        },
    )
    assert good.status_code == 302
    user.refresh_from_db()
    assert user.check_security_answer("smith")

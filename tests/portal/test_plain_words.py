"""Issue 13, requirement 2: what a person reads is true and plain: money as money, durations
in words, no constraint names, `None` or Python reprs, in admin or the portal."""

import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.db.models import BaseConstraint
from django.urls import reverse

from payments.models import EntryKind, Payment, PaymentMethod, TrustAccount, TrustEntry
from portal.templatetags.portal_tags import duration
from tests.factories import (
    ContractorFactory,
    FeeFactory,
    LicenseFactory,
    LicenseTypeFactory,
    PermitFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

DEFAULT_MESSAGE = BaseConstraint.default_violation_error_message


def project_constraints():
    for model in apps.get_models():
        if model._meta.app_config.name.split(".")[0] not in {
            "accounts",
            "licenses",
            "permits",
            "inspections",
            "payments",
            "core",
        }:
            continue
        for constraint in model._meta.constraints:
            yield model, constraint


def test_every_constraint_speaks_in_words_not_its_name():
    found = list(project_constraints())
    assert len(found) >= 20
    unnamed = [
        f"{model.__name__}.{constraint.name}"
        for model, constraint in found
        if constraint.violation_error_message in (None, DEFAULT_MESSAGE)
        or constraint.name in constraint.violation_error_message
    ]
    assert not unnamed, f"constraints without a message of their own: {unnamed}"


@pytest.fixture
def clerk(client):
    user = UserFactory(username="clerk", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def test_a_broken_constraint_in_admin_says_what_is_wrong(client, clerk):
    response = client.post(
        reverse("admin:licenses_license_add"),
        {
            "number": "EC100999",
            "license_type": LicenseTypeFactory().pk,
            "holder": ContractorFactory().pk,
            "issued_on": "2026-05-01",
            "expires_on": "2026-01-01",
        },
    )
    assert response.status_code == 200
    assert "A license cannot expire before it was issued." in response.text
    assert "license_expires_after_issued" not in response.text
    assert "Constraint" not in response.text


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (datetime.timedelta(minutes=15), "15 minutes"),
        (datetime.timedelta(hours=1, minutes=30), "1 hour 30 minutes"),
        (datetime.timedelta(days=2), "2 days"),
        (datetime.timedelta(seconds=1), "1 second"),
        ("PT15M", ""),
    ],
)
def test_durations_read_in_words(value, words):
    assert duration(value) == words


def test_the_lock_out_page_says_how_long_in_words(client):
    user = UserFactory(username="sparky")
    user.set_password("right password 123")
    user.save()
    for _ in range(5):
        response = client.post(
            reverse("account_login"), {"login": "sparky", "password": "wrong password"}
        )
    assert response.status_code == 429
    assert "sign-in is refused for 15 minutes." in " ".join(response.text.split())
    assert "PT15M" not in response.text


def test_admin_shows_money_as_money(client, clerk):
    business = ContractorFactory(business_name="Prairie Electric Co.")
    account = TrustAccount.objects.create(contractor=business, low_balance_threshold=500)
    TrustEntry.objects.create(account=account, kind=EntryKind.DEPOSIT, amount=Decimal("1925.81"))
    permit = PermitFactory(licenses=[LicenseFactory(holder=business)])
    FeeFactory(permit=permit, amount=Decimal("1234.50"))
    FeeFactory(permit=permit, amount=Decimal("0.25"))

    accounts = client.get(reverse("admin:payments_trustaccount_changelist")).text
    assert "$1,925.81" in accounts and "$500.00" in accounts
    entries = client.get(reverse("admin:payments_trustentry_changelist")).text
    assert "$1,925.81" in entries
    permits = client.get(reverse("admin:permits_permit_changelist")).text
    assert "$1,234.75" in permits
    assert "1234.75000" not in permits
    fees = client.get(reverse("admin:permits_fee_changelist")).text
    assert "$1,234.50" in fees
    account_page = client.get(reverse("admin:payments_trustaccount_change", args=[account.pk]))
    assert "$1,925.81" in account_page.text


def test_a_payments_amounts_read_as_money_and_stay_read_only(client, clerk):
    user = UserFactory()
    payment = Payment.objects.create(
        user=user,
        method=PaymentMethod.CARD,
        provider="offline",
        fees_total=Decimal("1925.81"),
        convenience_fee=Decimal("0.00"),
        total=Decimal("1925.81"),
    )
    page = client.get(reverse("admin:payments_payment_change", args=[payment.pk]))
    assert page.status_code == 200
    assert page.text.count("$1,925.81") >= 2
    assert 'name="total"' not in page.text and 'name="fees_total"' not in page.text
    listing = client.get(reverse("admin:payments_payment_changelist")).text
    assert "$1,925.81" in listing


def test_a_trust_entry_and_a_receipts_subject_say_dollars():
    from django.template.loader import render_to_string

    from payments.models import TrustEntry

    assert str(TrustEntry(kind=EntryKind.DEPOSIT, amount=Decimal("1000"))) == "Deposit $1,000.00"
    assert str(TrustEntry(kind=EntryKind.PAYMENT, amount=Decimal("-45.95"))) == "Payment -$45.95"
    payment = Payment(receipt_number="R2026-0000001", total=Decimal("513.95"))
    subject = render_to_string("email/payment_receipt_subject.txt", {"payment": payment})
    assert subject.strip() == "Receipt R2026-0000001: $513.95 paid"

"""Issue 13, requirement 3: "What do I owe?": the dashboard totals the fees due on the user's
permits (on PostgreSQL from LicenseFeesDue, which triggers keep, so a contractor with 50,000
permits reads one row), and "Pay All Fees Due" puts every fee they may pay in the cart."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse

from payments.models import CartLine
from permits.dashboard_reads import my_fees_due
from permits.models import Fee, FeeStatus, LicenseFeesDue, PermitLicense
from portal.dashboard import read_dashboard
from tests.factories import (
    FeeFactory,
    LicenseFactory,
    PermitFactory,
    UserFactory,
    contractor_user,
    set_status,
)

pytestmark = pytest.mark.django_db


def by_orm() -> dict[int, Decimal]:
    """Each license's fees due, by the plain definition."""
    totals: dict[int, Decimal] = {}
    for link in PermitLicense.objects.all():
        due = sum(
            (f.amount for f in Fee.objects.filter(permit_id=link.permit_id, status=FeeStatus.DUE)),
            Decimal("0"),
        )
        totals[link.license_id] = totals.get(link.license_id, Decimal("0")) + due
    return {license_id: total for license_id, total in totals.items() if total}


def kept() -> dict[int, Decimal]:
    return {row.license_id: row.amount for row in LicenseFeesDue.objects.all() if row.amount}


@pytest.mark.postgres
def test_the_per_license_totals_follow_every_change_to_fees_and_licenses():
    one, two = LicenseFactory(), LicenseFactory()
    a = PermitFactory(licenses=[one])
    b = PermitFactory(licenses=[one, two])
    fee = FeeFactory(permit=a, amount=Decimal("100.00"))
    FeeFactory(permit=b, amount=Decimal("25.50"))
    assert kept() == by_orm() == {one.pk: Decimal("125.50"), two.pk: Decimal("25.50")}
    Fee.objects.filter(pk=fee.pk).update(amount=Decimal("90.00"))  # any writer, even bulk
    assert kept() == by_orm()
    set_status(fee, FeeStatus.PAID)
    assert kept() == by_orm() == {one.pk: Decimal("25.50"), two.pk: Decimal("25.50")}
    set_status(fee, FeeStatus.DUE)
    PermitLicense.objects.filter(permit=b, license=two).delete()
    assert kept() == by_orm()
    PermitLicense.objects.create(permit=a, license=two)
    assert kept() == by_orm() == {one.pk: Decimal("115.50"), two.pk: Decimal("90.00")}


def dashboard_total(user, **kwargs) -> Decimal:
    request = RequestFactory().get("/dashboard/")
    request.user = user
    request._messages = []
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.cache import SessionStore

    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return read_dashboard(request, user, **kwargs).fees_due


def test_the_dashboard_shows_what_the_users_permits_owe(client):
    license = LicenseFactory()
    owing = PermitFactory(licenses=[license], status="issued")
    FeeFactory(permit=owing, amount=Decimal("1200.00"))
    FeeFactory(permit=PermitFactory(licenses=[license]), amount=Decimal("25.81"))
    set_status(FeeFactory(permit=owing, amount=Decimal("999.00")), FeeStatus.PAID)
    FeeFactory(permit=PermitFactory(), amount=Decimal("50.00"))  # someone else's
    user = contractor_user(license)
    assert my_fees_due(user=user) == Decimal("1225.81")
    paths = [False, True] if connection.vendor == "postgresql" else [False]
    for by_license in paths:
        assert dashboard_total(
            type(user).objects.get(pk=user.pk), by_license=by_license
        ) == Decimal("1225.81")
    client.force_login(user)
    page = client.get(reverse("dashboard"))
    assert '<p class="fs-4 mb-0" data-testid="fees-due-total">$1,225.81</p>' in page.text
    # Registered for the license, no Pay role at its business: the total, not the button.
    assert "Pay All Fees Due" not in page.text and "ask its Manager" in page.text


def test_pay_all_fees_due_puts_every_payable_fee_in_the_cart(client):
    license = LicenseFactory()
    first = PermitFactory(licenses=[license], status="issued")
    fees = [FeeFactory(permit=first, amount=Decimal("10.00")) for _ in range(2)]
    second = PermitFactory(licenses=[license], status="expired")
    fees.append(FeeFactory(permit=second, amount=Decimal("5.00")))
    set_status(FeeFactory(permit=second, amount=Decimal("7.00")), FeeStatus.WAIVED)
    FeeFactory(permit=PermitFactory(), amount=Decimal("99.00"))  # not theirs
    payer = contractor_user(license, can_pay=True)
    client.force_login(payer)
    assert "Pay All Fees Due" in client.get(reverse("dashboard")).text
    response = client.post(reverse("payments:cart_add_all"), follow=True)
    assert "Every fee due on 2 permits is in your cart (3 fees added)." in response.text
    assert set(CartLine.objects.filter(user=payer).values_list("fee_id", flat=True)) == {
        fee.pk for fee in fees
    }
    again = client.post(reverse("payments:cart_add_all"), follow=True)
    assert "(they already were)" in again.text
    assert CartLine.objects.filter(user=payer).count() == 3


def test_pay_all_needs_the_pay_role_and_a_post(client):
    license = LicenseFactory()
    FeeFactory(permit=PermitFactory(licenses=[license]), amount=Decimal("10.00"))
    client.force_login(contractor_user(license))  # registered, no Pay
    response = client.post(reverse("payments:cart_add_all"), follow=True)
    assert "needs the Pay role" in response.text
    assert not CartLine.objects.exists()
    assert client.get(reverse("payments:cart_add_all")).status_code == 405
    client.force_login(UserFactory())
    assert "needs the Pay role" in client.post(reverse("payments:cart_add_all"), follow=True).text

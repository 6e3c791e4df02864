"""Issue 12, finding 4: what was paid stays as it was paid. A trust account never changes
business; a paid (or held) fee keeps its permit and description; a receipt shows its own
record of each line, never the fee as it reads today."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.core import mail
from django.urls import reverse

from core.models import Event
from notifications.subscribers.payments import send_receipt
from payments.exceptions import TrustAccountBusinessFixed
from payments.flows import payment_refund
from payments.models import Payment, PaymentLine, TrustAccount
from payments.selectors import trust_balance
from permits.exceptions import FeeDetailsHeld
from permits.models import Fee, FeeStatus
from tests.factories import (
    ContractorFactory,
    FeeFactory,
    LicenseFactory,
    PermitFactory,
    UserFactory,
)
from tests.payments.conftest import fund
from tests.payments.test_trust import pay_from

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    return client


def paid(client, license, permit) -> Payment:
    account = fund(license, "500.00")
    client.post(reverse("payments:cart_add", args=[permit.number]))
    pay_from(client, account)
    return Payment.objects.get()


# The trust account's business ----------------------------------------------------------------


def test_the_model_refuses_to_move_a_trust_account_to_another_business():
    account = fund(LicenseFactory(), "100.00")
    other = ContractorFactory()
    account = TrustAccount.objects.get(pk=account.pk)
    account.contractor = other
    with pytest.raises(TrustAccountBusinessFixed):
        account.save()
    account.refresh_from_db()
    assert account.contractor != other
    # The threshold is still the managers' to set.
    account.low_balance_threshold = Decimal("50.00")
    account.save()


def test_a_trust_accounts_business_is_read_only_in_admin(superuser_client):
    license = LicenseFactory()
    account = fund(license, "100.00")
    other = ContractorFactory()
    url = reverse("admin:payments_trustaccount_change", args=[account.pk])
    page = superuser_client.get(url)
    assert "contractor" not in page.context["adminform"].form.fields
    response = superuser_client.post(
        url,
        {
            "contractor": other.pk,
            "low_balance_threshold": "25.00",
            "entries-TOTAL_FORMS": "0",
            "entries-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.contractor == license.holder
    assert account.low_balance_threshold == Decimal("25.00")
    assert trust_balance(account) == Decimal("100.00")
    # A new account still names its business.
    add = superuser_client.get(reverse("admin:payments_trustaccount_add"))
    assert "contractor" in add.context["adminform"].form.fields


# A paid fee's permit and description ---------------------------------------------------------


def test_the_model_refuses_to_change_a_paid_fees_permit_or_description(
    client, payer, license, two_permits
):
    (first, fees), (second, _) = two_permits
    paid(client, license, first)
    fee = Fee.objects.get(pk=fees[0].pk)
    assert fee.status == FeeStatus.PAID
    fee.description = "Something else"
    with pytest.raises(FeeDetailsHeld, match="held by payment"):
        fee.save()
    fee = Fee.objects.get(pk=fees[0].pk)
    fee.permit = second
    with pytest.raises(FeeDetailsHeld):
        fee.save()
    fee = Fee.objects.get(pk=fees[0].pk)
    assert (fee.permit, fee.description) == (first, "Fee 0")
    # Its date assessed is no part of what was paid.
    fee.assessed_on = fee.assessed_on.replace(day=1)
    fee.save()


def test_a_fee_paid_in_the_citys_own_system_keeps_its_description_too():
    fee = FeeFactory(description="Permit Fee")
    fee.move_to(FeeStatus.PAID, note="Paid in the city's system", payment="import")
    fee = Fee.objects.get(pk=fee.pk)
    fee.description = "Changed"
    with pytest.raises(FeeDetailsHeld, match="is paid"):
        fee.save()


def test_a_due_fee_is_still_corrected_freely():
    fee = FeeFactory(description="Plan review")
    other = PermitFactory()
    fee = Fee.objects.get(pk=fee.pk)
    fee.description = "Plan review (corrected)"
    fee.permit = other
    fee.save()
    fee.refresh_from_db()
    assert (fee.description, fee.permit) == ("Plan review (corrected)", other)


def test_a_paid_fees_description_is_read_only_in_admin(client, payer, license, two_permits):
    (first, fees), _ = two_permits
    paid(client, license, first)
    client.force_login(UserFactory(username="clerk", is_staff=True, is_superuser=True))
    url = reverse("admin:permits_fee_change", args=[fees[0].pk])
    page = client.get(url)
    form = page.context["adminform"].form
    assert "description" not in form.fields and "permit" not in form.fields
    # On the permit's page the paid rows' descriptions are disabled; a due one is not.
    permit_page = client.get(reverse("admin:permits_permit_change", args=[first.pk]))
    [fee_rows] = [
        formset.formset
        for formset in permit_page.context["inline_admin_formsets"]
        if formset.formset.model is Fee
    ]
    disabled = {row.instance.pk: row.fields["description"].disabled for row in fee_rows.forms}
    assert disabled == {fees[0].pk: True, fees[1].pk: True}
    due = FeeFactory(permit=first)
    permit_page = client.get(reverse("admin:permits_permit_change", args=[first.pk]))
    [fee_rows] = [
        formset.formset
        for formset in permit_page.context["inline_admin_formsets"]
        if formset.formset.model is Fee
    ]
    assert (
        not next(row for row in fee_rows.forms if row.instance.pk == due.pk)
        .fields["description"]
        .disabled
    )


# The receipt ---------------------------------------------------------------------------------


def test_a_receipt_keeps_showing_what_was_paid(
    client, payer, license, two_permits, django_capture_on_commit_callbacks
):
    (first, fees), (second, _) = two_permits
    payment = paid(client, license, first)
    line = payment.lines.get(fee=fees[0])
    assert (line.description, line.permit_number) == ("Fee 0", first.number)
    # Refunded, the fees are due again and may be corrected: the receipt stays as it was.
    payment_refund(payment=payment, by=UserFactory(is_staff=True))
    fee = Fee.objects.get(pk=fees[0].pk)
    fee.description = "Renamed after the refund"
    fee.permit = second
    fee.save()

    page = client.get(reverse("payments:receipt", args=[payment.receipt_number]))
    assert page.status_code == 200
    assert "Fee 0" in page.text and "Renamed after the refund" not in page.text
    assert f'href="{reverse("permits:detail", args=[first.number])}"' in page.text

    mail.outbox.clear()
    send_receipt(Event.objects.get(type="payment.completed", object_id=payment.pk))
    [email] = mail.outbox
    html = email.alternatives[0][0]
    for body in (email.body, html):
        assert "Fee 0" in body and first.number in body
        assert "Renamed after the refund" not in body and second.number not in body


def test_existing_lines_are_filled_from_their_fees_by_the_migration(
    client, payer, license, two_permits
):
    (first, _), _ = two_permits
    paid(client, license, first)
    PaymentLine.objects.update(description="", permit_number="")
    migration = importlib.import_module("payments.migrations.0004_paymentline_snapshot")
    migration.fill_from_fees(apps, None)
    assert sorted(PaymentLine.objects.values_list("permit_number", "description")) == [
        (first.number, "Fee 0"),
        (first.number, "Fee 1"),
    ]

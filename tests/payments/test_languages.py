"""Payments in the reader's language (issue 25): the cart, checkout, the trust account's pages,
the gateway's page, the receipt and Paid Items carry no word that skipped the catalogue; amounts
come from the money formatter, counts from the catalogue's plurals, and the CSV's header and kinds
are the reader's."""

import uuid

import pytest
from django.urls import reverse

from core.money import format_money
from payments.exceptions import PaymentError
from payments.models import Payment, PaymentStatus, TrustAccount
from payments.services.cart import cart_add_permit
from payments.services.trust import deposit_amount_check
from tests.catalogue_words import not_from_the_catalogue, pseudo_french_active
from tests.factories import contractor_user
from tests.payments.conftest import fund, permit_with_fees

pytestmark = pytest.mark.django_db


@pytest.fixture
def offline(settings):
    settings.STRIPE_SECRET_KEY = ""  # the offline card gateway
    settings.PAYMENT_CARD_FEE_PERCENT = "3.00"
    settings.PAYMENT_ACH_FEE = "1.50"


@pytest.fixture
def manager(client, license):
    user = contractor_user(license, can_manage=True, can_pay=True)
    client.force_login(user)
    return user


def records(license, *permits) -> list[str]:
    data = [license.holder.business_name, "Visa, Mastercard", "CSV"]
    for permit, fees in permits:
        data += [permit.number, permit.address, *(fee.description for fee in fees)]
    return data


def test_the_cart_checkout_and_trust_confirmation_speak_the_catalogue(
    client, manager, license, offline
):
    first = permit_with_fees(license, "100.00", "25.50")
    second = permit_with_fees(license, "40.00")
    fund(license, "500.00")
    data = records(license, first, second)
    with pseudo_french_active():
        client.post(reverse("payments:cart_add_all"))
        cart = client.get(reverse("payments:cart"))
        assert not_from_the_catalogue(cart.text, data) == []
        checkout = client.get(reverse("payments:checkout"))
        assert not_from_the_catalogue(checkout.text, data) == []
        account = next(o for o in checkout.context["options"] if o.method == "trust").accounts[0]
        confirm = client.post(
            reverse("payments:checkout"),
            {"choice": f"trust:{account.account.pk}", "key": str(uuid.uuid4())},
        )
        assert not_from_the_catalogue(confirm.text, data) == []
        # Three fees: the plural the catalogue gives.
        assert "⟦Fees to pay (3 fees)⟧" in confirm.text


def test_a_deposit_its_gateway_receipt_and_paid_items_speak_the_catalogue(
    client, manager, license, offline
):
    fund(license, "100.00")
    data = [*records(license), manager.username, manager.get_full_name()]
    with pseudo_french_active():
        page = client.get(reverse("payments:trust_deposit", args=[license.holder_id]))
        assert not_from_the_catalogue(page.text, data) == []
        started = client.post(
            reverse("payments:trust_deposit", args=[license.holder_id]),
            {"amount": "250.00", "method": "card", "key": str(uuid.uuid4())},
        )
        gateway = client.get(started.url)
        assert not_from_the_catalogue(gateway.text, [*data, "reconcile_payments"]) == []
        receipt = client.post(started.url, {"decision": "approve"}, follow=True)
        payment = Payment.objects.get()
        data.append(payment.receipt_number)
        assert not_from_the_catalogue(receipt.text, data) == []
        paid = client.get(reverse("payments:paid_items"))
        assert not_from_the_catalogue(paid.text, data) == []
        trust = client.get(reverse("payments:trust", args=[license.holder_id]))
        # The ledger's references are stored as written (data, not the catalogue's).
        references = [entry.reference for entry in payment.deposit_to.entries.all()]
        assert not_from_the_catalogue(trust.text, data + references) == []


def test_a_payment_still_processing_is_said_in_the_catalogues_words(
    client, manager, license, offline
):
    data = records(license)
    with pseudo_french_active():
        started = client.post(
            reverse("payments:trust_deposit", args=[license.holder_id]),
            {"amount": "250.00", "method": "ach", "key": str(uuid.uuid4())},
        )
        status = client.post(started.url, {"decision": "process"}, follow=True)
        assert Payment.objects.get().status == PaymentStatus.PROCESSING
        assert not_from_the_catalogue(status.text, data) == []


def test_counts_and_amounts_in_messages_come_from_the_catalogue(client, manager, license):
    permits = [permit_with_fees(license, "10.00") for _n in range(2)]
    with pseudo_french_active():
        added = client.post(reverse("payments:cart_add_all"), follow=True)
        assert "⟦⟦Every fee due on 2 permits is in your cart⟧ (⟦2 fees added⟧).⟧" in added.text, (
            added.text
        )
        with pytest.raises(PaymentError) as refused:
            deposit_amount_check(TrustAccount.DEPOSIT_MAXIMUM * 2)
        # The amount as the reader's language writes it (French: 50 000,00 $).
        limit = format_money(TrustAccount.DEPOSIT_MAXIMUM)
        assert limit != "$50,000.00"
        assert str(refused.value) == (
            f"⟦A deposit online is at most {limit}; make a larger one at the permit office.⟧"
        )
        permit, _fees = permits[0]
        assert cart_add_permit(user=manager, permit=permit) == 0


def test_the_trust_csv_header_and_kinds_are_the_readers(client, manager, license):
    fund(license, "100.00")
    with pseudo_french_active():
        response = client.get(reverse("payments:trust_csv", args=[license.holder_id]))
        text = b"".join(response.streaming_content).decode()
    header, row = text.splitlines()[:2]
    assert header == "⟦Date⟧,⟦Kind⟧,⟦Reference⟧,⟦Receipt⟧,⟦Amount⟧,⟦Balance⟧"
    assert ",⟦Deposit⟧,Check 1001," in row

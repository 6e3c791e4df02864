"""Nothing lost, nothing doubled: on PostgreSQL, with threads doing at once what people and
Stripe do at once."""

import random
import time
import uuid
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from payments.exceptions import PaymentError
from payments.models import CartLine, Payment, PaymentStatus, StripeEvent, TrustEntry
from payments.selectors import trust_balance
from payments.services import checkout
from payments.services import trust as trust_services
from payments.services.trust import trust_pay
from permits.models import FeeStatus
from tests.factories import contractor_user
from tests.payments.conftest import fund, permit_with_fees
from tests.payments.fake_stripe import FAKE, event, sign
from tests.threads import hold, run_at_once


@pytest.fixture
def twenty_payers(license):
    """20 colleagues with the Pay role, each with a $100 fee in their cart, and a trust account
    holding $500: enough for five."""
    account = fund(license, "500.00")
    payers = []
    for n in range(20):
        user = contractor_user(license, username=f"payer{n}", can_pay=True)
        _, fees = permit_with_fees(license, "100.00")
        CartLine.objects.create(user=user, fee=fees[0])
        payers.append(user)
    return account, payers


def pay_all(account, payers) -> list:
    def work(index: int):
        user = type(payers[index]).objects.get(pk=payers[index].pk)
        return trust_pay(user=user, account=account, key=uuid.uuid4())

    return run_at_once(len(payers), work)


@pytest.fixture
def slow_balance(monkeypatch):
    """Widen the window between reading the balance and writing the entry, as a busy server
    would, so a missing lock shows."""
    real = trust_services.trust_balance

    def slow(account):
        balance = real(account)
        time.sleep(0.05)
        return balance

    monkeypatch.setattr(trust_services, "trust_balance", slow)


@pytest.mark.usefixtures("slow_balance")
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_trust_payments_at_once_against_five_payments_of_balance(twenty_payers):
    account, payers = twenty_payers
    results = pay_all(account, payers)
    paid = [result for result in results if isinstance(result, Payment)]
    refused = [result for result in results if isinstance(result, PaymentError)]
    assert len(paid) == 5 and len(refused) == 15, results
    assert trust_balance(account) == Decimal("0.00")
    assert TrustEntry.objects.filter(kind="payment").count() == 5


@pytest.mark.usefixtures("slow_balance")
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_control_without_the_account_lock_the_balance_goes_negative(twenty_payers, monkeypatch):
    """The same run with the row lock taken out: more than five get through. This is what the
    lock in trust_pay prevents."""
    from payments.models import TrustAccount

    monkeypatch.setattr(
        trust_services, "lock_trust_account", lambda pk: TrustAccount.objects.get(pk=pk)
    )
    account, payers = twenty_payers
    results = pay_all(account, payers)
    paid = [result for result in results if isinstance(result, Payment)]
    assert len(paid) > 5
    assert trust_balance(account) < 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_clicked_pay_makes_one_payment(license):
    user = contractor_user(license, can_pay=True)
    permit, _ = permit_with_fees(license, "80.00")
    account = fund(license, "500.00")
    client = Client()
    client.force_login(user)
    client.post(reverse("payments:cart_add", args=[permit.number]))
    key = str(uuid.uuid4())
    session_cookie = client.cookies

    def click(_):
        browser = Client()
        browser.cookies = session_cookie
        return browser.post(
            reverse("payments:checkout"),
            {"choice": f"trust:{account.pk}", "confirmed": "True", "key": key},
        ).status_code

    results = run_at_once(2, click)
    assert all(code == 302 for code in results), results
    assert Payment.objects.count() == 1
    assert trust_balance(account) == Decimal("420.00")
    # And a third click later finds the same payment.
    client.post(
        reverse("payments:checkout"),
        {"choice": f"trust:{account.pk}", "confirmed": "True", "key": key},
    )
    assert Payment.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_clicked_card_pay_goes_to_the_one_payment(license, settings, monkeypatch):
    """The second click waits for the first one's fee locks, then finds its payment: both go
    to the same hosted page, and nobody sees an error page."""
    settings.STRIPE_SECRET_KEY = ""  # the offline card gateway
    user = contractor_user(license, can_pay=True)
    permit, _ = permit_with_fees(license, "80.00", "10.00")
    client = Client()
    client.force_login(user)
    client.post(reverse("payments:cart_add", args=[permit.number]))
    key = str(uuid.uuid4())
    # The first click holds the fees while the second arrives.
    hold(monkeypatch, checkout, "lock_due_fees")

    def click(_):
        browser = Client(raise_request_exception=False)
        browser.cookies = client.cookies
        response = browser.post(reverse("payments:checkout"), {"choice": "card:", "key": key})
        return response.status_code, response.get("Location")

    results = run_at_once(2, click)
    payment = Payment.objects.get()
    hosted = reverse("payments:offline", args=[payment.pk])
    assert results == [(302, hosted), (302, hosted)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_webhook_five_times_at_once_and_out_of_order_confirms_once(license, stripe_on):
    user = contractor_user(license, can_pay=True)
    permit, fees = permit_with_fees(license, "100.00", "50.00")
    client = Client()
    client.force_login(user)
    client.post(reverse("payments:cart_add", args=[permit.number]))
    client.post(reverse("payments:checkout"), {"choice": "card:", "key": str(uuid.uuid4())})
    payment = Payment.objects.get()
    session = FAKE.pay(payment.stripe_session_id)
    completed = event("checkout.session.completed", session, event_id="evt_completed")
    deliveries = [completed] * 5 + [
        event("checkout.session.async_payment_succeeded", session, event_id="evt_async_ok"),
        event("checkout.session.expired", session, event_id="evt_expired_stale"),
    ]
    random.Random(7).shuffle(deliveries)
    mail.outbox.clear()

    def deliver(index: int) -> int:
        payload = deliveries[index]
        return (
            Client()
            .post(
                reverse("payments:stripe_webhook"),
                payload,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=sign(payload),
            )
            .status_code
        )

    results = run_at_once(len(deliveries), deliver)
    assert results == [200] * len(deliveries)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CONFIRMED
    assert StripeEvent.objects.filter(event_id="evt_completed").count() == 1
    assert len([m for m in mail.outbox if payment.receipt_number in m.subject]) == 1
    assert all(fee.status == FeeStatus.PAID for fee in type(fees[0]).objects.filter(permit=permit))
    assert payment.lines.filter(live=True).count() == 2


@pytest.mark.django_db
def test_paying_a_fee_already_paid_is_refused(license):
    payer = contractor_user(license, can_pay=True)
    colleague = contractor_user(license, can_pay=True)
    _, fees = permit_with_fees(license, "30.00")
    account = fund(license, "100.00")
    CartLine.objects.create(user=payer, fee=fees[0])
    CartLine.objects.create(user=colleague, fee=fees[0])
    trust_pay(user=colleague, account=account, key=uuid.uuid4())
    with pytest.raises(PaymentError, match=r"^Your cart is empty\.$"):
        trust_pay(user=payer, account=account, key=uuid.uuid4())
    with pytest.raises(PaymentError, match="already paid"):
        checkout.lock_due_fees([fees[0].pk])
    assert trust_balance(account) == Decimal("70.00")

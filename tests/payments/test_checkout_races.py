"""A fee is never paid twice by card (issue 12, finding 2); and if, despite all, Stripe takes
money for a payment already released here, staff can refund it."""

import time
import uuid
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from payments.models import Payment, PaymentStatus
from payments.services.confirm import payment_release
from permits.models import Fee, FeeStatus
from tests.factories import contractor_user
from tests.payments.conftest import permit_with_fees
from tests.payments.fake_stripe import FAKE, event, sign

CHECKOUT = reverse("payments:checkout")
WEBHOOK = reverse("payments:stripe_webhook")


@pytest.fixture
def tabs(license, stripe_on):
    """A payer with two fees in the cart, signed in once: every Client made by `tab()` is a tab
    of the same browser."""
    user = contractor_user(license, can_pay=True)
    permit, fees = permit_with_fees(license, "80.00", "10.00")
    browser = Client()
    browser.force_login(user)
    browser.post(reverse("payments:cart_add", args=[permit.number]))

    def tab() -> Client:
        opened = Client(raise_request_exception=False)
        opened.cookies = browser.cookies
        return opened

    return tab, fees


def click_pay(tab: Client, *, after: float = 0.0) -> tuple[str, str]:
    """A Pay click on a Checkout Summary opened earlier (its own key): where the tab goes, and
    what the portal's page then says (empty when it went to Stripe)."""
    time.sleep(after)
    response = tab.post(CHECKOUT, {"choice": "card:", "key": str(uuid.uuid4())})
    assert response.status_code == 302, response.status_code
    location = response["Location"]
    if location.startswith("https://checkout.stripe.test/"):
        return location, ""
    return location, tab.get(location, follow=True).text


def deliver(kind: str, session: dict) -> int:
    payload = event(kind, session)
    return (
        Client()
        .post(
            WEBHOOK, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(payload)
        )
        .status_code
    )


def pay_wherever_payable(locations: list[str]) -> list[str]:
    """The payer pays on every Stripe page a tab was sent to that Stripe still takes payment on
    (what a person with two tabs open does), and Stripe sends its webhooks."""
    paid = []
    for location in locations:
        session_id = location.rsplit("/", 1)[-1]
        if location.startswith("https://checkout.stripe.test/") and (
            FAKE.session(session_id)["status"] == "open"
        ):
            FAKE.pay(session_id)
            assert deliver("checkout.session.completed", FAKE.sessions[session_id]) == 200
            paid.append(session_id)
    return paid


@pytest.mark.django_db(transaction=True)
def test_a_payment_reported_paid_after_it_was_released_is_flagged_and_refunded_by_staff(
    tabs, client
):
    """If, despite all, Stripe takes money for a payment already released here (and its fees
    paid by another payment), the payment says so for staff, and the refund action accepts it:
    it holds money. The refund leaves the fees the other payment paid as they are."""
    tab, fees = tabs
    first, _ = click_pay(tab())
    released = Payment.objects.get()
    # The way the portal used to release it: without asking Stripe to close its session.
    payment_release(payment_id=released.pk, status=PaymentStatus.EXPIRED, reason="a newer tab")
    second, _ = click_pay(tab())
    assert pay_wherever_payable([first, second]) == [
        first.rsplit("/", 1)[-1],
        second.rsplit("/", 1)[-1],
    ]
    released.refresh_from_db()
    assert released.status == PaymentStatus.EXPIRED
    assert "refunding" in released.needs_review
    assert released.stripe_payment_intent == f"pi_{released.stripe_session_id}"
    staff = get_user_model().objects.create_user(
        "chief", "chief@city.example", "x" * 20, is_staff=True, is_superuser=True
    )
    client.force_login(staff)
    response = client.post(
        reverse("admin:payments_payment_changelist"),
        {"action": "refund", "_selected_action": [released.pk], "fees_become": "due"},
        follow=True,
    )
    assert f"{released} refunded." in response.text
    released.refresh_from_db()
    assert released.status == PaymentStatus.REFUNDED and released.refunded_by == staff
    assert FAKE.refunds == [
        {
            "id": FAKE.refunds[0]["id"],
            "object": "refund",
            "status": "succeeded",
            "amount": 9270,
            "payment_intent": released.stripe_payment_intent,
        }
    ]
    # The fees stay paid by the payment that paid them.
    for fee in Fee.objects.filter(pk__in=[fee.pk for fee in fees]):
        assert fee.status == FeeStatus.PAID
    assert Payment.objects.get(status=PaymentStatus.CONFIRMED).total == Decimal("92.70")

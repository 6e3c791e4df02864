"""A fee is never paid twice by card, however two tabs, a slow Stripe, a webhook and
reconciliation interleave (issue 12, finding 2). Threads on PostgreSQL do at once what two tabs
do; the fake Stripe is slowed down to open the window a slow Stripe opens."""

import time
import uuid
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from payments.models import Payment, PaymentStatus
from payments.providers.stripe_checkout import StripeCheckoutProvider
from payments.services.confirm import payment_release
from permits.models import Fee, FeeStatus
from tests.factories import contractor_user
from tests.payments.conftest import permit_with_fees
from tests.payments.fake_stripe import FAKE, event, sign
from tests.threads import run_at_once

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


def click_pay(tab: Client, *, after: float = 0.0, key: str = "") -> tuple[str, str]:
    """A Pay click on a Checkout Summary opened earlier (its own key, unless the same form is
    clicked twice): where the tab goes, and what the portal's page then says (empty when it went
    to Stripe)."""
    time.sleep(after)
    response = tab.post(CHECKOUT, {"choice": "card:", "key": key or str(uuid.uuid4())})
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


def assert_paid_once(fees: list[Fee], paid_sessions: list[str]) -> None:
    assert len(paid_sessions) == 1, f"charged {len(paid_sessions)} times: {paid_sessions}"
    for fee in Fee.objects.filter(pk__in=[fee.pk for fee in fees]):
        assert fee.status == FeeStatus.PAID
        assert fee.payment_lines.filter(payment__status=PaymentStatus.CONFIRMED).count() == 1
    assert not Payment.objects.exclude(needs_review="").exists()


def assert_no_payable_session_of_a_closed_payment() -> None:
    """Every session Stripe would still take money on belongs to a payment still open here."""
    for session in FAKE.payable_sessions():
        payment = Payment.objects.get(pk=session["client_reference_id"])
        assert payment.status == PaymentStatus.CREATED, (payment.status, session["id"])
        assert payment.stripe_session_id == session["id"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_tabs_pay_while_stripe_makes_the_first_session_and_the_second_reads_it_late(
    tabs, monkeypatch
):
    """Finding 2 as reported: the second tab read the payer's open payments while Stripe was
    still making the first tab's session, and released that payment a moment later, after the
    first tab had recorded its session and sent the payer there. Both sessions stayed payable
    and both were paid."""
    tab, fees = tabs
    FAKE.slow("create", 1.0)
    real_cancel = StripeCheckoutProvider.cancel

    def busy_server_cancel(self, payment, *, reason):
        time.sleep(1.2)  # the older payments were read; the server gets to them a moment later
        return real_cancel(self, payment, reason=reason)

    monkeypatch.setattr(StripeCheckoutProvider, "cancel", busy_server_cancel)
    results = run_at_once(2, lambda n: click_pay(tab(), after=0.3 * n))
    FAKE.finish_late_work()
    assert not [result for result in results if isinstance(result, Exception)], results
    assert_no_payable_session_of_a_closed_payment()
    paid = pay_wherever_payable([location for location, _ in results])
    assert_paid_once(fees, paid)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_second_tab_while_the_first_tabs_session_is_being_made_is_told_to_wait(tabs):
    """The first tab's payment has no session yet (Stripe is making it): the second tab does not
    release it (its session may be payable in a moment) and says a payment is under way; the
    first tab goes to Stripe and is paid once."""
    tab, fees = tabs
    FAKE.slow("create", 1.5)
    (first, first_page), (second, second_page) = run_at_once(
        2, lambda n: click_pay(tab(), after=0.3 * n)
    )
    assert first.startswith("https://checkout.stripe.test/"), first_page
    assert second == CHECKOUT
    assert "A payment of these fees is being started in another tab or window" in second_page
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.CREATED and first.endswith(payment.stripe_session_id)
    assert len(FAKE.sessions) == 1
    assert_paid_once(fees, pay_wherever_payable([first, second]))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_clicked_pay_while_stripe_makes_the_session_goes_to_that_one_session(tabs):
    """The second click of the same form finds the first click's payment while Stripe is still
    making its session: it says a payment is under way and leaves the payment to the first
    click, which goes to Stripe (asking Stripe with the same key meanwhile gets a 409, which
    failed the payment while its session was being made)."""
    tab, fees = tabs
    FAKE.slow("create", 1.5)
    key = str(uuid.uuid4())
    (first, first_page), (second, second_page) = run_at_once(
        2, lambda n: click_pay(tab(), after=0.3 * n, key=key)
    )
    assert first.startswith("https://checkout.stripe.test/"), first_page
    assert "A payment of these fees is being started in another tab or window" in second_page
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.CREATED and first.endswith(payment.stripe_session_id)
    assert_no_payable_session_of_a_closed_payment()
    assert_paid_once(fees, pay_wherever_payable([first, second]))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_reconciliation_while_the_first_session_is_being_made_leaves_the_payment_alone(
    tabs, monkeypatch
):
    """Reconciliation (here with no minimum age) runs while Stripe makes the session, and again
    once Stripe has made it but before the tab has recorded it: neither run releases the
    payment or expires its session."""
    from payments.providers import stripe_checkout

    tab, fees = tabs
    FAKE.slow("create", 1.0)
    real_record = stripe_checkout._record_session

    def slow_record(*args, **kwargs):
        time.sleep(1.0)
        return real_record(*args, **kwargs)

    monkeypatch.setattr(stripe_checkout, "_record_session", slow_record)

    def work(n: int):
        if n == 0:
            return click_pay(tab())
        time.sleep(0.3)
        call_command("reconcile_payments", "--older-than", "0")
        time.sleep(1.0)  # Stripe has made the session; the tab is still to record it
        call_command("reconcile_payments", "--older-than", "0")
        return None

    (location, page), _ = run_at_once(2, work)
    assert location.startswith("https://checkout.stripe.test/"), page
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.CREATED
    assert FAKE.sessions[payment.stripe_session_id]["status"] == "open"
    assert_paid_once(fees, pay_wherever_payable([location]))


@pytest.mark.django_db(transaction=True)
def test_the_payer_finishes_and_the_webhook_lands_while_another_tab_closes_the_session(tabs):
    """The second tab asks Stripe to expire the first tab's session; just before it does, the
    payer finishes in the first tab and the webhook confirms. The expiry is refused, the second
    tab settles the first payment as Stripe has it and pays nothing more."""
    tab, fees = tabs
    first, _ = click_pay(tab())
    session_id = first.rsplit("/", 1)[-1]

    def payer_finishes_first(params):
        FAKE.pay(session_id)
        assert deliver("checkout.session.completed", FAKE.sessions[session_id]) == 200

    FAKE.when("expire", payer_finishes_first)
    second, page = click_pay(tab())
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.CONFIRMED
    assert f"Your earlier payment of $92.70 went through: receipt {payment.receipt_number}" in page
    assert second == CHECKOUT and Payment.objects.count() == 1
    assert_paid_once(fees, [session_id])


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

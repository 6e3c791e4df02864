"""A slow Stripe (issue 12, finding 10): every call gives up well before the web server's
timeout and the payer is told so, and every Checkout Session expires at Stripe within the
hour."""

import datetime
import socket
import threading
import time
import uuid

import pytest
from django.core.management import call_command
from django.urls import reverse

from payments import stripe_gateway
from payments.exceptions import GatewayError
from payments.models import Payment, PaymentStatus
from permits.models import Fee, FeeStatus
from tests.payments.fake_stripe import FAKE, event, sign

pytestmark = pytest.mark.django_db

CHECKOUT = reverse("payments:checkout")


@pytest.fixture
def short_timeouts(settings):
    """The production relation at a test's scale: each call gives up after 0.3 s, once retried."""
    settings.STRIPE_TIMEOUT_SECONDS = 0.3
    settings.STRIPE_MAX_NETWORK_RETRIES = 1


@pytest.fixture
def cart(client, payer, two_permits):
    (first, fees), _ = two_permits
    client.post(reverse("payments:cart_add", args=[first.number]))
    return fees


def pay(client, **kwargs):
    return client.post(CHECKOUT, {"choice": "card:", "key": str(uuid.uuid4())}, **kwargs)


def deliver(client, kind: str, session: dict):
    payload = event(kind, session)
    return client.post(
        reverse("payments:stripe_webhook"),
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload),
    )


def time_passes(payment: Payment, minutes: int) -> None:
    """Move the payment and its sessions at Stripe `minutes` into the past."""
    Payment.objects.filter(pk=payment.pk).update(
        created_at=payment.created_at - datetime.timedelta(minutes=minutes)
    )
    for session in FAKE.sessions.values():
        if session["client_reference_id"] == str(payment.pk):
            session["created"] -= minutes * 60
            session["expires_at"] -= minutes * 60


def fees_payable_again(client, fees: list[Fee]) -> bool:
    cart = client.get(reverse("payments:cart")).context["cart"]
    return {fee.pk for fee in cart.fees} == {fee.pk for fee in fees} and {
        fee.status for fee in Fee.objects.filter(pk__in=[fee.pk for fee in fees])
    } == {FeeStatus.DUE}


# The timeout ------------------------------------------------------------------------------------


@pytest.mark.usefixtures("short_timeouts")
def test_a_stripe_slower_than_the_timeout_is_a_clear_message_not_a_killed_worker(
    client, stripe_on, cart
):
    """Stripe takes 3 s to make the session (35 s in the reported run, past gunicorn's 30 s):
    the portal gives up after its timeout and one retry with the same idempotency key, and the
    payer reads what happened, with the fees free to pay again."""
    FAKE.slow("create", 3.0)
    started = time.monotonic()
    response = pay(client, follow=True)
    elapsed = time.monotonic() - started
    assert elapsed < 2.0, elapsed
    assert "The card service did not answer; nothing was charged. Try again" in response.text
    creates = [path for method, path, _ in FAKE.requests if path == "/v1/checkout/sessions"]
    assert len(creates) == 2  # the call and one retry
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.FAILED
    assert fees_payable_again(client, cart)


def test_the_real_stripe_client_gives_up_after_the_timeout(settings, stripe_on, monkeypatch):
    """Not the fake: the HTTP client the portal uses in production, against a server on the
    loopback that accepts the connection and never answers."""
    settings.STRIPE_HTTP_CLIENT = ""
    settings.STRIPE_TIMEOUT_SECONDS = 0.3
    settings.STRIPE_MAX_NETWORK_RETRIES = 1
    listener = socket.create_server(("127.0.0.1", 0))
    connections: list[socket.socket] = []

    def accept() -> None:
        listener.settimeout(6)
        try:
            while True:
                connection, _ = listener.accept()
                connections.append(connection)  # never answered; hung up after 3 s
                threading.Timer(3, connection.close).start()
        except OSError:
            return

    threading.Thread(target=accept, daemon=True).start()
    monkeypatch.setattr(
        "stripe._stripe_client.DEFAULT_API_BASE",
        f"http://127.0.0.1:{listener.getsockname()[1]}",
    )
    started = time.monotonic()
    with pytest.raises(GatewayError):
        stripe_gateway.retrieve_session("cs_test_silent")
    elapsed = time.monotonic() - started
    listener.close()
    for connection in connections:
        connection.close()
    assert elapsed < 2.5, elapsed
    assert len(connections) == 2  # the call and one retry


def test_the_stripe_calls_of_a_request_fit_well_inside_the_web_timeout(settings):
    """Each call's worst case (every attempt timing out, with Stripe's back-off between) stays
    well under gunicorn's default 30 s, with the settings' defaults."""
    from portal.settings import base

    settings.STRIPE_TIMEOUT_SECONDS = base.STRIPE_TIMEOUT_SECONDS
    settings.STRIPE_MAX_NETWORK_RETRIES = base.STRIPE_MAX_NETWORK_RETRIES
    assert stripe_gateway.call_deadline() <= datetime.timedelta(seconds=25)


# Sessions expire at Stripe within the hour ------------------------------------------------------


def test_a_checkout_session_expires_at_stripe_35_minutes_after_its_payment(client, stripe_on, cart):
    pay(client)
    payment = Payment.objects.get()
    session = FAKE.sessions[payment.stripe_session_id]
    assert session["expires_at"] == int(
        (payment.created_at + datetime.timedelta(minutes=35)).timestamp()
    )
    # Stripe's own clock: an hour on, the session takes no payment, and reconciliation frees
    # the fees.
    time_passes(payment, 60)
    assert FAKE.session(payment.stripe_session_id)["status"] == "expired"
    call_command("reconcile_payments")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.EXPIRED
    assert fees_payable_again(client, cart)


def test_a_second_request_with_the_same_key_replays_the_same_session(client, stripe_on, cart):
    """The session's parameters are the payment's (its expiry too), so a second click of the
    same form that reaches Stripe gets the first click's session, never an idempotency error."""
    from payments.providers.registry import provider_for

    key = str(uuid.uuid4())
    client.post(CHECKOUT, {"choice": "card:", "key": key})
    payment = Payment.objects.get()
    time.sleep(1.1)  # a later second, as a second click's clock reads
    session = stripe_gateway.create_checkout_session(
        payment=payment,
        success_url=FAKE.sessions[payment.stripe_session_id]["success_url"],
        cancel_url="http://testserver" + CHECKOUT,
    )
    assert session["id"] == payment.stripe_session_id and len(FAKE.sessions) == 1
    assert provider_for(payment).reference(payment) == session["id"]

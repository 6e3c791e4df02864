"""Payments as providers: the registry, refunds dispatched to each provider, the offline
gateway's processing state, and no Stripe call while a database transaction is open."""

import ast
import datetime
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse

from payments import stripe_gateway
from payments.flows import payment_refund
from payments.models import EntryKind, Payment, PaymentMethod, PaymentStatus, TrustEntry
from payments.providers.offline import OfflineGatewayProvider
from payments.providers.stripe_checkout import StripeCardProvider, StripeECheckProvider
from payments.providers.trust import TrustAccountProvider
from payments.registry import provider_for, provider_for_method
from payments.selectors import cart_for, trust_balance
from permits.models import Fee, FeeStatus
from tests.factories import UserFactory, contractor_user
from tests.payments.conftest import fund, permit_with_fees
from tests.payments.fake_stripe import FAKE, event, sign

CHECKOUT = reverse("payments:checkout")
WEBHOOK = reverse("payments:stripe_webhook")


def add_and_pay(client, permit, choice: str, *, follow: bool = False):
    client.post(reverse("payments:cart_add", args=[permit.number]))
    return client.post(
        CHECKOUT,
        {"choice": choice, "confirmed": "True", "key": str(uuid.uuid4())},
        follow=follow,
    )


def deliver(client, kind: str, session: dict, **kwargs):
    payload = event(kind, session, **kwargs)
    return client.post(
        WEBHOOK, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(payload)
    )


def staff():
    return UserFactory(username="chief", is_staff=True, is_superuser=True)


# The registry -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "method", "expected"),
    [
        ("stripe", PaymentMethod.CARD, StripeCardProvider),
        ("stripe", PaymentMethod.ACH, StripeECheckProvider),
        ("offline", PaymentMethod.CARD, OfflineGatewayProvider),
        ("offline", PaymentMethod.ACH, OfflineGatewayProvider),
        ("trust", PaymentMethod.TRUST, TrustAccountProvider),
    ],
)
def test_a_stored_payment_finds_its_provider(provider, method, expected):
    assert type(provider_for(Payment(provider=provider, method=method))) is expected


def test_new_payments_go_to_stripe_with_keys_and_to_the_offline_gateway_without(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_portal_fake"
    assert type(provider_for_method(PaymentMethod.CARD)) is StripeCardProvider
    assert type(provider_for_method(PaymentMethod.ACH)) is StripeECheckProvider
    settings.STRIPE_SECRET_KEY = ""
    assert type(provider_for_method(PaymentMethod.CARD)) is OfflineGatewayProvider
    assert type(provider_for_method(PaymentMethod.TRUST)) is TrustAccountProvider


PAYMENTS = Path(__file__).resolve().parents[2] / "payments"


def provider_name_comparisons(path: Path) -> list[str]:
    """`provider == "stripe"`, `payment.provider != "offline"`, `filter(provider="stripe")`."""

    def names_provider(node: ast.AST) -> bool:
        return (isinstance(node, ast.Attribute) and node.attr == "provider") or (
            isinstance(node, ast.Name) and node.id == "provider"
        )

    def is_text(node: ast.AST) -> bool:
        return isinstance(node, ast.Constant) and isinstance(node.value, str)

    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(map(names_provider, sides)) and any(map(is_text, sides)):
                found.append(f"{path.name}:{node.lineno}")
        if (
            isinstance(node, ast.keyword)
            and (node.arg or "").startswith("provider")
            and is_text(node.value)
        ):
            found.append(f"{path.name}:{node.value.lineno}")
    return found


def test_no_service_view_or_admin_compares_a_provider_name():
    """They ask the registry for the payment's provider and call it."""
    modules = [
        *sorted((PAYMENTS / "services").glob("*.py")),
        PAYMENTS / "views.py",
        PAYMENTS / "admin.py",
        PAYMENTS / "selectors.py",
        PAYMENTS / "tasks.py",
        *sorted((PAYMENTS / "management" / "commands").glob("*.py")),
    ]
    assert len(modules) > 8
    assert [hit for path in modules for hit in provider_name_comparisons(path)] == []


# Refunds go to the payment's provider -----------------------------------------------------------


def paid_by_stripe_card(client, license, request) -> Payment:
    request.getfixturevalue("stripe_on")
    permit, _ = permit_with_fees(license, "100.00")
    add_and_pay(client, permit, "card:")
    payment = Payment.objects.get()
    deliver(client, "checkout.session.completed", FAKE.pay(payment.stripe_session_id))
    return payment


def paid_by_stripe_echeck(client, license, request) -> Payment:
    request.getfixturevalue("stripe_on")
    permit, _ = permit_with_fees(license, "100.00")
    add_and_pay(client, permit, "ach:")
    payment = Payment.objects.get()
    FAKE.pay(payment.stripe_session_id, async_method=True)
    FAKE.settle_async(payment.stripe_session_id, succeeded=True)
    client.get(reverse("payments:return", args=[payment.pk]))  # the return page asks Stripe
    return payment


def paid_at_the_offline_gateway(client, license, request) -> Payment:
    permit, _ = permit_with_fees(license, "100.00")
    page = add_and_pay(client, permit, "card:")
    client.post(page.url, {"decision": "approve"})
    return Payment.objects.get()


def paid_from_the_trust_account(client, license, request) -> Payment:
    permit, _ = permit_with_fees(license, "100.00")
    add_and_pay(client, permit, f"trust:{fund(license, '300.00').pk}")
    return Payment.objects.get()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("pay", "to_stripe", "to_ledger"),
    [
        (paid_by_stripe_card, True, False),
        (paid_by_stripe_echeck, True, False),
        (paid_at_the_offline_gateway, False, False),
        (paid_from_the_trust_account, False, True),
    ],
    ids=["stripe card", "stripe e-check", "offline gateway", "trust account"],
)
def test_a_refund_goes_back_the_way_the_money_came(
    client, payer, license, request, pay, to_stripe, to_ledger
):
    payment = pay(client, license, request)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CONFIRMED
    FAKE.requests.clear()
    refunded = payment_refund(payment=payment, by=staff())
    assert refunded.status == PaymentStatus.REFUNDED and refunded.refunded_by is not None
    stripe_refunds = [params for _, path, params in FAKE.requests if path == "/v1/refunds"]
    if to_stripe:
        assert stripe_refunds == [
            {"payment_intent": payment.stripe_payment_intent, "amount": str(payment.amount_cents)}
        ]
    else:
        assert stripe_refunds == []
    credits = TrustEntry.objects.filter(kind=EntryKind.REFUND, payment=payment)
    if to_ledger:
        assert [entry.amount for entry in credits] == [payment.total]
        assert trust_balance(payment.trust_account) == Decimal("300.00")
    else:
        assert not credits.exists()
    assert {line.live for line in payment.lines.all()} == {False}
    assert {fee.status for fee in Fee.objects.filter(payment_lines__payment=payment)} == {
        FeeStatus.DUE
    }


# The offline gateway's processing state ---------------------------------------------------------


@pytest.fixture
def processing(client, payer, license):
    """An e-check left processing at the offline gateway, as a bank debit that settles later."""
    permit, fees = permit_with_fees(license, "100.00", "20.00")
    page = add_and_pay(client, permit, "ach:")
    assert "Leave processing" in client.get(page.url).text
    response = client.post(page.url, {"decision": "process"}, follow=True)
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.PROCESSING
    assert "is processing" in response.text and "A bank debit can take" in response.text
    return payment, fees


@pytest.mark.django_db
def test_a_processing_payment_holds_its_fees_until_reconciliation_clears_it(
    client, payer, processing, capsys
):
    payment, fees = processing
    assert {fee.status for fee in Fee.objects.filter(pk__in=[f.pk for f in fees])} == {
        FeeStatus.DUE
    }
    assert cart_for(payer).fees == []  # held by the payment, not payable again meanwhile
    # A young one is left alone: the return page and reconciliation find it still processing.
    client.get(reverse("payments:return", args=[payment.pk]))
    call_command("reconcile_payments", "--older-than", "0")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PROCESSING
    assert "processing: 1" in capsys.readouterr().out
    # Past the imitation bank's clearing time, reconciliation finishes it.
    Payment.objects.filter(pk=payment.pk).update(
        created_at=payment.created_at
        - OfflineGatewayProvider.CLEARS_AFTER
        - datetime.timedelta(minutes=1)
    )
    call_command("reconcile_payments")
    assert "confirmed: 1" in capsys.readouterr().out
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CONFIRMED and payment.receipt_number
    assert {fee.status for fee in Fee.objects.filter(pk__in=[f.pk for f in fees])} == {
        FeeStatus.PAID
    }
    response = client.get(reverse("payments:return", args=[payment.pk]))
    assert response.url == reverse("payments:receipt", args=[payment.receipt_number])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "status", "fee_status"),
    [
        ("settle_cleared", PaymentStatus.CONFIRMED, FeeStatus.PAID),
        ("settle_failed", PaymentStatus.FAILED, FeeStatus.DUE),
    ],
)
def test_staff_settle_a_processing_offline_payment_in_admin(
    client, processing, action, status, fee_status
):
    payment, fees = processing
    client.force_login(staff())
    response = client.post(
        reverse("admin:payments_payment_changelist"),
        {"action": action, "_selected_action": [payment.pk]},
        follow=True,
    )
    assert "settled" in response.text
    payment.refresh_from_db()
    assert payment.status == status
    assert {fee.status for fee in Fee.objects.filter(pk__in=[f.pk for f in fees])} == {fee_status}
    assert payment.lines.filter(live=True).exists() == (status == PaymentStatus.CONFIRMED)
    # Settled once: settling again is refused with a word, not done twice.
    again = client.post(
        reverse("admin:payments_payment_changelist"),
        {"action": action, "_selected_action": [payment.pk]},
        follow=True,
    )
    assert "only a processing one is settled" in again.text


@pytest.mark.django_db
def test_a_stripe_payment_is_not_settled_by_hand(client, payer, license, stripe_on):
    permit, _ = permit_with_fees(license, "100.00")
    add_and_pay(client, permit, "ach:")
    payment = Payment.objects.get()
    deliver(
        client,
        "checkout.session.completed",
        FAKE.pay(payment.stripe_session_id, async_method=True),
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PROCESSING
    client.force_login(staff())
    response = client.post(
        reverse("admin:payments_payment_changelist"),
        {"action": "settle_cleared", "_selected_action": [payment.pk]},
        follow=True,
    )
    assert "settled by the gateway, not by hand" in response.text
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PROCESSING


@pytest.mark.django_db
def test_the_offline_gateway_decides_once(client, payer, license):
    permit, _ = permit_with_fees(license, "100.00")
    page = add_and_pay(client, permit, "card:")
    client.post(page.url, {"decision": "decline"})
    client.post(page.url, {"decision": "approve"})  # a second tab, after the decline
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.FAILED and not payment.receipt_number
    assert client.post(page.url, {"decision": "nonsense"}).status_code == 200


@pytest.mark.django_db
def test_a_session_made_for_a_payment_closed_meanwhile_is_expired_at_stripe(
    client, payer, license, stripe_on, monkeypatch
):
    """While Stripe was making the session (no lock held), another tab's checkout closed the
    payment: the session is recorded on it and expired, so nobody can pay a closed payment."""
    from payments.services.confirm import payment_release

    real = stripe_gateway.create_checkout_session

    def slow_create(*, payment, **kwargs):
        session = real(payment=payment, **kwargs)
        payment_release(payment_id=payment.pk, status=PaymentStatus.EXPIRED, reason="other tab")
        return session

    monkeypatch.setattr(stripe_gateway, "create_checkout_session", slow_create)
    permit, _ = permit_with_fees(license, "100.00")
    response = add_and_pay(client, permit, "card:", follow=True)
    assert "This payment was closed meanwhile" in response.text
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.EXPIRED
    assert FAKE.sessions[payment.stripe_session_id]["status"] == "expired"


# No Stripe call inside a database transaction ---------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_no_stripe_call_is_made_inside_a_database_transaction(license, stripe_on):
    """Every way the portal talks to Stripe (create, retrieve, expire a session; a payment
    intent; a refund), walked with no test transaction around it: the fake refuses any call made
    while the code holds a transaction open (a slow Stripe would hold row locks as long)."""
    assert stripe_on.atomic_depth_at_rest == 0
    user = contractor_user(license, can_pay=True)
    client = Client()
    client.force_login(user)
    card_permit, _ = permit_with_fees(license, "100.00")
    echeck_permit, _ = permit_with_fees(license, "50.00")

    add_and_pay(client, card_permit, "card:")  # create a session
    first = Payment.objects.get()
    add_and_pay(client, card_permit, "card:")  # expire the first, create another
    first.refresh_from_db()
    assert first.status == PaymentStatus.EXPIRED
    card = Payment.objects.get(status=PaymentStatus.CREATED)
    FAKE.pay(card.stripe_session_id)
    client.get(reverse("payments:return", args=[card.pk]))  # retrieve on the return page
    deliver(client, "checkout.session.completed", FAKE.sessions[card.stripe_session_id])

    add_and_pay(client, echeck_permit, "ach:")
    echeck = Payment.objects.get(method=PaymentMethod.ACH)
    session = FAKE.pay(echeck.stripe_session_id, async_method=True)
    deliver(client, "checkout.session.completed", session)  # session, then its payment intent
    FAKE.settle_async(session["id"], succeeded=True)
    Payment.objects.filter(pk=echeck.pk).update(
        created_at=echeck.created_at - datetime.timedelta(hours=1)
    )
    call_command("reconcile_payments")

    card.refresh_from_db()
    payment_refund(payment=card, by=staff())  # a refund through Stripe

    card.refresh_from_db()
    echeck.refresh_from_db()
    assert (card.status, echeck.status) == (PaymentStatus.REFUNDED, PaymentStatus.CONFIRMED)
    called = {(method, path.split("/")[2]) for method, path, _ in FAKE.requests}
    assert called >= {
        ("post", "checkout"),
        ("get", "checkout"),
        ("get", "payment_intents"),
        ("post", "refunds"),
    }
    assert any(path.endswith("/expire") for _, path, _ in FAKE.requests)
    assert FAKE.calls_in_transaction == []


@pytest.mark.django_db(transaction=True)
def test_control_a_stripe_call_inside_a_transaction_is_refused(license, stripe_on):
    """The guard above is live: the same call made inside an atomic block is refused."""
    session = stripe_gateway.client().v1.checkout.sessions.create(
        params={"mode": "payment", "success_url": "https://example.test/"}
    )
    stripe_gateway.retrieve_session(session.id)
    with pytest.raises(AssertionError, match="inside a database transaction"), transaction.atomic():
        stripe_gateway.retrieve_session(session.id)
    assert FAKE.calls_in_transaction == [f"GET /v1/checkout/sessions/{session.id}"]

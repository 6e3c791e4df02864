"""Card and e-check through Stripe Checkout, against a fake Stripe at the HTTP boundary, with
webhook signatures made for real."""

import logging
import time
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from payments.models import Payment, PaymentStatus, StripeEvent
from permits.models import FeeStatus
from tests.payments.fake_stripe import FAKE, event, sign

pytestmark = pytest.mark.django_db

CHECKOUT = reverse("payments:checkout")
WEBHOOK = reverse("payments:stripe_webhook")
KEY = "22222222-2222-2222-2222-222222222222"


@pytest.fixture
def cart(client, payer, two_permits):
    (first, fees), _ = two_permits
    client.post(reverse("payments:cart_add", args=[first.number]))
    return fees


def pay_by(client, method="card", key=KEY):
    return client.post(CHECKOUT, {"choice": f"{method}:", "key": key})


def deliver(client, kind, session, **kwargs):
    payload = event(kind, session, **kwargs)
    return client.post(
        WEBHOOK, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(payload)
    )


def test_card_checkout_goes_to_a_stripe_session_made_with_our_idempotency_key(
    client, stripe_on, cart
):
    response = pay_by(client)
    payment = Payment.objects.get()
    session = FAKE.last_session()
    assert response.status_code == 302 and response.url == session["url"]
    assert payment.stripe_session_id == session["id"] and payment.status == PaymentStatus.CREATED
    assert session["amount_total"] == 12927  # 125.50 + 3% = 129.27, in cents
    assert session["payment_method_types"] == ["card"]
    create = next(
        params for method, path, params in FAKE.requests if path == "/v1/checkout/sessions"
    )
    assert create["metadata[payment_id]"] == str(payment.pk)
    assert f"payment-{payment.pk}-checkout" in FAKE.idempotent
    for fee in cart:
        fee.refresh_from_db()
        assert fee.status == FeeStatus.DUE  # not paid until Stripe says so


def test_echeck_uses_bank_debit_with_its_flat_fee(client, stripe_on, cart):
    pay_by(client, "ach")
    session = FAKE.last_session()
    assert (
        session["payment_method_types"] == ["us_bank_account"] and session["amount_total"] == 12700
    )


def test_at_most_one_open_session_per_cart(client, stripe_on, cart):
    pay_by(client)
    first = FAKE.last_session()
    pay_by(client, key="33333333-3333-3333-3333-333333333333")
    assert first["status"] == "expired"  # expired through the API
    payments = list(Payment.objects.order_by("pk"))
    assert [p.status for p in payments] == [PaymentStatus.EXPIRED, PaymentStatus.CREATED]


def test_the_success_page_says_processing_until_confirmed_then_the_receipt(client, stripe_on, cart):
    pay_by(client)
    payment = Payment.objects.get()
    page = client.get(reverse("payments:return", args=[payment.pk]))
    assert "is processing" in page.text and 'http-equiv="refresh"' in page.text
    FAKE.pay(payment.stripe_session_id)
    deliver(client, "checkout.session.completed", FAKE.sessions[payment.stripe_session_id])
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CONFIRMED and payment.receipt_number
    response = client.get(reverse("payments:return", args=[payment.pk]))
    assert response.url == reverse("payments:receipt", args=[payment.receipt_number])


def test_the_return_page_confirms_when_the_webhook_is_late(client, stripe_on, cart):
    pay_by(client)
    payment = Payment.objects.get()
    FAKE.pay(payment.stripe_session_id)
    response = client.get(reverse("payments:return", args=[payment.pk]))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CONFIRMED
    assert response.url.endswith(f"/receipts/{payment.receipt_number}/")


def test_completed_webhook_confirms_pays_the_fees_and_emails_the_receipt(
    client, stripe_on, cart, django_capture_on_commit_callbacks
):
    pay_by(client)
    payment = Payment.objects.get()
    session = FAKE.pay(payment.stripe_session_id)
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(client, "checkout.session.completed", session)
    assert response.status_code == 200 and response.content == b"confirmed"
    payment.refresh_from_db()
    assert payment.stripe_payment_intent == f"pi_{session['id']}"
    for fee in cart:
        fee.refresh_from_db()
        assert fee.status == FeeStatus.PAID
    receipt = mail.outbox[-1]
    assert payment.receipt_number in receipt.subject and "$129.27" in receipt.body
    assert not payment.user.cart_lines.exists()


@pytest.mark.parametrize(
    "signature",
    ["", "t=1,v1=deadbeef", "garbage", "stale"],
)
def test_a_bad_missing_or_stale_signature_is_a_400_and_writes_nothing(
    client, stripe_on, cart, signature
):
    pay_by(client)
    payment = Payment.objects.get()
    payload = event("checkout.session.completed", FAKE.pay(payment.stripe_session_id))
    if signature == "stale":
        signature = sign(payload, timestamp=int(time.time()) - 3600)
    response = client.post(
        WEBHOOK, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CREATED


def test_a_signature_with_another_secret_is_refused(client, stripe_on, cart):
    pay_by(client)
    payload = event("checkout.session.completed", FAKE.pay(Payment.objects.get().stripe_session_id))
    response = client.post(
        WEBHOOK,
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload, secret="whsec_other"),
    )
    assert response.status_code == 400


def test_the_event_copy_is_not_trusted_the_session_is_fetched_again(client, stripe_on, cart):
    pay_by(client)
    payment = Payment.objects.get()
    forged = dict(
        FAKE.sessions[payment.stripe_session_id], status="complete", payment_status="paid"
    )
    response = deliver(
        client, "checkout.session.completed", forged
    )  # Stripe itself says: still open
    assert b"open" in response.content
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CREATED


def test_an_amount_that_does_not_match_is_not_confirmed(client, stripe_on, cart, caplog):
    pay_by(client)
    payment = Payment.objects.get()
    session = FAKE.pay(payment.stripe_session_id)
    session["amount_total"] = 100
    with caplog.at_level(logging.ERROR, logger="portal.payments"):
        response = deliver(client, "checkout.session.completed", session)
    assert b"mismatch" in response.content
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CREATED and "amount" in payment.needs_review
    assert any("does not match" in record.getMessage() for record in caplog.records)


def test_each_event_id_is_handled_once(client, stripe_on, cart):
    pay_by(client)
    payment = Payment.objects.get()
    session = FAKE.pay(payment.stripe_session_id)
    first = deliver(client, "checkout.session.completed", session)
    again = deliver(client, "checkout.session.completed", session)
    assert first.content == b"confirmed" and again.content == b"already handled"
    assert StripeEvent.objects.count() == 1


def test_a_webhook_for_an_unknown_session_answers_200_and_is_logged(client, stripe_on, caplog):
    with caplog.at_level(logging.WARNING, logger="portal.payments"):
        response = deliver(
            client,
            "checkout.session.completed",
            {"id": "cs_test_nobody", "object": "checkout.session"},
        )
    assert response.status_code == 200
    assert StripeEvent.objects.get().outcome == "unknown session"
    assert any("unknown session cs_test_nobody" in record.getMessage() for record in caplog.records)


def test_other_event_types_are_ignored(client, stripe_on):
    response = deliver(client, "invoice.paid", {"id": "in_1"})
    assert response.status_code == 200 and not StripeEvent.objects.exists()


def test_an_echeck_is_processing_then_succeeds(client, stripe_on, cart):
    pay_by(client, "ach")
    payment = Payment.objects.get()
    session = FAKE.pay(payment.stripe_session_id, async_method=True)
    deliver(client, "checkout.session.completed", session)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PROCESSING
    deliver(
        client,
        "checkout.session.async_payment_succeeded",
        FAKE.settle_async(session["id"], succeeded=True),
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CONFIRMED


def test_a_failed_bank_debit_leaves_the_fees_due(client, stripe_on, cart):
    pay_by(client, "ach")
    payment = Payment.objects.get()
    session = FAKE.pay(payment.stripe_session_id, async_method=True)
    deliver(client, "checkout.session.completed", session)
    deliver(
        client,
        "checkout.session.async_payment_failed",
        FAKE.settle_async(session["id"], succeeded=False),
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert all(line.live is False for line in payment.lines.all())
    for fee in cart:
        fee.refresh_from_db()
        assert fee.status == FeeStatus.DUE


def test_an_expired_session_frees_the_fees(client, stripe_on, cart):
    pay_by(client)
    payment = Payment.objects.get()
    deliver(client, "checkout.session.expired", FAKE.expire(payment.stripe_session_id))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.EXPIRED
    assert not payment.lines.filter(live=True).exists()


def test_paid_after_it_expired_here_is_flagged_for_review(client, stripe_on, cart):
    pay_by(client)
    payment = Payment.objects.get()
    Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.EXPIRED)
    deliver(client, "checkout.session.completed", FAKE.pay(payment.stripe_session_id))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.EXPIRED and "refunding" in payment.needs_review


def test_the_gateway_down_at_checkout_charges_nothing(client, stripe_on, cart):
    FAKE.down = True
    response = client.post(CHECKOUT, {"choice": "card:", "key": KEY}, follow=True)
    assert "did not answer; nothing was charged" in response.text
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.FAILED and not payment.lines.filter(live=True).exists()


def test_reconcile_settles_payments_whose_webhook_never_came(client, stripe_on, cart, capsys):
    pay_by(client)
    paid = Payment.objects.get()
    FAKE.pay(paid.stripe_session_id)
    Payment.objects.update(created_at=paid.created_at.replace(year=2020))
    call_command("reconcile_payments")
    out = capsys.readouterr().out
    paid.refresh_from_db()
    assert paid.status == PaymentStatus.CONFIRMED
    assert "confirmed: 1" in out and "Checked 1 open payment(s)." in out


def test_celery_beat_reconciles_every_quarter_hour(client, stripe_on, cart, settings):
    from payments.tasks import reconcile_payments
    from portal.celery import app

    schedule = settings.CELERY_BEAT_SCHEDULE["reconcile-payments"]
    assert schedule["task"] == "payments.tasks.reconcile_payments"
    assert schedule["task"] in app.tasks
    pay_by(client)
    paid = Payment.objects.get()
    FAKE.pay(paid.stripe_session_id)
    Payment.objects.update(created_at=paid.created_at.replace(year=2020))
    assert reconcile_payments.delay().get() == {"confirmed": 1}
    paid.refresh_from_db()
    assert paid.status == PaymentStatus.CONFIRMED


def test_reconcile_reports_mismatches(client, stripe_on, cart, capsys):
    pay_by(client)
    payment = Payment.objects.get()
    FAKE.pay(payment.stripe_session_id)["amount_total"] = 5
    Payment.objects.update(created_at=payment.created_at.replace(year=2020))
    call_command("reconcile_payments")
    out = capsys.readouterr().out
    assert "mismatch: 1" in out and "need staff review" in out


def test_staff_refund_a_card_payment_through_stripe_once(client, stripe_on, cart):
    from django.contrib.auth import get_user_model

    from payments.flows import payment_refund

    pay_by(client)
    payment = Payment.objects.get()
    deliver(client, "checkout.session.completed", FAKE.pay(payment.stripe_session_id))
    payment.refresh_from_db()
    staff = get_user_model().objects.create_user(
        "chief", "chief@city.example", "x" * 20, is_staff=True, is_superuser=True
    )
    client.force_login(staff)
    page = client.post(
        reverse("admin:payments_payment_changelist"),
        {"action": "refund", "_selected_action": [payment.pk]},
    )
    assert "After the refund, the fees are" in page.text
    client.post(
        reverse("admin:payments_payment_changelist"),
        {"action": "refund", "_selected_action": [payment.pk], "fees_become": "waived"},
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded_by == staff
    assert FAKE.refunds == [
        {
            "id": FAKE.refunds[0]["id"],
            "object": "refund",
            "status": "succeeded",
            "amount": 12927,
            "payment_intent": payment.stripe_payment_intent,
        }
    ]
    assert f"payment-{payment.pk}-refund" in FAKE.idempotent
    for fee in cart:
        fee.refresh_from_db()
        assert fee.status == FeeStatus.WAIVED
    with pytest.raises(Exception, match="only a paid one"):
        payment_refund(payment=payment, by=staff)
    assert len(FAKE.refunds) == 1


def test_without_keys_the_offline_gateway_runs_the_same_states(client, cart, settings):
    settings.STRIPE_SECRET_KEY = ""
    response = pay_by(client)
    payment = Payment.objects.get()
    assert response.url == reverse("payments:offline", args=[payment.pk])
    page = client.get(response.url)
    assert "Approve" in page.text and "Decline" in page.text and "$129.27" in page.text
    done = client.post(response.url, {"decision": "approve"}, follow=True)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CONFIRMED and payment.receipt_number in done.text
    assert Decimal(done.context["payment"].total) == Decimal("129.27")


def test_a_declined_card_leaves_the_fees_due(client, cart, settings):
    settings.STRIPE_SECRET_KEY = ""
    response = pay_by(client)
    declined = client.post(response.url, {"decision": "decline"}, follow=True)
    assert "declined" in declined.text
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.FAILED
    for fee in cart:
        fee.refresh_from_db()
        assert fee.status == FeeStatus.DUE
    assert len(client.get(reverse("payments:cart")).context["cart"].fees) == 2  # still in the cart


def test_the_offline_gateway_is_refused_in_production(client, cart, settings):
    from payments.models import PaymentMethod
    from payments.registry import provider_for_method

    settings.STRIPE_SECRET_KEY = ""
    response = pay_by(client)
    settings.PORTAL_ENVIRONMENT = "production"
    assert provider_for_method(PaymentMethod.CARD) is None
    assert provider_for_method(PaymentMethod.ACH) is None
    assert client.get(response.url).status_code == 404
    assert client.post(response.url, {"decision": "approve"}).status_code == 404


# Found in review: a payment finished while the payer started another ----------------------------


def test_a_newer_checkout_settles_an_older_session_the_payer_finished(client, stripe_on, cart):
    pay_by(client)
    first = Payment.objects.get()
    session = FAKE.pay(first.stripe_session_id)  # paid at Stripe; the webhook is still to come
    response = client.post(
        CHECKOUT, {"choice": "card:", "key": "33333333-3333-3333-3333-333333333333"}, follow=True
    )
    first.refresh_from_db()
    assert first.status == PaymentStatus.CONFIRMED and not first.needs_review
    assert Payment.objects.count() == 1  # no second payment of the same fees
    assert f"Your earlier payment of $129.27 went through: receipt {first.receipt_number}" in (
        response.text
    )
    deliver(client, "checkout.session.completed", session)
    first.refresh_from_db()
    assert first.status == PaymentStatus.CONFIRMED and not first.needs_review
    assert {fee.status for fee in type(cart[0]).objects.filter(pk__in=[f.pk for f in cart])} == {
        FeeStatus.PAID
    }


def test_a_failed_bank_debit_whose_webhook_was_lost_is_settled_by_reconciliation(
    client, stripe_on, cart
):
    pay_by(client, "ach")
    payment = Payment.objects.get()
    session = FAKE.pay(payment.stripe_session_id, async_method=True)
    deliver(client, "checkout.session.completed", session)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PROCESSING
    FAKE.settle_async(payment.stripe_session_id, succeeded=False)  # no webhook comes
    Payment.objects.filter(pk=payment.pk).update(created_at=payment.created_at.replace(year=2020))
    call_command("reconcile_payments")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert {fee.status for fee in cart} == {FeeStatus.DUE}
    # The fees can be paid again.
    client.post(reverse("payments:cart_add", args=[cart[0].permit.number]))
    assert pay_by(client, key="44444444-4444-4444-4444-444444444444").status_code == 302
    assert Payment.objects.filter(status=PaymentStatus.CREATED).count() == 1


def test_a_checkout_form_used_for_a_card_cannot_then_claim_a_trust_payment(
    client, stripe_on, cart, license
):
    from tests.payments.conftest import fund

    account = fund(license, "500.00")
    pay_by(client)
    response = client.post(
        CHECKOUT, {"choice": f"trust:{account.pk}", "confirmed": "True", "key": KEY}, follow=True
    )
    assert "used already" in response.text
    assert "Paid from the trust account" not in response.text
    assert Payment.objects.count() == 1 and Payment.objects.get().method == "card"


def test_an_effect_the_database_refuses_is_not_recorded_as_handled(
    client, stripe_on, cart, monkeypatch
):
    from django.db import IntegrityError
    from django.test import Client

    from payments.providers import stripe_checkout

    pay_by(client)
    payment = Payment.objects.get()
    session = FAKE.pay(payment.stripe_session_id)

    def refused(*args, **kwargs):
        raise IntegrityError("a constraint refused the effect")

    monkeypatch.setattr(stripe_checkout, "apply_session_state", refused)
    payload = event("checkout.session.completed", session, event_id="evt_retry")
    stripe = Client(raise_request_exception=False)
    first = stripe.post(
        WEBHOOK, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(payload)
    )
    assert first.status_code == 500  # Stripe will send it again
    assert not StripeEvent.objects.filter(event_id="evt_retry").exists()
    monkeypatch.undo()
    again = stripe.post(
        WEBHOOK, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(payload)
    )
    assert again.status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CONFIRMED


def test_staff_cannot_change_a_fee_a_payment_holds(client, stripe_on, cart):
    from tests.factories import UserFactory

    pay_by(client)  # the card payment now holds the fees, waiting for Stripe
    fee = cart[0]
    staff = UserFactory(username="cashier", is_staff=True, is_superuser=True)
    client.force_login(staff)
    url = reverse("admin:permits_fee_change", args=[fee.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data.update(permit=fee.permit_id, amount="1.00")
    response = client.post(url, data)
    assert response.status_code == 200  # the form again, with the reason
    assert "cannot change. Refund the payment first." in response.text
    fee.refresh_from_db()
    assert fee.amount == Decimal("100.00")
    # Its description may still be corrected.
    data.update(amount=str(fee.amount), description="Building Permit Fee (corrected)")
    assert client.post(url, data).status_code == 302


def test_a_fee_changed_behind_a_payments_back_is_flagged_when_it_is_paid(client, stripe_on, cart):
    pay_by(client)
    payment = Payment.objects.get()
    type(cart[0]).objects.filter(pk=cart[0].pk).update(amount=Decimal("90.00"))
    deliver(client, "checkout.session.completed", FAKE.pay(payment.stripe_session_id))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CONFIRMED
    assert "the payment was for $100.00" in payment.needs_review

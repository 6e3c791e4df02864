"""Issue 23, requirement 11: a business's manager deposits to its trust account online, by card or
e-check through the payment providers. The account is credited by the payment's confirmation
(`payment_confirm`) alone, once however often it is reported paid; the payer gets a receipt (page
and email, through `payment.completed`), and the deposit is an event of its own."""

import uuid
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from core.models import Event
from payments.exceptions import PaymentError
from payments.flows import payment_refund
from payments.models import EntryKind, Payment, PaymentStatus, TrustAccount, TrustEntry
from payments.selectors import trust_balance
from payments.services.confirm import payment_confirm
from payments.services.trust import trust_deposit_start
from tests.factories import LicenseFactory, UserFactory, contractor_user
from tests.payments.conftest import fund, permit_with_fees
from tests.payments.fake_stripe import FAKE, event, sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def offline(settings):
    settings.STRIPE_SECRET_KEY = ""  # the offline card gateway
    settings.PAYMENT_CARD_FEE_PERCENT = "3.00"
    settings.PAYMENT_ACH_FEE = "1.50"


@pytest.fixture
def manager(client, license):
    user = contractor_user(license, can_manage=True)
    client.force_login(user)
    return user


def deposit_url(license) -> str:
    return reverse("payments:trust_deposit", args=[license.holder_id])


def deposit(client, license, amount="250.00", method="card", key=None):
    return client.post(
        deposit_url(license),
        {"amount": amount, "method": method, "key": key or str(uuid.uuid4())},
    )


def credits(account) -> list[Decimal]:
    return list(
        TrustEntry.objects.filter(account=account, kind=EntryKind.DEPOSIT).values_list(
            "amount", flat=True
        )
    )


# Who may ------------------------------------------------------------------------------------


def test_a_manager_is_offered_a_deposit_on_the_trust_account_page(client, manager, license):
    page = client.get(reverse("payments:trust", args=[license.holder_id]))
    assert "Make a Deposit" in page.text
    assert "Deposits are made at the permit office" not in page.text
    assert client.get(deposit_url(license)).status_code == 200


def test_a_member_with_pay_sees_the_account_but_makes_no_deposit(client, license, offline):
    user = contractor_user(license, can_pay=True)
    client.force_login(user)
    page = client.get(reverse("payments:trust", args=[license.holder_id]))
    assert page.status_code == 200 and "Make a Deposit" not in page.text
    assert "managers make deposits online" in page.text
    assert client.get(deposit_url(license)).status_code == 404
    assert deposit(client, license).status_code == 404
    assert not Payment.objects.exists()


def test_another_business_is_a_404(client, manager, offline):
    stranger_license = LicenseFactory()
    assert client.get(deposit_url(stranger_license)).status_code == 404
    assert deposit(client, stranger_license).status_code == 404
    assert not Payment.objects.exists()


def test_the_service_refuses_who_the_policy_refuses(license, offline):
    user = contractor_user(license, can_pay=True)
    with pytest.raises(PaymentError, match="made by its managers"):
        trust_deposit_start(
            user=user,
            contractor=license.holder,
            amount=Decimal("50.00"),
            method="card",
            provider="offline",
            key=uuid.uuid4(),
        )
    assert not Payment.objects.exists()


# The amount ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("", "Enter the amount to deposit."),
        ("lots", "Enter the amount in dollars and cents, like 250.00."),
        ("12.345", "Enter the amount in dollars and cents, like 250.00."),
        ("NaN", "Enter the amount in dollars and cents, like 250.00."),
        ("9.99", "A deposit online is at least $10.00."),
        ("-20", "A deposit online is at least $10.00."),
        ("50000.01", "A deposit online is at most $50,000.00; make a larger one at the permit"),
        ("1e40", "A deposit online is at most $50,000.00"),
    ],
)
def test_a_bad_amount_is_said_clearly_and_kept(client, manager, license, offline, typed, said):
    response = deposit(client, license, amount=typed)
    assert response.status_code == 200
    assert said in response.text
    assert f'value="{typed}"' in response.text or not typed
    assert not Payment.objects.exists()


def test_no_way_chosen_is_said(client, manager, license, offline):
    response = client.post(deposit_url(license), {"amount": "100", "key": str(uuid.uuid4())})
    assert response.status_code == 200 and "Choose how to pay." in response.text


def test_dollar_signs_and_commas_are_read_as_people_type_them(client, manager, license, offline):
    deposit(client, license, amount="$1,250.00")
    assert Payment.objects.get().fees_total == Decimal("1250.00")


# The deposit through the offline gateway ------------------------------------------------------


def test_a_card_deposit_is_credited_on_approval_with_a_receipt_and_an_event(
    client, manager, license, offline, django_capture_on_commit_callbacks
):
    account = fund(license, "100.00")
    response = deposit(client, license, amount="250.00", method="card")
    payment = Payment.objects.get()
    assert response.url == reverse("payments:offline", args=[payment.pk])
    assert (payment.deposit_to, payment.fees_total, payment.convenience_fee, payment.total) == (
        account,
        Decimal("250.00"),
        Decimal("7.50"),
        Decimal("257.50"),
    )
    # Nothing is credited before the payment is confirmed.
    assert trust_balance(account) == Decimal("100.00")
    gateway = client.get(response.url)
    assert "Trust account deposit: Lincoln Builders LLC" in gateway.text
    with django_capture_on_commit_callbacks(execute=True):
        approved = client.post(response.url, {"decision": "approve"}, follow=True)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CONFIRMED
    assert trust_balance(account) == Decimal("350.00")
    (entry,) = TrustEntry.objects.filter(payment=payment)
    assert (entry.kind, entry.amount, entry.created_by, entry.reference) == (
        EntryKind.DEPOSIT,
        Decimal("250.00"),
        manager,
        "Deposit online (Credit Card)",
    )
    # The receipt page, and its email through payment.completed.
    assert f"Receipt {payment.receipt_number}" in approved.text
    assert "Trust account deposit: Lincoln Builders LLC" in approved.text
    (receipt,) = [m for m in mail.outbox if payment.receipt_number in m.subject]
    assert receipt.to == [manager.email]
    assert "Trust account deposit: Lincoln Builders LLC  $250.00" in receipt.body
    assert "Deposit: $250.00" in receipt.body and "Total: $257.50" in receipt.body
    # The deposit's own event, about the account.
    (recorded,) = Event.objects.filter(type="trust.deposited")
    assert recorded.object_id == account.pk and recorded.actor == manager
    assert recorded.payload["amount"] == "250.00" and recorded.payload["payment"] == payment.pk
    # The account's history names the receipt.
    page = client.get(reverse("payments:trust", args=[license.holder_id]))
    assert payment.receipt_number in page.text


def test_a_first_deposit_opens_the_account(client, manager, license, offline):
    assert not TrustAccount.objects.exists()
    response = deposit(client, license, amount="40.00", method="ach")
    client.post(response.url, {"decision": "approve"})
    account = TrustAccount.objects.get(contractor=license.holder)
    assert trust_balance(account) == Decimal("40.00")
    assert Payment.objects.get().convenience_fee == Decimal("1.50")


def test_a_declined_deposit_credits_nothing_and_says_so(client, manager, license, offline):
    account = fund(license, "100.00")
    response = deposit(client, license)
    declined = client.post(response.url, {"decision": "decline"}, follow=True)
    assert "Nothing was charged and nothing was deposited." in declined.text
    assert declined.redirect_chain[-1][0] == reverse("payments:trust", args=[license.holder_id])
    assert trust_balance(account) == Decimal("100.00")


def test_an_echeck_deposit_is_credited_when_it_clears_not_before(client, manager, license, offline):
    from payments.registry import provider_for

    account = fund(license, "100.00")
    response = deposit(client, license, method="ach")
    processing = client.post(response.url, {"decision": "process"}, follow=True)
    assert "the deposit in the trust account" in processing.text
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.PROCESSING
    assert trust_balance(account) == Decimal("100.00")
    provider_for(payment).settle(payment, succeeded=True, source="cleared")
    assert trust_balance(account) == Decimal("350.00")


def test_confirming_a_deposit_again_credits_it_once(client, manager, license, offline):
    account = fund(license, "100.00")
    deposit(client, license)
    payment = Payment.objects.get()
    for source in ("webhook", "return page", "reconciliation"):
        payment_confirm(payment_id=payment.pk, source=source)
    assert credits(account) == [Decimal("100.00"), Decimal("250.00")]


def test_the_database_takes_one_credit_per_deposit(client, manager, license, offline):
    from django.db import IntegrityError, transaction

    account = fund(license, "100.00")
    deposit(client, license)
    payment = Payment.objects.get()
    payment_confirm(payment_id=payment.pk, source="webhook")
    with pytest.raises(IntegrityError), transaction.atomic():
        TrustEntry.objects.create(
            account=account, kind=EntryKind.DEPOSIT, amount=payment.fees_total, payment=payment
        )


def test_a_double_clicked_deposit_makes_one_payment(client, manager, license, offline):
    key = str(uuid.uuid4())
    first = deposit(client, license, key=key)
    second = deposit(client, license, key=key)
    assert first.url == second.url
    assert Payment.objects.count() == 1


def test_a_new_deposit_closes_an_unfinished_one_but_not_a_checkout(
    client, manager, license, offline
):
    permit, _ = permit_with_fees(license, "80.00")
    client.post(reverse("payments:cart_add", args=[permit.number]))
    client.post(reverse("payments:checkout"), {"choice": "card:", "key": str(uuid.uuid4())})
    deposit(client, license)
    deposit(client, license)
    checkout, older, newer = Payment.objects.order_by("pk")
    assert checkout.status == PaymentStatus.CREATED  # the cart's checkout stands
    assert (older.status, newer.status) == (PaymentStatus.EXPIRED, PaymentStatus.CREATED)


def test_a_deposit_shows_in_paid_items(client, manager, license, offline):
    response = deposit(client, license, amount="75.00")
    client.post(response.url, {"decision": "approve"})
    page = client.get(reverse("payments:paid_items"))
    assert "Trust account deposit: Lincoln Builders LLC" in page.text


# Refunds ----------------------------------------------------------------------------------------


def test_refunding_a_deposit_takes_it_out_of_the_account_once(client, manager, license, offline):
    clerk = UserFactory(is_staff=True, is_superuser=True)
    account = fund(license, "100.00")
    response = deposit(client, license)
    client.post(response.url, {"decision": "approve"})
    payment = Payment.objects.get()
    payment_refund(payment=payment, by=clerk)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert trust_balance(account) == Decimal("100.00")
    (debit,) = TrustEntry.objects.filter(payment=payment, kind=EntryKind.ADJUSTMENT)
    assert debit.amount == Decimal("-250.00")
    with pytest.raises(PaymentError):
        payment_refund(payment=payment, by=clerk)
    assert trust_balance(account) == Decimal("100.00")


def test_a_deposit_spent_on_fees_is_not_refunded(client, manager, license, offline):
    from payments.models import CartLine
    from payments.services.trust import trust_pay

    clerk = UserFactory(is_staff=True, is_superuser=True)
    response = deposit(client, license, amount="100.00")
    client.post(response.url, {"decision": "approve"})
    payment = Payment.objects.get()
    account = TrustAccount.objects.get()
    _, fees = permit_with_fees(license, "60.00")
    CartLine.objects.create(user=manager, fee=fees[0])
    trust_pay(user=manager, account=account, key=uuid.uuid4())
    with pytest.raises(PaymentError, match=r"has \$40.00; the deposit .* was \$100.00"):
        payment_refund(payment=payment, by=clerk)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CONFIRMED
    assert trust_balance(account) == Decimal("40.00")


# Through Stripe -------------------------------------------------------------------------------


def test_a_stripe_deposit_credits_once_from_the_webhook_and_the_return_page(
    client, manager, license, stripe_on
):
    account = fund(license, "100.00")
    response = deposit(client, license, amount="250.00", method="card")
    payment = Payment.objects.get()
    session = FAKE.last_session()
    assert response.url == session["url"]
    assert session["amount_total"] == payment.amount_cents
    FAKE.pay(payment.stripe_session_id)
    returned = client.get(reverse("payments:return", args=[payment.pk]))
    payment.refresh_from_db()
    assert returned.url == reverse("payments:receipt", args=[payment.receipt_number])
    payload = event("checkout.session.completed", FAKE.sessions[payment.stripe_session_id])
    webhook = client.post(
        reverse("payments:stripe_webhook"),
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload),
    )
    assert webhook.status_code == 200
    assert credits(account) == [Decimal("100.00"), Decimal("250.00")]
    assert trust_balance(account) == Decimal("350.00")


# At once, on PostgreSQL -----------------------------------------------------------------------


def webhook_and_return_page_at_once(license, monkeypatch) -> tuple[list, TrustAccount, Payment]:
    """Stripe's webhook and the payer's return page report the same paid deposit at the same
    moment; the first to confirm lingers in its transaction while the other arrives."""
    from django.test import Client

    from payments.services import confirm
    from tests.threads import hold, run_at_once

    user = contractor_user(license, can_manage=True)
    account = fund(license, "100.00")
    payer = Client()
    payer.force_login(user)
    deposit(payer, license, amount="250.00", method="card")
    payment = Payment.objects.get()
    FAKE.pay(payment.stripe_session_id)
    payload = event("checkout.session.completed", FAKE.sessions[payment.stripe_session_id])
    hold(monkeypatch, confirm, "_credit_deposit", 0.5)
    mail.outbox.clear()

    def report(index: int):
        if index == 0:
            return (
                Client(raise_request_exception=False)
                .post(
                    reverse("payments:stripe_webhook"),
                    payload,
                    content_type="application/json",
                    HTTP_STRIPE_SIGNATURE=sign(payload),
                )
                .status_code
            )
        browser = Client(raise_request_exception=False)
        browser.cookies = payer.cookies
        return browser.get(reverse("payments:return", args=[payment.pk])).status_code

    return run_at_once(2, report), account, payment


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_webhook_and_the_return_page_at_once_credit_a_deposit_once(
    license, stripe_on, monkeypatch
):
    results, account, payment = webhook_and_return_page_at_once(license, monkeypatch)
    assert results == [200, 302], results
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CONFIRMED
    assert credits(account) == [Decimal("100.00"), Decimal("250.00")]
    assert trust_balance(account) == Decimal("350.00")
    assert len([m for m in mail.outbox if payment.receipt_number in m.subject]) == 1
    assert Event.objects.filter(type="trust.deposited").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_control_without_the_confirmation_lock_the_second_report_breaks(
    license, stripe_on, monkeypatch
):
    """The same run with payment_confirm's row lock taken out: the second report reads the
    payment as still open, goes on to confirm it again, and fails (a 500 Stripe retries, or
    the payer's error page). The lock is what makes it a harmless no-op; the status machine,
    refusing Paid to Paid under its own lock, keeps the credit single even then."""
    from payments.services import confirm

    class Unlocked:
        class objects:
            @staticmethod
            def select_for_update(**kwargs):
                return Payment.objects.all()

    monkeypatch.setattr(confirm, "Payment", Unlocked)
    results, account, _ = webhook_and_return_page_at_once(license, monkeypatch)
    assert 500 in results, results
    assert credits(account) == [Decimal("100.00"), Decimal("250.00")]


@pytest.mark.parametrize("method", ["trust", "imported", "cash"])
def test_a_deposit_is_paid_by_card_or_echeck_only(license, offline, method):
    from payments.flows import deposit_begin

    user = contractor_user(license, can_manage=True)
    with pytest.raises(
        PaymentError,
        match=r"^Deposits online are paid by credit card or electronic check, and that way is "
        r"not available right now; call the permit office\.$",
    ):
        deposit_begin(
            user=user,
            contractor=license.holder,
            amount=Decimal("50.00"),
            method=method,
            key=uuid.uuid4(),
            absolute=str,
        )
    with pytest.raises(PaymentError, match="paid by credit card or electronic check"):
        trust_deposit_start(
            user=user,
            contractor=license.holder,
            amount=Decimal("50.00"),
            method=method,
            provider="offline",
            key=uuid.uuid4(),
        )
    assert not Payment.objects.exists()


def test_the_deposit_debit_is_for_deposits_only(client, payer, license, offline):
    from payments.services.trust import trust_deposit_refund_debit

    permit, _ = permit_with_fees(license, "80.00")
    client.post(reverse("payments:cart_add", args=[permit.number]))
    client.post(reverse("payments:checkout"), {"choice": "card:", "key": str(uuid.uuid4())})
    payment = Payment.objects.get()
    client.post(reverse("payments:offline", args=[payment.pk]), {"decision": "approve"})
    with pytest.raises(PaymentError, match="is not a trust account deposit"):
        trust_deposit_refund_debit(payment_id=payment.pk, by=UserFactory(is_staff=True))
    assert not TrustEntry.objects.exists()


def test_a_refund_tried_again_after_the_gateway_failed_takes_the_deposit_out_once(
    client, manager, license, offline, monkeypatch
):
    from payments.exceptions import GatewayError
    from payments.providers.offline import OfflineGatewayProvider

    clerk = UserFactory(is_staff=True, is_superuser=True)
    account = fund(license, "100.00")
    response = deposit(client, license)
    client.post(response.url, {"decision": "approve"})
    payment = Payment.objects.get()
    real = OfflineGatewayProvider.refund

    def down(self, payment, **kwargs):
        raise GatewayError("the gateway did not answer")

    monkeypatch.setattr(OfflineGatewayProvider, "refund", down)
    with pytest.raises(GatewayError):
        payment_refund(payment=payment, by=clerk)
    # The deposit left the account before the money went back; the payment is still paid.
    assert trust_balance(account) == Decimal("100.00")
    assert Payment.objects.get().status == PaymentStatus.CONFIRMED
    monkeypatch.setattr(OfflineGatewayProvider, "refund", real)
    payment_refund(payment=Payment.objects.get(), by=clerk)
    assert Payment.objects.get().status == PaymentStatus.REFUNDED
    assert trust_balance(account) == Decimal("100.00")
    assert TrustEntry.objects.filter(payment=payment, kind=EntryKind.ADJUSTMENT).count() == 1


def test_a_deposit_paid_after_it_was_closed_is_refunded_with_no_debit(
    client, manager, license, offline
):
    """Never credited (it was expired when the money came): nothing leaves the account."""
    from payments.services.confirm import payment_release

    clerk = UserFactory(is_staff=True, is_superuser=True)
    account = fund(license, "100.00")
    deposit(client, license)
    payment = Payment.objects.get()
    payment_release(payment_id=payment.pk, status=PaymentStatus.EXPIRED, reason="too late")
    Payment.objects.filter(pk=payment.pk).update(stripe_payment_intent="pi_late")
    payment_confirm(payment_id=payment.pk, source="webhook")
    assert credits(account) == [Decimal("100.00")]
    payment_refund(payment=Payment.objects.get(), by=clerk)
    assert Payment.objects.get().status == PaymentStatus.REFUNDED
    assert trust_balance(account) == Decimal("100.00")
    assert not TrustEntry.objects.filter(payment=payment).exists()


@pytest.mark.parametrize(
    ("amount", "said"),
    [
        ("12.345", r"^Enter the amount in dollars and cents, like 250\.00\.$"),
        ("9.99", r"^A deposit online is at least \$10\.00\.$"),
        (
            "50000.01",
            r"^A deposit online is at most \$50,000\.00; make a larger one at the permit "
            r"office\.$",
        ),
    ],
)
def test_the_service_says_what_is_wrong_with_an_amount(license, amount, said):
    user = contractor_user(license, can_manage=True)
    with pytest.raises(PaymentError, match=said):
        trust_deposit_start(
            user=user,
            contractor=license.holder,
            amount=Decimal(amount),
            method="card",
            provider="offline",
            key=uuid.uuid4(),
        )


@pytest.mark.parametrize("amount", ["10.00", "50000.00", "10", "49999.9"])
def test_the_limits_themselves_are_accepted(license, amount):
    user = contractor_user(license, can_manage=True)
    payment, made = trust_deposit_start(
        user=user,
        contractor=license.holder,
        amount=Decimal(amount),
        method="ach",
        provider="offline",
        key=uuid.uuid4(),
    )
    assert made and payment.fees_total == Decimal(amount).quantize(Decimal("0.01"))


def test_the_service_names_the_ways_to_pay_a_deposit(license):
    user = contractor_user(license, can_manage=True)
    with pytest.raises(
        PaymentError, match=r"^A deposit is paid by credit card or electronic check\.$"
    ):
        trust_deposit_start(
            user=user,
            contractor=license.holder,
            amount=Decimal("50.00"),
            method="trust",
            provider="trust",
            key=uuid.uuid4(),
        )


def test_the_same_click_finds_its_deposit_and_says_it_did_not_make_it(license):
    user = contractor_user(license, can_manage=True)
    key = uuid.uuid4()
    arguments = {
        "user": user,
        "contractor": license.holder,
        "amount": Decimal("50.00"),
        "method": "card",
        "provider": "offline",
        "key": key,
    }
    first, made_first = trust_deposit_start(**arguments)
    again, made_again = trust_deposit_start(**arguments)
    assert (again, made_first, made_again) == (first, True, False)


def test_a_key_another_payer_used_is_refused_with_a_word(license):
    user = contractor_user(license, can_manage=True)
    key = uuid.uuid4()
    trust_deposit_start(
        user=contractor_user(license, can_manage=True),
        contractor=license.holder,
        amount=Decimal("50.00"),
        method="card",
        provider="offline",
        key=key,
    )
    with pytest.raises(
        PaymentError,
        match=r"^This deposit was already started\. Open the trust account to see where it "
        r"stands\.$",
    ):
        trust_deposit_start(
            user=user,
            contractor=license.holder,
            amount=Decimal("50.00"),
            method="card",
            provider="offline",
            key=key,
        )


def approved_deposit(client, license, amount: str) -> Payment:
    response = deposit(client, license, amount=amount)
    client.post(response.url, {"decision": "approve"})
    return Payment.objects.filter(deposit_to__isnull=False).latest("pk")


def test_each_refunded_deposit_leaves_the_account_and_the_whole_balance_may_go(
    client, manager, license, offline
):
    """A second deposit's refund is its own debit (not the first one's), and a balance equal to
    the deposit is enough to give it back; the debit names the receipt and the clerk."""
    clerk = UserFactory(is_staff=True, is_superuser=True)
    first = approved_deposit(client, license, "100.00")
    second = approved_deposit(client, license, "60.00")
    account = TrustAccount.objects.get()
    payment_refund(payment=first, by=clerk)
    assert trust_balance(account) == Decimal("60.00")
    payment_refund(payment=second, by=clerk)
    assert trust_balance(account) == Decimal("0.00")
    debit = TrustEntry.objects.get(payment=second, kind=EntryKind.ADJUSTMENT)
    assert (debit.amount, debit.created_by, debit.reference) == (
        Decimal("-60.00"),
        clerk,
        f"Deposit {second.receipt_number} refunded",
    )


def test_a_spent_deposit_is_refused_in_full_words(client, manager, license, offline):
    clerk = UserFactory(is_staff=True, is_superuser=True)
    first = approved_deposit(client, license, "100.00")
    TrustEntry.objects.create(
        account=TrustAccount.objects.get(), kind=EntryKind.ADJUSTMENT, amount=Decimal("-0.01")
    )
    with pytest.raises(
        PaymentError,
        match=r"^The trust account of Lincoln Builders LLC has \$99\.99; the deposit "
        rf"{first.receipt_number} was \$100\.00\. Only what is left can be given back: record an "
        r"adjustment and refund that at the gateway\.$",
    ):
        payment_refund(payment=first, by=clerk)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_clicked_deposit_at_once_makes_one_payment(license, monkeypatch):
    """The second click passes the first look before the first click's payment is committed,
    waits for the business's lock, then finds that payment (looked for again under the lock)."""
    from payments.services import trust as trust_services
    from tests.threads import hold, run_at_once

    user = contractor_user(license, can_manage=True)
    key = uuid.uuid4()
    hold(monkeypatch, trust_services, "payment_row_create", 0.5)

    def click(_):
        return trust_deposit_start(
            user=type(user).objects.get(pk=user.pk),
            contractor=license.holder,
            amount=Decimal("50.00"),
            method="card",
            provider="offline",
            key=key,
        )

    results = run_at_once(2, click)
    payment = Payment.objects.get()
    assert sorted(results, key=lambda pair: not pair[1]) == [(payment, True), (payment, False)]

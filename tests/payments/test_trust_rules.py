"""The trust account's rules at their edges: paying exactly the whole balance, the low-balance
alert exactly at the threshold, staff's deposits and adjustments of $0 or down to exactly $0,
the same Pay click arriving twice, and the exact words of each refusal and ledger line."""

import uuid
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from core.models import Event
from licenses.models import Membership
from payments.exceptions import PaymentError
from payments.models import (
    CartLine,
    EntryKind,
    Payment,
    PaymentMethod,
    PaymentStatus,
    TrustAccount,
    TrustEntry,
)
from payments.selectors import trust_balance
from payments.services import trust as trust_services
from payments.services.checkout import payment_start
from payments.services.trust import (
    trust_pay,
    trust_record,
    trust_refund,
    trust_threshold_set,
)
from permits.models import Fee, FeeStatus
from tests.factories import (
    LicenseFactory,
    MembershipFactory,
    PermitFactory,
    UserFactory,
    contractor_user,
    moves,
)
from tests.payments.conftest import fund, permit_with_fees
from tests.threads import hold, run_at_once

pytestmark = pytest.mark.django_db


def put_in_cart(user, *fees) -> None:
    for fee in fees:
        CartLine.objects.create(user=user, fee=fee)


def refused(call, **kwargs) -> str:
    with pytest.raises(PaymentError) as error:
        call(**kwargs)
    return str(error.value)


def history(record) -> list[tuple[str, object, str]]:
    """The record's moves in core's history (what admin shows), oldest first."""
    return [(move.to_status, move.changed_by, move.note) for move in moves(record)]


@pytest.fixture
def clerk():
    return UserFactory(username="clerk", is_staff=True)


@pytest.fixture
def account(license):
    account, _ = TrustAccount.objects.get_or_create(contractor=license.holder)
    return account


# Paying from the account ----------------------------------------------------------------------


def test_paying_exactly_the_whole_balance_is_allowed_and_leaves_zero(license):
    payer = contractor_user(license, can_pay=True)
    _, fees = permit_with_fees(license, "100.00", "25.50")
    account = fund(license, "125.50")
    put_in_cart(payer, *fees)
    payment = trust_pay(user=payer, account=account, key=uuid.uuid4())
    assert payment.status == PaymentStatus.CONFIRMED and payment.total == Decimal("125.50")
    assert trust_balance(account) == Decimal("0.00")


def test_a_balance_one_cent_short_is_refused_in_words_the_payer_reads(license):
    payer = contractor_user(license, can_pay=True)
    _, fees = permit_with_fees(license, "1000.00", "25.50")
    account = fund(license, "1025.49")
    put_in_cart(payer, *fees)
    assert refused(trust_pay, user=payer, account=account, key=uuid.uuid4()) == (
        "The trust account of Lincoln Builders LLC has $1,025.49; the fees are $1,025.50. "
        "Choose another way to pay, or ask the city for a deposit."
    )
    assert not Payment.objects.exists() and trust_balance(account) == Decimal("1025.49")


def test_the_ledger_debit_names_the_payer_and_the_permits_it_paid(license):
    payer = contractor_user(license, can_pay=True)
    _, first = permit_with_fees(license, "40.00", number="RES25-00777")
    _, second = permit_with_fees(license, "10.00", "5.00", number="RES25-00555")
    account = fund(license, "100.00")
    put_in_cart(payer, *first, *second)
    payment = trust_pay(user=payer, account=account, key=uuid.uuid4())
    debit = TrustEntry.objects.get(kind=EntryKind.PAYMENT)
    assert debit.amount == Decimal("-55.00") and debit.payment == payment
    assert debit.created_by == payer
    assert debit.reference == "RES25-00555, RES25-00777"


def test_a_debit_for_many_permits_keeps_the_first_200_characters_of_their_numbers(license):
    payer = contractor_user(license, can_pay=True)
    numbers = [f"COMMERCIAL-2025-{n:05d}" for n in range(12)]  # 22 characters each
    for number in numbers:
        _, fees = permit_with_fees(license, "1.00", number=number)
        put_in_cart(payer, *fees)
    account = fund(license, "100.00")
    trust_pay(user=payer, account=account, key=uuid.uuid4())
    reference = TrustEntry.objects.get(kind=EntryKind.PAYMENT).reference
    assert len(", ".join(numbers)) > 200
    assert reference == ", ".join(numbers)[:200] and len(reference) == 200


def test_the_payments_history_says_it_was_paid_from_the_trust_account(license):
    payer = contractor_user(license, can_pay=True)
    _, fees = permit_with_fees(license, "30.00")
    account = fund(license, "100.00")
    put_in_cart(payer, *fees)
    payment = trust_pay(user=payer, account=account, key=uuid.uuid4())
    assert history(payment) == [(PaymentStatus.CONFIRMED, payer, "Paid (trust account)")]


def test_paying_takes_fees_waived_meanwhile_out_of_the_cart(license, clerk):
    payer = contractor_user(license, can_pay=True)
    _, paid = permit_with_fees(license, "30.00")
    _, waived = permit_with_fees(license, "20.00")
    account = fund(license, "100.00")
    put_in_cart(payer, *paid, *waived)
    waived[0].move_to(FeeStatus.WAIVED, by=clerk, note="Hardship waiver")
    payment = trust_pay(user=payer, account=account, key=uuid.uuid4())
    assert payment.total == Decimal("30.00")
    assert not CartLine.objects.filter(user=payer).exists()


def test_paying_by_trust_closes_the_payers_unfinished_card_checkout(license, settings):
    """The payer went to the card page and came back to pay from the trust account instead:
    the card checkout is closed and lets go of the fees, which the trust payment pays."""
    settings.STRIPE_SECRET_KEY = ""  # the offline card gateway
    payer = contractor_user(license, can_pay=True)
    _, fees = permit_with_fees(license, "30.00")
    account = fund(license, "100.00")
    put_in_cart(payer, *fees)
    card, _ = payment_start(
        user=payer, method=PaymentMethod.CARD, provider="offline", key=uuid.uuid4()
    )
    payment = trust_pay(user=payer, account=account, key=uuid.uuid4())
    card.refresh_from_db()
    assert card.status == PaymentStatus.EXPIRED
    assert payment.status == PaymentStatus.CONFIRMED and trust_balance(account) == Decimal("70.00")
    assert Fee.objects.get(pk=fees[0].pk).status == FeeStatus.PAID


# The same click twice ---------------------------------------------------------------------------


def test_the_same_pay_click_again_returns_its_payment_and_debits_once(license):
    payer = contractor_user(license, can_pay=True)
    _, fees = permit_with_fees(license, "30.00")
    account = fund(license, "100.00")
    put_in_cart(payer, *fees)
    key = uuid.uuid4()
    payment = trust_pay(user=payer, account=account, key=key)
    again = trust_pay(user=type(payer).objects.get(pk=payer.pk), account=account, key=key)
    assert again == payment and again.status == PaymentStatus.CONFIRMED
    assert TrustEntry.objects.filter(kind=EntryKind.PAYMENT).count() == 1
    assert trust_balance(account) == Decimal("70.00")


def test_a_reload_after_paying_finds_the_payment_even_once_the_pay_role_is_gone(license):
    """The click went through; a reload of its form (after a manager took the Pay role away)
    shows that payment, not a refusal that would read as if it had not been paid."""
    payer = contractor_user(license, can_pay=True)
    _, fees = permit_with_fees(license, "30.00")
    account = fund(license, "100.00")
    put_in_cart(payer, *fees)
    key = uuid.uuid4()
    payment = trust_pay(user=payer, account=account, key=key)
    Membership.objects.filter(user=payer).update(can_pay=False)
    reloaded = type(payer).objects.get(pk=payer.pk)
    assert trust_pay(user=reloaded, account=account, key=key) == payment
    assert trust_balance(account) == Decimal("70.00")


def test_a_second_click_that_waited_for_the_first_ones_lock_gets_its_payment(license, monkeypatch):
    """A double click: both clicks pass the first look for the payment before either made it;
    the second waits for the account's lock while the first pays. Once it has the lock it finds
    the first one's payment (SQLite has no row locks: the first click is run inside the second
    one's wait)."""
    payer = contractor_user(license, can_pay=True)
    _, fees = permit_with_fees(license, "30.00")
    account = fund(license, "100.00")
    put_in_cart(payer, *fees)
    key = uuid.uuid4()
    real_lock = trust_services.lock_trust_account
    first: list[Payment] = []

    def lock_after_the_first_click(account_id):
        if not first:
            first.append(None)  # the first click's own lock is not a wait
            first[0] = trust_pay(
                user=type(payer).objects.get(pk=payer.pk), account=account, key=key
            )
        return real_lock(account_id)

    monkeypatch.setattr(trust_services, "lock_trust_account", lock_after_the_first_click)
    second = trust_pay(user=payer, account=account, key=key)
    assert second == first[0] and second.status == PaymentStatus.CONFIRMED
    assert Payment.objects.count() == 1
    assert trust_balance(account) == Decimal("70.00")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_both_clicks_of_a_double_clicked_pay_land_on_the_one_receipt(license, monkeypatch):
    """On PostgreSQL, with real row locks: the first click holds the account's lock while the
    second arrives and waits for it; the second then finds the first one's payment and goes to
    its receipt too (not back to checkout with "Your cart is empty.")."""
    payer = contractor_user(license, can_pay=True)
    _, fees = permit_with_fees(license, "80.00")
    account = fund(license, "500.00")
    put_in_cart(payer, *fees)
    hold(monkeypatch, trust_services, "lock_trust_account")
    key = str(uuid.uuid4())

    def click(_):
        browser = Client()
        browser.force_login(payer)
        response = browser.post(
            reverse("payments:checkout"),
            {"choice": f"trust:{account.pk}", "confirmed": "True", "key": key},
        )
        return response.status_code, response.get("Location")

    results = run_at_once(2, click)
    payment = Payment.objects.get()
    receipt = reverse("payments:receipt", args=[payment.receipt_number])
    assert results == [(302, receipt), (302, receipt)]
    assert trust_balance(account) == Decimal("420.00")


# Who may pay from it, and for which permits --------------------------------------------------------


def test_a_user_without_pay_at_the_business_is_refused_in_these_words(license):
    stranger = contractor_user(LicenseFactory(), can_pay=True)
    _, fees = permit_with_fees(license, "30.00")
    account = fund(license, "100.00")
    put_in_cart(stranger, *fees)
    assert (
        refused(trust_pay, user=stranger, account=account, key=uuid.uuid4())
        == "You cannot pay from that trust account."
    )
    assert not Payment.objects.exists()


def test_under_the_lock_a_payer_without_pay_at_the_accounts_business_is_refused(license):
    """The payment made under the account's lock asks the policy itself, whoever reached it:
    the payer holds Pay at a co-holder of the permit, not at the account's business. (Through
    trust_pay the same user is refused before the lock, in the same words.)"""
    partner = LicenseFactory()
    permit = PermitFactory(licenses=[license, partner])
    fee = Fee.objects.create(permit=permit, description="Plan review", amount=Decimal("30.00"))
    payer = contractor_user(partner, can_pay=True)
    account = fund(license, "100.00")
    put_in_cart(payer, fee)
    with transaction.atomic():
        message = refused(trust_services._trust_pay, user=payer, account=account, key=uuid.uuid4())
    assert message == "You cannot pay from that trust account."
    assert not Payment.objects.exists() and trust_balance(account) == Decimal("100.00")


@pytest.mark.parametrize(
    ("strangers", "words"),
    [
        (["RES25-09002"], "RES25-09002 is not"),
        (["RES25-09002", "RES25-09001"], "RES25-09001, RES25-09002 are not"),
    ],
    ids=["one permit", "two permits"],
)
def test_permits_the_business_holds_no_license_on_are_named_in_the_refusal(
    license, strangers, words
):
    payer = contractor_user(license, can_pay=True)
    _, own = permit_with_fees(license, "30.00")
    other = LicenseFactory()
    MembershipFactory(user=payer, contractor=other.holder, can_pay=True)
    put_in_cart(payer, *own)
    for number in strangers:
        _, theirs = permit_with_fees(other, "20.00", number=number)
        put_in_cart(payer, *theirs)
    account = fund(license, "500.00")
    assert refused(trust_pay, user=payer, account=account, key=uuid.uuid4()) == (
        f"The trust account of Lincoln Builders LLC pays for its own permits only; {words}. "
        "Pay those another way."
    )
    assert not Payment.objects.exists()


# The low-balance alert --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("balance", "threshold", "alerted"),
    [
        ("200.00", "200.00", True),  # at the threshold before, below it after
        ("225.50", "100.00", False),  # exactly at the threshold after: not below it
        ("225.49", "100.00", True),  # a cent below it after
        ("150.00", "200.00", False),  # below it already: told once, when it crossed
    ],
    ids=["at it before", "at it after", "a cent below after", "below before"],
)
def test_the_low_balance_alert_goes_when_a_payment_takes_the_balance_below_the_threshold(
    license, mailoutbox, django_capture_on_commit_callbacks, balance, threshold, alerted
):
    payer = contractor_user(license, can_pay=True)
    contractor_user(license, can_manage=True, username="boss")
    _, fees = permit_with_fees(license, "100.00", "25.50")
    account = fund(license, balance)
    TrustAccount.objects.filter(pk=account.pk).update(low_balance_threshold=Decimal(threshold))
    put_in_cart(payer, *fees)
    with django_capture_on_commit_callbacks(execute=True):
        trust_pay(user=payer, account=account, key=uuid.uuid4())
    alerts = [m for m in mailoutbox if "Trust account low" in m.subject]
    after = Decimal(balance) - Decimal("125.50")
    expected = [f"Trust account low: Lincoln Builders LLC, ${after}"] if alerted else []
    assert [m.subject.split("] ", 1)[1] for m in alerts] == expected
    assert all(m.to == ["boss@example.com"] for m in alerts)
    # What the account's history keeps of it: who paid, the balance it left, the alert's level.
    recorded = [
        (event.actor, event.payload)
        for event in Event.objects.filter(type="trust.low_balance", object_id=account.pk)
    ]
    payment = Payment.objects.get()
    expected_events = [
        (payer, {"balance": str(after), "threshold": threshold, "payment": payment.pk})
    ]
    assert recorded == (expected_events if alerted else [])


def test_only_a_manager_sets_the_alert_in_these_words(license):
    payer = contractor_user(license, can_pay=True)
    assert refused(
        trust_threshold_set, contractor=license.holder, threshold=Decimal("5.00"), by=payer
    ) == ("Only the business's managers set its low-balance alert.")
    assert not TrustAccount.objects.exists()


def test_a_manager_changes_and_clears_the_alert_of_an_open_account(license, account):
    manager = contractor_user(license, can_manage=True)
    trust_threshold_set(contractor=license.holder, threshold=Decimal("75.00"), by=manager)
    assert TrustAccount.objects.get().low_balance_threshold == Decimal("75.00")
    trust_threshold_set(contractor=license.holder, threshold=None, by=manager)
    assert TrustAccount.objects.get().low_balance_threshold is None


# Staff's deposits and adjustments -----------------------------------------------------------------


def test_staff_record_only_deposits_and_adjustments(account, clerk):
    for kind in (EntryKind.PAYMENT, EntryKind.REFUND):
        assert refused(
            trust_record,
            account=account,
            kind=kind,
            amount=Decimal("10.00"),
            reference="Check 1",
            by=clerk,
        ) == ("Staff record deposits and adjustments; payments and refunds come from the portal.")
    assert not TrustEntry.objects.exists()


def test_a_deposit_or_adjustment_needs_a_reference(account, clerk):
    for kind in (EntryKind.DEPOSIT, EntryKind.ADJUSTMENT):
        assert (
            refused(
                trust_record,
                account=account,
                kind=kind,
                amount=Decimal("10.00"),
                reference="   ",
                by=clerk,
            )
            == "Give a reference (check number, receipt, reason)."
        )
    assert not TrustEntry.objects.exists()


@pytest.mark.parametrize("amount", ["0", "0.004", "-5.00"])
def test_a_deposit_of_nothing_or_less_is_refused(account, clerk, amount):
    assert (
        refused(
            trust_record,
            account=account,
            kind=EntryKind.DEPOSIT,
            amount=Decimal(amount),
            reference="Check 1",
            by=clerk,
        )
        == "A deposit is a positive amount."
    )
    assert not TrustEntry.objects.exists()


@pytest.mark.parametrize("amount", ["0.01", "1.00", "1925.81"])
def test_a_deposit_of_a_cent_or_more_is_recorded_by_the_clerk(account, clerk, amount):
    entry = trust_record(
        account=account,
        kind=EntryKind.DEPOSIT,
        amount=Decimal(amount),
        reference="  Check 4410 ",
        by=clerk,
    )
    assert (entry.kind, entry.amount, entry.reference, entry.created_by) == (
        EntryKind.DEPOSIT,
        Decimal(amount),
        "Check 4410",
        clerk,
    )
    assert trust_balance(account) == Decimal(amount)


@pytest.mark.parametrize("amount", ["0", "0.00", "-0.001"])
def test_an_adjustment_of_zero_is_refused(license, account, clerk, amount):
    fund(license, "30.00")
    assert (
        refused(
            trust_record,
            account=account,
            kind=EntryKind.ADJUSTMENT,
            amount=Decimal(amount),
            reference="Correction",
            by=clerk,
        )
        == "An adjustment is not zero."
    )
    assert TrustEntry.objects.count() == 1


@pytest.mark.parametrize(("amount", "balance"), [("1.00", "31.00"), ("-1.00", "29.00")])
def test_an_adjustment_of_a_dollar_either_way_is_recorded(license, account, clerk, amount, balance):
    fund(license, "30.00")
    trust_record(
        account=account,
        kind=EntryKind.ADJUSTMENT,
        amount=Decimal(amount),
        reference="Correction",
        by=clerk,
    )
    assert trust_balance(account) == Decimal(balance)


def test_an_adjustment_may_bring_the_balance_to_exactly_zero(license, account, clerk):
    fund(license, "30.00")
    entry = trust_record(
        account=account,
        kind=EntryKind.ADJUSTMENT,
        amount=Decimal("-30.00"),
        reference="Closing the account",
        by=clerk,
    )
    assert entry.amount == Decimal("-30.00") and trust_balance(account) == Decimal("0.00")


def test_an_adjustment_below_zero_is_refused_in_these_words(license, account, clerk):
    fund(license, "30.00")
    assert (
        refused(
            trust_record,
            account=account,
            kind=EntryKind.ADJUSTMENT,
            amount=Decimal("-30.01"),
            reference="Too much",
            by=clerk,
        )
        == "That adjustment would take the balance below zero."
    )
    assert trust_balance(account) == Decimal("30.00")


def test_a_long_reference_keeps_its_first_200_characters(account, clerk):
    reference = "Check 4410 from First National Bank, " + "x" * 250
    entry = trust_record(
        account=account,
        kind=EntryKind.DEPOSIT,
        amount=Decimal("10.00"),
        reference=f"  {reference}",
        by=clerk,
    )
    entry.refresh_from_db()
    assert entry.reference == reference[:200] and len(entry.reference) == 200


# Refunds back to the account --------------------------------------------------------------------


@pytest.fixture
def paid(license):
    payer = contractor_user(license, can_pay=True)
    _, fees = permit_with_fees(license, "100.00", "25.50")
    account = fund(license, "500.00")
    put_in_cart(payer, *fees)
    return trust_pay(user=payer, account=account, key=uuid.uuid4()), fees


def test_a_trust_refund_credits_the_account_with_a_line_linked_to_its_payment(paid, clerk):
    payment, _ = paid
    trust_refund(payment_id=payment.pk, by=clerk)
    credit = TrustEntry.objects.get(kind=EntryKind.REFUND)
    assert credit.amount == Decimal("125.50")
    assert credit.payment == payment
    assert credit.created_by == clerk
    assert credit.reference == f"Refund of {payment.receipt_number}"
    assert trust_balance(payment.trust_account) == Decimal("500.00")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded_by == clerk


def test_a_trust_refund_waives_the_fees_when_staff_choose_so(paid, clerk):
    payment, fees = paid
    trust_refund(payment_id=payment.pk, by=clerk, fees_become=FeeStatus.WAIVED)
    assert {fee.status for fee in Fee.objects.filter(pk__in=[f.pk for f in fees])} == {
        FeeStatus.WAIVED
    }

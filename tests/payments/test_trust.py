import csv
import datetime
import io
import uuid
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from licenses.models import Membership
from payments.exceptions import LedgerIsAppendOnly, PaymentError
from payments.models import CartLine, EntryKind, Payment, PaymentStatus, TrustAccount, TrustEntry
from payments.selectors import trust_balance
from payments.services.trust import trust_record
from permits.models import FeeStatus
from tests.factories import LicenseFactory, UserFactory, contractor_user, moves
from tests.payments.conftest import fund, permit_with_fees

pytestmark = pytest.mark.django_db

CHECKOUT = reverse("payments:checkout")


def pay_from(client, account, key="44444444-4444-4444-4444-444444444444", follow=True):
    return client.post(
        CHECKOUT, {"choice": f"trust:{account.pk}", "confirmed": "True", "key": key}, follow=follow
    )


def test_paying_by_trust_account_debits_the_exact_total_and_shows_the_receipt(
    client, payer, license, two_permits, django_capture_on_commit_callbacks
):
    (first, fees), (second, _) = two_permits
    account = fund(license, "500.00")
    client.post(reverse("payments:cart_add", args=[first.number]))
    client.post(reverse("payments:cart_add", args=[second.number]))
    with django_capture_on_commit_callbacks(execute=True):
        response = pay_from(client, account)
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.CONFIRMED and payment.total == Decimal("165.50")
    assert payment.convenience_fee == Decimal("0.00")
    assert trust_balance(account) == Decimal("334.50")
    entry = TrustEntry.objects.get(kind=EntryKind.PAYMENT)
    assert entry.amount == Decimal("-165.50") and entry.payment == payment
    assert first.number in entry.reference and second.number in entry.reference
    text = response.text
    assert (
        f"Receipt {payment.receipt_number}" in text
        and "$165.50" in text
        and "Trust Account" in text
    )
    assert payment.receipt_number in mail.outbox[-1].subject
    assert all(
        fee.status == FeeStatus.PAID
        for fee in type(fees[0]).objects.filter(permit__in=[first, second])
    )


def test_a_balance_short_of_the_total_is_refused(client, payer, license, two_permits):
    (first, _), _ = two_permits
    account = fund(license, "125.00")
    client.post(reverse("payments:cart_add", args=[first.number]))
    response = pay_from(client, account)
    assert "has $125.00; the fees are $125.50" in response.text
    assert not Payment.objects.exists() and trust_balance(account) == Decimal("125.00")


def test_the_ledger_is_append_only():
    account = fund(LicenseFactory(), "10.00")
    entry = TrustEntry.objects.get()
    entry.amount = Decimal("1000.00")
    with pytest.raises(LedgerIsAppendOnly):
        entry.save()
    with pytest.raises(LedgerIsAppendOnly):
        entry.delete()
    assert trust_balance(account) == Decimal("10.00")


@pytest.mark.postgres
def test_the_database_refuses_to_edit_or_delete_an_entry():
    from django.db import DatabaseError, transaction

    fund(LicenseFactory(), "10.00")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE payments_trustentry SET amount = 999")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM payments_trustentry")


def test_staff_deposits_and_adjustments_never_take_the_balance_below_zero():
    staff = UserFactory(is_staff=True)
    account, _ = TrustAccount.objects.get_or_create(contractor=LicenseFactory().holder)
    trust_record(
        account=account,
        kind=EntryKind.DEPOSIT,
        amount=Decimal("50.00"),
        reference="Check 77",
        by=staff,
    )
    trust_record(
        account=account,
        kind=EntryKind.ADJUSTMENT,
        amount=Decimal("-20.00"),
        reference="Bank fee",
        by=staff,
    )
    assert trust_balance(account) == Decimal("30.00")
    with pytest.raises(PaymentError, match="below zero"):
        trust_record(
            account=account,
            kind=EntryKind.ADJUSTMENT,
            amount=Decimal("-30.01"),
            reference="Too much",
            by=staff,
        )
    with pytest.raises(PaymentError, match="reference"):
        trust_record(
            account=account, kind=EntryKind.DEPOSIT, amount=Decimal("5"), reference=" ", by=staff
        )
    with pytest.raises(PaymentError, match="positive"):
        trust_record(
            account=account, kind=EntryKind.DEPOSIT, amount=Decimal("-5"), reference="x", by=staff
        )
    assert trust_balance(account) == Decimal("30.00")


def test_staff_record_a_deposit_in_admin(client):
    staff = UserFactory(username="chief", is_staff=True, is_superuser=True)
    client.force_login(staff)
    account, _ = TrustAccount.objects.get_or_create(contractor=LicenseFactory().holder)
    response = client.post(
        reverse("admin:payments_trustentry_add"),
        {"account": account.pk, "kind": "deposit", "amount": "250.00", "reference": "Check 1234"},
        follow=True,
    )
    assert response.status_code == 200
    entry = TrustEntry.objects.get()
    assert entry.created_by == staff and entry.amount == Decimal("250.00")
    change = client.get(reverse("admin:payments_trustentry_change", args=[entry.pk]))
    assert 'name="amount"' not in change.text  # no editing
    assert (
        client.post(reverse("admin:payments_trustentry_delete", args=[entry.pk])).status_code == 403
    )


def test_the_trust_page_shows_balance_history_and_running_balance(
    client, payer, license, two_permits
):
    (first, _), _ = two_permits
    account = fund(license, "500.00")
    client.post(reverse("payments:cart_add", args=[first.number]))
    pay_from(client, account)
    page = client.get(reverse("payments:trust", args=[license.holder.pk]))
    text = page.text
    assert "$374.50" in text  # balance
    rows = list(page.context["page"].object_list)
    assert [row.running for row in rows] == [Decimal("374.50"), Decimal("500.00")]
    assert first.number in text and Payment.objects.get().receipt_number in text
    body = b"".join(
        client.get(reverse("payments:trust_csv", args=[license.holder.pk])).streaming_content
    ).decode()
    lines = list(csv.reader(io.StringIO(body)))
    assert lines[0] == ["Date", "Kind", "Reference", "Receipt", "Amount", "Balance"]
    assert lines[1][1:] == ["Deposit", "Check 1001", "", "500.00", "500.00"]
    assert lines[2][4:] == ["-125.50", "374.50"]


def test_only_members_with_pay_or_manage_see_the_trust_account(client, license):
    account = fund(license, "5.00")
    url = reverse("payments:trust", args=[account.contractor_id])
    client.force_login(contractor_user(license))  # no role at the business
    assert client.get(url).status_code == 404
    assert (
        client.get(reverse("payments:trust_csv", args=[account.contractor_id])).status_code == 404
    )
    client.force_login(contractor_user(license, can_manage=True))
    assert client.get(url).status_code == 200


def test_managers_set_a_low_balance_threshold_and_crossing_it_emails_them(
    client, license, two_permits, django_capture_on_commit_callbacks
):
    (first, _), _ = two_permits
    manager = contractor_user(license, can_manage=True)
    account = fund(license, "200.00")
    client.force_login(manager)
    client.post(
        reverse("payments:trust", args=[license.holder.pk]), {"low_balance_threshold": "100.00"}
    )
    account.refresh_from_db()
    assert account.low_balance_threshold == Decimal("100.00")
    client.post(reverse("payments:cart_add", args=[first.number]))
    with django_capture_on_commit_callbacks(execute=True):
        pay_from(client, account)
    alert = (
        mail.outbox[-1]
        if "Trust account low" in mail.outbox[-1].subject
        else next(m for m in mail.outbox if "Trust account low" in m.subject)
    )
    assert alert.to == [manager.email] and "$74.50" in alert.body


def test_a_payer_without_manage_cannot_set_the_threshold(client, payer, license):
    fund(license, "5.00")
    response = client.post(
        reverse("payments:trust", args=[license.holder.pk]), {"low_balance_threshold": "1.00"}
    )
    assert response.status_code == 404


def test_a_trust_refund_is_a_ledger_credit_and_the_fees_are_due_again(
    client, payer, license, two_permits
):
    from payments.flows import payment_refund

    (first, fees), _ = two_permits
    account = fund(license, "500.00")
    client.post(reverse("payments:cart_add", args=[first.number]))
    pay_from(client, account)
    payment = Payment.objects.get()
    payment_refund(payment=payment, by=UserFactory(is_staff=True))
    assert trust_balance(account) == Decimal("500.00")
    assert TrustEntry.objects.filter(kind=EntryKind.REFUND, amount=Decimal("125.50")).exists()
    for fee in fees:
        fee.refresh_from_db()
        assert fee.status == FeeStatus.DUE


def test_paid_items_and_receipts_are_the_payers_own(client, payer, license, two_permits):
    (first, _), _ = two_permits
    account = fund(license, "500.00")
    client.post(reverse("payments:cart_add", args=[first.number]))
    pay_from(client, account)
    payment = Payment.objects.get()
    assert payment.receipt_number in client.get(reverse("payments:paid_items")).text
    colleague = contractor_user(license, can_pay=True)
    client.force_login(colleague)
    assert client.get(reverse("payments:receipt", args=[payment.receipt_number])).status_code == 404
    assert payment.receipt_number not in client.get(reverse("payments:paid_items")).text


def test_a_colleagues_membership_at_another_business_gives_no_trust_access(client, license):
    other = LicenseFactory()
    user = contractor_user(other, can_pay=True)
    Membership.objects.filter(user=user).update(can_pay=True)
    client.force_login(user)
    fund(license, "5.00")
    assert client.get(reverse("payments:trust", args=[license.holder.pk])).status_code == 404


def test_fees_due_on_several_permits_paid_with_auto_issue(client, payer, license, settings):
    from permits.models import PermitStatus

    settings.PAYMENTS_AUTO_ISSUE = True
    permit, _ = permit_with_fees(license, "60.00", status=PermitStatus.READY_TO_ISSUE)
    account = fund(license, "100.00")
    client.post(reverse("payments:cart_add", args=[permit.number]))
    pay_from(client, account)
    permit.refresh_from_db()
    assert permit.status == PermitStatus.ISSUED and permit.issued_on is not None
    (issued,) = moves(permit)
    assert (issued.event_type, issued.note) == ("permit.issued", "Issued on payment of its fees")


def test_without_auto_issue_the_permit_waits_in_the_admin_filter(client, payer, license, settings):
    from permits.models import PermitStatus

    settings.PAYMENTS_AUTO_ISSUE = False  # the city's clerk issues each permit

    permit, _ = permit_with_fees(license, "60.00", status=PermitStatus.READY_TO_ISSUE)
    unpaid, _ = permit_with_fees(license, "10.00", status=PermitStatus.READY_TO_ISSUE)
    account = fund(license, "100.00")
    client.post(reverse("payments:cart_add", args=[permit.number]))
    pay_from(client, account)
    permit.refresh_from_db()
    assert permit.status == PermitStatus.READY_TO_ISSUE
    client.force_login(UserFactory(username="chief", is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:permits_permit_changelist"), {"paid": "ready"})
    assert list(page.context["cl"].result_list) == [permit]
    assert "Paid, ready to issue" in page.text
    assert unpaid.number not in [p.number for p in page.context["cl"].result_list]


def test_the_csv_never_hands_a_spreadsheet_a_formula(client, payer, license):
    account = fund(license, "10.00")
    TrustEntry.objects.create(
        account=account,
        kind=EntryKind.DEPOSIT,
        amount=Decimal("5.00"),
        reference='=HYPERLINK("http://evil.example","x")',
    )
    body = b"".join(
        client.get(reverse("payments:trust_csv", args=[license.holder.pk])).streaming_content
    ).decode()
    references = [line[2] for line in csv.reader(io.StringIO(body))][1:]
    assert '\'=HYPERLINK("http://evil.example","x")' in references
    assert not any(reference.startswith("=") for reference in references)


def test_a_receipt_carries_the_year_of_the_citys_calendar(payer, license, two_permits, monkeypatch):
    from payments.services import confirm, trust

    (first, _), _ = two_permits
    for fee in first.fees.all():
        CartLine.objects.create(user=payer, fee=fee)
    new_years_eve = datetime.datetime(2025, 12, 31, 20, 0, tzinfo=timezone.get_current_timezone())
    assert new_years_eve.astimezone(datetime.UTC).year == 2026  # UTC is in the new year already
    monkeypatch.setattr(confirm.timezone, "now", lambda: new_years_eve.astimezone(datetime.UTC))
    account = fund(license, "500.00")
    payment = trust.trust_pay(user=payer, account=account, key=uuid.uuid4())
    assert payment.receipt_number.startswith("R2025-")


def test_looking_never_opens_an_account(client, license, two_permits):
    (first, _), _ = two_permits
    manager = contractor_user(license, can_manage=True)
    client.force_login(manager)
    page = client.get(reverse("payments:trust", args=[license.holder.pk]))
    assert page.status_code == 200 and "$0.00" in page.text
    csv_body = client.get(reverse("payments:trust_csv", args=[license.holder.pk]))
    assert b"".join(csv_body.streaming_content).decode().count("\n") == 1  # the header only
    client.post(reverse("payments:cart_add", args=[first.number]))
    assert "Trust Account" not in client.get(reverse("payments:checkout")).text
    assert not TrustAccount.objects.exists()
    # A manager's alert threshold is the first thing that opens it.
    client.post(
        reverse("payments:trust", args=[license.holder.pk]), {"low_balance_threshold": "50.00"}
    )
    assert TrustAccount.objects.get().low_balance_threshold == Decimal("50.00")


def test_a_deposit_in_one_step_opens_the_account_and_records_it(client):
    """Issue 13, requirement 13: "Record a deposit" in admin opens the business's trust
    account if it has none and records the deposit (it took two pages and an autocomplete)."""
    from decimal import Decimal

    from django.urls import reverse

    from core.money import ZERO
    from payments.models import EntryKind, TrustAccount, TrustEntry
    from tests.factories import ContractorFactory, UserFactory

    clerk = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(clerk)
    business = ContractorFactory(business_name="Prairie Electric Co.")
    url = reverse("admin:payments_trustaccount_deposit")
    listing = client.get(reverse("admin:payments_trustaccount_changelist"))
    assert url in listing.text and "Record a deposit" in listing.text
    response = client.post(
        url,
        {"contractor": business.pk, "amount": "1925.81", "reference": "Check 4410"},
        follow=True,
    )
    account = TrustAccount.objects.get(contractor=business)
    entry = TrustEntry.objects.get(account=account)
    assert entry.kind == EntryKind.DEPOSIT and entry.amount == Decimal("1925.81")
    assert entry.created_by == clerk and entry.reference == "Check 4410"
    assert "Deposit of $1,925.81 recorded for Prairie Electric Co." in response.text
    # The account's page offers the next deposit for the same business.
    assert f"{url}?contractor={business.pk}" in response.text
    second = client.get(f"{url}?contractor={business.pk}")
    assert second.context["form"].initial["contractor"] == business.pk
    client.post(url, {"contractor": business.pk, "amount": "100", "reference": "Check 4411"})
    assert TrustAccount.objects.filter(contractor=business).count() == 1
    assert sum((e.amount for e in TrustEntry.objects.filter(account=account)), ZERO) == Decimal(
        "2025.81"
    )


def test_a_deposit_needs_an_amount_a_reference_and_the_permission(client):
    from django.urls import reverse

    from payments.models import TrustAccount
    from tests.factories import ContractorFactory, UserFactory

    url = reverse("admin:payments_trustaccount_deposit")
    business = ContractorFactory()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.post(url, {"contractor": business.pk, "amount": "-5", "reference": ""})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"amount", "reference"}
    assert "greater than or equal to 0.01" in response.text
    assert not TrustAccount.objects.exists()
    client.force_login(UserFactory(is_staff=True))
    assert client.get(url).status_code == 403


def test_paid_items_list_the_permits_and_fee_lines_each_payment_paid(
    client, payer, license, two_permits, django_assert_max_num_queries
):
    """Issue 13, requirement 4 (eTRAKIT's Paid Items): each payment with its permits and fee
    lines, as paid; the page's lines in one query, however many payments."""
    (first, _), (second, _) = two_permits
    account = fund(license, "500.00")
    client.post(reverse("payments:cart_add", args=[first.number]))
    pay_from(client, account)
    client.post(reverse("payments:cart_add", args=[second.number]))
    pay_from(client, account, key="55555555-5555-5555-5555-555555555555")
    with django_assert_max_num_queries(12):
        page = client.get(reverse("payments:paid_items"))
    text = page.text
    for permit in (first, second):
        assert reverse("permits:detail", args=[permit.number]) in text
    rows = text.split("<tr>")[2:]
    assert len(rows) == 2
    newest, oldest = rows
    assert second.number in newest and first.number not in newest
    assert first.number in oldest and "$100.00" in oldest and "$25.50" in oldest
    assert "Lincoln Builders LLC" in oldest  # the trust account it was paid from


def test_the_receipt_and_low_balance_emails_write_money_as_the_pages_do(
    client, payer, license, django_capture_on_commit_callbacks
):
    """Issue 23: "$1119.10" in the receipt email where the pages say "$1,119.10"."""
    from django.core import mail

    from tests.factories import contractor_user

    contractor_user(license, can_manage=True, username="manager")  # hears of a low balance
    permit, _ = permit_with_fees(license, "1119.10")
    account = fund(license, "1500.00")
    account.low_balance_threshold = Decimal("1000.00")
    account.save(update_fields=["low_balance_threshold"])
    client.post(reverse("payments:cart_add", args=[permit.number]))
    with django_capture_on_commit_callbacks(execute=True):
        pay_from(client, account)
    payment = Payment.objects.get()
    (receipt,) = [m for m in mail.outbox if payment.receipt_number in m.subject]
    assert f": $1,119.10 paid for permit {permit.number}" in receipt.subject
    assert "Total: $1,119.10" in receipt.body
    assert "$1,119.10" in receipt.alternatives[0][0]
    (alert,) = [m for m in mail.outbox if "Trust account low" in m.subject]
    assert alert.subject.endswith("$380.90") and "below the $1,000.00 you set" in alert.body


def test_a_receipt_s_subject_names_its_permit_and_address_or_how_many_permits(
    client, payer, license, two_permits, django_capture_on_commit_callbacks
):
    """From the newcomer walk: the receipt's subject had only its number and total, where the
    portal's other subjects name the permit and its address."""
    (first, _), (second, _) = two_permits
    account = fund(license, "500.00")

    def receipt_subject(*permits, key) -> str:
        for permit in permits:
            client.post(reverse("payments:cart_add", args=[permit.number]))
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            pay_from(client, account, key=key)
        payment = Payment.objects.order_by("-pk").first()
        (receipt,) = [m for m in mail.outbox if payment.receipt_number in m.subject]
        return receipt.subject.split("] ", 1)[1], payment.receipt_number

    subject, number = receipt_subject(first, key="11111111-1111-1111-1111-111111111111")
    assert subject == f"Receipt {number}: $125.50 paid for permit {first.number}, {first.address}"
    third, _ = permit_with_fees(license, "10.00")
    subject, number = receipt_subject(second, third, key="22222222-2222-2222-2222-222222222222")
    assert subject == f"Receipt {number}: $50.00 paid for 2 permits"

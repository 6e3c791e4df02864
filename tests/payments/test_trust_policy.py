"""The trust account's rule is the policy's (policy.businesses.can_use_trust_account), and the
payment service asks it itself, whoever calls it."""

import uuid

import pytest

from payments.exceptions import PaymentError
from payments.models import CartLine, Payment
from payments.selectors import trust_accounts_for
from payments.services.trust import trust_pay
from tests.factories import LicenseFactory, MembershipFactory, contractor_user
from tests.payments.conftest import fund, permit_with_fees

pytestmark = pytest.mark.django_db


def test_the_service_refuses_a_member_without_pay(license):
    _, fees = permit_with_fees(license, "30.00")
    account = fund(license, "100.00")
    for user in (
        contractor_user(license, can_upload=True),
        contractor_user(license, can_pay=True, verified=False),
    ):
        CartLine.objects.create(user=user, fee=fees[0])
        with pytest.raises(PaymentError, match="cannot pay from that trust account"):
            trust_pay(user=user, account=account, key=uuid.uuid4())
    assert not Payment.objects.exists()


def test_the_service_refuses_a_permit_the_business_holds_no_license_on(license):
    payer = contractor_user(license, can_pay=True)
    _, own = permit_with_fees(license, "30.00")
    # A permit of another business where the payer has Pay too: payable, but not from this
    # business's account.
    other = LicenseFactory()
    MembershipFactory(user=payer, contractor=other.holder, can_pay=True)
    foreign, theirs = permit_with_fees(other, "20.00")
    account = fund(license, "100.00")
    CartLine.objects.create(user=payer, fee=own[0])
    CartLine.objects.create(user=payer, fee=theirs[0])
    assert trust_accounts_for(payer) == [account]
    assert trust_accounts_for(payer, permit_ids=[own[0].permit_id, foreign.pk]) == []
    with pytest.raises(PaymentError, match=f"own permits only; {foreign.number} is not"):
        trust_pay(user=payer, account=account, key=uuid.uuid4())
    assert not Payment.objects.exists()


def test_the_cart_service_refuses_a_user_without_pay(license):
    from payments.services.cart import cart_add_permit

    permit, _ = permit_with_fees(license, "30.00")
    for user in (
        contractor_user(license, can_upload=True),
        contractor_user(license, can_pay=True, verified=False),
    ):
        with pytest.raises(PaymentError, match="needs the Pay role"):
            cart_add_permit(user=user, permit=permit)
    assert not CartLine.objects.exists()
    cart_add_permit(user=contractor_user(license, can_pay=True), permit=permit)
    assert CartLine.objects.count() == 1


def test_only_a_manager_sets_the_low_balance_alert(license):
    from decimal import Decimal

    from payments.services.trust import trust_threshold_set

    with pytest.raises(PaymentError, match="Only the business's managers"):
        trust_threshold_set(
            contractor=license.holder,
            threshold=Decimal("50.00"),
            by=contractor_user(license, can_pay=True),
        )
    account = trust_threshold_set(
        contractor=license.holder,
        threshold=Decimal("50.00"),
        by=contractor_user(license, can_manage=True),
    )
    assert account.low_balance_threshold == Decimal("50.00")


def test_the_low_balance_alert_goes_to_the_managers_the_policy_counts(license, mailoutbox):
    from core.events import event_record
    from notifications.subscribers.payments import send_low_balance_alert

    account = fund(license, "100.00")
    contractor_user(license, can_manage=True, username="verifiedboss")
    contractor_user(license, can_manage=True, username="unverifiedboss", verified=False)
    send_low_balance_alert(event_record("trust.low_balance", subject=account))
    assert [message.to for message in mailoutbox] == [["verifiedboss@example.com"]]

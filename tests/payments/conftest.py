from decimal import Decimal

import pytest

from payments.models import EntryKind, TrustAccount, TrustEntry
from permits.models import PermitStatus
from tests.factories import FeeFactory, LicenseFactory, PermitFactory, contractor_user
from tests.payments.fake_stripe import FAKE, SECRET_KEY, WEBHOOK_SECRET


@pytest.fixture
def stripe_on(settings):
    """Stripe keys set, its HTTP traffic going to the fake, which refuses to be called inside a
    database transaction."""
    FAKE.reset()
    FAKE.guard_transactions()
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_portal_fake"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_HTTP_CLIENT = "tests.payments.fake_stripe.FakeStripeHTTPClient"
    return FAKE


@pytest.fixture
def license():
    return LicenseFactory(holder__business_name="Lincoln Builders LLC")


@pytest.fixture
def payer(client, license):
    user = contractor_user(license, can_pay=True)
    client.force_login(user)
    return user


def permit_with_fees(license, *amounts, number=None, status=PermitStatus.ISSUED):
    permit = PermitFactory(
        licenses=[license], status=status, **({"number": number} if number else {})
    )
    fees = [
        FeeFactory(permit=permit, description=f"Fee {n}", amount=Decimal(amount))
        for n, amount in enumerate(amounts)
    ]
    return permit, fees


@pytest.fixture
def two_permits(license):
    return permit_with_fees(license, "100.00", "25.50"), permit_with_fees(license, "40.00")


def fund(license, amount: str) -> TrustAccount:
    account, _ = TrustAccount.objects.get_or_create(contractor=license.holder)
    TrustEntry.objects.create(
        account=account, kind=EntryKind.DEPOSIT, amount=Decimal(amount), reference="Check 1001"
    )
    return account

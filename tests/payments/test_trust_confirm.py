"""Issue 23, requirement 11 (last part): before fees are paid from a trust account, a page shows
the balance now, the amount and the balance after, with Confirm; a balance that does not cover the
fees is said so, and nothing is paid until the payer confirms."""

from decimal import Decimal

import pytest
from django.urls import reverse

from payments.models import Payment, TrustEntry
from payments.selectors import trust_balance
from tests.factories import contractor_user
from tests.payments.conftest import fund

pytestmark = pytest.mark.django_db

CHECKOUT = reverse("payments:checkout")
KEY = "66666666-6666-6666-6666-666666666666"


def choose_trust(client, account, **extra):
    return client.post(CHECKOUT, {"choice": f"trust:{account.pk}", "key": KEY, **extra})


def test_choosing_the_trust_account_shows_the_balance_after_and_pays_nothing(
    client, payer, license, two_permits
):
    (first, _), (second, _) = two_permits
    account = fund(license, "500.00")
    client.post(reverse("payments:cart_add", args=[first.number]))
    client.post(reverse("payments:cart_add", args=[second.number]))
    page = choose_trust(client, account)
    assert page.status_code == 200
    assert page.context["preview"].after == Decimal("334.50")
    text = page.text
    assert "Confirm Trust Account Payment" in text
    assert 'data-testid="balance-now">$500.00<' in text
    assert 'data-testid="pay-amount">−$165.50<' in text
    assert 'data-testid="balance-after">$334.50<' in text
    assert ">Confirm</button>" in text
    # The same click's key goes on, so Confirm pays once however often it is pressed.
    assert f'value="{KEY}"' in text
    assert not Payment.objects.exists() and trust_balance(account) == Decimal("500.00")


def test_confirm_pays_and_shows_the_receipt(client, payer, license, two_permits):
    (first, _), _ = two_permits
    account = fund(license, "500.00")
    client.post(reverse("payments:cart_add", args=[first.number]))
    response = choose_trust(client, account, confirmed="True")
    payment = Payment.objects.get()
    assert response.url == reverse("payments:receipt", args=[payment.receipt_number])
    assert trust_balance(account) == Decimal("374.50")


@pytest.mark.parametrize(
    ("roles", "offered"),
    [
        ({"can_manage": True}, "make a deposit</a> first"),
        ({"can_pay": True}, "ask your business's manager for a deposit"),
    ],
)
def test_a_balance_short_of_the_fees_is_said_with_no_confirm(
    client, license, two_permits, roles, offered
):
    (first, _), _ = two_permits
    user = contractor_user(license, **roles)
    client.force_login(user)
    account = fund(license, "125.00")  # the fees are $125.50
    client.post(reverse("payments:cart_add", args=[first.number]))
    page = choose_trust(client, account)
    text = page.text
    assert "has $125.00; the fees are $125.50. Choose another way to pay" in text
    assert offered in text
    assert 'data-testid="balance-after">-$0.50<' in text
    assert ">Confirm</button>" not in text
    # Confirmed anyway (a page left open): refused under the account's lock.
    refused = choose_trust(client, account, confirmed="True")
    assert refused.url == CHECKOUT
    assert not Payment.objects.exists() and not TrustEntry.objects.filter(kind="payment")


def test_an_account_the_user_may_not_use_is_refused_before_the_page(client, payer, two_permits):
    from tests.factories import LicenseFactory

    (first, _), _ = two_permits
    stranger = fund(LicenseFactory(), "900.00")
    client.post(reverse("payments:cart_add", args=[first.number]))
    response = client.post(CHECKOUT, {"choice": f"trust:{stranger.pk}", "key": KEY}, follow=True)
    assert "You cannot pay from that trust account." in response.text
    assert "900.00" not in response.text
    assert not Payment.objects.exists()

"""The demo contractor pays two permits' fees from the trust account, then a third permit by
card through the offline gateway."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from demo.seed import DEMO_PASSWORDS, seed_demo_city
from payments.models import Payment, TrustAccount
from payments.selectors import trust_balance
from permits.scopes import permits_visible_to
from permits.selectors import with_fees_due
from tests.e2e.test_registration import nav, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def money(value: Decimal) -> str:
    return f"${value:,.2f}"


def test_pay_by_trust_account_then_by_card(page, live_server, settings, screenshot):
    settings.STRIPE_SECRET_KEY = ""  # the offline card gateway
    seed_demo_city()
    from django.contrib.auth import get_user_model

    demo = get_user_model().objects.get(username="demo")
    payable = list(
        with_fees_due(permits_visible_to(demo)).filter(fees_due__gt=0).order_by("number")[:3]
    )
    assert len(payable) == 3
    account = TrustAccount.objects.get(contractor__business_name="Lincoln Builders LLC")
    before = trust_balance(account)
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server.url, "demo", DEMO_PASSWORDS["demo"])

    # Two permits' fees into the cart.
    for permit in payable[:2]:
        page.goto(f"{live_server.url}/permits/{permit.number}/")
        page.get_by_role("button", name="Pay Fees Due").click()
        expect(page.get_by_text(f"Fees of permit {permit.number} are in your cart")).to_be_visible()
    total = payable[0].fees_due + payable[1].fees_due
    expect(page.get_by_test_id("cart-total")).to_have_text(money(total))
    expect(page.get_by_role("link", name="View Cart (")).to_be_visible()
    screenshot(page, "cart")

    # Checkout Summary: pay from the trust account.
    page.get_by_role("link", name="Checkout").click()
    expect(page.get_by_test_id("total-fees")).to_have_text(money(total))
    page.get_by_label(re.compile("Trust Account")).check()
    screenshot(page, "checkout")
    page.get_by_role("button", name="Pay").click()
    # The confirmation: the balance now, the fees, and the balance after.
    expect(page.get_by_role("heading", name="Confirm Trust Account Payment")).to_be_visible()
    expect(page.get_by_test_id("balance-now")).to_have_text(money(before))
    expect(page.get_by_test_id("balance-after")).to_have_text(money(before - total))
    assert trust_balance(account) == before  # nothing paid before Confirm
    screenshot(page, "trust-confirm")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name=re.compile(r"Receipt R\d{4}-\d{7}"))).to_be_visible()
    expect(page.get_by_test_id("receipt-total")).to_have_text(money(total))
    screenshot(page, "receipt")
    page.get_by_role("link", name="Trust Account").click()
    expect(page.get_by_test_id("trust-balance")).to_have_text(money(before - total))
    assert trust_balance(account) == before - total
    screenshot(page, "trust-account")

    # The third permit by card, through the offline gateway.
    third = payable[2]
    page.goto(f"{live_server.url}/permits/{third.number}/")
    page.get_by_role("button", name="Pay Fees Due").click()
    nav(page, re.compile(r"View Cart"))
    page.get_by_role("link", name="Checkout").click()
    page.get_by_label(re.compile("Credit Card")).check()
    page.get_by_role("button", name="Pay").click()
    expect(page.get_by_text("Offline card gateway")).to_be_visible()
    screenshot(page, "offline-gateway")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("heading", name=re.compile(r"Receipt R\d{4}-\d{7}"))).to_be_visible()
    card = Payment.objects.get(method="card")
    assert card.status == "confirmed" and card.fees_total == third.fees_due
    expect(page.get_by_test_id("receipt-total")).to_have_text(money(card.total))
    assert trust_balance(account) == before - total  # the card payment left the trust account alone

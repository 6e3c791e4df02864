"""Issue 23, requirement 11: the demo manager, on a 390 px phone, deposits to Lincoln Builders'
trust account by card through the offline gateway: a bad amount is said and kept, the receipt
shows the deposit, and the balance grows by it. Then, paying fees from the account, the
confirmation shows the balance after before anything is paid. Each new page passes axe."""

import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from demo.seed import DEMO_PASSWORDS, seed_demo_city
from payments.models import Payment, TrustAccount
from payments.selectors import trust_balance
from permits.scopes import permits_visible_to
from permits.selectors import with_fees_due
from tests.e2e.test_accessibility import AXE, RUN_AXE, STICKING_OUT, WIDER_THAN_THE_SCREEN
from tests.e2e.test_registration import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def money(value: Decimal) -> str:
    return f"${value:,.2f}"


def accessible_and_fits(page) -> None:
    page.evaluate(AXE)
    assert page.evaluate(RUN_AXE) == [], json.dumps(page.evaluate(RUN_AXE))
    assert page.evaluate(WIDER_THAN_THE_SCREEN) <= 0, page.evaluate(STICKING_OUT)


def test_a_manager_deposits_by_card_on_a_phone_then_confirms_a_trust_payment(
    page, live_server, settings, screenshot
):
    settings.STRIPE_SECRET_KEY = ""  # the offline card gateway
    settings.PAYMENT_CARD_FEE_PERCENT = "3.00"
    seed_demo_city()
    account = TrustAccount.objects.get(contractor__business_name="Lincoln Builders LLC")
    before = trust_balance(account)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server.url, "demo", DEMO_PASSWORDS["demo"])

    page.goto(live_server.url + reverse("accounts:manage"))
    page.get_by_role("link", name="Trust Account").first.click()
    expect(page.get_by_text("Deposit online by credit card or electronic check")).to_be_visible()
    page.get_by_role("link", name="Make a Deposit").click()
    expect(page.get_by_role("heading", name="Make a Deposit")).to_be_visible()

    # Too little: said, and what was typed stays.
    page.get_by_label("Amount to deposit").fill("5")
    page.get_by_label(re.compile("Credit Card")).check()
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.get_by_role("alert")).to_contain_text("A deposit online is at least $10.00.")
    expect(page.get_by_label("Amount to deposit")).to_have_value("5")
    accessible_and_fits(page)
    screenshot(page, "deposit-error")

    page.get_by_label("Amount to deposit").fill("1,250.00")
    page.get_by_label(re.compile("Credit Card")).check()
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.get_by_text("Offline card gateway")).to_be_visible()
    expect(page.get_by_role("heading", name="Pay $1,287.50")).to_be_visible()
    expect(
        page.get_by_text("Trust account deposit: Lincoln Builders LLC $1,250.00")
    ).to_be_visible()
    accessible_and_fits(page)
    assert trust_balance(account) == before  # nothing credited before the payment is
    page.get_by_role("button", name="Approve").click()

    expect(page.get_by_role("heading", name=re.compile(r"Receipt R\d{4}-\d{7}"))).to_be_visible()
    expect(page.get_by_test_id("deposit-amount")).to_have_text("$1,250.00")
    expect(page.get_by_test_id("receipt-total")).to_have_text("$1,287.50")
    accessible_and_fits(page)
    screenshot(page, "deposit-receipt")
    deposit = Payment.objects.get(deposit_to=account)
    assert deposit.status == "confirmed"
    page.get_by_role("link", name="Trust Account").click()
    after_deposit = before + Decimal("1250.00")
    expect(page.get_by_test_id("trust-balance")).to_have_text(money(after_deposit))
    expect(page.get_by_role("link", name=deposit.receipt_number)).to_be_visible()
    assert trust_balance(account) == after_deposit

    # Paying a permit's fees from the account: the confirmation first.
    from django.contrib.auth import get_user_model

    demo = get_user_model().objects.get(username="demo")
    permit = with_fees_due(permits_visible_to(demo)).filter(fees_due__gt=0).order_by("number")[0]
    page.goto(f"{live_server.url}/permits/{permit.number}/")
    page.get_by_role("button", name="Pay Fees Due").click()
    page.goto(f"{live_server.url}/payments/checkout/")
    page.get_by_label(re.compile("Trust Account")).check()
    page.get_by_role("button", name="Pay").click()
    expect(page.get_by_role("heading", name="Confirm Trust Account Payment")).to_be_visible()
    expect(page.get_by_test_id("balance-now")).to_have_text(money(after_deposit))
    expect(page.get_by_test_id("balance-after")).to_have_text(
        money(after_deposit - permit.fees_due)
    )
    accessible_and_fits(page)
    screenshot(page, "trust-confirm-phone")
    assert trust_balance(account) == after_deposit
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name=re.compile(r"Receipt R\d{4}-\d{7}"))).to_be_visible()
    assert trust_balance(account) == after_deposit - permit.fees_due

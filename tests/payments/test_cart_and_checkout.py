import re
from decimal import Decimal

import pytest
from django.urls import reverse

from licenses.models import Membership
from payments.models import CartLine, Payment
from permits.models import FeeStatus
from tests.factories import LicenseFactory, contractor_user, set_status
from tests.payments.conftest import fund, permit_with_fees

pytestmark = pytest.mark.django_db

CART = reverse("payments:cart")
CHECKOUT = reverse("payments:checkout")


def add(client, permit):
    return client.post(reverse("payments:cart_add", args=[permit.number]), follow=True)


def test_pay_fees_due_puts_the_due_fees_in_the_cart_grouped_by_permit(client, payer, two_permits):
    (first, first_fees), (second, _) = two_permits
    set_status(first_fees[1], FeeStatus.PAID)
    response = add(client, first)
    assert f"Fees of permit {first.number} are in your cart" in response.text
    add(client, second)
    cart = client.get(CART)
    groups = cart.context["cart"].permits
    assert [group.permit for group in groups] == sorted([first, second], key=lambda p: p.number)
    assert cart.context["cart"].total == Decimal("140.00")
    assert "View Cart (2)" in re.sub(r"<[^>]+>", "", cart.text)  # the link's whole name
    assert "$100.00" in cart.text and "Fee 1" not in cart.text  # the paid fee is not there


def test_adding_twice_is_a_no_op(client, payer, two_permits):
    (first, _), _ = two_permits
    add(client, first)
    response = add(client, first)
    assert "they already were" in response.text
    assert CartLine.objects.filter(user=payer).count() == 2


def test_remove_a_permit(client, payer, two_permits):
    (first, _), (second, _) = two_permits
    add(client, first)
    add(client, second)
    client.post(CART, {"permit": first.pk})
    assert [group.permit for group in client.get(CART).context["cart"].permits] == [second]


def test_fees_paid_or_waived_meanwhile_drop_out_with_a_message(client, payer, two_permits):
    (first, fees), (second, _) = two_permits
    add(client, first)
    set_status(fees[0], FeeStatus.WAIVED)
    response = client.get(CART)
    assert "Fee 0 on permit" in response.text and "waived meanwhile" in response.text
    assert response.context["cart"].total == Decimal("25.50")
    # The header counts what the cart shows (its link's whole name, part of it visually hidden).
    assert "View Cart (1)" in re.sub(r"<[^>]+>", "", response.text)
    # Looking deletes nothing: the next write to the cart cleans the line out.
    assert CartLine.objects.filter(user=payer).count() == 2
    add(client, second)
    assert not CartLine.objects.filter(user=payer, fee=fees[0]).exists()
    assert CartLine.objects.filter(user=payer).count() == 2  # Fee 1, and the second permit's


def test_the_cart_and_checkout_pages_write_nothing_on_a_get(client, payer, two_permits):
    """A GET is a read: fees paid, waived or taken by another payment meanwhile are left out of
    the page, not deleted from the cart there (that is for the next POST)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    (first, fees), (second, _) = two_permits
    add(client, first)
    add(client, second)
    set_status(fees[0], FeeStatus.PAID)
    for url in (CART, CHECKOUT):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        writes = [
            query["sql"]
            for query in queries.captured_queries
            if query["sql"].lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE")
        ]
        assert writes == [], writes
        assert response.context["cart"].total == Decimal("65.50")
    assert CartLine.objects.filter(user=payer).count() == 3
    client.post(CART, {"permit": second.pk})  # the next write cleans the cart
    assert list(CartLine.objects.filter(user=payer).values_list("fee", flat=True)) == [fees[1].pk]


def test_only_the_pay_role_can_add(client, license, two_permits):
    (first, _), _ = two_permits
    client.force_login(contractor_user(license))  # registered, but no Pay role
    assert client.post(reverse("payments:cart_add", args=[first.number])).status_code == 404
    assert not CartLine.objects.exists()


def test_pay_fees_due_buttons_show_for_the_pay_role(client, payer, two_permits):
    (first, _), _ = two_permits
    assert "Pay Fees Due" in client.get(reverse("permits:detail", args=[first.number])).text
    assert f"Pay Fees Due on {first.number}" in client.get(reverse("dashboard")).text
    assert (
        f"Pay Fees Due on {first.number}"
        in client.get(reverse("permits:search"), {"permit_number": first.number}).text
    )


def test_the_checkout_summary_shows_each_method_with_its_fee(client, payer, license, two_permits):
    (first, _), _ = two_permits
    add(client, first)  # 125.50
    fund(license, "500.00")
    page = client.get(CHECKOUT)
    text = page.text
    assert "Total fees" in text and "$125.50" in text
    assert "Credit Card" in text and "$3.77" in text and "$129.27" in text  # 3%, rounded half up
    assert "Electronic Check" in text and "$1.50" in text and "$127.00" in text
    assert "Trust Account" in text and "Lincoln Builders LLC" in text and "$500.00" in text


def test_the_fees_per_method_are_settings(client, payer, two_permits, settings):
    settings.PAYMENT_CARD_FEE_PERCENT = "2.5"
    settings.PAYMENT_ACH_FEE = "0.75"
    (first, _), _ = two_permits
    add(client, first)
    text = client.get(CHECKOUT).text
    assert "$3.14" in text and "$0.75" in text


def test_the_trust_account_is_offered_only_when_it_covers_the_total(
    client, payer, license, two_permits
):
    (first, _), _ = two_permits
    add(client, first)
    fund(license, "100.00")
    assert "Trust Account" not in client.get(CHECKOUT).text


def test_a_user_with_several_businesses_picks_one(client, payer, license, two_permits):
    (first, _), _ = two_permits
    other = LicenseFactory(holder__business_name="Second Shop")
    first.licenses.add(other)  # a permit both businesses work on
    Membership.objects.create(user=payer, contractor=other.holder, can_pay=True)
    fund(license, "300.00")
    fund(other, "300.00")
    add(client, first)
    text = client.get(CHECKOUT).text
    assert "Lincoln Builders LLC" in text and "Second Shop" in text


def test_a_trust_account_pays_for_its_own_businesss_permits_only(
    client, payer, license, two_permits
):
    (first, _), _ = two_permits
    other = LicenseFactory(holder__business_name="Second Shop")
    Membership.objects.create(user=payer, contractor=other.holder, can_pay=True)
    fund(license, "300.00")
    elsewhere = fund(other, "300.00")
    add(client, first)  # Lincoln Builders' permit
    text = client.get(CHECKOUT).text
    assert "Lincoln Builders LLC" in text and "Second Shop" not in text
    # Refused before the confirmation page (the preview), and when confirmed anyway.
    for confirmed in ("", "True"):
        response = client.post(
            CHECKOUT,
            {
                "choice": f"trust:{elsewhere.pk}",
                "confirmed": confirmed,
                "key": "55555555-5555-5555-5555-555555555555",
            },
            follow=True,
        )
        assert f"pays for its own permits only; {first.number} is not" in response.text
    assert not Payment.objects.exists()


def test_amounts_from_the_browser_are_ignored(client, payer, license, two_permits, settings):
    (first, _), _ = two_permits
    add(client, first)
    account = fund(license, "500.00")
    client.post(
        CHECKOUT,
        {
            "choice": f"trust:{account.pk}",
            "confirmed": "True",
            "key": "11111111-1111-1111-1111-111111111111",
            "total": "0.01",
            "amount": "1",
        },
    )
    payment = Payment.objects.get()
    assert payment.total == Decimal("125.50")


def test_an_empty_choice_gets_a_message(client, payer, two_permits):
    (first, _), _ = two_permits
    add(client, first)
    response = client.post(CHECKOUT, {"key": "11111111-1111-1111-1111-111111111111"})
    assert "Choose how to pay." in response.text
    assert not Payment.objects.exists()


def test_an_empty_cart_has_no_checkout(client, payer):
    assert client.get(CHECKOUT).url == CART


def test_someone_elses_trust_account_cannot_be_used(client, payer, two_permits):
    (first, _), _ = two_permits
    add(client, first)
    stranger = LicenseFactory()
    account = fund(stranger, "900.00")
    response = client.post(
        CHECKOUT,
        {
            "choice": f"trust:{account.pk}",
            "confirmed": "True",
            "key": "11111111-1111-1111-1111-111111111111",
        },
        follow=True,
    )
    assert "cannot pay from that trust account" in response.text
    assert not Payment.objects.exists()


def test_fees_of_a_permit_in_another_payment_cannot_be_paid_twice(
    client, payer, license, two_permits
):
    (first, fees), _ = two_permits
    add(client, first)
    account = fund(license, "900.00")
    client.post(
        CHECKOUT,
        {
            "choice": f"trust:{account.pk}",
            "confirmed": "True",
            "key": "11111111-1111-1111-1111-111111111111",
        },
    )
    fees[0].refresh_from_db()
    assert fees[0].status == FeeStatus.PAID
    response = client.post(reverse("payments:cart_add", args=[first.number]), follow=True)
    assert "has no fees due" in response.text


def test_new_permits_from_the_records_page_can_be_added(client, payer, license):
    permit, _ = permit_with_fees(license, "10.00")
    page = client.get(reverse("permits:my_records"))
    assert f'formaction="{reverse("payments:cart_add", args=[permit.number])}"' in page.text


@pytest.mark.parametrize("choice", ["card", "ach", "offline"])
def test_a_cart_filled_before_the_pay_role_was_taken_pays_nothing(
    client, payer, license, two_permits, choice
):
    """The policy is asked again at checkout, whatever the way to pay: fees added while the
    user had Pay are not paid after a manager took the role away."""
    from payments.services.checkout import payment_start

    (first, _), _ = two_permits
    add(client, first)
    Membership.objects.filter(user=payer).update(can_pay=False)
    cart = client.get(CART)
    assert "needs the Pay role at its contractor, which you no longer have" in cart.text
    assert not cart.context["cart"].permits
    payer = type(payer).objects.get(pk=payer.pk)  # the next request's user
    import uuid

    from payments.exceptions import PaymentError

    with pytest.raises(PaymentError):
        payment_start(user=payer, method=choice, provider=choice, key=uuid.uuid4())
    assert not Payment.objects.exists()


def test_a_checkout_key_another_payer_used_is_refused_with_a_word(license, two_permits):
    """A key is one click's: another payer's form bearing it starts nothing, and is told where
    to look (the payment's own words, not the deposit's)."""
    import uuid

    from payments.exceptions import PaymentError
    from payments.services.checkout import payment_start

    (_, first_fees), (_, second_fees) = two_permits
    first, second = (contractor_user(license, can_pay=True) for _ in range(2))
    CartLine.objects.bulk_create([CartLine(user=first, fee=fee) for fee in first_fees])
    CartLine.objects.bulk_create([CartLine(user=second, fee=fee) for fee in second_fees])
    key = uuid.uuid4()
    started, _ = payment_start(user=first, method="offline", provider="offline", key=key)
    with pytest.raises(
        PaymentError,
        match=r"^This payment was already started\. Open your cart to see where it stands\.$",
    ):
        payment_start(user=second, method="offline", provider="offline", key=key)
    assert list(Payment.objects.all()) == [started]


def test_a_fee_another_payment_holds_is_refused_in_words_that_say_wait(license):
    """Two payers with the same fee who pay at once: the second waited for the first one's fee
    locks and found the fee still due (the first payment is not paid yet), so its lines meet the
    first payment's. It is told to wait or start again, never shown an error page."""
    import uuid

    from payments.exceptions import PaymentError
    from payments.services.checkout import payment_create

    _, fees = permit_with_fees(license, "30.00")
    first, second = (contractor_user(license, can_pay=True) for _ in range(2))
    held = payment_create(
        user=first, method="offline", provider="offline", fees=fees, key=uuid.uuid4()
    )
    with pytest.raises(
        PaymentError,
        match=r"^Some of these fees are in a payment being processed\. Wait for it to finish, "
        r"or start again from your cart\.$",
    ):
        payment_create(
            user=second, method="offline", provider="offline", fees=fees, key=uuid.uuid4()
        )
    assert [line.payment for line in fees[0].payment_lines.all()] == [held]

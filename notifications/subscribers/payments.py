"""Who hears what happens to payments (core.events): the payer's receipt and refund notice, and
the business's managers when its trust account falls below their alert."""

from django.urls import reverse

from core.events import subscriber
from core.mail import absolute_url
from core.models import Event
from licenses.models import Membership
from payments.models import Payment, TrustAccount
from payments.selectors import payment_lines, trust_balance
from policy.businesses import can_manage_business

from ..catalogue import BUSINESS_MANAGE, PAYER
from ..services import notify


def _email_payer(event: Event, payment_id: int, template: str) -> None:
    """Email the payer about their payment: its lines as paid, and its receipt's page."""
    payment = Payment.objects.select_related(
        "user", "trust_account__contractor", "deposit_to__contractor"
    ).get(pk=payment_id)
    if payment.user is None:
        return  # paid in the city's own system: nobody paid through the portal
    lines = list(payment_lines(payment).select_related("fee__permit"))
    # The permits paid for, each once (the subject names the one, or how many).
    permits = list({line.fee.permit_id: line.fee.permit for line in lines}.values())
    notify(
        event,
        to=[payment.user],
        roles=[PAYER],
        template=template,
        context={
            "payment": payment,
            "lines": lines,
            "permits": permits,
            "url": absolute_url(reverse("payments:receipt", args=[payment.receipt_number])),
        },
    )


@subscriber("payment.completed")
def send_receipt(event: Event) -> None:
    """The payer: the receipt (it cannot be turned off)."""
    _email_payer(event, event.object_id, "payment_receipt")


@subscriber("payment.refunded")
def send_refund_notice(event: Event) -> None:
    """The payer of a refunded payment: what was refunded, where the money goes, and that its
    fees are due again (or waived)."""
    _email_payer(event, event.object_id, "payment_refunded")


@subscriber("trust.low_balance")
def send_low_balance_alert(event: Event) -> None:
    """The business's managers (those the policy counts as such)."""
    account = TrustAccount.objects.select_related("contractor").get(pk=event.object_id)
    memberships = Membership.objects.filter(
        contractor=account.contractor, can_manage=True, user__is_active=True
    ).select_related("user")
    managers = [m.user for m in memberships if can_manage_business(m.user, account.contractor_id)]
    if not managers:
        return
    notify(
        event,
        to=managers,
        roles=[BUSINESS_MANAGE],
        template="trust_low_balance",
        context={
            "account": account,
            "balance": trust_balance(account),
            "url": absolute_url(reverse("payments:trust", args=[account.contractor_id])),
        },
    )

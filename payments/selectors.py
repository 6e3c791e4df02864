"""Reads about money: the cart, balances, the trust accounts a user may pay from, the ways to pay
a cart, paid items, receipts and the ledger. Nothing here writes: a page shown on a GET changes
nothing (a cart line whose fee was paid meanwhile is left out here, and deleted by the next write
to the cart, `services.cart.cart_clean`)."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import F, Prefetch, QuerySet, Sum, Window
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.money import format_money
from core.sql import Part
from licenses.models import Contractor, License, Role
from permits.models import Fee, FeeStatus, Permit, PermitLicense
from permits.scopes import prefetch_parties
from policy.businesses import can_use_trust_account, trust_account_businesses
from policy.permits import can_pay

from .models import (
    ZERO,
    CartLine,
    Payment,
    PaymentLine,
    PaymentMethod,
    PaymentStatus,
    TrustAccount,
    TrustEntry,
)

CENT = Decimal("0.01")


# The cart ---------------------------------------------------------------------------------------


@dataclass
class CartPermit:
    permit: Permit
    fees: list[Fee] = field(default_factory=list)

    @property
    def subtotal(self) -> Decimal:
        return sum((fee.amount for fee in self.fees), ZERO)


@dataclass
class Cart:
    permits: list[CartPermit]
    # Lines whose fee was paid or waived meanwhile, or is in another payment: not payable here,
    # shown as a notice, deleted by the next write to the cart.
    dropped: list[Fee]

    @property
    def fees(self) -> list[Fee]:
        return [fee for group in self.permits for fee in group.fees]

    @property
    def total(self) -> Decimal:
        return sum((group.subtotal for group in self.permits), ZERO)

    def __len__(self) -> int:
        return len(self.fees)


def cart_for(user) -> Cart:
    """The user's cart, grouped by permit, without the fees that are not payable any more (those
    are in `dropped`)."""
    lines = list(
        CartLine.objects.filter(user=user)
        .select_related("fee__permit__permit_type")
        .order_by("fee__permit__number", "fee__assessed_on", "fee_id")
    )
    # A fee held by another payment is not payable here; one held by this user's own
    # unfinished checkout stays (starting a new checkout closes that one).
    held = set(
        PaymentLine.objects.filter(fee__in=[line.fee_id for line in lines], live=True)
        .exclude(payment__user=user, payment__status=PaymentStatus.CREATED)
        .values_list("fee_id", flat=True)
    )
    # The Pay role is asked again of every permit in the cart: one added while the user had it
    # is not paid after a manager took it away (the providers pay only what is left here).
    permits = {line.fee.permit_id: line.fee.permit for line in lines}
    prefetch_parties(permits.values())
    payable = {pk for pk, permit in permits.items() if can_pay(user, permit)}
    groups: dict[int, CartPermit] = {}
    dropped: list[Fee] = []
    for line in lines:
        fee = line.fee
        if fee.permit_id not in payable:
            fee.left_cart_because = _(
                "%(fee)s on permit %(number)s left your cart: paying its fees needs the "
                "%(role)s role at its contractor, which you no longer have."
            ) % {"fee": fee.description, "number": fee.permit.number, "role": Role.PAY.label}
        elif fee.status != FeeStatus.DUE or fee.pk in held:
            fee.left_cart_because = _(
                "%(fee)s on permit %(number)s was %(status)s meanwhile (or is being paid) and "
                "left your cart."
            ) % {
                "fee": fee.description,
                "number": fee.permit.number,
                "status": fee.get_status_display().lower(),
            }
        else:
            fee.left_cart_because = ""
        if fee.left_cart_because:
            dropped.append(fee)
            continue
        group = groups.setdefault(line.fee.permit_id, CartPermit(permit=line.fee.permit))
        group.fees.append(line.fee)
    return Cart(permits=list(groups.values()), dropped=dropped)


def cart_count_part(*, user, label: str) -> Part:
    """(label, how many lines the user's cart has): the dashboard's badge, read in the
    dashboard's one query of totals (portal.dashboard)."""
    return Part("SELECT %s, COUNT(*) FROM payments_cartline WHERE user_id = %s", (label, user.pk))


def convenience_fee(method: str, fees_total: Decimal) -> Decimal:
    """The fee each method adds, from settings: a percentage for cards, a flat fee for
    electronic checks, nothing from a trust account."""
    if method == PaymentMethod.CARD:
        rate = Decimal(settings.PAYMENT_CARD_FEE_PERCENT) / 100
        return (fees_total * rate).quantize(CENT, rounding=ROUND_HALF_UP)
    if method == PaymentMethod.ACH:
        return Decimal(settings.PAYMENT_ACH_FEE).quantize(CENT)
    return ZERO


# Trust accounts ---------------------------------------------------------------------------------


def trust_balance(account: TrustAccount) -> Decimal:
    if account.pk is None:  # a business the city has not opened an account for yet
        return ZERO.quantize(CENT)
    total = TrustEntry.objects.filter(account=account).aggregate(total=Sum("amount"))["total"]
    return (total or ZERO).quantize(CENT)


def permit_holders(permit_ids: Iterable[int]) -> dict[int, set[int]]:
    """Permit id -> the businesses holding a license on it (one query)."""
    holders: dict[int, set[int]] = {permit_id: set() for permit_id in permit_ids}
    rows = PermitLicense.objects.filter(permit_id__in=list(holders)).values_list(
        "permit_id", "license__holder_id"
    )
    for permit_id, holder_id in rows:
        holders[permit_id].add(holder_id)
    return holders


def trust_accounts_for(user, *, permit_ids: Iterable[int] | None = None) -> list[TrustAccount]:
    """The trust accounts the user may pay from (for a cart's permits): the policy's rule,
    policy.businesses.can_use_trust_account."""
    businesses = trust_account_businesses(user, permit_ids=permit_ids)
    # Accounts the city has opened (with a deposit, in admin); reading never creates one.
    return list(
        TrustAccount.objects.filter(contractor_id__in=businesses)
        .select_related("contractor")
        .order_by("contractor__business_name")
    )


def trust_refusal(*, user, account: TrustAccount, fees: list[Fee]) -> str:
    """Why the user may not pay these fees from this account, for them to read ("" when they
    may): the policy's rule, naming the permits the account is not for if that is why."""
    permit_ids = {fee.permit_id for fee in fees}
    if can_use_trust_account(user, account.contractor_id, permit_ids=permit_ids):
        return ""
    holders = permit_holders(permit_ids)
    strangers = sorted(
        {fee.permit.number for fee in fees if account.contractor_id not in holders[fee.permit_id]}
    )
    if not strangers or not can_use_trust_account(user, account.contractor_id):
        return _("You cannot pay from that trust account.")
    return ngettext(
        "The trust account of %(business)s pays for its own permits only; %(permits)s is not. "
        "Pay those another way.",
        "The trust account of %(business)s pays for its own permits only; %(permits)s are not. "
        "Pay those another way.",
        len(strangers),
    ) % {"business": account.contractor.business_name, "permits": ", ".join(strangers)}


@dataclass(frozen=True)
class TrustPreview:
    """What paying a cart from a trust account leaves, shown before the payer confirms."""

    account: TrustAccount
    balance: Decimal
    amount: Decimal

    @property
    def after(self) -> Decimal:
        return self.balance - self.amount

    @property
    def covers(self) -> bool:
        return self.amount <= self.balance


def trust_pay_preview(*, user, account_id: int | None, cart: Cart) -> TrustPreview | str:
    """The balance of the account the user chose for this cart, the cart's total and what is
    left after; or why the user may not pay this cart from that account."""
    account = TrustAccount.objects.select_related("contractor").filter(pk=account_id).first()
    if account is None:
        return _("You cannot pay from that trust account.")
    refusal = trust_refusal(user=user, account=account, fees=cart.fees)
    if refusal:
        return refusal
    return TrustPreview(account, trust_balance(account), cart.total)


def trust_account_of(contractor: Contractor) -> TrustAccount:
    """The business's account; a business without one yet gets an empty, unsaved one: reading
    never opens an account."""
    account = TrustAccount.objects.filter(contractor=contractor).first()
    return account or TrustAccount(contractor=contractor)


def ledger(account: TrustAccount) -> QuerySet[TrustEntry]:
    """The entries, newest first, each with the balance after it."""
    if account.pk is None:
        return TrustEntry.objects.none()
    return (
        TrustEntry.objects.filter(account=account)
        .select_related("payment")
        .annotate(running=Window(Sum("amount"), order_by=[F("created_at").asc(), F("id").asc()]))
        .order_by("-created_at", "-id")
    )


# Payments ---------------------------------------------------------------------------------------


def paid_payments_for(user) -> QuerySet[Payment]:
    """Paid Items: the user's payments that were paid (refunded ones too), newest first, each
    with the fee lines it paid as they were paid (one query for a page's lines)."""
    return (
        Payment.objects.filter(
            user=user, status__in=[PaymentStatus.CONFIRMED, PaymentStatus.REFUNDED]
        )
        .select_related("trust_account__contractor", "deposit_to__contractor")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=PaymentLine.objects.order_by("permit_number", "fee_id"),
                to_attr="paid_lines",
            )
        )
        .order_by("-confirmed_at", "-id")
    )


def receipt_of(receipt_number: str) -> Payment | None:
    """The payment with this receipt number (whether the user may see it is the policy's:
    policy.payments.can_view_payment)."""
    return (
        Payment.objects.select_related(
            "user", "trust_account__contractor", "deposit_to__contractor"
        )
        .filter(receipt_number=receipt_number)
        .first()
    )


def payment_lines(payment: Payment) -> QuerySet[PaymentLine]:
    """The payment's lines as they were paid (their own snapshot, never the fee as it is now)."""
    return payment.lines.order_by("permit_number", "fee_id")


def trust_account_fact(license: License) -> str:
    """For the reviewer of a link to `license`: the holder's trust account, which a Manager (or
    a member given Pay) pays from."""
    business = license.holder
    account = TrustAccount.objects.filter(contractor=business).first()
    if account is None:
        return f"{business.business_name} has no trust account."
    return (
        f"{business.business_name} has a trust account with {format_money(trust_balance(account))}"
        " (its Managers, and members they give Pay, pay from it)."
    )

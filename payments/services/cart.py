"""The cart: the due fees a user means to pay, kept in the database so it outlives the session."""

from django.db import transaction
from django.utils.translation import gettext as _

from licenses.models import Role
from permits.models import Fee, FeeStatus, Permit, PermitLicense
from policy.permits import can_pay, payable_license_ids

from ..exceptions import PaymentError
from ..models import CartLine
from ..selectors import Cart, cart_for


def cart_clean(*, user, cart: Cart | None = None) -> list[Fee]:
    """Delete the lines the cart no longer shows (their fees were paid or waived meanwhile, or
    are in another payment). Every write to the cart calls this: a GET never does."""
    cart = cart if cart is not None else cart_for(user)
    if cart.dropped:
        CartLine.objects.filter(user=user, fee__in=[fee.pk for fee in cart.dropped]).delete()
    return cart.dropped


@transaction.atomic
def cart_add_permit(*, user, permit: Permit) -> int:
    """ "Pay Fees Due": the permit's due fees go in the cart. Returns how many were new."""
    if not can_pay(user, permit):
        raise PaymentError(
            _("Paying the fees of permit %(number)s needs the %(role)s role.")
            % {"number": permit.number, "role": Role.PAY.label}
        )
    cart_clean(user=user)
    fees = list(Fee.objects.filter(permit=permit, status=FeeStatus.DUE))
    if not fees:
        raise PaymentError(_("Permit %(number)s has no fees due.") % {"number": permit.number})
    before = CartLine.objects.filter(user=user, fee__in=fees).count()
    CartLine.objects.bulk_create(
        [CartLine(user=user, fee=fee) for fee in fees], ignore_conflicts=True
    )
    return len(fees) - before


@transaction.atomic
def cart_add_all(*, user) -> tuple[int, int]:
    """ "Pay All Fees Due" (eTRAKIT's "Pay All Fees"): every due fee the user may pay (the
    permits of the businesses where they hold Pay) goes in the cart. Returns (fees added,
    permits they are on)."""
    license_ids = payable_license_ids(user)
    if not license_ids:
        raise PaymentError(
            _("Paying fees needs the %(role)s role at a business.") % {"role": Role.PAY.label}
        )
    cart_clean(user=user)
    fees = list(
        Fee.objects.filter(
            status=FeeStatus.DUE,
            permit__in=PermitLicense.objects.filter(license_id__in=license_ids).values("permit_id"),
        ).values_list("pk", "permit_id")
    )
    if not fees:
        raise PaymentError(_("None of your permits has fees due."))
    before = CartLine.objects.filter(user=user).count()
    CartLine.objects.bulk_create(
        [CartLine(user=user, fee_id=fee_id) for fee_id, _permit_id in fees],
        ignore_conflicts=True,
        batch_size=1000,
    )
    added = CartLine.objects.filter(user=user).count() - before
    return added, len({permit_id for _fee_id, permit_id in fees})


@transaction.atomic
def cart_remove_permit(*, user, permit_id: int) -> int:
    """Take a permit's fees out of the cart. Returns how many lines went (0: it was not there)."""
    removed, _kinds = CartLine.objects.filter(user=user, fee__permit_id=permit_id).delete()
    cart_clean(user=user)
    return removed

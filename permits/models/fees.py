"""A permit's fees: each moves Due, Paid (only with a payment), Waived (only with a reason); an
assessed amount changes only with a recorded adjustment."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from core.money import format_money
from core.status import StatusMachine

from ..exceptions import (
    FeeAmountHeld,
    FeeDetailsHeld,
    InvalidFeeStatusMove,
)
from ..signals import fee_held_by


class FeeStatus(models.TextChoices):
    DUE = "due", pgettext_lazy("fee status", "Due")
    PAID = "paid", pgettext_lazy("fee status", "Paid")
    WAIVED = "waived", pgettext_lazy("fee status", "Waived")


class Fee(StatusMachine):
    """A fee line on a permit. It becomes Paid only through a payment (the payments app passes
    itself as `payment=`), Waived only with a reason, and Due again only on a refund
    (`refund=`) or when a waiver is withdrawn: by staff who may change fees, and only while its
    permit has never been issued (an issued permit's fees were settled when it was issued; a
    fee due on it would be owed on work already under way, and the card says it is settled)."""

    Status = FeeStatus
    move_error = InvalidFeeStatusMove

    EVENT_SUBJECT = "fee"
    STATUS_EVENTS = {FeeStatus.PAID: "fee.paid", FeeStatus.WAIVED: "fee.waived"}
    ALLOWED_MOVES: dict[str, set[str]] = {
        FeeStatus.DUE: {FeeStatus.PAID, FeeStatus.WAIVED},
        FeeStatus.PAID: {FeeStatus.DUE, FeeStatus.WAIVED},
        FeeStatus.WAIVED: {FeeStatus.DUE},
    }

    permit = models.ForeignKey("permits.Permit", on_delete=models.PROTECT, related_name="fees")
    description = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    assessed_on = models.DateField(default=timezone.localdate)
    status = models.CharField(max_length=10, choices=FeeStatus, default=FeeStatus.DUE)

    class Meta:
        ordering = ["assessed_on", "id"]
        indexes = [models.Index(fields=["permit", "status"], name="fee_permit_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0),
                name="fee_amount_gte_0",
                violation_error_message=gettext_lazy("A fee's amount cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description} ({format_money(self.amount)})"

    def describe(self) -> str:
        return _("The fee “%(description)s”") % {"description": self.description}

    # What a payment (or the city's own record of one) is for: fixed while a payment holds the
    # fee or the fee is paid.
    HELD_FIELDS = ("permit_id", "description")

    def save(self, *args, **kwargs):
        if not self._state.adding:
            self.refuse_held_changes()
        super().save(*args, **kwargs)
        self._remember_loaded()

    def refuse_held_changes(self) -> None:
        loaded = getattr(self, "_loaded", {})
        changed = [
            name
            for name in ("amount", *self.HELD_FIELDS)
            if name in loaded and getattr(self, name) != loaded[name]
        ]
        if not changed:
            return
        holder = fee_held_by(self)
        if "amount" in changed and holder:
            raise FeeAmountHeld(
                _(
                    "%(fee)s is held by %(holder)s: its amount cannot change. Refund the payment "
                    "first."
                )
                % {"fee": self.describe(), "holder": holder}
            )
        held = holder or loaded.get("status") == FeeStatus.PAID
        if held and set(changed) & set(self.HELD_FIELDS):
            if holder:
                message = _(
                    "The fee “%(description)s” is held by %(holder)s: its permit and description "
                    "stay what was paid. Refund the payment first."
                )
            else:
                message = _(
                    "The fee “%(description)s” is paid: its permit and description stay what was "
                    "paid. Refund the payment first."
                )
            raise FeeDetailsHeld(message % {"description": loaded["description"], "holder": holder})

    def _remember_loaded(self) -> None:
        self._loaded = {
            name: self.__dict__[name]
            for name in ("amount", "status", *self.HELD_FIELDS)
            if name in self.__dict__
        }

    @property
    def is_held(self) -> bool:
        """Paid, or held by a payment: its permit, description and amount stay as they are."""
        return self.pk is not None and (
            getattr(self, "_loaded", {}).get("status", self.status) == FeeStatus.PAID
            or fee_held_by(self) is not None
        )

    @classmethod
    def from_db(cls, db, field_names, values):
        fee = super().from_db(db, field_names, values)
        fee._remember_loaded()
        return fee

    def event_about(self):
        return [self.permit]

    def move_payload(self, previous: str, status: str, context: dict) -> dict:
        held_by = context.get("payment") or context.get("refund")
        return {"payment": held_by.pk} if getattr(held_by, "pk", None) else {}

    def manual_moves_from(self, status: str) -> frozenset[str]:
        # Paid comes with a payment and leaves with its refund: never by hand.
        if status == FeeStatus.PAID:
            return frozenset()
        moves = self.allowed_moves_from(status) - {FeeStatus.PAID}
        if status == FeeStatus.WAIVED and not self.waiver_withdrawable():
            moves -= {FeeStatus.DUE}
        return moves

    def waiver_withdrawable(self) -> bool:
        """Whether a waiver of this fee may still be withdrawn (the fee due again): its permit
        has never been issued and is not closed."""
        return self.permit.not_yet_issued

    def check_move(self, previous: str, status: str, context: dict) -> None:
        if status == FeeStatus.PAID and context.get("payment") is None:
            raise InvalidFeeStatusMove(
                _(
                    "%(fee)s becomes Paid only through a payment (card, e-check or trust "
                    "account), never by hand."
                )
                % {"fee": self.describe()}
            )
        if previous == FeeStatus.PAID and context.get("refund") is None:
            raise InvalidFeeStatusMove(
                _("%(fee)s is paid: refund its payment to change it.") % {"fee": self.describe()}
            )
        if status == FeeStatus.WAIVED and not context.get("note", "").strip():
            raise InvalidFeeStatusMove(
                _("Give the reason the fee “%(description)s” is waived.")
                % {"description": self.description}
            )
        if previous == FeeStatus.WAIVED and status == FeeStatus.DUE:
            self._check_waiver_withdrawal(context.get("by"))

    def _check_waiver_withdrawal(self, by) -> None:
        from policy.staff import can_reinstate_waived_fee

        if by is None or not can_reinstate_waived_fee(by):
            raise InvalidFeeStatusMove(
                _(
                    "Only city staff who may change fees put the waived fee “%(description)s” "
                    "back to due."
                )
                % {"description": self.description}
            )
        # Under the permit's lock: issuing it meanwhile (which checks no fee is due under the
        # same lock) waits for this move, or this move sees it issued.
        self.permit = (
            type(self.permit)._default_manager.select_for_update(no_key=True).get(pk=self.permit_id)
        )
        if not self.waiver_withdrawable():
            permit = self.permit
            values = {
                "description": self.description,
                "number": permit.number,
                "status": permit.get_status_display().lower(),
            }
            if permit.issued_on:
                message = _(
                    "The fee “%(description)s” stays waived: permit %(number)s has been issued, "
                    "and a waiver stands once a permit is issued or closed. Assess a new fee if "
                    "one is owed."
                )
            else:
                message = _(
                    "The fee “%(description)s” stays waived: permit %(number)s is %(status)s, and "
                    "a waiver stands once a permit is issued or closed. Assess a new fee if one "
                    "is owed."
                )
            raise InvalidFeeStatusMove(message % values)


class FeeAdjustment(models.Model):
    """A change to an assessed fee's amount, with the reason staff gave (kept; never edited)."""

    fee = models.ForeignKey(Fee, on_delete=models.PROTECT, related_name="adjustments")
    previous_amount = models.DecimalField(max_digits=12, decimal_places=2)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    reason = models.CharField(max_length=300)
    adjusted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    adjusted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["fee", "adjusted_at", "id"]

    def __str__(self) -> str:
        return _("%(fee)s: %(previous)s to %(amount)s") % {
            "fee": self.fee,
            "previous": self.previous_amount,
            "amount": self.amount,
        }

"""A permit type's fee schedule: the lines of a form version, each a kind of rule the fee
estimate evaluates (applications.fees); changed only while the version is a Draft."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.money import MONEY

from ..brackets import FeeScheduleError, parse_brackets
from .templates import ApplicationTemplate, FrozenWithTemplate


class FeeKind(models.TextChoices):
    FLAT = "flat", gettext_lazy("Flat amount")
    VALUATION_RATE = "valuation_rate", gettext_lazy("Rate per $1,000 of valuation")
    PER_UNIT = "per_unit", gettext_lazy("Amount per unit of an answer")
    TABLE = "table", gettext_lazy("Bracket table")


class FeeRule(FrozenWithTemplate):
    """A line of a type's fee schedule, evaluated by applications.fees (never `eval`).

    - Flat: `amount`.
    - Rate per $1,000 of valuation: `rate` for each $1,000 or part of it, at least `minimum`.
    - Per unit: `amount` times the number answered to `basis_key`, at least `minimum`.
    - Table: `brackets` on the valuation (or on the answer to `basis_key`), one row per line,
      "from, base, rate, step": at or above `from`, the fee is `base` plus `rate` for each
      `step` (or part of one) above `from` (e.g. "25000, 391.25, 10.10, 1000").
    It applies only when the answer to `only_if_key` is `only_if_value`, if those are given.
    """

    template = models.ForeignKey(
        ApplicationTemplate,
        on_delete=models.CASCADE,
        related_name="fee_rules",
        verbose_name=gettext_lazy("template"),
    )
    position = models.PositiveIntegerField(gettext_lazy("position"), default=0)
    description = models.CharField(gettext_lazy("description"), max_length=200)
    kind = models.CharField(
        gettext_lazy("kind"), max_length=20, choices=FeeKind, default=FeeKind.FLAT
    )
    amount = models.DecimalField(gettext_lazy("amount"), **MONEY, default=Decimal("0.00"))
    rate = models.DecimalField(
        gettext_lazy("rate per $1,000"), max_digits=10, decimal_places=4, default=Decimal("0")
    )
    minimum = models.DecimalField(gettext_lazy("minimum"), **MONEY, default=Decimal("0.00"))
    basis_key = models.CharField(
        gettext_lazy("of the answer to"),
        max_length=50,
        blank=True,
        help_text=gettext_lazy(
            "The key of a number question (per unit; a table on it, not the valuation)."
        ),
    )
    brackets = models.TextField(
        gettext_lazy("brackets"),
        blank=True,
        help_text=gettext_lazy("For a table: one row per line, “from, base, rate, step”."),
    )
    only_if_key = models.CharField(gettext_lazy("only if question"), max_length=50, blank=True)
    only_if_value = models.CharField(gettext_lazy("has the answer"), max_length=100, blank=True)

    class Meta:
        verbose_name = gettext_lazy("fee rule")
        verbose_name_plural = gettext_lazy("fee rules")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0) & Q(rate__gte=0) & Q(minimum__gte=0),
                name="fee_rule_amounts_gte_0",
                violation_error_message=gettext_lazy("A fee rule's amounts cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return self.description

    def clean(self):
        if self.kind == FeeKind.PER_UNIT and not self.basis_key:
            raise ValidationError({"basis_key": _("Give the key of the number question.")})
        if self.kind == FeeKind.TABLE:
            try:
                parse_brackets(self.brackets)
            except FeeScheduleError as error:
                raise ValidationError({"brackets": str(error)}) from None
        if bool(self.only_if_key) != bool(self.only_if_value):
            raise ValidationError(
                {"only_if_value": _("Give both the question and the answer the fee applies on.")}
            )

"""The payments' choices: how a payment is made, where it stands, and the kinds of ledger entry.
The stored values never change; the labels are read in the reader's language."""

from django.db import models
from django.utils.translation import gettext_lazy, pgettext_lazy


class PaymentMethod(models.TextChoices):
    CARD = "card", gettext_lazy("Credit Card")
    ACH = "ach", gettext_lazy("Electronic Check")
    TRUST = "trust", gettext_lazy("Trust Account")
    # Paid in the city's own system before the portal knew the permit (an import): the portal
    # took no money, and a refund is the city system's to make.
    IMPORTED = "imported", gettext_lazy("Paid in the city's system")


class PaymentStatus(models.TextChoices):
    CREATED = "created", pgettext_lazy("payment status", "Awaiting payment")
    PROCESSING = "processing", pgettext_lazy("payment status", "Processing")
    CONFIRMED = "confirmed", pgettext_lazy("payment status", "Paid")
    FAILED = "failed", pgettext_lazy("payment status", "Failed")
    EXPIRED = "expired", pgettext_lazy("payment status", "Expired")
    REFUNDED = "refunded", pgettext_lazy("payment status", "Refunded")


class EntryKind(models.TextChoices):
    DEPOSIT = "deposit", pgettext_lazy("trust entry kind", "Deposit")
    PAYMENT = "payment", pgettext_lazy("trust entry kind", "Payment")
    REFUND = "refund", pgettext_lazy("trust entry kind", "Refund")
    ADJUSTMENT = "adjustment", pgettext_lazy("trust entry kind", "Adjustment")

import uuid
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy, pgettext_lazy

from core.params import parse_id
from permits.models import FeeStatus

from .exceptions import PaymentError
from .models import EntryKind, PaymentMethod
from .providers.offline import OfflineDecision
from .services.trust import deposit_amount_check


class CheckoutForm(forms.Form):
    """The way to pay: "card:", "ach:" or "trust:<account id>", and the key of this click."""

    choice = forms.CharField(error_messages={"required": gettext_lazy("Choose how to pay.")})
    key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
    # A trust payment is made once the payer has seen the balance it leaves and confirmed.
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean_choice(self) -> str:
        method, _, account = self.cleaned_data["choice"].partition(":")
        account_id = parse_id(account)
        if method not in PaymentMethod.values or (
            method == PaymentMethod.TRUST and account_id is None
        ):
            raise forms.ValidationError(gettext_lazy("Choose how to pay."))
        self.cleaned_data["method"] = method
        self.cleaned_data["account"] = account_id
        return self.cleaned_data["choice"]


class OfflineGatewayForm(forms.Form):
    """The offline gateway's page: what the imitation card or bank does with the payment."""

    decision = forms.ChoiceField(
        choices=OfflineDecision.CHOICES,
        error_messages={"required": gettext_lazy("Choose an outcome.")},
    )


class ThresholdForm(forms.Form):
    low_balance_threshold = forms.DecimalField(
        label=gettext_lazy("Email the managers when the balance falls below"),
        max_digits=12,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text=gettext_lazy("Leave empty for no alert."),
    )


class TrustEntryForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[
            (EntryKind.DEPOSIT, EntryKind.DEPOSIT.label),
            (EntryKind.ADJUSTMENT, EntryKind.ADJUSTMENT.label),
        ]
    )
    amount = forms.DecimalField(max_digits=12, decimal_places=2)
    reference = forms.CharField(
        max_length=200, help_text=gettext_lazy("Check number, receipt or reason.")
    )


class RefundForm(forms.Form):
    fees_become = forms.ChoiceField(
        label=gettext_lazy("After the refund, the fees are"),
        choices=[
            (FeeStatus.DUE, gettext_lazy("Due again")),
            (FeeStatus.WAIVED, pgettext_lazy("fees after a refund", "Waived")),
        ],
        widget=forms.RadioSelect,
        initial=FeeStatus.DUE,
    )


class DepositForm(forms.Form):
    """A deposit to a business's trust account, paid by card or e-check on the gateway's page."""

    amount = forms.CharField(
        label=gettext_lazy("Amount to deposit"),
        max_length=20,
        error_messages={"required": gettext_lazy("Enter the amount to deposit.")},
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    method = forms.ChoiceField(
        label=gettext_lazy("Pay by"),
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Choose how to pay."),
            "invalid_choice": gettext_lazy("Choose how to pay."),
        },
    )
    key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(self, *args, methods: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = methods

    def clean_amount(self) -> Decimal:
        # "$1,250.00" as people type it.
        typed = self.cleaned_data["amount"].strip().lstrip("$").replace(",", "").strip()
        try:
            amount = Decimal(typed)
        except InvalidOperation:
            raise forms.ValidationError(
                gettext_lazy("Enter the amount in dollars and cents, like 250.00.")
            ) from None
        try:
            return deposit_amount_check(amount)
        except PaymentError as error:
            raise forms.ValidationError(str(error)) from None

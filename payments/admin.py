from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin import TabularInline, money
from core.money import format_money
from core.params import parse_id
from licenses.models import Contractor
from permits.models import Fee, FeeStatus, PermitStatus
from policy.staff import can_record_trust_deposit

from .exceptions import GatewayError, PaymentError
from .flows import payment_refund
from .forms import RefundForm
from .models import CartLine, EntryKind, Payment, PaymentLine, StripeEvent, TrustAccount, TrustEntry
from .reconcile import payment_settle
from .selectors import trust_balance
from .services.trust import trust_deposit, trust_record


class PaymentLineInline(TabularInline):
    model = PaymentLine
    extra = 0
    can_delete = False
    fields = ("fee", "permit_number", "description", money("amount"), "live")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    """Payments are made on the portal; staff look, and refund."""

    list_display = (
        "__str__",
        "user",
        "method",
        "provider",
        "status",
        money("total"),
        "created_at",
        "confirmed_at",
        "needs_review",
    )
    list_filter = ("status", "method", "provider", "created_at")
    search_fields = (
        "receipt_number",
        "user__username",
        "user__email",
        "stripe_session_id",
        "=lines__fee__permit__number",
    )
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    inlines = [PaymentLineInline]
    actions = ["refund", "settle_cleared", "settle_failed"]
    # Every field read only, the amounts shown as money.
    readonly_fields = [
        money(field.name)
        if field.name in ("fees_total", "convenience_fee", "total")
        else field.name
        for field in Payment._meta.fields
    ]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=gettext_lazy("Refund selected payments"), permissions=["change"])
    def refund(self, request, queryset):
        form = RefundForm(request.POST if "fees_become" in request.POST else None)
        if form.is_bound and form.is_valid():
            for payment in queryset:
                try:
                    payment_refund(
                        payment=payment,
                        by=request.user,
                        fees_become=form.cleaned_data["fees_become"],
                    )
                except (PaymentError, GatewayError) as error:
                    self.message_user(
                        request,
                        _("%(payment)s: %(error)s") % {"payment": payment, "error": error},
                        messages.ERROR,
                    )
                else:
                    self.message_user(
                        request,
                        _("%(payment)s refunded.") % {"payment": payment},
                        messages.SUCCESS,
                    )
            return None
        return TemplateResponse(
            request,
            "admin/payments/payment/refund.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Refund payments"),
                "payments": queryset,
                "form": form,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                "opts": self.model._meta,
            },
        )

    def _settle(self, request, queryset, *, succeeded: bool) -> None:
        for payment in queryset:
            try:
                payment_settle(payment=payment, succeeded=succeeded, by=request.user)
            except PaymentError as error:
                self.message_user(
                    request,
                    _("%(payment)s: %(error)s") % {"payment": payment, "error": error},
                    messages.ERROR,
                )
            else:
                if succeeded:
                    message = _("%(payment)s settled: paid.")
                else:
                    message = _("%(payment)s settled: failed; its fees are due again.")
                self.message_user(request, message % {"payment": payment}, messages.SUCCESS)

    @admin.action(
        description=gettext_lazy("Settle selected processing payments: the debit cleared"),
        permissions=["change"],
    )
    def settle_cleared(self, request, queryset):
        self._settle(request, queryset, succeeded=True)

    @admin.action(
        description=gettext_lazy("Settle selected processing payments: the debit failed"),
        permissions=["change"],
    )
    def settle_failed(self, request, queryset):
        self._settle(request, queryset, succeeded=False)


class TrustEntryInline(TabularInline):
    model = TrustEntry
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", money("amount"), "reference", "payment", "created_by")
    readonly_fields = fields
    ordering = ("-created_at", "-id")

    def has_add_permission(self, request, obj=None):
        return False


class TrustDepositForm(forms.Form):
    contractor = forms.ModelChoiceField(
        label=gettext_lazy("Business"),
        queryset=Contractor.objects.all(),
        widget=AutocompleteSelect(TrustAccount._meta.get_field("contractor"), admin.site),
        error_messages={"required": gettext_lazy("Choose the business the deposit is for.")},
    )
    amount = forms.DecimalField(
        label=gettext_lazy("Amount"), max_digits=12, decimal_places=2, min_value=Decimal("0.01")
    )
    reference = forms.CharField(
        label=gettext_lazy("Reference"),
        max_length=200,
        help_text=gettext_lazy("The check number or the receipt."),
    )


@admin.register(TrustAccount)
class TrustAccountAdmin(admin.ModelAdmin):
    """A business's trust account. "Record a deposit" opens the account if the business has
    none and records the deposit, in one step."""

    list_display = ("contractor", "balance", money("low_balance_threshold"))
    search_fields = ("contractor__business_name",)
    autocomplete_fields = ("contractor",)
    inlines = [TrustEntryInline]
    change_list_template = "admin/payments/trustaccount/change_list.html"
    change_form_template = "admin/payments/trustaccount/change_form.html"

    def get_urls(self):
        return [
            path(
                "deposit/",
                self.admin_site.admin_view(self.deposit_view),
                name="payments_trustaccount_deposit",
            ),
            *super().get_urls(),
        ]

    def deposit_view(self, request):
        if not (self.has_change_permission(request) and can_record_trust_deposit(request.user)):
            raise PermissionDenied
        initial = {}
        if contractor_id := parse_id(request.GET.get("contractor")):
            initial["contractor"] = contractor_id
        form = TrustDepositForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            contractor = form.cleaned_data["contractor"]
            try:
                entry = trust_deposit(
                    contractor=contractor,
                    amount=form.cleaned_data["amount"],
                    reference=form.cleaned_data["reference"],
                    by=request.user,
                )
            except PaymentError as error:
                form.add_error(None, str(error))
            else:
                self.message_user(
                    request,
                    _(
                        "Deposit of %(amount)s recorded for %(business)s: the balance is "
                        "%(balance)s."
                    )
                    % {
                        "amount": format_money(entry.amount),
                        "business": contractor.business_name,
                        "balance": format_money(trust_balance(entry.account)),
                    },
                    messages.SUCCESS,
                )
                return redirect("admin:payments_trustaccount_change", entry.account_id)
        return TemplateResponse(
            request,
            "admin/payments/trustaccount/deposit.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Record a trust deposit"),
                "form": form,
                "media": self.media + form.media,
                "opts": self.model._meta,
            },
        )

    @admin.display(description=gettext_lazy("balance"))
    def balance(self, account):
        return format_money(trust_balance(account))

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        # The balance is the business's money: an account never changes business (the model
        # refuses it too).
        return [*fields, "contractor"] if obj is not None else fields

    def has_delete_permission(self, request, obj=None):
        # An account's ledger is money: the account is never deleted.
        return False


class TrustEntryAdminForm(forms.ModelForm):
    class Meta:
        model = TrustEntry
        fields = ["account", "kind", "amount", "reference"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "kind" not in self.fields:  # the read-only view of a recorded entry
            return
        self.fields["kind"].choices = [
            (EntryKind.DEPOSIT, EntryKind.DEPOSIT.label),
            (EntryKind.ADJUSTMENT, EntryKind.ADJUSTMENT.label),
        ]
        self.fields["reference"].required = True
        self.fields["amount"].help_text = _("Deposits are positive; an adjustment may be negative.")


@admin.register(TrustEntry)
class TrustEntryAdmin(admin.ModelAdmin):
    """Staff record deposits and adjustments here. Entries are never edited or deleted."""

    form = TrustEntryAdminForm
    list_display = ("created_at", "account", "kind", money("amount"), "reference", "created_by")
    list_filter = ("kind", "created_at")
    search_fields = ("account__contractor__business_name", "reference")
    list_select_related = ("account__contractor", "created_by")
    autocomplete_fields = ("account",)

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        try:
            entry = trust_record(
                account=obj.account,
                kind=obj.kind,
                amount=obj.amount,
                reference=obj.reference,
                by=request.user,
            )
        except PaymentError as error:
            messages.error(request, str(error))
            return
        obj.pk = entry.pk

    def response_add(self, request, obj, post_url_continue=None):
        if obj.pk is None:
            return self.response_post_save_add(request, obj)
        return super().response_add(request, obj, post_url_continue)


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = ("event_id", "event_type", "session_id", "outcome", "received_at")
    list_filter = ("event_type", "outcome")
    search_fields = ("event_id", "session_id")
    readonly_fields = ("event_id", "event_type", "session_id", "outcome", "received_at")

    def has_add_permission(self, request):
        return False


@admin.register(CartLine)
class CartLineAdmin(admin.ModelAdmin):
    list_display = ("user", "fee", "added_at")
    search_fields = ("user__username", "=fee__permit__number")
    list_select_related = ("user", "fee__permit")
    readonly_fields = ("user", "fee", "added_at")

    def has_add_permission(self, request):
        return False


class PaidReadyToIssueFilter(admin.SimpleListFilter):
    """ "Paid, ready to issue": Ready to Issue, with no fee due. A filter of the permit list,
    added by portal/admin.py."""

    title = gettext_lazy("payment")
    parameter_name = "paid"

    def lookups(self, request, model_admin):
        return [("ready", _("Paid, ready to issue"))]

    def queryset(self, request, queryset):
        if self.value() != "ready":
            return queryset
        due = Fee.objects.filter(permit=OuterRef("pk"), status=FeeStatus.DUE)
        return queryset.filter(status=PermitStatus.READY_TO_ISSUE).exclude(Exists(due))

"""Pay Fees Due, View Cart, Checkout Summary, receipts, Paid Items, trust accounts, and the
Stripe webhook."""

import csv
import logging
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.money import format_money
from core.pagination import paginate
from core.params import parse_id
from core.spreadsheet import Echo, csv_safe
from licenses.models import Contractor
from permits.models import Permit
from policy.businesses import (
    can_deposit_to_trust_account,
    can_manage_business,
    can_use_trust_account,
)
from policy.payments import can_view_payment
from policy.permits import can_pay

from . import stripe_gateway
from .exceptions import GatewayError, PaymentError
from .flows import checkout_begin, checkout_options, deposit_begin, deposit_methods
from .forms import CheckoutForm, DepositForm, OfflineGatewayForm, ThresholdForm
from .models import EntryKind, Payment, PaymentMethod, PaymentStatus, TrustAccount
from .providers.offline import OfflineGatewayProvider
from .registry import provider_for
from .selectors import (
    cart_for,
    ledger,
    paid_payments_for,
    payment_lines,
    receipt_of,
    trust_account_of,
    trust_balance,
    trust_pay_preview,
)
from .services.cart import cart_add_all, cart_add_permit, cart_remove_permit
from .services.confirm import OPEN_STATUSES
from .services.trust import trust_threshold_set
from .webhooks import stripe_event_handle

logger = logging.getLogger("portal.payments")


def back_or(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return target
    return fallback


@login_required
@require_POST
def cart_add(request: HttpRequest, number: str) -> HttpResponse:
    """ "Pay Fees Due": the permit's due fees go in the cart."""
    permit = get_object_or_404(Permit, number=number.strip().upper())
    if not can_pay(request.user, permit):
        raise Http404("No permit of yours has that number.")
    try:
        added = cart_add_permit(user=request.user, permit=permit)
    except PaymentError as error:
        messages.warning(request, str(error))
        return redirect(back_or(request, reverse("permits:detail", args=[permit.number])))
    if added:
        message = _("Fees of permit %(number)s are in your cart.")
    else:
        message = _("Fees of permit %(number)s are in your cart (they already were).")
    messages.success(request, message % {"number": permit.number})
    return redirect("payments:cart")


@login_required
@require_POST
def cart_add_all_view(request: HttpRequest) -> HttpResponse:
    """ "Pay All Fees Due": every fee the user may pay goes in the cart."""
    try:
        added, permits = cart_add_all(user=request.user)
    except PaymentError as error:
        messages.warning(request, str(error))
        return redirect("dashboard")
    done = ngettext(
        "Every fee due on %(count)s permit is in your cart",
        "Every fee due on %(count)s permits is in your cart",
        permits,
    ) % {"count": formats.number_format(permits, force_grouping=True)}
    if added:
        fees = ngettext("%(count)s fee added", "%(count)s fees added", added) % {
            "count": formats.number_format(added, force_grouping=True)
        }
        message = _("%(done)s (%(added)s).") % {"done": done, "added": fees}
    else:
        message = _("%(done)s (they already were).") % {"done": done}
    messages.success(request, message)
    return redirect("payments:cart")


@login_required
@require_http_methods(["GET", "POST"])
def cart_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        permit_id = parse_id(request.POST.get("permit"))
        if permit_id is None or cart_remove_permit(user=request.user, permit_id=permit_id) == 0:
            raise Http404("No such permit in your cart.")
        messages.info(request, _("The permit's fees were taken out of your cart."))
        return redirect("payments:cart")
    # Read only: the lines left out here are deleted by the next write to the cart.
    cart = cart_for(request.user)
    for fee in cart.dropped:
        messages.info(request, fee.left_cart_because)
    # The header counts what the cart shows, not lines still to be cleaned.
    return render(request, "payments/cart.html", {"cart": cart, "cart_count": len(cart)})


@login_required
@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest) -> HttpResponse:
    """Checkout Summary: the fee lines, the total, and the way to pay. Every amount is
    recomputed at submit; nothing the browser sends is trusted but the choice."""
    cart = cart_for(request.user)
    if not cart.fees:
        messages.info(request, _("Your cart is empty."))
        return redirect("payments:cart")
    form = CheckoutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if (
            form.cleaned_data["method"] == PaymentMethod.TRUST
            and not form.cleaned_data["confirmed"]
        ):
            return trust_pay_confirm(request, cart=cart, form=form)
        try:
            begun = checkout_begin(
                user=request.user,
                method=form.cleaned_data["method"],
                key=form.cleaned_data["key"],
                account_id=form.cleaned_data["account"],
                absolute=request.build_absolute_uri,
            )
        except PaymentError as error:
            messages.error(request, str(error))
            return redirect("payments:checkout")
        except GatewayError:
            messages.error(
                request,
                _("The card service did not answer; nothing was charged. Try again in a minute."),
            )
            return redirect("payments:checkout")
        if begun.message:
            messages.success(request, begun.message)
        return redirect(begun.url)
    options = checkout_options(user=request.user, cart=cart)
    return render(
        request,
        "payments/checkout.html",
        {"cart": cart, "options": options, "form": form, "cart_count": len(cart)},
    )


def trust_pay_confirm(request: HttpRequest, *, cart, form: CheckoutForm) -> HttpResponse:
    """Before paying from a trust account: its balance now, the fees, and the balance after,
    with Confirm; a balance that does not cover the fees is said so, with no Confirm."""
    preview = trust_pay_preview(
        user=request.user, account_id=form.cleaned_data["account"], cart=cart
    )
    if isinstance(preview, str):
        messages.error(request, preview)
        return redirect("payments:checkout")
    return render(
        request,
        "payments/trust_confirm.html",
        {
            "preview": preview,
            "form": form,
            "cart": cart,
            "cart_count": len(cart),
            "may_deposit": can_deposit_to_trust_account(
                request.user, preview.account.contractor_id
            ),
        },
    )


def own_payment(request: HttpRequest, payment_id: int, **filters) -> Payment:
    """The payment, if the user may see it (its payer); anyone else gets a 404."""
    payment = get_object_or_404(Payment, pk=payment_id, **filters)
    if not can_view_payment(request.user, payment):
        raise Http404("No payment of yours.")
    return payment


@login_required
@require_GET
def payment_return(request: HttpRequest, payment_id: int) -> HttpResponse:
    """Where the payer comes back from the gateway. Its provider asks the gateway once more
    (the webhook may be slow), then the receipt shows, or "processing" until it is confirmed."""
    payment = own_payment(request, payment_id)
    if payment.status in OPEN_STATUSES:
        try:
            provider_for(payment).sync(payment, source="return page")
        except GatewayError:
            logger.warning("payment %s: the gateway did not answer on return", payment.pk)
        payment.refresh_from_db()
    if payment.status == PaymentStatus.CONFIRMED:
        return redirect("payments:receipt", receipt_number=payment.receipt_number)
    return render(request, "payments/status.html", {"payment": payment})


OFFLINE = OfflineGatewayProvider()


@login_required
@require_http_methods(["GET", "POST"])
def offline_gateway(request: HttpRequest, payment_id: int) -> HttpResponse:
    """The offline card gateway's hosted page: Approve, Leave processing, or Decline."""
    if not OFFLINE.is_enabled():
        raise Http404("The offline card gateway is not used here.")
    payment = own_payment(request, payment_id, provider=OFFLINE.identifier)
    form = OfflineGatewayForm(request.POST or None)
    if request.method == "POST" and payment.status == PaymentStatus.CREATED and form.is_valid():
        payment = OFFLINE.decide(payment, decision=form.cleaned_data["decision"])
        if payment.status == PaymentStatus.CONFIRMED:
            messages.success(
                request,
                _("Payment approved. Receipt %(number)s.") % {"number": payment.receipt_number},
            )
            return redirect("payments:receipt", receipt_number=payment.receipt_number)
        if payment.status == PaymentStatus.PROCESSING:
            return redirect("payments:return", payment_id=payment.pk)
        if payment.deposit_to_id is not None:
            messages.error(
                request,
                _("The card was declined. Nothing was charged and nothing was deposited."),
            )
            return redirect("payments:trust", contractor_id=payment.deposit_to.contractor_id)
        messages.error(
            request, _("The card was declined. Nothing was charged; the fees are still due.")
        )
        return redirect("payments:cart")
    return render(
        request,
        "payments/offline_gateway.html",
        {"payment": payment, "lines": payment_lines(payment), "form": form},
    )


@login_required
@require_GET
def receipt(request: HttpRequest, receipt_number: str) -> HttpResponse:
    payment = receipt_of(receipt_number)
    if payment is None or not can_view_payment(request.user, payment):
        raise Http404("No receipt of yours has that number.")
    return render(
        request, "payments/receipt.html", {"payment": payment, "lines": payment_lines(payment)}
    )


@login_required
@require_GET
def paid_items(request: HttpRequest) -> HttpResponse:
    page = paginate(request, paid_payments_for(request.user), 20)
    return render(request, "payments/paid_items.html", {"page": page})


# Trust accounts ---------------------------------------------------------------------------------


def trust_account_or_404(request: HttpRequest, contractor_id: int) -> TrustAccount:
    """The business's trust account, for those the policy lets use it; anyone else: 404. And
    whether the user may manage the business (set the low-balance alert)."""
    if not can_use_trust_account(request.user, contractor_id):
        raise Http404("No trust account of yours.")
    contractor = get_object_or_404(Contractor, pk=contractor_id)
    return trust_account_of(contractor)


@login_required
@require_http_methods(["GET", "POST"])
def trust_account(request: HttpRequest, contractor_id: int) -> HttpResponse:
    account = trust_account_or_404(request, contractor_id)
    form = ThresholdForm(
        request.POST or None, initial={"low_balance_threshold": account.low_balance_threshold}
    )
    if request.method == "POST":
        if not can_manage_business(request.user, contractor_id):
            raise Http404("Only managers set the alert.")
        if form.is_valid():
            trust_threshold_set(
                contractor=account.contractor,
                threshold=form.cleaned_data["low_balance_threshold"],
                by=request.user,
            )
            messages.success(request, _("The low-balance alert was saved."))
            return redirect("payments:trust", contractor_id=contractor_id)
    return render(
        request,
        "payments/trust_account.html",
        {
            "account": account,
            "balance": trust_balance(account),
            "page": paginate(request, ledger(account), 25),
            "form": form,
            "may_deposit": can_deposit_to_trust_account(request.user, contractor_id),
        },
    )


def deposit_method_choices() -> list[tuple[str, str]]:
    """The ways to pay a deposit here, each labelled with its convenience fee."""
    percent = Decimal(f"{Decimal(settings.PAYMENT_CARD_FEE_PERCENT).normalize():f}")
    fees = {
        PaymentMethod.CARD: _("%(percent)s%% convenience fee")
        % {"percent": formats.number_format(percent)},
        PaymentMethod.ACH: _("%(amount)s convenience fee")
        % {"amount": format_money(Decimal(settings.PAYMENT_ACH_FEE))},
    }
    return [
        (
            method,
            _("%(method)s (%(fee)s)")
            % {"method": PaymentMethod(method).label, "fee": fees[method]},
        )
        for method in deposit_methods()
    ]


@login_required
@require_http_methods(["GET", "POST"])
def trust_deposit(request: HttpRequest, contractor_id: int) -> HttpResponse:
    """Make a Deposit: a manager puts money in the business's trust account by card or
    e-check, on the gateway's page; the account is credited when the payment is confirmed."""
    if not can_deposit_to_trust_account(request.user, contractor_id):
        raise Http404("No trust account of yours.")
    contractor = get_object_or_404(Contractor, pk=contractor_id)
    account = trust_account_of(contractor)
    methods = deposit_method_choices()
    form = DepositForm(request.POST or None, methods=methods)
    if request.method == "POST" and methods and form.is_valid():
        try:
            begun = deposit_begin(
                user=request.user,
                contractor=contractor,
                amount=form.cleaned_data["amount"],
                method=form.cleaned_data["method"],
                key=form.cleaned_data["key"],
                absolute=request.build_absolute_uri,
            )
        except PaymentError as error:
            form.add_error(None, str(error))
        except GatewayError:
            form.add_error(
                None,
                _("The card service did not answer; nothing was charged. Try again in a minute."),
            )
        else:
            return redirect(begun.url)
    return render(
        request,
        "payments/trust_deposit.html",
        {
            "account": account,
            "balance": trust_balance(account),
            "form": form,
            "methods": methods,
            "minimum": TrustAccount.DEPOSIT_MINIMUM,
            "maximum": TrustAccount.DEPOSIT_MAXIMUM,
        },
    )


@login_required
@require_GET
def trust_account_csv(request: HttpRequest, contractor_id: int) -> StreamingHttpResponse:
    account = trust_account_or_404(request, contractor_id)
    writer = csv.writer(Echo())
    # Words in the reader's language, read now: the rows are written after the view returns.
    header = [_("Date"), _("Kind"), _("Reference"), _("Receipt"), _("Amount"), _("Balance")]
    kinds = {value: str(label) for value, label in EntryKind.choices}

    def rows():
        yield writer.writerow(header)
        for entry in ledger(account).order_by("created_at", "id").iterator(chunk_size=1000):
            yield writer.writerow(
                [
                    timezone.localtime(entry.created_at).strftime("%Y-%m-%d %H:%M"),
                    kinds.get(entry.kind, entry.kind),
                    # Staff type references freely: never let a spreadsheet run one.
                    csv_safe(entry.reference),
                    entry.payment.receipt_number
                    if entry.payment and entry.payment.receipt_number
                    else "",
                    f"{entry.amount:.2f}",
                    f"{entry.running:.2f}",
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="trust-account-{contractor_id}.csv"'
    return response


# The Stripe webhook -----------------------------------------------------------------------------


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Stripe's events. A bad, missing or stale signature is a 400 and nothing is written."""
    try:
        event = stripe_gateway.verify_event(
            request.body, request.headers.get("Stripe-Signature", "")
        )
    except ValueError as error:
        logger.warning("stripe webhook refused: %s", error)
        return HttpResponse("bad signature", status=400, content_type="text/plain")
    try:
        outcome = stripe_event_handle(event=event)
    except GatewayError as error:
        # Stripe will send the event again; nothing of it was recorded.
        logger.error("stripe webhook %s: %s", event["id"], error)
        return HttpResponse("try again", status=503, content_type="text/plain")
    return HttpResponse(outcome.message, status=outcome.status, content_type="text/plain")

"""Pay Fees Due, View Cart, Checkout Summary, receipts, Paid Items, trust accounts, and the
Stripe webhook."""

import csv
import logging
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F, Sum, Window
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.pagination import paginate
from core.params import parse_id
from core.spreadsheet import Echo, csv_safe
from licenses.models import Contractor
from permits.access import can_manage_business, can_pay, can_use_trust_account
from permits.models import Permit

from . import stripe_gateway
from .exceptions import GatewayError, PaymentError
from .forms import CheckoutForm, ThresholdForm
from .models import Payment, PaymentMethod, PaymentStatus, TrustAccount, TrustEntry
from .providers import hosted_provider
from .services import (
    apply_session,
    cart_add_permit,
    cart_for,
    cart_remove_permit,
    convenience_fee,
    handle_stripe_event,
    payment_confirm,
    payment_release,
    payment_start,
    trust_accounts_for,
    trust_balance,
    trust_pay,
)

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
    messages.success(
        request,
        f"Fees of permit {permit.number} are in your cart"
        + ("." if added else " (they already were)."),
    )
    return redirect("payments:cart")


@login_required
@require_http_methods(["GET", "POST"])
def cart_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        permit_id = parse_id(request.POST.get("permit"))
        if permit_id is None or cart_remove_permit(user=request.user, permit_id=permit_id) == 0:
            raise Http404("No such permit in your cart.")
        messages.info(request, "The permit's fees were taken out of your cart.")
        return redirect("payments:cart")
    cart = cart_for(request.user)
    for fee in cart.dropped:
        messages.info(
            request,
            f"{fee.description} on permit {fee.permit.number} was "
            f"{fee.get_status_display().lower()} meanwhile (or is being paid) and left your cart.",
        )
    return render(request, "payments/cart.html", {"cart": cart})


def method_options(user, cart) -> list[dict]:
    """The ways to pay this cart, each with its convenience fee and total, as the summary shows
    them before paying."""
    options = []
    hosted = hosted_provider()
    for method in (PaymentMethod.CARD, PaymentMethod.ACH):
        if hosted is None:
            continue
        surcharge = convenience_fee(method, cart.total)
        options.append(
            {
                "method": method,
                "label": PaymentMethod(method).label,
                "fee": surcharge,
                "total": cart.total + surcharge,
            }
        )
    accounts = []
    permit_ids = [group.permit.pk for group in cart.permits]
    for account in trust_accounts_for(user, permit_ids=permit_ids):
        balance = trust_balance(account)
        if balance >= cart.total:
            accounts.append({"account": account, "balance": balance})
    if accounts:
        options.append(
            {
                "method": PaymentMethod.TRUST,
                "label": PaymentMethod.TRUST.label,
                "fee": Decimal("0.00"),
                "total": cart.total,
                "accounts": accounts,
            }
        )
    return options


@login_required
@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest) -> HttpResponse:
    """Checkout Summary: the fee lines, the total, and the way to pay. Every amount is
    recomputed here at submit; nothing the browser sends is trusted but the choice."""
    cart = cart_for(request.user)
    if not cart.fees:
        messages.info(request, "Your cart is empty.")
        return redirect("payments:cart")
    options = method_options(request.user, cart)
    form = CheckoutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        method, key = form.cleaned_data["method"], form.cleaned_data["key"]
        try:
            if method == PaymentMethod.TRUST:
                account = TrustAccount.objects.filter(pk=form.cleaned_data["account"] or 0).first()
                if account is None:
                    raise PaymentError("Choose the trust account to pay from.")
                payment = trust_pay(user=request.user, account=account, key=key)
                messages.success(
                    request, f"Paid from the trust account. Receipt {payment.receipt_number}."
                )
                return redirect("payments:receipt", receipt_number=payment.receipt_number)
            provider = hosted_provider()
            if provider is None:
                raise PaymentError(
                    "Card payments are not available right now; call the permit office."
                )
            payment = payment_start(
                user=request.user, method=method, provider=provider.identifier, key=key
            )
            if payment.status == PaymentStatus.CONFIRMED:
                return redirect("payments:receipt", receipt_number=payment.receipt_number)
            if payment.status == PaymentStatus.PROCESSING:
                return redirect("payments:return", payment_id=payment.pk)
            return redirect(provider.begin(request, payment))
        except PaymentError as error:
            messages.error(request, str(error))
            return redirect("payments:checkout")
        except GatewayError:
            messages.error(
                request,
                "The card gateway did not answer; nothing was charged. Try again in a few minutes.",
            )
            return redirect("payments:checkout")
    return render(
        request, "payments/checkout.html", {"cart": cart, "options": options, "form": form}
    )


def own_payment(request: HttpRequest, payment_id: int) -> Payment:
    return get_object_or_404(Payment, pk=payment_id, user=request.user)


@login_required
@require_GET
def payment_return(request: HttpRequest, payment_id: int) -> HttpResponse:
    """Where Stripe sends the payer back. It asks Stripe once more (the webhook may be slow),
    then shows the receipt, or "processing" until the payment is confirmed."""
    payment = own_payment(request, payment_id)
    if (
        payment.provider == "stripe"
        and payment.stripe_session_id
        and payment.status in (PaymentStatus.CREATED, PaymentStatus.PROCESSING)
    ):
        try:
            apply_session(
                payment,
                stripe_gateway.retrieve_session(payment.stripe_session_id),
                source="return page",
            )
        except GatewayError:
            logger.warning("stripe: could not refresh payment %s on return", payment.pk)
        payment.refresh_from_db()
    if payment.status == PaymentStatus.CONFIRMED:
        return redirect("payments:receipt", receipt_number=payment.receipt_number)
    return render(request, "payments/status.html", {"payment": payment})


@login_required
@require_http_methods(["GET", "POST"])
def offline_gateway(request: HttpRequest, payment_id: int) -> HttpResponse:
    """The offline card gateway's hosted page: Approve or Decline."""
    if settings.PORTAL_ENVIRONMENT == "production" or stripe_gateway.stripe_configured():
        raise Http404("The offline card gateway is not used here.")
    payment = own_payment(request, payment_id)
    if payment.provider != "offline":
        raise Http404("Not an offline payment.")
    if request.method == "POST" and payment.status == PaymentStatus.CREATED:
        if request.POST.get("decision") == "approve":
            if payment.method == PaymentMethod.ACH:
                payment_confirm(payment.pk, source="offline gateway (e-check)")
            else:
                payment_confirm(payment.pk, source="offline gateway")
            payment.refresh_from_db()
            messages.success(request, f"Payment approved. Receipt {payment.receipt_number}.")
            return redirect("payments:receipt", receipt_number=payment.receipt_number)
        payment_release(
            payment.pk, status=PaymentStatus.FAILED, reason="declined at the offline gateway"
        )
        messages.error(
            request, "The card was declined. Nothing was charged; the fees are still due."
        )
        return redirect("payments:cart")
    return render(
        request,
        "payments/offline_gateway.html",
        {"payment": payment, "lines": payment.lines.select_related("fee__permit")},
    )


@login_required
@require_GET
def receipt(request: HttpRequest, receipt_number: str) -> HttpResponse:
    payment = get_object_or_404(
        Payment.objects.select_related("user", "trust_account__contractor"),
        receipt_number=receipt_number,
        user=request.user,
    )
    lines = payment.lines.select_related("fee__permit").order_by("fee__permit__number", "fee_id")
    return render(request, "payments/receipt.html", {"payment": payment, "lines": lines})


@login_required
@require_GET
def paid_items(request: HttpRequest) -> HttpResponse:
    payments = (
        Payment.objects.filter(
            user=request.user, status__in=[PaymentStatus.CONFIRMED, PaymentStatus.REFUNDED]
        )
        .select_related("trust_account__contractor")
        .order_by("-confirmed_at", "-id")
    )
    return render(request, "payments/paid_items.html", {"page": paginate(request, payments, 20)})


# Trust accounts ---------------------------------------------------------------------------------


def trust_account_or_404(request: HttpRequest, contractor_id: int) -> tuple[TrustAccount, bool]:
    """The business's trust account, for those the policy lets use it; anyone else: 404. And
    whether the user may manage the business (set the low-balance alert)."""
    if not can_use_trust_account(request.user, contractor_id):
        raise Http404("No trust account of yours.")
    contractor = get_object_or_404(Contractor, pk=contractor_id)
    # A business without an account yet sees an empty one; reading never creates it.
    account = TrustAccount.objects.filter(contractor=contractor).first()
    account = account or TrustAccount(contractor=contractor)
    return account, can_manage_business(request.user, contractor_id)


def ledger(account: TrustAccount):
    """The entries, newest first, each with the balance after it."""
    if account.pk is None:
        return TrustEntry.objects.none()
    return (
        TrustEntry.objects.filter(account=account)
        .select_related("payment")
        .annotate(running=Window(Sum("amount"), order_by=[F("created_at").asc(), F("id").asc()]))
        .order_by("-created_at", "-id")
    )


@login_required
@require_http_methods(["GET", "POST"])
def trust_account(request: HttpRequest, contractor_id: int) -> HttpResponse:
    account, is_manager = trust_account_or_404(request, contractor_id)
    form = ThresholdForm(
        request.POST or None, initial={"low_balance_threshold": account.low_balance_threshold}
    )
    if request.method == "POST":
        if not is_manager:
            raise Http404("Only managers set the alert.")
        if form.is_valid():
            account.low_balance_threshold = form.cleaned_data["low_balance_threshold"]
            if account.pk is None:
                account.save()
            else:
                account.save(update_fields=["low_balance_threshold"])
            messages.success(request, "The low-balance alert was saved.")
            return redirect("payments:trust", contractor_id=contractor_id)
    return render(
        request,
        "payments/trust_account.html",
        {
            "account": account,
            "balance": trust_balance(account),
            "page": paginate(request, ledger(account), 25),
            "is_manager": is_manager,
            "form": form,
        },
    )


@login_required
@require_GET
def trust_account_csv(request: HttpRequest, contractor_id: int) -> StreamingHttpResponse:
    account, _ = trust_account_or_404(request, contractor_id)
    writer = csv.writer(Echo())

    def rows():
        yield writer.writerow(["Date", "Kind", "Reference", "Receipt", "Amount", "Balance"])
        for entry in ledger(account).order_by("created_at", "id").iterator(chunk_size=1000):
            yield writer.writerow(
                [
                    timezone.localtime(entry.created_at).strftime("%Y-%m-%d %H:%M"),
                    entry.get_kind_display(),
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
        outcome = handle_stripe_event(event)
    except GatewayError as error:
        # Stripe will send the event again; nothing of it was recorded.
        logger.error("stripe webhook %s: %s", event["id"], error)
        return HttpResponse("try again", status=503, content_type="text/plain")
    return HttpResponse(outcome.message, status=outcome.status, content_type="text/plain")

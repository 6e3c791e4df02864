import csv
import hashlib
import re
from dataclasses import replace
from decimal import Decimal
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Page
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.history import history_of
from core.pagination import paginate
from core.ratelimit import Limit, rate_limited
from core.spreadsheet import Echo, csv_safe
from licenses.models import LicenseStatus
from policy.permits import can_view_private, inactive_license_status

from .cards import card_sections
from .checks import issuance_needs, issue_blockers
from .forms import DocumentUploadForm, PermitContactForm, PermitSearchForm, default_applied_from
from .models import Permit, PermitCard, PermitStatus
from .pages import permit_notices, permit_page_links, permit_page_sections
from .record_filters import record_filter_ids, record_search_rows, records_within
from .scopes import (
    has_records,
    permits_visible_to,
    prefetch_for_rules,
    record_license_ids,
    record_total,
)
from .selectors import (
    attach_professionals,
    fee_totals,
    license_search_rows,
    my_records,
    permit_csv_rows,
    permit_for_public_detail,
    permit_search,
    permit_type_choices,
    permits_in_order,
)

SEARCH_DEFAULTS_FIELD = "applied_from"
# Sent by the search form whenever it offers "Search my records only", so that an unticked box
# is told apart from a link that never mentioned it.
SCOPE_MARKER = "scoped"


def bind_search_form(request: HttpRequest) -> PermitSearchForm:
    """Bind the search form from the query string. A search that does not mention the
    applied-date range (a link, a bookmark) gets the default range; one that cleared it does not.
    For a contractor, "Search my records only" is ticked by default when the search names an
    address or a license number and the form did not say otherwise."""
    data = request.GET.copy()
    if SEARCH_DEFAULTS_FIELD not in data:
        data[SEARCH_DEFAULTS_FIELD] = default_applied_from().isoformat()
    offer_mine = has_records(request.user)
    if (
        offer_mine
        and SCOPE_MARKER not in data
        and (data.get("address") or data.get("license_number"))
    ):
        data["mine"] = "on"
    return PermitSearchForm(data, offer_mine=offer_mine)


def paginate_records(
    request: HttpRequest,
    rows,
    per_page: int,
    param: str = "page",
    *,
    window: bool = False,
    count: int | None = None,
) -> Page:
    """A page of record rows (applied_on, permit_id), turned into the page's permits."""
    page = paginate(request, rows, per_page, param, window=window, count=count)
    page.object_list = permits_in_order([row["permit_id"] for row in page.object_list])
    return page


@require_GET
def permit_search_view(request: HttpRequest) -> HttpResponse:
    """The public search. A visitor who is not signed in sees the same page as every other for
    the same search: on a deadline day the same addresses are searched again and again, so
    that page is kept in the cache for PERMIT_SEARCH_CACHE_SECONDS."""
    key = public_search_cache_key(request)
    if key is not None:
        content = cache.get(key)
        if content is not None:
            return HttpResponse(with_csrf_token(request, content))
    response = search_page(request)
    if key is not None and response.status_code == 200:
        cache.set(key, without_csrf_token(response.content), settings.PERMIT_SEARCH_CACHE_SECONDS)
    return response


# A form's CSRF token belongs to one visitor (their cookie): a page kept for everyone (the
# header's language switch is a form) is kept without it and given this visitor's when served.
CSRF_FIELD = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*(")')


def without_csrf_token(content: bytes) -> bytes:
    return CSRF_FIELD.sub(rb"\1\2", content)


def with_csrf_token(request: HttpRequest, content: bytes) -> bytes:
    token = get_token(request).encode()
    return CSRF_FIELD.sub(lambda found: found.group(1) + token + found.group(2), content)


def public_search_cache_key(request: HttpRequest) -> str | None:
    """The cache key of this search's page, or None when the page is this visitor's own: a
    signed-in user (their records are marked), a message waiting to be shown, no search yet.
    The page is kept per language: a visitor reading French never gets another's English."""
    if (
        not settings.PERMIT_SEARCH_CACHE_SECONDS
        or not request.GET
        or request.user.is_authenticated
        or len(messages.get_messages(request))
    ):
        return None
    # Only what the page reads: a parameter the search ignores (a tracking tag, a random
    # string) must not make another entry, or one visitor could fill the cache.
    known = {*PermitSearchForm.base_fields, "page", SCOPE_MARKER}
    params = sorted(
        (name, [" ".join(value.split()) for value in values])
        for name, values in request.GET.lists()
        if name in known
    )
    query = urlencode(params, doseq=True)
    # v3: kept without a CSRF token (a v2 page holds its first visitor's).
    return f"permit-search:v3:{get_language()}:{hashlib.sha256(query.encode()).hexdigest()}"


def search_page(request: HttpRequest) -> HttpResponse:
    searched = bool(request.GET)
    offer_mine = has_records(request.user)
    if searched:
        form = bind_search_form(request)
    else:
        form = PermitSearchForm(
            initial={"applied_from": default_applied_from(), "mine": True}, offer_mine=offer_mine
        )
    page = None
    if searched and form.is_valid():
        search = form.to_search(within=permits_visible_to(request.user))
        size = settings.PERMIT_SEARCH_PAGE_SIZE
        rows = license_search_rows(
            search=search, record_license_ids=record_license_ids(request.user)
        )
        if rows is not None:
            page = paginate_records(request, rows, size, window=True)
        else:
            page = paginate(request, permit_search(search=search), size, window=search.narrow)
        prefetch_for_rules(request.user, page.object_list)
        attach_professionals(page.object_list)
    return render(request, "permits/search.html", search_context(request, form, page, searched))


def search_context(request: HttpRequest, form: PermitSearchForm, page, searched: bool) -> dict:
    return {
        "form": form,
        "page": page,
        "searched": searched,
        "scope_marker": SCOPE_MARKER,
        "offer_mine": "mine" in form.fields,
        "permit_types": permit_type_choices(),
    }


# The columns of a CSV of permits (permit_csv_rows' order), headed in the reader's language: a
# download for people, not a standard's file (BLDS's column names are the importer's, kept as is).
CSV_COLUMNS = (
    ("number", gettext_lazy("Permit Number")),
    ("type", gettext_lazy("Permit Type")),
    ("status", gettext_lazy("Status")),
    ("applied", gettext_lazy("Applied Date")),
    ("issued", gettext_lazy("Issued Date")),
    ("expires", gettext_lazy("Expires Date")),
    ("finaled", gettext_lazy("Finaled Date")),
    ("street_number", gettext_lazy("Street Number")),
    ("street_name", gettext_lazy("Street Name")),
    ("unit", gettext_lazy("Unit")),
    ("city", gettext_lazy("City")),
    ("state", gettext_lazy("State")),
    ("zip", gettext_lazy("ZIP")),
    ("parcel", gettext_lazy("Parcel Number")),
    ("description", gettext_lazy("Description")),
    ("valuation", gettext_lazy("Valuation")),
    ("fees_due", gettext_lazy("Fees Due")),
    ("contractor", gettext_lazy("Contractor")),
    ("license", gettext_lazy("License Number")),
)
CSV_KEYS = [key for key, _label in CSV_COLUMNS]
STATUS_COLUMN = CSV_KEYS.index("status")
MONEY_COLUMNS = (CSV_KEYS.index("valuation"), CSV_KEYS.index("fees_due"))


def csv_lines(rows):
    """The CSV's lines, to stream. The header and the status labels are read now, in the
    request's language: the lines themselves are written after the view has returned."""
    header = [str(label) for _key, label in CSV_COLUMNS]
    labels = {value: str(label) for value, label in PermitStatus.choices}
    return _csv_lines(rows, header, labels)


def _csv_lines(rows, header: list[str], labels: dict[str, str]):
    writer = csv.writer(Echo())
    yield writer.writerow(header)
    for row in rows:
        row = list(row)
        row[STATUS_COLUMN] = labels.get(row[STATUS_COLUMN], row[STATUS_COLUMN])
        for column in MONEY_COLUMNS:
            row[column] = f"{Decimal(row[column]):.2f}"
        yield writer.writerow([csv_safe(value) for value in row])


@require_GET
def permit_search_csv_view(request: HttpRequest) -> HttpResponse:
    form = bind_search_form(request)
    if not form.is_valid():
        return render(
            request,
            "permits/search.html",
            search_context(request, form, None, True),
            status=400,
        )
    rows = permit_csv_rows(search=form.to_search(within=permits_visible_to(request.user)))
    return csv_response(rows, "permits")


def csv_response(rows, name: str) -> StreamingHttpResponse:
    """Permits as a CSV download, streamed (memory stays flat however many rows)."""
    filename = f"{name}-{timezone.localdate():%Y%m%d}.csv"
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def my_records_csv_view(request: HttpRequest) -> HttpResponse:
    """My Records as CSV (the search's columns), filtered as the page is."""
    form = PermitSearchForm(request.GET, records=True)
    if not form.is_valid():
        return render(request, "permits/my_records.html", records_context(form, None), status=400)
    among = record_filter_ids(request.user, form.cleaned_data["needs"])
    search = replace(form.to_search(), within=records_within(request.user, among))
    return csv_response(permit_csv_rows(search=search), "my-records")


@require_GET
def permit_detail_view(request: HttpRequest, number: str) -> HttpResponse:
    try:
        permit = permit_for_public_detail(number=number)
    except Permit.DoesNotExist:
        raise Http404("No permit has that number.") from None
    fees = list(permit.fees.all())
    inspections = list(permit.inspections.all())
    context = {
        "permit": permit,
        "fees": fees,
        "totals": fee_totals(fees),
        "licenses": list(permit.licenses.all()),
        "inspections": inspections,
    }
    if not can_view_private(request.user, permit):
        return render(request, "permits/detail.html", context)
    # What it still needs before issuance that its contractor provides online, each with the
    # button that provides it; anything else it waits for, in words.
    needs = issuance_needs([permit]).get(permit.pk, [])
    context.update(
        private=True,
        page_links=permit_page_links(permit),
        notices=permit_notices(permit, request.user),
        page_sections=permit_page_sections(permit, request.user),
        cards=list(permit.cards.all()),
        issuance_needs=needs,
        not_issued_yet=issue_blockers(permit)
        if permit.status == PermitStatus.READY_TO_ISSUE and not needs
        else [],
        contacts=list(permit.contacts.select_related("user")),
        documents=list(permit.documents.select_related("uploaded_by")),
        # What happened to it, its fees, payments and inspections (core.events).
        history=history_of(permit, for_staff=False),
        contact_form=PermitContactForm(),
        upload_form=DocumentUploadForm(
            kinds=[item.kind for item in needs if item.is_document],
            initial={"kind": request.GET.get("document", "")},
        ),
        inactive_license=LicenseStatus(status).label.lower()
        if (status := inactive_license_status(request.user, permit))
        else None,
    )
    return render(request, "permits/detail_private.html", context)


class InactiveLicense(Exception):
    """The user would act on the permit but their license on it is not active."""

    def __init__(self, permit: Permit, status: str):
        super().__init__(status)
        self.permit = permit
        self.status = status


def permit_with_access(request: HttpRequest, number: str, check) -> Permit:
    """The permit, if `check(user, permit)` allows; anyone else gets a 404, as if it were not
    there to act on, except its own contractor whose license on it is no longer active
    (InactiveLicense: `refuse_inactive_license` tells them so)."""
    permit = get_object_or_404(Permit, number=number.strip().upper())
    if not check(request.user, permit):
        status = inactive_license_status(request.user, permit)
        if status:
            raise InactiveLicense(permit, status)
        raise Http404("No permit of yours has that number.")
    return permit


def refuse_inactive_license(view):
    """A view acting on a permit: a user whose license on it is suspended, revoked or expired
    is sent back to the permit with the reason, nothing done."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except InactiveLicense as refusal:
            messages.error(
                request,
                _(
                    "Your license on permit %(number)s is %(status)s: nothing can be changed on "
                    "the permit online until the license is active again."
                )
                % {
                    "number": refusal.permit.number,
                    "status": LicenseStatus(refusal.status).label.lower(),
                },
            )
            return redirect(permit_url(refusal.permit))

    return wrapper


@login_required
def my_records_view(request: HttpRequest) -> HttpResponse:
    """My Records, filtered with the search's own form (every field optional, no default
    date range: all of them unless asked)."""
    form = PermitSearchForm(request.GET, records=True)
    page = records_page(request, form) if form.is_valid() else None
    if page is not None:
        prefetch_for_rules(request.user, page.object_list)
        attach_professionals(page.object_list)
    return render(request, "permits/my_records.html", records_context(form, page))


def records_page(request: HttpRequest, form: PermitSearchForm) -> Page:
    """A page of the user's records as the form filters them. Unfiltered (or with fees due
    only) they are read as before from the records' own rows; filtered, from PermitLicense's
    copies where status, type and applied dates alone narrow them (on PostgreSQL), else by
    the search itself within the records; "Needs my action" keeps its permits either way."""
    user, size = request.user, settings.MY_RECORDS_PAGE_SIZE
    fees_due = form.cleaned_data["fees_due"]
    if not form.is_filtered():
        # The whole list's total is kept per license; a filtered one is counted.
        count = None if fees_due else record_total(user)
        rows = my_records(user=user, fees_due=fees_due)
        return paginate_records(request, rows, size, count=count)
    among = record_filter_ids(user, form.cleaned_data["needs"])
    search = replace(form.to_search(), within=records_within(user, among))
    rows = record_search_rows(user=user, search=search, among=among)
    if rows is not None:
        return paginate_records(request, rows, size, window=True)
    return paginate(request, permit_search(search=search), size, window=True)


def records_context(form: PermitSearchForm, page) -> dict:
    return {
        "form": form,
        "page": page,
        "fees_due": form.is_valid() and form.cleaned_data["fees_due"],
        "filtered": form.is_valid() and form.is_filtered(),
        "records": True,
        "offer_mine": False,
        "permit_types": permit_type_choices(),
    }


def permit_url(permit: Permit, anchor: str = "") -> str:
    url = reverse("permits:detail", args=[permit.number])
    return f"{url}#{anchor}" if anchor else url


@login_required
@require_GET
def permit_card_view(request: HttpRequest, number: str, revision: int | None = None):
    """The permit card's PDF, the latest revision or an earlier one: the permit's parties."""
    permit = permit_with_access(request, number, can_view_private)
    cards = permit.cards.all()
    card = cards.filter(revision=revision).first() if revision is not None else cards.first()
    if card is None:
        raise Http404("This permit has no card (it is made when the permit is issued).")
    return card_file_response(card)


def card_file_response(card: PermitCard) -> FileResponse:
    """A card's PDF, shown in the browser, never cached. For the portal's download (the policy
    asked) and the admin's (the permission checked)."""
    try:
        handle = card.file.open("rb")
    except FileNotFoundError:
        raise Http404("That card is no longer on the server.") from None
    response = FileResponse(
        handle, as_attachment=False, filename=card.download_name, content_type="application/pdf"
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def permit_verify_code_view(request: HttpRequest) -> HttpResponse:
    """The check code typed in (the wrong-code page's box): its check page."""
    code = "".join(request.GET.get("code", "").split()).upper()[:12]
    if not code:  # the page itself, before a code is typed: a box to type it in
        return render(request, "permits/verify.html", {"code": ""})
    if not code.isalnum():
        return render(request, "permits/verify.html", {"code": code}, status=404)
    return redirect("permits:verify", code)


def permit_check_limit() -> Limit:
    """Check codes are guessed here: a client address gets this many looks a minute."""
    return Limit("permit-check", settings.PERMIT_CHECK_LIMIT_PER_MINUTE, 60)


@require_GET
@rate_limited(permit_check_limit, template="permits/verify_limited.html")
def permit_verify_view(request: HttpRequest, code: str) -> HttpResponse:
    """Anyone with the card's check code (its QR code) sees the permit as it is now: status,
    dates, site, and the card's public sections (inspections passed, conditions); nothing
    private."""
    code = code.strip().upper()[:12]
    permit = (
        Permit.objects.select_related("permit_type").filter(check_code=code).first()
        if code
        else None
    )
    if permit is None:
        return render(request, "permits/verify.html", {"code": code}, status=404)
    sections = [section for section in card_sections(permit) if section.public]
    return render(
        request,
        "permits/verify.html",
        {"permit": permit, "sections": sections, "checked_at": timezone.now()},
    )

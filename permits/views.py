import csv
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from .forms import PermitSearchForm, default_applied_from
from .models import Permit, PermitStatus
from .selectors import fee_totals, permit_csv_rows, permit_for_public_detail, permit_search

SEARCH_DEFAULTS_FIELD = "applied_from"


def bind_search_form(request: HttpRequest) -> PermitSearchForm:
    """Bind the search form from the query string. A search that does not mention the
    applied-date range (a link, a bookmark) gets the default range; one that cleared it does not."""
    data = request.GET.copy()
    if SEARCH_DEFAULTS_FIELD not in data:
        data[SEARCH_DEFAULTS_FIELD] = default_applied_from().isoformat()
    return PermitSearchForm(data)


def paginate(request: HttpRequest, queryset, per_page: int, param: str = "page") -> Page:
    """The requested page; a page number that is not a number, or is past the end, gives the
    nearest real page and a message rather than an error."""
    paginator = Paginator(queryset, per_page)
    raw = request.GET.get(param, "1").strip()
    # ASCII digits only: int() would also take full-width digits or "1_000".
    if not (raw.isascii() and raw.lstrip("-").isdigit()):
        messages.warning(request, "That page number is not a number; showing the first page.")
        return paginator.page(1)
    number = int(raw)
    if number < 1:
        messages.warning(request, "Pages start at 1; showing the first page.")
        return paginator.page(1)
    if number > paginator.num_pages:
        messages.warning(
            request,
            f"There is no page {number}: the results have {paginator.num_pages} "
            f"page{'s' if paginator.num_pages != 1 else ''}. Showing the last page.",
        )
        return paginator.page(paginator.num_pages)
    return paginator.page(number)


@require_GET
def permit_search_view(request: HttpRequest) -> HttpResponse:
    searched = bool(request.GET)
    if searched:
        form = bind_search_form(request)
    else:
        form = PermitSearchForm(initial={"applied_from": default_applied_from()})
    page = None
    if searched and form.is_valid():
        page = paginate(
            request, permit_search(search=form.to_search()), settings.PERMIT_SEARCH_PAGE_SIZE
        )
    return render(
        request,
        "permits/search.html",
        {"form": form, "page": page, "searched": searched, "statuses": PermitStatus},
    )


class Echo:
    """A file-like object whose write returns the line, for csv.writer inside a generator."""

    def write(self, value: str) -> str:
        return value


CSV_HEADER = (
    "Permit Number",
    "Permit Type",
    "Status",
    "Applied Date",
    "Issued Date",
    "Expires Date",
    "Finaled Date",
    "Street Number",
    "Street Name",
    "Unit",
    "City",
    "State",
    "ZIP",
    "Parcel Number",
    "Description",
    "Valuation",
    "Fees Due",
)
STATUS_LABELS = dict(PermitStatus.choices)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


STATUS_COLUMN = CSV_HEADER.index("Status")
MONEY_COLUMNS = (CSV_HEADER.index("Valuation"), CSV_HEADER.index("Fees Due"))


def csv_lines(rows):
    writer = csv.writer(Echo())
    yield writer.writerow(CSV_HEADER)
    for row in rows:
        row = list(row)
        row[STATUS_COLUMN] = STATUS_LABELS.get(row[STATUS_COLUMN], row[STATUS_COLUMN])
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
            {"form": form, "page": None, "searched": True, "statuses": PermitStatus},
            status=400,
        )
    filename = f"permits-{timezone.localdate():%Y%m%d}.csv"
    response = StreamingHttpResponse(
        csv_lines(permit_csv_rows(search=form.to_search())), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def permit_detail_view(request: HttpRequest, number: str) -> HttpResponse:
    try:
        permit = permit_for_public_detail(number=number)
    except Permit.DoesNotExist:
        raise Http404("No permit has that number.") from None
    fees = list(permit.fees.all())
    return render(
        request,
        "permits/detail.html",
        {
            "permit": permit,
            "fees": fees,
            "totals": fee_totals(fees),
            "licenses": list(permit.licenses.all()),
            "inspections": list(permit.inspections.all()),
        },
    )

from decimal import Decimal

from django import template
from django.core.paginator import Page
from django.http import QueryDict

register = template.Library()


@register.inclusion_tag("includes/pagination.html", takes_context=True)
def pagination(context, page: Page, param: str = "page", label: str = "Result pages") -> dict:
    """Page links for `page`, keeping every other query parameter; `param` names the page
    parameter so that one screen can page several lists independently."""
    query: QueryDict = context["request"].GET

    def link(number: int) -> str:
        params = query.copy()
        params[param] = str(number)
        return "?" + params.urlencode()

    pages = []
    for number in page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1):
        if number == page.paginator.ELLIPSIS:
            pages.append({"ellipsis": True})
        else:
            pages.append({"number": number, "url": link(number), "current": number == page.number})
    return {
        "page": page,
        "label": label,
        "pages": pages,
        "previous_url": link(page.previous_page_number()) if page.has_previous() else "",
        "next_url": link(page.next_page_number()) if page.has_next() else "",
    }


@register.filter
def money(value) -> str:
    """$1,234.50 for a Decimal; never through float."""
    if value is None or value == "":
        return ""
    amount = Decimal(value).quantize(Decimal("0.01"))
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"

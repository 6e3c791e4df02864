import datetime

from django import template
from django.conf import settings
from django.core.paginator import Page
from django.http import QueryDict
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import get_language, get_supported_language_variant

from core.money import format_money
from core.text import with_period
from core.uploads import megabytes, path_upload_limit
from portal.javascript_catalogue import catalogue_url

register = template.Library()


@register.inclusion_tag("includes/pagination.html", takes_context=True)
def pagination(context, page: Page, param: str = "page", label: str = "Result pages") -> dict:
    """Page links for `page`, keeping every other query parameter; `param` names the page
    parameter so that one screen can page several lists independently."""
    others: QueryDict = context["request"].GET.copy()
    others.pop(param, None)
    # The other parameters encoded once, the page number last on each link.
    prefix = f"?{others.urlencode()}&" if others else "?"

    def link(number: int) -> str:
        return f"{prefix}{urlencode({param: number})}"

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


@register.filter(name="with_period")
def with_period_filter(value) -> str:
    return with_period(str(value))


@register.filter
def money(value) -> str:
    return format_money(value)


@register.simple_tag
def tight_label(full: str, short: str) -> str:
    """A header link's words: `full` where the header has room, `short` where it is tight
    (1200 px and up), the rest kept for screen readers (.nav-word). "Account Management" and
    "Account": Account<span class="nav-word"> Management</span>. A language whose short label
    is not a part of its whole one gets both, one shown at a time (.nav-short)."""
    if full == short:
        return format_html("{}", full)
    if short and full.startswith(short):
        return format_html('{}<span class="nav-word">{}</span>', short, full[len(short) :])
    if short and full.endswith(short):
        return format_html('<span class="nav-word">{}</span>{}', full[: -len(short)], short)
    return format_html(
        '<span class="nav-word">{}</span><span class="nav-short" aria-hidden="true">{}</span>',
        full,
        short,
    )


@register.simple_tag
def other_languages(current: str) -> list[tuple[str, str]]:
    """The languages the switch offers: every one but the page's, each named in itself (the
    names in settings.LANGUAGES, never translated: a reader of French looks for "Français")."""
    return [(code, name) for code, name in settings.LANGUAGES if code != current]


@register.simple_tag
def javascript_catalogue_url() -> str:
    """The active language's JavaScript catalogue (portal.javascript_catalogue)."""
    return catalogue_url(get_supported_language_variant(get_language() or settings.LANGUAGE_CODE))


@register.filter
def duration(value) -> str:
    """A timedelta in words: "15 minutes", "1 hour 30 minutes", "2 days" (never PT15M)."""
    if not isinstance(value, datetime.timedelta):
        return ""
    seconds = int(value.total_seconds())
    parts = []
    for name, size in (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {name}{'s' if count != 1 else ''}")
    return " ".join(parts[:2]) or "a moment"


@register.simple_tag(takes_context=True)
def upload_limit(context, path: str = "") -> str:
    """The largest file the view at `path` takes, in words ("25 MB"): the limit its
    `upload_limit` names, which is what is enforced. Without `path`, the page's own view (a
    form that posts back to its page)."""
    return megabytes(path_upload_limit(path or context["request"].path_info))


@register.inclusion_tag("includes/error_summary.html")
def error_summary(form, heading: str = "") -> dict:
    """The form's errors listed at the top of its page, each linking to its field (on a phone
    the field can be a long way down); portal.js moves the focus to the list."""
    items = []
    if form is not None and form.is_bound:
        for name, errors in form.errors.items():
            label, anchor = "", ""
            if name in form.fields:
                bound = form[name]
                label = str(bound.label or name).removesuffix(" (required)")
                # A group of radios or boxes has no element of its own id: its first choice.
                anchor = bound.id_for_label or (f"{bound.auto_id}_0" if bound.auto_id else "")
            items += [{"label": label, "message": message, "anchor": anchor} for message in errors]
    return {"items": items, "heading": heading}

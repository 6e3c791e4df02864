"""The inspection list's default: what is still to do."""

from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import InspectionStatus

# What the list is narrowed by besides its own pages and column order.
_PAGING = {"o", "p", "_changelist_filters", "e"}


def shows_open_list(request) -> bool:
    """The list as it opens (no filter, no search) or asked for open ones: still to do."""
    show = request.GET.get(OpenFilter.parameter_name)
    if show:
        return show == OpenFilter.OPEN
    return not (set(request.GET) - _PAGING)


class OpenFilter(admin.SimpleListFilter):
    """The list opens on the inspections still to do (scheduled, the overdue first), not on the
    city's whole history; a search or another filter looks at all of them."""

    title = gettext_lazy("show")
    parameter_name = "show"
    OPEN = "open"

    def __init__(self, request, params, model, model_admin):
        self.default = self.OPEN if shows_open_list(request) else "all"
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        return [
            (self.OPEN, _("Open (scheduled)")),
            ("done", _("Resulted or cancelled")),
            ("all", _("All")),
        ]

    def value(self):
        return super().value() or self.default

    def choices(self, changelist):
        # No "All" of Django's own: its link (no parameter) is the open list here.
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        if self.value() == self.OPEN:
            return queryset.filter(status=InspectionStatus.SCHEDULED)
        if self.value() == "done":
            return queryset.exclude(status=InspectionStatus.SCHEDULED)
        return queryset

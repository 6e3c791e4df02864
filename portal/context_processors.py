from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Func, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from payments.models import CartLine
from permits.models import Collection


def portal(request: HttpRequest) -> dict:
    context = {
        "CITY_NAME": settings.CITY_NAME,
        "CITY_OFFICE_PHONE": settings.CITY_OFFICE_PHONE,
    }
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        # Lazy: counted only when a page shows the header, both in one query.
        counts = SimpleLazyObject(lambda: header_counts(user))
        context["collection_count"] = SimpleLazyObject(lambda: counts["collection_count"])
        context["cart_count"] = SimpleLazyObject(lambda: counts["cart_count"])
    return context


def _count(queryset: QuerySet) -> Subquery:
    """COUNT(*) of a queryset as a scalar subquery (no GROUP BY: always one row)."""
    return Subquery(
        queryset.order_by().annotate(n=Func(Value(1), function="COUNT")).values("n"),
        output_field=IntegerField(),
    )


def header_counts(user) -> dict[str, int]:
    """The user's collections and cart lines, counted in one query for the header's badges."""
    return (
        get_user_model()
        .objects.filter(pk=user.pk)
        .values(
            collection_count=_count(Collection.objects.filter(owner=OuterRef("pk"))),
            cart_count=_count(CartLine.objects.filter(user=OuterRef("pk"))),
        )
        .get()
    )

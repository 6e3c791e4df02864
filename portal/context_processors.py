from django.conf import settings
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
        # Lazy: counted only when a page shows the header.
        context["collection_count"] = SimpleLazyObject(
            lambda: Collection.objects.filter(owner=user).count()
        )
        context["cart_count"] = SimpleLazyObject(lambda: CartLine.objects.filter(user=user).count())
    return context

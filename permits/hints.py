"""What the search pages offer as an example: an address that the search finds in this city (the
latest permit's street), read through the shared cache, never a made-up one."""

from django.core.cache import cache

from core.addresses import street_address

from .models import Permit

EXAMPLE_ADDRESS_CACHE_KEY = "permits:example-address"


def example_address() -> str:
    """The street address of the latest permit applied for ("" in a city without permits)."""
    example = cache.get(EXAMPLE_ADDRESS_CACHE_KEY)
    if example is None:
        row = (
            Permit.objects.exclude(street_number="")
            .order_by("-applied_on", "-id")
            .values_list("street_number", "street_name")
            .first()
        )
        example = street_address(*row) if row else ""
        cache.set(EXAMPLE_ADDRESS_CACHE_KEY, example, 3600)
    return example

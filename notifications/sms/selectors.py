"""Text messages' reads: a user's number, and the numbers notifications may be texted to."""

from __future__ import annotations

from ..models import PhoneNumber
from .providers import provider


def phone_of(user) -> PhoneNumber | None:
    return PhoneNumber.objects.filter(user=user).first()


def verified_numbers(user_ids: list[int]) -> dict[int, str]:
    """{user_id: number} for the users whose number is verified and not opted out (STOP); none
    when the city sends no texts."""
    if provider() is None or not user_ids:
        return {}
    return dict(
        PhoneNumber.objects.filter(
            user_id__in=user_ids, verified_at__isnull=False, opted_out_at__isnull=True
        ).values_list("user_id", "number")
    )

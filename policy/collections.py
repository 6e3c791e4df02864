"""Collection rules: a collection of permits is its owner's own (nobody else sees that it
exists). What a permit in it shows is the permit rules' to decide.

- `can_use_collection` (see it, rename it, add and remove permits, delete it): its owner.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from permits.models import Collection


def can_use_collection(user, collection: Collection) -> bool:
    return bool(user.is_authenticated and collection.owner_id == user.pk)

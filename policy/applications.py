"""Application rules (an online application, before it is a permit; the rules read only its
applicant, business and status):

- `can_start_application`: Apply at a business holding an active license;
- `can_view_application`: its applicant (a draft is nobody else's; colleagues see the permit it
  becomes);
- `can_work_on_application` (change, submit, withdraw, copy): its applicant, with Apply at its
  business, which holds an active license;
- `can_upload_to_application`: the same, with Upload Files there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from licenses.models import Role
from licenses.scope import contractor_scope

if TYPE_CHECKING:
    from applications.models import Application


def application_businesses(user) -> dict[int, frozenset[int]]:
    """The businesses the user may apply for (Apply there), each with its active licenses: the
    license professionals an application may name."""
    scope = contractor_scope(user)
    if not scope.verified:
        return {}
    return {
        contractor_id: scope.active(scope.held_by.get(contractor_id, frozenset()))
        for contractor_id in scope.businesses_with(Role.APPLY)
    }


def can_start_application(user) -> bool:
    """Apply at a business that holds an active license."""
    return any(application_businesses(user).values())


def can_view_application(user, application: Application) -> bool:
    """An application (a draft above all) is its applicant's own; colleagues see the permit it
    became, through the permit rules."""
    return bool(
        contractor_scope(user).verified
        and application.applicant_id is not None
        and application.applicant_id == user.pk
    )


def can_work_on_application(user, application: Application) -> bool:
    """Change, submit, withdraw or copy it: its applicant, while they hold Apply at its
    business (any business where they hold Apply, before one is chosen)."""
    if not can_view_application(user, application):
        return False
    if application.business_id is None:
        return can_start_application(user)
    return bool(application_businesses(user).get(application.business_id))


def can_upload_to_application(user, application: Application) -> bool:
    """Its documents: as `can_work_on_application`, with Upload Files at its business."""
    if not can_work_on_application(user, application) or application.business_id is None:
        return False
    return contractor_scope(user).has_role(application.business_id, Role.UPLOAD)

"""Application rules (an online application, before it is a permit; the rules read only its
applicant, business and status):

- `can_start_application`: Apply at a business holding an active license;
- `can_view_application`: its applicant (a draft is nobody else's; colleagues see the permit it
  becomes);
- `can_work_on_application` (change, submit, withdraw, copy): its applicant, with Apply at its
  business, which holds an active license;
- `can_upload_to_application`: the same, with Upload Files there.

`start_application_refusal` says why `can_start_application` refuses, in the user's terms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from licenses.models import Role
from licenses.scope import contractor_scope
from licenses.selectors import pending_license_numbers

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


def start_application_refusal(user) -> str:
    """Why the user may not apply online, the first thing in their way, in words that say what
    to do ("" when they may): a pending license link is told as pending, not as a missing
    role."""
    if can_start_application(user):
        return ""
    if not user.is_authenticated:
        return _("Sign in to apply online.")
    scope = contractor_scope(user)
    if not scope.verified:
        return _(
            "Verify your email address first: follow the link in the email we sent you "
            "(Account Management sends a new one)."
        )
    if scope.businesses_with(Role.APPLY):
        return _(
            "Your business has no active license to apply under (none on record, or each one "
            "suspended, revoked or expired): call the permit office."
        )
    if pending := pending_license_numbers(user):
        return _(
            "Your request to act for license %(numbers)s is waiting for the permit office's "
            "approval: you can apply online once it is approved."
        ) % {"numbers": ", ".join(pending)}
    if scope.roles or scope.license_ids:  # a member, or registered for a license
        return _(
            "Applying online needs the Apply role at your business: ask your business's manager."
        )
    return _(
        "Applying online needs a contractor license on your account: add yours on Account "
        "Management, and the permit office approves it."
    )


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


def workable_business_ids(user) -> frozenset[int]:
    """The businesses whose applications the user may work on, when they are the applicant
    (`can_work_on_application` for every application of theirs naming one of them): those
    where they hold Apply that hold an active license."""
    businesses = application_businesses(user)
    return frozenset(contractor_id for contractor_id, licenses in businesses.items() if licenses)


def can_upload_to_application(user, application: Application) -> bool:
    """Its documents: as `can_work_on_application`, with Upload Files at its business."""
    if not can_work_on_application(user, application) or application.business_id is None:
        return False
    return contractor_scope(user).has_role(application.business_id, Role.UPLOAD)

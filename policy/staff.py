"""City staff: who counts as staff, who inspects, who reviews license links, and what Django
admin's model permissions allow beyond the admin's own pages. Staff act in Django admin; being
staff passes no contractor's rule.

- `is_city_staff`: an active account with staff status (it signs in to admin with MFA);
- `is_inspector`: city staff in the Inspectors group (scheduling assigns them inspections; their
  day is "My stops");
- `is_intake_clerk`: city staff with the permission to change the intake queue (they accept or
  return submitted applications);
- `is_plan_reviewer`: city staff with the permission to view "My reviews" (plan reviewers);
- `is_license_reviewer`: city staff in the License Reviewers group (told of link requests);
- `can_decide_license_links` (approve or reject a link): city staff with the permission to change
  license links (superusers have every permission);
- `can_open_permit_documents` (admin's document download): the permission to view documents;
- `can_record_trust_deposit` (admin's deposit form): the permission to add trust ledger entries;
- `can_send_authenticator_links` (admin's "Send authenticator set-up link"): city staff with the
  permission to change users, who set up the accounts staff sign in with;
- `can_reinstate_waived_fee` (a waived fee back to due, before its permit is issued: the fee's
  own rule, `Fee.check_move`): city staff with the permission to change fees.

`staff_landing` says where a user's work is after signing in (accounts' sign-in adapter): a
site administrator (superuser) on admin's index, then the first of: the intake queue, My reviews,
My stops; any other staff on admin's index; "" for everyone else (contractors: their dashboard).

Each "who" rule has its filter form for queries of users (`city_staff_filter`,
`inspector_filter`, `license_link_decider_filter`), which picks exactly the users the rule passes
(tests/policy/test_rules.py).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q

INSPECTORS_GROUP = "Inspectors"
# Staff told of every license link request (LICENSE_REVIEWER_EMAILS adds addresses).
LICENSE_REVIEWERS_GROUP = "License Reviewers"

DECIDE_LICENSE_LINKS = "licenses.change_licenselink"
VIEW_PERMIT_DOCUMENTS = "permits.view_permitdocument"
ADD_TRUST_ENTRIES = "payments.add_trustentry"
CHANGE_USERS = "accounts.change_user"
CHANGE_INTAKE_QUEUE = "applications.change_intakequeue"
VIEW_MY_REVIEWS = "reviews.view_myreview"

# Where staff land (`staff_landing`): the names of their work pages.
LAND_ADMIN = "admin"
LAND_INTAKE = "intake"
LAND_REVIEWS = "reviews"
LAND_STOPS = "stops"
CHANGE_FEES = "permits.change_fee"


def is_city_staff(user) -> bool:
    return bool(user.is_active and user.is_staff)


def city_staff_filter(prefix: str = "") -> Q:
    """`is_city_staff` as a filter on users (`prefix`, e.g. "user__", from another model)."""
    return Q(**{f"{prefix}is_active": True, f"{prefix}is_staff": True})


def is_inspector(user) -> bool:
    return is_city_staff(user) and user.groups.filter(name=INSPECTORS_GROUP).exists()


def inspector_filter(prefix: str = "") -> Q:
    return city_staff_filter(prefix) & Q(**{f"{prefix}groups__name": INSPECTORS_GROUP})


def is_license_reviewer(user) -> bool:
    """Told of every license link request: city staff in the License Reviewers group."""
    return is_city_staff(user) and user.groups.filter(name=LICENSE_REVIEWERS_GROUP).exists()


def license_reviewer_filter() -> Q:
    return city_staff_filter() & Q(groups__name=LICENSE_REVIEWERS_GROUP)


def can_decide_license_links(user) -> bool:
    return is_city_staff(user) and user.has_perm(DECIDE_LICENSE_LINKS)


def license_link_decider_filter() -> Q:
    """`can_decide_license_links` as a filter on users."""
    deciders = get_user_model().objects.with_perm(
        DECIDE_LICENSE_LINKS,
        include_superusers=True,
        backend="django.contrib.auth.backends.ModelBackend",
    )
    return city_staff_filter() & Q(pk__in=deciders.values("pk"))


def can_open_permit_documents(user) -> bool:
    return is_city_staff(user) and user.has_perm(VIEW_PERMIT_DOCUMENTS)


def can_record_trust_deposit(user) -> bool:
    return is_city_staff(user) and user.has_perm(ADD_TRUST_ENTRIES)


def can_send_authenticator_links(user) -> bool:
    """Send a staff member the one-time link that sets up their first authenticator app."""
    return is_city_staff(user) and user.has_perm(CHANGE_USERS)


def is_intake_clerk(user) -> bool:
    return is_city_staff(user) and user.has_perm(CHANGE_INTAKE_QUEUE)


def intake_clerk_filter() -> Q:
    """`is_intake_clerk` as a filter on users (told of each application submitted)."""
    clerks = get_user_model().objects.with_perm(
        CHANGE_INTAKE_QUEUE,
        include_superusers=True,
        backend="django.contrib.auth.backends.ModelBackend",
    )
    return city_staff_filter() & Q(pk__in=clerks.values("pk"))


def is_plan_reviewer(user) -> bool:
    return is_city_staff(user) and user.has_perm(VIEW_MY_REVIEWS)


def staff_landing(user) -> str:
    """Which work page a user lands on after signing in (LAND_*), or "" (not staff)."""
    if not is_city_staff(user):
        return ""
    if user.is_superuser:
        # Every permission is theirs: their work is the whole of admin, not one queue.
        return LAND_ADMIN
    if is_intake_clerk(user):
        return LAND_INTAKE
    if is_plan_reviewer(user):
        return LAND_REVIEWS
    if is_inspector(user):
        return LAND_STOPS
    return LAND_ADMIN


def can_reinstate_waived_fee(user) -> bool:
    return is_city_staff(user) and user.has_perm(CHANGE_FEES)

"""Plan review rules (city staff; the rules read only the review's reviewer and discipline):

- `can_review_discipline`: city staff in the discipline's group (reviews are assigned to them);
- `can_decide_review` (start and decide a plan review): its reviewer, or a supervisor;
- `can_reassign_review` (give a review to another reviewer): a supervisor, never a reviewer for
  themselves or a colleague;
- `can_mark_condition_met` (a condition of approval is met): city staff with the permission to
  change conditions;
- `can_read_condition` (a condition's page in admin: its answer, and whether it is met): who may
  mark it met or has the permission to view conditions, and whoever may decide its review (its
  reviewer, told of each answer, and the supervisors, told when it has none).

A supervisor is city staff with the "decide any review" permission (covering an absence).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db.models import Q

from .staff import city_staff_filter, is_city_staff

if TYPE_CHECKING:
    from reviews.models import Review, ReviewCondition, ReviewDiscipline

DECIDE_ANY_REVIEW = "reviews.decide_any_review"
CHANGE_CONDITIONS = "reviews.change_reviewcondition"
VIEW_CONDITIONS = "reviews.view_reviewcondition"


def is_review_supervisor(user) -> bool:
    return is_city_staff(user) and user.has_perm(DECIDE_ANY_REVIEW)


def review_supervisor_filter() -> Q:
    """`is_review_supervisor` as a filter on users: told of a resubmission no reviewer of its
    discipline was found for."""
    supervisors = get_user_model().objects.with_perm(
        DECIDE_ANY_REVIEW,
        include_superusers=True,
        backend="django.contrib.auth.backends.ModelBackend",
    )
    return city_staff_filter() & Q(pk__in=supervisors.values("pk"))


def can_review_discipline(user, discipline: ReviewDiscipline) -> bool:
    return is_city_staff(user) and user.groups.filter(pk=discipline.group_id).exists()


def reviewer_filter(discipline: ReviewDiscipline) -> Q:
    """`can_review_discipline` as a filter on users."""
    return city_staff_filter() & Q(groups=discipline.group_id)


def can_reassign_review(user, review: Review) -> bool:
    return is_review_supervisor(user)


def can_mark_condition_met(user) -> bool:
    return is_city_staff(user) and user.has_perm(CHANGE_CONDITIONS)


def can_decide_review(user, review: Review) -> bool:
    if not is_city_staff(user):
        return False
    return review.reviewer_id == user.pk or user.has_perm(DECIDE_ANY_REVIEW)


def can_read_condition(user, condition: ReviewCondition) -> bool:
    if not is_city_staff(user):
        return False
    if can_mark_condition_met(user) or user.has_perm(VIEW_CONDITIONS):
        return True
    return can_decide_review(user, condition.review)

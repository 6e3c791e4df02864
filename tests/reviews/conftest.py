"""Plan review's tests: the applications tests' form, contractor and submitted application,
with two disciplines (Building, Zoning), their reviewers, comments and conditions."""

import pytest
from django.contrib.auth.models import Group

from reviews.models import ReviewComment, ReviewCondition, ReviewDiscipline
from tests.applications import conftest as applying
from tests.factories import UserFactory

# The applications tests' fixtures and helpers, shared: a published form, a contractor who may
# apply, a submitted application, an intake clerk.
form, license_, applicant = applying.form, applying.license_, applying.applicant
submitted, intake_clerk = applying.submitted, applying.intake_clerk
PDF, pdf, fill_in = applying.PDF, applying.pdf, applying.fill_in


def comment(review, text="Show the setback to the rear lot line.", **extra):
    return ReviewComment.objects.create(review=review, text=text, **extra)


def condition(review, text="Rear yard fence stays 6 ft from the alley."):
    return ReviewCondition.objects.create(review=review, text=text)


INLINES_EMPTY = {
    f"{prefix}-{name}": value
    for prefix in ("comments", "conditions")
    for name, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))
}


def reviewer(group, **extra):
    user = UserFactory(is_staff=True, **extra)
    user.groups.add(group)
    return user


@pytest.fixture
def building(form):
    group = Group.objects.create(name="Building plan reviewers")
    discipline = ReviewDiscipline.objects.create(
        name="Building", group=group, target_days=10, position=1
    )
    discipline.permit_types.add(form.permit_type)
    return discipline


@pytest.fixture
def zoning(form):
    group = Group.objects.create(name="Zoning reviewers")
    discipline = ReviewDiscipline.objects.create(
        name="Zoning", group=group, target_days=5, position=2
    )
    discipline.permit_types.add(form.permit_type)
    return discipline

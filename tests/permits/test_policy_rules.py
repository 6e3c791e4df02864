"""The policy's staff and application rules where the table (tests/policy/test_rules.py) has
no row for the case: issue 21 (`access.py:287`) asks that a reviewer whose account was
deactivated, or who is no longer staff, is refused their review; a supervisor likewise. And the
applicant's side: Apply at a business that holds no license opens nothing, and an applicant at
two businesses works on a draft before choosing which one it is for."""

import datetime

import pytest
from django.contrib.auth.models import Group, Permission

from applications import services as application_services
from applications.exceptions import ApplicationError
from applications.models import Application
from policy import applications as application_rules
from policy import reviews as review_rules
from reviews import services as reviews
from reviews.models import Review, ReviewCycle, ReviewDiscipline, ReviewStatus
from tests.applications.conftest import make_form
from tests.factories import (
    ContractorFactory,
    LicenseFactory,
    MembershipFactory,
    UserFactory,
    verify_email,
)
from tests.reviews.conftest import reviewer

pytestmark = pytest.mark.django_db

DECIDE_REFUSED = "Only the review's reviewer can decide it."
START_REFUSED = "Only the review's reviewer can start it."
REASSIGN_REFUSED = "Reassigning a review is for a supervisor of plan review."
NO_LICENSED_BUSINESS = (
    "Your business has no active license to apply under (none on record, or each one "
    "suspended, revoked or expired): call the permit office."
)


def fresh(user):
    """The user as the next request loads them."""
    return type(user).objects.get(pk=user.pk)


# Plan review: staff only, and only while the account is active --------------------------------


@pytest.fixture
def group(db):
    return Group.objects.create(name="Building plan reviewers")


@pytest.fixture
def review(group):
    """A pending Building review assigned to a reviewer of the group, in a cycle whose Zoning
    review (another reviewer's) stays open: deciding the Building review decides no cycle."""
    application = Application.objects.create(template=make_form(), applicant=UserFactory())
    cycle = ReviewCycle.objects.create(application=application, number=1)
    building = ReviewDiscipline.objects.create(name="Building", group=group, position=1)
    zoning = ReviewDiscipline.objects.create(name="Zoning", group=group, position=2)
    due = datetime.date.today() + datetime.timedelta(days=10)
    Review.objects.create(cycle=cycle, discipline=zoning, reviewer=reviewer(group), due_on=due)
    return Review.objects.create(
        cycle=cycle, discipline=building, reviewer=reviewer(group), due_on=due
    )


def supervisor(**fields):
    user = UserFactory(is_staff=True, **fields)
    user.user_permissions.add(Permission.objects.get(codename="decide_any_review"))
    return user


def refusal(call, **kwargs) -> str:
    with pytest.raises(ApplicationError) as refused:
        call(**kwargs)
    return str(refused.value)


def test_a_reviewer_whose_account_was_deactivated_cannot_start_or_decide_their_review(review):
    assigned = review.reviewer
    assert review_rules.can_decide_review(fresh(assigned), review)  # theirs while active

    assigned.is_active = False
    assigned.save(update_fields=["is_active"])

    assert not review_rules.can_decide_review(fresh(assigned), review)
    assert refusal(reviews.review_start, review=review, by=fresh(assigned)) == START_REFUSED
    assert (
        refusal(
            reviews.review_decide,
            review=review,
            decision=ReviewStatus.APPROVED,
            by=fresh(assigned),
        )
        == DECIDE_REFUSED
    )
    review.refresh_from_db()
    assert review.status == ReviewStatus.PENDING
    assert review.decided_by is None and review.decided_at is None


def test_a_reviewer_who_is_no_longer_staff_cannot_decide_the_review_still_assigned(review):
    assigned = review.reviewer
    reviews.review_start(review=review, by=assigned)
    assigned.is_staff = False  # left the city's staff; the account stays active
    assigned.save(update_fields=["is_staff"])

    assert not review_rules.can_decide_review(fresh(assigned), review)
    assert (
        refusal(
            reviews.review_decide,
            review=review,
            decision=ReviewStatus.CORRECTIONS_REQUIRED,
            by=fresh(assigned),
        )
        == DECIDE_REFUSED
    )
    review.refresh_from_db()
    assert review.status == ReviewStatus.IN_PROGRESS and review.decided_by is None


def test_the_active_reviewer_decides_their_review(review):
    """The control of the two refusals above: the same reviewer, active and staff, decides."""
    assigned = review.reviewer
    reviews.review_decide(review=review, decision=ReviewStatus.APPROVED, by=fresh(assigned))
    review.refresh_from_db()
    assert review.status == ReviewStatus.APPROVED and review.decided_by == assigned


def test_a_deactivated_supervisor_neither_reassigns_nor_decides_any_review(review, group):
    boss = supervisor()
    colleague = reviewer(group)
    assert review_rules.can_reassign_review(fresh(boss), review)
    assert review_rules.can_decide_review(fresh(boss), review)

    boss.is_active = False
    boss.save(update_fields=["is_active"])

    assert not review_rules.can_reassign_review(fresh(boss), review)
    assert (
        refusal(reviews.review_reassign, review=review, reviewer=colleague, by=fresh(boss))
        == REASSIGN_REFUSED
    )
    assert (
        refusal(
            reviews.review_decide, review=review, decision=ReviewStatus.APPROVED, by=fresh(boss)
        )
        == DECIDE_REFUSED
    )
    review.refresh_from_db()
    assert review.reviewer != colleague and review.status == ReviewStatus.PENDING


def test_the_permission_without_staff_status_reassigns_nothing(review, group):
    """ "Decide any review" given to an account that is not staff (a contractor's, by mistake)
    does not make a supervisor of it."""
    outsider = supervisor()
    outsider.is_staff = False
    outsider.save(update_fields=["is_staff"])

    assert not review_rules.can_reassign_review(fresh(outsider), review)
    assert not review_rules.can_decide_review(fresh(outsider), review)
    assert (
        refusal(
            reviews.review_reassign, review=review, reviewer=reviewer(group), by=fresh(outsider)
        )
        == REASSIGN_REFUSED
    )


# Applying online -------------------------------------------------------------------------------


def verified_user():
    user = UserFactory()
    verify_email(user)
    return user


def test_apply_at_a_business_that_holds_no_license_opens_no_application():
    user = verified_user()
    unlicensed = ContractorFactory(business_name="No License Yet LLC")
    MembershipFactory(user=user, contractor=unlicensed, can_apply=True)
    form = make_form()

    assert application_rules.application_businesses(fresh(user)) == {unlicensed.pk: frozenset()}
    assert not application_rules.can_start_application(fresh(user))
    assert (
        refusal(application_services.application_start, template=form, applicant=fresh(user))
        == NO_LICENSED_BUSINESS
    )
    assert not Application.objects.exists()


def test_apply_at_a_licensed_business_and_at_an_unlicensed_one_offers_the_licensed_only():
    user = verified_user()
    licensed, unlicensed = ContractorFactory(), ContractorFactory()
    license = LicenseFactory(holder=licensed)
    for business in (licensed, unlicensed):
        MembershipFactory(user=user, contractor=business, can_apply=True)

    assert application_rules.application_businesses(fresh(user)) == {
        licensed.pk: frozenset({license.pk}),
        unlicensed.pk: frozenset(),
    }
    assert application_rules.can_start_application(fresh(user))


def test_an_applicant_at_two_businesses_works_on_the_draft_before_choosing_one():
    user = verified_user()
    first, second = LicenseFactory(), LicenseFactory()
    for license in (first, second):
        MembershipFactory(user=user, contractor=license.holder, can_apply=True)

    draft = application_services.application_start(template=make_form(), applicant=fresh(user))
    assert draft.business_id is None  # two businesses: the applicant chooses on People
    assert application_rules.can_work_on_application(fresh(user), draft)

    application_services.application_save_location(
        application=draft, by=fresh(user), values={"street_number": "12", "street_name": "Oak St"}
    )
    application_services.application_save_people(
        application=draft,
        by=fresh(user),
        license_id=second.pk,
        owner_name="Jordan Baker",
        owner_email="owner@example.com",
    )
    draft.refresh_from_db()
    assert (draft.street_number, draft.street_name) == ("12", "Oak St")
    assert (draft.business_id, draft.license_id) == (second.holder_id, second.pk)


def test_a_draft_without_a_business_is_refused_once_apply_is_gone_everywhere():
    user = verified_user()
    first, second = LicenseFactory(), LicenseFactory()
    memberships = [
        MembershipFactory(user=user, contractor=license.holder, can_apply=True)
        for license in (first, second)
    ]
    draft = application_services.application_start(template=make_form(), applicant=fresh(user))
    for membership in memberships:
        membership.can_apply = False
        membership.save(update_fields=["can_apply"])

    assert not application_rules.can_work_on_application(fresh(user), draft)
    assert (
        refusal(
            application_services.application_save_location,
            application=draft,
            by=fresh(user),
            values={"street_name": "Elm St"},
        )
        == application_services.NOT_YOURS
    )

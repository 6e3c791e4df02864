"""Plan review, issue 15 requirements 1 and 2 (the reviewer's side): accepting an application
opens review cycle 1 with a review per discipline of its permit type, due in business days,
each given to the discipline's least-loaded reviewer; reviews are reassigned, started and
decided by their reviewer; the cycle's last decision emails the applicant and the contacts
once."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from applications import services
from applications.exceptions import ApplicationError
from inspections.models import Holiday
from permits.models import ContactType, PermitContact, PermitStatus
from reviews import services as reviews
from reviews.models import CommentKind, Review, ReviewCycle, ReviewDiscipline, ReviewStatus
from tests.factories import UserFactory, verify_email

from .conftest import INLINES_EMPTY, comment, condition, reviewer

pytestmark = pytest.mark.django_db


def test_accepting_opens_cycle_1_with_a_review_per_discipline_of_the_type(
    submitted, building, zoning, intake_clerk, monkeypatch
):
    other_type = ReviewDiscipline.objects.create(name="Fire", group=building.group)
    retired = ReviewDiscipline.objects.create(name="Old", group=building.group, active=False)
    retired.permit_types.add(submitted.template.permit_type)
    monday = datetime.date(2027, 3, 1)
    monkeypatch.setattr(timezone, "localdate", lambda *args: monday)
    Holiday.objects.create(date=datetime.date(2027, 3, 5), name="A holiday")  # the Friday
    first = reviewer(building.group)
    zoner = reviewer(zoning.group)

    services.application_accept(application=submitted, by=intake_clerk)

    cycle = ReviewCycle.objects.get(application=submitted)
    assert cycle.number == 1
    made = {review.discipline: review for review in cycle.reviews.all()}
    assert set(made) == {building, zoning}
    assert other_type not in made
    assert made[building].reviewer == first and made[zoning].reviewer == zoner
    assert all(review.status == ReviewStatus.PENDING for review in made.values())
    # 5 business days from Monday, Friday a holiday: the next Tuesday; 10: Tuesday after.
    assert made[zoning].due_on == datetime.date(2027, 3, 9)
    assert made[building].due_on == datetime.date(2027, 3, 16)
    submitted.permit.refresh_from_db()
    assert submitted.permit.status == PermitStatus.IN_REVIEW


def test_a_type_without_disciplines_opens_no_cycle(submitted, intake_clerk):
    services.application_accept(application=submitted, by=intake_clerk)
    assert not ReviewCycle.objects.exists()


def test_the_least_loaded_reviewer_gets_the_review(submitted, building, intake_clerk):
    busy, idle, newer = (reviewer(building.group) for _ in range(3))
    reviewer(building.group, is_active=False)  # gone: never assigned
    outsider = UserFactory(is_staff=True)  # not in the group
    cycle = ReviewCycle.objects.create(application=submitted, number=9)
    for status in (ReviewStatus.PENDING, ReviewStatus.IN_PROGRESS):
        review = Review.objects.create(
            cycle=ReviewCycle.objects.create(
                application=submitted, number=ReviewCycle.objects.count() + 10
            ),
            discipline=building,
            reviewer=busy,
            due_on=timezone.localdate(),
        )
        if status == ReviewStatus.IN_PROGRESS:
            review.move_to(status, by=busy)
    # Decided reviews are not a load.
    done = Review.objects.create(
        cycle=cycle, discipline=building, reviewer=idle, due_on=timezone.localdate()
    )
    done.move_to(ReviewStatus.APPROVED, by=idle)
    assert reviews.reviewer_least_loaded(building) == idle  # 0 open, before `newer` (0 open)
    Review.objects.create(
        cycle=ReviewCycle.objects.create(application=submitted, number=99),
        discipline=building,
        reviewer=idle,
        due_on=timezone.localdate(),
    )
    assert reviews.reviewer_least_loaded(building) == newer
    assert outsider not in reviews.reviewers_of(building)


def test_a_review_is_reassigned_only_to_its_disciplines_reviewers(
    submitted, building, zoning, intake_clerk
):
    first, second = reviewer(building.group), reviewer(building.group)
    zoner = reviewer(zoning.group)
    services.application_accept(application=submitted, by=intake_clerk)
    review = Review.objects.get(discipline=building)
    # A reviewer does not hand work to a colleague (nor take it): a supervisor does.
    with pytest.raises(ApplicationError, match="for a supervisor"):
        reviews.review_reassign(review=review, reviewer=second, by=first)
    supervisor = UserFactory(is_staff=True)
    supervisor.user_permissions.add(Permission.objects.get(codename="decide_any_review"))
    assert review.reviewer == first
    reviews.review_reassign(review=review, reviewer=second, by=supervisor)
    review.refresh_from_db()
    assert review.reviewer == second
    with pytest.raises(ApplicationError, match="does not review Building"):
        reviews.review_reassign(review=review, reviewer=zoner, by=supervisor)
    reviews.review_decide(review=review, decision=ReviewStatus.APPROVED, by=second)
    with pytest.raises(ApplicationError, match="is decided"):
        reviews.review_reassign(review=review, reviewer=first, by=supervisor)


def test_only_the_reviewer_or_a_supervisor_starts_and_decides(submitted, building, intake_clerk):
    assigned = reviewer(building.group)
    colleague = reviewer(building.group)
    services.application_accept(application=submitted, by=intake_clerk)
    review = Review.objects.get()
    with pytest.raises(ApplicationError, match="Only the review's reviewer"):
        reviews.review_start(review=review, by=colleague)
    reviews.review_start(review=review, by=assigned)
    review.refresh_from_db()
    assert review.status == ReviewStatus.IN_PROGRESS
    with pytest.raises(ApplicationError, match="Only the review's reviewer"):
        reviews.review_decide(review=review, decision=ReviewStatus.APPROVED, by=colleague)
    supervisor = UserFactory(is_staff=True)
    supervisor.user_permissions.add(Permission.objects.get(codename="decide_any_review"))
    with pytest.raises(ApplicationError, match="Add the conditions of approval first"):
        reviews.review_decide(
            review=review, decision=ReviewStatus.APPROVED_WITH_CONDITIONS, by=supervisor
        )
    condition(review)
    reviews.review_decide(
        review=review, decision=ReviewStatus.APPROVED_WITH_CONDITIONS, by=supervisor
    )
    review.refresh_from_db()
    assert review.status == ReviewStatus.APPROVED_WITH_CONDITIONS
    assert (review.decided_by, review.decided_at is not None) == (supervisor, True)
    with pytest.raises(ApplicationError):  # decided stays decided
        reviews.review_decide(review=review, decision=ReviewStatus.APPROVED, by=supervisor)


def test_the_cycles_last_decision_emails_the_applicant_and_contacts_once(
    submitted, building, zoning, intake_clerk, django_capture_on_commit_callbacks
):
    builder, zoner = reviewer(building.group), reviewer(zoning.group)
    contact = UserFactory(email="pm@build.test")
    verify_email(contact)
    PermitContact.objects.create(
        permit=submitted.permit, user=contact, contact_type=ContactType.PROJECT_MANAGER
    )
    services.application_accept(application=submitted, by=intake_clerk)
    cycle = ReviewCycle.objects.get()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reviews.review_decide(
            review=Review.objects.get(discipline=building),
            decision=ReviewStatus.APPROVED,
            by=builder,
        )
    cycle.refresh_from_db()
    assert cycle.decided_at is None and mail.outbox == []
    zoning_review = Review.objects.get(discipline=zoning)
    with pytest.raises(ApplicationError, match="Add the corrections needed first"):
        reviews.review_decide(
            review=zoning_review, decision=ReviewStatus.CORRECTIONS_REQUIRED, by=zoner
        )
    comment(zoning_review)
    comment(zoning_review, "Lot coverage: show the calculation.", reference="Sheet A-1")
    comment(zoning_review, "Fence permits are separate.", kind=CommentKind.INFO)
    with django_capture_on_commit_callbacks(execute=True):
        reviews.review_decide(
            review=zoning_review, decision=ReviewStatus.CORRECTIONS_REQUIRED, by=zoner
        )
    cycle.refresh_from_db()
    assert cycle.decided_at is not None
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [submitted.applicant.email, "pm@build.test"]
    )
    message = mail.outbox[0]
    assert (
        f"{submitted.permit.number}, {submitted.permit.address}: plan review needs corrections"
        in (message.subject)
    )
    assert "- Building: Approved" in message.body
    assert "- Zoning: Corrections Required" in message.body
    assert "1 discipline asked for corrections: 2 items need your response" in message.body
    # The link goes straight to the Corrections page.
    assert f"/permits/{submitted.permit.number}/corrections/" in message.body


@pytest.fixture
def accepted(submitted, building, zoning, intake_clerk):
    """Cycle 1 open: Building with `builder`, Zoning with `zoner`."""
    builder, zoner = reviewer(building.group, username="builder"), reviewer(zoning.group)
    for user in (builder, zoner):
        for codename in ("view_review", "change_review", "view_myreview", "change_myreview"):
            user.user_permissions.add(Permission.objects.get(codename=codename))
    services.application_accept(application=submitted, by=intake_clerk)
    return submitted, builder, zoner


def test_my_reviews_lists_the_reviewers_open_reviews_soonest_first(client, accepted):
    application, builder, zoner = accepted

    def rows() -> str:
        page = client.get(reverse("admin:reviews_myreview_changelist")).text
        return page.split("<tbody")[1].split("</tbody>")[0]

    client.force_login(builder)
    mine = rows()
    assert application.reference in mine
    assert "Building" in mine and "Zoning" not in mine
    assert "10 business days" in mine
    assert "field-reviewer" not in mine  # their own queue: no reviewer column
    client.force_login(zoner)
    mine = rows()
    assert "Zoning" in mine and "Building" not in mine


def test_the_reviewer_decides_on_the_reviews_page(client, accepted):
    application, builder, _ = accepted
    review = Review.objects.get(discipline__name="Building")
    client.force_login(builder)
    url = reverse("admin:reviews_review_change", args=[review.pk])
    page = client.get(url).text
    assert "Request Corrections" in page
    assert application.permit.number in page  # the snapshot and documents are on the page
    assert "plans.pdf" in page
    decide = reverse("admin:reviews_review_decide", args=[review.pk])
    response = client.post(decide, {"decision": "start"}, follow=True)
    assert "The Building review is In Progress." in response.text
    response = client.post(decide, {"decision": "corrections"}, follow=True)
    assert "Add the corrections needed first" in response.text
    comment(review)
    response = client.post(decide, {"decision": "corrections", "note": "Setbacks"}, follow=True)
    assert "The Building review is Corrections Required." in response.text
    review.refresh_from_db()
    assert (review.status, review.decided_by) == (ReviewStatus.CORRECTIONS_REQUIRED, builder)
    # Someone else's review: no decision buttons, and a posted decision is refused.
    other = Review.objects.get(discipline__name="Zoning")
    page = client.get(reverse("admin:reviews_review_change", args=[other.pk])).text
    assert "Request Corrections" not in page
    decide = reverse("admin:reviews_review_decide", args=[other.pk])
    response = client.post(decide, {"decision": "approve"}, follow=True)
    assert "Only the review&#x27;s reviewer can decide it." in response.text
    other.refresh_from_db()
    assert other.status == ReviewStatus.PENDING


def test_a_review_is_reassigned_on_its_page(client, accepted, building):
    _, _, zoner = accepted
    colleague = reviewer(building.group, username="colleague")
    supervisor = UserFactory(is_staff=True, is_superuser=True)
    review = Review.objects.get(discipline__name="Building")
    client.force_login(supervisor)
    url = reverse("admin:reviews_review_change", args=[review.pk])
    page = client.get(url).text
    # Only the discipline's reviewers are offered.
    choices = page.split('name="reviewer"')[1].split("</select>")[0]
    assert f'value="{colleague.pk}"' in choices and f'value="{zoner.pk}"' not in choices
    assert colleague.get_full_name() in choices  # named as people know them
    client.post(url, {"reviewer": colleague.pk, **INLINES_EMPTY})
    review.refresh_from_db()
    assert review.reviewer == colleague
    response = client.post(url, {"reviewer": zoner.pk, **INLINES_EMPTY})
    assert response.status_code == 200  # not one of the choices: the form says so
    review.refresh_from_db()
    assert review.reviewer == colleague


def test_the_reviewer_writes_comments_and_conditions_while_the_review_is_open(client, accepted):
    _, builder, _ = accepted
    review = Review.objects.get(discipline__name="Building")
    client.force_login(builder)
    url = reverse("admin:reviews_review_change", args=[review.pk])
    response = client.post(
        url,
        {
            "reviewer": builder.pk,
            **INLINES_EMPTY,
            "comments-TOTAL_FORMS": "1",
            "comments-0-kind": "response",
            "comments-0-reference": "Sheet A-201",
            "comments-0-text": "Show the header size over the new opening.",
            "conditions-TOTAL_FORMS": "1",
            "conditions-0-text": "Smoke alarms interconnected before the final.",
            "conditions-0-stage": "final",
        },
    )
    assert response.status_code == 302, response.text[:3000]
    assert review.comments.get().reference == "Sheet A-201"
    assert review.conditions.get().stage == "final"
    reviews.review_decide(review=review, decision=ReviewStatus.APPROVED_WITH_CONDITIONS, by=builder)
    page = client.get(url).text
    # Decided: read only (no input for a new comment or condition).
    assert 'name="comments-0-text"' not in page and 'name="conditions-0-text"' not in page
    assert "Smoke alarms interconnected" in page


def test_the_decision_saves_the_comments_and_conditions_typed_on_the_page(client, accepted):
    _, builder, _ = accepted
    review = Review.objects.get(discipline__name="Building")
    client.force_login(builder)
    url = reverse("admin:reviews_myreview_change", args=[review.pk])
    response = client.post(
        url,
        {
            **INLINES_EMPTY,
            "conditions-TOTAL_FORMS": "1",
            "conditions-0-text": "Guard rails on the deck before the final.",
            "conditions-0-stage": "final",
            "_decision": "conditions",
            "decision_note": "OK with a guard rail",
        },
        follow=True,
    )
    assert "The Building review is Approved with Conditions." in response.text
    review.refresh_from_db()
    assert review.status == ReviewStatus.APPROVED_WITH_CONDITIONS
    assert review.conditions.get().text == "Guard rails on the deck before the final."
    # Back to the queue (a decided review has left it), not to a page that no longer exists.
    assert response.redirect_chain[-1][0] == reverse("admin:reviews_myreview_changelist")
    assert "doesn" not in response.text


def test_a_reviewer_cannot_reassign_on_the_page(client, accepted, building):
    _, builder, _ = accepted
    colleague = reviewer(building.group, username="colleague2")
    review = Review.objects.get(discipline__name="Building")
    client.force_login(builder)
    url = reverse("admin:reviews_review_change", args=[review.pk])
    assert 'name="reviewer"' not in client.get(url).text  # read only for a reviewer
    client.post(url, {"reviewer": colleague.pk, **INLINES_EMPTY})
    review.refresh_from_db()
    assert review.reviewer == builder

"""From the newcomer walk: a staff member's notice opens the very object it is about, for the
person told, with no more than their role's permissions (as the demo city gives them): the intake
clerk the application in their intake view (it opened the intake queue), the reviewer each
review, the inspector the stop, the license reviewer the link, the reviewer the condition
answered (the answered queue's page refused a reviewer without the permission to mark it met,
and vanished once it was). The email's link and the portal notice's are the same."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from applications import services as application_services
from core.events import event_record
from notifications.models import Notice
from reviews.models import Review, ReviewCondition
from tests.factories import InspectionFactory, LicenseLinkFactory, UserFactory
from tests.notifications.test_who_hears_what import heard, world  # noqa: F401
from tests.reviews.conftest import (  # noqa: F401
    applicant,
    building,
    form,
    license_,
    submitted,
    zoning,
)

pytestmark = pytest.mark.django_db

# What the demo city's plan reviewer groups may do in admin (demo/city.json).
PLAN_REVIEWER = ["view_application", "view_review", "change_review", "view_myreview"]


def grant(user, *codenames: str) -> None:
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))


def notice_of(event, user) -> Notice:
    heard(event)
    return Notice.objects.get(event=event, user=user)


def opens(client, user, notice: Notice, expected_path: str) -> str:
    """The notice links to the object's own page, the email carries the same link, and the
    person told opens it."""
    assert notice.link == expected_path
    assert any(expected_path in message.body for message in mail.outbox if user.email in message.to)
    client.force_login(user)
    response = client.get(notice.link)
    assert response.status_code == 200, (notice.link, response.status_code)
    return response.text


def test_the_intake_clerk_opens_the_application_submitted(client, world):  # noqa: F811
    application, people = world
    submission = application.submissions.get()
    event = event_record("application.submitted", subject=application, submission=submission.pk)
    clerk = people["clerk"]  # only the permission that makes an intake clerk
    path = reverse("admin:applications_intakequeue_change", args=[application.pk])
    page = opens(client, clerk, notice_of(event, clerk), path)
    assert application.reference in page and "Accept for review" in page


def test_a_clerk_opening_an_application_a_colleague_decided_is_told_where_it_went(
    client,
    world,  # noqa: F811
):
    application, people = world
    link = reverse("admin:applications_intakequeue_change", args=[application.pk])
    application_services.application_accept(application=application, by=people["clerk"])
    client.force_login(people["clerk"])
    response = client.get(link, follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:applications_intakequeue_changelist")
    assert f"Application {application.reference} is no longer waiting at intake" in response.text
    # A clerk who may see every application lands on its page instead.
    grant(people["clerk"], "view_application")
    response = client.get(link, follow=True)
    assert response.redirect_chain[-1][0] == reverse(
        "admin:applications_application_change", args=[application.pk]
    )
    assert application.reference in response.text
    # An id that is no application at all is admin's own answer, as before.
    response = client.get(
        reverse("admin:applications_intakequeue_change", args=[987654]), follow=True
    )
    assert "doesn’t exist" in response.text


def test_each_reviewer_opens_their_review_of_a_resubmission(client, world, zoning):  # noqa: F811
    application, people = world
    reviewer = people["reviewer"]
    grant(reviewer, *PLAN_REVIEWER)
    reviewer.groups.add(zoning.group)
    application_services.application_accept(application=application, by=people["clerk"])
    reviews = list(
        Review.objects.filter(cycle__application=application).order_by("discipline__position")
    )
    assert [r.discipline for r in reviews] == [reviews[0].discipline, zoning]
    Review.objects.filter(pk__in=[r.pk for r in reviews]).update(reviewer=reviewer)
    event = event_record(
        "corrections.resubmitted", subject=application, cycle=reviews[0].cycle.number
    )
    # Two reviews, one notice: it opens the first; the email links each.
    notice = notice_of(event, reviewer)
    first, second = (reverse("admin:reviews_review_change", args=[r.pk]) for r in reviews)
    page = opens(client, reviewer, notice, first)
    assert application.reference in page
    assert second in notice.text and second in notice.html
    assert client.get(second).status_code == 200


def test_a_supervisor_opens_the_review_that_has_no_reviewer(client, world):  # noqa: F811
    application, people = world
    application_services.application_accept(application=application, by=people["clerk"])
    review = Review.objects.get(cycle__application=application)
    Review.objects.filter(pk=review.pk).update(reviewer=None)
    supervisor = UserFactory(email="supervisor@city.example", is_staff=True)
    grant(supervisor, "decide_any_review", "change_review")
    event = event_record("corrections.resubmitted", subject=application, cycle=1)
    path = reverse("admin:reviews_review_change", args=[review.pk])
    page = opens(client, supervisor, notice_of(event, supervisor), path)
    assert 'name="reviewer"' in page  # where a reviewer is given to it


def test_the_reviewer_opens_the_condition_answered_even_once_it_is_met(
    client,
    world,  # noqa: F811
):
    application, people = world
    reviewer = people["reviewer"]
    grant(reviewer, *PLAN_REVIEWER)  # not the permission to mark conditions met
    application_services.application_accept(application=application, by=people["clerk"])
    review = Review.objects.get(cycle__application=application)
    condition = ReviewCondition.objects.create(
        review=review,
        text="Fence 6 ft from the alley",
        answer="Moved it.",
        answered_at=timezone.now(),
    )
    event = event_record("condition.answered", subject=condition)
    path = reverse("admin:reviews_reviewcondition_change", args=[condition.pk])
    page = opens(client, reviewer, notice_of(event, reviewer), path)
    assert "Fence 6 ft from the alley" in page and "Moved it." in page
    assert 'name="_mark_met"' not in page  # marking it met stays with who may
    ReviewCondition.objects.filter(pk=condition.pk).update(met_at=timezone.now())
    assert client.get(path).status_code == 200
    # Another reviewer, of no review of it, may not read it.
    client.force_login(UserFactory(is_staff=True))
    assert client.get(path).status_code == 403


def test_the_inspector_opens_the_stop_put_on_their_day(client, world):  # noqa: F811
    application, people = world
    inspector = people["inspector"]
    inspection = InspectionFactory(
        permit=application.permit,
        inspector=inspector.inspector,
        scheduled_for=timezone.localdate() + timedelta(days=3),
    )
    event = event_record("inspection.scheduled", subject=inspection)
    path = reverse("inspections:stop", args=[inspection.pk])
    page = opens(client, inspector, notice_of(event, inspector), path)
    assert inspection.number in page
    assert reverse("inspections:my_stops") in notice_of(event, inspector).text


def test_the_license_reviewer_opens_the_link_to_decide(client, world):  # noqa: F811
    application, people = world
    reviewer = people["license_reviewer"]
    grant(reviewer, "change_licenselink")
    link = LicenseLinkFactory(user=UserFactory(), license=application.license)
    event = event_record("license_link.requested", subject=link)
    path = reverse("admin:licenses_licenselink_change", args=[link.pk])
    opens(client, reviewer, notice_of(event, reviewer), path)

"""Issue 23, requirement 14: the city side is told of a resubmission (the reviewers of the new
cycle, or the review supervisors when no reviewer could be assigned), and a reviewer's comments
start with an empty row to type in."""

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse

from reviews import services as reviews
from reviews.models import Review

from .conftest import reviewer
from .test_corrections import corrections  # noqa: F401 (the fixture)
from .test_reviews import accepted  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db


def answer_and_resubmit(application, first, second, capture):
    for item in (first, second):
        reviews.correction_respond(comment=item, by=application.applicant, response="Done")
    mail.outbox.clear()
    with capture(execute=True):
        return reviews.corrections_resubmit(application=application, by=application.applicant)


def test_the_reviewer_of_the_next_cycle_is_emailed_a_resubmission(
    corrections,  # noqa: F811
    zoning,
    django_capture_on_commit_callbacks,
):
    application, first, second = corrections
    cycle = answer_and_resubmit(application, first, second, django_capture_on_commit_callbacks)
    review = cycle.reviews.get()
    assert review.reviewer is not None
    sent = [message for message in mail.outbox if "Corrections resubmitted" in message.subject]
    assert [message.to for message in sent] == [[review.reviewer.email]]
    assert application.permit.number in sent[0].subject and "Zoning review" in sent[0].subject
    # The review's own page, which outlives its decision ("My reviews" lists open ones only).
    assert reverse("admin:reviews_review_change", args=[review.pk]) in sent[0].body
    # Nobody else on the city side is told; the applicant was told nothing new.
    assert application.applicant.email not in sent[0].to


def test_without_a_reviewer_to_assign_the_supervisors_are_emailed(
    corrections,  # noqa: F811
    zoning,
    django_capture_on_commit_callbacks,
):
    application, first, second = corrections
    zoning.group.user_set.clear()
    supervisor = reviewer(zoning.group.__class__.objects.create(name="Supervisors"))
    supervisor.user_permissions.add(Permission.objects.get(codename="decide_any_review"))
    cycle = answer_and_resubmit(application, first, second, django_capture_on_commit_callbacks)
    assert cycle.reviews.get().reviewer is None
    sent = [message for message in mail.outbox if "Corrections resubmitted" in message.subject]
    assert len(sent) == 1 and supervisor.email in sent[0].to
    assert "could be assigned" in sent[0].body
    assert reverse("admin:reviews_review_changelist") in sent[0].body


def test_the_comments_start_with_an_empty_row_while_the_review_is_open(
    client,
    accepted,  # noqa: F811
):
    _, builder, _ = accepted
    review = Review.objects.get(discipline__name="Building")
    client.force_login(builder)
    page = client.get(reverse("admin:reviews_review_change", args=[review.pk])).text
    assert 'name="comments-TOTAL_FORMS" value="1"' in page
    assert 'name="comments-0-text"' in page


def test_the_empty_comment_rows_reason_is_named_for_a_screen_reader(
    client,
    accepted,  # noqa: F811
):
    _, builder, _ = accepted
    review = Review.objects.get(discipline__name="Building")
    client.force_login(builder)
    page = client.get(reverse("admin:reviews_review_change", args=[review.pk])).text
    select = page[page.index('<select name="comments-0-reason"') :]
    assert 'aria-label="Reason, row 1"' in select[: select.index(">")]

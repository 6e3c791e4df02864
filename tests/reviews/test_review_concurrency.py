"""At once, on PostgreSQL, each with a control that fails without its lock:
- two reviewers decide a cycle's last two reviews: the cycle is decided once and its email goes
  once (the cycle's row lock; without it each sees the other's review still open and nobody
  decides the cycle);
- a double-clicked Resubmit opens one cycle (the application's row lock; without it both clicks
  open the next cycle and one fails on the cycle number's constraint)."""

import threading

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.db import IntegrityError, transaction

from applications import services
from applications.models import Application
from core.status import StatusMachine
from reviews import services as review_services
from reviews.models import Review, ReviewCycle, ReviewDiscipline, ReviewStatus
from tests.factories import UserFactory
from tests.threads import hold, run_at_once

from .conftest import comment, fill_in

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_reviews(form, applicant, license_):
    application = fill_in(
        services.application_start(template=form, applicant=applicant), license_, by=applicant
    )
    services.application_submit(application=application, by=applicant)
    reviewers = []
    for name in ("Building", "Zoning"):
        group = Group.objects.create(name=f"{name} reviewers")
        discipline = ReviewDiscipline.objects.create(name=name, group=group)
        discipline.permit_types.add(form.permit_type)
        user = UserFactory(is_staff=True)
        user.groups.add(group)
        reviewers.append(user)
    services.application_accept(
        application=application, by=UserFactory(is_staff=True, username="clerk")
    )
    mail.outbox.clear()
    reviews = [Review.objects.get(reviewer=user) for user in reviewers]
    return reviews, reviewers


def both_moved_before_either_goes_on(monkeypatch) -> None:
    """Each decision waits, after its review's move, for the other's: both are in flight
    (moved, not committed) before either looks at the cycle, however busy the machine."""
    real = StatusMachine.move_to
    barrier = threading.Barrier(2)

    def move_to(self, *args, **kwargs):
        result = real(self, *args, **kwargs)
        if isinstance(self, Review):
            barrier.wait(timeout=10)
        return result

    monkeypatch.setattr(StatusMachine, "move_to", move_to)


def decide_both(reviews, reviewers):
    return run_at_once(
        2,
        lambda n: review_services.review_decide(
            review=reviews[n], decision=ReviewStatus.APPROVED, by=reviewers[n]
        ),
    )


def test_the_last_two_decisions_at_once_decide_the_cycle_once(two_reviews, monkeypatch):
    reviews, reviewers = two_reviews
    both_moved_before_either_goes_on(monkeypatch)
    results = decide_both(reviews, reviewers)
    assert all(isinstance(result, Review) for result in results), results
    assert ReviewCycle.objects.get().decided_at is not None
    decided = [message for message in mail.outbox if "plan review" in message.subject]
    assert len(decided) == 1  # the applicant, once (then the fees assessed, also once)
    assert len([m for m in mail.outbox if "fees due" in m.subject]) == 1


def test_control_without_the_cycles_lock_nobody_decides_it(two_reviews, monkeypatch):
    reviews, reviewers = two_reviews
    monkeypatch.setattr(
        review_services, "_cycle_for_decision", lambda pk: ReviewCycle.objects.get(pk=pk)
    )
    both_moved_before_either_goes_on(monkeypatch)
    # Neither commits before both have looked for a review still open: each sees the other's
    # (without the lock, nothing makes the second wait for the first's commit).
    looked = threading.Barrier(2)

    def decide(n):
        with transaction.atomic():
            decided = review_services.review_decide(
                review=reviews[n], decision=ReviewStatus.APPROVED, by=reviewers[n]
            )
            looked.wait(timeout=10)
        return decided

    results = run_at_once(2, decide)
    assert all(isinstance(result, Review) for result in results), results
    assert ReviewCycle.objects.get().decided_at is None
    assert mail.outbox == []


@pytest.fixture
def answered(two_reviews):
    """Cycle 1 decided with corrections asked (Zoning), every item answered."""
    reviews, reviewers = two_reviews
    review_services.review_decide(
        review=reviews[0], decision=ReviewStatus.APPROVED, by=reviewers[0]
    )
    item = comment(reviews[1])
    review_services.review_decide(
        review=reviews[1], decision=ReviewStatus.CORRECTIONS_REQUIRED, by=reviewers[1]
    )
    application = reviews[1].cycle.application
    review_services.correction_respond(comment=item, by=application.applicant, response="Done")
    return application


def resubmit_twice(application):
    return run_at_once(
        2,
        lambda n: review_services.corrections_resubmit(
            application=application, by=application.applicant
        ),
    )


def test_a_double_clicked_resubmit_opens_one_cycle(answered, monkeypatch):
    hold(monkeypatch, review_services, "review_cycle_open")
    results = resubmit_twice(answered)
    assert sum(isinstance(result, ReviewCycle) for result in results) == 1
    refused = next(result for result in results if not isinstance(result, ReviewCycle))
    assert "no corrections waiting" in str(refused)
    assert ReviewCycle.objects.filter(application=answered).count() == 2


def test_control_without_the_applications_lock_both_clicks_open_a_cycle(answered, monkeypatch):
    monkeypatch.setattr(
        review_services, "_application_locked", lambda pk: Application.objects.get(pk=pk)
    )
    # Both clicks have checked the cycle before either opens the next one.
    real, barrier = review_services.unanswered, threading.Barrier(2)

    def checked(cycle):
        count = real(cycle)
        barrier.wait(timeout=10)
        return count

    monkeypatch.setattr(review_services, "unanswered", checked)
    hold(monkeypatch, review_services, "review_cycle_open")
    results = resubmit_twice(answered)
    assert any(isinstance(result, IntegrityError) for result in results), results

"""Submits at once, on PostgreSQL: 20 applicants submitting together get 20 numbers with no gap
and no duplicate (the sequence's row lock, with a control that collides without it), and a
double-clicked Submit makes one permit (the second waits on the application's row lock, then
finds it submitted)."""

import time

import pytest
from django.db import IntegrityError
from django.utils import timezone

from applications import services
from applications.models import Application, ApplicationStatus, Submission
from permits import services as permit_services
from permits.models import Permit
from tests.factories import contractor_user
from tests.threads import run_at_once

from .conftest import fill_in

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def ready(form, license_, count: int) -> list[Application]:
    applications = []
    for _ in range(count):
        applicant = contractor_user(license_, can_apply=True, can_upload=True)
        application = services.application_start(template=form, applicant=applicant)
        applications.append(fill_in(application, license_, by=applicant))
    return applications


def test_twenty_submits_at_once_get_twenty_numbers_without_gaps(form, license_):
    applications = ready(form, license_, 20)

    results = run_at_once(
        20,
        lambda n: services.application_submit(
            application=Application.objects.get(pk=applications[n].pk),
            by=applications[n].applicant,
        ),
    )

    assert all(isinstance(result, Submission) for result in results), results
    yy = timezone.localdate().year % 100
    numbers = sorted(Permit.objects.values_list("number", flat=True))
    assert numbers == [f"RES{yy:02d}-{n:04d}" for n in range(1, 21)]


def test_control_a_number_read_without_the_lock_is_taken_twice(form, license_, monkeypatch):
    """Without the sequence's row lock (the highest number read and raised by each submit on
    its own), submits at once read the same highest number and collide."""

    def unlocked(*, permit_type, on=None):
        yy = (on or timezone.localdate()).year % 100
        prefix = f"{permit_type.code}{yy:02d}-"
        highest, _ = permit_services._number_in_use(prefix)
        time.sleep(0.2)  # the window every submit without a lock has
        return f"{prefix}{highest + 1:04d}"

    monkeypatch.setattr("applications.services.submit.permit_number_next", unlocked)
    applications = ready(form, license_, 5)
    results = run_at_once(
        5,
        lambda n: services.application_submit(
            application=Application.objects.get(pk=applications[n].pk),
            by=applications[n].applicant,
        ),
    )
    assert any(isinstance(result, IntegrityError) for result in results), results
    assert Permit.objects.count() < 5


def test_a_double_clicked_submit_makes_one_permit(form, license_, monkeypatch):
    (application,) = ready(form, license_, 1)
    real = permit_services.permit_number_next

    def slow(**kwargs):
        number = real(**kwargs)
        time.sleep(0.2)  # the first click is inside its transaction when the second arrives
        return number

    monkeypatch.setattr("applications.services.submit.permit_number_next", slow)
    results = run_at_once(
        2,
        lambda n: services.application_submit(
            application=Application.objects.get(pk=application.pk), by=application.applicant
        ),
    )
    assert sum(isinstance(result, Submission) for result in results) == 1
    refused = [result for result in results if not isinstance(result, Submission)]
    assert "already submitted" in str(refused[0])
    assert Permit.objects.count() == 1
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.SUBMITTED


def test_an_application_and_its_copy_submitted_at_once_both_go_through(form, license_, monkeypatch):
    """A copy refers to its original (copied_from), and PostgreSQL checks that key again when
    the copy's submit commits. The original's submit holds the original's row meanwhile, and
    waits for the number sequence the copy's submit holds: with FOR UPDATE (which a key check
    waits for) the two deadlock and one fails; the submit's row lock is FOR NO KEY UPDATE."""
    (original,) = ready(form, license_, 1)
    applicant = original.applicant
    copy = fill_in(
        services.application_copy(application=original, by=applicant), license_, by=applicant
    )
    real = permit_services.permit_number_next

    def slow(**kwargs):
        number = real(**kwargs)
        time.sleep(0.4)  # the copy holds the sequence while the original's submit arrives
        return number

    monkeypatch.setattr("applications.services.submit.permit_number_next", slow)

    def submit(n):
        if n == 1:
            time.sleep(0.15)  # the copy first
        application = Application.objects.get(pk=(copy, original)[n].pk)
        return services.application_submit(application=application, by=applicant)

    results = run_at_once(2, submit)
    assert all(isinstance(result, Submission) for result in results), results
    assert Permit.objects.count() == 2

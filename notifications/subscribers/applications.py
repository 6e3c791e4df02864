"""Who hears what happens to applications: the applicant, the owner and the contacts (the
permit's parties, permits.parties, to which the applications app adds those typed into the
application), and the intake clerks of each application submitted; and who hears a permit
applied for online issued."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from applications.models import Application, ApplicationStatus, Submission
from core.events import subscriber
from core.mail import absolute_url
from core.models import Event
from permits.models import Permit, PermitStatus
from permits.parties import parties_of
from policy.staff import intake_clerk_filter

from ..catalogue import APPLICANT, BUSINESS_MANAGE, CONTACT, INTAKE_CLERKS, OWNER, RULES
from ..services import Recipient, notify


def _application_url(application) -> str:
    return absolute_url(reverse("applications:detail", args=[application.reference]))


def _name(user) -> str:
    return user.get_full_name() or user.username


def _submission(event: Event) -> Submission | None:
    return (
        Submission.objects.select_related(
            "application__permit", "application__applicant", "application__template__permit_type"
        )
        .filter(pk=event.payload.get("submission"))
        .first()
    )


def permit_people(permit, event_type: str) -> list:
    """The permit's parties holding a role the catalogue's row for this event names."""
    roles = set(RULES[event_type].roles)
    return [party for party in parties_of(permit) if party.has(*roles)]


@subscriber("application.submitted")
def send_application_submitted(event: Event) -> None:
    """The applicant, the owner and the application's contacts: what was submitted. The intake
    clerks: an application to take in (a resubmission after a return says so)."""
    submission = _submission(event)
    if submission is None:
        return
    application = submission.application
    applicant = application.applicant
    context = {
        "application": application,
        "submission": submission,
        "permit": application.permit,
        "snapshot": submission.snapshot,
        "url": _application_url(application),
    }

    def addressed(person: Recipient) -> dict:
        if applicant is not None and person.user_id == applicant.pk:
            return {**context, "name": _name(applicant)}
        return {**context, "name": "", "as_contact": True}

    people = [
        party for party in parties_of(application.permit) if party.has(APPLICANT, OWNER, CONTACT)
    ]
    notify(
        event,
        to=people,
        template="application_submitted",
        context=addressed,
        permit=application.permit,
    )
    clerks = get_user_model().objects.filter(intake_clerk_filter()).exclude(email="").distinct()
    notify(
        event,
        to=list(clerks),
        roles=[INTAKE_CLERKS],
        template="application_submitted_intake",
        context={
            **context,
            "resubmitted": submission.number > 1,
            # The application itself, in the clerk's intake view (its Accept and Return).
            "url": absolute_url(
                reverse("admin:applications_intakequeue_change", args=[application.pk])
            ),
            "queue_url": absolute_url(reverse("admin:applications_intakequeue_changelist")),
        },
        permit=application.permit,
    )


@subscriber("application.accepted", "application.returned")
def send_application_decision(event: Event) -> None:
    """The applicant: accepted for review, or returned with the reasons."""
    submission = _submission(event)
    if submission is None or submission.application.applicant is None:
        return
    application = submission.application
    applicant = application.applicant
    outcome = event.type.removeprefix("application.")
    notify(
        event,
        to=[applicant],
        roles=[APPLICANT],
        template=f"application_{outcome}",
        context={
            "application": application,
            "submission": submission,
            "permit": application.permit,
            "name": _name(applicant),
            "url": _application_url(application),
        },
        permit=application.permit,
    )


@subscriber("application.draft_lapsing")
def send_draft_reminder(event: Event) -> None:
    """The applicant of a draft that lapses in a few days."""
    application = (
        Application.objects.select_related("applicant", "template__permit_type")
        .filter(pk=event.object_id, status=ApplicationStatus.DRAFT)
        .first()
    )
    if application is None or application.applicant is None:
        return
    applicant = application.applicant
    notify(
        event,
        to=[applicant],
        roles=[APPLICANT],
        template="application_draft_reminder",
        context={
            "application": application,
            "name": _name(applicant),
            "days": settings.APPLICATION_DRAFT_DAYS,
            "url": _application_url(application),
        },
    )


@subscriber("permit.issued")
def send_permit_issued(event: Event) -> None:
    """A permit is issued once ready (on payment, on its last document or condition, or by a
    clerk): its applicant, owner, contacts and the business's managers are told."""
    if event.payload.get("from") != PermitStatus.READY_TO_ISSUE:
        return
    application = (
        Application.objects.select_related("permit", "applicant")
        .filter(permit_id=event.object_id)
        .first()
    )
    # A permit applied for at the counter or imported has its parties too (contacts, the
    # business's managers): they hear it as well.
    permit = Permit.objects.filter(pk=event.object_id).first()
    if permit is None:
        return
    notify(
        event,
        to=[
            party
            for party in parties_of(permit)
            if party.has(APPLICANT, OWNER, CONTACT, BUSINESS_MANAGE)
        ],
        template="permit_issued",
        context={
            "application": application,
            "permit": permit,
            "url": absolute_url(reverse("permits:detail", args=[permit.number])),
        },
        permit=permit,
    )

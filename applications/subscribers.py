"""Who hears what happens to applications and their plan review (core.events): the applicant,
the owner and the contacts, each found among the permit's parties (permits.parties), to which
this app adds the applicant, the owner and the contacts typed into the application."""

from django.conf import settings
from django.urls import reverse

from core.events import subscriber
from core.mail import absolute_url, send_templated_email
from core.models import Event
from permits.models import Permit, PermitStatus
from permits.parties import (
    APPLICANT,
    CONTACT,
    OWNER,
    Party,
    applicant_and_contacts,
    parties_of,
)

from .models import Application, ApplicationStatus, Submission


def application_parties(permit: Permit) -> list[Party]:
    """The parties this app knows of on a permit applied for online (permits.parties)."""
    application = Application.objects.select_related("applicant").filter(permit=permit).first()
    if application is None:
        return []
    found = []
    applicant = application.applicant
    if applicant is not None:
        found.append(
            Party(applicant.email, applicant.get_full_name(), applicant.pk, frozenset({APPLICANT}))
        )
    if application.owner_email:
        found.append(Party(application.owner_email, "", None, frozenset({OWNER})))
    found += [
        Party(contact.email, contact.name, None, frozenset({CONTACT}))
        for contact in application.contacts.all()
    ]
    return found


def _application_url(application) -> str:
    return absolute_url(reverse("applications:detail", args=[application.reference]))


def _name(user) -> str:
    return user.get_full_name() or user.username


@subscriber("application.submitted")
def send_application_submitted(event: Event) -> None:
    """The applicant, the owner and the application's contacts: what was submitted."""
    submission = (
        Submission.objects.select_related("application__permit", "application__applicant")
        .filter(pk=event.payload.get("submission"))
        .first()
    )
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
    parties = parties_of(application.permit)
    if applicant is not None and applicant.email:
        send_templated_email(
            template="application_submitted",
            to=[applicant.email],
            context={**context, "name": _name(applicant)},
        )
    others = [
        party.email for party in parties if party.has(OWNER, CONTACT) and not party.has(APPLICANT)
    ]
    for address in sorted(others, key=str.lower):
        send_templated_email(
            template="application_submitted",
            to=[address],
            context={**context, "name": "", "as_contact": True},
        )


@subscriber("application.accepted", "application.returned")
def send_application_decision(event: Event) -> None:
    """The applicant: accepted for review, or returned with the reasons."""
    submission = (
        Submission.objects.select_related("application__permit", "application__applicant")
        .filter(pk=event.payload.get("submission"))
        .first()
    )
    if submission is None or submission.application.applicant is None:
        return
    application = submission.application
    applicant = application.applicant
    outcome = event.type.removeprefix("application.")
    send_templated_email(
        template=f"application_{outcome}",
        to=[applicant.email],
        context={
            "application": application,
            "submission": submission,
            "permit": application.permit,
            "name": _name(applicant),
            "url": _application_url(application),
        },
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
    send_templated_email(
        template="application_draft_reminder",
        to=[applicant.email],
        context={
            "application": application,
            "name": _name(applicant),
            "days": settings.APPLICATION_DRAFT_DAYS,
            "url": _application_url(application),
        },
    )


@subscriber("permit.issued")
def send_permit_issued(event: Event) -> None:
    """A permit applied for online is issued (on payment, on its last document or condition, or
    by a clerk): its applicant and contacts are told."""
    if event.payload.get("from") != PermitStatus.READY_TO_ISSUE:
        return
    application = (
        Application.objects.select_related("permit", "applicant")
        .filter(permit_id=event.object_id)
        .first()
    )
    if application is None:
        return
    for address in applicant_and_contacts(application.permit):
        send_templated_email(
            template="permit_issued",
            to=[address],
            context={
                "application": application,
                "permit": application.permit,
                "url": absolute_url(reverse("permits:detail", args=[application.permit.number])),
            },
        )

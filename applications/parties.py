"""The parties this app knows of on a permit applied for online (permits.parties): the
applicant, the owner and the contacts typed into the application."""

from permits.models import Permit
from permits.parties import APPLICANT, CONTACT, OWNER, Party

from .models import Application


def application_parties(permit: Permit) -> list[Party]:
    application = Application.objects.select_related("applicant").filter(permit=permit).first()
    if application is None:
        return []
    return _parties(application)


def application_parties_many(permits: list[Permit]) -> dict[int, list[Party]]:
    """`application_parties` for many permits at once, in two queries."""
    applications = (
        Application.objects.select_related("applicant")
        .prefetch_related("contacts")
        .filter(permit__in=permits)
    )
    return {application.permit_id: _parties(application) for application in applications}


def _parties(application: Application) -> list[Party]:
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

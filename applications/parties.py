"""The parties this app knows of on a permit applied for online (permits.parties): the
applicant, the owner and the contacts typed into the application."""

from permits.models import Permit
from permits.parties import APPLICANT, CONTACT, OWNER, Party

from .models import Application


def application_parties(permit: Permit) -> list[Party]:
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

"""What plan review holds a permit on (permits.checks asks each app): the documents its
application's form needs before issuance and the conditions of approval to meet before it, or
before its final inspection. Reads only, in words for the permit's pages."""

from django.utils.translation import gettext as _

from applications.models import Application
from permits.models import Permit

from .models import ConditionStage, ReviewCondition
from .selectors import issuance_missing_of


def issuance_documents_missing(application: Application) -> list:
    """The form's documents needed before issuance that are not in yet (selectors)."""
    missing = issuance_missing_of([application.permit_id]).get(application.permit_id)
    return missing.documents if missing else []


def issuance_missing(permit: Permit) -> list[str]:
    """What an application's permit lacks before it is issued: the documents its form needs
    before issuance, and the conditions of approval to meet before it (permits.issuing)."""
    missing = issuance_missing_of([permit.pk]).get(permit.pk)
    if missing is None:
        return []
    return [
        _(
            "the %(document)s is needed before issuance (upload it as the %(document)s with "
            "Upload Files on the permit's page)"
        )
        % {"document": requirement.name}
        for requirement in missing.documents
    ] + [
        _("the condition “%(condition)s” is to be met before issuance")
        % {"condition": condition.text[:80]}
        for condition in missing.conditions
    ]


def final_inspection_missing(permit: Permit) -> list[str]:
    """The conditions of approval to meet before the permit's final inspection, not met yet."""
    return [
        _("the condition “%(condition)s” is to be met first (the permit office marks it met)")
        % {"condition": condition.text[:80]}
        for condition in ReviewCondition.objects.filter(
            review__cycle__application__permit=permit,
            stage=ConditionStage.BEFORE_FINAL,
            met_at__isnull=True,
        )
    ]

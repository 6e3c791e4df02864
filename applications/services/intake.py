"""The city's side: intake accepts or returns a submitted application; drafts past their day
lapse (Celery beat), their applicants reminded first."""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from core.events import event_record
from permits.models import (
    Permit,
    PermitStatus,
)

from ..exceptions import ApplicationError
from ..models import (
    Application,
    ApplicationStatus,
    SubmissionOutcome,
)
from .submit import _waiting_submission

# Intake (staff) -------------------------------------------------------------------------------


@transaction.atomic
def application_accept(*, application: Application, by) -> Application:
    """The clerk accepts a submitted application for review: its permit moves to In Review."""
    submission = _waiting_submission(application)
    accepted = pgettext("application status", "Accepted for review")
    application.move_to(ApplicationStatus.ACCEPTED, by=by, note=accepted, submission=submission)
    submission.move_to(
        SubmissionOutcome.ACCEPTED,
        by=by,
        note=accepted,
        changes={"decided_at": timezone.now(), "decided_by": by},
    )
    Permit.objects.get(pk=application.permit_id).move_to(
        PermitStatus.IN_REVIEW,
        by=by,
        note=_("Application %(reference)s accepted") % {"reference": application.reference},
    )
    # Plan review (the reviews app) opens cycle 1 as it hears application.accepted.
    return application


@transaction.atomic
def application_return(*, application: Application, by, reasons: str) -> Application:
    """The clerk returns a submitted application as incomplete, with the reasons: the
    applicant is emailed them, fixes the application and submits it again. Its permit is
    Returned for Correction meanwhile."""
    reasons = reasons.strip()
    if not reasons:
        raise ApplicationError(_("Give the reasons: the applicant is told them."))
    submission = _waiting_submission(application)
    application.move_to(
        ApplicationStatus.RETURNED, by=by, note=reasons[:200], submission=submission
    )
    submission.move_to(
        SubmissionOutcome.RETURNED,
        by=by,
        note=reasons[:200],
        changes={"reasons": reasons, "decided_at": timezone.now(), "decided_by": by},
    )
    # The permit says so too: search, My Records and its page show it returned, not waiting
    # for the city. Resubmitting moves it back (application_submit).
    if application.permit_id:
        Permit.objects.get(pk=application.permit_id).move_to(
            PermitStatus.RETURNED,
            by=by,
            note=(
                _("Application %(reference)s returned as incomplete: %(reasons)s")
                % {"reference": application.reference, "reasons": reasons}
            )[:200],
        )
    return application


# Drafts that lapse ----------------------------------------------------------------------------

REMINDER_DAYS_BEFORE = 5


@transaction.atomic
def application_drafts_expire(*, today: datetime.date | None = None) -> tuple[int, int]:
    """Daily (Celery beat): remind the applicants of drafts lapsing in 5 days, and expire the
    drafts past their day. Returns (reminded, expired)."""
    today = today or timezone.localdate()
    drafts = Application.objects.filter(status=ApplicationStatus.DRAFT)
    soon = drafts.filter(
        expires_on__lte=today + datetime.timedelta(days=REMINDER_DAYS_BEFORE),
        expires_on__gt=today,
        reminded_on__isnull=True,
    ).select_for_update(skip_locked=True)
    reminded = 0
    for application in soon:
        application.reminded_on = today
        # Not `save()`: a reminder is not the applicant's activity (updated_at stays).
        Application.objects.filter(pk=application.pk).update(reminded_on=today)
        event_record(
            "application.draft_lapsing", subject=application, expires_on=str(application.expires_on)
        )
        reminded += 1
    expired, days = 0, settings.APPLICATION_DRAFT_DAYS
    for application in drafts.filter(expires_on__lte=today).select_for_update(skip_locked=True):
        application.move_to(
            ApplicationStatus.EXPIRED,
            by=None,
            note=ngettext("Not saved for %(days)s day", "Not saved for %(days)s days", days)
            % {"days": days},
        )
        expired += 1
    return reminded, expired

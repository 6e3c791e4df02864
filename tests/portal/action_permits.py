"""Permits that need their contractor's action, made as the dashboard's "Needs your action"
finds them (portal.actions), and that section by its plain definition: the user's records, the
policy's rules asked permit by permit, plan review's own reads."""

import datetime

from django.contrib.auth.models import Group
from django.utils import timezone

from applications.models import Application, ApplicationStatus
from permits.models import Permit, PermitStatus
from permits.scopes import permits_visible_to
from policy.applications import can_work_on_application
from policy.permits import can_answer_condition, can_apply, can_pay, can_upload
from portal.actions import ACTION_ROWS
from reviews.models import (
    ConditionStage,
    Review,
    ReviewCondition,
    ReviewCycle,
    ReviewDiscipline,
    ReviewStatus,
)
from reviews.services import cycle_awaiting_corrections
from tests.applications.conftest import make_form
from tests.factories import (
    FeeFactory,
    LicenseFactory,
    MembershipFactory,
    PermitFactory,
    contractor_user,
    set_status,
)

KINDS = ("ready", "returned", "corrections", "conditions")


def days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


class ActionPermits:
    """Permits of one license's in each state the section looks for; those that came from an
    online application, through `form`."""

    def __init__(self, license, form=None):
        self.license = license
        self.form = form or make_form(publish=False)

    def permit(self, status: str, days: int) -> Permit:
        return PermitFactory(licenses=[self.license], status=status, applied_on=days_ago(days))

    def applied_online(self, permit: Permit, *, applicant=None, status=ApplicationStatus.ACCEPTED):
        application = Application.objects.create(
            template=self.form,
            applicant=applicant,
            business=self.license.holder,
            license=self.license,
            permit=permit,
        )
        set_status(application, status)
        return application

    def ready(self, days: int = 30, *, fee: bool = True) -> Permit:
        permit = self.permit(PermitStatus.READY_TO_ISSUE, days)
        if fee:
            FeeFactory(permit=permit)
        return permit

    def returned(self, applicant, days: int = 20) -> Permit:
        permit = self.permit(PermitStatus.RETURNED, days)
        self.applied_online(permit, applicant=applicant, status=ApplicationStatus.RETURNED)
        return permit

    def in_review(self, days: int = 25, *, cycles=(ReviewStatus.CORRECTIONS_REQUIRED,)) -> Permit:
        """In Review, applied online, through these cycles (each one's decision; None: still
        with the city)."""
        permit = self.permit(PermitStatus.IN_REVIEW, days)
        application = self.applied_online(permit)
        for number, decision in enumerate(cycles, start=1):
            review_cycle(application, number, decision)
        return permit

    def with_condition(
        self,
        days: int = 40,
        *,
        status=PermitStatus.ISSUED,
        answered=False,
        met=False,
        stage=ConditionStage.BEFORE_FINAL,
    ) -> Permit:
        """Applied online, approved with a condition (answered or met as asked, to meet before
        the final inspection unless asked)."""
        permit = self.permit(status, days)
        review = review_cycle(self.applied_online(permit), 1, ReviewStatus.APPROVED_WITH_CONDITIONS)
        ReviewCondition.objects.create(
            review=review,
            text="Keep the alley side clear.",
            stage=stage,
            answer="Done." if answered else "",
            answered_at=timezone.now() if answered else None,
            met_at=timezone.now() if met else None,
        )
        return permit


def _discipline() -> ReviewDiscipline:
    group, _ = Group.objects.get_or_create(name="Plans (tests)")
    return ReviewDiscipline.objects.get_or_create(name="Plans", defaults={"group": group})[0]


def review_cycle(application, number: int, decision: str | None) -> Review:
    """Review cycle `number` of the application, decided (`decision`) or still with the city."""
    cycle = ReviewCycle.objects.create(
        application=application,
        number=number,
        decided_at=timezone.now() if decision else None,
    )
    review = Review.objects.create(
        cycle=cycle, discipline=_discipline(), due_on=timezone.localdate()
    )
    if decision:
        set_status(review, decision)
    return review


def expected_actions(user) -> dict[str, list[int]]:
    """Each kind's permits by the definition, newest first: the user's records, each asked of
    the policy and of plan review one by one."""
    user = type(user).objects.get(pk=user.pk)
    found = {name: [] for name in KINDS}
    for permit in Permit.objects.filter(pk__in=permits_visible_to(user)).order_by(
        "-applied_on", "-id"
    ):
        application = Application.objects.filter(permit=permit).first()
        if permit.status == PermitStatus.READY_TO_ISSUE:
            if (
                can_pay(user, permit)
                or can_upload(user, permit)
                or can_answer_condition(user, permit)
            ):
                found["ready"].append(permit.pk)
        elif permit.status == PermitStatus.RETURNED:
            if (
                application is not None
                and application.status == ApplicationStatus.RETURNED
                and can_work_on_application(user, application)
            ):
                found["returned"].append(permit.pk)
        elif permit.status == PermitStatus.IN_REVIEW:
            if (
                application is not None
                and can_apply(user, permit)
                and cycle_awaiting_corrections(application) is not None
            ):
                found["corrections"].append(permit.pk)
        elif permit.status in (PermitStatus.PENDING_APPROVAL, PermitStatus.ISSUED):
            open_conditions = ReviewCondition.objects.filter(
                review__cycle__application__permit=permit,
                met_at__isnull=True,
                answered_at__isnull=True,
            )
            if can_answer_condition(user, permit) and open_conditions.exists():
                found["conditions"].append(permit.pk)
    return found


def acting_business() -> dict:
    """One business's permits in every state the section looks for (more Ready to Issue than
    the section shows), and the users who act on them (or only look on)."""
    license = LicenseFactory()
    second = LicenseFactory(holder=license.holder)
    make = ActionPermits(license)
    manager = contractor_user(license, can_manage=True)
    colleague = contractor_user(second, can_apply=True, can_upload=True)
    for days in range(3, 3 + ACTION_ROWS + 3):  # more than the section shows
        make.ready(days)
    make.ready(2, fee=False)
    both = make.ready(16)
    both.licenses.add(second)  # one row, though it names two of the manager's licenses
    make.returned(manager, 1)
    make.returned(colleague, 4)  # the colleague's to fix, not the manager's
    make.in_review(6)  # corrections asked
    make.in_review(9, cycles=(ReviewStatus.CORRECTIONS_REQUIRED,) * 2)  # asked again
    make.in_review(7, cycles=(ReviewStatus.CORRECTIONS_REQUIRED, None))  # resubmitted
    make.in_review(8, cycles=(None,))  # with the city
    make.with_condition(10)
    make.with_condition(13, status=PermitStatus.PENDING_APPROVAL)
    make.with_condition(11, answered=True)  # waits for the permit office
    make.with_condition(12, met=True)
    make.with_condition(14, status=PermitStatus.EXPIRED)
    for days in range(20, 30):
        PermitFactory(licenses=[license], applied_on=days_ago(days))
    # A business where the manager holds no role: its permits are theirs to see, not to act on.
    onlooker = LicenseFactory()
    MembershipFactory(user=manager, contractor=onlooker.holder)
    ActionPermits(onlooker, make.form).ready(5)
    payer = contractor_user(LicenseFactory(), verified=True)
    MembershipFactory(user=payer, contractor=license.holder, can_pay=True)
    registered = contractor_user(license)
    return {"manager": manager, "colleague": colleague, "payer": payer, "registered": registered}

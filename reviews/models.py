"""Plan review: the disciplines that review each permit type, review cycles, each discipline's
review with its comments and conditions of approval. Moved from the applications app with its
tables (each keeps its name: `db_table`)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from applications.exceptions import InvalidApplicationStatusMove
from applications.models import Application
from core.status import StatusMachine
from permits.models import Permit, PermitDocument, PermitType


class ReviewDiscipline(models.Model):
    """A part of plan review (Building, Zoning, Fire, Electrical): the staff group whose members
    review it, the permit types that need it, and its target in business days."""

    name = models.CharField(gettext_lazy("name"), max_length=100, unique=True)
    group = models.ForeignKey(
        "auth.Group",
        on_delete=models.PROTECT,
        related_name="review_disciplines",
        verbose_name=gettext_lazy("group"),
        help_text=gettext_lazy("Its reviewers: staff members of this group."),
    )
    permit_types = models.ManyToManyField(
        PermitType,
        related_name="review_disciplines",
        blank=True,
        verbose_name=gettext_lazy("permit types"),
        help_text=gettext_lazy("The permit types whose applications this discipline reviews."),
    )
    target_days = models.PositiveSmallIntegerField(
        gettext_lazy("target (business days)"),
        default=10,
        help_text=gettext_lazy("From the cycle's start to a decision."),
    )
    active = models.BooleanField(gettext_lazy("active"), default=True)
    position = models.PositiveSmallIntegerField(gettext_lazy("position"), default=0)

    class Meta:
        verbose_name = gettext_lazy("review discipline")
        verbose_name_plural = gettext_lazy("review disciplines")
        db_table = "applications_reviewdiscipline"  # the table it had in the applications app
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class ReviewCycle(models.Model):
    """One round of plan review of an application: a review per discipline, opened when the
    application is accepted (cycle 1) or resubmitted with corrections; closed when its last
    review is decided. Earlier cycles never change."""

    application = models.ForeignKey(
        Application,
        on_delete=models.PROTECT,
        related_name="review_cycles",
        verbose_name=gettext_lazy("application"),
    )
    number = models.PositiveSmallIntegerField(gettext_lazy("number"))
    opened_at = models.DateTimeField(gettext_lazy("opened at"), default=timezone.now)
    decided_at = models.DateTimeField(
        gettext_lazy("decided at"),
        null=True,
        blank=True,
        help_text=gettext_lazy("When its last review was decided."),
    )

    class Meta:
        verbose_name = gettext_lazy("review cycle")
        verbose_name_plural = gettext_lazy("review cycles")
        db_table = "applications_reviewcycle"  # the table it had in the applications app
        ordering = ["application", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "number"],
                name="review_cycle_number_unique",
                violation_error_message=gettext_lazy(
                    "This application already has a cycle numbered so."
                ),
            ),
        ]

    def __str__(self) -> str:
        return _("%(reference)s cycle %(number)s") % {
            "reference": self.application.reference,
            "number": self.number,
        }


class ReviewStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("review status", "Pending")
    IN_PROGRESS = "in_progress", pgettext_lazy("review status", "In Progress")
    APPROVED = "approved", pgettext_lazy("review status", "Approved")
    APPROVED_WITH_CONDITIONS = (
        "approved_conditions",
        pgettext_lazy("review status", "Approved with Conditions"),
    )
    CORRECTIONS_REQUIRED = (
        "corrections_required",
        pgettext_lazy("review status", "Corrections Required"),
    )


REVIEW_DECISIONS = (
    ReviewStatus.APPROVED,
    ReviewStatus.APPROVED_WITH_CONDITIONS,
    ReviewStatus.CORRECTIONS_REQUIRED,
)
OPEN_REVIEW_STATUSES = (ReviewStatus.PENDING, ReviewStatus.IN_PROGRESS)


class Review(StatusMachine):
    """A discipline's review of an application in one cycle, assigned to one reviewer."""

    Status = ReviewStatus
    move_error = InvalidApplicationStatusMove
    EVENT_SUBJECT = "review"
    STATUS_EVENTS = dict.fromkeys(REVIEW_DECISIONS, "review.decided")
    ALLOWED_MOVES: dict[str, set[str]] = {
        ReviewStatus.PENDING: {ReviewStatus.IN_PROGRESS, *REVIEW_DECISIONS},
        ReviewStatus.IN_PROGRESS: set(REVIEW_DECISIONS),
        ReviewStatus.APPROVED: set(),
        ReviewStatus.APPROVED_WITH_CONDITIONS: set(),
        ReviewStatus.CORRECTIONS_REQUIRED: set(),
    }

    cycle = models.ForeignKey(
        ReviewCycle,
        on_delete=models.PROTECT,
        related_name="reviews",
        verbose_name=gettext_lazy("cycle"),
    )
    discipline = models.ForeignKey(
        ReviewDiscipline,
        on_delete=models.PROTECT,
        related_name="reviews",
        verbose_name=gettext_lazy("discipline"),
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reviews",
        verbose_name=gettext_lazy("reviewer"),
    )
    status = models.CharField(
        gettext_lazy("status"), max_length=30, choices=ReviewStatus, default=ReviewStatus.PENDING
    )
    due_on = models.DateField(gettext_lazy("due on"))
    decided_at = models.DateTimeField(gettext_lazy("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("decided by"),
    )

    class Meta:
        verbose_name = gettext_lazy("review")
        verbose_name_plural = gettext_lazy("reviews")
        db_table = "applications_review"  # the table it had in the applications app
        ordering = ["cycle", "discipline__position", "discipline__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "discipline"],
                name="review_discipline_once_per_cycle",
                violation_error_message=gettext_lazy(
                    "This cycle already has a review for this discipline."
                ),
            ),
        ]
        indexes = [models.Index(fields=["reviewer", "status"], name="review_reviewer_status")]
        permissions = [("decide_any_review", "Can start and decide any plan review")]

    def event_about(self):
        application = self.cycle.application
        return [application, application.permit] if application.permit_id else [application]

    def __str__(self) -> str:
        return _("%(discipline)s review of %(cycle)s") % {
            "discipline": self.discipline,
            "cycle": self.cycle,
        }

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REVIEW_STATUSES

    def check_move(self, previous: str, status: str, context) -> None:
        if status == ReviewStatus.APPROVED_WITH_CONDITIONS and not self.conditions.exists():
            raise self.move_error(_("Add the conditions of approval first (Conditions, below)."))
        if (
            status == ReviewStatus.CORRECTIONS_REQUIRED
            and not self.comments.filter(kind=CommentKind.RESPONSE_REQUIRED).exists()
        ):
            raise self.move_error(
                _(
                    "Add the corrections needed first: a comment that needs a response "
                    "(Comments, below)."
                )
            )

    def apply_move(self, previous: str, status: str, context) -> list[str]:
        if status in REVIEW_DECISIONS:  # who decided: the service's `changes`
            self.decided_at = timezone.now()
            return ["decided_at"]
        return []


class MyReview(Review):
    """A reviewer's own open reviews (admin's "My reviews" queue)."""

    class Meta:
        proxy = True
        verbose_name = gettext_lazy("review")
        verbose_name_plural = gettext_lazy("my reviews")


class ReviewReason(models.Model):
    """The reasons reviewers give a comment (staff keep the list): "Setback", "Missing
    dimension", "Code section"..."""

    name = models.CharField(gettext_lazy("name"), max_length=100, unique=True)
    active = models.BooleanField(gettext_lazy("active"), default=True)

    class Meta:
        verbose_name = gettext_lazy("review reason")
        verbose_name_plural = gettext_lazy("review reasons")
        db_table = "applications_reviewreason"  # the table it had in the applications app
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CommentKind(models.TextChoices):
    RESPONSE_REQUIRED = "response", gettext_lazy("Response required")
    INFO = "info", gettext_lazy("For information")


class ReviewComment(models.Model):
    """A reviewer's comment on a cycle: what and where (a sheet or page of a document, or a
    question), why (a reason from the list), and whether the applicant must answer it."""

    review = models.ForeignKey(
        Review,
        on_delete=models.PROTECT,
        related_name="comments",
        verbose_name=gettext_lazy("review"),
    )
    kind = models.CharField(
        gettext_lazy("kind"),
        max_length=10,
        choices=CommentKind,
        default=CommentKind.RESPONSE_REQUIRED,
    )
    reference = models.CharField(
        gettext_lazy("where"),
        max_length=100,
        blank=True,
        help_text=gettext_lazy("A sheet or page (A-201, page 3), or a question."),
    )
    reason = models.ForeignKey(
        ReviewReason,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("reason"),
    )
    text = models.TextField(gettext_lazy("text"), max_length=4000)
    created_at = models.DateTimeField(gettext_lazy("created at"), default=timezone.now)
    response = models.TextField(gettext_lazy("response"), max_length=4000, blank=True)
    responded_at = models.DateTimeField(gettext_lazy("responded at"), null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("responded by"),
    )

    class Meta:
        verbose_name = gettext_lazy("review comment")
        verbose_name_plural = gettext_lazy("review comments")
        db_table = "applications_reviewcomment"  # the table it had in the applications app
        ordering = ["review", "id"]

    def __str__(self) -> str:
        return _("%(discipline)s: %(text)s") % {
            "discipline": self.review.discipline,
            "text": self.text[:60],
        }

    @property
    def needs_response(self) -> bool:
        return self.kind == CommentKind.RESPONSE_REQUIRED


class ConditionStage(models.TextChoices):
    BEFORE_ISSUANCE = "issuance", gettext_lazy("Before the permit is issued")
    BEFORE_FINAL = "final", gettext_lazy("Before the final inspection")


class ReviewCondition(models.Model):
    """A condition of approval: met before issuance, or before the final inspection (which
    cannot be requested until staff mark it met)."""

    review = models.ForeignKey(
        Review,
        on_delete=models.PROTECT,
        related_name="conditions",
        verbose_name=gettext_lazy("review"),
    )
    text = models.TextField(gettext_lazy("text"), max_length=2000)
    stage = models.CharField(
        gettext_lazy("stage"),
        max_length=10,
        choices=ConditionStage,
        default=ConditionStage.BEFORE_FINAL,
    )
    met_at = models.DateTimeField(gettext_lazy("met at"), null=True, blank=True)
    met_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("met by"),
    )
    # The contractor's answer online (how it is met, and a document): staff then mark it met.
    answer = models.TextField(gettext_lazy("answer"), max_length=2000, blank=True)
    answered_at = models.DateTimeField(gettext_lazy("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("answered by"),
    )
    answer_document = models.ForeignKey(
        PermitDocument,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=gettext_lazy("answer document"),
    )

    class Meta:
        verbose_name = gettext_lazy("review condition")
        verbose_name_plural = gettext_lazy("review conditions")
        db_table = "applications_reviewcondition"  # the table it had in the applications app
        ordering = ["review", "id"]
        indexes = [
            # The staff's queue of answered conditions not met yet.
            models.Index(
                fields=["answered_at"],
                name="condition_answered_unmet",
                condition=models.Q(answered_at__isnull=False, met_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def is_met(self) -> bool:
        return self.met_at is not None


class AnsweredCondition(ReviewCondition):
    """Conditions the contractor answered online, not met yet (admin's queue: staff read the
    answer and mark each met)."""

    class Meta:
        proxy = True
        verbose_name = gettext_lazy("answered condition")
        verbose_name_plural = gettext_lazy("answered conditions")


class AwaitingKind(models.TextChoices):
    CORRECTIONS = "corrections", gettext_lazy("Corrections asked")
    CONDITIONS = "conditions", gettext_lazy("A condition of approval to answer")


class AwaitingAnswer(models.Model):
    """A permit that waits for its contractor's answer to plan review, once for each of its
    license professionals: corrections asked and not resubmitted (the permit In Review), or a
    condition of approval neither met nor answered (Pending Approval or Issued). The dashboard's
    "Needs your action" reads a contractor's from this table's index, with the permit's applied
    date copied here, instead of looking for plan review's answers among every permit of theirs
    (50,000 for the largest: 340 ms; docs/performance.md).

    PostgreSQL only: database triggers (migration 0003) keep it, whatever writes cycles,
    reviews, conditions or the permit's licenses and status; nothing in the portal writes it.
    Elsewhere (SQLite, and a contact's dashboard) the same permits are read through the ORM
    (`awaiting_corrections_permit_ids`, `open_conditions_permit_ids`), and
    tests/portal/test_dashboard_paths.py holds the two to each other.
    """

    permit = models.ForeignKey(
        Permit, on_delete=models.CASCADE, related_name="+", verbose_name=gettext_lazy("permit")
    )
    license = models.ForeignKey(
        "licenses.License",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=gettext_lazy("license"),
    )
    kind = models.CharField(gettext_lazy("kind"), max_length=12, choices=AwaitingKind)
    applied_on = models.DateField(gettext_lazy("applied on"), null=True)

    class Meta:
        verbose_name = gettext_lazy("awaiting answer")
        verbose_name_plural = gettext_lazy("awaiting answers")
        constraints = [
            models.UniqueConstraint(
                fields=["permit", "license", "kind"],
                name="awaitinganswer_unique",
                violation_error_message=gettext_lazy("This permit already waits for this answer."),
            ),
        ]
        indexes = [
            models.Index(
                fields=["license", "kind", "-applied_on", "-permit"],
                name="awaitinganswer_by_license",
            )
        ]

    def __str__(self) -> str:
        return _("%(permit)s waits for %(kind)s") % {
            "permit": self.permit_id,
            "kind": self.get_kind_display().lower(),
        }
